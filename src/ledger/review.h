// The monthly financial review: a month's KPIs against the month before, why
// they moved, and the drivers in words.
//
// Bridges (every one sums exactly to its total change; money to the cent):
//
//   revenue      R = sum_m Q_m P_m (Q served output tokens, P realised USD per
//                output token, Qbar = sum Q, s_m = Q_m / Qbar, Pbar = R / Qbar;
//                D demanded and U = D - Q unserved tokens; H a model's serving
//                chip-hours and k = its serving capacity / H, the tokens per
//                serving chip-hour its chips could serve):
//                  price    = sum_m (P1_m - P0_m) Q1_m          at new volumes
//                  demand   = (Dbar1 - Dbar0) Pbar0             at old price and mix
//                  efficiency = Pbar0 sum_m H1_m (k1_m - k0_m), over the models
//                             whose demand was not all served in the new month
//                             (elsewhere more tokens per chip-hour frees chips
//                             rather than earning revenue)
//                  capacity-constrained = -(Ubar1 - Ubar0) Pbar0 - efficiency:
//                             revenue won or lost as unserved demand changed,
//                             beyond what efficiency explains
//                  mix      = the rest = Qbar1 sum_m (s1_m - s0_m) P0_m
//                (demand + efficiency + capacity-constrained = the volume
//                effect (Qbar1 - Qbar0) Pbar0.) A model without tokens in one
//                month takes the other month's price (no price effect from a
//                launch or a shutdown).
//   compute cost C = sum_k A_k c_k over contracts k (A paid chip-hours, c = C / A):
//                  capacity added   = sum of (A1_k - A0_k) c_k where positive
//                  capacity removed = sum of (A1_k - A0_k) c_k where negative
//                                     (c_k = c0_k, or c1_k for a new contract)
//                  contract rate    = the rest = sum_k A1_k (c1_k - c0_k)
//   utilization  u = U / A (U allocated chip-hours), in percentage points:
//                  capacity added = U0 / A1 - U0 / A0
//                  usage          = the rest = (U1 - U0) / A1
//   useful work  E = A u e (E effective H100-equivalent chip-hours, e = E / U):
//                  capacity added = (A1 - A0) u0 e0
//                  idle           = A1 (u1 - u0) e0
//                  efficiency     = the rest = A1 u1 (e1 - e0)
//
// Money bridges are computed in whole cents: each named part is rounded to
// the cent and the last part is the total change in cents less the others,
// so the parts add up to the cent by construction (and the last part agrees
// with its formula to within rounding; the tests check both).
#pragma once

#include <string>
#include <vector>

#include "model/return_on_compute.h"
#include "util/status.h"
#include "util/time.h"

namespace fungible {

// Figures of one month of one policy's run (simulate/output.h writes and
// reads them in run.json).
struct MonthFigures {
  std::string month;  // YYYY-MM
  int hours = 0;
  struct Model {
    std::string id;
    double demand_output_tokens = 0;
    double served_output_tokens = 0;
    double revenue_usd = 0;
    double serving_chip_hours = 0;      // chips allocated to its serving classes
    double capacity_output_tokens = 0;  // what those chips could have served
  };
  std::vector<Model> models;
  struct Pool {
    std::string id;
    std::string chip_type;
    std::string contract;  // Contract::id ("" in runs written before it was recorded)
    double paid_chip_hours = 0;
    double allocated_chip_hours = 0;
    double effective_chip_hours = 0;
    double cost_usd = 0;
  };
  std::vector<Pool> pools;
  struct Workload {
    std::string id;
    std::string team;
    double chip_hours = 0;
    double effective_chip_hours = 0;
    double cost_usd = 0;
    double value_all_up_usd = 0;
  };
  std::vector<Workload> workloads;
  // Serving by model and chip type: chip-hours and output tokens.
  struct Serving {
    std::string model;
    std::string chip_type;
    double chip_hours = 0;
    double served_output_tokens = 0;
    double capacity_output_tokens = 0;
    double output_tokens_per_chip_hour() const {
      return chip_hours > 0 ? served_output_tokens / chip_hours : 0;
    }
  };
  std::vector<Serving> serving;
  double revenue_usd = 0;
  double demand_output_tokens = 0;
  double served_output_tokens = 0;
  double paid_chip_hours = 0;
  double up_chip_hours = 0;
  double allocated_chip_hours = 0;
  double idle_chip_hours = 0;
  double down_chip_hours = 0;
  double effective_chip_hours = 0;
  double lost_effective_chip_hours = 0;
  double contract_cost_usd = 0;
  double value_now_usd = 0;
  double value_within_usd = 0;
  double value_all_up_usd = 0;
  double chips_switched = 0;
  int floor_windows = 0;
  int floor_windows_met = 0;
  struct Event {
    UtcSeconds at = 0;
    std::string kind;  // launch, landing, contract_start, contract_end, failure, repair
    std::string subject;
    std::string detail;
  };
  std::vector<Event> events;

  double utilization() const { return paid_chip_hours > 0 ? allocated_chip_hours / paid_chip_hours : 0; }
  double unserved_share() const {
    return demand_output_tokens > 0 ? 1 - served_output_tokens / demand_output_tokens : 0;
  }
  double roc_now() const { return ReturnOnCompute(value_now_usd, contract_cost_usd); }
  double roc_all_up() const { return ReturnOnCompute(value_all_up_usd, contract_cost_usd); }
};

struct Kpi {
  std::string name;
  std::string unit;  // "usd", "tokens", "chip-hours", "share", "ratio", "count"
  double value = 0;
  double previous = 0;
  double change() const { return value - previous; }
  // Relative change in percent; 0 when the previous value is 0.
  double change_pct() const { return previous != 0 ? 100.0 * (value - previous) / std::abs(previous) : 0; }
};

struct BridgePart {
  std::string name;
  double amount = 0;  // in the bridge's unit; money in whole cents / 100
};

struct Bridge {
  std::string name;  // "revenue", "compute cost", "utilization", "useful work"
  std::string unit;  // "usd", "points", "effective chip-hours"
  double from = 0;
  double to = 0;
  double total_change = 0;        // to - from (money: to the cent)
  std::vector<BridgePart> parts;  // sum == total_change exactly
};

// One model's share of the revenue bridge.
struct ModelVariance {
  std::string model;
  double revenue_usd = 0, previous_revenue_usd = 0;
  double served_output_tokens = 0, previous_served_output_tokens = 0;
  double usd_per_million_tokens = 0, previous_usd_per_million_tokens = 0;
  double price_effect_usd = 0;  // (P1 - P0) Q1
  double mix_share_change = 0;  // s1 - s0
  double mix_effect_usd = 0;    // Qbar1 (s1 - s0) P0: its term of the mix formula
  double demand_output_tokens = 0, previous_demand_output_tokens = 0;
  double unserved_revenue_usd = 0, previous_unserved_revenue_usd = 0;  // unserved tokens at its price
  double efficiency_effect_usd = 0;  // Pbar0 H1 (k1 - k0) where demand went unserved, else 0
};

// One contract's share of the compute-cost bridge (pools of runs written
// before contracts were recorded count as their own contract, "pool ID").
struct ContractVariance {
  std::string contract;
  double paid_chip_hours = 0, previous_paid_chip_hours = 0;
  double cost_usd = 0, previous_cost_usd = 0;
  double volume_effect_usd = 0;  // (A1 - A0) c
  double rate_effect_usd = 0;    // A1 (c1 - c0)
};

// Served output tokens per serving chip-hour, one model on one chip type.
struct ServingEfficiency {
  std::string model;
  std::string chip_type;
  double chip_hours = 0, previous_chip_hours = 0;
  double output_tokens_per_chip_hour = 0, previous_output_tokens_per_chip_hour = 0;      // served
  double capacity_tokens_per_chip_hour = 0, previous_capacity_tokens_per_chip_hour = 0;  // could serve
};

struct ReviewReport {
  std::string month;
  std::string previous_month;
  std::vector<Kpi> kpis;
  Bridge revenue;
  Bridge compute_cost;
  Bridge utilization;
  Bridge useful_work;
  std::vector<ModelVariance> models;
  std::vector<ContractVariance> contracts;
  std::vector<ServingEfficiency> serving;   // model x chip type, either month
  std::vector<MonthFigures::Event> events;  // of the month
  std::vector<std::string> narrative;       // paragraphs, generated from the numbers
};

// Reviews `month` (YYYY-MM) against the month before it. Errors
// (kInvalidArgument): a malformed month, a month outside the run (the message
// names the run's months), or the run's first month (nothing to compare with).
StatusOr<ReviewReport> ReviewMonth(const std::vector<MonthFigures>& months, const std::string& month);

// Whole cents of a dollar amount (half away from zero).
long long ToCents(double usd);

}  // namespace fungible

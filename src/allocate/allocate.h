// The allocation engine: which workload gets how many chips of each pool in
// each period, by value, as a linear program over COIN-OR Clp (Cbc when
// pretraining gangs need integer placement).
//
// Model (p pool, w workload class, t period of h_t hours, m served model):
//   x[p,w,t] >= 0           chips of pool p on w in t (w eligible on p's chip)
//   sum_w x[p,w,t] <= cap[p,t]                       capacity (dual = price of compute)
//   sum_p tps[m,p]*3600*h_t*x[p,serve_m,t] <= D[m,t]  served tokens <= demand
//   sum_k b[w,k,t] <= sum_p eff[w,p]*x[p,w,t], 0 <= b[w,k,t] <= q[w,k]   concave bids
//   sum_{t in window} sum_p eff[w,p]*h_t*x[p,w,t] >= floor[w]*hours(window)   floors
//   y[p,w,t] >= x[p,w,t] - x[p,w,t-1]                switching (chips moved in)
//   x[p,w,t] = chips_per_gang[w,p] * g[p,w,t], g integer   gangs in whole domains
// maximise  token revenue + bid value - switch cost.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// A solver-ready instance: everything the LP needs, independent of where the
// numbers came from (a spec's hourly shape in `allocate`, a scenario's monthly
// level in `plan`, realised demand in `simulate`).
struct AllocationInstance {
  struct Period {
    UtcSeconds start = 0;
    double hours = 1.0;
  };
  struct PoolIn {
    std::string id;
    std::string chip_type;
    int interconnect_domain_chips = 1;
    std::vector<double> capacity_chips;  // per period; whole chips (already floored)
    double usd_per_chip_hour = 0;        // contract cost, for reporting
  };
  struct WorkloadIn {
    std::string id;
    WorkloadKind kind = WorkloadKind::kResearch;
    std::string team;
    int served_model = -1;  // index into models for kServe, else -1
    std::vector<std::optional<double>>
        efficiency;  // per pool: H100-equivalents per chip, nullopt = ineligible
    int gang_size_chips = 0;
    // The floor, H100-eq chips on average over each window; > 0 = a floor.
    // With a schedule (floor_effective_chips_by_period non-empty) it is the
    // largest step in the instance and each window requires the sum over its
    // periods of the period's floor x hours.
    double floor_effective_chips = 0;
    std::vector<double> floor_effective_chips_by_period;
    int floor_window_periods = 0;  // periods per floor window (0 = whole horizon)
    double FloorIn(int t) const {
      return floor_effective_chips_by_period.empty()
                 ? floor_effective_chips
                 : floor_effective_chips_by_period[static_cast<size_t>(t)];
    }
    std::vector<BidStep> bids;
  };
  struct ModelIn {
    std::string id;
    double usd_per_output_token = 0;
    std::vector<double> output_tokens_per_s_per_chip;  // per pool (0 = cannot serve there)
    std::vector<double> demand_output_tokens;          // per period, tokens in that period
  };

  // A floor several classes share (spec `floors:`): the SUM over its member
  // classes of their H100-equivalent chips must reach the floor on average
  // over every window (each member counts at its own efficiency).
  struct SharedFloorIn {
    std::string id;
    std::vector<int> workloads;                     // member classes, indices into workloads
    std::vector<double> effective_chips_by_period;  // the floor in each period, H100-eq chips
    int window_periods = 0;                         // periods per window (0 = whole horizon)
  };

  std::vector<Period> periods;
  std::vector<PoolIn> pools;
  std::vector<WorkloadIn> workloads;
  std::vector<ModelIn> models;
  std::vector<SharedFloorIn> shared_floors;
  double switch_cost_usd_per_chip = 0;
};

// How Solve() optimises (docs/allocate.md, "Method"):
//  * kExact: the full model (per-class switching rows) as one LP/MIP. Its
//    optimum is what WriteMps exports; the LP fills in at fleet scale.
//  * kDecomposed: (1) the model without switching, solved block by block (the
//    periods floor windows tie together), gives an upper bound and the shadow
//    prices; (2) one small LP (MIP with gangs) per period, in time order, each
//    warm-started from the last, prices switching against the plan of the
//    period before and keeps every floor window on track; the whole-chip plan
//    is valued in the full model.
//  * kAuto: kExact while the full model is small (kExactMaxRows), else kDecomposed.
enum class AllocateMethod { kAuto, kExact, kDecomposed };
inline constexpr int kExactMaxRows = 2000;

// Bases one decomposed Solve() leaves for the next (fungible serve keeps one
// across its re-solves): stage 1's per floor block and stage 2's per period.
// A Solve() given one starts each LP from the kept basis of the same block
// (same first period's start and model size, else the block at the same
// position if its size matches) or of the same period (same start and model
// size) when the instance's structure is the one the bases came
// from (`structure`: pools, classes, where each may run, gangs, bids, floor
// windows, period lengths); anything else starts as it would without it (the
// block or period before in the same solve, or cold). It then keeps its own
// bases. A basis is only a starting point: the answers are those of a cold
// solve, up to ties between equally good plans.
struct AllocationWarmStart {
  struct Block {
    UtcSeconds start = 0;  // of its first period
    int periods = 0, rows = 0, columns = 0;
    std::vector<unsigned char> basis;  // empty: the block did not solve
    bool Fits(const Block& o) const {
      return periods == o.periods && rows == o.rows && columns == o.columns &&
             basis.size() == static_cast<size_t>(rows + columns);
    }
  };
  struct Period {
    UtcSeconds start = 0;
    int rows = 0, columns = 0;
    std::vector<unsigned char> basis;
  };
  std::string structure;  // fingerprint of the instance the bases came from
  std::vector<Block> blocks;
  std::vector<Period> periods;  // in time order
  // Of the last Solve() that used it: LPs started from a kept basis, and LPs
  // that found none to fit (structure or size changed, a new period).
  int warm_lps = 0;
  int cold_lps = 0;
};

struct AllocateOptions {
  UtcSeconds from = 0;
  int hours = 168;
  int period_hours = 1;
  bool integer_gangs = true;  // false: solve the LP relaxation only
  AllocateMethod method = AllocateMethod::kAuto;
  // Wall-clock limit of the whole Solve() (LPs and MIPs), 0 = none. When it
  // is hit, the result is the best plan found so far, with status kTimeLimit
  // and its certified gap.
  double time_limit_s = 0;
  double mip_time_limit_s = 10;  // Cbc wall-clock limit per MIP (also capped by time_limit_s)
  // Cbc stops once its incumbent is proven within this relative distance of
  // the best bound (status kOptimal then means "optimal within the gap"; the
  // bound is reported in mip_best_bound_usd). 0 = prove exact optimality.
  double mip_relative_gap = 0.01;
  // Bases kept across solves (not owned; null = none). Read and refilled by
  // the decomposed method; the exact one leaves it untouched. Not thread-safe:
  // one Solve() at a time per AllocationWarmStart.
  AllocationWarmStart* warm_start = nullptr;
};

// Builds the hourly (or period_hours) instance for `fleet` from its spec:
// capacity from contracts, landing ramps and availability; demand from the
// serving level and its diurnal/weekly shape. Errors when the window is empty
// or the period does not divide the horizon.
StatusOr<AllocationInstance> BuildInstance(const Fleet& fleet, const AllocateOptions& options);

// The floor of `w` at `t`, H100-equivalent chips: its floor_effective_chips,
// or the step of its floor_schedule in effect (a fleet share times what the
// fleet's chips up at t could give it: sum over pools of its efficiency on
// the pool's chip x Fleet::PoolCapacityAt). allocate, plan and simulate all
// read a class's floor here.
double FloorEffectiveChipsAt(const Fleet& fleet, const WorkloadClass& w, UtcSeconds t);
// The same for a floor several classes share: its `effective_chips`, or the
// schedule's step in effect; a fleet share counts each pool's chips up at the
// best efficiency any member class has on the pool's chip.
double SharedFloorEffectiveChipsAt(const Fleet& fleet, const SharedFloor& f, UtcSeconds t);

// Effective chip-hours a floor window [first, last] of class w requires.
double FloorRequiredEffectiveChipHours(const AllocationInstance& inst, int w, int first, int last);
// Effective chip-hours window [first, last] of shared floor g requires.
double SharedFloorRequiredEffectiveChipHours(const AllocationInstance& inst, int g, int first, int last);

enum class SolveStatus { kOptimal, kInfeasible, kTimeLimit };
const char* SolveStatusName(SolveStatus s);  // "optimal", "infeasible", "time_limit"

// Why an instance is infeasible, in domain words.
struct InfeasibilityReason {
  std::string kind;                  // "floor", "gang" or "shared_floor"
  std::string workload;              // class id (shared_floor: the floor's name)
  std::vector<std::string> members;  // shared_floor: the classes whose sum must meet it
  int first_period = 0;              // window [first_period, last_period]
  int last_period = 0;
  double required = 0;    // floor: effective chip-hours needed; gang: chips per gang
  double achievable = 0;  // floor: most effective chip-hours the fleet could give it
  double shortfall = 0;   // required - achievable (> 0)
  std::vector<std::string> pools_that_could_cover;  // eligible pools, most effective first
  std::string message;  // one sentence, e.g. "floor of pretrain-frontier in 2027-01-04..2027-01-05 ..."
};

struct SwitchEvent {
  int period = 0;  // chips moved at the start of this period
  std::string pool;
  std::string from_workload;  // largest source ("" = idle)
  std::string to_workload;
  int chips = 0;
};

struct FloorWindow {
  std::string workload;              // class id, or the name of a shared floor
  std::vector<std::string> members;  // shared floor: its classes (empty for a class's own floor)
  int first_period = 0;
  int last_period = 0;
  double required_effective_chip_hours = 0;
  double achieved_effective_chip_hours = 0;  // from the integer plan
};

struct AllocationResult {
  SolveStatus status = SolveStatus::kOptimal;
  std::vector<InfeasibilityReason> infeasibility;  // non-empty iff kInfeasible

  // Echo of the instance layout.
  std::vector<AllocationInstance::Period> periods;
  std::vector<std::string> pool_ids;
  std::vector<std::string> workload_ids;
  std::vector<std::string> model_ids;

  // Integer plan: chips[p][w][t]; sum over w never exceeds capacity_chips[p][t].
  std::vector<std::vector<std::vector<int>>> chips;
  std::vector<std::vector<double>> capacity_chips;  // [p][t]
  // Dual of the capacity row in usd per chip-hour (>= 0): what one more chip
  // of pool p in period t would add. From the LP with gang counts fixed.
  std::vector<std::vector<double>> shadow_usd_per_chip_hour;  // [p][t]

  std::vector<std::vector<double>> demand_output_tokens;  // [m][t]
  std::vector<std::vector<double>> served_output_tokens;  // [m][t], of the integer plan
  double revenue_usd = 0;                                 // token revenue of the integer plan
  double bid_value_usd = 0;
  double switch_cost_usd = 0;
  double contract_cost_usd = 0;  // all capacity, idle included (sunk, for return on compute)
  std::vector<FloorWindow> floors;
  std::vector<SwitchEvent> switches;
  std::vector<double> workload_chip_hours;            // [w]
  std::vector<double> workload_effective_chip_hours;  // [w]
  // What each class earned in the integer plan: its share of its model's token
  // revenue (in proportion to the tokens it could produce) plus its bid value.
  std::vector<double> workload_value_usd;  // [w]
  // Allocated chip-hours / capacity chip-hours of the integer plan (0 when the
  // fleet has no capacity in the window).
  double utilization = 0;
  // revenue + bid value - switch cost of the integer plan (close to, and at
  // most slightly below, objective_usd: rounding to whole chips costs a little).
  double plan_value_usd = 0;

  // Objectives in usd. `objective_usd` is the optimum of exactly the model that
  // WriteMps exports (MIP when gangs are integer, else LP), as a maximisation.
  double objective_usd = 0;
  double lp_relaxation_objective_usd = 0;
  double integer_gap_rel = 0;     // (LP - MIP) / |LP|, 0 without gangs
  double mip_best_bound_usd = 0;  // Cbc's bound on the MIP optimum (= objective when proven optimal)
  bool has_integers = false;

  // Certificate, for every method: the plan's value (plan_value_usd) and an
  // upper bound on the optimum of the full model (MIP with gangs, per-class
  // switching; the tiny idle preference added back), and their relative gap.
  std::string method;      // "exact" or "decomposed"
  double bound_usd = 0;    // >= the best value any plan can reach
  std::string bound_kind;  // which relaxation gives bound_usd
  double gap_rel = 0;      // (bound_usd - plan_value_usd) / |bound_usd| (0 when both are 0)
  int lp_rows = 0;
  int lp_columns = 0;
  double build_seconds = 0;  // wall time to build the model
  double solve_seconds = 0;  // wall time in the solver(s)
  double bound_seconds = 0;  // decomposed: of it, stage 1 (the bound)
};

// Solves `instance`. An infeasible instance is a successful call whose result
// has status kInfeasible and the reasons; errors are for broken input
// (inconsistent sizes) or solver failure.
StatusOr<AllocationResult> Solve(const AllocationInstance& instance, const AllocateOptions& options);

// Writes the model Solve() optimises to `path` in free MPS, as a minimisation
// of -objective (MPS has no objective sense). Integer gang columns are marked
// by integer bound types (BV / UI), which glpsol, clp and cbc all read.
Status WriteMps(const AllocationInstance& instance, const AllocateOptions& options, const std::string& path);

// Fleet-level convenience: BuildInstance then Solve.
StatusOr<AllocationResult> Allocate(const Fleet& fleet, const AllocateOptions& options);

}  // namespace fungible

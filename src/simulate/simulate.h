// `fungible simulate`: months of operation in hourly virtual time.
//
// Every hour the fleet has the capacity its contracts have landed
// (Fleet::PoolCapacityAt: ramps, contract starts and ends, availability) less
// the pools that are down (failures drawn from MTBF/MTTR, or injected). Every
// K hours (simulate.resolve_every_hours) a policy decides the allocation for
// the next K hours from what it knows then: the forecast of demand over the
// next H hours (simulate.horizon_hours), capacity with the failures under
// repair, throughput and prices. The allocation is then applied to what is
// actually realised: served tokens = min(chips x tokens/s x 3600, realised
// demand), chips taken by a failure are lost to their workloads, and jobs on
// them lose their work back to the last checkpoint. Each hour goes to the
// ledger (ledger/ledger.h).
//
// Policies:
//   fungible      the allocation engine (allocate.h Solve) over H hours in
//                 periods of simulate.period_hours: repurposing serving chips
//                 to training at night, every class on its best chips
//   static        one split per re-solve, held all K hours (no time-of-day
//                 moves): the same engine on a single K-hour period, serving
//                 valued by its demand curve over those hours (a concave bid
//                 built from the forecast hours), so the split is the best
//                 fixed one
//   no-repurpose  each pool's chips split once per re-solve between serving
//                 and everything else (the static split), then the engine
//                 moves chips by the hour within each side only
//   greedy        no optimisation: every hour, floors first on their most
//                 efficient chips, then serving by price on the highest
//                 throughput, then the remaining bids by value
//
// Determinism: the result depends only on the spec, the options and the
// seeds (scenario seed; failures use options.seed). Wall-clock timings are
// kept apart in SimProfile and never written to run outputs.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/ledger.h"
#include "model/fleet.h"
#include "simulate/demand.h"
#include "simulate/failures.h"
#include "util/status.h"

namespace fungible {

enum class Policy { kFungible, kStatic, kNoRepurpose, kGreedy };
const char* PolicyName(Policy p);  // "fungible", "static", "no-repurpose", "greedy"
// One policy name, or "all" (every policy, fungible first). Errors list the names.
StatusOr<std::vector<Policy>> ParsePolicies(std::string_view text);

struct SimulateOptions {
  UtcSeconds start = 0;        // 0 = fleet.simulate.start, else the forecast's start month
  int months = 12;             // run length in calendar months
  int hours = 0;               // > 0: run length in hours instead (tests)
  DemandChoice demand;         // the demand choice (flag --scenario; docs/glossary.md)
  std::string token_mix_file;  // trace demand: Azure request trace for tokens per request
  std::vector<Policy> policies = {Policy::kFungible};
  // Seed of failures (and the stream of everything random that is not the
  // demand scenario). Default: the spec's forecast seed.
  std::optional<std::uint64_t> seed;
  bool random_failures = true;  // draw failures from MTBF/MTTR
  std::vector<InjectedFailure> injected_failures;
  double mip_time_limit_s = 20;  // per re-solve, when gangs are integer
  // Overrides of the spec's simulate block.
  std::optional<int> resolve_every_hours;
  std::optional<int> horizon_hours;
  std::optional<int> period_hours;
  std::optional<bool> integer_gangs;
  // Threads for the re-solves (0 = all hardware threads). Results never
  // depend on it: each re-solve depends only on what is known at its hour.
  int threads = 0;
  // Called after each re-solve of a policy (done of total), one call at a
  // time from whichever thread finished it: progress for the CLI. Never
  // changes the result.
  std::function<void(Policy policy, int done, int total)> on_resolve;
};

struct SimEvent {
  UtcSeconds at = 0;
  std::string kind;     // launch, landing, contract_start, contract_end, failure, repair, resolve, infeasible
  std::string subject;  // model, pool or policy
  std::string detail;
};

// A floor window of a class, as realised.
struct FloorOutcome {
  std::string workload;
  UtcSeconds start = 0;
  int hours = 0;
  double required_effective_chip_hours = 0;
  double achieved_effective_chip_hours = 0;  // productive (lost work removed)
  // Why a window fell short: work lost to failures back to the last
  // checkpoint, and the most the chips that were up (failures realised) could
  // have given the class alone in the window.
  double lost_effective_chip_hours = 0;
  double up_capacity_effective_chip_hours = 0;
  bool met() const { return achieved_effective_chip_hours >= required_effective_chip_hours * (1 - 1e-9); }
  double shortfall() const {
    return std::max(0.0, required_effective_chip_hours - achieved_effective_chip_hours);
  }
  double attainment() const {
    return required_effective_chip_hours > 0
               ? std::min(1.0, achieved_effective_chip_hours / required_effective_chip_hours)
               : 1.0;
  }
  // "" when met; else "capacity" (the chips up could not give it),
  // "failures" (it had the chips, failures took the work) or "allocation"
  // (the policy gave it less than the chips up allowed).
  std::string cause() const;
  std::string Explain() const;  // one sentence: window, shortfall, cause
};

struct PolicySummary {
  double revenue_usd = 0;
  double demand_output_tokens = 0;
  double served_output_tokens = 0;
  double unserved_share = 0;  // 1 - served / demand
  int floor_windows = 0;
  int floor_windows_met = 0;
  double floor_attainment = 1;  // mean over windows of min(1, achieved / required)
  double paid_chip_hours = 0;
  double allocated_chip_hours = 0;
  double utilization = 0;     // allocated / paid
  double chips_switched = 0;  // chips moved into a workload between consecutive hours
  double switch_cost_usd = 0;
  double lost_effective_chip_hours = 0;
  double contract_cost_usd = 0;
  double value_now_usd = 0;
  double value_within_usd = 0;
  double value_all_up_usd = 0;
  double roc_now = 0;
  double roc_within = 0;
  double roc_all_up = 0;
  int resolves = 0;
  int event_resolves = 0;       // decisions in the hour a failure started or ended
  int infeasible_resolves = 0;  // re-solved with floors as top bids
  int failures = 0;
};

// Wall-clock seconds per phase (not deterministic; never in run outputs).
struct SimProfile {
  double scenario_seconds = 0;      // demand paths (shared by the policies)
  double build_seconds = 0;         // instances for the engine (summed over threads)
  double solve_seconds = 0;         // inside Solve() (summed over threads)
  double resolve_wall_seconds = 0;  // wall time of all re-solves (threads in parallel)
  double disaggregate_seconds = 0;  // spreading chip-type plans over pools
  double unplaced_chip_hours = 0;   // planned per chip type, but fitting no pool (gang packing)
  double greedy_seconds = 0;
  double apply_seconds = 0;  // realising hours, serving, bids, failures
  double ledger_seconds = 0;
  double total_seconds = 0;
  int lp_rows_max = 0;
  int lp_columns_max = 0;
};

struct PolicyRun {
  Policy policy = Policy::kFungible;
  LedgerReport ledger;
  // [m][hour]: tokens demanded and served, and revenue.
  std::vector<std::vector<double>> demand_output_tokens;
  std::vector<std::vector<double>> served_output_tokens;
  std::vector<std::vector<double>> revenue_usd;
  std::vector<double> chips_switched;  // [hour]
  std::vector<FloorOutcome> floors;
  std::vector<SimEvent> events;  // this policy's re-solves with the shared events, by time
  PolicySummary summary;
  SimProfile profile;
};

// Fungible against static: what moving chips by the hour is worth.
struct FungibilityValue {
  double revenue_usd = 0;  // fungible - static
  double revenue_pct = 0;  // of static's revenue
  double value_all_up_usd = 0;
  double value_all_up_pct = 0;
  double roc_all_up_points = 0;  // difference of returns on compute
  double switch_cost_usd = 0;    // extra cost of moving chips (fungible - static)
  double net_revenue_usd = 0;    // revenue_usd - switch_cost_usd
};

struct SimulationResult {
  std::string fleet_name;
  std::string spec_file;
  std::string scenario;  // as given
  std::uint64_t seed = 0;
  UtcSeconds start = 0;
  int hours = 0;
  SimulateSettings settings;  // as used (overrides applied)
  std::vector<std::string> model_ids;
  std::vector<RealisedLaunch> launches;
  std::vector<HourlyRecalibration> hourly_recalibration;  // random scenarios: the noise's band factors drawn
  TraceReplay trace;
  std::vector<FailureEvent> failures;
  std::vector<PolicyRun> runs;                  // in the order asked
  std::optional<FungibilityValue> fungibility;  // when fungible and static both ran
  double scenario_seconds = 0;
};

// Runs every policy in options.policies over the same demand and failures.
// Errors: bad options (located or named), a spec whose demand does not
// compile, a solver failure.
StatusOr<SimulationResult> Simulate(const Fleet& fleet, const SimulateOptions& options);

}  // namespace fungible

// The chip-hour ledger: every chip-hour a contract pays for is attributed to a
// pool (and so a chip type), and to a workload class (and so a team) or to
// idle or down; it is costed at the contract price and valued by what it
// earned, over three horizons:
//
//   now     serving revenue when earned; research and internal use by their bids
//   within  + model development credited for launches realised within
//             LedgerOptions::value_horizon_hours of the work
//   all-up  + every launch credit, and model development with no launch to
//             credit valued by its bids
//
// Return on compute = value / full cost (idle and down chips included).
//
// Model development: the work of the hour [t, t + 1h) feeds the first launch
// L at least `lag` after it is done: d_L >= t + 1h + lag. L's credit
// (LaunchCredit::credit_usd, a share of the revenue uplift the launch brings)
// is spread over the productive H100-equivalent chip-hours of model
// development that feed it. Its window is the hours [d_{L-1} - lag, d_L - lag)
// (the first launch: [run start - lag, d_0 - lag));
// where the run covers only part of it, the work outside is assumed to run at
// the observed rate, so an hour earns credit_L / (observed chip-hours x
// window hours / observed hours).
//
// Conservation (checked on every Record, tested): per pool and hour,
// sum over workloads + idle + down = chips paid for; cost attributed =
// contract spend; value summed over teams = total value.
#pragma once

#include <string>
#include <vector>

#include "model/fleet.h"
#include "model/return_on_compute.h"
#include "util/status.h"

namespace fungible {

// What the ledger attributes to.
struct LedgerLayout {
  struct PoolInfo {
    std::string id;
    std::string chip_type;
    double usd_per_chip_hour = 0;  // contract price
    std::string contract;          // Contract::id
  };
  struct WorkloadInfo {
    std::string id;
    WorkloadKind kind = WorkloadKind::kResearch;
    std::string team;   // "" = none
    std::string model;  // kServe: the model it serves; "" otherwise
  };
  std::vector<PoolInfo> pools;
  std::vector<WorkloadInfo> workloads;

  int num_pools() const { return static_cast<int>(pools.size()); }
  int num_workloads() const { return static_cast<int>(workloads.size()); }
  // Rows of a pool: its workloads, then idle, then down.
  int num_rows() const { return num_workloads() + 2; }
  int idle_row() const { return num_workloads(); }
  int down_row() const { return num_workloads() + 1; }
  // "idle", "down" or the workload id / team ("" for idle and down).
  std::string RowName(int row) const;
  std::string RowTeam(int row) const;
};

// Pools and workload classes of `fleet`, in spec order.
LedgerLayout LedgerLayoutFromFleet(const Fleet& fleet);

// A launch model development is credited for.
struct LaunchCredit {
  UtcSeconds date = 0;
  std::string model;
  double demand_multiplier = 1.0;  // as realised
  double credit_usd = 0;           // total credit for the work that fed it (>= 0)
};

struct LedgerOptions {
  UtcSeconds start = 0;  // first hour of the run
  int hours = 0;         // hours in the run
  double model_development_lag_hours = 0;
  double value_horizon_hours = 6 * 730.0;  // the middle horizon
  std::vector<LaunchCredit> launches;      // any order
};

// One realised hour. Per-pool vectors have num_pools entries; per-cell ones
// num_pools * num_workloads, cell (p, w) at p * num_workloads + w.
struct LedgerHour {
  std::vector<double> paid_chips;       // chips paid for: landed and under contract
  std::vector<double> up_chips;         // chips up (<= paid): availability and failures removed
  std::vector<double> chips;            // allocated; sum over w <= up_chips[p]
  std::vector<double> effective_chips;  // H100-equivalent chips doing work (>= 0)
  std::vector<double> revenue_usd;      // serving revenue earned this hour
  std::vector<double> bid_value_usd;    // value by the class's bids this hour
  // Work done in earlier hours that a failure this hour destroyed (back to the
  // last checkpoint), and the bid value it had earned.
  std::vector<double> lost_effective_chip_hours;
  std::vector<double> lost_bid_value_usd;
  // Serving cells: output tokens served this hour, and the tokens the cell's
  // chips could have served (chips x tokens per chip-hour at this hour's
  // efficiency); served <= capacity.
  std::vector<double> served_output_tokens;
  std::vector<double> capacity_output_tokens;

  // Sizes every vector for `layout`, zero-filled.
  void Reset(const LedgerLayout& layout);
};

// One ledger row over a period: a (pool, row) cell, or a sum of cells.
struct LedgerCell {
  double chip_hours = 0;
  double effective_chip_hours = 0;       // gross
  double lost_effective_chip_hours = 0;  // destroyed by failures
  double cost_usd = 0;
  double revenue_usd = 0;                // serving, realised now
  double bid_value_usd = 0;              // research and internal (net of lost work), realised now
  double launch_credit_within_usd = 0;   // model development, launch within the middle horizon
  double launch_credit_beyond_usd = 0;   // model development, launch later
  double model_development_bid_usd = 0;  // model development with no launch to credit, by bids
  double served_output_tokens = 0;       // not a value: serving output tokens behind revenue_usd
  double capacity_output_tokens = 0;     // what the cell's serving chips could have served

  double value_now_usd() const { return revenue_usd + bid_value_usd; }
  double value_within_usd() const { return value_now_usd() + launch_credit_within_usd; }
  double value_all_up_usd() const {
    return value_within_usd() + launch_credit_beyond_usd + model_development_bid_usd;
  }
  void Add(const LedgerCell& o);
};

// Return on compute of one group (team, chip type, workload, or all).
struct RocLine {
  std::string key;
  double chip_hours = 0;
  double cost_usd = 0;
  double value_now_usd = 0;
  double value_within_usd = 0;
  double value_all_up_usd = 0;
  // model/return_on_compute.h over the three horizons of value.
  double roc_now() const { return ReturnOnCompute(value_now_usd, cost_usd); }
  double roc_within() const { return ReturnOnCompute(value_within_usd, cost_usd); }
  double roc_all_up() const { return ReturnOnCompute(value_all_up_usd, cost_usd); }
};

// Fleet totals of one hour (the hourly series).
struct LedgerHourTotals {
  double paid_chips = 0;
  double up_chips = 0;
  double allocated_chips = 0;
  double idle_chips = 0;  // up, not allocated
  double down_chips = 0;  // paid, not up
  double effective_chips = 0;
  double cost_usd = 0;
  double revenue_usd = 0;
  double bid_value_usd = 0;
};

struct LaunchCreditResult {
  LaunchCredit launch;
  UtcSeconds window_start = 0;  // (window_start, window_end]: the work that feeds it
  UtcSeconds window_end = 0;
  double observed_effective_chip_hours = 0;  // productive model development in the run, in the window
  double observed_hours = 0;                 // hours of the window inside the run
  double usd_per_effective_chip_hour = 0;    // 0 when nothing in the run feeds it
  double credited_usd = 0;                   // what the run's chip-hours received
};

struct LedgerPeriod {
  UtcSeconds start = 0;           // first instant of the day or month (clipped to the run)
  int hours = 0;                  // hours of the run in it
  std::vector<LedgerCell> cells;  // months: [p * num_rows + row]; days: [row] (fleet-wide)
};

struct LedgerReport {
  LedgerLayout layout;
  LedgerOptions options;
  std::vector<LedgerHourTotals> hours;  // [hour]
  std::vector<LedgerPeriod> days;       // fleet-wide rows
  std::vector<LedgerPeriod> months;     // pool x row cells
  std::vector<LaunchCreditResult> launch_credits;

  RocLine total;
  std::vector<RocLine> by_team;       // teams in first-seen order, then "(idle)" and "(down)"
  std::vector<RocLine> by_chip_type;  // full cost: idle and down on that chip type included
  std::vector<RocLine> by_workload;   // workloads, then idle and down

  // Sum of every pool's cells of month m by row (size num_rows).
  std::vector<LedgerCell> MonthByRow(size_t m) const;
  // Every cell of the run summed.
  LedgerCell Total() const;
};

// Accumulates hours in order, then values model development and sums up.
// Not thread-safe.
class Ledger {
 public:
  Ledger(LedgerLayout layout, LedgerOptions options);

  // Records hour `hour_index` (0-based from options.start, each once, in
  // order). Returns kInternal when the hour breaks conservation (allocated
  // above up, up above paid, negative or non-finite values) or has the wrong
  // sizes: a bug in the caller, never bad input.
  Status Record(int hour_index, const LedgerHour& hour);

  // REQUIRES: every hour recorded. Values model development by launch and
  // returns the report.
  StatusOr<LedgerReport> Finish();

 private:
  int TargetOf(UtcSeconds t) const;  // index into targets_, or -1

  LedgerLayout layout_;
  LedgerOptions options_;
  int next_hour_ = 0;
  UtcSeconds first_midnight_ = 0;      // midnight of the first day
  std::vector<LaunchCredit> targets_;  // by date, same-date launches merged
  std::vector<LedgerHourTotals> hours_;
  std::vector<LedgerPeriod> days_;
  std::vector<LedgerPeriod> months_;
  // Productive model development effective chip-hours per target, split by
  // whether the launch falls within the middle horizon: [period][cell][target].
  std::vector<std::vector<std::vector<double>>> month_feed_within_, month_feed_beyond_;
  std::vector<std::vector<std::vector<double>>> day_feed_within_, day_feed_beyond_;
  std::vector<double> target_observed_;        // effective chip-hours per target
  std::vector<double> target_observed_hours_;  // run hours in each target's window
};

}  // namespace fungible

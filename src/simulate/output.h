// What `fungible simulate` writes: the hourly series aggregated to days and
// months, the ledger, the event log and the comparison of policies, as text
// (stage code never touches files; the CLI writes them).
//
// A run directory:
//   run.json              settings, and per policy: summary, return on compute
//                         (total, by team, chip type, workload), launch
//                         credits, months (with models, pools, workloads) and
//                         days; the value of fungibility. `fungible review`
//                         reads it.
//   compare.csv           one row per policy: the side-by-side summary
//   <policy>/monthly.csv  one row per month
//   <policy>/daily.csv    one row per day
//   <policy>/ledger.csv   month x pool x workload (idle and down included)
//   <policy>/events.log   launches, landings, failures, repairs, re-solves
//   <policy>/floors.csv   every floor window: required, achieved, attainment,
//                         work lost to failures, what the chips up could give,
//                         and the cause of a shortfall (run.json lists the
//                         short windows with a sentence each)
//
// Every byte depends only on the simulation's inputs: same seed, same files.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ledger/review.h"
#include "simulate/simulate.h"

namespace fungible {

// Months of one policy's run.
std::vector<MonthFigures> MonthlyFigures(const SimulationResult& sim, const PolicyRun& run);

// Every file of the run directory, by relative path, in a fixed order.
std::vector<std::pair<std::string, std::string>> RenderRunFiles(const SimulationResult& sim);

// run.json alone.
std::string RunJson(const SimulationResult& sim);

// What `fungible review` needs from run.json.
struct RunRecord {
  std::string fleet_name;
  std::string scenario;
  std::uint64_t seed = 0;
  std::vector<std::string> policies;
  std::vector<std::vector<MonthFigures>> months;  // [policy][month]
};

// Parses run.json text; `name` stands for the file in messages. Errors: not
// JSON, or not a fungible run (missing fields are named).
StatusOr<RunRecord> ParseRunJson(const std::string& text, const std::string& name);

}  // namespace fungible

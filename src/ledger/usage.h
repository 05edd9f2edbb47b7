// The month a fleet really ran, from `fungible serve`'s store: jobs' real
// chip-hours by team, workload, pool and chip type; tokens served by team and
// model (POST /v1/usage/tokens) and their revenue at the spec's prices; and
// utilization by pool (used chip-hours over the pool's chip-hours in the month).
//
// Attribution: a run's chip-hours count in the month where they were spent
// (its [started_at, ended_at) clipped to the month, times its chips); a job
// requeued earlier counts the chip-hours of its earlier runs (used_chip_hours
// less the last run) at its last run's start. A token report counts in the
// month its interval starts in.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"
#include "util/time.h"

namespace fungible {

// One job as the store has it (inputs, so the ledger needs no store).
struct JobUse {
  std::string id;
  std::string team;
  std::string workload;
  std::string pool;
  std::string chip_type;
  int chips = 0;
  UtcSeconds started_at = 0;  // of its last (or current) run
  UtcSeconds ended_at = 0;    // 0 = still running (counted up to `now`)
  double chip_hours = 0;      // every run, as recorded (0 when running: from the times)
};

struct TokenReport {
  std::string team;
  std::string model;
  std::string pool;
  UtcSeconds from = 0;
  UtcSeconds to = 0;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t cached_input_tokens = 0;
};

struct UsageMonth {
  std::string month;  // YYYY-MM
  int hours = 0;
  struct ChipHours {
    std::string team, workload, pool, chip_type;
    int jobs = 0;
    double chip_hours = 0;
  };
  std::vector<ChipHours> chip_hours;  // by (team, workload, pool, chip type)
  struct Tokens {
    std::string team, model;
    std::int64_t input_tokens = 0, output_tokens = 0, cached_input_tokens = 0;
    double revenue_usd = 0;  // at the spec's prices; 0 for a model the spec does not list
  };
  std::vector<Tokens> tokens;  // by (team, model)
  struct PoolUse {
    std::string pool, chip_type;
    int chips = 0;
    double capacity_chip_hours = 0;  // chips x hours of the month
    double used_chip_hours = 0;
    double utilization() const { return capacity_chip_hours > 0 ? used_chip_hours / capacity_chip_hours : 0; }
  };
  std::vector<PoolUse> pools;  // every pool of the spec, then any other the jobs ran on
  double total_chip_hours = 0;
  std::int64_t output_tokens = 0;
  double revenue_usd = 0;
};

// Errors (kInvalidArgument): a malformed month.
StatusOr<UsageMonth> ReviewUsage(const Fleet& fleet, const std::vector<JobUse>& jobs,
                                 const std::vector<TokenReport>& tokens, const std::string& month,
                                 UtcSeconds now);

// [start, end) of "YYYY-MM" in UTC.
StatusOr<std::pair<UtcSeconds, UtcSeconds>> MonthBounds(const std::string& month);

}  // namespace fungible

// Pool-level failures and repairs in virtual time: drawn from each pool's
// MTBF and MTTR (exponential times, seeded per pool so that adding a pool
// never changes another's failures), plus failures injected at known hours.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// A failure a user asks for: `fraction` of `pool`'s chips down for `hours`
// hours from the hour starting at `at`.
struct InjectedFailure {
  std::string pool;
  UtcSeconds at = 0;
  int hours = 1;
  double fraction = 1.0;  // (0, 1]
};

// Parses "POOL@TIME+HOURS" or "POOL@TIME+HOURS*FRACTION", e.g.
// "h100-east@2027-01-03T10:00Z+6" or "b200@2027-02-01+24*0.5".
StatusOr<InjectedFailure> ParseInjectedFailure(const std::string& text);

struct FailureEvent {
  int pool = 0;        // index into fleet.pools
  int start_hour = 0;  // first hour down (0-based from the run start)
  int end_hour = 0;    // first hour repaired (exclusive end)
  double fraction = 1.0;
  bool injected = false;
};

// Failures over hours [0, hours) from `start`, by start hour. Random ones come
// from pools with mtbf_hours > 0: time to failure ~ Exp(mtbf), repair time ~
// Exp(mttr) rounded up to whole hours (at least 1); the clock restarts after a
// repair. Errors: an injected failure names an unknown pool, lies outside the
// run, or has hours < 1 or a fraction outside (0, 1].
StatusOr<std::vector<FailureEvent>> ScheduleFailures(const Fleet& fleet, UtcSeconds start, int hours,
                                                     std::uint64_t seed,
                                                     const std::vector<InjectedFailure>& injected);

}  // namespace fungible

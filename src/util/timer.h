// The one elapsed-time helper: wall seconds on the steady clock, for profiles
// and solve timings. Timings never enter outputs that must be identical from
// run to run.
#pragma once

#include <chrono>

namespace fungible {

using SteadyClock = std::chrono::steady_clock;

// Seconds from t0 (a SteadyClock::now()) to now.
inline double SecondsSince(SteadyClock::time_point t0) {
  return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

}  // namespace fungible

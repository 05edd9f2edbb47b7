#include "util/timer.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

TEST(SecondsSince, CountsInSecondsFromAnEarlierPointOnTheSteadyClock) {
  // The steady clock never goes back: two seconds before now is at least two
  // seconds ago, and now is never in the future.
  const SteadyClock::time_point now = SteadyClock::now();
  EXPECT_GE(SecondsSince(now), 0.0);
  EXPECT_GE(SecondsSince(now - std::chrono::seconds(2)), 2.0);
  EXPECT_GE(SecondsSince(now - std::chrono::milliseconds(1500)), 1.5);
}

}  // namespace
}  // namespace fungible

// The re-solves of a policy run (simulate/ only): what each decided and how
// its chips per chip type are spread back over the pools.
#pragma once

#include <string>
#include <vector>

#include "simulate/internal/world.h"

namespace fungible::simulate_internal {

// What a re-solve decided for [h0, h0 + K): chips per chip type, workload
// and period, and for no-repurpose each pool's chips reserved for serving. A
// pure function of what is known at h0 (demand observed so far, capacity with
// the failures under repair), not of earlier decisions, so re-solves can run
// on several threads and still give the same result.
struct Decision {
  Status status;
  int h0 = 0;                                         // first hour it applies to
  int hours = 0;                                      // hours it applies to (until the next re-solve)
  bool event = false;                                 // a re-solve in the hour a failure started
  int lp_hours = 0;                                   // the horizon it planned
  std::vector<std::vector<std::vector<int>>> totals;  // [a][w][t]
  int period = 1;
  std::vector<int> serve_quota;  // [p]; empty = none
  std::vector<SimEvent> events;
  SimProfile prof;
  int resolves = 0;
  int infeasible = 0;
};

// What a re-solve knows of the floors beyond capacity and demand, all of it
// known at h0. A re-solve in the hour a failure starts or ends (an event
// re-solve) plans until the next regular re-solve hour (`lp_hours`), all of
// it one floor window, and makes up what the floor windows open at h0 are behind:
// the hours of the window before h0 that the same block's decisions planned
// short of the floor, and the work the failure took back to the checkpoint.
// Empty = a regular re-solve.
struct FloorCarry {
  int lp_hours = 0;                                 // 0 = the regular horizon and floor windows
  std::vector<double> class_effective_chip_hours;   // [w], added to its first floor window
  std::vector<double> shared_effective_chip_hours;  // [g], likewise for floors classes share
  std::string why;                                  // for the events log
};

// The decision of `policy` (fungible, static or no-repurpose) for hours
// h0 .. h0 + K - 1: out's totals, period, quota, events, profile and counts.
// `carry` (may be null) for event re-solves.
Status Replan(const World& wd, Policy policy, int h0, int K, const FloorCarry* carry, Decision& out);

// Spreads the engine's chips per chip type over that type's pools, hour by
// hour, changing as little as possible from the hour before: every class
// first keeps the chips it had on each pool (as far as the new totals and the
// pool's chips up allow), then the rest go to pools with room, in spec order.
// Gangs move as whole gangs. `serve_quota` (no-repurpose: chips of each pool
// reserved for serving, -1 = none) keeps serving and the rest on their sides.
// totals[a][w][t]; plan[(p * W + w) * K + k] for hours h0 .. h0 + K - 1.
// Returns the chip-hours it could not place (whole gangs that fit no pool).
long Disaggregate(const World& wd, const std::vector<std::vector<std::vector<int>>>& totals, int period,
                  int h0, int K, const std::vector<int>& serve_quota, const std::vector<int>& before,
                  std::vector<int>& plan);

}  // namespace fungible::simulate_internal

// The simulated world every policy shares (simulate/ only): the run's
// settings, the demand, capacity and failures hour by hour, the engine's
// view of pools and workloads, the shared events and the ledger layout.
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "allocate/instance.h"
#include "ledger/ledger.h"
#include "simulate/simulate.h"
#include "util/status.h"
#include "util/timer.h"

namespace fungible::simulate_internal {

// Everything the policies share: the demand, capacity and failures hour by
// hour, throughput per pool, efficiencies.
struct World {
  const Fleet* fleet = nullptr;
  SimulateSettings st;
  UtcSeconds start = 0;
  int hours = 0;  // run
  int num_pools = 0, num_workloads = 0, num_models = 0;
  double mip_time_limit_s = 20;
  int threads = 1;
  std::function<void(Policy, int, int)> on_resolve;  // progress (SimulateOptions::on_resolve)
  double serving_z = 0;                              // standard-normal score of settings.serving_quantile
  DemandPaths paths;                                 // hours + horizon
  std::vector<FailureEvent> failures;
  std::vector<std::vector<double>> paid;      // [p][h], h < hours + horizon
  std::vector<std::vector<int>> base_cap;     // [p][h]: floor(PoolCapacityAt)
  std::vector<std::vector<int>> failed;       // [p][h]: chips down by failures (realised)
  std::vector<std::vector<double>> base_tps;  // [m][p]: spec tokens/s per chip (0 = cannot serve)
  AllocationInstance shape;                   // the engine's view of pools and workloads (efficiency, gangs)
  std::vector<std::vector<double>> eff;       // [w][p]: effective H100-eq per chip (0 = ineligible)
  std::vector<std::vector<GangFit>> fit;      // [w][p]
  std::vector<int> served_model;              // [w]: model index or -1
  // The engine sees one pool per chip type (pools of a type are
  // interchangeable to the LP); plans are spread back over pools stably.
  std::vector<int> agg_of;                    // [p]: aggregate index
  std::vector<std::vector<int>> agg_members;  // [a]: pools, in spec order
  int num_aggs = 0;
  // The engine's pools: per chip type, its whole interconnect domains (pool
  // by pool) and, where gangs run on that type, the chips left over in
  // partial domains as a second pool gangs cannot use. So the LP counts the
  // domains the pools really have, not those of their sum.
  struct EnginePool {
    int agg = 0;
    bool partial_domains = false;
  };
  std::vector<EnginePool> engine;
  int num_engine_pools = 0;
  std::vector<SimEvent> events;  // shared, by time
  LedgerLayout layout;
  LedgerOptions ledger_options;

  UtcSeconds TimeOf(int h) const { return start + static_cast<UtcSeconds>(h) * kSecondsPerHour; }
  int Up(int p, int h) const { return std::max(0, base_cap[p][h] - failed[p][h]); }
  // Up as known at hour h0: failures that began by h0 are known with their
  // repair time; later ones are not.
  int KnownUp(int p, int h, int h0) const {
    int down = 0;
    for (const auto& f : failures) {
      if (f.pool != p || f.start_hour > h0 || f.end_hour <= h) continue;
      if (f.start_hour > h) continue;
      down = std::max(down, static_cast<int>(std::llround(f.fraction * base_cap[p][h])));
    }
    return std::max(0, base_cap[p][h] - down);
  }
};

// The run's settings, start and length from the spec and the options,
// checked: the first part of Simulate().
Status SetUpWorld(const Fleet& fleet, const SimulateOptions& o, World& wd);
// The rest of the world after SetUpWorld: demand paths, failures, capacity
// hour by hour, the engine's view, shared events and the ledger options; the
// demand and failures also go to `res`.
Status BuildWorld(const Fleet& fleet, const SimulateOptions& o, World& wd, SimulationResult& res);

}  // namespace fungible::simulate_internal

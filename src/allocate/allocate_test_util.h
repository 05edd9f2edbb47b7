// Small builders shared by the allocation tests: hand-made instances and a
// seeded generator of random fleets.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "allocate/allocate.h"

namespace fungible::testing_util {

inline AllocationInstance::PoolIn MakePool(const std::string& id, std::vector<double> cap, int domain = 1,
                                           double usd_per_chip_hour = 2.0) {
  AllocationInstance::PoolIn p;
  p.id = id;
  p.chip_type = "chip-" + id;
  p.interconnect_domain_chips = domain;
  p.capacity_chips = std::move(cap);
  p.usd_per_chip_hour = usd_per_chip_hour;
  return p;
}

inline AllocationInstance Skeleton(int periods, double hours = 1.0) {
  AllocationInstance inst;
  for (int t = 0; t < periods; ++t)
    inst.periods.push_back(
        {1799020800 + static_cast<UtcSeconds>(t * hours * 3600), hours});  // 2027-01-04T00:00Z
  return inst;
}

// A workload with the same efficiency on every pool.
inline AllocationInstance::WorkloadIn MakeWorkload(const std::string& id, WorkloadKind kind, int pools,
                                                   double eff = 1.0) {
  AllocationInstance::WorkloadIn w;
  w.id = id;
  w.kind = kind;
  w.efficiency.assign(pools, eff);
  return w;
}

// A serving class for model `m`: eligible wherever the model has throughput.
inline AllocationInstance::WorkloadIn MakeServe(const std::string& id, int m, int pools) {
  AllocationInstance::WorkloadIn w;
  w.id = id;
  w.kind = WorkloadKind::kServe;
  w.served_model = m;
  w.efficiency.assign(pools, std::nullopt);
  return w;
}

inline AllocationInstance::ModelIn MakeModel(const std::string& id, double usd_per_token,
                                             std::vector<double> tps, std::vector<double> demand) {
  AllocationInstance::ModelIn m;
  m.id = id;
  m.usd_per_output_token = usd_per_token;
  m.output_tokens_per_s_per_chip = std::move(tps);
  m.demand_output_tokens = std::move(demand);
  return m;
}

struct RandomFleetOptions {
  int min_pools = 2, max_pools = 5;
  int min_workloads = 2, max_workloads = 6;
  int min_periods = 3, max_periods = 16;
  bool gangs = true;
  bool floors = true;
  bool hard_floors = false;  // some floors may exceed what the fleet can give
};

// A random fleet: pools of mixed domain sizes and ramps, serving models with
// a diurnal demand, classes with bids, some floors (feasible unless
// hard_floors) and some gangs. Same seed, same instance.
inline AllocationInstance RandomInstance(std::uint64_t seed, const RandomFleetOptions& o = {}) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  const int P = pick(o.min_pools, o.max_pools);
  const int W = pick(o.min_workloads, o.max_workloads);
  const int T = pick(o.min_periods, o.max_periods);
  const double hours = pick(0, 3) == 0 ? 2.0 : 1.0;
  AllocationInstance inst = Skeleton(T, hours);
  const int domains[] = {1, 4, 8, 8, 16, 72};
  for (int p = 0; p < P; ++p) {
    int base = pick(4, 200);
    std::vector<double> cap;
    bool ramp = pick(0, 3) == 0;
    for (int t = 0; t < T; ++t) {
      double c = base;
      if (ramp) c = std::floor(base * std::min(1.0, 0.4 + 0.6 * t / std::max(1, T - 1)));
      cap.push_back(c);
    }
    inst.pools.push_back(MakePool("pool" + std::to_string(p), cap, domains[pick(0, 5)], uni(1.0, 4.0)));
  }
  const int M = pick(1, 2);
  for (int m = 0; m < M; ++m) {
    std::vector<double> tps, demand;
    double fleet_tokens = 0;
    for (int p = 0; p < P; ++p) {
      double v = pick(0, 4) == 0 ? 0.0 : uni(500, 6000);
      tps.push_back(v);
      fleet_tokens += v * 3600 * hours * inst.pools[p].capacity_chips[0];
    }
    for (int t = 0; t < T; ++t)
      demand.push_back(fleet_tokens * uni(0.05, 0.6) * (1.0 + 0.5 * std::sin(t * 0.8)));
    inst.models.push_back(MakeModel("model" + std::to_string(m), uni(0.5, 8.0) * 1e-6, tps, demand));
  }
  for (int w = 0; w < W; ++w) {
    AllocationInstance::WorkloadIn wl;
    wl.id = "class" + std::to_string(w);
    if (w < M) {
      wl = MakeServe("serve" + std::to_string(w), w, P);
    } else {
      wl.kind = pick(0, 1) ? WorkloadKind::kResearch : WorkloadKind::kPretrain;
      for (int p = 0; p < P; ++p)
        wl.efficiency.push_back(pick(0, 3) == 0 ? std::optional<double>()
                                                : std::optional<double>(uni(0.5, 2.5)));
      int steps = pick(0, 3);
      double value = uni(1.0, 12.0);
      for (int k = 0; k < steps; ++k) {
        wl.bids.push_back({uni(5, 150), value});
        value *= uni(0.3, 0.9);
      }
      if (o.gangs && wl.kind == WorkloadKind::kPretrain && pick(0, 1) == 0)
        wl.gang_size_chips = pick(1, 3) * 4 * pick(1, 4);
      if (o.floors && pick(0, 2) == 0) {
        // Feasible by construction unless hard_floors: a fraction of the
        // smallest capacity it could get on its best eligible pool.
        double best = 0;
        for (int p = 0; p < P; ++p)
          if (wl.efficiency[p]) {
            double mincap = 1e18;
            for (double c : inst.pools[p].capacity_chips) mincap = std::min(mincap, c);
            int d = inst.pools[p].interconnect_domain_chips;
            if (wl.gang_size_chips > 0) {
              int g = wl.gang_size_chips;
              int k = g > d ? (g + d - 1) / d : 0;
              int domains_avail = static_cast<int>(mincap / d);
              double gangs = k > 0 ? domains_avail / k : domains_avail * (d / g);
              mincap = gangs * g;
            }
            best = std::max(best, *wl.efficiency[p] * mincap);
          }
        double share = o.hard_floors ? uni(0.1, 2.0) : uni(0.05, 0.25);
        wl.floor_effective_chips = std::floor(best * share);
        wl.floor_window_periods = pick(0, 2) == 0 ? 0 : pick(1, T);
      }
    }
    inst.workloads.push_back(std::move(wl));
  }
  inst.switch_cost_usd_per_chip = pick(0, 2) == 0 ? 0.0 : uni(0.1, 5.0);
  return inst;
}

}  // namespace fungible::testing_util

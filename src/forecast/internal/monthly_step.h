// The monthly step of the demand model, shared by prior scenarios, posterior
// paths, the compounding table and backtests. Internal to src/forecast.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "forecast/demand_model.h"

namespace fungible::forecast_internal {

// Per-tier constants of the monthly step, flattened for the hot loop.
struct StepCoefficients {
  explicit StepCoefficients(const DemandModel& m) {
    const size_t n = m.tiers.size();
    shock_shared.resize(n);
    shock_own.resize(n);
    drift_shared.resize(n);
    drift_own.resize(n);
    inv_ceiling.resize(n);
    elasticity.resize(n);
    launch_begin.resize(n + 1);
    months = static_cast<size_t>(m.horizon_months) + 1;
    price_offset.assign(n * months, 0.0);
    for (size_t s = 0; s < n; ++s) {
      const TierModel& t = m.tiers[s];
      shock_shared[s] = t.volatility * t.loading;
      shock_own[s] = t.volatility * std::sqrt(std::max(0.0, 1.0 - t.loading * t.loading));
      drift_shared[s] = t.growth_drift_sd * t.loading;
      drift_own[s] = t.growth_drift_sd * std::sqrt(std::max(0.0, 1.0 - t.loading * t.loading));
      any_drift = any_drift || t.growth_drift_sd > 0;
      inv_ceiling[s] = t.has_ceiling() ? 1.0 / t.ceiling_multiple : 0.0;
      elasticity[s] = t.elasticity;
      for (size_t k = 0; k < months && k < t.log_price_factor.size(); ++k)
        price_offset[s * months + k] = t.elasticity * t.log_price_factor[k];
      launch_begin[s] = launch_month.size();
      for (const auto& l : t.launches) launch_month.push_back(l.month);
    }
    launch_begin[n] = launch_month.size();
  }
  std::vector<double> shock_shared;  // sigma * l
  std::vector<double> shock_own;     // sigma * sqrt(1 - l^2)
  std::vector<double> drift_shared;  // d * l: the growth rate's own monthly step
  std::vector<double> drift_own;     // d * sqrt(1 - l^2)
  bool any_drift = false;            // some tier's growth drifts: draw its normals
  std::vector<double> inv_ceiling;   // 1 / C, 0 without a ceiling
  std::vector<double> elasticity;
  size_t months = 0;                 // horizon + 1
  std::vector<double> price_offset;  // [s * months + t]: elasticity_s * P_s[t]
  std::vector<int> launch_month;     // all tiers' launches, tier by tier
  std::vector<size_t> launch_begin;  // tier s owns [launch_begin[s], launch_begin[s+1])
};

// Where a tier's path is already fixed: every month up to `month` is known
// and `x_org` is the organic log multiple (launch and price effects removed)
// at `month`.
struct TierStart {
  int month = 0;
  double x_org = 0;
};

// Reusable per-thread state for SimulatePath.
struct PathScratch {
  std::vector<double> x, jump, growth;
  std::vector<size_t> next_launch;
};

// Simulates one scenario from m.first_month to the horizon. Draws 1 + S
// normals per month whatever the starts (a fixed layout of the stream), so a
// scenario's numbers do not depend on which tiers are pinned; 2 + 2 S when a
// tier's growth drifts (c.any_drift: the shared shock, the shared drift step,
// then per tier its own shock and its own drift step). Calls
// sink(tier, month, log_multiple) for every month t >= 1 after the tier's
// start month, in month order. `growth` (each tier's growth rate for the
// step into the month after its start) and `launch_log` come from
// ParamsFromLatents. With drift, after each simulated month a tier's growth
// rate moves by d_s (l_s v[t] + sqrt(1 - l_s^2) v_s[t]): the next month
// grows at the moved rate.
template <typename NormalFn, typename SinkFn>
inline void SimulatePath(const DemandModel& m, const StepCoefficients& c, const double* growth,
                         const double* launch_log, const TierStart* start, PathScratch& scratch,
                         NormalFn&& normal, SinkFn&& sink) {
  const size_t n = m.tiers.size();
  scratch.x.resize(n);
  scratch.jump.assign(n, 0.0);
  scratch.next_launch.resize(n);
  scratch.growth.assign(growth, growth + n);
  double* g = scratch.growth.data();
  double* x = scratch.x.data();
  double* jump = scratch.jump.data();
  size_t* next = scratch.next_launch.data();
  for (size_t s = 0; s < n; ++s) {
    x[s] = start[s].x_org;
    next[s] = c.launch_begin[s];
  }
  for (int t = m.first_month; t <= m.horizon_months; ++t) {
    const double shared = normal();
    const double shared_step = c.any_drift ? normal() : 0.0;
    for (size_t s = 0; s < n; ++s) {
      const double own = normal();
      const double own_step = c.any_drift ? normal() : 0.0;
      while (next[s] < c.launch_begin[s + 1] && c.launch_month[next[s]] <= t)
        jump[s] += launch_log[next[s]++];
      if (t <= start[s].month) continue;
      double drift = g[s];
      if (c.inv_ceiling[s] > 0) drift *= 1.0 - std::exp(x[s]) * c.inv_ceiling[s];
      x[s] += drift + c.shock_shared[s] * shared + c.shock_own[s] * own;
      if (c.any_drift) g[s] += c.drift_shared[s] * shared_step + c.drift_own[s] * own_step;
      if (t >= 1) sink(s, t, x[s] + jump[s] + c.price_offset[s * c.months + static_cast<size_t>(t)]);
    }
  }
}

}  // namespace fungible::forecast_internal

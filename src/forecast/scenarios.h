// Monte Carlo scenarios of the demand model (see demand_model.h): N paths per
// tier over months 1..horizon, drawn on several threads, reproducible from the
// seed alone. This is the input of the cone, of scenario reduction and of the
// procurement planner.
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

#include "forecast/demand_model.h"

namespace fungible {

// An allocator that leaves doubles uninitialised on resize: a scenario set's
// paths are written in parallel by the threads that draw them, so the first
// touch (and its page faults) is spread over the threads instead of a serial
// zero fill. assign() and value-initialising constructors still fill.
template <typename T>
struct DefaultInitAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {  // NOLINT(readability-identifier-naming): name required by the Allocator requirements
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using PathVector = std::vector<double, DefaultInitAllocator<double>>;

// N equally likely scenarios. Paths are stored as log demand multiples
// (ln of demand over the tier's level at as_of, launches and price effects
// included); MonthlyOutputTokens and MonthlyRevenueUsd turn them into units.
// Layout: one contiguous column of N scenarios per (tier, month), so the
// cone reads columns and the planner reads Value(tier, month, i).
struct ScenarioSet {
  int scenarios = 0;
  int horizon_months = 0;
  int num_tiers = 0;
  std::uint64_t seed = 0;
  PathVector log_multiple;  // [(tier * horizon + month - 1) * scenarios + i]
  // The standard-normal latents each scenario drew (DemandModel::num_latents()
  // per scenario, row i): what the posterior update re-weights and moves.
  std::vector<double> latents;  // [i * num_latents + j]

  // REQUIRES: 0 <= tier < num_tiers, 1 <= month <= horizon_months, 0 <= i < scenarios.
  double LogMultiple(int tier, int month, int i) const { return Column(tier, month)[i]; }
  const double* Column(int tier, int month) const {
    return log_multiple.data() + (static_cast<size_t>(tier) * horizon_months + (month - 1)) * scenarios;
  }
  double* MutableColumn(int tier, int month) {
    return log_multiple.data() + (static_cast<size_t>(tier) * horizon_months + (month - 1)) * scenarios;
  }
};

// Draws options.scenarios scenarios of `model` over model.horizon_months on
// options.threads threads. Scenario i reads only stream (seed, kScenario, i),
// so the set is identical for every thread count.
// REQUIRES: model built by BuildDemandModel with the same options (scenarios >= 1).
ScenarioSet GenerateScenarios(const DemandModel& model, const ForecastOptions& options);

// Output tokens in month t of a serving tier at log multiple `log_multiple`
// (for a class tier: the demand multiple itself).
double MonthlyOutputTokens(const DemandModel& model, int tier, int month, double log_multiple);
// Revenue in USD of that month: tokens x usd_per_output_token x price factor
// of the price changes in effect. 0 for class tiers.
double MonthlyRevenueUsd(const DemandModel& model, int tier, int month, double log_multiple);

// Scenario i's monthly log-growth draw g for `tier` (from its latents).
double ScenarioGrowth(const DemandModel& model, const ScenarioSet& set, int tier, int i);

// Growth g per tier and launch log multipliers (tier by tier, launch by
// launch) implied by one scenario's latents.
void ParamsFromLatents(const DemandModel& model, const double* latents, double* growth, double* launch_log);

}  // namespace fungible

// One demand model for every command: the demand of an allocation window
// taken from the forecast (growth, launches, efficiency multipliers, price
// changes with elasticity) at a stated point of the cone, exactly as
// `simulate` sees the same hours. `allocate`, `serve`'s plan and `export
// kueue` build their instances here; simulate's re-solves apply the same
// paths through ApplyDemandPaths (docs/allocate.md, "Demand").
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "model/fleet.h"
#include "simulate/demand.h"
#include "util/status.h"

namespace fungible {

// Sets the models and bids of `inst` (BuildInstance's, periods of
// `period_hours` from hour h0 of `paths`; pools and models in spec order)
// from the scenario: each model's price and tokens per chip-hour as at hour
// h0, its demand per period the sum of `hour_demand(m, k)` over the period's
// hours (k = hours after h0), and each class's bid quantities scaled by its
// demand multiple at h0.
void ApplyDemandPaths(const DemandPaths& paths, int h0, int period_hours,
                      const std::function<double(int m, int k)>& hour_demand, AllocationInstance& inst);

// Which demand an instance holds, for outputs.
struct WindowDemand {
  std::string source = "forecast";  // where the demand comes from
  std::string point;                // "P50", "P90", "random:7", "trace:FILE"
  std::string description;          // one line for a summary
  int scenarios = 0;                // scenarios behind a quantile path (0 for one drawn scenario)
  std::uint64_t seed = 0;
  std::vector<std::string> model_ids;
  std::vector<double> listed_usd_per_output_token;  // [m]: the spec's price
  std::vector<double> usd_per_output_token;         // [m]: at the window's start (price changes applied)
  std::vector<double> throughput_multiplier;        // [m]: tokens per chip-hour vs the spec, at the start
  std::vector<double> demand_output_tokens;         // [m]: over the window
  std::vector<RealisedLaunch> launches;             // launches in effect by the window's end
};

// BuildInstance for the window, with its demand (tokens per period, prices,
// throughput, class bids) from the scenario `choice` realised over the
// window's hours: what `simulate --scenario` with the same choice realises
// for those hours. Errors as BuildInstance and BuildDemandPaths.
StatusOr<AllocationInstance> BuildForecastInstance(const Fleet& fleet, const AllocateOptions& options,
                                                   const DemandChoice& choice,
                                                   WindowDemand* demand = nullptr);

}  // namespace fungible

// The cone of uncertainty: quantiles of demand and revenue per tier and month
// across scenarios, and the compounding table (what small changes in monthly
// growth do by the horizon).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "forecast/demand_model.h"
#include "forecast/scenarios.h"

namespace fungible {

// P5, P10, P25, P50, P75, P90, P95.
inline constexpr std::array<double, 7> kConeProbabilities = {0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95};
using QuantileRow = std::array<double, 7>;  // by kConeProbabilities

struct TierCone {
  std::string id;
  TierKind kind = TierKind::kServing;
  // Serving: output tokens in the month at the as_of level (level x hours of
  // month 1); class: 1 (the multiple).
  double output_tokens_now = 0;
  // [month - 1]: serving tiers in output tokens per month, class tiers as
  // the demand multiple of today's level.
  std::vector<QuantileRow> output_tokens;
  std::vector<QuantileRow> revenue_usd;  // [month - 1]; empty for class tiers
};

struct Cone {
  std::uint64_t seed = 0;
  int scenarios = 0;
  int horizon_months = 0;
  UtcSeconds start_month = 0;
  std::vector<TierCone> tiers;  // in model order
  // Revenue of all serving tiers together, per scenario, then quantiles
  // (not the sum of the tiers' quantiles). Empty without serving tiers.
  std::vector<QuantileRow> total_revenue_usd;
};

// Quantiles of every tier and month of `set` on `threads` threads; the
// result does not depend on `threads`.
Cone ComputeCone(const DemandModel& model, const ScenarioSet& set, int threads);

// Type-7 quantiles at `probs` of one tier-month in output tokens (class
// tiers: the multiple).
std::vector<double> TokenQuantiles(const DemandModel& model, const ScenarioSet& set, int tier, int month,
                                   std::span<const double> probs);

// One row of the compounding table: the path with no noise, median launch
// multipliers and growth at the prior's median plus `offset_points`
// hundredths of log-growth per month.
struct CompoundingRow {
  double offset_points = 0;             // -2, -1, -0.5, 0, 0.5, 1, 2
  double monthly_log_growth = 0;        // mu + offset / 100
  double output_tokens_at_horizon = 0;  // in the last month (class: the multiple)
  double revenue_usd_at_horizon = 0;    // 0 for class tiers
  double multiple_of_today = 0;         // demand multiple in the last month
  double ratio_to_median_path = 0;      // against the offset-0 row
  double cone_percentile = 0;           // share of scenarios at or below it, in [0, 1]
};

struct TierCompounding {
  std::string id;
  std::vector<CompoundingRow> rows;
};

inline constexpr std::array<double, 7> kCompoundingOffsetsPoints = {-2, -1, -0.5, 0, 0.5, 1, 2};

// The compounding table of every tier at the horizon; cone_percentile places
// each outcome in `set`.
std::vector<TierCompounding> CompoundingTable(const DemandModel& model, const ScenarioSet& set);

}  // namespace fungible

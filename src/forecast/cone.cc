#include "forecast/cone.h"

#include <cmath>

#include "forecast/internal/monthly_step.h"
#include "forecast/internal/parallel.h"
#include "forecast/internal/vector_math.h"
#include "forecast/quantile.h"

namespace fungible {

Cone ComputeCone(const DemandModel& model, const ScenarioSet& set, int threads) {
  using forecast_internal::ParallelFor;
  Cone cone;
  cone.seed = set.seed;
  cone.scenarios = set.scenarios;
  cone.horizon_months = set.horizon_months;
  cone.start_month = model.start_month;
  const int h = set.horizon_months;
  const size_t n = static_cast<size_t>(set.scenarios);
  bool any_serving = false;
  for (int s = 0; s < set.num_tiers; ++s) {
    const TierModel& t = model.tiers[static_cast<size_t>(s)];
    TierCone tc;
    tc.id = t.id;
    tc.kind = t.kind;
    tc.output_tokens_now = MonthlyOutputTokens(model, s, 1, 0.0);
    tc.output_tokens.resize(static_cast<size_t>(h));
    if (t.kind == TierKind::kServing) {
      tc.revenue_usd.resize(static_cast<size_t>(h));
      any_serving = true;
    }
    cone.tiers.push_back(std::move(tc));
  }
  if (any_serving) cone.total_revenue_usd.resize(static_cast<size_t>(h));

  // One column per task: tiers x months, then the total-revenue months.
  const int tier_columns = set.num_tiers * h;
  const int columns = tier_columns + (any_serving ? h : 0);
  ParallelFor(columns, forecast_internal::ResolveThreads(threads), 1,
              [&](std::int64_t begin, std::int64_t end) {
                std::vector<double> scratch(n);
                std::array<QuantileBracket, 7> b;
                for (std::int64_t col = begin; col < end; ++col) {
                  if (col < tier_columns) {
                    const int s = static_cast<int>(col / h), t = static_cast<int>(col % h) + 1;
                    QuantileBrackets(std::span<const double>(set.Column(s, t), n), kConeProbabilities, b);
                    TierCone& tc = cone.tiers[static_cast<size_t>(s)];
                    const TierModel& tier = model.tiers[static_cast<size_t>(s)];
                    // Tokens and revenue are increasing functions of the log multiple.
                    const double unit = MonthlyOutputTokens(model, s, t, 0.0);
                    const double usd =
                        tier.usd_per_output_token * std::exp(tier.log_price_factor[static_cast<size_t>(t)]);
                    for (size_t j = 0; j < b.size(); ++j) {
                      const double tokens = b[j].Apply([unit](double x) { return unit * std::exp(x); });
                      tc.output_tokens[static_cast<size_t>(t - 1)][j] = tokens;
                      if (tier.kind == TierKind::kServing)
                        tc.revenue_usd[static_cast<size_t>(t - 1)][j] = tokens * usd;
                    }
                  } else {
                    const int t = static_cast<int>(col - tier_columns) + 1;
                    std::fill(scratch.begin(), scratch.end(), 0.0);
                    for (int s = 0; s < set.num_tiers; ++s) {
                      const TierModel& tier = model.tiers[static_cast<size_t>(s)];
                      if (tier.kind != TierKind::kServing) continue;
                      forecast_internal::AddScaledExp(set.Column(s, t), MonthlyRevenueUsd(model, s, t, 0.0),
                                                      scratch.data(), n);
                    }
                    QuantileBrackets(scratch, kConeProbabilities, b);
                    for (size_t j = 0; j < b.size(); ++j)
                      cone.total_revenue_usd[static_cast<size_t>(t - 1)][j] = b[j].Value();
                  }
                }
              });
  return cone;
}

std::vector<double> TokenQuantiles(const DemandModel& model, const ScenarioSet& set, int tier, int month,
                                   std::span<const double> probs) {
  std::vector<QuantileBracket> b(probs.size());
  QuantileBrackets(std::span<const double>(set.Column(tier, month), static_cast<size_t>(set.scenarios)),
                   probs, b);
  const double unit = MonthlyOutputTokens(model, tier, month, 0.0);
  std::vector<double> q(probs.size());
  for (size_t j = 0; j < b.size(); ++j) q[j] = b[j].Apply([unit](double x) { return unit * std::exp(x); });
  return q;
}

std::vector<TierCompounding> CompoundingTable(const DemandModel& model, const ScenarioSet& set) {
  using namespace forecast_internal;
  const StepCoefficients coef(model);
  const size_t num_tiers = model.tiers.size();
  std::vector<TierStart> starts(num_tiers);
  for (size_t s = 0; s < num_tiers; ++s) starts[s].month = model.tiers[s].anchor_month;
  std::vector<double> launch_log;
  for (const auto& t : model.tiers)
    for (const auto& l : t.launches) launch_log.push_back(l.log_multiplier_median);
  const int h = model.horizon_months;

  // Noise-free horizon log multiple of every tier for one growth offset.
  auto horizon_log = [&](double offset_points) {
    std::vector<double> growth(num_tiers), last(num_tiers, 0.0);
    for (size_t s = 0; s < num_tiers; ++s) growth[s] = model.tiers[s].growth_mean + offset_points / 100.0;
    PathScratch scratch;
    SimulatePath(
        model, coef, growth.data(), launch_log.data(), starts.data(), scratch, [] { return 0.0; },
        [&](size_t s, int t, double v) {
          if (t == h) last[s] = v;
        });
    return last;
  };

  std::vector<std::vector<double>> by_offset;
  by_offset.reserve(kCompoundingOffsetsPoints.size());
  for (double off : kCompoundingOffsetsPoints) by_offset.push_back(horizon_log(off));
  const size_t median_row = 3;  // offset 0
  std::vector<TierCompounding> table;
  for (size_t s = 0; s < num_tiers; ++s) {
    TierCompounding tc;
    tc.id = model.tiers[s].id;
    const int tier = static_cast<int>(s);
    std::span<const double> column(set.Column(tier, h), static_cast<size_t>(set.scenarios));
    for (size_t k = 0; k < kCompoundingOffsetsPoints.size(); ++k) {
      CompoundingRow r;
      const double x = by_offset[k][s];
      r.offset_points = kCompoundingOffsetsPoints[k];
      r.monthly_log_growth = model.tiers[s].growth_mean + r.offset_points / 100.0;
      r.output_tokens_at_horizon = MonthlyOutputTokens(model, tier, h, x);
      r.revenue_usd_at_horizon = MonthlyRevenueUsd(model, tier, h, x);
      r.multiple_of_today = std::exp(x);
      r.ratio_to_median_path = std::exp(x - by_offset[median_row][s]);
      r.cone_percentile = EmpiricalCdf(column, x);
      tc.rows.push_back(r);
    }
    table.push_back(std::move(tc));
  }
  return table;
}

}  // namespace fungible

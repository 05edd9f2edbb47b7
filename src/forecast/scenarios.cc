#include "forecast/scenarios.h"

#include <algorithm>
#include <cmath>

#include "forecast/internal/monthly_step.h"
#include "forecast/internal/parallel.h"
#include "forecast/random.h"

namespace fungible {

void ParamsFromLatents(const DemandModel& model, const double* latents, double* growth, double* launch_log) {
  const double shared = latents[0];
  size_t j = 1, l = 0;
  for (size_t s = 0; s < model.tiers.size(); ++s) {
    const TierModel& t = model.tiers[s];
    const double own = latents[j++];
    const double loading = t.loading;
    growth[s] = t.growth_mean + t.growth_sd * (loading * shared + std::sqrt(1.0 - loading * loading) * own);
    for (const auto& launch : t.launches)
      launch_log[l++] = launch.log_multiplier_median + launch.log_multiplier_sd * latents[j++];
  }
}

double ScenarioGrowth(const DemandModel& model, const ScenarioSet& set, int tier, int i) {
  const int nl = model.num_latents();
  const double* z = set.latents.data() + static_cast<size_t>(i) * nl;
  // Latent layout: shared, then per tier its own growth factor and launches.
  size_t j = 1;
  for (int s = 0; s < tier; ++s) j += 1 + model.tiers[static_cast<size_t>(s)].launches.size();
  const TierModel& t = model.tiers[static_cast<size_t>(tier)];
  return t.growth_mean + t.growth_sd * (t.loading * z[0] + std::sqrt(1.0 - t.loading * t.loading) * z[j]);
}

double MonthlyOutputTokens(const DemandModel& model, int tier, int month, double log_multiple) {
  const TierModel& t = model.tiers[static_cast<size_t>(tier)];
  if (t.kind == TierKind::kClass) return std::exp(log_multiple);
  return t.level_per_hour * model.HoursInMonth(month) * std::exp(log_multiple);
}

double MonthlyRevenueUsd(const DemandModel& model, int tier, int month, double log_multiple) {
  const TierModel& t = model.tiers[static_cast<size_t>(tier)];
  if (t.kind == TierKind::kClass) return 0.0;
  return MonthlyOutputTokens(model, tier, month, log_multiple) * t.usd_per_output_token *
         std::exp(t.log_price_factor[static_cast<size_t>(month)]);
}

ScenarioSet GenerateScenarios(const DemandModel& model, const ForecastOptions& options) {
  using namespace forecast_internal;
  ScenarioSet set;
  set.scenarios = options.scenarios;
  set.horizon_months = model.horizon_months;
  set.num_tiers = model.num_tiers();
  set.seed = options.seed;
  const size_t n = static_cast<size_t>(set.scenarios);
  const int num_latents = model.num_latents();
  set.log_multiple.resize(static_cast<size_t>(set.num_tiers) * set.horizon_months * n);  // written below
  set.latents.assign(n * static_cast<size_t>(num_latents), 0.0);
  const StepCoefficients coef(model);

  std::vector<TierStart> starts(model.tiers.size());
  for (size_t s = 0; s < starts.size(); ++s) starts[s].month = model.tiers[s].anchor_month;

  const size_t num_launches = coef.launch_month.size();
  ParallelFor(set.scenarios, ResolveThreads(options.threads), 64, [&](std::int64_t begin, std::int64_t end) {
    PathScratch scratch;
    std::vector<double> growth(model.tiers.size()), launch_log(num_launches);
    double* out = set.log_multiple.data();
    const size_t stride_month = n;
    const size_t stride_tier = n * static_cast<size_t>(set.horizon_months);
    for (std::int64_t i = begin; i < end; ++i) {
      // Scenario i's stream, in order: its latents, then its months' normals.
      Rng rng(options.seed, StreamPurpose::kScenario, static_cast<std::uint64_t>(i));
      double* z = set.latents.data() + static_cast<size_t>(i) * num_latents;
      for (int j = 0; j < num_latents; ++j) z[j] = rng.Normal();
      ParamsFromLatents(model, z, growth.data(), launch_log.data());
      double* out_i = out + i;
      // Months up to a later as_of hold the level (multiple 1).
      for (size_t s = 0; s < starts.size(); ++s)
        for (int t = 1; t <= std::min(starts[s].month, set.horizon_months); ++t)
          out_i[s * stride_tier + static_cast<size_t>(t - 1) * stride_month] = 0.0;
      SimulatePath(
          model, coef, growth.data(), launch_log.data(), starts.data(), scratch,
          [&rng] { return rng.Normal(); },
          [&](size_t s, int t, double v) {
            out_i[s * stride_tier + static_cast<size_t>(t - 1) * stride_month] = v;
          });
    }
  });
  return set;
}

}  // namespace fungible

#include "forecast/forecast.h"

namespace fungible {

StatusOr<ForecastRun> RunForecast(const Fleet& fleet, const RunForecastOptions& options) {
  ForecastRun run;
  run.spec_file = fleet.file;
  run.fleet_name = fleet.name;
  run.options = options.forecast;
  auto model = BuildDemandModel(fleet, options.forecast);
  if (!model.ok()) return model.status();
  run.model = std::move(model).value();
  const int threads = options.forecast.threads;
  run.prior = GenerateScenarios(run.model, options.forecast);
  run.cone = ComputeCone(run.model, run.prior, threads);
  run.compounding = CompoundingTable(run.model, run.prior);

  if (!options.actuals_path.empty()) {
    auto actuals = ReadActualsCsv(options.actuals_path, run.model);
    if (!actuals.ok()) return actuals.status();
    UpdateOptions u = options.update;
    u.threads = threads;
    auto post = UpdateFromActuals(run.model, run.prior, *actuals, u);
    if (!post.ok()) return post.status();
    run.actuals_file = options.actuals_path;
    run.posterior_cone = ComputeCone(run.model, post->scenarios, threads);
    run.posterior = std::move(post).value();
  }
  const ScenarioSet& current = run.posterior ? run.posterior->scenarios : run.prior;
  if (options.reduce_k > 0) {
    ReduceOptions r = options.reduce;
    r.seed = options.forecast.seed;
    r.threads = threads;
    auto reduced = ReduceScenarios(current, options.reduce_k, r);
    if (!reduced.ok()) return reduced.status();
    run.reduced = std::move(reduced).value();
  }
  if (options.hourly_peaks && options.recalibrate_hourly) {
    run.hourly = ComputeHourlyPeaks(run.model, current, threads);
  } else if (options.hourly_peaks) {
    DemandModel drawn = run.model;  // the fitted noise as it is
    for (TierModel& t : drawn.tiers) SetHourlyBandFactors(t, {1, 1, 1}, t.hourly_band_factors_source);
    run.hourly = ComputeHourlyPeaks(drawn, current, threads);
    for (size_t k = 0; k < run.model.tiers.size(); ++k)
      for (size_t j = 0; j < run.hourly->tiers.size(); ++j)
        if (run.hourly->tiers[j] == run.model.tiers[k].id)
          run.hourly->band_factors[j] = run.model.tiers[k].hourly_band_factors;
    run.hourly->recalibration_off = true;
  }
  return run;
}

}  // namespace fungible

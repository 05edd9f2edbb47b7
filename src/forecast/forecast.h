// The forecast stage's facade: everything `fungible forecast` does, as one
// call that returns plain structs (the stage code never prints; report.h turns
// the result into text, JSON and CSV).
//
// Pieces others use directly:
//   BuildDemandModel + GenerateScenarios   scenario paths (demand_model.h, scenarios.h)
//   ReduceScenarios                        K weighted representatives (reduce.h)
//   ComputeCone, CompoundingTable          quantiles (cone.h)
//   ReadActualsCsv + UpdateFromActuals     the posterior (actuals.h)
//   ExpandHourly, ComputeHourlyPeaks       hourly demand (hourly.h)
//   FitProfile, ReadTokenMix               shapes from traces (profile.h)
//   BacktestSynthetic, BacktestTrace       calibration (backtest.h)
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forecast/actuals.h"
#include "forecast/cone.h"
#include "forecast/demand_model.h"
#include "forecast/hourly.h"
#include "forecast/reduce.h"
#include "forecast/scenarios.h"
#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

struct RunForecastOptions {
  ForecastOptions forecast;  // scenarios, horizon, seed, threads, start
  std::string actuals_path;  // empty = no update
  int reduce_k = 0;          // 0 = no reduction
  ReduceOptions reduce;      // seed and threads are taken from `forecast`
  bool hourly_peaks = false;
  // Apply the spec's hourly_band_factors (the hourly noise's recalibration)
  // to the hourly expansion; false draws the fitted noise as it is.
  bool recalibrate_hourly = true;
  UpdateOptions update;  // threads taken from `forecast`
};

struct ForecastRun {
  std::string spec_file;
  std::string fleet_name;
  ForecastOptions options;  // as used (threads resolved away: never part of output)
  DemandModel model;
  ScenarioSet prior;
  Cone cone;  // of the prior
  std::vector<TierCompounding> compounding;
  // With actuals.
  std::string actuals_file;
  std::optional<Posterior> posterior;
  std::optional<Cone> posterior_cone;
  // Of the posterior when there are actuals, else of the prior.
  std::optional<ReducedScenarios> reduced;
  std::optional<HourlyPeaks> hourly;
};

// Builds the model from `fleet`, draws the scenarios, the cone and the
// compounding table, and (as asked) updates from actuals, reduces and
// expands to hourly peaks. Errors carry located diagnostics (spec or
// actuals file).
StatusOr<ForecastRun> RunForecast(const Fleet& fleet, const RunForecastOptions& options);

}  // namespace fungible

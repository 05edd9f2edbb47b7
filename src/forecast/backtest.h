// Calibration backtests: does the cone cover what happens as often as it
// claims? Scored in log space (demand multiplies), on
//   - synthetic truth: paths drawn from the model with known parameters,
//     forecast by the prior cone;
//   - a real trace: rolling one-day-ahead forecasts of hourly request rates
//     from a profile fitted on the days before (ServeGen, 14 days).
// Scores: coverage of the P10-P90 and P5-P95 bands (0.80 and 0.90 when
// calibrated), mean pinball loss over the cone's seven quantiles, and CRPS.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "forecast/demand_model.h"
#include "forecast/profile.h"
#include "forecast/scenarios.h"
#include "util/status.h"

namespace fungible {

struct CalibrationScore {
  std::string name;
  std::int64_t points = 0;       // forecast-truth pairs scored
  double coverage_p10_p90 = 0;   // share of truths inside [P10, P90]
  double coverage_p5_p95 = 0;    // share inside [P5, P95]
  double mean_pinball_loss = 0;  // log points, averaged over kConeProbabilities
  double mean_crps = 0;          // log points
};

// Scores of one ensemble (any order; it is sorted in place) against one truth.
struct EnsembleScore {
  bool inside_p10_p90 = false;
  bool inside_p5_p95 = false;
  double pinball = 0;
  double crps = 0;
};
EnsembleScore ScoreEnsemble(std::span<double> ensemble, double truth);

struct SyntheticBacktestOptions {
  int truths = 200;
  int threads = 0;
};

// Truths drawn from `model` on their own streams (kBacktestTruth of the
// set's seed), scored against the cone of `set` (a prior drawn from the same
// model), tier by tier and month by month. Two runs: "truth from the prior"
// (parameters drawn per truth: the cone should be calibrated) and "truth at
// the prior median" (growth and launch multipliers fixed at their medians:
// the cone, which also carries parameter uncertainty, should over-cover).
std::vector<CalibrationScore> BacktestSynthetic(const DemandModel& model, const ScenarioSet& set,
                                                const SyntheticBacktestOptions& options);

struct TraceBacktestOptions {
  int min_training_days = 7;
  int samples = 2000;  // Monte Carlo paths per forecast day
  std::uint64_t seed = 1;
  ProfileFitOptions fit;
};

// Rolling one-day-ahead backtest of the hourly profile model on `trace`: for
// each day d from min_training_days on, fit on days before d, forecast the
// 24 hourly log rates of day d (fitted level, trend and shape; AR(1) noise
// continued from the last fitted residual) and score the recorded hours.
// Errors: a trace too short for one forecast day.
StatusOr<CalibrationScore> BacktestTrace(const RateTrace& trace, const TraceBacktestOptions& options);

}  // namespace fungible

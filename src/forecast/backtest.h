// Calibration backtests: does the cone cover what happens as often as it
// claims? Scored in log space (demand multiplies), on
//   - synthetic truth: paths drawn from the model with known parameters,
//     forecast by the prior cone;
//   - a real trace: hourly request rates forecast from every day origin, by
//     a profile and noise model fitted on the days before it, scored at
//     each horizon (days ahead) before and after a recalibration that uses
//     only errors whose target day ended before the origin.
// Scores: coverage of the P10-P90 and P5-P95 bands (0.80 and 0.90 when
// calibrated), mean pinball loss over the cone's seven quantiles, and CRPS.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
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

// The hourly noise model a trace backtest forecasts with.
enum class TraceNoiseModel {
  // Day-level AR(1) effect plus within-day AR(1) noise with Student-t
  // innovations (ProfileFit's noise model): the default.
  kDayLevelStudentT,
  // Before issue 16: one AR(1) Gaussian noise around the profile.
  kHourlyAr1,
};

struct TraceBacktestOptions {
  // A trace must span more than this many days (and CalibrateHourlyNoise
  // scores from this origin on).
  int min_training_days = 7;
  // Origins of the one-day-ahead backtest: days from this one on (each fitted
  // on all days before it). Day 6 rather than 7: 8 origins instead of 7, so
  // one hour is 0.5 points of coverage, not 0.6 (docs/forecast.md, "Seeds").
  int first_one_day_origin = 6;
  // Origins of longer horizons: from this day on (a week ahead from day 3 of
  // a 14-day trace gives 5 origins; the weekly shape needs 7 days, so before
  // that the day-level noise carries the weekday pattern).
  int min_training_days_long = 3;
  // The earliest origin whose forecast errors feed the calibration of later
  // origins (a profile needs 2 days).
  int min_fit_days = 2;
  // Horizons scored, in days ahead (1 = the next day; 0 = the longest the
  // trace allows from min_training_days_long).
  std::vector<int> horizons_days = {1};
  int samples = 2000;  // Monte Carlo paths per origin
  std::uint64_t seed = 1;
  ProfileFitOptions fit;
  // The forecasting profile: a weekly shape only from this many days (with
  // one or two samples a weekday, weekday effects are mostly that day's own
  // level, and the day-level noise carries the day-to-day movement), and no
  // trend (a persistent day level and a trend are the same thing over two
  // weeks; extrapolating the trend over-reacts).
  // (The kHourlyAr1 model keeps `fit` as given, as before issue 16.)
  int min_days_for_weekly = 21;
  bool fit_trend = false;
  TraceNoiseModel noise = TraceNoiseModel::kDayLevelStudentT;
  // Rolling split-conformal recalibration: a horizon's bands at origin d are
  // scaled by factors measured on the errors of forecasts whose target day
  // ended before d (no look-ahead). Fewer errors than this: factor 1.
  int min_calibration_points = 24;
  // Only the errors of target days in the last this many days before the
  // origin (default: all of them).
  int calibration_window_days = 1 << 20;
  // Errors weighted by 2^-(age / this), age in days (0: the last day before
  // the origin); 0 = all alike. Weighted split-conformal (Barber, Candes,
  // Ramdas and Tibshirani, 2023): recent days count more, with no feedback
  // from the seed's own misses (unlike the adaptive level below).
  double calibration_half_life_days = 2;
  // Adaptive conformal inference (Gibbs and Candes, 2021) on top: after each
  // day, each band's target miss rate alpha moves by
  //   step x (nominal miss rate - the recalibrated band's miss rate that day),
  // and the conformal factor is taken at coverage 1 - alpha. Over T days the
  // average miss rate is within (1 + step) / (step T) of nominal whatever the
  // traffic does; a 14-day trace has about 12 updates, so the step is large.
  // 0 = plain split-conformal.
  double adaptive_step = 1.0;
};

// Central bands calibrated: P25-P75, P10-P90, P5-P95.
inline constexpr double kCalibratedBands[3] = {0.50, 0.80, 0.90};

struct HorizonCalibration {
  int horizon_days = 1;
  int origins = 0;              // origins scored
  CalibrationScore raw;         // the model's own cone
  CalibrationScore calibrated;  // the cone after rolling conformal scaling
  // Mean factor applied to each band's half-widths (kCalibratedBands), over
  // the points scored; > 1 widened, < 1 narrowed.
  std::array<double, 3> mean_factor{1, 1, 1};
  std::int64_t uncalibrated_points = 0;  // scored with factor 1 (no earlier errors)
  // Horizon whose past errors calibrated it (the same horizon when enough
  // errors with an earlier target day exist, else the longest shorter one).
  int calibrated_from_horizon_days = 0;
  // Per origin (in order): the recalibrated cone's score of that origin's
  // forecasts at this horizon, and the factors it used.
  struct Origin {
    int day = 0;
    CalibrationScore calibrated;
    std::array<double, 3> factor{1, 1, 1};
  };
  std::vector<Origin> by_origin;
  // The factors the next origin (the day after the trace) would use, from
  // every error of the trace, their source horizon (0 = too few errors:
  // factor 1) and the number of errors they rest on.
  std::array<double, 3> next_factor{1, 1, 1};
  int next_from_horizon_days = 0;
  std::int64_t next_points = 0;
};

struct TraceBacktest {
  std::string name;
  int days = 0;
  TraceNoiseModel noise = TraceNoiseModel::kDayLevelStudentT;
  ProfileFit last_fit;  // the fit at the last origin (all but the last day)
  std::vector<HorizonCalibration> horizons;
};

// Rolling-origin backtest of the hourly profile model on `trace`: for each
// origin d (day index) the profile and noise model are fitted on days before
// d, Monte Carlo paths forecast the hourly log rates of days d, d+1, ..., and
// each recorded hour is scored at its horizon (day d+h-1 is h days ahead),
// before and after recalibration. Factors for origin d come only from
// forecasts whose target day lies before d.
// Errors: a trace too short for one forecast day.
StatusOr<TraceBacktest> BacktestTraceHorizons(const RateTrace& trace, const TraceBacktestOptions& options);

// Calibration of the hourly noise as `forecast --hourly` and `simulate`
// draw it from a spec: Gaussian, stationary (months ahead, no last state),
// day level and hours together, sd sqrt(daily_level_log_sd^2 +
// hourly_noise_log_sd^2) around the fitted profile. From every origin d
// (options.min_training_days on) a profile and noise are fitted as
// fit-profile fits them (options.fit) on the days before d, and every
// recorded hour of day d is scored against those bands (the bands do not
// depend on the horizon; each hour is scored once). The
// factors for the spec are split-conformal on all these errors; `raw` and
// `calibrated` score the bands before and after factors taken, at each
// origin, only from errors whose target day ended before it.
struct NoiseCalibration {
  std::string name;
  std::string file;  // the trace's source
  int origins = 0;
  int target_days = 0;  // distinct days scored
  CalibrationScore raw;
  CalibrationScore calibrated;            // factors from earlier errors (1 while under 24)
  std::int64_t uncalibrated_points = 0;   // scored with factor 1
  std::array<double, 3> factor{1, 1, 1};  // for the spec, from all errors
  std::int64_t factor_points = 0;
};
StatusOr<NoiseCalibration> CalibrateHourlyNoise(const RateTrace& trace, const TraceBacktestOptions& options);

// The one-day-ahead, recalibrated score of BacktestTraceHorizons.
StatusOr<CalibrationScore> BacktestTrace(const RateTrace& trace, const TraceBacktestOptions& options);

// Split-conformal scale factor for a central band of coverage `band` from
// relative excesses E (<= 0 inside the band; (y - q_hi) / (q_hi - median)
// or (q_lo - y) / (median - q_lo) outside): 1 + the ceil((n + 1) band)-th
// smallest E (the largest when that rank exceeds n). Empty: 1.
double ConformalFactor(std::vector<double> excess, double band);
// The same with weights (excess, weight): 1 + the smallest E whose weight
// with all smaller ones reaches band x (the weights' sum + 1, the new
// point's own weight at excess +infinity); the largest E when none does.
// All weights 1: ConformalFactor.
double WeightedConformalFactor(std::vector<std::pair<double, double>> excess_weight, double band);

}  // namespace fungible

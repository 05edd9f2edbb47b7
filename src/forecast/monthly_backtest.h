// Rolling-origin backtest of the MONTHLY cone (the one `plan` buys against)
// on published points: a few figures a year per series (tokens processed a
// month, annualised run-rate revenue), irregularly spaced, each with its
// source (data/published-ai-demand/points.csv).
//
// At each origin (a published point, with at least `min_points` points up to
// it) the spec's growth prior is updated by the points up to the origin the
// way `forecast --actuals` updates it (monthly log increments, Gaussian given
// the growth rate, the spec's volatility and an observation noise), and the
// cone continues from the last point: log value after h months ~
// N(last + h g, h^2 sd_g^2 + h sigma^2), the demand model's variance (growth
// parameter uncertainty plus the random walk). With growth that drifts
// (growth_drift_sd d > 0) the cone is a local linear trend: the growth rate
// is a random walk, learned by a Kalman filter over the irregular gaps, and
// the variance after h months adds d^2 (h - 1) h (2h - 1) / 6. Every later point is scored at
// its horizon (months between origin and target), per horizon bucket, before
// and after a recalibration that only uses the errors of earlier forecasts
// whose target month is at or before the origin (no look-ahead).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forecast/backtest.h"
#include "util/status.h"

namespace fungible {

struct PublishedPoint {
  int month = 0;  // calendar months since year 0 (year x 12 + month - 1)
  double value = 0;
  int line = 0;  // CSV line
};

struct PublishedSeries {
  std::string name;
  std::string unit;
  std::vector<PublishedPoint> points;  // ascending months, one per month
};

// Reads series,month,value,unit[,...] (other columns ignored, e.g. kind,
// stated, source, url); month YYYY-MM, value a positive number. Series in
// order of first appearance, points sorted by month. Errors name file, line,
// column and field (a bad month or value, two points of a series in one month,
// a unit that changes within a series).
StatusOr<std::vector<PublishedSeries>> ReadPublishedSeries(const std::string& path);

// ---- Fitting the volatility and the growth drift to published points.

// A series as log values (the fit works in logs, so long synthetic series
// never overflow).
struct LogSeries {
  std::string name;
  std::vector<int> months;  // ascending, distinct
  std::vector<double> log_values;
};
LogSeries ToLogSeries(const PublishedSeries& series);

// Maximum likelihood of one model (volatility sigma and drift sd d; d = 0:
// growth fixed) on log increments: an increment over dt months is
// dt g + the drift's and the shocks' sum + observation noise, the growth g
// a random walk from an unknown (flat) value at each series' first point.
// The log-likelihood is the diffuse (restricted) one: the exact Gaussian
// likelihood of the increments with each series' starting growth integrated
// out under a flat prior (Kalman filter with an augmented state, de Jong
// 1991), so the variance parameters are not biased low by estimating one
// growth per series.
struct GrowthNoiseModelFit {
  double volatility = 0;
  double growth_drift_sd = 0;
  double log_likelihood = 0;  // restricted, at the optimum
  int parameters = 0;  // 1 (volatility) or 2 (and drift); the series' starting growths are integrated out
  double aic = 0;      // 2 parameters - 2 log_likelihood
};
struct SeriesGrowth {
  std::string name;
  int increments = 0;
  double first_growth = 0, first_growth_sd = 0;  // growth at the first increment (drift model)
  double last_growth = 0, last_growth_sd = 0;    // growth for the month after the last point (drift model)
};
struct GrowthNoiseFit {
  GrowthNoiseModelFit drift;     // volatility and drift fitted
  GrowthNoiseModelFit no_drift;  // volatility alone, d = 0
  bool drift_preferred = false;  // drift.aic < no_drift.aic
  int increments = 0;            // log increments used, over every series
  int series = 0;
  std::vector<SeriesGrowth> growth;  // per series, under the drift model's fit
};
// Fits both models to the series together (one volatility and one drift
// for all; each series its own starting growth). Errors: fewer than
// min_increments increments beyond each series' first, or bad noise.
StatusOr<GrowthNoiseFit> FitGrowthNoise(const std::vector<LogSeries>& series, double observation_log_sd,
                                        int min_increments = 3);

struct MonthlyBacktestOptions {
  // The spec's prior on monthly log growth and its monthly volatility
  // (defaults: the bundled example specs' chat-medium, 6% +- 3%, 5%).
  double growth_mean = 0.06;
  double growth_sd = 0.03;
  double volatility = 0.05;
  // The growth rate's own monthly random-walk step (monthly_growth_drift_sd);
  // 0 = a growth rate fixed per scenario.
  double growth_drift_sd = 0;
  // Fit the volatility and the drift at every origin by maximum likelihood
  // on the points of every series known at the origin (FitGrowthNoise), the
  // growth at each series' first point unknown (flat), instead of the
  // options' volatility, drift and growth prior. Too few increments for a
  // fit (fewer than min_fit_increments beyond each series' first; 2 = as
  // many as the parameters fitted): the options' volatility and drift,
  // still with a flat growth prior.
  bool fit = false;
  int min_fit_increments = 2;
  // Noise on each observed monthly log increment, as forecast --actuals adds.
  double observation_log_sd = 0.01;
  // Points known at an origin (2 = at least one increment to learn from).
  int min_points = 2;
  // Errors a recalibration factor needs (in the bucket, else pooled over all
  // horizons); fewer: factor 1.
  int min_calibration_errors = 3;
  // BacktestMonthlySeries: recalibrate each series from the standardised
  // errors of every series (those whose target month is at or before the
  // origin), not only its own. The cone's errors in standard deviations are
  // comparable across series; each series alone has a handful.
  bool pool_series = true;
};

// Horizon buckets scored, in months: 1-3, 4-6, 7-12, 13 and over.
inline constexpr std::array<std::array<int, 2>, 4> kMonthlyHorizonBuckets = {
    {{1, 3}, {4, 6}, {7, 12}, {13, 1200}}};

struct MonthlyBucket {
  std::string label;  // "1-3 months", ..., "all"
  int min_months = 1, max_months = 1200;
  int origins = 0;  // origins with at least one target in the bucket
  CalibrationScore raw;
  CalibrationScore calibrated;
  double mean_factor = 1;  // mean factor on the cone's spread (log sd)
  std::int64_t uncalibrated_points = 0;
  double above_median_share = 0;  // truths above the model's median (bias)
};

// One scored forecast.
struct MonthlyForecast {
  int origin_month = 0, target_month = 0, horizon_months = 0;
  double truth_log = 0;
  double mean_log = 0, sd_log = 0;  // the model's cone (Gaussian in log)
  double factor = 1;                // recalibration factor on sd_log
  bool calibrated = false;          // false: too few earlier errors (factor 1)
  // The volatility and drift the cone used (fitted at the origin with
  // options.fit; else the options'), and whether they were fitted.
  double volatility = 0, growth_drift_sd = 0;
  bool fitted = false;
};

struct MonthlyBacktest {
  std::string name, unit;
  int points = 0;
  int origins = 0;
  std::vector<MonthlyBucket> buckets;  // kMonthlyHorizonBuckets with points, then "all"
  std::vector<MonthlyForecast> forecasts;
  // The growth the last origin's update gives (log a month).
  double last_growth_mean = 0, last_growth_sd = 0;
  // The factor a forecast made after the last point would use (pooled over
  // every error) and how many errors it rests on.
  double next_factor = 1;
  std::int64_t next_errors = 0;
};

// One series, recalibrated from its own errors only.
// Errors: fewer than min_points + 1 points; bad options.
StatusOr<MonthlyBacktest> BacktestMonthly(const PublishedSeries& series,
                                          const MonthlyBacktestOptions& options);

// Every series with at least min_points + 1 points (the others are listed in
// `skipped`), recalibrated together when options.pool_series, and `all`: the
// forecasts of every series scored together ("all series"; its origins count
// distinct origin months per bucket).
struct MonthlySeriesBacktest {
  // With options.fit: the fit on every point of the series backtested
  // (pooled) and on each series alone (empty when too short).
  std::optional<GrowthNoiseFit> pooled_fit;
  std::vector<std::optional<GrowthNoiseFit>> series_fit;
  std::vector<MonthlyBacktest> series;
  MonthlyBacktest all;
  std::vector<std::string> skipped;
};
StatusOr<MonthlySeriesBacktest> BacktestMonthlySeries(const std::vector<PublishedSeries>& series,
                                                      const MonthlyBacktestOptions& options);

// Scores of a Gaussian (log) forecast against one truth: its quantiles at
// kConeProbabilities, pinball loss averaged over them, CRPS in closed form.
EnsembleScore ScoreGaussian(double mean, double sd, double truth);

}  // namespace fungible

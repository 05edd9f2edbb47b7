// Output of the forecast commands: terminal text, JSON and CSV. Every output
// names the seed. Nothing here depends on the thread count, so the same seed
// gives byte-identical output however many threads ran.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "forecast/backtest.h"
#include "forecast/forecast.h"
#include "forecast/monthly_backtest.h"
#include "forecast/profile.h"

namespace fungible {

// Terminal view: per tier a table of months x quantiles with an ASCII fan,
// revenue, the compounding table; the update from actuals (prior against
// posterior, effective sample size, "the cone missed"); reduction and hourly
// peaks when asked for. `max_rows` bounds the months shown per table (the
// last month is always shown).
std::string ForecastText(const ForecastRun& run, int max_rows = 12);
std::string ForecastJson(const ForecastRun& run);
// Long format: seed,cone,tier,quantity,month,p5,...,p95 (cone = prior or
// posterior; quantity = output_tokens, demand_multiple or revenue_usd).
std::string ForecastCsv(const ForecastRun& run);

// fit-profile: YAML ready to paste into a spec, and JSON.
struct ProfileReport {
  std::vector<ProfileFit> fits;
  // [i]: the recalibration of fits[i]'s hourly noise (traces over a week).
  std::vector<std::optional<NoiseCalibration>> noise_calibration;
  std::vector<std::string> skipped;  // traces that could not be fitted, with the reason
  std::vector<TokenMix> mixes;
};
std::string ProfileYaml(const ProfileReport& report);
std::string ProfileJson(const ProfileReport& report);

// backtest: a table and JSON.
struct BacktestReport {
  std::uint64_t seed = 0;
  int scenarios = 0;
  int truths = 0;
  std::string spec_file;
  std::vector<CalibrationScore> synthetic;
  std::vector<TraceBacktest> traces;  // rolling-origin backtests of rate traces
  std::string trace_file;
  // Rolling-origin backtests of the monthly cone on published points.
  std::vector<MonthlyBacktest> monthly;
  std::optional<MonthlyBacktest> monthly_all;  // every series scored together (two or more)
  std::vector<std::string> monthly_skipped;    // series with too few points
  std::string monthly_file;
  MonthlyBacktestOptions monthly_options;
  // With monthly_options.fit: the fits on every point (pooled) and per series.
  std::optional<GrowthNoiseFit> monthly_pooled_fit;
  std::vector<std::optional<GrowthNoiseFit>> monthly_series_fit;
};
std::string BacktestText(const BacktestReport& report);
std::string BacktestJson(const BacktestReport& report);

// 4.46T, 312G, 12.5M (tokens); "$1.23M" with money = true.
std::string HumanNumber(double v, bool money = false);

}  // namespace fungible

// Hourly shape: a monthly scenario expanded into hourly demand for
// allocation. In hour h of month t, a serving tier's demand is
//
//   tokens(t) * w(h) / sum_{h' in t} w(h')  *  exp(n(h) - s^2 / 2)
//
// where w = diurnal[UTC hour] * weekly[weekday] (flat when the spec gives
// none), so the month's expected total is the scenario's monthly tokens, and
// n is AR(1) log noise with stationary sd s and lag-1 autocorrelation phi
// (hourly_noise_log_sd, hourly_noise_autocorrelation), plus a day level:
// an AR(1) across UTC days with stationary sd s_D and day-to-day
// autocorrelation rho (daily_level_log_sd, daily_level_autocorrelation),
// shifted by -s_D^2/2, on its own stream. The noise path runs
// from the first hour of month 1 whatever window is asked for, so any window
// is a slice of one fixed hourly path per (scenario, tier).
//
// A recalibrated tier (TierModel::hourly_band_factors, measured by a rolling
// backtest on real traffic) draws the same n, then moves it away from or
// towards its median by the factor of its own quantile level, interpolated
// between the P25-P75, P10-P90 and P5-P95 bands' (as the backtest scales its
// ensembles), shifted so the noise's mean stays 1.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "forecast/cone.h"
#include "forecast/demand_model.h"
#include "forecast/scenarios.h"

namespace fungible {

// Hours from the start of month `first` to the end of month `last`.
std::int64_t HoursInMonths(const DemandModel& model, int first, int last);

// Hourly output tokens of scenario `scenario` of serving tier `tier` for the
// hours of months first..last, into `out`.
// REQUIRES: tier is a serving tier, 1 <= first <= last <= horizon,
// out.size() == HoursInMonths(model, first, last).
void ExpandHourly(const DemandModel& model, const ScenarioSet& set, int tier, int scenario, int first,
                  int last, std::span<double> out);

// The hour-weight table of one tier over months 1..horizon: w(h) / month's
// sum. Shared by every scenario; ExpandHourly builds it on each call, bulk
// callers build it once.
std::vector<double> HourWeights(const DemandModel& model, int tier);

// Peak hourly demand per tier and month across scenarios: what capacity must
// cover, against the month's mean hour.
struct HourlyPeaks {
  std::vector<std::string> tiers;  // serving tiers, in model order
  // [k][month - 1]: quantiles (kConeProbabilities) of the month's peak hour
  // in output tokens per hour, for serving tier k.
  std::vector<std::vector<QuantileRow>> peak_output_tokens_per_hour;
  // [k][month - 1]: quantiles of the peak-to-mean ratio of the month.
  std::vector<std::vector<QuantileRow>> peak_to_mean;
  std::int64_t hours = 0;  // hours expanded per scenario and tier
  // [k]: the band factors applied to tier k's hourly noise (all 1 = none)
  // and where they came from (TierModel::hourly_band_factors).
  std::vector<std::array<double, 3>> band_factors;
  std::vector<std::string> band_factors_source;
  bool recalibration_off = false;  // the factors were turned off for comparison
};

// Expands every scenario of every serving tier over the whole horizon on
// `threads` threads (independent of `threads`).
HourlyPeaks ComputeHourlyPeaks(const DemandModel& model, const ScenarioSet& set, int threads);

}  // namespace fungible

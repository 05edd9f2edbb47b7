// The demand model behind the cone, compiled from a Fleet: one tier per
// serving demand (output tokens, and revenue) and one per class growth
// (research, internal: a demand multiple of today's level).
//
// For scenario i and tier s, the organic log-demand multiple x (relative to
// the tier's level at its as_of) moves once per calendar month:
//
//   x[t] = x[t-1] + g_s[t-1] * (1 - e^x[t-1] / C_s) + sigma_s * eps_s[t]
//   g_s[0] = mu_s + sd_s * (l_s * u + sqrt(1 - l_s^2) * u_s)   once per scenario
//   g_s[t] = g_s[t-1] + d_s * (l_s * v[t] + sqrt(1 - l_s^2) * v_s[t])
//   eps_s[t] = l_s * w[t] + sqrt(1 - l_s^2) * w_s[t]           every month
//
// (d_s = monthly_growth_drift_sd; 0, the default, keeps g_s fixed and draws
// no v.)
// with u, u_s, w[t], w_s[t] independent N(0, 1); u and w[t] are shared by all
// tiers of the scenario (the shared factor, loading l_s), so two tiers'
// growth rates and monthly shocks have correlation l_a * l_b. C_s is the
// saturation ceiling as a multiple of today's level (the damping term is
// absent when no ceiling is set). The demand multiple in month t is
//
//   m[t] = exp(x[t] + J_s[t] + elasticity_s * P_s[t])
//
// where J_s[t] sums the log multipliers ln(median) + log_sd * z of launches in
// effect (z ~ N(0, 1) per scenario and launch) and P_s[t] sums
// ln(1 + price change) of listed price changes in effect. Launches and price
// changes act on the whole market, on top of the ceiling. Serving tiers turn
// the multiple into output tokens of the month, level_per_hour * hours(t) *
// m[t], and into revenue, tokens * usd_per_output_token * exp(P_s[t]).
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// Settings of one forecast run. Defaults come from the spec's forecast block
// (ForecastOptionsFromSpec); the CLI's flags override them.
struct ForecastOptions {
  int scenarios = 10000;
  int horizon_months = 24;  // months forecast after the start month
  std::uint64_t seed = 1;
  int threads = 0;       // 0 = all hardware threads; results never depend on it
  UtcSeconds start = 0;  // any instant of the start month; 0 = the earliest demand as_of
};

ForecastOptions ForecastOptionsFromSpec(const Fleet& fleet);

enum class TierKind { kServing, kClass };
const char* TierKindName(TierKind k);  // "serving", "class"

// One launch that lifts a tier's demand from `month` on.
struct TierLaunch {
  int month = 0;  // first month index in effect
  double log_multiplier_median = 0;
  double log_multiplier_sd = 0;
  UtcSeconds date = 0;
};

struct TierModel {
  std::string id;  // serving: ServedModel::id; class: WorkloadClass::id
  TierKind kind = TierKind::kServing;
  std::string field;  // where it comes from in the spec, e.g. "demand[1]"
  SourceLoc loc;

  double level_per_hour = 1.0;        // serving: output tokens/hour at as_of; class: 1 (a multiple)
  double usd_per_output_token = 0.0;  // serving: ServedModel::usd_per_output_token(); class: 0
  int anchor_month = 0;               // month index of as_of (the level's month); months up to it hold m = 1
  UtcSeconds as_of = 0;

  double growth_mean = 0;      // mu, monthly log-growth
  double growth_sd = 0;        // sd, across scenarios
  double volatility = 0;       // sigma, per month
  double growth_drift_sd = 0;  // d: sd of the growth rate's own monthly step (random walk)
  double loading = 0;          // l, on the shared factor, in [0, 1]
  double ceiling_multiple = std::numeric_limits<double>::infinity();  // C; infinity = none
  double elasticity = 0;
  std::vector<TierLaunch> launches;  // by month
  // P_s[t] for t = 0..horizon: cumulative ln(1 + price change) in effect.
  std::vector<double> log_price_factor;

  // Hourly shape (serving tiers; empty = flat) and hour-to-hour noise.
  std::vector<double> diurnal_shape;
  std::vector<double> weekly_shape;
  double hourly_noise_log_sd = 0;
  double hourly_noise_autocorrelation = 0;
  double daily_level_log_sd = 0;  // day-level AR(1) on log demand (hourly.h)
  double daily_level_autocorrelation = 0;
  // Recalibration of the hourly noise (hourly.h): the half-widths of its
  // P25-P75, P10-P90 and P5-P95 bands are multiplied by these factors (all 1 =
  // none), and where they came from. Set with SetHourlyBandFactors.
  std::array<double, 3> hourly_band_factors{1, 1, 1};
  std::string hourly_band_factors_source;
  // Derived by SetHourlyBandFactors: the factor as a function of |n| / sd on
  // a grid of kBandScaleStep (empty = none), and the log shift that keeps the
  // noise's mean at 1.
  std::vector<double> band_scale;
  double band_scale_shift = 0;
  bool hourly_recalibrated() const { return !band_scale.empty(); }

  bool has_ceiling() const { return ceiling_multiple < std::numeric_limits<double>::infinity(); }
};

// The compiled model. Month index t counts calendar months from the start
// month (t = 0); the cone covers t = 1..horizon_months. A tier whose as_of
// lies before the start month is simulated from its as_of (burn-in months
// first_month..0, not reported).
struct DemandModel {
  UtcSeconds start_month = 0;  // first instant of month 0
  int horizon_months = 0;
  int first_month = 1;  // first simulated month index (<= 1)
  std::vector<TierModel> tiers;
  std::string spec_file;

  int num_tiers() const { return static_cast<int>(tiers.size()); }
  // First instant of month t.
  UtcSeconds MonthStart(int t) const { return AddMonths(start_month, t); }
  double HoursInMonth(int t) const {
    return static_cast<double>(MonthStart(t + 1) - MonthStart(t)) / kSecondsPerHour;
  }
  // Index of the tier with `id`, or -1.
  int FindTier(const std::string& id) const;
  // Standard-normal latents each scenario draws before its months: the
  // shared growth factor, one own growth factor per tier, one per launch.
  int num_latents() const;
};

// Checks the forecast semantics of `fleet` and compiles its demand. Every
// problem is a Diagnostic naming the spec file, the demand entry's line and
// column, and the field (negative volatility, launch or price-change dates
// outside (as_of, end of horizon], unknown models, malformed shapes, ...).
StatusOr<DemandModel> BuildDemandModel(const Fleet& fleet, const ForecastOptions& options);

// Grid step of TierModel::band_scale, in units of the noise's sd.
inline constexpr double kBandScaleStep = 1.0 / 64;
// The band factor of a draw r >= 0 noise sds from the median: at its central
// level l = |2 Phi(r) - 1|, the P25-P75 factor inside that band, the P5-P95
// one outside P5-P95, linear in l between the bands' (as the backtest scales
// its ensembles). TierModel::band_scale tabulates it; simulate's planner
// takes it at the level of its planning quantile.
double HourlyBandFactor(const std::array<double, 3>& factors, double r);
// Sets a tier's hourly band factors (P25-P75, P10-P90, P5-P95) and the
// tables the hourly expansion uses; all 1 removes the recalibration.
// REQUIRES: factors > 0.
void SetHourlyBandFactors(TierModel& tier, const std::array<double, 3>& factors, std::string source);

// Output tokens per chip-hour of `model` at `t`, relative to the spec's
// figure: the throughput_multiplier of every launch of its demand dated by
// `t` (a new model generation), times the continuous efficiency gain
// (efficiency_gain_per_month, compounding over 730-hour months since the
// demand's as_of). 1 for a model without demand. simulate, allocate and plan
// all take a model's tokens per chip-hour from here.
double ThroughputMultiplierAt(const Fleet& fleet, const ServedModel& model, UtcSeconds t);

}  // namespace fungible

// Fitting the hourly shape of demand from real traffic: a diurnal (24) and
// weekly (7) profile, hour-to-hour noise, and the token mix of requests,
// ready to paste into a spec (see `fungible fit-profile`).
//
// Profile model, on hourly mean request rates r (windows with no traffic at
// all are gaps, not zero load, and are skipped):
//
//   ln r(u) = c + trend * u / 24 + a[hour of day(u)] + b[weekday(u)] + e(u)
//
// fitted by least squares (backfitting; a and b centred), u the UTC hour. The
// diurnal shape is exp(a) scaled to mean 1, the weekly shape exp(b) likewise;
// e gives the noise's standard deviation and lag-1 autocorrelation.
//
// Noise model (what real traffic shows: whole days above or below the
// profile, and bursts): e splits into a day-level effect and within-day noise,
//
//   e(u) = D[day(u)] + w(u)
//   D[k] = rho D[k-1] + sd_D sqrt(1 - rho^2) eta[k]           eta ~ N(0, 1)
//   w(u) = phi w(u-1) + s t_nu(u)                              Student-t innovations
//
// D is estimated by each day's mean residual (its variance corrected for
// the within-day noise averaged over the day and for the day-level degrees of
// freedom the profile used), w by what is left; nu and s by maximum
// likelihood over a grid of nu (nu = 0 means Gaussian fitted best).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace fungible {

// Request rates in fixed windows. Time 0 is local midnight of day 0.
struct RateTrace {
  std::string name;    // the model, e.g. "m-large"
  std::string source;  // file it came from
  double window_s = 600;
  std::vector<double> time_s;  // window starts, ascending
  std::vector<double> rate;    // mean rate in the window; 0 = no traffic recorded (a gap)
};

// Reads rate traces from a CSV: the ServeGen layout (columns model,
// window_start_s, total_rate_rps: one trace per model, as in
// servegen-alibaba-bailian/rate_10min_by_model.csv) or a generic one
// (columns time_s, rate: one trace named after the file). Errors name the
// file, line and column.
StatusOr<std::vector<RateTrace>> ReadRateTraces(const std::string& path);
StatusOr<std::vector<RateTrace>> ParseRateTraces(const std::string& text, const std::string& name);

struct ProfileFitOptions {
  // Local time = UTC + utc_offset_hours; the trace's clock is local.
  int utc_offset_hours = 0;
  // Weekday of the trace's day 0 (0 = Monday .. 6 = Sunday). Unset: inferred,
  // taking the two quietest consecutive days of the week as Saturday-Sunday.
  std::optional<int> first_weekday;
  // A weekly shape needs this many days (one sample a weekday at 7).
  int min_days_for_weekly = 7;
  // Fit a trend inside the trace (see FitProfile for when it can be).
  bool fit_trend = true;
};

struct ProfileFit {
  std::string trace;
  std::array<double, 24> diurnal_shape{};  // by UTC hour, mean 1
  std::array<double, 7> weekly_shape{};    // Monday..Sunday (UTC days), mean 1; all 1 if not fitted
  bool weekly_fitted = false;              // needs 7 days or more
  double trend_log_per_day = 0;            // growth of ln(rate) per day inside the trace
  bool trend_fitted = false;               // with a week profile: needs 14 days or more
  double hourly_noise_log_sd = 0;
  double hourly_noise_autocorrelation = 0;
  double r_squared = 0;  // share of the variance of ln(hourly rate) explained
  double days = 0;       // span of the trace
  int hours_used = 0;
  int hours_skipped = 0;    // hours with less than half their windows recorded
  int windows_missing = 0;  // windows with no traffic (gaps)
  int first_weekday = 0;
  bool first_weekday_inferred = false;
  int utc_offset_hours = 0;
  double residual_last = 0;  // e of the last hour used (for one-step forecasts)

  // The noise model's split of e (see above). Fitted with 3 days or more;
  // otherwise daily_level_log_sd = 0 and the within-day part is all of e.
  bool daily_level_fitted = false;
  double daily_level_log_sd = 0;           // sd_D, stationary
  double daily_level_autocorrelation = 0;  // rho, clamped to [0, 0.95]
  double daily_level_last = 0;             // D of the last day used
  int days_for_level = 0;                  // days with at least 12 hours used
  double within_day_log_sd = 0;            // stationary sd of w implied by (phi, s, nu)
  double within_day_autocorrelation = 0;   // phi
  double within_day_last = 0;              // w of the last hour used
  double innovation_scale = 0;             // s
  double tail_dof = 0;                     // nu; 0 = Gaussian
  // Fit statistics of the innovations of w: excess kurtosis, and the mean
  // log-likelihood gain per hour of the Student-t fit over the Gaussian.
  double innovation_excess_kurtosis = 0;
  double tail_loglik_gain_per_hour = 0;
  int innovations = 0;
  double level_log = 0;  // c
  // Covariance of the fitted parameters (level, trend, 23 hour-of-day and 6
  // weekday contrasts) under AR(1) errors (Prais-Winsten), row-major.
  std::vector<double> parameter_covariance;

  // The fitted ln(rate) at UTC hour index u (hours from UTC midnight of day
  // 0's date), without noise.
  double PredictLog(std::int64_t u) const;
  // Variance of PredictLog(u) from the parameters' estimation error.
  double PredictLogVariance(std::int64_t u) const;
};

// Fits the profile. Errors: fewer than 2 days of usable hours.
StatusOr<ProfileFit> FitProfile(const RateTrace& trace, const ProfileFitOptions& options);

// Token mix of a request trace (Azure LLM inference trace layout: columns
// ContextTokens and GeneratedTokens, one row per request).
struct TokenMix {
  std::string source;
  std::int64_t requests = 0;
  double input_tokens = 0;   // total
  double output_tokens = 0;  // total
  // Totals' ratio: the input tokens billed with each output token.
  double input_tokens_per_output_token = 0;
  double mean_input_tokens_per_request = 0;
  double mean_output_tokens_per_request = 0;
  double median_input_tokens_per_request = 0;
  double median_output_tokens_per_request = 0;
};

StatusOr<TokenMix> ReadTokenMix(const std::string& path);
StatusOr<TokenMix> ParseTokenMix(const std::string& text, const std::string& name);

// True when the CSV header looks like a request trace (token mix), false
// when it looks like a rate trace. Errors when it is neither.
StatusOr<bool> IsRequestTrace(const std::string& path);

const char* WeekdayName(int weekday);  // "Monday".."Sunday"

}  // namespace fungible

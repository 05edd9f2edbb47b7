#include "forecast/profile.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>

#include "util/csv.h"

namespace fungible {
namespace {

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int Mod(std::int64_t a, int b) { return static_cast<int>(((a % b) + b) % b); }

StatusOr<std::string> ReadFile(const std::string& path) { return ReadTextFile(path); }

// One hour of the trace.
struct Hour {
  std::int64_t u = 0;  // UTC hour index
  double y = 0;        // ln(mean rate)
};

struct Fit {
  double c = 0, trend = 0;
  std::array<double, 24> a{};
  std::array<double, 7> b{};
};

// Least squares of y on level + trend + hour-of-day + day-class effects by
// backfitting. `day_class(u)` gives the weekday class (0..6) of hour u.
template <typename DayClass>
Fit Backfit(const std::vector<Hour>& hours, bool weekly, bool trend, DayClass&& day_class) {
  Fit f;
  const size_t n = hours.size();
  std::vector<double> t(n);
  std::vector<int> hod(n), wd(n);
  for (size_t i = 0; i < n; ++i) {
    t[i] = static_cast<double>(hours[i].u) / 24.0;
    hod[i] = Mod(hours[i].u, 24);
    wd[i] = day_class(hours[i].u);
  }
  for (int it = 0; it < 100; ++it) {
    // Level and trend on what the shapes leave.
    double st = 0, sr = 0, stt = 0, str = 0;
    for (size_t i = 0; i < n; ++i) {
      const double r = hours[i].y - f.a[static_cast<size_t>(hod[i])] - f.b[static_cast<size_t>(wd[i])];
      st += t[i], sr += r, stt += t[i] * t[i], str += t[i] * r;
    }
    const double dn = static_cast<double>(n);
    const double var_t = stt - st * st / dn;
    f.trend = trend && var_t > 0 ? (str - st * sr / dn) / var_t : 0.0;
    f.c = (sr - f.trend * st) / dn;
    // Hour-of-day effects, centred.
    std::array<double, 24> sa{}, na{};
    for (size_t i = 0; i < n; ++i) {
      sa[static_cast<size_t>(hod[i])] += hours[i].y - f.c - f.trend * t[i] - f.b[static_cast<size_t>(wd[i])];
      na[static_cast<size_t>(hod[i])] += 1;
    }
    double mean_a = 0;
    for (size_t h = 0; h < 24; ++h) mean_a += (f.a[h] = na[h] > 0 ? sa[h] / na[h] : 0.0) / 24.0;
    for (auto& v : f.a) v -= mean_a;
    if (!weekly) continue;
    std::array<double, 7> sb{}, nb{};
    for (size_t i = 0; i < n; ++i) {
      sb[static_cast<size_t>(wd[i])] += hours[i].y - f.c - f.trend * t[i] - f.a[static_cast<size_t>(hod[i])];
      nb[static_cast<size_t>(wd[i])] += 1;
    }
    double mean_b = 0;
    for (size_t d = 0; d < 7; ++d) mean_b += (f.b[d] = nb[d] > 0 ? sb[d] / nb[d] : 0.0) / 7.0;
    for (auto& v : f.b) v -= mean_b;
  }
  return f;
}

template <size_t N>
std::array<double, N> ExpScaledToMeanOne(const std::array<double, N>& log_effect) {
  std::array<double, N> out{};
  double sum = 0;
  for (size_t i = 0; i < N; ++i) sum += out[i] = std::exp(log_effect[i]);
  for (auto& v : out) v *= static_cast<double>(N) / sum;
  return out;
}

}  // namespace

const char* WeekdayName(int weekday) {
  static const char* kNames[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                 "Friday", "Saturday", "Sunday"};
  return kNames[Mod(weekday, 7)];
}

double ProfileFit::PredictLog(std::int64_t u) const {
  // Shapes are stored scaled to mean 1; their logs differ from the centred
  // effects by a constant that `level_log` absorbs.
  return level_log + trend_log_per_day * static_cast<double>(u) / 24.0 +
         std::log(diurnal_shape[static_cast<size_t>(Mod(u, 24))]) +
         std::log(weekly_shape[static_cast<size_t>(Mod(first_weekday + FloorDiv(u, 24), 7))]);
}

namespace {

constexpr int kParams = 2 + 23 + 6;

// Regressors of hour u: level, trend (days), hour-of-day and weekday
// contrasts against hour 0 and Monday.
std::array<double, kParams> Regressors(std::int64_t u, int first_weekday, bool weekly, bool trend) {
  std::array<double, kParams> x{};
  x[0] = 1;
  x[1] = trend ? static_cast<double>(u) / 24.0 : 0.0;
  const int h = Mod(u, 24);
  if (h > 0) x[static_cast<size_t>(1 + h)] = 1;
  const int w = Mod(first_weekday + FloorDiv(u, 24), 7);
  if (weekly && w > 0) x[static_cast<size_t>(24 + w)] = 1;
  return x;
}

// (A)^-1 for a symmetric positive semi-definite A by Gauss-Jordan with a
// tiny ridge (unused contrasts, e.g. the weekdays of a short trace, stay 0).
std::vector<double> Inverse(std::vector<double> a, int n) {
  std::vector<double> inv(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    inv[static_cast<size_t>(i) * n + i] = 1.0;
    a[static_cast<size_t>(i) * n + i] += 1e-9;
  }
  for (int c = 0; c < n; ++c) {
    int piv = c;
    for (int r = c + 1; r < n; ++r)
      if (std::fabs(a[static_cast<size_t>(r) * n + c]) > std::fabs(a[static_cast<size_t>(piv) * n + c]))
        piv = r;
    for (int k = 0; k < n; ++k) {
      std::swap(a[static_cast<size_t>(c) * n + k], a[static_cast<size_t>(piv) * n + k]);
      std::swap(inv[static_cast<size_t>(c) * n + k], inv[static_cast<size_t>(piv) * n + k]);
    }
    const double d = a[static_cast<size_t>(c) * n + c];
    for (int k = 0; k < n; ++k) {
      a[static_cast<size_t>(c) * n + k] /= d;
      inv[static_cast<size_t>(c) * n + k] /= d;
    }
    for (int r = 0; r < n; ++r) {
      if (r == c) continue;
      const double f = a[static_cast<size_t>(r) * n + c];
      if (f == 0) continue;
      for (int k = 0; k < n; ++k) {
        a[static_cast<size_t>(r) * n + k] -= f * a[static_cast<size_t>(c) * n + k];
        inv[static_cast<size_t>(r) * n + k] -= f * inv[static_cast<size_t>(c) * n + k];
      }
    }
  }
  return inv;
}

// Student-t log density with dof nu and scale s at a.
double StudentTLogDensity(double a, double nu, double s) {
  return std::lgamma(0.5 * (nu + 1)) - std::lgamma(0.5 * nu) - 0.5 * std::log(nu * M_PI * s * s) -
         0.5 * (nu + 1) * std::log1p(a * a / (nu * s * s));
}

// Splits the residuals e (one per hour in `hours`, ascending) into a
// day-level AR(1) and within-day AR(1) noise with Student-t innovations;
// see the header. `params` is the number of profile parameters fitted.
// `e_days` are the residuals the day-level variance is measured on, with
// `day_params` day-level degrees of freedom used by their fit.
void FitNoiseModel(const std::vector<Hour>& hours, const std::vector<double>& e, double params,
                   const std::vector<double>& e_days, int day_params_days, ProfileFit& fit) {
  const size_t n = hours.size();
  // Day means of e (UTC days), for days with at least 12 hours.
  std::map<std::int64_t, std::pair<double, int>> day_acc;
  for (size_t i = 0; i < n; ++i) {
    auto& [sum, count] = day_acc[FloorDiv(hours[i].u, 24)];
    sum += e[i];
    ++count;
  }
  std::map<std::int64_t, double> day_mean;
  for (const auto& [k, sc] : day_acc)
    if (sc.second >= 12) day_mean[k] = sc.first / sc.second;
  fit.days_for_level = static_cast<int>(day_mean.size());
  // Day-level degrees of freedom the profile used: level, trend, weekdays.
  const int day_params = 1 + (fit.trend_fitted ? 1 : 0) + (fit.weekly_fitted ? 6 : 0);
  fit.daily_level_fitted = fit.days_for_level >= 3 && fit.days_for_level - day_params_days >= 2;
  std::vector<double> w(n);
  for (size_t i = 0; i < n; ++i) {
    const auto it = day_mean.find(FloorDiv(hours[i].u, 24));
    w[i] = fit.daily_level_fitted && it != day_mean.end() ? e[i] - it->second : e[i];
  }
  // Within-day AR(1): lag-1 autocorrelation over consecutive hours.
  double num = 0, den = 0, ss = 0;
  for (size_t i = 0; i < n; ++i) {
    ss += w[i] * w[i];
    if (i > 0 && hours[i].u == hours[i - 1].u + 1) num += w[i] * w[i - 1], den += w[i - 1] * w[i - 1];
  }
  const double phi = den > 0 ? std::clamp(num / den, -0.95, 0.95) : 0.0;
  fit.within_day_autocorrelation = phi;
  const double dof_w =
      std::max(1.0, static_cast<double>(n) - params -
                        (fit.daily_level_fitted ? std::max(0, fit.days_for_level - day_params) : 0));
  const double sample_sd_w = std::sqrt(ss / dof_w);
  // Innovations of w.
  std::vector<double> a;
  for (size_t i = 1; i < n; ++i)
    if (hours[i].u == hours[i - 1].u + 1) a.push_back(w[i] - phi * w[i - 1]);
  fit.innovations = static_cast<int>(a.size());
  double m2 = 0, m4 = 0;
  for (double v : a) m2 += v * v, m4 += v * v * v * v;
  const double na = static_cast<double>(std::max<size_t>(1, a.size()));
  m2 /= na, m4 /= na;
  fit.innovation_excess_kurtosis = m2 > 0 ? m4 / (m2 * m2) - 3.0 : 0.0;
  // Gaussian against Student-t by maximum likelihood over a grid of nu
  // (scale by EM for each nu).
  const double gauss_ll = m2 > 0 ? -0.5 * na * (std::log(2 * M_PI * m2) + 1.0) : 0.0;
  double best_ll = gauss_ll, best_nu = 0, best_s = std::sqrt(m2);
  if (a.size() >= 24 && m2 > 0) {
    for (double nu : {2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0}) {
      double s2 = m2 * (nu - 2) / nu;
      for (int it = 0; it < 200; ++it) {
        double acc = 0;
        for (double v : a) acc += (nu + 1) * v * v / (nu + v * v / s2);
        const double next = acc / na;
        const bool done = std::fabs(next - s2) < 1e-12 * s2;
        s2 = next;
        if (done) break;
      }
      double ll = 0;
      for (double v : a) ll += StudentTLogDensity(v, nu, std::sqrt(s2));
      if (ll > best_ll) best_ll = ll, best_nu = nu, best_s = std::sqrt(s2);
    }
  }
  fit.tail_dof = best_nu;
  fit.innovation_scale = best_s;
  fit.tail_loglik_gain_per_hour = (best_ll - gauss_ll) / na;
  // Stationary sd of w implied by the fitted innovations (the sample sd when
  // Gaussian fits best).
  const double innov_sd = best_nu > 0 ? best_s * std::sqrt(best_nu / (best_nu - 2)) : std::sqrt(m2);
  fit.within_day_log_sd = best_nu > 0 ? innov_sd / std::sqrt(1 - phi * phi) : sample_sd_w;
  fit.within_day_last = w.back();
  if (!fit.daily_level_fitted) return;
  // Day level: variance of the day means, less the within-day noise averaged
  // over a day (AR(1): var/24 (1 + phi)/(1 - phi) for long days), on the
  // days' own degrees of freedom.
  fit.daily_level_last = day_mean.rbegin()->second;
  std::map<std::int64_t, std::pair<double, int>> acc2;
  for (size_t i = 0; i < n; ++i) {
    auto& [sum, count] = acc2[FloorDiv(hours[i].u, 24)];
    sum += e_days[i];
    ++count;
  }
  std::map<std::int64_t, double> means;
  for (const auto& [k, sc] : acc2)
    if (sc.second >= 12) means[k] = sc.first / sc.second;
  double sd2 = 0, lag_num = 0, lag_den = 0;
  double prev = 0;
  std::int64_t prev_k = std::numeric_limits<std::int64_t>::min();
  for (const auto& [k, v] : means) {
    sd2 += v * v;
    if (k == prev_k + 1) lag_num += v * prev, lag_den += prev * prev;
    prev = v, prev_k = k;
  }
  const double within_of_mean = sample_sd_w * sample_sd_w / 24.0 * (1 + phi) / (1 - phi);
  const double var_d =
      sd2 / static_cast<double>(static_cast<int>(means.size()) - day_params_days) - within_of_mean;
  fit.daily_level_log_sd = std::sqrt(std::max(0.0, var_d));
  fit.daily_level_autocorrelation = lag_den > 0 ? std::clamp(lag_num / lag_den, 0.0, 0.95) : 0.0;
}

}  // namespace

double ProfileFit::PredictLogVariance(std::int64_t u) const {
  if (parameter_covariance.size() != static_cast<size_t>(kParams) * kParams) return 0.0;
  const auto x = Regressors(u, first_weekday, weekly_fitted, trend_fitted);
  double v = 0;
  for (int i = 0; i < kParams; ++i) {
    if (x[static_cast<size_t>(i)] == 0) continue;
    for (int j = 0; j < kParams; ++j)
      v += x[static_cast<size_t>(i)] * parameter_covariance[static_cast<size_t>(i) * kParams + j] *
           x[static_cast<size_t>(j)];
  }
  return std::max(v, 0.0);
}

StatusOr<std::vector<RateTrace>> ParseRateTraces(const std::string& text, const std::string& name) {
  auto parsed = ParseCsv(text, name);
  if (!parsed.ok()) return parsed.status();
  const CsvTable& t = *parsed;
  auto c_model = t.Column("model"), c_time = t.Column("window_start_s"), c_rate = t.Column("total_rate_rps");
  std::string fallback = name.substr(name.find_last_of('/') + 1);
  if (!c_time || !c_rate) {
    c_model.reset();
    c_time = t.Column("time_s");
    c_rate = t.Column("rate");
  }
  if (!c_time || !c_rate)
    return Status::FromDiagnostics(
        {Diagnostic{name, 1, 0, "header",
                    "expected a rate trace with columns model,window_start_s,total_rate_rps "
                    "(ServeGen) or time_s,rate"}});
  std::map<std::string, RateTrace> by_model;
  std::vector<std::string> order;
  std::vector<Diagnostic> diags;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const std::string model = c_model ? t.rows[r][*c_model] : fallback;
    const auto time = ParseDouble(t.rows[r][*c_time]);
    const auto rate = ParseDouble(t.rows[r][*c_rate]);
    if (!time || *time < 0) {
      diags.push_back(
          t.At(r, *c_time, t.header[*c_time], "expected seconds >= 0, got \"" + t.rows[r][*c_time] + "\""));
      continue;
    }
    if (!rate || *rate < 0) {
      diags.push_back(
          t.At(r, *c_rate, t.header[*c_rate], "expected a rate >= 0, got \"" + t.rows[r][*c_rate] + "\""));
      continue;
    }
    auto [it, inserted] = by_model.try_emplace(model);
    if (inserted) {
      order.push_back(model);
      it->second.name = model;
      it->second.source = name;
    }
    RateTrace& tr = it->second;
    if (!tr.time_s.empty() && *time <= tr.time_s.back()) {
      diags.push_back(t.At(r, *c_time, t.header[*c_time], "times must increase within a model's trace"));
      continue;
    }
    tr.time_s.push_back(*time);
    tr.rate.push_back(*rate);
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  std::vector<RateTrace> out;
  for (const auto& m : order) {
    RateTrace tr = std::move(by_model[m]);
    if (tr.time_s.size() >= 2) tr.window_s = tr.time_s[1] - tr.time_s[0];
    out.push_back(std::move(tr));
  }
  if (out.empty()) return Status::Invalid(name + ": no rows in the rate trace");
  return out;
}

StatusOr<std::vector<RateTrace>> ReadRateTraces(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseRateTraces(*text, path);
}

StatusOr<ProfileFit> FitProfile(const RateTrace& trace, const ProfileFitOptions& options) {
  ProfileFit fit;
  fit.trace = trace.name;
  fit.utc_offset_hours = options.utc_offset_hours;
  if (!(trace.window_s > 0 && trace.window_s <= 3600 && std::fmod(3600.0, trace.window_s) == 0))
    return Status::Invalid(trace.source + ": " + trace.name + ": windows of " +
                           std::to_string(trace.window_s) + " s do not divide an hour");
  const int per_hour = static_cast<int>(3600.0 / trace.window_s);
  // Hourly means of the recorded windows (local hour index a).
  std::map<std::int64_t, std::pair<double, int>> acc;
  for (size_t i = 0; i < trace.time_s.size(); ++i) {
    const std::int64_t a = static_cast<std::int64_t>(std::floor(trace.time_s[i] / 3600.0));
    auto& [sum, count] = acc[a];
    if (trace.rate[i] > 0) {
      sum += trace.rate[i];
      ++count;
    } else {
      ++fit.windows_missing;
    }
  }
  std::vector<Hour> hours;
  for (const auto& [a, sc] : acc) {
    if (2 * sc.second < per_hour) {
      ++fit.hours_skipped;
      continue;
    }
    hours.push_back({a - options.utc_offset_hours, std::log(sc.first / sc.second)});
  }
  if (!trace.time_s.empty())
    fit.days = (trace.time_s.back() + trace.window_s - trace.time_s.front()) / 86400.0;
  if (hours.size() < 48)
    return Status::Invalid(
        trace.source + ": " + trace.name + ": " + std::to_string(hours.size()) +
        " usable hours; a profile needs at least 2 days (one day cannot tell the daily shape from noise)");
  fit.hours_used = static_cast<int>(hours.size());
  fit.weekly_fitted = fit.days >= std::max(7, options.min_days_for_weekly) - 1e-9;
  // Under two weeks, a trend and the weekday effects explain the same thing
  // (with exactly 7 days, day index = weekday): fit no trend then.
  fit.trend_fitted = options.fit_trend && (!fit.weekly_fitted || fit.days >= 14.0 - 1e-9);

  // Weekday of day 0: given, or where the two quietest consecutive day
  // classes fall (local days, before any UTC shift).
  if (options.first_weekday) {
    fit.first_weekday = Mod(*options.first_weekday, 7);
  } else if (fit.weekly_fitted) {
    std::vector<Hour> local = hours;
    for (auto& h : local) h.u += options.utc_offset_hours;
    const Fit f =
        Backfit(local, true, fit.trend_fitted, [](std::int64_t u) { return Mod(FloorDiv(u, 24), 7); });
    int quietest = 0;
    for (int c = 1; c < 7; ++c)
      if (f.b[static_cast<size_t>(c)] + f.b[static_cast<size_t>((c + 1) % 7)] <
          f.b[static_cast<size_t>(quietest)] + f.b[static_cast<size_t>((quietest + 1) % 7)])
        quietest = c;
    fit.first_weekday = Mod(5 - quietest, 7);  // class `quietest` is Saturday
    fit.first_weekday_inferred = true;
  }

  const int w0 = fit.first_weekday;
  const Fit f = Backfit(hours, fit.weekly_fitted, fit.trend_fitted,
                        [w0](std::int64_t u) { return Mod(w0 + FloorDiv(u, 24), 7); });
  fit.trend_log_per_day = f.trend;
  fit.diurnal_shape = ExpScaledToMeanOne(f.a);
  fit.weekly_shape = fit.weekly_fitted ? ExpScaledToMeanOne(f.b) : std::array<double, 7>{1, 1, 1, 1, 1, 1, 1};
  // level_log so that PredictLog reproduces c + trend t + a + b.
  fit.level_log = f.c;
  {
    double la = 0, lb = 0;
    for (double v : fit.diurnal_shape) la += std::log(v) / 24.0;
    for (double v : fit.weekly_shape) lb += std::log(v) / 7.0;
    fit.level_log = f.c - la - lb;
  }
  // Residuals: spread, autocorrelation, R^2.
  double mean_y = 0;
  for (const auto& h : hours) mean_y += h.y / static_cast<double>(hours.size());
  double sse = 0, sst = 0, lag_num = 0, lag_den = 0;
  std::vector<double> e(hours.size());
  for (size_t i = 0; i < hours.size(); ++i) {
    e[i] = hours[i].y - fit.PredictLog(hours[i].u);
    sse += e[i] * e[i];
    sst += (hours[i].y - mean_y) * (hours[i].y - mean_y);
  }
  for (size_t i = 1; i < hours.size(); ++i)
    if (hours[i].u == hours[i - 1].u + 1) {
      lag_num += e[i] * e[i - 1];
      lag_den += e[i - 1] * e[i - 1];
    }
  const double params = 1 + (fit.trend_fitted ? 1 : 0) + 23 + (fit.weekly_fitted ? 6 : 0);
  fit.hourly_noise_log_sd = std::sqrt(sse / std::max(1.0, static_cast<double>(hours.size()) - params));
  fit.hourly_noise_autocorrelation = lag_den > 0 ? std::clamp(lag_num / lag_den, -0.99, 0.99) : 0.0;
  fit.r_squared = sst > 0 ? 1.0 - sse / sst : 0.0;
  fit.residual_last = e.back();
  {
    // The day level is measured on this fit's residuals when the days leave
    // it a week of degrees of freedom after the weekday effects (3 weeks of
    // data); otherwise (one or two weeks, where each weekday effect is one or
    // two days' own level) on a fit without weekday effects, whose day-to-day
    // spread then includes the weekly pattern (conservative).
    const int day_params = 1 + (fit.trend_fitted ? 1 : 0) + (fit.weekly_fitted ? 6 : 0);
    const int days = static_cast<int>(std::floor(fit.days + 1e-9));
    if (!fit.weekly_fitted || days - day_params >= 7) {
      FitNoiseModel(hours, e, params, e, day_params, fit);
    } else {
      const Fit g = Backfit(hours, false, fit.trend_fitted, [](std::int64_t) { return 0; });
      std::vector<double> e2(hours.size());
      for (size_t i = 0; i < hours.size(); ++i)
        e2[i] = hours[i].y - g.c - g.trend * static_cast<double>(hours[i].u) / 24.0 -
                g.a[static_cast<size_t>(Mod(hours[i].u, 24))];
      FitNoiseModel(hours, e, params, e2, 1 + (fit.trend_fitted ? 1 : 0), fit);
    }
  }

  // Parameter covariance under AR(1) errors: whiten the regressors
  // (Prais-Winsten: x_t - phi x_{t-1}; the first hour of a run scaled by
  // sqrt(1 - phi^2)), then sigma_innovation^2 (X*'X*)^-1.
  const double phi = fit.hourly_noise_autocorrelation;
  const double innov_var = fit.hourly_noise_log_sd * fit.hourly_noise_log_sd * (1 - phi * phi);
  std::vector<double> xtx(static_cast<size_t>(kParams) * kParams, 0.0);
  std::array<double, kParams> prev{};
  for (size_t i = 0; i < hours.size(); ++i) {
    const auto x = Regressors(hours[i].u, fit.first_weekday, fit.weekly_fitted, fit.trend_fitted);
    std::array<double, kParams> w{};
    const bool run = i > 0 && hours[i].u == hours[i - 1].u + 1;
    for (int k = 0; k < kParams; ++k)
      w[static_cast<size_t>(k)] = run ? x[static_cast<size_t>(k)] - phi * prev[static_cast<size_t>(k)]
                                      : std::sqrt(1 - phi * phi) * x[static_cast<size_t>(k)];
    for (int a = 0; a < kParams; ++a)
      for (int b = 0; b < kParams; ++b)
        xtx[static_cast<size_t>(a) * kParams + b] += w[static_cast<size_t>(a)] * w[static_cast<size_t>(b)];
    prev = x;
  }
  fit.parameter_covariance = Inverse(std::move(xtx), kParams);
  for (auto& v : fit.parameter_covariance) v *= innov_var;
  return fit;
}

StatusOr<TokenMix> ParseTokenMix(const std::string& text, const std::string& name) {
  auto parsed = ParseCsv(text, name);
  if (!parsed.ok()) return parsed.status();
  const CsvTable& t = *parsed;
  const auto c_in = t.Column("ContextTokens"), c_out = t.Column("GeneratedTokens");
  if (!c_in || !c_out)
    return Status::FromDiagnostics({Diagnostic{name, 1, 0, "header",
                                               "expected a request trace with columns ContextTokens and "
                                               "GeneratedTokens (Azure LLM inference trace)"}});
  TokenMix mix;
  mix.source = name;
  std::vector<double> in, out;
  std::vector<Diagnostic> diags;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto a = ParseDouble(t.rows[r][*c_in]), b = ParseDouble(t.rows[r][*c_out]);
    if (!a || *a < 0) {
      diags.push_back(
          t.At(r, *c_in, "ContextTokens", "expected a token count >= 0, got \"" + t.rows[r][*c_in] + "\""));
      continue;
    }
    if (!b || *b < 0) {
      diags.push_back(t.At(r, *c_out, "GeneratedTokens",
                           "expected a token count >= 0, got \"" + t.rows[r][*c_out] + "\""));
      continue;
    }
    in.push_back(*a);
    out.push_back(*b);
    mix.input_tokens += *a;
    mix.output_tokens += *b;
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  if (in.empty() || !(mix.output_tokens > 0))
    return Status::Invalid(name + ": no requests with output tokens");
  mix.requests = static_cast<std::int64_t>(in.size());
  mix.input_tokens_per_output_token = mix.input_tokens / mix.output_tokens;
  mix.mean_input_tokens_per_request = mix.input_tokens / static_cast<double>(mix.requests);
  mix.mean_output_tokens_per_request = mix.output_tokens / static_cast<double>(mix.requests);
  auto median = [](std::vector<double> v) {
    const size_t m = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
    double hi = v[m];
    if (v.size() % 2 == 1) return hi;
    return 0.5 * (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m)));
  };
  mix.median_input_tokens_per_request = median(in);
  mix.median_output_tokens_per_request = median(out);
  return mix;
}

StatusOr<TokenMix> ReadTokenMix(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTokenMix(*text, path);
}

StatusOr<bool> IsRequestTrace(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  std::string header;
  std::getline(in, header);
  auto parsed = ParseCsv(header + "\n", path);
  if (!parsed.ok()) return parsed.status();
  if (parsed->Column("ContextTokens") && parsed->Column("GeneratedTokens")) return true;
  if ((parsed->Column("window_start_s") && parsed->Column("total_rate_rps")) ||
      (parsed->Column("time_s") && parsed->Column("rate")))
    return false;
  return Status::FromDiagnostics({Diagnostic{
      path, 1, 0, "header",
      "not a trace fit-profile knows: expected model,window_start_s,total_rate_rps (rates), time_s,rate "
      "(rates) or ContextTokens,GeneratedTokens (requests)"}});
}

}  // namespace fungible

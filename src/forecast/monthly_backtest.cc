#include "forecast/monthly_backtest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "forecast/cone.h"
#include "forecast/internal/score_totals.h"
#include "util/csv.h"

namespace fungible {
namespace {

double NormalCdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

double StandardNormalQuantile(double p) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (NormalCdf(mid) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// z(0.90): the P10-P90 band's half-width in standard deviations.
const double kZ90 = StandardNormalQuantile(0.90);

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// "YYYY-MM" -> year x 12 + month - 1.
std::optional<int> ParseMonth(const std::string& s) {
  if (s.size() != 7 || s[4] != '-') return std::nullopt;
  for (size_t i = 0; i < 7; ++i)
    if (i != 4 && !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  const int year = std::stoi(s.substr(0, 4)), month = std::stoi(s.substr(5, 2));
  if (month < 1 || month > 12) return std::nullopt;
  return year * 12 + month - 1;
}

using Totals = forecast_internal::ScoreTotals;

int BucketOf(int horizon) {
  for (size_t b = 0; b < kMonthlyHorizonBuckets.size(); ++b)
    if (horizon >= kMonthlyHorizonBuckets[b][0] && horizon <= kMonthlyHorizonBuckets[b][1])
      return static_cast<int>(b);
  return static_cast<int>(kMonthlyHorizonBuckets.size()) - 1;
}

// Split-conformal factor on the spread from standardised errors |z|: the
// P10-P90 half-width z(0.9) sd is scaled so that it would have covered the
// ceil((n + 1) 0.8)-th smallest |z| (ConformalFactor on E = |z| / z(0.9) - 1).
double SpreadFactor(const std::vector<double>& abs_z) {
  std::vector<double> excess;
  excess.reserve(abs_z.size());
  for (double z : abs_z) excess.push_back(z / kZ90 - 1.0);
  return ConformalFactor(std::move(excess), kCalibratedBands[1]);
}

}  // namespace

EnsembleScore ScoreGaussian(double mean, double sd, double truth) {
  EnsembleScore s;
  std::array<double, kConeProbabilities.size()> q{};
  for (size_t j = 0; j < q.size(); ++j) q[j] = mean + sd * StandardNormalQuantile(kConeProbabilities[j]);
  forecast_internal::ScoreBands(q, truth, s);
  // CRPS of N(mean, sd^2) at y (Gneiting and Raftery, 2007):
  // sd (z (2 Phi(z) - 1) + 2 phi(z) - 1 / sqrt(pi)).
  const double z = (truth - mean) / sd;
  const double phi = std::exp(-0.5 * z * z) / std::sqrt(2.0 * M_PI);
  s.crps = sd * (z * (2.0 * NormalCdf(z) - 1.0) + 2.0 * phi - 1.0 / std::sqrt(M_PI));
  return s;
}

StatusOr<std::vector<PublishedSeries>> ReadPublishedSeries(const std::string& path) {
  auto table = ReadCsv(path);
  if (!table.ok()) return table.status();
  const auto c_series = table->Column("series"), c_month = table->Column("month"),
             c_value = table->Column("value"), c_unit = table->Column("unit");
  std::vector<Diagnostic> diags =
      table->MissingColumns({"series", "month", "value", "unit"}, "series,month,value,unit,...");
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  std::vector<PublishedSeries> out;
  std::map<std::string, size_t> index;
  std::map<std::pair<std::string, int>, int> seen;  // (series, month) -> line
  for (size_t r = 0; r < table->rows.size(); ++r) {
    const auto& row = table->rows[r];
    const std::string& name = row[*c_series];
    if (name.empty()) {
      diags.push_back(table->At(r, *c_series, "series", "expected a series name, got an empty field"));
      continue;
    }
    const auto month = ParseMonth(row[*c_month]);
    if (!month) {
      diags.push_back(
          table->At(r, *c_month, "month", "expected a month YYYY-MM, got " + Quote(row[*c_month])));
      continue;
    }
    const auto value = ParseDouble(row[*c_value]);
    if (!value || !(*value > 0)) {
      diags.push_back(table->At(r, *c_value, "value",
                                "expected a positive number (e.g. 9.7e12), got " + Quote(row[*c_value])));
      continue;
    }
    const int line = table->row_lines[r];
    if (auto it = seen.find({name, *month}); it != seen.end()) {
      diags.push_back(table->At(r, *c_month, "month",
                                "series " + Quote(name) + " already has a point in " + row[*c_month] +
                                    " (line " + std::to_string(it->second) + ")"));
      continue;
    }
    seen[{name, *month}] = line;
    auto [it, fresh] = index.emplace(name, out.size());
    if (fresh) out.push_back(PublishedSeries{name, row[*c_unit], {}});
    PublishedSeries& s = out[it->second];
    if (s.unit != row[*c_unit]) {
      diags.push_back(
          table->At(r, *c_unit, "unit",
                    "series " + Quote(name) + " is in " + Quote(s.unit) + ", got " + Quote(row[*c_unit])));
      continue;
    }
    s.points.push_back(PublishedPoint{*month, *value, line});
  }
  if (!diags.empty()) return Status::FromDiagnostics(std::move(diags));
  if (out.empty()) return Status::Invalid(path + ": no published points");
  for (PublishedSeries& s : out)
    std::sort(s.points.begin(), s.points.end(),
              [](const PublishedPoint& a, const PublishedPoint& b) { return a.month < b.month; });
  return out;
}

LogSeries ToLogSeries(const PublishedSeries& series) {
  LogSeries out;
  out.name = series.name;
  for (const PublishedPoint& p : series.points) {
    out.months.push_back(p.month);
    out.log_values.push_back(std::log(p.value));
  }
  return out;
}

namespace {

// ---- The local linear trend over irregular gaps.
//
// Month by month: x[t] = x[t-1] + g[t-1] + sigma eps[t], g[t] = g[t-1] +
// d nu[t]. Over a gap of dt months from a point whose growth is g, the
// increment D = x[dt] - x[0] and the growth at its end g' are jointly
// Gaussian given g:
//   D  = dt g + d sum_{j<dt} (dt - j) nu_j + sigma sum eps + obs noise
//   g' = g + d sum_{j<=dt} nu_j
// with Var D = sigma^2 dt + obs^2 + d^2 (dt-1) dt (2dt-1) / 6,
// Cov(D, g') = d^2 dt (dt-1) / 2, Var(g' - g) = d^2 dt.
struct GapMoments {
  double var_d = 0, cov_dg = 0, var_g = 0;
};
GapMoments Gap(double dt, double sigma, double drift, double obs) {
  const double d2 = drift * drift;
  return {sigma * sigma * dt + obs * obs + d2 * (dt - 1) * dt * (2 * dt - 1) / 6, d2 * dt * (dt - 1) / 2,
          d2 * dt};
}
// Variance of the log value h months after a point whose growth is N(m, P):
// h^2 P + h sigma^2 + d^2 (h-1) h (2h-1) / 6.
double ForecastVariance(double h, double growth_var, double sigma, double drift) {
  return h * h * growth_var + h * sigma * sigma + drift * drift * (h - 1) * h * (2 * h - 1) / 6;
}

// The Kalman filter over a series' increments (months[0..k]), the growth at
// the first point either N(mean, var) (`flat` false) or flat (`flat` true:
// the augmented filter, state mean = mD + g1 mG with g1 integrated out).
struct FilterResult {
  double growth = 0, growth_var = 0;              // for the month after the last point
  double first_growth = 0, first_growth_var = 0;  // flat: the estimate of g1
  double log_likelihood = 0;                      // flat: restricted (diffuse); else marginal
  int increments = 0;
};
FilterResult Filter(const std::vector<int>& months, const std::vector<double>& y, size_t last, double sigma,
                    double drift, double obs, bool flat, double prior_mean = 0, double prior_var = 0) {
  FilterResult r;
  double md = flat ? 0 : prior_mean, mg = flat ? 1 : 0, p = flat ? 0 : prior_var;
  double sum_log = 0, a = 0, b = 0, c = 0;
  for (size_t i = 1; i <= last; ++i) {
    const double dt = months[i] - months[i - 1];
    const GapMoments gm = Gap(dt, sigma, drift, obs);
    const double s = dt * dt * p + gm.var_d, cov = dt * p + gm.cov_dg, k = cov / s;
    const double vd = y[i] - y[i - 1] - dt * md, vg = -dt * mg;
    sum_log += std::log(s);
    a += vd * vd / s;
    b += vd * vg / s;
    c += vg * vg / s;
    md += k * vd;
    mg += k * vg;
    p += gm.var_g - k * cov;
    ++r.increments;
  }
  const double log2pi = std::log(2 * M_PI);
  if (flat) {
    const double g1 = c > 0 ? -b / c : 0;
    r.first_growth = g1;
    r.first_growth_var = c > 0 ? 1 / c : std::numeric_limits<double>::infinity();
    r.growth = md + g1 * mg;
    r.growth_var = p + mg * mg * r.first_growth_var;
    r.log_likelihood = -0.5 * ((r.increments - 1) * log2pi + sum_log + std::log(c) + (a - b * b / c));
  } else {
    r.growth = md;
    r.growth_var = p;
    r.log_likelihood = -0.5 * (r.increments * log2pi + sum_log + a);
  }
  return r;
}

double RestrictedLogLik(const std::vector<LogSeries>& series, double sigma, double drift, double obs) {
  double ll = 0;
  for (const LogSeries& s : series)
    if (s.months.size() >= 2)
      ll += Filter(s.months, s.log_values, s.months.size() - 1, sigma, drift, obs, true).log_likelihood;
  return ll;
}

// Maximises f over [0, 1]^dims (dims 1 or 2) on a log grid with 0, then on
// two finer grids around the best point.
std::array<double, 2> MaximiseOnGrid(int dims, const std::function<double(double, double)>& f) {
  std::vector<double> grid = {0};
  for (int k = 0; k <= 60; ++k) grid.push_back(1e-3 * std::pow(10.0, 3.0 * k / 60));
  std::array<double, 2> best{0, 0};
  double best_f = -std::numeric_limits<double>::infinity();
  auto visit = [&](double u, double v) {
    const double val = f(u, v);
    if (val > best_f) best_f = val, best = {u, v};
  };
  for (double u : grid)
    for (double v : (dims == 2 ? grid : std::vector<double>{0})) visit(u, v);
  // Zoom: between the neighbours of the best point, twice.
  std::array<double, 2> lo{}, hi{};
  for (int d = 0; d < 2; ++d) {
    const auto it = std::lower_bound(grid.begin(), grid.end(), best[static_cast<size_t>(d)]);
    lo[static_cast<size_t>(d)] = it == grid.begin() ? 0 : *(it - 1);
    hi[static_cast<size_t>(d)] = it + 1 == grid.end() ? *it : *(it + 1);
  }
  for (int round = 0; round < 2; ++round) {
    constexpr int kSteps = 20;
    const std::array<double, 2> l = lo, h = hi;
    for (int i = 0; i <= kSteps; ++i)
      for (int j = 0; j <= (dims == 2 ? kSteps : 0); ++j)
        visit(l[0] + (h[0] - l[0]) * i / kSteps, dims == 2 ? l[1] + (h[1] - l[1]) * j / kSteps : 0.0);
    for (size_t d = 0; d < 2; ++d) {
      const double w = (h[d] - l[d]) / kSteps;
      lo[d] = std::max(0.0, best[d] - w);
      hi[d] = std::min(1.0, best[d] + w);
    }
  }
  return best;
}

}  // namespace

StatusOr<GrowthNoiseFit> FitGrowthNoise(const std::vector<LogSeries>& series, double observation_log_sd,
                                        int min_increments) {
  if (!(observation_log_sd > 0)) return Status::Invalid("growth noise fit: observation noise must be > 0");
  GrowthNoiseFit fit;
  std::vector<LogSeries> used;
  for (const LogSeries& s : series) {
    if (s.months.size() != s.log_values.size())
      return Status::Invalid("growth noise fit: series \"" + s.name +
                             "\" has months and values of different lengths");
    for (size_t i = 1; i < s.months.size(); ++i)
      if (s.months[i] <= s.months[i - 1])
        return Status::Invalid("growth noise fit: series \"" + s.name + "\" is not in ascending months");
    if (s.months.size() < 2) continue;
    used.push_back(s);
    fit.increments += static_cast<int>(s.months.size()) - 1;
  }
  fit.series = static_cast<int>(used.size());
  // Each series' first increment goes to its starting growth.
  if (fit.increments - fit.series < min_increments)
    return Status::Invalid("growth noise fit: " + std::to_string(fit.increments) + " increments in " +
                           std::to_string(fit.series) + " series, need " + std::to_string(min_increments) +
                           " beyond each series' first");
  const double obs = observation_log_sd;
  const auto both = MaximiseOnGrid(2, [&](double s, double d) { return RestrictedLogLik(used, s, d, obs); });
  const auto one = MaximiseOnGrid(1, [&](double s, double) { return RestrictedLogLik(used, s, 0, obs); });
  fit.drift = {both[0], both[1], RestrictedLogLik(used, both[0], both[1], obs), 2, 0};
  fit.no_drift = {one[0], 0, RestrictedLogLik(used, one[0], 0, obs), 1, 0};
  for (GrowthNoiseModelFit* m : {&fit.drift, &fit.no_drift})
    m->aic = 2 * m->parameters - 2 * m->log_likelihood;
  fit.drift_preferred = fit.drift.aic < fit.no_drift.aic;
  for (const LogSeries& s : used) {
    const FilterResult r = Filter(s.months, s.log_values, s.months.size() - 1, fit.drift.volatility,
                                  fit.drift.growth_drift_sd, obs, true);
    fit.growth.push_back({s.name, r.increments, r.first_growth, std::sqrt(r.first_growth_var), r.growth,
                          std::sqrt(r.growth_var)});
  }
  return fit;
}

namespace {

Status CheckOptions(const MonthlyBacktestOptions& o) {
  if (!(o.growth_sd > 0) || !(o.volatility >= 0) || !(o.observation_log_sd >= 0) || o.min_points < 1 ||
      o.min_calibration_errors < 1)
    return Status::Invalid(
        "monthly backtest: growth_sd must be > 0, volatility and observation noise >= 0, "
        "min_points and min_calibration_errors >= 1");
  if (!(o.growth_drift_sd >= 0)) return Status::Invalid("monthly backtest: growth_drift_sd must be >= 0");
  if (o.fit && (o.min_points < 2 || !(o.observation_log_sd > 0) || o.min_fit_increments < 1))
    return Status::Invalid(
        "monthly backtest: a fit needs min_points >= 2, an observation noise > 0 and min_fit_increments >= "
        "1");
  return Status::Ok();
}

// The points of every series of `pool` up to `month` (what an origin in
// `month` knows).
std::vector<LogSeries> KnownAt(const std::vector<LogSeries>& pool, int month) {
  std::vector<LogSeries> out;
  for (const LogSeries& s : pool) {
    LogSeries cut;
    cut.name = s.name;
    for (size_t i = 0; i < s.months.size() && s.months[i] <= month; ++i) {
      cut.months.push_back(s.months[i]);
      cut.log_values.push_back(s.log_values[i]);
    }
    out.push_back(std::move(cut));
  }
  return out;
}

// The model's forecasts of one series from every origin (factor 1). With
// options.fit, the volatility and drift are fitted at each origin on the
// points of `fit_pool` known then.
MonthlyBacktest ModelForecasts(const PublishedSeries& series, const MonthlyBacktestOptions& o,
                               const std::vector<LogSeries>& fit_pool) {
  MonthlyBacktest bt;
  bt.name = series.name;
  bt.unit = series.unit;
  const int n = static_cast<int>(series.points.size());
  bt.points = n;
  std::vector<double> y(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    y[static_cast<size_t>(i)] = std::log(series.points[static_cast<size_t>(i)].value);
  auto month = [&](int i) { return series.points[static_cast<size_t>(i)].month; };
  std::vector<int> months(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) months[static_cast<size_t>(i)] = month(i);
  // The cone from origin k to every later point: the growth learned up to k
  // (mean, variance), the volatility and the growth drift.
  auto add_forecasts = [&](int k, double growth, double growth_var, double sigma, double drift, bool fitted) {
    bt.last_growth_mean = growth;
    bt.last_growth_sd = std::sqrt(growth_var);
    ++bt.origins;
    for (int j = k + 1; j < n; ++j) {
      MonthlyForecast f;
      f.origin_month = month(k);
      f.target_month = month(j);
      f.horizon_months = month(j) - month(k);
      const double h = f.horizon_months;
      f.truth_log = y[static_cast<size_t>(j)];
      f.mean_log = y[static_cast<size_t>(k)] + h * growth;
      f.sd_log = std::sqrt(ForecastVariance(h, growth_var, sigma, drift));
      f.volatility = sigma;
      f.growth_drift_sd = drift;
      f.fitted = fitted;
      bt.forecasts.push_back(f);
    }
  };
  for (int k = o.min_points - 1; k < n - 1; ++k) {
    // The local linear trend: the growth learned by the Kalman filter over
    // the increments up to k, from the spec's prior (or flat when fitting).
    // Without drift it is the conjugate normal update of a fixed growth.
    double sigma = o.volatility, drift = o.growth_drift_sd;
    bool fitted = false;
    if (o.fit) {
      auto fit = FitGrowthNoise(KnownAt(fit_pool, month(k)), o.observation_log_sd, o.min_fit_increments);
      if (fit.ok()) {
        sigma = fit->drift.volatility;
        drift = fit->drift.growth_drift_sd;
        fitted = true;
      }
    }
    const FilterResult r = Filter(months, y, static_cast<size_t>(k), sigma, drift, o.observation_log_sd,
                                  o.fit, o.growth_mean, o.growth_sd * o.growth_sd);
    add_forecasts(k, r.growth, r.growth_var, sigma, drift, fitted);
  }
  return bt;
}

double AbsZ(const MonthlyForecast& f) { return std::fabs(f.truth_log - f.mean_log) / f.sd_log; }

// Factors for every forecast of `series` from the errors of `pool` (forecasts
// of any series) whose target month is at or before the forecast's origin.
// With options.fit only the errors of fitted cones count: split-conformal
// needs the errors of the model it corrects, and the cones of origins with
// too few increments to fit are another model (the options' noise).
void Recalibrate(std::vector<MonthlyBacktest>& series, const std::vector<const MonthlyForecast*>& pool,
                 const MonthlyBacktestOptions& o) {
  for (MonthlyBacktest& bt : series) {
    for (MonthlyForecast& f : bt.forecasts) {
      std::vector<double> own, pooled;
      const int bucket = BucketOf(f.horizon_months);
      for (const MonthlyForecast* e : pool) {
        if (e->target_month > f.origin_month || (o.fit && !e->fitted)) continue;
        pooled.push_back(AbsZ(*e));
        if (BucketOf(e->horizon_months) == bucket) own.push_back(AbsZ(*e));
      }
      f.factor = 1;
      f.calibrated = false;
      if (static_cast<int>(own.size()) >= o.min_calibration_errors) {
        f.factor = SpreadFactor(own);
        f.calibrated = true;
      } else if (static_cast<int>(pooled.size()) >= o.min_calibration_errors) {
        f.factor = SpreadFactor(pooled);
        f.calibrated = true;
      }
    }
    std::vector<double> all;
    for (const MonthlyForecast* e : pool)
      if (!o.fit || e->fitted) all.push_back(AbsZ(*e));
    bt.next_errors = static_cast<std::int64_t>(all.size());
    bt.next_factor = static_cast<int>(all.size()) >= o.min_calibration_errors ? SpreadFactor(all) : 1.0;
  }
}

MonthlyBucket ScoreBucket(const std::string& name, const std::vector<MonthlyForecast>& forecasts, int lo,
                          int hi, std::string label) {
  MonthlyBucket b;
  b.label = std::move(label);
  b.min_months = lo;
  b.max_months = hi;
  Totals raw, cal;
  double factor_sum = 0;
  std::int64_t above = 0;
  int last_origin = -1;
  for (const MonthlyForecast& f : forecasts) {
    if (f.horizon_months < lo || f.horizon_months > hi) continue;
    raw.Add(ScoreGaussian(f.mean_log, f.sd_log, f.truth_log));
    cal.Add(ScoreGaussian(f.mean_log, f.sd_log * f.factor, f.truth_log));
    factor_sum += f.factor;
    above += f.truth_log > f.mean_log;
    b.uncalibrated_points += !f.calibrated;
    if (f.origin_month != last_origin) ++b.origins, last_origin = f.origin_month;
  }
  b.raw = raw.Score(name + ", " + b.label + ", model");
  b.calibrated = cal.Score(name + ", " + b.label + ", recalibrated");
  if (raw.points > 0) {
    b.mean_factor = factor_sum / static_cast<double>(raw.points);
    b.above_median_share = static_cast<double>(above) / static_cast<double>(raw.points);
  }
  return b;
}

void Summarize(MonthlyBacktest& bt) {
  bt.buckets.clear();
  for (const auto& [lo, hi] : kMonthlyHorizonBuckets) {
    MonthlyBucket b = ScoreBucket(bt.name, bt.forecasts, lo, hi,
                                  hi >= 1200 ? std::to_string(lo) + "+ months"
                                             : std::to_string(lo) + "-" + std::to_string(hi) + " months");
    if (b.raw.points > 0) bt.buckets.push_back(std::move(b));
  }
  bt.buckets.push_back(ScoreBucket(bt.name, bt.forecasts, 1, 1 << 30, "all"));
}

}  // namespace

StatusOr<MonthlyBacktest> BacktestMonthly(const PublishedSeries& series, const MonthlyBacktestOptions& o) {
  if (Status st = CheckOptions(o); !st.ok()) return st;
  const int n = static_cast<int>(series.points.size());
  if (n < o.min_points + 1)
    return Status::Invalid("series " + Quote(series.name) + " has " + std::to_string(n) +
                           " points: a monthly backtest needs at least " + std::to_string(o.min_points + 1));
  std::vector<MonthlyBacktest> one = {ModelForecasts(series, o, {ToLogSeries(series)})};
  std::vector<const MonthlyForecast*> pool;
  for (const MonthlyForecast& f : one[0].forecasts) pool.push_back(&f);
  Recalibrate(one, pool, o);
  Summarize(one[0]);
  return std::move(one[0]);
}

StatusOr<MonthlySeriesBacktest> BacktestMonthlySeries(const std::vector<PublishedSeries>& series,
                                                      const MonthlyBacktestOptions& o) {
  if (Status st = CheckOptions(o); !st.ok()) return st;
  MonthlySeriesBacktest out;
  std::vector<LogSeries> fit_pool;
  for (const PublishedSeries& s : series) fit_pool.push_back(ToLogSeries(s));
  if (o.fit) {
    auto pooled = FitGrowthNoise(fit_pool, o.observation_log_sd, o.min_fit_increments);
    if (pooled.ok()) out.pooled_fit = std::move(pooled).value();
  }
  for (const PublishedSeries& s : series) {
    if (static_cast<int>(s.points.size()) < o.min_points + 1) {
      out.skipped.push_back(s.name + " (" + std::to_string(s.points.size()) + " points)");
      continue;
    }
    out.series.push_back(ModelForecasts(s, o, fit_pool));
    if (o.fit) {
      auto own = FitGrowthNoise({ToLogSeries(s)}, o.observation_log_sd, o.min_fit_increments);
      out.series_fit.push_back(own.ok() ? std::optional<GrowthNoiseFit>(std::move(own).value())
                                        : std::nullopt);
    }
  }
  if (out.series.empty())
    return Status::Invalid("no series with at least " + std::to_string(o.min_points + 1) + " points");
  std::vector<const MonthlyForecast*> pool;
  for (const MonthlyBacktest& bt : out.series)
    for (const MonthlyForecast& f : bt.forecasts) pool.push_back(&f);
  if (o.pool_series) {
    Recalibrate(out.series, pool, o);
  } else {
    for (MonthlyBacktest& bt : out.series) {
      std::vector<MonthlyBacktest> one = {std::move(bt)};
      std::vector<const MonthlyForecast*> own;
      for (const MonthlyForecast& f : one[0].forecasts) own.push_back(&f);
      Recalibrate(one, own, o);
      bt = std::move(one[0]);
    }
  }
  out.all.name = "all series";
  out.all.unit = "log points";
  for (MonthlyBacktest& bt : out.series) {
    Summarize(bt);
    out.all.points += bt.points;
    out.all.origins += bt.origins;
    // Sorted by origin month below, so a bucket counts distinct origin months.
    out.all.forecasts.insert(out.all.forecasts.end(), bt.forecasts.begin(), bt.forecasts.end());
  }
  std::stable_sort(
      out.all.forecasts.begin(), out.all.forecasts.end(),
      [](const MonthlyForecast& a, const MonthlyForecast& b) { return a.origin_month < b.origin_month; });
  out.all.next_factor = out.series.front().next_factor;
  out.all.next_errors = out.series.front().next_errors;
  Summarize(out.all);
  return out;
}

}  // namespace fungible

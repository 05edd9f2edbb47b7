#include "forecast/monthly_backtest.h"

#include <algorithm>
#include <cctype>
#include <cmath>
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

namespace {

Status CheckOptions(const MonthlyBacktestOptions& o) {
  if (!(o.growth_sd > 0) || !(o.volatility >= 0) || !(o.observation_log_sd >= 0) || o.min_points < 1 ||
      o.min_calibration_errors < 1)
    return Status::Invalid(
        "monthly backtest: growth_sd must be > 0, volatility and observation noise >= 0, "
        "min_points and min_calibration_errors >= 1");
  return Status::Ok();
}

// The model's forecasts of one series from every origin (factor 1).
MonthlyBacktest ModelForecasts(const PublishedSeries& series, const MonthlyBacktestOptions& o) {
  MonthlyBacktest bt;
  bt.name = series.name;
  bt.unit = series.unit;
  const int n = static_cast<int>(series.points.size());
  bt.points = n;
  std::vector<double> y(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    y[static_cast<size_t>(i)] = std::log(series.points[static_cast<size_t>(i)].value);
  auto month = [&](int i) { return series.points[static_cast<size_t>(i)].month; };
  const double obs2 = o.observation_log_sd * o.observation_log_sd;
  const double vol2 = o.volatility * o.volatility;
  for (int k = o.min_points - 1; k < n - 1; ++k) {
    // Conjugate update of the growth rate from the increments up to k: each
    // increment d over dt months is N(g dt, sigma^2 dt + obs^2) given g.
    double precision = 1.0 / (o.growth_sd * o.growth_sd);
    double weighted = o.growth_mean * precision;
    for (int i = 1; i <= k; ++i) {
      const double dt = month(i) - month(i - 1);
      const double var = vol2 * dt + obs2;
      precision += dt * dt / var;
      weighted += dt * (y[static_cast<size_t>(i)] - y[static_cast<size_t>(i - 1)]) / var;
    }
    const double g = weighted / precision, g_var = 1.0 / precision;
    bt.last_growth_mean = g;
    bt.last_growth_sd = std::sqrt(g_var);
    ++bt.origins;
    for (int j = k + 1; j < n; ++j) {
      MonthlyForecast f;
      f.origin_month = month(k);
      f.target_month = month(j);
      f.horizon_months = month(j) - month(k);
      const double h = f.horizon_months;
      f.truth_log = y[static_cast<size_t>(j)];
      f.mean_log = y[static_cast<size_t>(k)] + h * g;
      f.sd_log = std::sqrt(h * h * g_var + h * vol2);
      bt.forecasts.push_back(f);
    }
  }
  return bt;
}

double AbsZ(const MonthlyForecast& f) { return std::fabs(f.truth_log - f.mean_log) / f.sd_log; }

// Factors for every forecast of `series` from the errors of `pool` (forecasts
// of any series) whose target month is at or before the forecast's origin.
void Recalibrate(std::vector<MonthlyBacktest>& series, const std::vector<const MonthlyForecast*>& pool,
                 const MonthlyBacktestOptions& o) {
  for (MonthlyBacktest& bt : series) {
    for (MonthlyForecast& f : bt.forecasts) {
      std::vector<double> own, pooled;
      const int bucket = BucketOf(f.horizon_months);
      for (const MonthlyForecast* e : pool) {
        if (e->target_month > f.origin_month) continue;
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
    for (const MonthlyForecast* e : pool) all.push_back(AbsZ(*e));
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
  std::vector<MonthlyBacktest> one = {ModelForecasts(series, o)};
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
  for (const PublishedSeries& s : series) {
    if (static_cast<int>(s.points.size()) < o.min_points + 1) {
      out.skipped.push_back(s.name + " (" + std::to_string(s.points.size()) + " points)");
      continue;
    }
    out.series.push_back(ModelForecasts(s, o));
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

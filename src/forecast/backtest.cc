#include "forecast/backtest.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>
#include <utility>

#include "forecast/cone.h"
#include "forecast/internal/monthly_step.h"
#include "forecast/internal/score_totals.h"
#include "forecast/random.h"
#include "util/parallel.h"

namespace fungible {
namespace {

using Totals = forecast_internal::ScoreTotals;

// Type-7 quantile of sorted values.
double SortedQuantile(const std::vector<double>& s, double p) {
  const double h = static_cast<double>(s.size() - 1) * p;
  const size_t lo = static_cast<size_t>(std::floor(h));
  if (lo + 1 >= s.size()) return s.back();
  return s[lo] + (h - static_cast<double>(lo)) * (s[lo + 1] - s[lo]);
}

// A sorted ensemble with the pieces CRPS needs, for scoring many truths.
struct SortedEnsemble {
  std::vector<double> x;       // ascending
  std::vector<double> q;       // kConeProbabilities quantiles
  double spread_term = 0;      // (1/M^2) sum_k x_(k) (2k - M + 1)
  std::vector<double> prefix;  // prefix sums of x

  explicit SortedEnsemble(std::vector<double> values) : x(std::move(values)) {
    std::sort(x.begin(), x.end());
    for (double p : kConeProbabilities) q.push_back(SortedQuantile(x, p));
    const double m = static_cast<double>(x.size());
    prefix.assign(x.size() + 1, 0.0);
    for (size_t k = 0; k < x.size(); ++k) {
      spread_term += x[k] * (2.0 * static_cast<double>(k) - m + 1.0);
      prefix[k + 1] = prefix[k] + x[k];
    }
    spread_term /= m * m;
  }

  EnsembleScore Score(double y) const {
    EnsembleScore s;
    forecast_internal::ScoreBands(q, y, s);
    // mean |x - y| from the prefix sums around y's position.
    const size_t k = static_cast<size_t>(std::upper_bound(x.begin(), x.end(), y) - x.begin());
    const double m = static_cast<double>(x.size());
    const double below = y * static_cast<double>(k) - prefix[k];
    const double above = (prefix[x.size()] - prefix[k]) - y * (m - static_cast<double>(k));
    s.crps = (below + above) / m - spread_term;
    return s;
  }
};

}  // namespace

EnsembleScore ScoreEnsemble(std::span<double> ensemble, double truth) {
  return SortedEnsemble(std::vector<double>(ensemble.begin(), ensemble.end())).Score(truth);
}

std::vector<CalibrationScore> BacktestSynthetic(const DemandModel& model, const ScenarioSet& set,
                                                const SyntheticBacktestOptions& options) {
  using namespace forecast_internal;
  const int h = set.horizon_months, tiers = set.num_tiers;
  const int truths = std::max(1, options.truths);
  const int threads = ResolveThreads(options.threads);
  // The forecast: every tier-month column of the prior, sorted once.
  std::vector<SortedEnsemble> cols;
  cols.reserve(static_cast<size_t>(tiers) * h);
  for (int s = 0; s < tiers; ++s)
    for (int t = 1; t <= h; ++t)
      cols.emplace_back(std::vector<double>(set.Column(s, t), set.Column(s, t) + set.scenarios));

  const StepCoefficients coef(model);
  const int dims = model.num_latents();
  size_t num_launches = coef.launch_month.size();
  std::vector<TierStart> starts(model.tiers.size());
  for (size_t s = 0; s < starts.size(); ++s) starts[s].month = model.tiers[s].anchor_month;

  std::vector<CalibrationScore> out;
  for (int variant = 0; variant < 2; ++variant) {
    std::vector<Totals> partial(static_cast<size_t>(truths));
    ParallelFor(truths, threads, 1, [&](std::int64_t b, std::int64_t e) {
      PathScratch scratch;
      std::vector<double> z(static_cast<size_t>(dims)), g(model.tiers.size()), jl(num_launches);
      for (std::int64_t r = b; r < e; ++r) {
        Rng rng(set.seed, StreamPurpose::kBacktestTruth, static_cast<std::uint64_t>(variant) << 40 | r);
        for (auto& v : z) v = variant == 0 ? rng.Normal() : 0.0;
        ParamsFromLatents(model, z.data(), g.data(), jl.data());
        Totals& tot = partial[static_cast<size_t>(r)];
        SimulatePath(
            model, coef, g.data(), jl.data(), starts.data(), scratch, [&rng] { return rng.Normal(); },
            [&](size_t s, int t, double v) {
              tot.Add(cols[s * static_cast<size_t>(h) + static_cast<size_t>(t - 1)].Score(v));
            });
        // Months up to a later as_of are certain in both; they are not scored.
      }
    });
    Totals all;
    for (const Totals& t : partial) all.Add(t);  // in order: thread-independent
    out.push_back(all.Score(variant == 0 ? "synthetic: truth drawn from the prior"
                                         : "synthetic: truth at the prior median"));
  }
  return out;
}

double ConformalFactor(std::vector<double> excess, double band) {
  if (excess.empty()) return 1.0;
  std::sort(excess.begin(), excess.end());
  const double n = static_cast<double>(excess.size());
  const size_t rank = static_cast<size_t>(std::ceil((n + 1.0) * band - 1e-9));
  const double e = excess[std::min(rank, excess.size()) - 1];
  return std::max(0.05, 1.0 + e);
}

double WeightedConformalFactor(std::vector<std::pair<double, double>> excess_weight, double band) {
  if (excess_weight.empty()) return 1.0;
  std::sort(excess_weight.begin(), excess_weight.end());
  double total = 1.0;  // the new point's own weight (its excess: +infinity)
  for (const auto& [e, w] : excess_weight) total += w;
  double cum = 0;
  for (const auto& [e, w] : excess_weight) {
    cum += w;
    if (cum >= band * total - 1e-12) return std::max(0.05, 1.0 + e);
  }
  return std::max(0.05, 1.0 + excess_weight.back().first);
}

namespace {

// A forecast point's relative excess over each calibrated band.
std::array<double, 3> RelativeExcess(const std::vector<double>& q, double y) {
  // q: kConeProbabilities quantiles (P5, P10, P25, P50, P75, P90, P95).
  static constexpr size_t kLo[3] = {2, 1, 0}, kHi[3] = {4, 5, 6};
  const double m = q[3];
  std::array<double, 3> e{};
  for (size_t b = 0; b < 3; ++b) {
    const double lo = std::max(m - q[kLo[b]], 1e-12), hi = std::max(q[kHi[b]] - m, 1e-12);
    e[b] = std::max((m - y) / lo, (y - m) / hi) - 1.0;
  }
  return e;
}

// The ensemble scaled around its median band by band: a member at central
// level l = |2 F - 1| moves by the factor interpolated between the bands'.
std::vector<double> ScaleEnsemble(const std::vector<double>& sorted, double median,
                                  const std::array<double, 3>& c) {
  const size_t m = sorted.size();
  std::vector<double> out(m);
  for (size_t k = 0; k < m; ++k) {
    const double l = std::fabs(2.0 * (static_cast<double>(k) + 0.5) / static_cast<double>(m) - 1.0);
    double f;
    if (l <= kCalibratedBands[0]) {
      f = c[0];
    } else if (l <= kCalibratedBands[1]) {
      f = c[0] + (c[1] - c[0]) * (l - kCalibratedBands[0]) / (kCalibratedBands[1] - kCalibratedBands[0]);
    } else if (l <= kCalibratedBands[2]) {
      f = c[1] + (c[2] - c[1]) * (l - kCalibratedBands[1]) / (kCalibratedBands[2] - kCalibratedBands[1]);
    } else {
      f = c[2];
    }
    out[k] = median + f * (sorted[k] - median);
  }
  return out;
}

// The coverage the adaptive level asks of the conformal quantile, kept
// within [0.05, band + 0.9 (1 - band)] (80%: at most 98%; 90%: 99%): a run
// of bad days widens towards a high quantile of the past errors, not to the
// largest one ever seen (which heavy tails make huge).
double AdaptiveCoverage(double band, double alpha) {
  return std::clamp(1.0 - alpha, 0.05, band + 0.9 * (1.0 - band));
}

// Whole days the trace spans.
int TraceDays(const RateTrace& trace) {
  return static_cast<int>(std::floor((trace.time_s.back() + trace.window_s) / 86400.0 + 1e-9));
}

// ln of the mean rate of every recorded hour (half its windows or more with
// traffic), by the trace's own hour index.
std::map<std::int64_t, double> RecordedHourlyLogRates(const RateTrace& trace) {
  const int per_hour = static_cast<int>(std::lround(3600.0 / trace.window_s));
  std::map<std::int64_t, std::pair<double, int>> acc;
  for (size_t i = 0; i < trace.time_s.size(); ++i) {
    auto& [sum, count] = acc[static_cast<std::int64_t>(std::floor(trace.time_s[i] / 3600.0))];
    if (trace.rate[i] > 0) sum += trace.rate[i], ++count;
  }
  std::map<std::int64_t, double> out;
  for (const auto& [hour, sc] : acc)
    if (2 * sc.second >= per_hour) out[hour] = std::log(sc.first / sc.second);
  return out;
}

// The windows of `trace` before day d.
RateTrace Before(const RateTrace& trace, int d) {
  RateTrace train = trace;
  train.time_s.clear();
  train.rate.clear();
  for (size_t i = 0; i < trace.time_s.size(); ++i)
    if (trace.time_s[i] < d * 86400.0)
      train.time_s.push_back(trace.time_s[i]), train.rate.push_back(trace.rate[i]);
  return train;
}

// A scored point's errors, kept for the calibration of later origins.
struct PastError {
  int horizon = 0;
  int target_day = 0;
  std::array<double, 3> excess{};
  std::array<bool, 3> missed{};  // outside the recalibrated band it was scored with
};

}  // namespace

StatusOr<TraceBacktest> BacktestTraceHorizons(const RateTrace& trace, const TraceBacktestOptions& options) {
  if (trace.time_s.empty()) return Status::Invalid(trace.source + ": " + trace.name + ": empty trace");
  const int days = TraceDays(trace);
  if (days <= options.min_training_days)
    return Status::Invalid(trace.source + ": " + trace.name + ": " + std::to_string(days) +
                           " days; a one-day-ahead backtest needs more than " +
                           std::to_string(options.min_training_days));
  TraceBacktest out;
  out.name = trace.name;
  out.days = days;
  out.noise = options.noise;
  const int first_long = std::max(options.min_fit_days, options.min_training_days_long);
  std::vector<int> horizons;
  for (int h : options.horizons_days) {
    const int hh = h <= 0 ? days - first_long : h;
    if (hh >= 1 && std::find(horizons.begin(), horizons.end(), hh) == horizons.end()) horizons.push_back(hh);
  }
  std::sort(horizons.begin(), horizons.end());
  const int max_h = horizons.empty() ? 1 : horizons.back();
  auto first_origin = [&](int h) {
    return h == 1 ? std::max(options.min_fit_days, options.first_one_day_origin) : first_long;
  };
  auto scored = [&](int h) { return std::find(horizons.begin(), horizons.end(), h) != horizons.end(); };

  const std::map<std::int64_t, double> rates = RecordedHourlyLogRates(trace);
  std::vector<Totals> raw(horizons.size()), cal(horizons.size());
  std::vector<std::array<double, 3>> factor_sum(horizons.size(), {0, 0, 0});
  std::vector<std::int64_t> uncal(horizons.size(), 0);
  std::vector<int> origins(horizons.size(), 0), from_h(horizons.size(), 0);
  std::vector<std::vector<HorizonCalibration::Origin>> by_origin(horizons.size());
  std::vector<PastError> past;
  // Adaptive conformal levels per horizon and band (Gibbs and Candes 2021):
  // after each day, alpha += step * (nominal miss rate - the day's miss rate).
  std::vector<std::array<double, 3>> alpha(static_cast<size_t>(max_h) + 1);
  for (auto& a : alpha)
    for (size_t b = 0; b < 3; ++b) a[b] = 1.0 - kCalibratedBands[b];
  const int m = std::max(2, options.samples);
  const int offset = options.fit.utc_offset_hours;

  // The misses of the day before origin d move each horizon's levels.
  auto update_alpha = [&](int d) {
    for (int h = 1; h <= max_h; ++h) {
      std::array<double, 3> miss{};
      int count = 0;
      for (const PastError& p : past)
        if (p.horizon == h && p.target_day == d - 1) {
          ++count;
          for (size_t b = 0; b < 3; ++b) miss[b] += p.missed[b];
        }
      if (count == 0) continue;
      for (size_t b = 0; b < 3; ++b)
        alpha[static_cast<size_t>(h)][b] +=
            options.adaptive_step * ((1.0 - kCalibratedBands[b]) - miss[b] / count);
    }
  };

  // Factors for horizon h at origin d: from the errors of target days before
  // d at the longest horizon <= h that has enough of them (from_h 0: none).
  struct Factors {
    std::array<double, 3> c{1, 1, 1};
    int from_h = 0;
    std::int64_t points = 0;
  };
  auto factors_at = [&](int h, int d) {
    Factors f;
    for (int hc = h; hc >= 1; --hc) {
      std::array<std::vector<std::pair<double, double>>, 3> ex;
      for (const PastError& p : past)
        if (p.horizon == hc && p.target_day < d && p.target_day >= d - options.calibration_window_days) {
          // Weight of an error by its target day's age (the last day before d: 1).
          const double w = options.calibration_half_life_days > 0
                               ? std::exp2(-(d - 1 - p.target_day) / options.calibration_half_life_days)
                               : 1.0;
          for (size_t b = 0; b < 3; ++b) ex[b].push_back({p.excess[b], w});
        }
      if (static_cast<int>(ex[0].size()) < options.min_calibration_points) continue;
      for (size_t b = 0; b < 3; ++b)
        f.c[b] = WeightedConformalFactor(
            ex[b], AdaptiveCoverage(kCalibratedBands[b], alpha[static_cast<size_t>(h)][b]));
      f.from_h = hc;
      f.points = static_cast<std::int64_t>(ex[0].size());
      break;
    }
    return f;
  };

  for (int d = options.min_fit_days; d < days; ++d) {
    const RateTrace train = Before(trace, d);
    update_alpha(d);
    ProfileFitOptions fo = options.fit;
    if (options.noise == TraceNoiseModel::kDayLevelStudentT) {
      fo.min_days_for_weekly = options.min_days_for_weekly;
      fo.fit_trend = options.fit_trend;
    }
    auto fit = FitProfile(train, fo);
    if (!fit.ok()) {
      if (d < options.min_training_days) continue;  // too little to fit yet
      return fit.status();
    }
    out.last_fit = *fit;
    const int span = std::min(max_h, days - d);  // days forecast from this origin
    const int hours = span * 24;
    // Noise of each path over the forecast hours, continuing from the last
    // fitted state, plus the error of the fitted mean (one standard normal per
    // path scaled by the hour's estimation standard deviation).
    const bool day_model = options.noise == TraceNoiseModel::kDayLevelStudentT;
    const double phi = day_model ? fit->within_day_autocorrelation : fit->hourly_noise_autocorrelation;
    const double nu = day_model ? fit->tail_dof : 0.0;
    const double sd = day_model ? fit->within_day_log_sd : fit->hourly_noise_log_sd;
    const double innov = sd * std::sqrt(1 - phi * phi);  // innovations of unit variance scaled
    const double sd_d = day_model && fit->daily_level_fitted ? fit->daily_level_log_sd : 0.0;
    const double rho = fit->daily_level_autocorrelation;
    const double d_last = day_model && fit->daily_level_fitted ? fit->daily_level_last : 0.0;
    const double w_last = day_model ? fit->within_day_last : fit->residual_last;
    std::vector<double> mean_sd(static_cast<size_t>(hours)), mean(static_cast<size_t>(hours));
    for (int j = 0; j < hours; ++j) {
      const std::int64_t u = static_cast<std::int64_t>(d) * 24 + j - offset;
      mean_sd[static_cast<size_t>(j)] = std::sqrt(fit->PredictLogVariance(u));
      mean[static_cast<size_t>(j)] = fit->PredictLog(u);
    }
    std::vector<double> paths(static_cast<size_t>(m) * hours);
    for (int k = 0; k < m; ++k) {
      Rng rng(
          options.seed, StreamPurpose::kBacktestTruth,
          (std::uint64_t{1} << 50) | (static_cast<std::uint64_t>(d) << 32) | static_cast<std::uint64_t>(k));
      const double z = rng.Normal();
      double level = d_last, w = w_last;
      std::int64_t day = -1;
      for (int j = 0; j < hours; ++j) {
        const std::int64_t u = static_cast<std::int64_t>(d) * 24 + j - offset;
        const std::int64_t du = u >= 0 ? u / 24 : -((-u + 23) / 24);
        if (day_model && du != day) {  // a new day: the day level moves one AR(1) step
          level = rho * level + (sd_d > 0 ? sd_d * std::sqrt(1 - rho * rho) * rng.Normal() : 0.0);
          day = du;
        }
        w = phi * w + innov * (nu > 2 ? StudentTUnitVariance(rng, nu) : rng.Normal());
        paths[static_cast<size_t>(j) * m + static_cast<size_t>(k)] =
            level + w + mean_sd[static_cast<size_t>(j)] * z;
      }
    }
    // Score each recorded hour at its horizon; keep its errors for later
    // origins. Calibration factors per horizon from errors before day d.
    std::vector<PastError> fresh;
    std::vector<std::pair<size_t, HorizonCalibration::Origin>> scored_origins;
    for (int h = 1; h <= span; ++h) {
      const size_t hi =
          static_cast<size_t>(std::find(horizons.begin(), horizons.end(), h) - horizons.begin());
      const bool score_here = scored(h) && d >= first_origin(h);
      const Factors f = factors_at(h, d);
      const std::array<double, 3>& c = f.c;
      const int source_h = f.from_h;
      Totals this_origin;
      if (score_here) {
        ++origins[hi];
        if (source_h > 0) from_h[hi] = std::max(from_h[hi], source_h);
      }
      const int target = d + h - 1;
      for (int hr = 0; hr < 24; ++hr) {
        const int j = (h - 1) * 24 + hr;
        const std::int64_t a = static_cast<std::int64_t>(target) * 24 + hr;
        const auto it = rates.find(a);
        if (it == rates.end()) continue;  // not recorded
        const double y = it->second;
        std::vector<double> ens(paths.begin() + static_cast<std::ptrdiff_t>(j) * m,
                                paths.begin() + static_cast<std::ptrdiff_t>(j + 1) * m);
        for (auto& v : ens) v += mean[static_cast<size_t>(j)];
        const SortedEnsemble se(std::move(ens));
        PastError pe{h, target, RelativeExcess(se.q, y), {}};
        for (size_t b = 0; b < 3; ++b) pe.missed[b] = pe.excess[b] > c[b] - 1.0;
        fresh.push_back(pe);
        if (!score_here) continue;
        raw[hi].Add(se.Score(y));
        const EnsembleScore sc = SortedEnsemble(ScaleEnsemble(se.x, se.q[3], c)).Score(y);
        cal[hi].Add(sc);
        this_origin.Add(sc);
        for (size_t b = 0; b < 3; ++b) factor_sum[hi][b] += c[b];
        if (source_h == 0) ++uncal[hi];
      }
      if (score_here)
        scored_origins.push_back({hi, HorizonCalibration::Origin{d, this_origin.Score(trace.name), c}});
    }
    past.insert(past.end(), fresh.begin(), fresh.end());
    for (auto& [hi, o] : scored_origins) by_origin[hi].push_back(std::move(o));
  }
  // What the next origin (the day after the trace) would use at each horizon.
  update_alpha(days);
  for (size_t i = 0; i < horizons.size(); ++i) {
    HorizonCalibration hc;
    const Factors next = factors_at(horizons[i], days);
    hc.next_factor = next.c;
    hc.next_from_horizon_days = next.from_h;
    hc.next_points = next.points;
    hc.horizon_days = horizons[i];
    hc.origins = origins[i];
    const std::string label =
        trace.name + ", " + std::to_string(horizons[i]) + (horizons[i] == 1 ? " day" : " days") + " ahead";
    hc.raw = raw[i].Score(label);
    hc.calibrated = cal[i].Score(label);
    for (size_t b = 0; b < 3; ++b)
      hc.mean_factor[b] = cal[i].points > 0 ? factor_sum[i][b] / static_cast<double>(cal[i].points) : 1.0;
    hc.uncalibrated_points = uncal[i];
    hc.calibrated_from_horizon_days = from_h[i];
    hc.by_origin = std::move(by_origin[i]);
    out.horizons.push_back(std::move(hc));
  }
  return out;
}

namespace {

// z with Phi(z) = p, by bisection (a few hundred calls per backtest).
double NormalQuantile(double p) {
  double lo = -12, hi = 12;
  for (int i = 0; i < 80; ++i) {
    const double mid = 0.5 * (lo + hi);
    (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

}  // namespace

StatusOr<NoiseCalibration> CalibrateHourlyNoise(const RateTrace& trace, const TraceBacktestOptions& options) {
  if (trace.time_s.empty()) return Status::Invalid(trace.source + ": " + trace.name + ": empty trace");
  const int days = TraceDays(trace);
  if (days <= options.min_training_days)
    return Status::Invalid(trace.source + ": " + trace.name + ": " + std::to_string(days) +
                           " days; calibrating the hourly noise needs more than " +
                           std::to_string(options.min_training_days));
  const std::map<std::int64_t, double> rates = RecordedHourlyLogRates(trace);
  // The Gaussian noise as quantile points: member k at z_k = Phi^-1((k + 1/2) / M).
  constexpr int kMembers = 400;
  std::vector<double> z(kMembers);
  for (int k = 0; k < kMembers; ++k) z[static_cast<size_t>(k)] = NormalQuantile((k + 0.5) / kMembers);
  static constexpr double kZ[3] = {0.6744897501960817, 1.2815515655446004, 1.6448536269514722};

  NoiseCalibration out;
  out.name = trace.name;
  out.file = trace.source;
  struct Error {
    int target_day;
    std::array<double, 3> excess;
  };
  std::vector<Error> past;
  // Split-conformal factors from the errors of days before d (all 1 under
  // min_calibration_points errors), and how many errors they rest on.
  auto factors_before = [&](int d) {
    std::array<std::vector<double>, 3> ex;
    for (const Error& e : past)
      if (e.target_day < d)
        for (size_t b = 0; b < 3; ++b) ex[b].push_back(e.excess[b]);
    std::array<double, 3> c{1, 1, 1};
    const auto n = static_cast<std::int64_t>(ex[0].size());
    if (n >= options.min_calibration_points)
      for (size_t b = 0; b < 3; ++b) c[b] = ConformalFactor(ex[b], kCalibratedBands[b]);
    return std::pair{c, n};
  };
  Totals raw, cal;
  std::vector<bool> target_seen(static_cast<size_t>(days), false);
  for (int d = options.min_training_days; d < days; ++d) {
    auto fit = FitProfile(Before(trace, d), options.fit);
    if (!fit.ok()) return fit.status();
    const double sd = fit->daily_level_fitted ? std::hypot(fit->within_day_log_sd, fit->daily_level_log_sd)
                                              : fit->hourly_noise_log_sd;
    const auto [c, used] = factors_before(d);
    const bool calibrated = used >= options.min_calibration_points;
    ++out.origins;
    std::vector<double> unit(static_cast<size_t>(kMembers));
    for (size_t k = 0; k < unit.size(); ++k) unit[k] = sd * z[k];
    const SortedEnsemble model_bands(unit);
    const SortedEnsemble scaled_bands(ScaleEnsemble(model_bands.x, 0.0, c));
    const auto day_end = rates.lower_bound(static_cast<std::int64_t>(d + 1) * 24);
    for (auto it = rates.lower_bound(static_cast<std::int64_t>(d) * 24); it != day_end; ++it) {
      const int target = static_cast<int>(it->first / 24);
      const double e = it->second - fit->PredictLog(it->first - options.fit.utc_offset_hours);
      raw.Add(model_bands.Score(e));
      cal.Add(scaled_bands.Score(e));
      if (!calibrated) ++out.uncalibrated_points;
      target_seen[static_cast<size_t>(target)] = true;
      Error err{target, {}};
      for (size_t b = 0; b < 3; ++b) err.excess[b] = sd > 0 ? std::fabs(e) / (kZ[b] * sd) - 1.0 : 0.0;
      past.push_back(err);
    }
  }
  out.target_days = static_cast<int>(std::count(target_seen.begin(), target_seen.end(), true));
  out.raw = raw.Score(trace.name + ", hourly noise as drawn");
  out.calibrated = cal.Score(trace.name + ", hourly noise recalibrated");
  std::tie(out.factor, out.factor_points) = factors_before(days);
  return out;
}

StatusOr<CalibrationScore> BacktestTrace(const RateTrace& trace, const TraceBacktestOptions& options) {
  TraceBacktestOptions o = options;
  o.horizons_days = {1};
  auto bt = BacktestTraceHorizons(trace, o);
  if (!bt.ok()) return bt.status();
  CalibrationScore s = bt->horizons.at(0).calibrated;
  s.name = trace.name;
  return s;
}

}  // namespace fungible

#include "forecast/backtest.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "forecast/cone.h"
#include "forecast/internal/parallel.h"
#include "forecast/internal/simulate.h"
#include "forecast/random.h"

namespace fungible {
namespace {

struct Totals {
  std::int64_t points = 0, in80 = 0, in90 = 0;
  double pinball = 0, crps = 0;
  void Add(const EnsembleScore& s) {
    ++points;
    in80 += s.inside_p10_p90;
    in90 += s.inside_p5_p95;
    pinball += s.pinball;
    crps += s.crps;
  }
  void Add(const Totals& o) {
    points += o.points, in80 += o.in80, in90 += o.in90, pinball += o.pinball, crps += o.crps;
  }
  CalibrationScore Score(std::string name) const {
    CalibrationScore c;
    c.name = std::move(name);
    c.points = points;
    if (points > 0) {
      const double n = static_cast<double>(points);
      c.coverage_p10_p90 = static_cast<double>(in80) / n;
      c.coverage_p5_p95 = static_cast<double>(in90) / n;
      c.mean_pinball_loss = pinball / n;
      c.mean_crps = crps / n;
    }
    return c;
  }
};

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
    s.inside_p10_p90 = y >= q[1] && y <= q[5];
    s.inside_p5_p95 = y >= q[0] && y <= q[6];
    for (size_t j = 0; j < q.size(); ++j) {
      const double u = y - q[j];
      s.pinball += u * (kConeProbabilities[j] - (u < 0 ? 1.0 : 0.0));
    }
    s.pinball /= static_cast<double>(q.size());
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

StatusOr<CalibrationScore> BacktestTrace(const RateTrace& trace, const TraceBacktestOptions& options) {
  if (trace.time_s.empty()) return Status::Invalid(trace.source + ": " + trace.name + ": empty trace");
  const int days = static_cast<int>(std::floor((trace.time_s.back() + trace.window_s) / 86400.0 + 1e-9));
  if (days <= options.min_training_days)
    return Status::Invalid(trace.source + ": " + trace.name + ": " + std::to_string(days) +
                           " days; a one-day-ahead backtest needs more than " +
                           std::to_string(options.min_training_days));
  // Recorded hourly log rates of the whole trace, by local hour.
  const int per_hour = static_cast<int>(std::lround(3600.0 / trace.window_s));
  std::map<std::int64_t, std::pair<double, int>> acc;
  for (size_t i = 0; i < trace.time_s.size(); ++i) {
    auto& [sum, count] = acc[static_cast<std::int64_t>(std::floor(trace.time_s[i] / 3600.0))];
    if (trace.rate[i] > 0) sum += trace.rate[i], ++count;
  }
  Totals totals;
  for (int d = options.min_training_days; d < days; ++d) {
    RateTrace train = trace;
    train.time_s.clear();
    train.rate.clear();
    for (size_t i = 0; i < trace.time_s.size(); ++i)
      if (trace.time_s[i] < d * 86400.0)
        train.time_s.push_back(trace.time_s[i]), train.rate.push_back(trace.rate[i]);
    auto fit = FitProfile(train, options.fit);
    if (!fit.ok()) return fit.status();
    const double sd = fit->hourly_noise_log_sd, phi = fit->hourly_noise_autocorrelation;
    const double innov = sd * std::sqrt(1 - phi * phi);
    // Paths of the day's noise, continuing from the last fitted residual.
    const int m = std::max(2, options.samples);
    std::vector<double> paths(static_cast<size_t>(m) * 24);
    // Each path also draws the error of the fitted mean (one standard normal
    // per path, scaled by the hour's estimation standard deviation).
    std::vector<double> mean_sd(24);
    for (int hr = 0; hr < 24; ++hr)
      mean_sd[static_cast<size_t>(hr)] = std::sqrt(
          fit->PredictLogVariance(static_cast<std::int64_t>(d) * 24 + hr - options.fit.utc_offset_hours));
    for (int k = 0; k < m; ++k) {
      Rng rng(
          options.seed, StreamPurpose::kBacktestTruth,
          (std::uint64_t{1} << 50) | (static_cast<std::uint64_t>(d) << 32) | static_cast<std::uint64_t>(k));
      const double z = rng.Normal();
      double n = fit->residual_last;
      for (int hr = 0; hr < 24; ++hr) {
        n = phi * n + innov * rng.Normal();
        paths[static_cast<size_t>(hr) * m + static_cast<size_t>(k)] =
            n + mean_sd[static_cast<size_t>(hr)] * z;
      }
    }
    for (int hr = 0; hr < 24; ++hr) {
      const std::int64_t a = static_cast<std::int64_t>(d) * 24 + hr;
      const auto it = acc.find(a);
      if (it == acc.end() || 2 * it->second.second < per_hour) continue;  // not recorded
      const double y = std::log(it->second.first / it->second.second);
      const double mean = fit->PredictLog(a - options.fit.utc_offset_hours);
      std::vector<double> ens(paths.begin() + hr * m, paths.begin() + (hr + 1) * m);
      for (auto& v : ens) v += mean;
      totals.Add(SortedEnsemble(std::move(ens)).Score(y));
    }
  }
  return totals.Score(trace.name);
}

}  // namespace fungible

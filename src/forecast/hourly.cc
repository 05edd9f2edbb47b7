#include "forecast/hourly.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "forecast/internal/vector_math.h"
#include "forecast/quantile.h"
#include "forecast/random.h"
#include "util/parallel.h"

namespace fungible {
namespace {

// Hour offset of month t's first hour from month 1's first hour.
std::int64_t HourOffset(const DemandModel& m, int t) {
  return (m.MonthStart(t) - m.MonthStart(1)) / kSecondsPerHour;
}

// The hourly-noise streams of `scenarios` of one tier.
template <size_t... I>
std::array<Rng, sizeof...(I)> MakeStreams(std::uint64_t seed, int tier, const int* scenarios,
                                          std::index_sequence<I...>) {
  return {Rng(seed, StreamPurpose::kHourly,
              (static_cast<std::uint64_t>(tier) << 40) | static_cast<std::uint64_t>(scenarios[I]))...};
}

// The recalibration of a tier's log noise n (day level and hours together,
// stored shifted by -sd^2/2 each): n moves by the factor of its own level
// |n| / sd (TierModel::band_scale), then the shift that keeps the mean 1.
template <int K>
void RecalibrateNoise(const TierModel& t, std::int64_t end, double* const* out) {
  const double sd = t.hourly_noise_log_sd, sd_d = t.daily_level_log_sd;
  const double total = std::sqrt(sd * sd + sd_d * sd_d);
  if (total <= 0) return;
  const double base = -0.5 * sd * sd - 0.5 * sd_d * sd_d;
  const double per_step = 1.0 / (total * kBandScaleStep);
  const std::vector<double>& f = t.band_scale;
  const size_t last = f.size() - 1;
  for (int j = 0; j < K; ++j)
    for (std::int64_t h = 0; h < end; ++h) {
      const double n = out[j][h] - base;
      const double x = std::fabs(n) * per_step;
      const size_t k = x < static_cast<double>(last) ? static_cast<size_t>(x) : last;
      const double g = k >= last ? f[last] : f[k] + (f[k + 1] - f[k]) * (x - static_cast<double>(k));
      out[j][h] = g * n + t.band_scale_shift;
    }
}

// The AR(1) log noise of K scenarios of one tier over hours [0, end),
// shifted by -sd^2/2 and exponentiated (mean 1): out[j][h]. Each scenario
// reads only its own stream; the K chains run interleaved so the CPU can
// overlap them (the recursion is one long dependency chain per scenario).
// Bit-identical to running the scenarios one at a time.
template <int K>
void NoiseFactors(const DemandModel& m, const ScenarioSet& set, int tier, const int* scenarios,
                  std::int64_t end, double* const* out) {
  const TierModel& t = m.tiers[static_cast<size_t>(tier)];
  const double sd = t.hourly_noise_log_sd, phi = t.hourly_noise_autocorrelation;
  const double innov = sd * std::sqrt(1.0 - phi * phi);
  const double shift = -0.5 * sd * sd;
  auto rng = MakeStreams(set.seed, tier, scenarios, std::make_index_sequence<K>());
  double n[K];
  for (int j = 0; j < K; ++j) {
    n[j] = sd * rng[static_cast<size_t>(j)].Normal();
    if (end > 0) out[j][0] = n[j] + shift;
  }
  for (std::int64_t h = 1; h < end; ++h)
    for (int j = 0; j < K; ++j) {
      n[j] = phi * n[j] + innov * rng[static_cast<size_t>(j)].Normal();
      out[j][h] = n[j] + shift;
    }
  // The day level: one AR(1) step a UTC day (hour 0 is midnight), on its own
  // stream so the hourly draws stay as they were without it.
  if (t.daily_level_log_sd > 0) {
    const double sd_d = t.daily_level_log_sd, rho = t.daily_level_autocorrelation;
    const double shift_d = -0.5 * sd_d * sd_d;
    for (int j = 0; j < K; ++j) {
      Rng day_rng(set.seed, StreamPurpose::kHourly,
                  (std::uint64_t{1} << 62) | (static_cast<std::uint64_t>(tier) << 40) |
                      static_cast<std::uint64_t>(scenarios[j]));
      double level = sd_d * day_rng.Normal();
      for (std::int64_t h = 0; h < end; ++h) {
        if (h > 0 && h % 24 == 0) level = rho * level + sd_d * std::sqrt(1 - rho * rho) * day_rng.Normal();
        out[j][h] += level + shift_d;
      }
    }
  }
  if (t.hourly_recalibrated()) RecalibrateNoise<K>(t, end, out);
  for (int j = 0; j < K; ++j) forecast_internal::ExpArray(out[j], out[j], static_cast<size_t>(end));
}

// Largest a[i] * b[i] over i < n (four accumulators: no serial chain).
double MaxProduct(const double* a, const double* b, std::int64_t n) {
  double m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  std::int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    m0 = std::max(m0, a[i] * b[i]);
    m1 = std::max(m1, a[i + 1] * b[i + 1]);
    m2 = std::max(m2, a[i + 2] * b[i + 2]);
    m3 = std::max(m3, a[i + 3] * b[i + 3]);
  }
  for (; i < n; ++i) m0 = std::max(m0, a[i] * b[i]);
  return std::max(std::max(m0, m1), std::max(m2, m3));
}

// Writes hourly tokens for months first..last of one scenario and tier:
// `weights` from HourWeights, `noise` scratch of the whole horizon's hours.
void ExpandOne(const DemandModel& m, const ScenarioSet& set, int tier, int scenario, int first, int last,
               const std::vector<double>& weights, std::vector<double>& noise, double* out) {
  const TierModel& t = m.tiers[static_cast<size_t>(tier)];
  const std::int64_t end = HourOffset(m, last + 1);
  const bool noisy = t.hourly_noise_log_sd > 0 || t.daily_level_log_sd > 0;
  if (noisy) {
    noise.resize(static_cast<size_t>(end));
    double* p = noise.data();
    NoiseFactors<1>(m, set, tier, &scenario, end, &p);
  }
  double* o = out;
  for (int month = first; month <= last; ++month) {
    const std::int64_t a = HourOffset(m, month), b = HourOffset(m, month + 1);
    const double tokens = MonthlyOutputTokens(m, tier, month, set.LogMultiple(tier, month, scenario));
    if (noisy) {
      for (std::int64_t h = a; h < b; ++h)
        *o++ = tokens * weights[static_cast<size_t>(h)] * noise[static_cast<size_t>(h)];
    } else {
      for (std::int64_t h = a; h < b; ++h) *o++ = tokens * weights[static_cast<size_t>(h)];
    }
  }
}

}  // namespace

std::int64_t HoursInMonths(const DemandModel& model, int first, int last) {
  return (model.MonthStart(last + 1) - model.MonthStart(first)) / kSecondsPerHour;
}

std::vector<double> HourWeights(const DemandModel& model, int tier) {
  const TierModel& t = model.tiers[static_cast<size_t>(tier)];
  std::vector<double> w(static_cast<size_t>(HoursInMonths(model, 1, model.horizon_months)));
  size_t h = 0;
  for (int month = 1; month <= model.horizon_months; ++month) {
    const size_t begin = h;
    double sum = 0;
    for (UtcSeconds at = model.MonthStart(month); at < model.MonthStart(month + 1);
         at += kSecondsPerHour, ++h) {
      double v = 1.0;
      if (t.diurnal_shape.size() == 24) v *= t.diurnal_shape[static_cast<size_t>(HourOfDay(at))];
      if (t.weekly_shape.size() == 7) v *= t.weekly_shape[static_cast<size_t>(Weekday(at))];
      w[h] = v;
      sum += v;
    }
    for (size_t k = begin; k < h; ++k) w[k] = sum > 0 ? w[k] / sum : 0.0;
  }
  return w;
}

void ExpandHourly(const DemandModel& model, const ScenarioSet& set, int tier, int scenario, int first,
                  int last, std::span<double> out) {
  const std::vector<double> weights = HourWeights(model, tier);
  std::vector<double> noise;
  ExpandOne(model, set, tier, scenario, first, last, weights, noise, out.data());
}

HourlyPeaks ComputeHourlyPeaks(const DemandModel& model, const ScenarioSet& set, int threads) {
  HourlyPeaks peaks;
  const int h = model.horizon_months;
  const size_t n = static_cast<size_t>(set.scenarios);
  peaks.hours = HoursInMonths(model, 1, h);
  for (int s = 0; s < model.num_tiers(); ++s) {
    if (model.tiers[static_cast<size_t>(s)].kind != TierKind::kServing) continue;
    peaks.tiers.push_back(model.tiers[static_cast<size_t>(s)].id);
    peaks.band_factors.push_back(model.tiers[static_cast<size_t>(s)].hourly_band_factors);
    peaks.band_factors_source.push_back(model.tiers[static_cast<size_t>(s)].hourly_band_factors_source);
    const std::vector<double> weights = HourWeights(model, s);
    // Per scenario and month: peak hour and peak over the month's mean hour.
    std::vector<double> peak(static_cast<size_t>(h) * n), ratio(static_cast<size_t>(h) * n);
    // Month boundaries in hours, and each month's tokens at log multiple 0.
    std::vector<std::int64_t> bound(static_cast<size_t>(h) + 1);
    std::vector<double> unit(static_cast<size_t>(h));
    for (int month = 1; month <= h + 1; ++month)
      bound[static_cast<size_t>(month - 1)] = HourOffset(model, month);
    for (int month = 1; month <= h; ++month)
      unit[static_cast<size_t>(month - 1)] = MonthlyOutputTokens(model, s, month, 0.0);
    const bool noisy = model.tiers[static_cast<size_t>(s)].hourly_noise_log_sd > 0 ||
                       model.tiers[static_cast<size_t>(s)].daily_level_log_sd > 0;
    constexpr int kBlock = 4;
    ParallelFor(set.scenarios, ResolveThreads(threads), 16, [&](std::int64_t b, std::int64_t e) {
      std::vector<double> noise(static_cast<size_t>(kBlock * peaks.hours), 1.0);
      double* rows[kBlock];
      for (int j = 0; j < kBlock; ++j) rows[j] = noise.data() + static_cast<size_t>(j) * peaks.hours;
      for (std::int64_t i0 = b; i0 < e; i0 += kBlock) {
        const int k = static_cast<int>(std::min<std::int64_t>(kBlock, e - i0));
        int ids[kBlock];
        for (int j = 0; j < k; ++j) ids[j] = static_cast<int>(i0 + j);
        if (noisy) {
          if (k == kBlock) {
            NoiseFactors<kBlock>(model, set, s, ids, peaks.hours, rows);
          } else {
            for (int j = 0; j < k; ++j) NoiseFactors<1>(model, set, s, &ids[j], peaks.hours, &rows[j]);
          }
        }
        // The peak hour of a month is its tokens x the largest weight x noise.
        for (int j = 0; j < k; ++j)
          for (int month = 1; month <= h; ++month) {
            const std::int64_t a = bound[static_cast<size_t>(month - 1)],
                               z = bound[static_cast<size_t>(month)];
            const double top = MaxProduct(weights.data() + a, rows[j] + a, z - a);
            const double tokens =
                unit[static_cast<size_t>(month - 1)] * std::exp(set.LogMultiple(s, month, ids[j]));
            const size_t at = static_cast<size_t>(month - 1) * n + static_cast<size_t>(ids[j]);
            peak[at] = tokens * top;
            ratio[at] = top * static_cast<double>(z - a);  // peak over the month's mean hour
          }
      }
    });
    std::vector<QuantileRow> pk(static_cast<size_t>(h)), rt(static_cast<size_t>(h));
    std::array<QuantileBracket, 7> q;
    for (int month = 1; month <= h; ++month) {
      QuantileBrackets(std::span<const double>(peak.data() + static_cast<size_t>(month - 1) * n, n),
                       kConeProbabilities, q);
      for (size_t j = 0; j < q.size(); ++j) pk[static_cast<size_t>(month - 1)][j] = q[j].Value();
      QuantileBrackets(std::span<const double>(ratio.data() + static_cast<size_t>(month - 1) * n, n),
                       kConeProbabilities, q);
      for (size_t j = 0; j < q.size(); ++j) rt[static_cast<size_t>(month - 1)][j] = q[j].Value();
    }
    peaks.peak_output_tokens_per_hour.push_back(std::move(pk));
    peaks.peak_to_mean.push_back(std::move(rt));
  }
  return peaks;
}

}  // namespace fungible

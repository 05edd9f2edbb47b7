#include "forecast/hourly.h"

#include <algorithm>
#include <cmath>

#include "forecast/internal/parallel.h"
#include "forecast/internal/vector_math.h"
#include "forecast/quantile.h"
#include "forecast/random.h"

namespace fungible {
namespace {

// Hour offset of month t's first hour from month 1's first hour.
std::int64_t HourOffset(const DemandModel& m, int t) {
  return (m.MonthStart(t) - m.MonthStart(1)) / kSecondsPerHour;
}

// Writes hourly tokens for months first..last of one scenario and tier:
// `weights` from HourWeights, `noise` scratch of the whole horizon's hours.
void ExpandOne(const DemandModel& m, const ScenarioSet& set, int tier, int scenario, int first, int last,
               const std::vector<double>& weights, std::vector<double>& noise, double* out) {
  const TierModel& t = m.tiers[static_cast<size_t>(tier)];
  const std::int64_t begin = HourOffset(m, first), end = HourOffset(m, last + 1);
  const double sd = t.hourly_noise_log_sd;
  if (sd > 0) {
    // AR(1) from the first hour of month 1 (fixed path), shifted by -sd^2/2
    // so that its exponential has mean 1.
    const double phi = t.hourly_noise_autocorrelation;
    const double innov = sd * std::sqrt(1.0 - phi * phi);
    const double shift = -0.5 * sd * sd;
    Rng rng(set.seed, StreamPurpose::kHourly,
            (static_cast<std::uint64_t>(tier) << 40) | static_cast<std::uint64_t>(scenario));
    noise.resize(static_cast<size_t>(end));
    double n = sd * rng.Normal();
    for (std::int64_t h = 0; h < end; ++h) {
      if (h > 0) n = phi * n + innov * rng.Normal();
      noise[static_cast<size_t>(h)] = n + shift;
    }
    forecast_internal::ExpArray(noise.data() + begin, noise.data() + begin, static_cast<size_t>(end - begin));
  }
  double* o = out;
  for (int month = first; month <= last; ++month) {
    const std::int64_t a = HourOffset(m, month), b = HourOffset(m, month + 1);
    const double tokens = MonthlyOutputTokens(m, tier, month, set.LogMultiple(tier, month, scenario));
    if (sd > 0) {
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
    for (UtcSeconds at = model.MonthStart(month); at < model.MonthStart(month + 1); at += kSecondsPerHour, ++h) {
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

void ExpandHourly(const DemandModel& model, const ScenarioSet& set, int tier, int scenario, int first, int last,
                  std::span<double> out) {
  const std::vector<double> weights = HourWeights(model, tier);
  std::vector<double> noise;
  ExpandOne(model, set, tier, scenario, first, last, weights, noise, out.data());
}

HourlyPeaks ComputeHourlyPeaks(const DemandModel& model, const ScenarioSet& set, int threads) {
  using forecast_internal::ParallelFor;
  HourlyPeaks peaks;
  const int h = model.horizon_months;
  const size_t n = static_cast<size_t>(set.scenarios);
  peaks.hours = HoursInMonths(model, 1, h);
  for (int s = 0; s < model.num_tiers(); ++s) {
    if (model.tiers[static_cast<size_t>(s)].kind != TierKind::kServing) continue;
    peaks.tiers.push_back(model.tiers[static_cast<size_t>(s)].id);
    const std::vector<double> weights = HourWeights(model, s);
    // Per scenario and month: peak hour and peak over the month's mean hour.
    std::vector<double> peak(static_cast<size_t>(h) * n), ratio(static_cast<size_t>(h) * n);
    ParallelFor(set.scenarios, forecast_internal::ResolveThreads(threads), 16, [&](std::int64_t b, std::int64_t e) {
      std::vector<double> hourly(static_cast<size_t>(peaks.hours)), noise;
      for (std::int64_t i = b; i < e; ++i) {
        ExpandOne(model, set, s, static_cast<int>(i), 1, h, weights, noise, hourly.data());
        size_t at = 0;
        for (int month = 1; month <= h; ++month) {
          const size_t len = static_cast<size_t>(HoursInMonths(model, month, month));
          const double mx = *std::max_element(hourly.begin() + static_cast<std::ptrdiff_t>(at),
                                              hourly.begin() + static_cast<std::ptrdiff_t>(at + len));
          const double mean = MonthlyOutputTokens(model, s, month, set.LogMultiple(s, month, static_cast<int>(i))) /
                              static_cast<double>(len);
          peak[static_cast<size_t>(month - 1) * n + static_cast<size_t>(i)] = mx;
          ratio[static_cast<size_t>(month - 1) * n + static_cast<size_t>(i)] = mx / mean;
          at += len;
        }
      }
    });
    std::vector<QuantileRow> pk(static_cast<size_t>(h)), rt(static_cast<size_t>(h));
    std::array<QuantileBracket, 7> q;
    for (int month = 1; month <= h; ++month) {
      QuantileBrackets(std::span<const double>(peak.data() + static_cast<size_t>(month - 1) * n, n), kConeProbabilities, q);
      for (size_t j = 0; j < q.size(); ++j) pk[static_cast<size_t>(month - 1)][j] = q[j].Value();
      QuantileBrackets(std::span<const double>(ratio.data() + static_cast<size_t>(month - 1) * n, n), kConeProbabilities, q);
      for (size_t j = 0; j < q.size(); ++j) rt[static_cast<size_t>(month - 1)][j] = q[j].Value();
    }
    peaks.peak_output_tokens_per_hour.push_back(std::move(pk));
    peaks.peak_to_mean.push_back(std::move(rt));
  }
  return peaks;
}

}  // namespace fungible

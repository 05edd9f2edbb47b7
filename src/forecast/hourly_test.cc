#include "forecast/hourly.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "forecast/internal/test_util.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

using forecast_testing::TieredFleet;

struct World {
  DemandModel model;
  ScenarioSet set;
};

World Make(const Fleet& f) {
  ForecastOptions o = ForecastOptionsFromSpec(f);
  World w{BuildDemandModel(f, o).value(), {}};
  w.set = GenerateScenarios(w.model, o);
  return w;
}

Fleet Shaped(int scenarios, int horizon, double noise_sd, double phi) {
  Fleet f = TieredFleet(1, scenarios, horizon);
  f.demand[0].diurnal_shape.assign(24, 1.0);
  for (int h = 8; h < 20; ++h) f.demand[0].diurnal_shape[static_cast<size_t>(h)] = 2.0;
  f.demand[0].weekly_shape = {1, 1, 1, 1, 1, 0.5, 0.5};
  f.demand[0].hourly_noise_log_sd = noise_sd;
  f.demand[0].hourly_noise_autocorrelation = phi;
  return f;
}

TEST(Hourly, WithoutNoiseEachMonthSumsToItsTokensInTheShape) {
  const World w = Make(Shaped(5, 3, 0, 0));
  const std::int64_t hours = HoursInMonths(w.model, 1, 3);
  EXPECT_EQ(hours, (28 + 31 + 30) * 24);  // Feb..Apr 2027
  std::vector<double> out(static_cast<size_t>(hours));
  ExpandHourly(w.model, w.set, 0, 2, 1, 3, out);
  size_t at = 0;
  for (int m = 1; m <= 3; ++m) {
    const size_t len = static_cast<size_t>(HoursInMonths(w.model, m, m));
    const double sum = std::accumulate(out.begin() + static_cast<std::ptrdiff_t>(at),
                                       out.begin() + static_cast<std::ptrdiff_t>(at + len), 0.0);
    EXPECT_NEAR(sum, MonthlyOutputTokens(w.model, 0, m, w.set.LogMultiple(0, m, 2)), 1e-9 * sum);
    at += len;
  }
  // 2027-02-01 is a Monday: 10:00 is twice 02:00; Saturday is half Friday.
  EXPECT_NEAR(out[10] / out[2], 2.0, 1e-12);
  EXPECT_NEAR(out[5 * 24 + 10] / out[4 * 24 + 10], 0.5, 1e-12);
}

// The day level: constant within a UTC day, an AR(1) across days with its
// spread and autocorrelation, mean one; a tier without it draws as before.
TEST(Hourly, DayLevelMovesWholeDaysWithItsSpreadAndAutocorrelation) {
  const double sd_d = 0.2, rho = 0.5;
  Fleet f = Shaped(400, 1, 0, 0);
  f.demand[0].daily_level_log_sd = sd_d;
  f.demand[0].daily_level_autocorrelation = rho;
  const World w = Make(f);
  const size_t hours = static_cast<size_t>(HoursInMonths(w.model, 1, 1));
  const std::vector<double> weights = HourWeights(w.model, 0);
  std::vector<double> out(hours);
  double m1 = 0, m2 = 0, lag = 0, ratio = 0;
  std::int64_t count = 0, lag_count = 0;
  for (int i = 0; i < w.set.scenarios; ++i) {
    ExpandHourly(w.model, w.set, 0, i, 1, 1, out);
    const double tokens = MonthlyOutputTokens(w.model, 0, 1, w.set.LogMultiple(0, 1, i));
    double prev = 0;
    for (size_t h = 0; h < hours; ++h) {
      const double n = std::log(out[h] / (tokens * weights[h])) + 0.5 * sd_d * sd_d;
      ratio += out[h] / (tokens * weights[h]);
      if (h % 24 != 0) {
        ASSERT_NEAR(n, prev, 1e-12) << "hour " << h;  // one level all day
      } else {
        m1 += n, m2 += n * n, ++count;
        if (h > 0) lag += n * prev, ++lag_count;
      }
      prev = n;
    }
  }
  const double mean = m1 / count, var = m2 / count - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(std::sqrt(var), sd_d, 0.01);
  EXPECT_NEAR(lag / lag_count / var, rho, 0.05);
  EXPECT_NEAR(ratio / (static_cast<double>(hours) * w.set.scenarios), 1.0, 0.01);
  // The hourly noise is the same draw with or without the day level: their
  // ratio is one number a day.
  const World plain = Make(Shaped(400, 1, 0.1, 0.7));
  Fleet g = Shaped(400, 1, 0.1, 0.7);
  g.demand[0].daily_level_log_sd = sd_d;
  const World both = Make(g);
  std::vector<double> a(hours), b(hours);
  ExpandHourly(plain.model, plain.set, 0, 3, 1, 1, a);
  ExpandHourly(both.model, both.set, 0, 3, 1, 1, b);
  for (size_t h = 1; h < hours; ++h) {
    if (h % 24 != 0) {
      EXPECT_NEAR(b[h] / a[h], b[h - 1] / a[h - 1], 1e-9 * b[h] / a[h]) << "hour " << h;
    }
  }
}

TEST(Hourly, NoiseHasItsSpreadAutocorrelationAndMeanOne) {
  const double sd = 0.1, phi = 0.7;
  const World w = Make(Shaped(400, 1, sd, phi));
  const size_t hours = static_cast<size_t>(HoursInMonths(w.model, 1, 1));
  const std::vector<double> weights = HourWeights(w.model, 0);
  std::vector<double> out(hours);
  double m1 = 0, m2 = 0, lag = 0, total_ratio = 0;
  std::int64_t count = 0, lag_count = 0;
  for (int i = 0; i < w.set.scenarios; ++i) {
    ExpandHourly(w.model, w.set, 0, i, 1, 1, out);
    const double tokens = MonthlyOutputTokens(w.model, 0, 1, w.set.LogMultiple(0, 1, i));
    double prev = 0;
    double total = 0;
    for (size_t h = 0; h < hours; ++h) {
      const double n = std::log(out[h] / (tokens * weights[h])) + 0.5 * sd * sd;
      m1 += n, m2 += n * n, ++count;
      if (h > 0) lag += n * prev, ++lag_count;
      prev = n;
      total += out[h];
    }
    total_ratio += total / tokens;
  }
  const double mean = m1 / count, var = m2 / count - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(var), sd, 0.005);
  EXPECT_NEAR((lag / lag_count - mean * mean) / var, phi, 0.02);
  // E[month total] = the month's tokens; the total's sd is ~sd*sqrt((1+phi)/(1-phi)/672) ~ 0.9%.
  EXPECT_NEAR(total_ratio / w.set.scenarios, 1.0, 0.003);
}

// Recalibration (hourly_band_factors): each band of the log noise is as
// many times wider as its factor says, the mean stays 1 (month totals are
// the month's tokens), and factors of 1 draw exactly what no factors draw.
TEST(Hourly, BandFactorsWidenEachBandByItsFactorAndKeepTheMean) {
  const double sd = 0.2, sd_d = 0.15;
  Fleet f = Shaped(400, 1, sd, 0.5);
  f.demand[0].daily_level_log_sd = sd_d;
  f.demand[0].daily_level_autocorrelation = 0.3;
  const World plain = Make(f);
  f.demand[0].hourly_band_factors = {1.2, 1.6, 2.0};
  f.demand[0].hourly_band_factors_source = "test";
  const World recal = Make(f);
  ASSERT_TRUE(recal.model.tiers[0].hourly_recalibrated());
  const std::vector<double> weights = HourWeights(plain.model, 0);
  const size_t hours = static_cast<size_t>(HoursInMonths(plain.model, 1, 1));
  std::vector<double> a(hours), b(hours), la, lb;
  double total_ratio = 0;
  for (int i = 0; i < plain.set.scenarios; ++i) {
    ExpandHourly(plain.model, plain.set, 0, i, 1, 1, a);
    ExpandHourly(recal.model, recal.set, 0, i, 1, 1, b);
    const double tokens = MonthlyOutputTokens(plain.model, 0, 1, plain.set.LogMultiple(0, 1, i));
    for (size_t h = 0; h < hours; ++h) {
      la.push_back(std::log(a[h] / (tokens * weights[h])));
      lb.push_back(std::log(b[h] / (tokens * weights[h])));
    }
    total_ratio += std::accumulate(b.begin(), b.end(), 0.0) / tokens;
  }
  auto quantile = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
  };
  const double ma = quantile(la, 0.5), mb = quantile(lb, 0.5);
  const double bands[3][2] = {{0.25, 0.75}, {0.10, 0.90}, {0.05, 0.95}};
  const double want[3] = {1.2, 1.6, 2.0};
  for (int k = 0; k < 3; ++k) {
    const double wa = quantile(la, bands[k][1]) - quantile(la, bands[k][0]);
    const double wb = quantile(lb, bands[k][1]) - quantile(lb, bands[k][0]);
    EXPECT_NEAR(wb / wa, want[k], 0.02 * want[k]) << k;
  }
  // The median moves only by the change of the shift that keeps the mean 1.
  const double shift = recal.model.tiers[0].band_scale_shift;
  EXPECT_LT(shift, -0.5 * (sd * sd + sd_d * sd_d));  // wider bands: a larger correction
  EXPECT_NEAR(mb - ma, shift + 0.5 * (sd * sd + sd_d * sd_d), 0.01);
  // The mean stays 1 (without the shift it would be ~5% high); sd of this mean ~0.2%.
  EXPECT_NEAR(total_ratio / plain.set.scenarios, 1.0, 0.01);
  // Factors of 1: the draw is the unrecalibrated one, bit for bit.
  f.demand[0].hourly_band_factors = {1, 1, 1};
  const World ones = Make(f);
  EXPECT_FALSE(ones.model.tiers[0].hourly_recalibrated());
  ExpandHourly(ones.model, ones.set, 0, 7, 1, 1, b);
  ExpandHourly(plain.model, plain.set, 0, 7, 1, 1, a);
  EXPECT_EQ(a, b);
}

TEST(Hourly, BandFactorsAreCheckedWithTheirPlace) {
  Fleet f = Shaped(10, 1, 0.2, 0.5);
  f.demand[0].hourly_band_factors = {1.2, 1.6};
  EXPECT_THAT(
      BuildDemandModel(f, ForecastOptionsFromSpec(f)),
      StatusIs(StatusCode::kInvalidArgument,
               "test.yaml:30:5: demand[0].hourly_band_factors: expected 3 factors in (0, 10] (P25-P75, "
               "P10-P90, P5-P95), got 2 numbers"));
}

TEST(Hourly, AnyWindowIsASliceOfOneFixedPath) {
  const World w = Make(Shaped(3, 6, 0.2, 0.5));
  std::vector<double> all(static_cast<size_t>(HoursInMonths(w.model, 1, 6)));
  ExpandHourly(w.model, w.set, 0, 1, 1, 6, all);
  std::vector<double> part(static_cast<size_t>(HoursInMonths(w.model, 3, 4)));
  ExpandHourly(w.model, w.set, 0, 1, 3, 4, part);
  const size_t offset = static_cast<size_t>(HoursInMonths(w.model, 1, 2));
  for (size_t h = 0; h < part.size(); ++h) ASSERT_EQ(part[h], all[offset + h]) << h;
}

TEST(Hourly, PeaksFollowTheShape) {
  const World w = Make(Shaped(300, 2, 0, 0));
  const HourlyPeaks p = ComputeHourlyPeaks(w.model, w.set, 2);
  ASSERT_EQ(p.tiers.size(), 1u);
  // Without noise the peak-to-mean ratio is max(w)/mean(w) of the month,
  // the same in every scenario.
  const std::vector<double> weights = HourWeights(w.model, 0);
  const size_t feb = 28 * 24;
  const double mx = *std::max_element(weights.begin(), weights.begin() + static_cast<std::ptrdiff_t>(feb));
  for (double q : p.peak_to_mean[0][0]) EXPECT_NEAR(q, mx * feb, 1e-9);
  // And peaks rise with the probability level.
  for (size_t j = 1; j < 7; ++j)
    EXPECT_GE(p.peak_output_tokens_per_hour[0][1][j], p.peak_output_tokens_per_hour[0][1][j - 1]);
  const HourlyPeaks again = ComputeHourlyPeaks(w.model, w.set, 1);
  EXPECT_EQ(again.peak_output_tokens_per_hour, p.peak_output_tokens_per_hour);
}

}  // namespace
}  // namespace fungible

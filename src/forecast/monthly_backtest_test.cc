#include "forecast/monthly_backtest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "forecast/random.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;

const std::string kPoints = std::string(FUNGIBLE_SOURCE_DIR) + "/data/published-ai-demand/points.csv";

TEST(MonthlyBacktest, GaussianScoresByHand) {
  // Truth at the median of N(0, 1): inside both bands; pinball
  // 2 (1.6449 x 0.05 + 1.2816 x 0.10 + 0.6745 x 0.25) / 7; CRPS 2 phi(0) - 1/sqrt(pi).
  const EnsembleScore s = ScoreGaussian(0, 1, 0);
  EXPECT_TRUE(s.inside_p10_p90);
  EXPECT_TRUE(s.inside_p5_p95);
  EXPECT_NEAR(s.pinball, 0.108292, 1e-5);
  EXPECT_NEAR(s.crps, 0.233695, 1e-5);
  // 1.5 sd above: outside P10-P90 (1.28), inside P5-P95 (1.64); scales with sd.
  const EnsembleScore t = ScoreGaussian(2, 0.5, 2.75);
  EXPECT_FALSE(t.inside_p10_p90);
  EXPECT_TRUE(t.inside_p5_p95);
  EXPECT_NEAR(t.crps, 0.5 * ScoreGaussian(0, 1, 1.5).crps, 1e-12);
}

// Four points: log values 0, 0.1, 0.5, 0.5 in months 0, 1, 2, 4. Prior
// growth 0.1 +- 0.1, volatility 0.1, no observation noise.
//   origin month 1: one increment 0.1 -> growth precision 100 + 100, mean 0.1;
//     month 2 (h 1): N(0.2, 0.005 + 0.01), truth 0.5 is 2.449 sd out: missed;
//     month 4 (h 3): N(0.4, 9 x 0.005 + 3 x 0.01), truth 0.365 sd out: covered;
//   origin month 2: increments 0.1 and 0.4 -> precision 300, mean 0.2;
//     month 4 (h 2): N(0.9, 4 / 300 + 0.02), truth 2.191 sd below: missed.
// Model: 1 of 3 covered by both bands. Recalibrated (one error needed): the
// origin of month 2 knows the miss of 2.449 sd, so its spread is widened by
// 2.449 / z(0.9) = 1.911 and month 4 (1.146 sd out) is covered: 2 of 3.
TEST(MonthlyBacktest, KnownAnswerOnATinySeries) {
  PublishedSeries s;
  s.name = "tiny";
  s.unit = "tokens";
  const double logs[] = {0, 0.1, 0.5, 0.5};
  const int months[] = {0, 1, 2, 4};
  for (int i = 0; i < 4; ++i) s.points.push_back({24300 + months[i], std::exp(logs[i]), i + 2});
  MonthlyBacktestOptions o;
  o.growth_mean = 0.1;
  o.growth_sd = 0.1;
  o.volatility = 0.1;
  o.observation_log_sd = 0;
  o.min_points = 2;
  o.min_calibration_errors = 1;
  auto bt = BacktestMonthly(s, o);
  ASSERT_TRUE(bt.ok()) << bt.status().ToString();
  EXPECT_EQ(bt->origins, 2);
  ASSERT_EQ(bt->forecasts.size(), 3u);
  EXPECT_NEAR(bt->forecasts[0].mean_log, 0.2, 1e-12);
  EXPECT_NEAR(bt->forecasts[0].sd_log, std::sqrt(0.015), 1e-12);
  EXPECT_NEAR(bt->forecasts[1].sd_log, std::sqrt(0.075), 1e-12);
  EXPECT_NEAR(bt->forecasts[2].mean_log, 0.9, 1e-12);
  EXPECT_FALSE(bt->forecasts[0].calibrated);
  EXPECT_FALSE(bt->forecasts[1].calibrated);
  EXPECT_TRUE(bt->forecasts[2].calibrated);
  EXPECT_NEAR(bt->forecasts[2].factor, 1.911347, 1e-5);
  EXPECT_NEAR(bt->last_growth_mean, 0.2, 1e-12);
  // All three forecasts are 1-3 months ahead: one bucket, then "all".
  ASSERT_EQ(bt->buckets.size(), 2u);
  const MonthlyBucket& b = bt->buckets[0];
  EXPECT_EQ(b.label, "1-3 months");
  EXPECT_EQ(b.origins, 2);
  EXPECT_EQ(b.raw.points, 3);
  EXPECT_NEAR(b.raw.coverage_p10_p90, 1.0 / 3, 1e-12);
  EXPECT_NEAR(b.raw.coverage_p5_p95, 1.0 / 3, 1e-12);
  EXPECT_NEAR(b.raw.mean_pinball_loss, 0.0876376, 1e-6);
  EXPECT_NEAR(b.raw.mean_crps, 0.2029023, 1e-6);
  EXPECT_NEAR(b.calibrated.coverage_p10_p90, 2.0 / 3, 1e-12);
  EXPECT_NEAR(b.calibrated.coverage_p5_p95, 2.0 / 3, 1e-12);
  EXPECT_NEAR(b.calibrated.mean_pinball_loss, 0.0756465, 1e-6);
  EXPECT_NEAR(b.calibrated.mean_crps, 0.1855576, 1e-6);
  EXPECT_EQ(b.uncalibrated_points, 2);
  EXPECT_NEAR(b.above_median_share, 2.0 / 3, 1e-12);
  EXPECT_EQ(bt->buckets[1].label, "all");
  EXPECT_EQ(bt->buckets[1].raw.points, 3);
  // After the last point: all three errors (2.449, 0.365, 2.191 sd):
  // rank ceil(4 x 0.8) = 4 > 3, the largest, 2.449 / z(0.9).
  EXPECT_EQ(bt->next_errors, 3);
  EXPECT_NEAR(bt->next_factor, 1.911347, 1e-5);
}

TEST(MonthlyBacktest, RunsOnEveryBundledSeriesAndScoresWhatItSays) {
  auto series = ReadPublishedSeries(kPoints);
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_GE(series->size(), 3u);
  auto bt = BacktestMonthlySeries(*series, MonthlyBacktestOptions{});
  ASSERT_TRUE(bt.ok()) << bt.status().ToString();
  EXPECT_TRUE(bt->skipped.empty());
  ASSERT_EQ(bt->series.size(), series->size());
  std::int64_t total = 0;
  for (const MonthlyBacktest& m : bt->series) {
    SCOPED_TRACE(m.name);
    EXPECT_GE(m.points, 5);
    ASSERT_FALSE(m.forecasts.empty());
    ASSERT_GE(m.buckets.size(), 2u);
    const MonthlyBucket& all = m.buckets.back();
    EXPECT_EQ(all.label, "all");
    EXPECT_EQ(all.raw.points, static_cast<std::int64_t>(m.forecasts.size()));
    // The buckets partition the forecasts, and each bucket's coverage is
    // the share of its forecasts whose truth lies inside the band.
    std::int64_t in_buckets = 0;
    for (size_t i = 0; i + 1 < m.buckets.size(); ++i) {
      const MonthlyBucket& b = m.buckets[i];
      in_buckets += b.raw.points;
      int inside = 0, inside_cal = 0, n = 0;
      for (const MonthlyForecast& f : m.forecasts) {
        if (f.horizon_months < b.min_months || f.horizon_months > b.max_months) continue;
        ++n;
        const double z = std::fabs(f.truth_log - f.mean_log) / f.sd_log;
        inside += z <= 1.2815516;
        inside_cal += z / f.factor <= 1.2815516;
      }
      EXPECT_EQ(n, b.raw.points) << b.label;
      EXPECT_NEAR(b.raw.coverage_p10_p90, static_cast<double>(inside) / n, 1e-12) << b.label;
      EXPECT_NEAR(b.calibrated.coverage_p10_p90, static_cast<double>(inside_cal) / n, 1e-12) << b.label;
    }
    EXPECT_EQ(in_buckets, all.raw.points);
    total += all.raw.points;
  }
  EXPECT_EQ(bt->all.buckets.back().raw.points, total);
  // On these series the model's cone under-covers; the recalibration widens it.
  const MonthlyBucket& pooled = bt->all.buckets.back();
  EXPECT_LT(pooled.raw.coverage_p10_p90, 0.8);
  EXPECT_GT(pooled.calibrated.coverage_p10_p90, pooled.raw.coverage_p10_p90);
  EXPECT_GT(pooled.mean_factor, 1.0);
}

// Cut every series after month C: every forecast made and resolved by C gets
// the same factor as on the whole data (nothing after an origin reaches back).
TEST(MonthlyBacktest, RecalibrationUsesOnlyTargetsKnownAtTheOrigin) {
  auto series = ReadPublishedSeries(kPoints);
  ASSERT_TRUE(series.ok());
  auto whole = BacktestMonthlySeries(*series, MonthlyBacktestOptions{});
  ASSERT_TRUE(whole.ok());
  const int cut = 2026 * 12 + 3;  // 2026-04
  std::vector<PublishedSeries> early = *series;
  for (PublishedSeries& s : early)
    std::erase_if(s.points, [&](const PublishedPoint& p) { return p.month > cut; });
  auto part = BacktestMonthlySeries(early, MonthlyBacktestOptions{});
  ASSERT_TRUE(part.ok());
  int compared = 0, calibrated = 0;
  for (const MonthlyBacktest& p : part->series) {
    const auto it = std::find_if(whole->series.begin(), whole->series.end(),
                                 [&](const MonthlyBacktest& w) { return w.name == p.name; });
    ASSERT_NE(it, whole->series.end());
    for (const MonthlyForecast& f : p.forecasts) {
      for (const MonthlyForecast& g : it->forecasts) {
        if (g.origin_month != f.origin_month || g.target_month != f.target_month) continue;
        EXPECT_DOUBLE_EQ(g.mean_log, f.mean_log);
        EXPECT_DOUBLE_EQ(g.factor, f.factor) << p.name << " " << f.origin_month << " -> " << f.target_month;
        ++compared;
        calibrated += f.calibrated;
      }
    }
  }
  EXPECT_GE(compared, 9);
  EXPECT_GE(calibrated, 3);
}

// ---- Growth that drifts: the local linear trend.

// The tiny series again with growth that drifts (d = 0.05), by hand: at the
// origin of month 1 the Kalman filter's growth is N(0.1, 0.01); the
// increment 0.1 (variance 0.01 P + 0.01 sigma^2 = 0.02, covariance with the
// growth after it 0.01) leaves the mean at 0.1 and the variance at
// 0.01 + 0.05^2 - 0.5 x 0.01 = 0.0075. One month on: 0.0075 + 0.01 =
// 0.0175; three months on: 9 x 0.0075 + 3 x 0.01 + 0.05^2 x 2 x 3 x 5 / 6 =
// 0.11.
TEST(MonthlyBacktest, DriftKnownAnswerOnATinySeries) {
  PublishedSeries s;
  s.name = "tiny";
  s.unit = "tokens";
  const double logs[] = {0, 0.1, 0.5, 0.5};
  const int months[] = {0, 1, 2, 4};
  for (int i = 0; i < 4; ++i) s.points.push_back({24300 + months[i], std::exp(logs[i]), i + 2});
  MonthlyBacktestOptions o;
  o.growth_mean = 0.1;
  o.growth_sd = 0.1;
  o.volatility = 0.1;
  o.growth_drift_sd = 0.05;
  o.observation_log_sd = 0;
  auto bt = BacktestMonthly(s, o);
  ASSERT_TRUE(bt.ok()) << bt.status().ToString();
  ASSERT_EQ(bt->forecasts.size(), 3u);
  EXPECT_NEAR(bt->forecasts[0].mean_log, 0.2, 1e-12);
  EXPECT_NEAR(bt->forecasts[0].sd_log, std::sqrt(0.0175), 1e-12);
  EXPECT_NEAR(bt->forecasts[1].mean_log, 0.4, 1e-12);
  EXPECT_NEAR(bt->forecasts[1].sd_log, std::sqrt(0.11), 1e-12);
  // A drift that vanishes gives the conjugate (fixed-growth) cone.
  o.growth_drift_sd = 1e-12;
  auto tiny = BacktestMonthly(s, o);
  o.growth_drift_sd = 0;
  auto fixed = BacktestMonthly(s, o);
  ASSERT_TRUE(tiny.ok() && fixed.ok());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(tiny->forecasts[i].mean_log, fixed->forecasts[i].mean_log, 1e-9);
    EXPECT_NEAR(tiny->forecasts[i].sd_log, fixed->forecasts[i].sd_log, 1e-9);
  }
}

// A series drawn from the local linear trend: growth g1 at the first point,
// a random walk of step d after every month, monthly shocks sigma, and an
// observation noise on each increment; points `gap_cycle` months apart in
// turn. `growth_at(t)`, when given, replaces the random walk.
LogSeries DrawSeries(std::uint64_t seed, int points, const std::vector<int>& gap_cycle, double g1,
                     double sigma, double drift, double obs, std::function<double(int)> growth_at = nullptr) {
  Rng rng(seed, StreamPurpose::kTest, 16);
  LogSeries s;
  s.name = "synthetic-" + std::to_string(seed);
  int month = 0;
  double x = 0, y = 0, g = g1;
  s.months.push_back(month);
  s.log_values.push_back(y);
  for (int i = 1; i < points; ++i) {
    const int dt = gap_cycle[static_cast<size_t>(i) % gap_cycle.size()];
    const double x0 = x;
    for (int k = 0; k < dt; ++k) {
      x += (growth_at ? growth_at(month) : g) + sigma * rng.Normal();
      g += drift * rng.Normal();
      ++month;
    }
    y += x - x0 + obs * rng.Normal();
    s.months.push_back(month);
    s.log_values.push_back(y);
  }
  return s;
}

TEST(MonthlyBacktest, FitRecoversVolatilityAndDriftOfALongSeries) {
  // 600 points 1, 2 or 3 months apart (1,200 months), sigma 0.05, d 0.01.
  // On seeds 1-20 of this generator the fits ranged over 0.047-0.053 for
  // sigma and 0.0075-0.0113 for d (about 3% and 10% standard deviation);
  // the fit must land within 12% of sigma and 30% of d, and prefer drift
  // by far.
  const LogSeries s = DrawSeries(1, 600, {1, 2, 3}, 0.1, 0.05, 0.01, 0.01);
  auto fit = FitGrowthNoise({s}, 0.01);
  ASSERT_TRUE(fit.ok()) << fit.status().ToString();
  EXPECT_EQ(fit->increments, 599);
  EXPECT_NEAR(fit->drift.volatility, 0.05, 0.12 * 0.05);
  EXPECT_NEAR(fit->drift.growth_drift_sd, 0.01, 0.30 * 0.01);
  EXPECT_TRUE(fit->drift_preferred);
  EXPECT_LT(fit->drift.aic, fit->no_drift.aic - 100);
  EXPECT_EQ(fit->drift.parameters, 2);
  EXPECT_EQ(fit->no_drift.parameters, 1);
  EXPECT_DOUBLE_EQ(fit->drift.aic, 2 * 2 - 2 * fit->drift.log_likelihood);
  // Without drift in the generator the drift fitted is small (at most
  // 0.0003 on seeds 2-21) and the volatility is still found.
  const LogSeries flat = DrawSeries(2, 600, {1, 2, 3}, 0.1, 0.05, 0, 0.01);
  auto fit0 = FitGrowthNoise({flat}, 0.01);
  ASSERT_TRUE(fit0.ok());
  EXPECT_NEAR(fit0->drift.volatility, 0.05, 0.12 * 0.05);
  EXPECT_LT(fit0->drift.growth_drift_sd, 0.002);
}

TEST(MonthlyBacktest, DriftIsPreferredWhenGrowthStepsAndNotWhenItIsConstant) {
  // 48 monthly points, volatility 0.05. Growth that steps from 30% to 10% a
  // month halfway (Google's tokens did much this) is a growth that moves:
  // the drift model must win on AIC on every seed. Constant growth of 20% a
  // month must not prefer drift except by chance (under no drift, AIC picks
  // it about 8% of the time): at most 2 of 10 seeds.
  int step_preferred = 0, constant_preferred = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const LogSeries steps =
        DrawSeries(seed, 48, {1}, 0.3, 0.05, 0, 0.01, [](int month) { return month < 24 ? 0.3 : 0.1; });
    const LogSeries constant = DrawSeries(seed + 100, 48, {1}, 0.2, 0.05, 0, 0.01);
    auto a = FitGrowthNoise({steps}, 0.01);
    auto b = FitGrowthNoise({constant}, 0.01);
    ASSERT_TRUE(a.ok() && b.ok());
    step_preferred += a->drift_preferred;
    constant_preferred += b->drift_preferred;
    EXPECT_NEAR(b->growth[0].last_growth, 0.2, 4 * b->growth[0].last_growth_sd);
  }
  EXPECT_EQ(step_preferred, 10);
  EXPECT_LE(constant_preferred, 2);
}

TEST(MonthlyBacktest, FitNeedsIncrementsBeyondEachSeriesFirst) {
  LogSeries a{"a", {0, 3}, {0, 0.3}}, b{"b", {0, 1, 2}, {0, 0.1, 0.2}};
  auto fit = FitGrowthNoise({a, b}, 0.01);
  ASSERT_FALSE(fit.ok());
  EXPECT_THAT(fit.status().message(),
              HasSubstr("3 increments in 2 series, need 3 beyond each series' first"));
}

TEST(MonthlyBacktest, FittedParametersUseOnlyPointsKnownAtTheOrigin) {
  // --monthly-fit: at every origin the volatility and drift are fitted on
  // the points published by then. Cutting every series at 2026-04 must give
  // the same fits, cones and factors for the origins up to then.
  auto series = ReadPublishedSeries(kPoints);
  ASSERT_TRUE(series.ok());
  MonthlyBacktestOptions o;
  o.fit = true;
  ASSERT_EQ(o.min_fit_increments, 2);  // fits from 2025-07 on: many origins before the cut are fitted
  auto whole = BacktestMonthlySeries(*series, o);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_TRUE(whole->pooled_fit.has_value());
  EXPECT_EQ(whole->pooled_fit->increments, 13);
  const int cut = 2026 * 12 + 3;  // 2026-04
  std::vector<PublishedSeries> early = *series;
  for (PublishedSeries& s : early)
    std::erase_if(s.points, [&](const PublishedPoint& p) { return p.month > cut; });
  auto part = BacktestMonthlySeries(early, o);
  ASSERT_TRUE(part.ok());
  int compared = 0, fitted = 0;
  for (const MonthlyBacktest& p : part->series) {
    const auto it = std::find_if(whole->series.begin(), whole->series.end(),
                                 [&](const MonthlyBacktest& w) { return w.name == p.name; });
    ASSERT_NE(it, whole->series.end());
    for (const MonthlyForecast& f : p.forecasts)
      for (const MonthlyForecast& g : it->forecasts) {
        if (g.origin_month != f.origin_month || g.target_month != f.target_month) continue;
        EXPECT_EQ(g.fitted, f.fitted);
        EXPECT_DOUBLE_EQ(g.volatility, f.volatility) << p.name << " " << f.origin_month;
        EXPECT_DOUBLE_EQ(g.growth_drift_sd, f.growth_drift_sd);
        EXPECT_DOUBLE_EQ(g.mean_log, f.mean_log);
        EXPECT_DOUBLE_EQ(g.sd_log, f.sd_log);
        EXPECT_DOUBLE_EQ(g.factor, f.factor);
        ++compared;
        fitted += f.fitted;
      }
  }
  EXPECT_GE(compared, 9);
  EXPECT_GE(fitted, 3);
  // And the fit at an origin differs from the fit on every point: the later
  // points do change it (so the check above has teeth).
  bool differs = false;
  for (const MonthlyBacktest& w : whole->series)
    for (const MonthlyForecast& f : w.forecasts)
      differs = differs || (f.fitted && f.volatility != whole->pooled_fit->drift.volatility);
  EXPECT_TRUE(differs);
}

TEST(MonthlyBacktest, BadPointsAreLocated) {
  const std::string path = ::testing::TempDir() + "/bad-points.csv";
  {
    std::ofstream out(path);
    out << "series,month,value,unit,source\n"
           "a,2025-13,1e9,USD,x\n"
           "a,2025-01,-4,USD,x\n"
           "a,2025-02,1e9,USD,x\n"
           "a,2025-02,2e9,USD,x\n"
           "a,2025-03,2e9,tokens,x\n";
  }
  auto s = ReadPublishedSeries(path);
  ASSERT_FALSE(s.ok());
  const std::string m = s.status().ToString();
  EXPECT_THAT(m, HasSubstr("bad-points.csv:2:2: month: expected a month YYYY-MM, got \"2025-13\""));
  EXPECT_THAT(m, HasSubstr("bad-points.csv:3:3: value: expected a positive number"));
  EXPECT_THAT(m,
              HasSubstr("bad-points.csv:5:2: month: series \"a\" already has a point in 2025-02 (line 4)"));
  EXPECT_THAT(m, HasSubstr("bad-points.csv:6:4: unit: series \"a\" is in \"USD\", got \"tokens\""));
  std::remove(path.c_str());

  PublishedSeries two{"two", "USD", {{1, 1.0, 2}, {2, 2.0, 3}}};
  auto bt = BacktestMonthly(two, MonthlyBacktestOptions{});
  ASSERT_FALSE(bt.ok());
  EXPECT_THAT(bt.status().message(),
              HasSubstr("series \"two\" has 2 points: a monthly backtest needs at least 3"));
}

}  // namespace
}  // namespace fungible

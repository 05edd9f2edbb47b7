#include "forecast/backtest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "forecast/internal/test_util.h"
#include "forecast/random.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

TEST(Backtest, CrpsMatchesItsDefinition) {
  std::vector<double> two = {1.0, 0.0};
  EXPECT_DOUBLE_EQ(ScoreEnsemble(two, 0.0).crps, 0.25);  // 0.5 - 0.25
  Rng rng(4, StreamPurpose::kTest, 0);
  std::vector<double> ens(37);
  for (auto& v : ens) v = rng.Normal();
  const double y = 0.3;
  double a = 0, b = 0;
  for (double x : ens) {
    a += std::fabs(x - y);
    for (double x2 : ens) b += std::fabs(x - x2);
  }
  const double n = static_cast<double>(ens.size());
  EXPECT_NEAR(ScoreEnsemble(ens, y).crps, a / n - b / (2 * n * n), 1e-12);
  // A truth far outside pays the distance.
  std::vector<double> point = {0.0, 0.0, 0.0};
  const EnsembleScore far = ScoreEnsemble(point, 10.0);
  EXPECT_DOUBLE_EQ(far.crps, 10.0);
  EXPECT_FALSE(far.inside_p10_p90);
}

TEST(Backtest, PriorConeIsCalibratedOnTruthFromThePrior) {
  Fleet f = forecast_testing::TieredFleet(2, 4000, 12);
  f.demand[1].growth.launches.push_back({forecast_testing::Date("2027-05-01"), 1.5, 0.3});
  ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = BuildDemandModel(f, o).value();
  const ScenarioSet set = GenerateScenarios(m, o);
  SyntheticBacktestOptions bo;
  bo.truths = 600;
  const auto scores = BacktestSynthetic(m, set, bo);
  ASSERT_EQ(scores.size(), 2u);
  EXPECT_EQ(scores[0].points, 600 * 2 * 12);
  // Truths are independent across draws, correlated across months: the
  // tolerance is for ~600 effective draws, 4 standard errors.
  EXPECT_NEAR(scores[0].coverage_p10_p90, 0.80, 4 * std::sqrt(0.8 * 0.2 / 600));
  EXPECT_NEAR(scores[0].coverage_p5_p95, 0.90, 4 * std::sqrt(0.9 * 0.1 / 600));
  // Knowing the parameters, the truth varies less than the cone allows.
  EXPECT_GT(scores[1].coverage_p10_p90, scores[0].coverage_p10_p90);
  EXPECT_LT(scores[1].mean_crps, scores[0].mean_crps);
  bo.threads = 1;
  const auto again = BacktestSynthetic(m, set, bo);
  EXPECT_EQ(again[0].mean_crps, scores[0].mean_crps);
}

// 14 days of 10-minute rates from a known profile with AR(1) hourly noise.
RateTrace SyntheticTrace(double sd, double phi) {
  RateTrace t;
  t.name = "synthetic";
  t.source = "synthetic";
  Rng rng(8, StreamPurpose::kTest, 3);
  double n = sd * rng.Normal();
  for (int a = 0; a < 14 * 24; ++a) {
    n = phi * n + sd * std::sqrt(1 - phi * phi) * rng.Normal();
    const int hour = a % 24, day = a / 24;
    const double shape = (1 + 0.4 * std::sin(2 * M_PI * hour / 24.0)) * (day % 7 >= 5 ? 0.8 : 1.05);
    for (int k = 0; k < 6; ++k) {
      t.time_s.push_back(a * 3600.0 + k * 600.0);
      t.rate.push_back(100 * shape * std::exp(n));
    }
  }
  return t;
}

TEST(Backtest, TraceBacktestIsCalibratedWhenTheModelIsRight) {
  TraceBacktestOptions o;
  o.fit.first_weekday = 0;
  auto score = BacktestTrace(SyntheticTrace(0.1, 0.6), o);
  ASSERT_TRUE(score.ok()) << score.status().ToString();
  EXPECT_EQ(score->points, 8 * 24);
  // 192 hourly points, autocorrelated: a loose band around 0.8.
  EXPECT_NEAR(score->coverage_p10_p90, 0.80, 0.12);
  EXPECT_GT(score->mean_crps, 0.0);
}

TEST(Backtest, ConformalFactorIsTheRankedExcess) {
  // 9 errors: rank ceil(10 * 0.8) = 8 of the sorted excesses.
  std::vector<double> e = {-0.9, -0.5, -0.4, -0.3, -0.2, -0.1, 0.0, 0.3, 0.6};
  EXPECT_DOUBLE_EQ(ConformalFactor(e, 0.8), 1.3);
  EXPECT_DOUBLE_EQ(ConformalFactor(e, 0.5), 0.8);   // rank 5: narrowed
  EXPECT_DOUBLE_EQ(ConformalFactor(e, 0.95), 1.6);  // rank 10 > 9: the largest
  EXPECT_DOUBLE_EQ(ConformalFactor({}, 0.8), 1.0);
  // Weights all 1: the same ranks.
  for (double band : {0.5, 0.8, 0.95}) {
    std::vector<std::pair<double, double>> ew;
    for (double x : e) ew.push_back({x, 1.0});
    EXPECT_DOUBLE_EQ(WeightedConformalFactor(ew, band), ConformalFactor(e, band)) << band;
  }
  // Weights 1, 0.5, 0.25 (+1 for the new point: total 2.75).
  const std::vector<std::pair<double, double>> w = {{0.4, 0.25}, {-0.5, 1.0}, {0.2, 0.5}};
  EXPECT_DOUBLE_EQ(WeightedConformalFactor(w, 0.5), 1.2);  // 1.375 reached at 0.2 (cum 1.5)
  EXPECT_DOUBLE_EQ(WeightedConformalFactor(w, 0.6), 1.4);  // 1.65 reached at 0.4 (cum 1.75)
  EXPECT_DOUBLE_EQ(WeightedConformalFactor(w, 0.7), 1.4);  // 1.925 never: the largest
  EXPECT_DOUBLE_EQ(WeightedConformalFactor({}, 0.8), 1.0);
}

// Hourly rates with what the simple model leaves out: a day-level AR(1)
// effect and Student-t (3 dof) hourly innovations, around a weekly profile.
}  // namespace
RateTrace HeavyTailedTrace(int days, std::uint64_t seed) {
  RateTrace t;
  t.name = "student-t";
  t.source = "synthetic";
  Rng rng(seed, StreamPurpose::kTest, 5);
  double n = 0, level = 0;
  for (int a = 0; a < days * 24; ++a) {
    const int hour = a % 24, day = a / 24;
    if (hour == 0) level = 0.6 * level + 0.15 * std::sqrt(1 - 0.36) * StudentTUnitVariance(rng, 3.0);
    n = 0.6 * n + 0.12 * std::sqrt(1 - 0.36) * StudentTUnitVariance(rng, 3.0);
    const double shape = (1 + 0.4 * std::sin(2 * M_PI * hour / 24.0)) * (day % 7 >= 5 ? 0.8 : 1.05);
    for (int k = 0; k < 6; ++k) {
      t.time_s.push_back(a * 3600.0 + k * 600.0);
      t.rate.push_back(100 * shape * std::exp(level + n));
    }
  }
  return t;
}
namespace {

TEST(Backtest, RecalibrationRestoresCoverageOnHeavyTailedTraffic) {
  const RateTrace trace = HeavyTailedTrace(42, 17);
  TraceBacktestOptions o;
  o.fit.first_weekday = 0;
  o.samples = 1000;
  o.noise = TraceNoiseModel::kHourlyAr1;  // the uncorrected model: Gaussian AR(1), no day level
  // Stationary traffic over 42 days: all past errors alike. (The default 2-day
  // half-life, chosen for 14-day traces with regime shifts, rests each factor
  // on about 80 weighted errors, too few for the 98-99% quantiles the
  // adaptive level asks for on heavy tails: P5-P95 widened 4.6x.)
  o.calibration_half_life_days = 0;
  auto bt = BacktestTraceHorizons(trace, o);
  ASSERT_TRUE(bt.ok()) << bt.status().ToString();
  const HorizonCalibration& h = bt->horizons.at(0);
  EXPECT_EQ(h.raw.points, (42 - 6) * 24);
  EXPECT_EQ(h.origins, 36);
  // The uncorrected model under-covers; the recalibrated cone is nominal.
  EXPECT_LT(h.raw.coverage_p10_p90, 0.74);
  EXPECT_LT(h.raw.coverage_p5_p95, 0.85);
  EXPECT_NEAR(h.calibrated.coverage_p10_p90, 0.80, 0.05);
  EXPECT_NEAR(h.calibrated.coverage_p5_p95, 0.90, 0.04);
  EXPECT_GT(h.mean_factor[1], 1.0);
  // Widened, not blown up: the pinball loss stays within 20% of the model's.
  EXPECT_LT(h.mean_factor[2], 2.5);
  EXPECT_LT(h.calibrated.mean_pinball_loss, 1.2 * h.raw.mean_pinball_loss);
  // The day-level Student-t model sees the tails and the day level itself.
  o.noise = TraceNoiseModel::kDayLevelStudentT;
  auto dt = BacktestTraceHorizons(trace, o);
  ASSERT_TRUE(dt.ok());
  EXPECT_GT(dt->last_fit.tail_dof, 0.0);
  EXPECT_LT(dt->last_fit.tail_dof, 8.0);
  EXPECT_GT(dt->last_fit.daily_level_log_sd, 0.05);
  EXPECT_NEAR(dt->horizons[0].calibrated.coverage_p10_p90, 0.80, 0.05);
}

// The acceptance test of issue 16: on every bundled real series, the
// recalibrated one-day-ahead cone covers 80% +- 5 points with P10-P90 and
// 90% +- 4 with P5-P95, over a rolling origin with no look-ahead.
TEST(Backtest, RecalibratedConeIsHonestOnEveryServeGenSeries) {
  const std::string path =
      std::string(FUNGIBLE_DATA_DIR) + "/servegen-alibaba-bailian/rate_10min_by_model.csv";
  auto traces = ReadRateTraces(path);
  ASSERT_TRUE(traces.ok());
  int series = 0;
  for (const RateTrace& t : *traces) {
    if (t.name != "m-large" && t.name != "m-mid" && t.name != "m-small") continue;
    ++series;
    // Every seed alone inside the bands (not their mean): 2,000 paths an
    // origin, origins day 6-13. Seeds 1-16 all pass (docs/forecast.md, "Seeds").
    for (std::uint64_t seed = 1; seed <= 8; ++seed) {
      TraceBacktestOptions o;
      o.seed = seed;
      auto bt = BacktestTraceHorizons(t, o);
      ASSERT_TRUE(bt.ok()) << bt.status().ToString();
      const HorizonCalibration& h = bt->horizons.at(0);
      EXPECT_EQ(h.horizon_days, 1);
      EXPECT_EQ(h.origins, 8) << t.name;
      EXPECT_GT(h.calibrated.points, 175) << t.name;
      EXPECT_EQ(h.uncalibrated_points, 0) << t.name;
      const double c80 = h.calibrated.coverage_p10_p90, c90 = h.calibrated.coverage_p5_p95;
      EXPECT_GE(c80, 0.75) << t.name << " seed " << seed;
      EXPECT_LE(c80, 0.85) << t.name << " seed " << seed;
      EXPECT_GE(c90, 0.86) << t.name << " seed " << seed;
      EXPECT_LE(c90, 0.94) << t.name << " seed " << seed;
    }
  }
  EXPECT_EQ(series, 3);
  auto short_trace = BacktestTrace((*traces)[3], TraceBacktestOptions{});  // deepseek-r1: 1 day
  EXPECT_NE(short_trace.status().message().find("1 days; a one-day-ahead backtest needs more than 7"),
            std::string::npos);
}

// No look-ahead: cutting the trace after day 10 changes nothing that the
// origins up to day 10 forecast, scored or recalibrated.
TEST(Backtest, TheFutureDoesNotReachBackIntoEarlierOrigins) {
  const std::string path =
      std::string(FUNGIBLE_DATA_DIR) + "/servegen-alibaba-bailian/rate_10min_by_model.csv";
  auto traces = ReadRateTraces(path);
  ASSERT_TRUE(traces.ok());
  const RateTrace& full = (*traces)[0];  // m-large, 14 days
  RateTrace cut = full;
  cut.time_s.clear();
  cut.rate.clear();
  for (size_t i = 0; i < full.time_s.size(); ++i)
    if (full.time_s[i] < 11 * 86400.0) cut.time_s.push_back(full.time_s[i]), cut.rate.push_back(full.rate[i]);
  TraceBacktestOptions o;
  o.samples = 500;
  auto a = BacktestTraceHorizons(full, o), b = BacktestTraceHorizons(cut, o);
  ASSERT_TRUE(a.ok() && b.ok());
  const auto &fa = a->horizons[0].by_origin, &fb = b->horizons[0].by_origin;
  ASSERT_EQ(fa.size(), 8u);  // origins 6..13
  ASSERT_EQ(fb.size(), 5u);  // origins 6..10
  for (size_t k = 0; k < fb.size(); ++k) {
    EXPECT_EQ(fa[k].day, fb[k].day);
    EXPECT_EQ(fa[k].factor, fb[k].factor) << "origin " << fb[k].day;
    EXPECT_EQ(fa[k].calibrated.coverage_p10_p90, fb[k].calibrated.coverage_p10_p90);
    EXPECT_EQ(fa[k].calibrated.mean_crps, fb[k].calibrated.mean_crps);
  }
}

TEST(Backtest, LongerHorizonsUseOnlyEarlierErrors) {
  const std::string path =
      std::string(FUNGIBLE_DATA_DIR) + "/servegen-alibaba-bailian/rate_10min_by_model.csv";
  auto traces = ReadRateTraces(path);
  ASSERT_TRUE(traces.ok());
  TraceBacktestOptions o;
  o.horizons_days = {1, 7, 0};
  o.samples = 500;
  auto bt = BacktestTraceHorizons((*traces)[0], o);  // m-large
  ASSERT_TRUE(bt.ok()) << bt.status().ToString();
  ASSERT_EQ(bt->horizons.size(), 3u);
  EXPECT_EQ(bt->horizons[1].horizon_days, 7);
  EXPECT_EQ(bt->horizons[1].origins, 5);        // origins days 3..7, targets 9..13
  EXPECT_EQ(bt->horizons[2].horizon_days, 11);  // origin 3, target 13
  EXPECT_EQ(bt->horizons[2].origins, 1);
  // No week-ahead errors end before day 7: those bands borrow the longest
  // shorter horizon's errors, never a later day's.
  EXPECT_LT(bt->horizons[1].calibrated_from_horizon_days, 7);
  for (const auto& h : bt->horizons) {
    EXPECT_GT(h.raw.points, 0);
    EXPECT_LE(h.calibrated.coverage_p10_p90, h.calibrated.coverage_p5_p95);
  }
}

// The hourly noise a spec draws (Gaussian, stationary): on heavy-tailed
// traffic its bands under-cover; the factors from earlier errors only move
// them towards nominal, and the factors for the spec come from every error.
TEST(Backtest, HourlyNoiseRecalibrationRestoresCoverageOnHeavyTailedTraffic) {
  const RateTrace trace = HeavyTailedTrace(42, 17);
  TraceBacktestOptions o;
  o.fit.first_weekday = 0;
  auto c = CalibrateHourlyNoise(trace, o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->origins, 42 - 7);
  EXPECT_EQ(c->target_days, 42 - 7);
  EXPECT_EQ(c->factor_points, c->raw.points);
  // As drawn, the Gaussian noise under-covers by 10 points or more (68% /
  // 78% on this trace); recalibrated from earlier days only it moves at
  // least 4 points towards nominal on both bands (to 73% / 85%: plain
  // split-conformal on a growing history, short of nominal).
  EXPECT_LT(c->raw.coverage_p10_p90, 0.70);
  EXPECT_LT(c->raw.coverage_p5_p95, 0.80);
  EXPECT_GT(c->calibrated.coverage_p10_p90, c->raw.coverage_p10_p90 + 0.04);
  EXPECT_GT(c->calibrated.coverage_p5_p95, c->raw.coverage_p5_p95 + 0.04);
  EXPECT_LE(c->calibrated.coverage_p10_p90, 0.85);
  EXPECT_LE(c->calibrated.coverage_p5_p95, 0.94);
  EXPECT_LT(c->calibrated.mean_crps, c->raw.mean_crps * 1.05);
  for (double f : c->factor) EXPECT_GT(f, 0.3);
  EXPECT_THAT(CalibrateHourlyNoise(HeavyTailedTrace(7, 1), o),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("calibrating the hourly noise needs more than")));
}

}  // namespace
}  // namespace fungible

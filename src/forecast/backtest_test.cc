#include "forecast/backtest.h"

#include <gtest/gtest.h>

#include <cmath>

#include "forecast/internal/test_util.h"
#include "forecast/random.h"

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
  EXPECT_EQ(score->points, 7 * 24);
  // 168 hourly points, autocorrelated: a loose band around 0.8.
  EXPECT_NEAR(score->coverage_p10_p90, 0.80, 0.12);
  EXPECT_GT(score->mean_crps, 0.0);
}

TEST(Backtest, TraceBacktestOnServeGen) {
  const std::string path =
      std::string(FUNGIBLE_DATA_DIR) + "/servegen-alibaba-bailian/rate_10min_by_model.csv";
  auto traces = ReadRateTraces(path);
  ASSERT_TRUE(traces.ok());
  auto score = BacktestTrace((*traces)[2], TraceBacktestOptions{});  // m-small
  ASSERT_TRUE(score.ok()) << score.status().ToString();
  EXPECT_EQ(score->name, "m-small");
  EXPECT_GT(score->points, 150);
  EXPECT_GT(score->coverage_p10_p90, 0.3);
  EXPECT_LE(score->coverage_p10_p90, score->coverage_p5_p95);
  auto short_trace = BacktestTrace((*traces)[3], TraceBacktestOptions{});  // deepseek-r1: 1 day
  EXPECT_NE(short_trace.status().message().find("1 days; a one-day-ahead backtest needs more than 7"),
            std::string::npos);
}

}  // namespace
}  // namespace fungible

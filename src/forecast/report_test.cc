#include "forecast/report.h"

#include <gtest/gtest.h>

#include <fstream>

#include "forecast/internal/test_util.h"

namespace fungible {
namespace {

using forecast_testing::Date;

// Two serving tiers, one class tier, a launch and a price cut: every part of
// the output has something to show.
Fleet RichFleet(int scenarios) {
  Fleet f = forecast_testing::TieredFleet(2, scenarios, 12);
  f.name = "rich";
  f.demand[0].growth.launches.push_back({Date("2027-06-01"), 1.6, 0.2});
  f.demand[1].growth.price_changes.push_back({Date("2027-04-01"), -0.3});
  f.demand[1].growth.price_elasticity = -1.6;
  f.demand[1].diurnal_shape.assign(24, 1.0);
  f.demand[1].diurnal_shape[14] = 1.8;
  f.demand[1].hourly_noise_log_sd = 0.1;
  f.demand[1].hourly_noise_autocorrelation = 0.5;
  WorkloadClass research;
  research.id = "research";
  research.kind = WorkloadKind::kResearch;
  f.workloads.push_back(research);
  ClassGrowth cg;
  cg.workload = "research";
  cg.growth.monthly_log_growth_mean = 0.04;
  cg.growth.monthly_log_growth_sd = 0.01;
  cg.growth.monthly_volatility = 0.02;
  f.class_growth.push_back(cg);
  return f;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

RunForecastOptions Options(const Fleet& f, int threads, const std::string& actuals, bool everything = true) {
  RunForecastOptions o;
  o.forecast = ForecastOptionsFromSpec(f);
  o.forecast.threads = threads;
  o.actuals_path = actuals;
  if (everything) {
    o.reduce_k = 5;
    o.reduce.max_candidates = 200;
    o.hourly_peaks = true;
  }
  return o;
}

TEST(Report, JsonAndCsvAreByteIdenticalForOneAndTwoThreads) {
  const Fleet f = RichFleet(1200);
  const std::string actuals =
      WriteTemp("rich-actuals.csv",
                "month,model,output_tokens\n2027-02,tier0,7.2e11\n2027-03,tier0,8.4e11\n"
                "2027-02,tier1,1.4e12\n");
  auto one = RunForecast(f, Options(f, 1, actuals));
  auto two = RunForecast(f, Options(f, 2, actuals));
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  const std::string j1 = ForecastJson(*one), j2 = ForecastJson(*two);
  EXPECT_EQ(j1, j2);
  EXPECT_EQ(ForecastCsv(*one), ForecastCsv(*two));
  EXPECT_EQ(ForecastText(*one), ForecastText(*two));
  EXPECT_NE(j1.find("\"seed\": 7"), std::string::npos);
  EXPECT_NE(j1.find("\"update\""), std::string::npos);
  EXPECT_NE(j1.find("\"reduction\""), std::string::npos);
  EXPECT_NE(j1.find("\"hourly_peaks\""), std::string::npos);
  // A different seed changes the figures.
  Fleet g = f;
  g.forecast.seed = 8;
  auto other = RunForecast(g, Options(g, 2, actuals));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(ForecastJson(*other), j1);
}

TEST(Report, QuantilesRiseWithProbabilityAndWithTheStartingLevel) {
  Fleet f = RichFleet(2000);
  auto base = RunForecast(f, Options(f, 2, "", false));
  ASSERT_TRUE(base.ok());
  for (const TierCone& tc : base->cone.tiers)
    for (const QuantileRow& q : tc.output_tokens)
      for (size_t j = 1; j < q.size(); ++j) ASSERT_LE(q[j - 1], q[j]) << tc.id;
  for (const QuantileRow& q : base->cone.total_revenue_usd)
    for (size_t j = 1; j < q.size(); ++j) ASSERT_LE(q[j - 1], q[j]);
  // Twice the level: every token quantile doubles (same seed, same paths).
  f.demand[0].output_tokens_per_hour *= 2;
  auto doubled = RunForecast(f, Options(f, 2, "", false));
  ASSERT_TRUE(doubled.ok());
  for (size_t t = 0; t < 12; ++t)
    for (size_t j = 0; j < 7; ++j)
      EXPECT_NEAR(doubled->cone.tiers[0].output_tokens[t][j], 2 * base->cone.tiers[0].output_tokens[t][j],
                  1e-9 * base->cone.tiers[0].output_tokens[t][j]);
  // A higher growth prior lifts every quantile of the horizon month.
  f.demand[0].growth.monthly_log_growth_mean += 0.01;
  auto faster = RunForecast(f, Options(f, 2, "", false));
  for (size_t j = 0; j < 7; ++j)
    EXPECT_GT(faster->cone.tiers[0].output_tokens[11][j], doubled->cone.tiers[0].output_tokens[11][j]);
}

TEST(Report, TextShowsTheConeTheCompoundingAndTheMiss) {
  const Fleet f = RichFleet(1000);
  // tier0 at 7.2e11 in February is inside; 5e13 in March is far above P99.
  const std::string actuals =
      WriteTemp("miss.csv", "month,model,output_tokens\n2027-02,tier0,7.2e11\n2027-03,tier0,5e13\n");
  auto run = RunForecast(f, Options(f, 2, actuals));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  const std::string text = ForecastText(*run);
  EXPECT_NE(text.find("seed 7, 1000 scenarios, 12 months 2027-02 to 2028-01, 3 tiers"), std::string::npos)
      << text;
  EXPECT_NE(text.find("THE CONE MISSED: 1 actual outside the prior's P1-P99"), std::string::npos) << text;
  EXPECT_NE(text.find("tier0 2027-03: 50.0T is above P99"), std::string::npos) << text;
  EXPECT_NE(text.find("effective sample size of the prior:"), std::string::npos);
  EXPECT_NE(text.find("fan: '.' P5-P95, '-' P10-P90, '=' P25-P75, '|' P50"), std::string::npos);
  EXPECT_NE(text.find("(median)"), std::string::npos);
  EXPECT_NE(text.find("+2 pt"), std::string::npos);
  EXPECT_NE(text.find("scenario reduction: 5 representatives of 1000"), std::string::npos);
  EXPECT_NE(text.find("research (class): demand multiple of today"), std::string::npos);
  const std::string csv = ForecastCsv(*run);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "seed,cone,tier,quantity,month,p5,p10,p25,p50,p75,p90,p95");
  // prior and posterior: (2 serving x 2 quantities + 1 class + total) x 12 months each.
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 6 * 12);
}

TEST(Report, FanMarksTheBandsAroundTheMedian) {
  Fleet f = forecast_testing::TieredFleet(1, 2000, 6);
  auto run = RunForecast(f, Options(f, 2, "", false));
  ASSERT_TRUE(run.ok());
  const std::string text = ForecastText(*run);
  // Each month row has exactly one median mark inside a '=' band.
  const size_t row = text.find("\n  2027-07 ");
  ASSERT_NE(row, std::string::npos);
  const std::string line = text.substr(row + 1, text.find('\n', row + 1) - row - 1);
  const std::string fan = line.substr(line.find("   ", 70));
  EXPECT_EQ(std::count(fan.begin(), fan.end(), '|'), 1) << line;
  EXPECT_LT(fan.find('.'), fan.find('-'));
  EXPECT_LT(fan.find('-'), fan.find('='));
  EXPECT_LT(fan.find('='), fan.find('|'));
}

TEST(Report, HumanNumbers) {
  EXPECT_EQ(HumanNumber(4.46e12), "4.46T");
  EXPECT_EQ(HumanNumber(312e9), "312G");
  EXPECT_EQ(HumanNumber(12.5e6, true), "$12.5M");
  EXPECT_EQ(HumanNumber(2.1e9, true), "$2.10B");
  EXPECT_EQ(HumanNumber(950), "950");
}

}  // namespace
}  // namespace fungible

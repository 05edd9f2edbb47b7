#include "forecast/scenarios.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "forecast/internal/monthly_step.h"
#include "forecast/internal/test_util.h"
#include "forecast/random.h"

namespace fungible {
namespace {

using forecast_testing::Date;
using forecast_testing::TieredFleet;

DemandModel Build(const Fleet& f, const ForecastOptions& o) {
  auto m = BuildDemandModel(f, o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

struct Moments {
  double mean = 0, var = 0;
};
Moments MomentsOf(const std::vector<double>& v) {
  Moments m;
  for (double x : v) m.mean += x;
  m.mean /= static_cast<double>(v.size());
  for (double x : v) m.var += (x - m.mean) * (x - m.mean);
  m.var /= static_cast<double>(v.size() - 1);
  return m;
}

// Tolerances below are 4.5 standard errors of the estimator for N draws:
// mean sd/sqrt(N), variance var*sqrt(2/(N-1)) (normal data).
constexpr double kZ = 4.5;

TEST(Scenarios, GrowthDrawsMatchThePrior) {
  Fleet f = TieredFleet(2, 20000);
  f.demand[0].growth.monthly_log_growth_mean = 0.06;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  std::vector<double> g(static_cast<size_t>(set.scenarios));
  for (int i = 0; i < set.scenarios; ++i) g[static_cast<size_t>(i)] = ScenarioGrowth(m, set, 0, i);
  const Moments mo = MomentsOf(g);
  const double n = set.scenarios;
  EXPECT_NEAR(mo.mean, 0.06, kZ * 0.03 / std::sqrt(n));
  EXPECT_NEAR(mo.var, 0.03 * 0.03, kZ * 0.03 * 0.03 * std::sqrt(2 / (n - 1)));
}

TEST(Scenarios, MonthlyLogIncrementsHaveGrowthMeanAndVolatility) {
  // No parameter uncertainty: every increment is g + sigma * eps.
  Fleet f = TieredFleet(1, 4000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0;
  f.demand[0].growth.monthly_volatility = 0.08;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  std::vector<double> inc;
  for (int i = 0; i < set.scenarios; ++i) {
    double prev = 0;
    for (int t = 1; t <= set.horizon_months; ++t) {
      inc.push_back(set.LogMultiple(0, t, i) - prev);
      prev = set.LogMultiple(0, t, i);
    }
  }
  const Moments mo = MomentsOf(inc);
  const double n = static_cast<double>(inc.size());
  EXPECT_NEAR(mo.mean, 0.05, kZ * 0.08 / std::sqrt(n));
  EXPECT_NEAR(mo.var, 0.0064, kZ * 0.0064 * std::sqrt(2 / (n - 1)));
}

TEST(Scenarios, HorizonLogDemandCompoundsParameterAndMonthlyUncertainty) {
  // x_H = H g + sigma * sum(eps): mean H mu, variance H^2 sd^2 + H sigma^2.
  Fleet f = TieredFleet(1, 20000, 24);
  const GrowthModel& g = f.demand[0].growth;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  const std::vector<double> xh(set.Column(0, 24), set.Column(0, 24) + set.scenarios);
  const Moments mo = MomentsOf(xh);
  const double h = 24, n = set.scenarios;
  const double var = h * h * g.monthly_log_growth_sd * g.monthly_log_growth_sd +
                     h * g.monthly_volatility * g.monthly_volatility;
  EXPECT_NEAR(mo.mean, h * g.monthly_log_growth_mean, kZ * std::sqrt(var / n));
  EXPECT_NEAR(mo.var, var, kZ * var * std::sqrt(2 / (n - 1)));
}

TEST(Scenarios, GrowthThatDriftsOpensTheConeAsALocalLinearTrend) {
  // g[t] = g[t-1] + d nu[t] after each month: x_H = H g0 + d sum_{j<H} (H - j)
  // nu_j + sigma sum(eps), variance H^2 sd^2 + H sigma^2 + d^2 (H-1) H (2H-1) / 6.
  Fleet f = TieredFleet(1, 20000, 24);
  f.demand[0].growth.monthly_growth_drift_sd = 0.01;
  const GrowthModel& g = f.demand[0].growth;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  for (int h : {1, 6, 24}) {
    const std::vector<double> xh(set.Column(0, h), set.Column(0, h) + set.scenarios);
    const Moments mo = MomentsOf(xh);
    const double n = set.scenarios;
    const double var = h * h * g.monthly_log_growth_sd * g.monthly_log_growth_sd +
                       h * g.monthly_volatility * g.monthly_volatility +
                       0.01 * 0.01 * (h - 1) * h * (2 * h - 1) / 6.0;
    EXPECT_NEAR(mo.mean, h * g.monthly_log_growth_mean, kZ * std::sqrt(var / n)) << h;
    EXPECT_NEAR(mo.var, var, kZ * var * std::sqrt(2 / (n - 1))) << h;
  }
  // At 24 months the drift's share is not small: 0.43 of 0.72.
  const std::vector<double> x24(set.Column(0, 24), set.Column(0, 24) + set.scenarios);
  EXPECT_GT(MomentsOf(x24).var, 0.6);
}

TEST(Scenarios, ZeroGrowthDriftDrawsTheSameScenarios) {
  // The default (0) leaves the stream's layout as it was: byte-identical paths.
  Fleet f = TieredFleet(2, 500, 12);
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const ScenarioSet a = GenerateScenarios(Build(f, o), o);
  f.demand[1].growth.monthly_growth_drift_sd = 1e-300;  // any drift draws the extra normals
  const ScenarioSet b = GenerateScenarios(Build(f, o), o);
  f.demand[1].growth.monthly_growth_drift_sd = 0;
  const ScenarioSet c = GenerateScenarios(Build(f, o), o);
  EXPECT_EQ(a.log_multiple, c.log_multiple);
  EXPECT_NE(a.log_multiple, b.log_multiple);
}

TEST(Scenarios, SharedFactorCorrelatesTiers) {
  Fleet f = TieredFleet(2, 20000, 12);
  f.demand[0].growth.shared_factor_loading = 0.8;
  f.demand[1].growth.shared_factor_loading = 0.6;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  // Growth draws and horizon levels both correlate at 0.8 * 0.6 = 0.48.
  auto corr = [&](auto&& a, auto&& b) {
    double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
    const int n = set.scenarios;
    for (int i = 0; i < n; ++i) ma += a(i), mb += b(i);
    ma /= n, mb /= n;
    for (int i = 0; i < n; ++i) {
      sab += (a(i) - ma) * (b(i) - mb);
      saa += (a(i) - ma) * (a(i) - ma);
      sbb += (b(i) - mb) * (b(i) - mb);
    }
    return sab / std::sqrt(saa * sbb);
  };
  // Standard error of a correlation near rho: (1 - rho^2) / sqrt(n).
  const double tol = kZ * (1 - 0.48 * 0.48) / std::sqrt(20000.0);
  EXPECT_NEAR(corr([&](int i) { return ScenarioGrowth(m, set, 0, i); },
                   [&](int i) { return ScenarioGrowth(m, set, 1, i); }),
              0.48, tol);
  EXPECT_NEAR(corr([&](int i) { return set.LogMultiple(0, 12, i); },
                   [&](int i) { return set.LogMultiple(1, 12, i); }),
              0.48, tol);
}

TEST(Scenarios, IdenticalForOneAndSeveralThreads) {
  Fleet f = TieredFleet(3, 3001, 13);
  f.demand[1].growth.saturation_multiple = 4.0;
  f.demand[2].growth.launches.push_back({Date("2027-06-15"), 1.5, 0.2});
  ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  o.threads = 1;
  const ScenarioSet one = GenerateScenarios(m, o);
  for (int threads : {2, 3, 7}) {
    o.threads = threads;
    const ScenarioSet many = GenerateScenarios(m, o);
    EXPECT_EQ(one.log_multiple, many.log_multiple) << threads << " threads";
    EXPECT_EQ(one.latents, many.latents) << threads << " threads";
  }
}

TEST(Scenarios, EveryScenarioIsItsOwnStreamThroughTheMonthlyStep) {
  // Whatever the split across threads, every value must be what SimulatePath
  // gives for the scenario's own stream alone, to the bit.
  Fleet f = TieredFleet(3, 37, 14);
  f.demand[0].as_of = Date("2026-11-01");  // burn-in months
  f.forecast.start = Date("2027-01-01");
  f.demand[1].growth.saturation_multiple = 3.0;
  f.demand[2].growth.launches.push_back({Date("2027-04-01"), 1.7, 0.25});
  f.demand[2].growth.price_changes.push_back({Date("2027-06-01"), -0.2});
  f.demand[2].growth.price_elasticity = -1.3;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  using namespace forecast_internal;
  const StepCoefficients coef(m);
  std::vector<TierStart> starts(m.tiers.size());
  for (size_t s = 0; s < starts.size(); ++s) starts[s].month = m.tiers[s].anchor_month;
  PathScratch scratch;
  int compared = 0;
  for (int i = 0; i < set.scenarios; ++i) {
    Rng rng(o.seed, StreamPurpose::kScenario, static_cast<std::uint64_t>(i));
    std::vector<double> z(static_cast<size_t>(m.num_latents())), g(3), l(1);
    for (auto& v : z) v = rng.Normal();
    ParamsFromLatents(m, z.data(), g.data(), l.data());
    SimulatePath(
        m, coef, g.data(), l.data(), starts.data(), scratch, [&rng] { return rng.Normal(); },
        [&](size_t s, int t, double v) {
          ASSERT_EQ(set.LogMultiple(static_cast<int>(s), t, i), v)
              << "scenario " << i << " tier " << s << " month " << t;
          ++compared;
        });
  }
  EXPECT_EQ(compared, 37 * 3 * 14);
}

TEST(Scenarios, LaunchLiftsDemandByItsLogNormalMultiplier) {
  Fleet f = TieredFleet(1, 20000, 12);
  f.demand[0].growth.launches.push_back({Date("2027-05-10"), 2.0, 0.3});  // month 4
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  ASSERT_EQ(m.tiers[0].launches[0].month, 4);
  const ScenarioSet with = GenerateScenarios(m, o);
  // The step into the launch month carries the log multiplier on top of one
  // month of growth and noise.
  std::vector<double> jump;
  jump.reserve(static_cast<size_t>(with.scenarios));
  for (int i = 0; i < with.scenarios; ++i)
    jump.push_back(with.LogMultiple(0, 4, i) - with.LogMultiple(0, 3, i));
  const Moments mo = MomentsOf(jump);
  const GrowthModel& g = f.demand[0].growth;
  const double var = 0.3 * 0.3 + g.monthly_log_growth_sd * g.monthly_log_growth_sd +
                     g.monthly_volatility * g.monthly_volatility;
  const double n = with.scenarios;
  EXPECT_NEAR(mo.mean, std::log(2.0) + g.monthly_log_growth_mean, kZ * std::sqrt(var / n));
  EXPECT_NEAR(mo.var, var, kZ * var * std::sqrt(2 / (n - 1)));
}

TEST(Scenarios, PriceCutRaisesDemandThroughElasticity) {
  // Jevons: a price halved with elasticity -1.5 multiplies consumption by
  // 0.5^-1.5 = 2.83 and revenue by 1.41, from the month of the cut.
  Fleet f = TieredFleet(1, 500, 12);
  f.demand[0].growth.price_elasticity = -1.5;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel base = Build(f, o);
  f.demand[0].growth.price_changes.push_back({Date("2027-07-01"), -0.5});  // month 6
  const DemandModel cut = Build(f, o);
  const ScenarioSet a = GenerateScenarios(base, o), b = GenerateScenarios(cut, o);
  for (int i = 0; i < a.scenarios; i += 37) {
    for (int t = 1; t <= 12; ++t) {
      const double d = b.LogMultiple(0, t, i) - a.LogMultiple(0, t, i);
      if (t < 6) {
        EXPECT_EQ(d, 0.0);
      } else {
        EXPECT_NEAR(d, -1.5 * std::log(0.5), 1e-12);
        const double rev_ratio = MonthlyRevenueUsd(cut, 0, t, b.LogMultiple(0, t, i)) /
                                 MonthlyRevenueUsd(base, 0, t, a.LogMultiple(0, t, i));
        EXPECT_NEAR(rev_ratio, std::pow(0.5, -0.5), 1e-9);
      }
    }
  }
}

TEST(Scenarios, SaturationCeilingHoldsDemandNearIt) {
  Fleet f = TieredFleet(1, 4000, 60);
  f.demand[0].growth.monthly_log_growth_mean = 0.15;
  f.demand[0].growth.monthly_log_growth_sd = 0.02;
  f.demand[0].growth.monthly_volatility = 0.02;
  f.demand[0].growth.saturation_multiple = 3.0;
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  const ScenarioSet set = GenerateScenarios(m, o);
  std::vector<double> end(set.Column(0, 60), set.Column(0, 60) + set.scenarios);
  const Moments mo = MomentsOf(end);
  // Without the ceiling the median would be e^(0.15*60) = 8103x.
  EXPECT_NEAR(std::exp(mo.mean), 3.0, 0.15);
}

TEST(Scenarios, TierWithEarlierAsOfIsSimulatedFromIt) {
  // as_of three months before the start month: month 1 is four steps of growth.
  Fleet f = TieredFleet(2, 20000, 6);
  f.demand[0].as_of = Date("2026-10-01");
  f.demand[0].growth.monthly_log_growth_sd = 0;
  f.forecast.start = Date("2027-01-01");
  const ForecastOptions o = ForecastOptionsFromSpec(f);
  const DemandModel m = Build(f, o);
  EXPECT_EQ(m.tiers[0].anchor_month, -3);
  EXPECT_EQ(m.first_month, -2);
  const ScenarioSet set = GenerateScenarios(m, o);
  std::vector<double> x1(set.Column(0, 1), set.Column(0, 1) + set.scenarios);
  const Moments mo = MomentsOf(x1);
  const double sigma = f.demand[0].growth.monthly_volatility;
  EXPECT_NEAR(mo.mean, 4 * 0.03, kZ * std::sqrt(4 * sigma * sigma / 20000));
  EXPECT_NEAR(mo.var, 4 * sigma * sigma, kZ * 4 * sigma * sigma * std::sqrt(2.0 / 19999));
}

}  // namespace
}  // namespace fungible

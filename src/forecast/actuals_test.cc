#include "forecast/actuals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "forecast/cone.h"
#include "forecast/internal/test_util.h"
#include "forecast/monthly_backtest.h"
#include "forecast/random.h"
#include "util/status_matchers.h"
#include "util/text.h"

namespace fungible {
namespace {

using forecast_testing::Date;
using forecast_testing::TieredFleet;

struct World {
  Fleet fleet;
  ForecastOptions options;
  DemandModel model;
  ScenarioSet prior;
};

World Make(Fleet f, int threads = 2) {
  World s;
  s.fleet = std::move(f);
  s.options = ForecastOptionsFromSpec(s.fleet);
  s.options.threads = threads;
  auto m = BuildDemandModel(s.fleet, s.options);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  s.model = std::move(m).value();
  s.prior = GenerateScenarios(s.model, s.options);
  return s;
}

// CSV of a synthetic truth: tier `tier` growing at exactly `g` a month with
// volatility `sigma` (seeded) from the tier's level, for `months` months.
std::string TruthCsv(const World& s, int tier, double g, double sigma, int months, std::uint64_t seed) {
  Rng rng(seed, StreamPurpose::kTest, 77);
  std::string csv = "month,model,output_tokens\n";
  double x = 0;
  for (int t = 1; t <= months; ++t) {
    x += g + sigma * rng.Normal();
    char row[128];
    // A month's total is a whole number of tokens.
    std::snprintf(row, sizeof row, "%s,%s,%.0f\n", FormatMonth(s.model.MonthStart(t)).c_str(),
                  s.model.tiers[static_cast<size_t>(tier)].id.c_str(),
                  std::round(MonthlyOutputTokens(s.model, tier, t, x)));
    csv += row;
  }
  return csv;
}

// Keeps the header and the rows of `csv` whose month index (1-based, in
// file order: row k is month k for TruthCsv) is in `keep`.
std::string KeepMonths(const std::string& csv, const std::vector<int>& keep) {
  std::istringstream in(csv);
  std::string line, out;
  std::getline(in, line);
  out = line + "\n";
  for (int month = 1; std::getline(in, line); ++month)
    if (std::find(keep.begin(), keep.end(), month) != keep.end()) out += line + "\n";
  return out;
}

TEST(Actuals, ReweightingConcentratesOnTheTrueGrowthRate) {
  // Prior growth 0.05 +- 0.03; the truth grows at 0.09 for 12 months.
  Fleet f = TieredFleet(2, 4000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.03;
  const World s = Make(f);
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.09, 0.03, 12, 1), "truth.csv", s.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  const GrowthPosterior& g = post->growth[0];
  // Conjugate normal posterior of g from 12 increments with variance
  // sigma^2 + obs^2; the particles must agree with it.
  const double v = 0.03 * 0.03 + 0.01 * 0.01, prior_var = 0.03 * 0.03;
  // The increments telescope: their sum is the month-12 log multiple.
  const double y12 = std::log(actuals->rows.back().output_tokens / MonthlyOutputTokens(s.model, 0, 12, 0.0));
  const double post_var = 1 / (1 / prior_var + 12 / v);
  const double post_mean = post_var * (0.05 / prior_var + y12 / v);
  EXPECT_NEAR(g.posterior_mean, post_mean, 0.25 * std::sqrt(post_var));
  EXPECT_NEAR(g.posterior_sd, std::sqrt(post_var), 0.15 * std::sqrt(post_var));
  EXPECT_LT(g.posterior_sd, 0.35 * g.prior_sd);
  EXPECT_NEAR(g.posterior_mean, 0.09, 3 * std::sqrt(post_var));
  EXPECT_LT(post->effective_sample_size, 0.5 * s.prior.scenarios);
  EXPECT_GT(post->acceptance_rate, 0.1);
  // Observed months hold the actuals exactly; later months start from them.
  for (int i = 0; i < post->scenarios.scenarios; i += 101)
    EXPECT_EQ(post->scenarios.LogMultiple(0, 12, i), y12);
  EXPECT_EQ(post->last_observed_month[0], 12);
  EXPECT_EQ(post->last_observed_month[1], 0);
  // The unobserved tier learns through the shared factor (loading 0.5 each):
  // its growth moves up, but far less.
  EXPECT_GT(post->growth[1].posterior_mean, post->growth[1].prior_mean);
}

// One tier whose growth drifts: 5% +- 3% a month, volatility 3%, drift 2%.
Fleet DriftingTier() {
  Fleet f = TieredFleet(1, 8000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.03;
  f.demand[0].growth.monthly_growth_drift_sd = 0.02;
  return f;
}

// The local linear trend's Kalman filter (the monthly backtest's, with the
// tier's prior, volatility, drift and observation noise) over the actuals'
// months gives the growth after the last actual and the cone six months on
// in closed form; the particles must agree with it. Returns the filter's
// growth sd.
double ExpectGrowthAndConeOfTheKalmanFilter(const World& s, const Actuals& actuals, const Posterior& post) {
  const GrowthModel& gs = s.fleet.demand[0].growth;
  PublishedSeries series;
  series.name = "actuals";
  series.points.push_back({24300, 1.0, 1});
  for (const Actual& a : actuals.rows)
    series.points.push_back(
        {24300 + a.month, a.output_tokens / MonthlyOutputTokens(s.model, 0, a.month, 0.0), a.line});
  series.points.push_back({24300 + 18, 1.0, 99});  // a target six months on (its value is not used)
  MonthlyBacktestOptions mo;
  mo.growth_mean = gs.monthly_log_growth_mean;
  mo.growth_sd = gs.monthly_log_growth_sd;
  mo.volatility = gs.monthly_volatility;
  mo.growth_drift_sd = gs.monthly_growth_drift_sd;
  mo.min_points = static_cast<int>(actuals.rows.size()) + 1;  // one origin: the last actual
  auto kalman = BacktestMonthly(series, mo);
  EXPECT_TRUE(kalman.ok()) << kalman.status().ToString();
  if (!kalman.ok() || kalman->forecasts.size() != 1) {
    ADD_FAILURE() << "expected one forecast from the last actual";
    return 0;
  }
  const double g_mean = kalman->last_growth_mean, g_sd = kalman->last_growth_sd;
  const GrowthPosterior& g = post.growth[0];
  EXPECT_NEAR(g.posterior_mean, g_mean, 0.1 * g_sd);
  EXPECT_NEAR(g.posterior_sd, g_sd, 0.1 * g_sd);
  static constexpr double kProbs[] = {0.10, 0.50, 0.90};
  const std::vector<double> q = TokenQuantiles(s.model, post.scenarios, 0, 18, kProbs);
  const double unit = MonthlyOutputTokens(s.model, 0, 18, 0.0);
  const MonthlyForecast& fc = kalman->forecasts[0];
  EXPECT_NEAR(std::log(q[1] / unit), fc.mean_log, 0.05 * fc.sd_log);
  EXPECT_NEAR(std::log(q[2] / q[0]) / (2 * 1.2815515655446004), fc.sd_log, 0.06 * fc.sd_log);
  return g_sd;
}

TEST(Actuals, ParticlesCarryTheirDriftedGrowthAsTheKalmanFilterDoes) {
  // Growth that drifts (d = 0.02 a month): given the actuals, the growth for
  // the month after the last one and the cone six months on are Gaussian,
  // and the local linear trend's Kalman filter (the monthly backtest's, with
  // the same prior, volatility, drift and observation noise) gives them in
  // closed form. The particles, each with its growth path drawn given the
  // actuals, must agree with it.
  const World s = Make(DriftingTier());
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.09, 0.03, 12, 1), "truth.csv", s.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  UpdateOptions uo;
  uo.widen_on_miss = false;
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, uo);
  ASSERT_TRUE(post.ok()) << post.status().ToString();

  const double g_sd = ExpectGrowthAndConeOfTheKalmanFilter(s, *actuals, *post);
  // Drift makes the growth less certain than a fixed rate would be.
  EXPECT_GT(g_sd, 0.012);
}

TEST(Actuals, ActualsInsideTheConeAreNoMissAndFarOutsideAre) {
  const World s = Make(TieredFleet(1, 2000, 12));
  auto inside = ParseActualsCsv(TruthCsv(s, 0, 0.03, 0.0, 3, 2), "a.csv", s.model);
  ASSERT_TRUE(inside.ok());
  auto p1 = UpdateFromActuals(s.model, s.prior, *inside, UpdateOptions{});
  ASSERT_TRUE(p1.ok());
  EXPECT_TRUE(p1->misses.empty());
  auto outside = ParseActualsCsv(TruthCsv(s, 0, 0.5, 0.0, 3, 2), "b.csv", s.model);
  ASSERT_TRUE(outside.ok());
  auto p2 = UpdateFromActuals(s.model, s.prior, *outside, UpdateOptions{});
  ASSERT_TRUE(p2.ok()) << p2.status().ToString();
  ASSERT_EQ(p2->misses.size(), 3u);
  EXPECT_GT(p2->misses[0].output_tokens, p2->misses[0].prior_p99);
  EXPECT_EQ(p2->misses[0].line, 2);
}

// Months that keep beating the prior's P90: the update reweights towards
// faster growth and, because the cone keeps missing, widens the future by the
// measured miss rate, so the P90 six months ahead catches up with the truth.
TEST(Actuals, ConeThatKeepsMissingWidensAndItsP90CatchesUp) {
  Fleet f = TieredFleet(1, 4000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.02;
  f.demand[0].growth.monthly_log_growth_sd = 0.01;
  f.demand[0].growth.monthly_volatility = 0.02;
  const World s = Make(f);
  const double g = 0.08;  // the truth: 8% a month (log), every month
  static constexpr double kP90[] = {0.90};
  double previous_gap = 1e9;
  for (int months : {1, 2, 4, 8}) {
    auto actuals = ParseActualsCsv(TruthCsv(s, 0, g, 0.0, months, 1), "truth.csv", s.model);
    ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
    // Every actual beats the prior's P90.
    for (const Actual& a : actuals->rows)
      EXPECT_GT(a.output_tokens, TokenQuantiles(s.model, s.prior, 0, a.month, kP90)[0]) << a.month;
    auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
    ASSERT_TRUE(post.ok()) << post.status().ToString();
    ASSERT_EQ(post->widening.size(), 1u);
    const TierWidening& w = post->widening[0];
    EXPECT_EQ(w.observed, months);
    EXPECT_EQ(w.above_p90, months);
    EXPECT_GT(w.factor, 1.0);
    // Log gap between the truth and the posterior P90 six months on.
    const int ahead = months + 6;
    const double truth = MonthlyOutputTokens(s.model, 0, ahead, g * ahead);
    const double gap = std::log(truth / TokenQuantiles(s.model, post->scenarios, 0, ahead, kP90)[0]);
    EXPECT_LT(gap, previous_gap) << months << " months observed";
    previous_gap = gap;
    if (months == 8) {
      EXPECT_LE(gap, 0.0) << "after 8 missed months the P90 six months ahead covers the truth";
      // Reweighting alone does not get there: the prior's growth is too tight.
      UpdateOptions only_reweight;
      only_reweight.widen_on_miss = false;
      auto plain = UpdateFromActuals(s.model, s.prior, *actuals, only_reweight);
      ASSERT_TRUE(plain.ok());
      EXPECT_EQ(plain->widening[0].factor, 1.0);
      EXPECT_GT(std::log(truth / TokenQuantiles(s.model, plain->scenarios, 0, ahead, kP90)[0]), 0.0);
    }
  }
}

// Issue 10 item 9: actuals that beat the forecast past the saturation
// ceiling used to lower every later quantile (the fixed ceiling turned the
// learned growth into a decline: a later median 19% below the prior's). The
// ceiling now moves with observed demand: it is scaled by how far the last
// actual ran ahead of the prior's median, so no later quantile falls below
// the prior's and the median keeps at least the observed lead.
TEST(Actuals, ActualsThatBeatTheForecastNeverLowerLaterQuantilesThroughTheCeiling) {
  Fleet f = TieredFleet(1, 4000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.08;
  f.demand[0].growth.monthly_log_growth_sd = 0.02;
  f.demand[0].growth.monthly_volatility = 0.02;
  f.demand[0].growth.saturation_multiple = 2.0;
  const World s = Make(f);
  // The truth: 15% a month (log) for 6 months, 2.46x today, past the ceiling.
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.15, 0.0, 6, 1), "beat.csv", s.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  static constexpr double kLevels[] = {0.10, 0.50, 0.90};
  const double last_actual = actuals->rows.back().output_tokens;
  const double prior_median_6 = TokenQuantiles(s.model, s.prior, 0, 6, kLevels)[1];
  ASSERT_GT(last_actual, prior_median_6);
  for (int t = 7; t <= 24; ++t) {
    const std::vector<double> prior_q = TokenQuantiles(s.model, s.prior, 0, t, kLevels);
    const std::vector<double> post_q = TokenQuantiles(s.model, post->scenarios, 0, t, kLevels);
    for (size_t k = 0; k < 3; ++k)
      EXPECT_GE(post_q[k], prior_q[k]) << "month " << t << " level " << kLevels[k];
    // The median keeps the lead the actuals showed over the prior's median
    // (a month's hours differ: compare per hour of the month).
    const double lead = last_actual / prior_median_6;
    EXPECT_GE(post_q[1] / prior_q[1], 0.97 * lead) << "month " << t;
  }
  ASSERT_EQ(post->widening.size(), 1u);
  EXPECT_DOUBLE_EQ(post->widening[0].ceiling_multiple_prior, 2.0);
  // (the median of the column against TokenQuantiles' interpolated one)
  EXPECT_NEAR(post->widening[0].ceiling_multiple, 2.0 * last_actual / prior_median_6,
              1e-3 * post->widening[0].ceiling_multiple);
}

// Actuals inside the cone leave the ceiling where it was.
TEST(Actuals, ActualsBelowTheMedianLeaveTheCeilingInPlace) {
  Fleet f = TieredFleet(1, 2000, 12);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.saturation_multiple = 3.0;
  const World s = Make(f);
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.02, 0.0, 3, 2), "a.csv", s.model);
  ASSERT_TRUE(actuals.ok());
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->widening[0].ceiling_multiple, 3.0);
}

// Actuals in the middle of the cone widen nothing.
TEST(Actuals, ActualsInsideTheBandAreNotWidened) {
  Fleet f = TieredFleet(1, 2000, 12);
  const World s = Make(f);
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.03, 0.0, 4, 2), "a.csv", s.model);
  ASSERT_TRUE(actuals.ok());
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->widening[0].outside_p10_p90, 0);
  EXPECT_EQ(post->widening[0].factor, 1.0);
}

TEST(Actuals, UpdateIsIdenticalForAnyThreadCount) {
  Fleet f = TieredFleet(2, 1500, 12);
  f.demand[1].growth.launches.push_back({Date("2027-03-01"), 1.8, 0.3});
  const World a = Make(f, 1), b = Make(f, 3);
  const std::string csv = TruthCsv(a, 1, 0.06, 0.04, 4, 3);
  auto actuals = ParseActualsCsv(csv, "t.csv", a.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  UpdateOptions o1, o3;
  o1.threads = 1;
  o3.threads = 3;
  auto p1 = UpdateFromActuals(a.model, a.prior, *actuals, o1);
  auto p3 = UpdateFromActuals(b.model, b.prior, *actuals, o3);
  ASSERT_TRUE(p1.ok() && p3.ok());
  EXPECT_EQ(p1->scenarios.log_multiple, p3->scenarios.log_multiple);
  EXPECT_EQ(p1->effective_sample_size, p3->effective_sample_size);
  // And with a gap (bridged months drawn per particle).
  auto gap = ParseActualsCsv(KeepMonths(csv, {1, 4}), "t.csv", a.model);
  ASSERT_TRUE(gap.ok()) << gap.status().ToString();
  auto g1 = UpdateFromActuals(a.model, a.prior, *gap, o1);
  auto g3 = UpdateFromActuals(b.model, b.prior, *gap, o3);
  ASSERT_TRUE(g1.ok() && g3.ok());
  EXPECT_EQ(g1->scenarios.log_multiple, g3->scenarios.log_multiple);
  EXPECT_EQ(g1->bridged_months[1], (std::vector<int>{2, 3}));
}

// Closed-form posterior of the growth g ~ N(mu, tau^2) from increments
// d_i over dt_i months, d_i ~ N(g dt_i, sigma^2 dt_i + obs^2) independent.
struct Conjugate {
  double mean = 0, sd = 0;
};
// (gap_as_one_month: the variance of one month, sigma^2 + obs^2, for every
// increment: a wrong treatment of gaps, for contrast.)
Conjugate ConjugateGrowth(const World& s, const Actuals& a, double mu, double tau, double sigma, double obs,
                          bool gap_as_one_month = false) {
  double precision = 1 / (tau * tau), weighted = mu / (tau * tau), y_before = 0;
  int month_before = 0;
  for (const Actual& r : a.rows) {
    const double y = std::log(r.output_tokens / MonthlyOutputTokens(s.model, r.tier, r.month, 0.0));
    const double dt = r.month - month_before, v = sigma * sigma * (gap_as_one_month ? 1 : dt) + obs * obs;
    precision += dt * dt / v;
    weighted += dt * (y - y_before) / v;
    y_before = y;
    month_before = r.month;
  }
  return {weighted / precision, std::sqrt(1 / precision)};
}

// Issue 16 item 4: a month missing between two actuals. Without a ceiling,
// launches or drift the growth's posterior is conjugate normal whatever the
// spacing: an increment over dt months is N(g dt, sigma^2 dt + obs^2). The
// particles must agree with it for months 1, 2, 3 and for months 1 and 3
// (month 3 the same value), and the two posteriors must differ as the
// closed forms do.
TEST(Actuals, AGapGivesTheConjugatePosteriorOfTheGrowth) {
  Fleet f = TieredFleet(1, 8000, 12);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.04;
  const World s = Make(f);
  const std::string csv = TruthCsv(s, 0, 0.09, 0.04, 3, 5);
  auto full = ParseActualsCsv(csv, "full.csv", s.model);
  auto gap = ParseActualsCsv(KeepMonths(csv, {1, 3}), "gap.csv", s.model);
  ASSERT_TRUE(full.ok() && gap.ok()) << gap.status().ToString();
  ASSERT_EQ(gap->rows.size(), 2u);
  ASSERT_EQ(gap->rows[1].output_tokens, full->rows[2].output_tokens);
  UpdateOptions uo;
  for (const Actuals* a : {&*full, &*gap}) {
    auto post = UpdateFromActuals(s.model, s.prior, *a, uo);
    ASSERT_TRUE(post.ok()) << post.status().ToString();
    const Conjugate exact = ConjugateGrowth(s, *a, 0.05, 0.03, 0.04, uo.observation_log_sd);
    const GrowthPosterior& g = post->growth[0];
    EXPECT_NEAR(g.posterior_mean, exact.mean, 0.1 * exact.sd) << a->rows.size() << " actuals";
    EXPECT_NEAR(g.posterior_sd, exact.sd, 0.05 * exact.sd) << a->rows.size() << " actuals";
    EXPECT_EQ(post->last_observed_month[0], 3);
  }
  // The tolerance tells a right gap from a wrong one: taking the two months
  // as one month's variance (sigma^2 + obs^2 instead of 2 sigma^2 + obs^2)
  // would give a posterior sd more than 3 tolerances away.
  const Conjugate right = ConjugateGrowth(s, *gap, 0.05, 0.03, 0.04, 0.01);
  const Conjugate wrong = ConjugateGrowth(s, *gap, 0.05, 0.03, 0.04, 0.01, /*gap_as_one_month=*/true);
  EXPECT_GT(std::fabs(right.sd - wrong.sd), 3 * 0.05 * right.sd);
}

// The month in the gap is a Brownian bridge: given g, month 2's organic log
// multiple between y1 and the increment D over (1, 3] is
//   N(y1 + g + c (D - 2 g), sigma^2 (1 - c)),  c = sigma^2 / (2 sigma^2 + obs^2),
// so across the posterior (g ~ N(m, P)) its mean is y1 + c D + (1 - 2c) m and
// its variance sigma^2 (1 - c) + (1 - 2c)^2 P. The observed months hold
// their actuals; the report lists month 2 as bridged.
TEST(Actuals, TheMonthInAGapIsABridgeBetweenTheActualsAroundIt) {
  Fleet f = TieredFleet(1, 8000, 12);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.04;
  const World s = Make(f);
  auto gap = ParseActualsCsv(KeepMonths(TruthCsv(s, 0, 0.09, 0.04, 3, 5), {1, 3}), "gap.csv", s.model);
  ASSERT_TRUE(gap.ok());
  UpdateOptions uo;
  auto post = UpdateFromActuals(s.model, s.prior, *gap, uo);
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  ASSERT_EQ(post->bridged_months.size(), 1u);
  EXPECT_EQ(post->bridged_months[0], std::vector<int>{2});
  auto y = [&](int k) {
    return std::log(gap->rows[static_cast<size_t>(k)].output_tokens /
                    MonthlyOutputTokens(s.model, 0, gap->rows[static_cast<size_t>(k)].month, 0.0));
  };
  const double sigma = 0.04, obs = uo.observation_log_sd, c = sigma * sigma / (2 * sigma * sigma + obs * obs);
  const Conjugate g = ConjugateGrowth(s, *gap, 0.05, 0.03, sigma, obs);
  const double mean = y(0) + c * (y(1) - y(0)) + (1 - 2 * c) * g.mean;
  const double sd = std::sqrt(sigma * sigma * (1 - c) + (1 - 2 * c) * (1 - 2 * c) * g.sd * g.sd);
  const int n = post->scenarios.scenarios;
  double m1 = 0, m2 = 0;
  for (int i = 0; i < n; ++i) {
    const double v = post->scenarios.LogMultiple(0, 2, i);
    m1 += v / n;
    m2 += v * v / n;
    EXPECT_EQ(post->scenarios.LogMultiple(0, 1, i), y(0));
    EXPECT_EQ(post->scenarios.LogMultiple(0, 3, i), y(1));
  }
  EXPECT_NEAR(m1, mean, 0.05 * sd);
  EXPECT_NEAR(std::sqrt(m2 - m1 * m1), sd, 0.04 * sd);
}

// Two tiers with the same gap: their bridged months share the factor's
// shocks. With the growth known (prior sd 0), month 2 given the increments
// D over (1, 3] is Gaussian with the covariance
//   Var V - Cov(V, D) Var(D)^-1 Cov(D, V),
// V the tiers' organic increments over (1, 2] (one month, correlation
// l_a l_b), D over (1, 3] (two months, plus obs^2 on the diagonal): the
// particles' month-2 values must have its means, sds and correlation.
TEST(Actuals, BridgedMonthsOfTwoTiersShareTheFactorsShocks) {
  Fleet f = TieredFleet(2, 8000, 12);
  const double sigma[2] = {0.04, 0.06}, loading = 0.8, g[2] = {0.05, 0.03};
  for (size_t k = 0; k < 2; ++k) {
    f.demand[k].growth.monthly_log_growth_mean = g[k];
    f.demand[k].growth.monthly_log_growth_sd = 0.0;
    f.demand[k].growth.monthly_volatility = sigma[k];
    f.demand[k].growth.shared_factor_loading = loading;
  }
  const World s = Make(f);
  const std::string b = KeepMonths(TruthCsv(s, 1, 0.02, 0.06, 3, 8), {1, 3});
  const std::string csv = KeepMonths(TruthCsv(s, 0, 0.07, 0.04, 3, 7), {1, 3}) + b.substr(b.find('\n') + 1);
  auto gap = ParseActualsCsv(csv, "two.csv", s.model);
  ASSERT_TRUE(gap.ok()) << gap.status().ToString();
  UpdateOptions uo;
  uo.widen_on_miss = false;
  auto post = UpdateFromActuals(s.model, s.prior, *gap, uo);
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  ASSERT_EQ(post->bridged_months[0], std::vector<int>{2});
  ASSERT_EQ(post->bridged_months[1], std::vector<int>{2});
  double y1[2], d[2];
  for (const Actual& a : gap->rows) {
    const double y = std::log(a.output_tokens / MonthlyOutputTokens(s.model, a.tier, a.month, 0.0));
    if (a.month == 1) y1[a.tier] = y;
  }
  for (const Actual& a : gap->rows)
    if (a.month == 3)
      d[a.tier] = std::log(a.output_tokens / MonthlyOutputTokens(s.model, a.tier, 3, 0.0)) - y1[a.tier];
  // Closed form: 2 x 2 blocks.
  const double obs = uo.observation_log_sd, rho = loading * loading;
  const double cvv[2][2] = {{sigma[0] * sigma[0], sigma[0] * sigma[1] * rho},
                            {sigma[0] * sigma[1] * rho, sigma[1] * sigma[1]}};
  double cdd[2][2], inv[2][2], k[2][2];  // Var D, its inverse, Cov(V, D) Var(D)^-1
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) cdd[i][j] = 2 * cvv[i][j] + (i == j ? obs * obs : 0.0);
  const double det = cdd[0][0] * cdd[1][1] - cdd[0][1] * cdd[1][0];
  inv[0][0] = cdd[1][1] / det;
  inv[1][1] = cdd[0][0] / det;
  inv[0][1] = inv[1][0] = -cdd[0][1] / det;
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) k[i][j] = cvv[i][0] * inv[0][j] + cvv[i][1] * inv[1][j];
  double mean[2], cov[2][2];
  for (int i = 0; i < 2; ++i) {
    mean[i] = y1[i] + g[i] + k[i][0] * (d[0] - 2 * g[0]) + k[i][1] * (d[1] - 2 * g[1]);
    for (int j = 0; j < 2; ++j) cov[i][j] = cvv[i][j] - (k[i][0] * cvv[0][j] + k[i][1] * cvv[1][j]);
  }
  const int n = post->scenarios.scenarios;
  double m[2] = {0, 0}, c[2][2] = {{0, 0}, {0, 0}};
  for (int i = 0; i < n; ++i) {
    const double v[2] = {post->scenarios.LogMultiple(0, 2, i), post->scenarios.LogMultiple(1, 2, i)};
    for (int a = 0; a < 2; ++a) {
      m[a] += v[a] / n;
      for (int bb = 0; bb < 2; ++bb) c[a][bb] += v[a] * v[bb] / n;
    }
  }
  for (int a = 0; a < 2; ++a)
    for (int bb = 0; bb < 2; ++bb) c[a][bb] -= m[a] * m[bb];
  for (int a = 0; a < 2; ++a) {
    EXPECT_NEAR(m[a], mean[a], 0.05 * std::sqrt(cov[a][a])) << "tier " << a;
    EXPECT_NEAR(std::sqrt(c[a][a]), std::sqrt(cov[a][a]), 0.04 * std::sqrt(cov[a][a])) << "tier " << a;
  }
  const double corr = cov[0][1] / std::sqrt(cov[0][0] * cov[1][1]);
  EXPECT_GT(corr, 0.5);  // independent bridges (0) would fail the next line
  EXPECT_NEAR(c[0][1] / std::sqrt(c[0][0] * c[1][1]), corr, 0.04);
}

// Filling a gap with the bridge's median is worth (nearly) the same as
// leaving it: the growth learned from a year with months 4-6 and 9 missing
// and from the same year with them filled by the gap update's median agree.
TEST(Actuals, AGapFilledByItsPosteriorMedianTeachesTheSameGrowth) {
  Fleet f = TieredFleet(2, 6000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.03;
  const World s = Make(f);
  const std::vector<int> kept = {1, 2, 3, 7, 8, 10, 11, 12};
  auto gap = ParseActualsCsv(KeepMonths(TruthCsv(s, 0, 0.08, 0.03, 12, 9), kept), "gap.csv", s.model);
  ASSERT_TRUE(gap.ok());
  auto post = UpdateFromActuals(s.model, s.prior, *gap, UpdateOptions{});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->bridged_months[0], (std::vector<int>{4, 5, 6, 9}));
  EXPECT_TRUE(post->bridged_months[1].empty());
  static constexpr double kMedian[] = {0.5};
  std::string filled = "month,model,output_tokens\n";
  for (int t = 1; t <= 12; ++t) {
    double tokens = 0;
    for (const Actual& a : gap->rows)
      if (a.month == t) tokens = a.output_tokens;
    if (tokens == 0) tokens = std::round(TokenQuantiles(s.model, post->scenarios, 0, t, kMedian)[0]);
    filled += FormatMonth(s.model.MonthStart(t)) + ",tier0," + Fmt("%.0f", tokens) + "\n";
  }
  auto full = ParseActualsCsv(filled, "filled.csv", s.model);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  auto post_full = UpdateFromActuals(s.model, s.prior, *full, UpdateOptions{});
  ASSERT_TRUE(post_full.ok());
  const GrowthPosterior &a = post->growth[0], &b = post_full->growth[0];
  EXPECT_NEAR(a.posterior_mean, b.posterior_mean, 0.2 * b.posterior_sd);
  EXPECT_NEAR(a.posterior_sd, b.posterior_sd, 0.1 * b.posterior_sd);
  // Both learned: far tighter than the prior.
  EXPECT_LT(a.posterior_sd, 0.5 * a.prior_sd);
}

// Growth that drifts, with gaps: the local linear trend's Kalman filter
// steps over irregular gaps (Var D = sigma^2 dt + obs^2 + d^2 (dt-1) dt
// (2dt-1)/6, Cov(D, g') = d^2 dt (dt-1)/2), so it is the known answer for
// the particles' growth after the last actual and the cone six months on.
TEST(Actuals, DriftedGrowthOverGapsAgreesWithTheKalmanFilter) {
  const World s = Make(DriftingTier());
  auto actuals = ParseActualsCsv(KeepMonths(TruthCsv(s, 0, 0.09, 0.03, 12, 1), {2, 3, 6, 7, 8, 12}),
                                 "gaps.csv", s.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  UpdateOptions uo;
  uo.widen_on_miss = false;
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, uo);
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->bridged_months[0], (std::vector<int>{1, 4, 5, 9, 10, 11}));

  ExpectGrowthAndConeOfTheKalmanFilter(s, *actuals, *post);
}

TEST(Actuals, MalformedNumberNamesLineAndColumn) {
  const World s = Make(TieredFleet(1, 10, 12));
  auto r = ParseActualsCsv("month,model,output_tokens\n2027-02,tier0,1e12\n2027-03,tier0,12x\n", "act.csv",
                           s.model);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      r.status().ToString(),
      "act.csv:3:3: output_tokens: expected a decimal number of output tokens such as 4.71e12, got \"12x\"");
}

TEST(Actuals, ImplausibleCountsAreRefusedWithTheirPlace) {
  const World s = Make(TieredFleet(1, 10, 12));
  auto parse = [&](const std::string& tokens) {
    return ParseActualsCsv("month,model,output_tokens\n2027-02,tier0," + tokens + "\n", "act.csv", s.model);
  };
  const std::string whole =
      "act.csv:2:3: output_tokens: expected a whole number of output tokens from 1 to 1e+20 (a month's "
      "total), got ";
  EXPECT_EQ(parse("4.5").status().ToString(), whole + "\"4.5\"");
  EXPECT_EQ(parse("0.25").status().ToString(), whole + "\"0.25\"");
  EXPECT_EQ(parse("0").status().ToString(), whole + "\"0\"");
  EXPECT_EQ(parse("-3").status().ToString(), whole + "\"-3\"");
  EXPECT_EQ(parse("1e30").status().ToString(), whole + "\"1e30\"");
  const std::string decimal =
      "act.csv:2:3: output_tokens: expected a decimal number of output tokens such as 4.71e12, got ";
  EXPECT_EQ(parse("0x10").status().ToString(), decimal + "\"0x10\"");
  EXPECT_EQ(parse("\" 12\"").status().ToString(), decimal + "\" 12\"");
  EXPECT_EQ(parse("nan").status().ToString(), decimal + "\"nan\"");
  EXPECT_EQ(parse("inf").status().ToString(), decimal + "\"inf\"");
  EXPECT_TRUE(parse("4.71e12").ok());
  EXPECT_TRUE(parse("12").ok());
}

TEST(Actuals, AByteOrderMarkBeforeTheHeaderIsSkipped) {
  const World s = Make(TieredFleet(1, 10, 12));
  auto r = ParseActualsCsv("\xEF\xBB\xBFmonth,model,output_tokens\n2027-02,tier0,1e12\n", "act.csv", s.model);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows.size(), 1u);
}

// An actual far outside the cone (a dozen orders of magnitude below it) is a
// cone miss to report, not a failure of the update.
TEST(Actuals, AnActualFarOutsideTheConeIsReportedAsAMiss) {
  Fleet f = TieredFleet(1, 2000, 12);
  f.demand[0].growth.monthly_log_growth_mean = 0.06;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.05;
  const World s = Make(f);
  for (const char* tokens : {"5", "1e20"}) {
    auto actuals = ParseActualsCsv(std::string("month,model,output_tokens\n2027-02,tier0,") + tokens + "\n",
                                   "far.csv", s.model);
    ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
    auto post = UpdateFromActuals(s.model, s.prior, *actuals, UpdateOptions{});
    ASSERT_TRUE(post.ok()) << tokens << ": " << post.status().ToString();
    ASSERT_EQ(post->misses.size(), 1u) << tokens;
    EXPECT_EQ(post->misses[0].line, 2);
  }
}

TEST(Actuals, UnknownTierNamesLineColumnAndTheKnownTiers) {
  const World s = Make(TieredFleet(2, 10, 12));
  EXPECT_THAT(ParseActualsCsv("month,model,output_tokens\n2027-02,chat-huge,1e12\n", "act.csv", s.model),
              StatusIs(StatusCode::kInvalidArgument,
                       "act.csv:2:2: model: unknown tier \"chat-huge\": serving tiers are tier0, tier1"));
}

TEST(Actuals, MalformedCsvAndBadMonthsAreLocated) {
  const World s = Make(TieredFleet(1, 10, 12));
  auto ragged = ParseActualsCsv("month,model,output_tokens\n2027-02,tier0\n", "act.csv", s.model);
  EXPECT_EQ(ragged.status().message(), "act.csv:2: expected 3 fields as in the header, got 2");
  auto header = ParseActualsCsv("month,tier,tokens\n2027-02,tier0,1\n", "act.csv", s.model);
  EXPECT_EQ(header.status().diagnostics().size(), 2u);
  EXPECT_EQ(header.status().diagnostics()[0].ToString(),
            "act.csv:1: header: missing column \"model\" (expected a header month,model,output_tokens)");
  auto month = ParseActualsCsv("month,model,output_tokens\nFeb 2027,tier0,1\n", "act.csv", s.model);
  EXPECT_EQ(month.status().ToString(), "act.csv:2:1: month: expected a month YYYY-MM, got \"Feb 2027\"");
  auto early = ParseActualsCsv("month,model,output_tokens\n2027-01,tier0,1\n", "act.csv", s.model);
  EXPECT_EQ(early.status().ToString(),
            "act.csv:2:1: month: 2027-01 is not after the forecast's start month 2027-01: actuals begin with "
            "2027-02");
  auto late = ParseActualsCsv("month,model,output_tokens\n2028-02,tier0,1\n", "act.csv", s.model);
  EXPECT_EQ(late.status().ToString(), "act.csv:2:1: month: 2028-02 is after the last forecast month 2028-01");
  // Gaps are accepted (bridged by the update), in any order in the file;
  // a duplicate is still refused, also after a gap and out of order.
  auto gap = ParseActualsCsv("month,model,output_tokens\n2027-06,tier0,3\n2027-02,tier0,1\n2027-04,tier0,2\n",
                             "act.csv", s.model);
  ASSERT_TRUE(gap.ok()) << gap.status().ToString();
  ASSERT_EQ(gap->rows.size(), 3u);
  EXPECT_EQ(gap->rows[0].month, 1);
  EXPECT_EQ(gap->rows[1].month, 3);
  EXPECT_EQ(gap->rows[2].month, 5);
  EXPECT_EQ(gap->rows[2].line, 2);
  auto dup =
      ParseActualsCsv("month,model,output_tokens\n2027-02,tier0,1\n2027-02,tier0,2\n", "act.csv", s.model);
  EXPECT_EQ(dup.status().ToString(),
            "act.csv:3:1: month: a second row for \"tier0\" in 2027-02 (the first is on line 2)");
  auto dup_after_gap = ParseActualsCsv(
      "month,model,output_tokens\n2027-05,tier0,2\n2027-02,tier0,1\n2027-05,tier0,3\n", "act.csv", s.model);
  EXPECT_EQ(dup.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dup_after_gap.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(dup_after_gap.status().ToString(),
            "act.csv:4:1: month: a second row for \"tier0\" in 2027-05 (the first is on line 2)");
  auto missing = ReadActualsCsv("/nonexistent/actuals.csv", s.model);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(Actuals, FixtureFilesParse) {
  const World s = Make(TieredFleet(2, 10, 12));
  const std::string dir = std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/forecast/";
  Fleet f = TieredFleet(1, 10, 12);
  f.models[0].id = f.demand[0].model = "chat-medium";
  const World chat = Make(f);
  auto good = ReadActualsCsv(dir + "actuals-good.csv", chat.model);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->rows.size(), 3u);
  EXPECT_THAT(ReadActualsCsv(dir + "actuals-malformed.csv", chat.model),
              StatusIs(StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("actuals-malformed.csv:4:3: output_tokens")));
}

}  // namespace
}  // namespace fungible

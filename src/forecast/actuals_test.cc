#include "forecast/actuals.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "forecast/cone.h"
#include "forecast/internal/test_util.h"
#include "forecast/monthly_backtest.h"
#include "forecast/random.h"
#include "util/status_matchers.h"

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

TEST(Actuals, ParticlesCarryTheirDriftedGrowthAsTheKalmanFilterDoes) {
  // Growth that drifts (d = 0.02 a month): given the actuals, the growth for
  // the month after the last one and the cone six months on are Gaussian,
  // and the local linear trend's Kalman filter (the monthly backtest's, with
  // the same prior, volatility, drift and observation noise) gives them in
  // closed form. The particles, each with its growth path drawn given the
  // actuals, must agree with it.
  Fleet f = TieredFleet(1, 8000, 24);
  f.demand[0].growth.monthly_log_growth_mean = 0.05;
  f.demand[0].growth.monthly_log_growth_sd = 0.03;
  f.demand[0].growth.monthly_volatility = 0.03;
  f.demand[0].growth.monthly_growth_drift_sd = 0.02;
  const World s = Make(f);
  auto actuals = ParseActualsCsv(TruthCsv(s, 0, 0.09, 0.03, 12, 1), "truth.csv", s.model);
  ASSERT_TRUE(actuals.ok()) << actuals.status().ToString();
  UpdateOptions uo;
  uo.widen_on_miss = false;
  auto post = UpdateFromActuals(s.model, s.prior, *actuals, uo);
  ASSERT_TRUE(post.ok()) << post.status().ToString();

  PublishedSeries series;
  series.name = "truth";
  series.points.push_back({24300, 1.0, 1});
  for (const Actual& a : actuals->rows)
    series.points.push_back(
        {24300 + a.month, a.output_tokens / MonthlyOutputTokens(s.model, 0, a.month, 0.0), a.line});
  series.points.push_back({24300 + 18, 1.0, 99});  // a target six months on (its value is not used)
  MonthlyBacktestOptions mo;
  mo.growth_mean = 0.05;
  mo.growth_sd = 0.03;
  mo.volatility = 0.03;
  mo.growth_drift_sd = 0.02;
  mo.min_points = 13;  // one origin: the last actual
  auto kalman = BacktestMonthly(series, mo);
  ASSERT_TRUE(kalman.ok()) << kalman.status().ToString();
  ASSERT_EQ(kalman->forecasts.size(), 1u);
  const double g_mean = kalman->last_growth_mean, g_sd = kalman->last_growth_sd;
  const GrowthPosterior& g = post->growth[0];
  EXPECT_NEAR(g.posterior_mean, g_mean, 0.1 * g_sd);
  EXPECT_NEAR(g.posterior_sd, g_sd, 0.1 * g_sd);
  // Drift makes the growth less certain than a fixed rate would be.
  EXPECT_GT(g_sd, 0.012);

  static constexpr double kProbs[] = {0.10, 0.50, 0.90};
  const std::vector<double> q = TokenQuantiles(s.model, post->scenarios, 0, 18, kProbs);
  const double unit = MonthlyOutputTokens(s.model, 0, 18, 0.0);
  const MonthlyForecast& fc = kalman->forecasts[0];
  EXPECT_NEAR(std::log(q[1] / unit), fc.mean_log, 0.05 * fc.sd_log);
  EXPECT_NEAR(std::log(q[2] / q[0]) / (2 * 1.2815515655446004), fc.sd_log, 0.06 * fc.sd_log);
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
  auto gap =
      ParseActualsCsv("month,model,output_tokens\n2027-02,tier0,1\n2027-04,tier0,1\n", "act.csv", s.model);
  EXPECT_EQ(
      gap.status().ToString(),
      "act.csv:3:1: month: actuals for \"tier0\" skip 2027-03: months must follow each other from 2027-02");
  auto dup =
      ParseActualsCsv("month,model,output_tokens\n2027-02,tier0,1\n2027-02,tier0,2\n", "act.csv", s.model);
  EXPECT_EQ(dup.status().ToString(),
            "act.csv:3:1: month: a second row for \"tier0\" in 2027-02 (the first is on line 2)");
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

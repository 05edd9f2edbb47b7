#include "forecast/demand_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "forecast/internal/test_util.h"

namespace fungible {
namespace {

using forecast_testing::Date;
using forecast_testing::TieredFleet;

Status Check(const Fleet& f) { return BuildDemandModel(f, ForecastOptionsFromSpec(f)).status(); }

TEST(DemandModel, NegativeVolatilityNamesFileLineAndField) {
  Fleet f = TieredFleet(2);
  f.demand[1].growth.monthly_volatility = -0.05;
  const Status st = Check(f);
  ASSERT_EQ(st.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(st.diagnostics().size(), 1u);
  EXPECT_EQ(st.ToString(),
            "test.yaml:40:5: demand[1].growth.monthly_volatility: expected a number >= 0, got -0.05");
}

TEST(DemandModel, GrowthDriftInPercentOrNegativeIsRefusedWithItsPlace) {
  Fleet f = TieredFleet(2);
  f.demand[1].growth.monthly_growth_drift_sd = 5;
  EXPECT_EQ(Check(f).ToString(),
            "test.yaml:40:5: demand[1].growth.monthly_growth_drift_sd: expected a monthly log rate such as "
            "0.05 (about 5% a month), got 5: is it written in percent?");
  f.demand[1].growth.monthly_growth_drift_sd = -0.01;
  EXPECT_EQ(Check(f).ToString(),
            "test.yaml:40:5: demand[1].growth.monthly_growth_drift_sd: expected a number >= 0, got -0.01");
  f.demand[1].growth.monthly_growth_drift_sd = 0.01;
  EXPECT_TRUE(Check(f).ok());
}

TEST(DemandModel, LaunchAfterTheHorizonIsRefused) {
  Fleet f = TieredFleet(1, 100, 12);
  f.demand[0].growth.launches.push_back({Date("2028-02-01"), 1.5, 0.1});
  EXPECT_EQ(Check(f).ToString(),
            "test.yaml:30:5: demand[0].growth.launches[0].date: 2028-02-01 is outside the forecast horizon: "
            "the last "
            "month is 2028-01 (horizon_months 12 from 2027-01)");
  // The last day of the last month is inside.
  f.demand[0].growth.launches[0].date = Date("2028-01-31");
  EXPECT_TRUE(Check(f).ok());
}

TEST(DemandModel, LaunchBeforeAsOfIsRefused) {
  Fleet f = TieredFleet(1);
  f.demand[0].growth.launches.push_back({Date("2026-12-01"), 1.5, 0.1});
  EXPECT_EQ(Check(f).ToString(),
            "test.yaml:30:5: demand[0].growth.launches[0].date: 2026-12-01 is not after the demand's as_of "
            "2027-01-01: the starting level already includes it; drop it or move it after 2027-01-01");
}

TEST(DemandModel, PriceChangeOutsideTheHorizonAndBadFraction) {
  Fleet f = TieredFleet(1, 100, 6);
  f.demand[0].growth.price_changes.push_back({Date("2027-09-01"), -1.2});
  const Status st = Check(f);
  ASSERT_EQ(st.diagnostics().size(), 2u);
  EXPECT_EQ(st.diagnostics()[0].field, "demand[0].growth.price_changes[0].price_change_fraction");
  EXPECT_EQ(st.diagnostics()[1].field, "demand[0].growth.price_changes[0].date");
}

TEST(DemandModel, EveryProblemIsReportedNotOnlyTheFirst) {
  Fleet f = TieredFleet(2);
  f.demand[0].model = "no-such-model";
  f.demand[0].growth.shared_factor_loading = 1.5;
  f.demand[1].growth.saturation_multiple = 0.8;
  f.demand[1].growth.monthly_log_growth_mean = 6;  // percent by mistake
  f.demand[1].diurnal_shape = {1, 2, 3};
  const Status st = Check(f);
  ASSERT_EQ(st.diagnostics().size(), 5u) << st.ToString();
  EXPECT_EQ(st.diagnostics()[0].ToString(),
            "test.yaml:30:5: demand[0].model: unknown model \"no-such-model\" (models: tier0, tier1)");
  EXPECT_EQ(st.diagnostics()[1].field, "demand[0].growth.shared_factor_loading");
  EXPECT_EQ(st.diagnostics()[2].message, "expected 24 multipliers, got 3");
  EXPECT_EQ(st.diagnostics()[3].message,
            "expected a monthly log rate such as 0.05 (about 5% a month), got 6: is it written in percent?");
  EXPECT_EQ(st.diagnostics()[4].message, "expected a ceiling above today's level (a multiple > 1), got 0.8");
}

TEST(DemandModel, ClassGrowthNeedsAKnownWorkload) {
  Fleet f = TieredFleet(1);
  ClassGrowth c;
  c.workload = "research";
  c.loc = {90, 3};
  f.class_growth.push_back(c);
  EXPECT_EQ(Check(f).ToString(), "test.yaml:90:3: class_growth[0].workload: unknown workload \"research\"");
  WorkloadClass w;
  w.id = "research";
  f.workloads.push_back(w);
  auto m = BuildDemandModel(f, ForecastOptionsFromSpec(f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->tiers[1].kind, TierKind::kClass);
  EXPECT_EQ(m->tiers[1].level_per_hour, 1.0);
}

TEST(DemandModel, OptionsAreChecked) {
  Fleet f = TieredFleet(1);
  ForecastOptions o = ForecastOptionsFromSpec(f);
  o.scenarios = 0;
  o.horizon_months = 0;
  const Status st = BuildDemandModel(f, o).status();
  ASSERT_EQ(st.diagnostics().size(), 2u);
  EXPECT_EQ(st.diagnostics()[0].ToString(),
            "test.yaml: forecast.scenarios: expected between 1 and 50000000 scenarios, got 0");
  f.demand.clear();
  EXPECT_NE(Check(f).ToString().find("nothing to forecast"), std::string::npos);
}

TEST(DemandModel, CompilesEventsToMonths) {
  Fleet f = TieredFleet(1, 100, 12);
  f.demand[0].growth.launches.push_back({Date("2027-04-20"), 2.0, 0.5});
  f.demand[0].growth.price_changes.push_back({Date("2027-03-01"), -0.5});
  f.demand[0].growth.price_changes.push_back({Date("2027-06-01"), 0.2});
  auto m = BuildDemandModel(f, ForecastOptionsFromSpec(f));
  ASSERT_TRUE(m.ok());
  const TierModel& t = m->tiers[0];
  EXPECT_EQ(m->start_month, Date("2027-01-01"));
  EXPECT_EQ(t.launches[0].month, 3);  // April 2027 = month 3 after January
  EXPECT_NEAR(t.launches[0].log_multiplier_median, std::log(2.0), 1e-15);
  EXPECT_EQ(t.log_price_factor[1], 0.0);
  EXPECT_NEAR(t.log_price_factor[2], std::log(0.5), 1e-15);
  EXPECT_NEAR(t.log_price_factor[5], std::log(0.5) + std::log(1.2), 1e-15);
  EXPECT_EQ(m->num_latents(), 1 + 1 + 1);
  EXPECT_EQ(m->HoursInMonth(1), 28 * 24);
  EXPECT_NEAR(t.usd_per_output_token, (2.0 + 4 * 0.5) / 1e6, 1e-18);
}

}  // namespace
}  // namespace fungible

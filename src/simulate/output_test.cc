#include "simulate/output.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "spec/spec.h"

namespace fungible {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

Fleet EventsLab() {
  auto f = LoadFleetSpec(std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/simulate/events-lab.yaml");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return *f;
}

SimulationResult SimulateLab(const char* scenario, int days, const char* policy = "all") {
  SimulateOptions o;
  o.hours = 24 * days;
  o.demand = *ParseDemandChoice(scenario);
  o.policies = *ParsePolicies(policy);
  auto r = Simulate(EventsLab(), o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return *r;
}

// The same seed gives byte-identical outputs, every file of the run.
TEST(SimulateOutput, SameSeedGivesByteIdenticalFiles) {
  const auto a = RenderRunFiles(SimulateLab("random:9", 10));
  const auto b = RenderRunFiles(SimulateLab("random:9", 10));
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), 2u + 4u * 5u);  // run.json, compare.csv; per policy five files
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_TRUE(a[i].second == b[i].second) << a[i].first << " differs between two runs of one seed";
  }
  // Another seed is another world.
  const auto c = RenderRunFiles(SimulateLab("random:10", 10));
  EXPECT_NE(a[0].second, c[0].second);
}

TEST(SimulateOutput, RunDirectoryLayout) {
  const SimulationResult sim = SimulateLab("random:2", 9);
  const auto files = RenderRunFiles(sim);
  std::vector<std::string> names;
  names.reserve(files.size());
  for (const auto& f : files) names.push_back(f.first);
  EXPECT_THAT(names,
              ::testing::ElementsAre(
                  "run.json", "compare.csv", "fungible/monthly.csv", "fungible/daily.csv",
                  "fungible/ledger.csv", "fungible/events.log", "fungible/floors.csv", "static/monthly.csv",
                  "static/daily.csv", "static/ledger.csv", "static/events.log", "static/floors.csv",
                  "no-repurpose/monthly.csv", "no-repurpose/daily.csv", "no-repurpose/ledger.csv",
                  "no-repurpose/events.log", "no-repurpose/floors.csv", "greedy/monthly.csv",
                  "greedy/daily.csv", "greedy/ledger.csv", "greedy/events.log", "greedy/floors.csv"));
  // compare.csv: a header and one row per policy, with fungible against static.
  const std::string& compare = files[1].second;
  EXPECT_THAT(compare, StartsWith("policy,revenue_usd,unserved_share,floor_attainment"));
  EXPECT_EQ(std::count(compare.begin(), compare.end(), '\n'), 5);
  EXPECT_THAT(compare, HasSubstr("\nstatic,"));
  // Days: 9 rows; ledger: every pool x (workloads + idle + down) in the one month.
  const std::string& daily = files[3].second;
  EXPECT_EQ(std::count(daily.begin(), daily.end(), '\n'), 1 + 9);
  const std::string& ledger = files[4].second;
  EXPECT_EQ(std::count(ledger.begin(), ledger.end(), '\n'), 1 + 3 * (4 + 2));
  EXPECT_THAT(ledger, HasSubstr("\n2027-01,h100-old,h100-sxm,idle,,"));
  // The event log names landings, failures and re-solves.
  const std::string& events = files[5].second;
  EXPECT_THAT(events, HasSubstr("2027-01-08T00:00Z contract_start h100-new"));
  EXPECT_THAT(events, HasSubstr(" resolve fungible: rolling horizon 48h: optimal"));
  // run.json names the value of fungibility.
  auto j = nlohmann::json::parse(files[0].second);
  EXPECT_EQ(j["fungible_run"], 1);
  EXPECT_EQ(j["scenario"], "random:2");
  ASSERT_TRUE(j.contains("value_of_fungibility"));
  EXPECT_NEAR(j["value_of_fungibility"]["revenue_usd"].get<double>(),
              sim.runs[0].summary.revenue_usd - sim.runs[1].summary.revenue_usd, 1e-6);
}

// Days and months are two aggregations of the same hours.
TEST(SimulateOutput, DaysAndMonthsAddUpToTheRun) {
  const SimulationResult sim = SimulateLab("random:4", 40, "fungible");
  const auto months = MonthlyFigures(sim, sim.runs[0]);
  ASSERT_EQ(months.size(), 2u);
  EXPECT_EQ(months[0].month, "2027-01");
  EXPECT_EQ(months[0].hours, 31 * 24);
  EXPECT_EQ(months[1].hours, 9 * 24);
  double revenue = 0, cost = 0, paid = 0;
  for (const auto& m : months) {
    revenue += m.revenue_usd;
    cost += m.contract_cost_usd;
    paid += m.paid_chip_hours;
    double pool_paid = 0, pool_cost = 0;
    for (const auto& p : m.pools) pool_paid += p.paid_chip_hours, pool_cost += p.cost_usd;
    EXPECT_NEAR(pool_paid, m.paid_chip_hours, 1e-6 * pool_paid);
    EXPECT_NEAR(pool_cost, m.contract_cost_usd, 1e-6 * pool_cost);
    EXPECT_NEAR(m.allocated_chip_hours + m.idle_chip_hours + m.down_chip_hours, m.paid_chip_hours,
                1e-6 * m.paid_chip_hours);
  }
  const auto& s = sim.runs[0].summary;
  EXPECT_NEAR(revenue, s.revenue_usd, 1e-6 * revenue);
  EXPECT_NEAR(cost, s.contract_cost_usd, 1e-6 * cost);
  EXPECT_NEAR(paid, s.paid_chip_hours, 1e-6 * paid);
  // The launch of Feb 1 is an event of February.
  bool launch = false;
  for (const auto& e : months[1].events) launch = launch || e.kind == "launch";
  EXPECT_TRUE(launch);
  auto j = nlohmann::json::parse(RunJson(sim));
  double day_revenue = 0;
  for (const auto& d : j["policies"][0]["days"]) day_revenue += d["revenue_usd"].get<double>();
  EXPECT_NEAR(day_revenue, s.revenue_usd, 1e-6 * day_revenue);
}

TEST(SimulateOutput, RunJsonReadsBackExactly) {
  const SimulationResult sim = SimulateLab("random:4", 40, "fungible");
  auto rec = ParseRunJson(RunJson(sim), "run.json");
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  const auto months = MonthlyFigures(sim, sim.runs[0]);
  ASSERT_EQ(rec->months.size(), 1u);
  ASSERT_EQ(rec->months[0].size(), months.size());
  for (size_t i = 0; i < months.size(); ++i) {
    EXPECT_EQ(rec->months[0][i].revenue_usd, months[i].revenue_usd);  // bit for bit
    EXPECT_EQ(rec->months[0][i].contract_cost_usd, months[i].contract_cost_usd);
    EXPECT_EQ(rec->months[0][i].models.size(), months[i].models.size());
    EXPECT_EQ(rec->months[0][i].pools[1].paid_chip_hours, months[i].pools[1].paid_chip_hours);
  }
  EXPECT_EQ(ParseRunJson("{", "x/run.json").status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(ParseRunJson("{\"a\": 1}", "x/run.json").status().message(), HasSubstr("not a fungible run"));
}

}  // namespace
}  // namespace fungible

namespace fungible {
namespace {

// The review of a simulated run, read back from run.json: the bridges add up
// to the cent in every month.
TEST(SimulateReview, BridgesOfASimulatedRunAddUpToTheCent) {
  SimulateOptions o;
  o.months = 4;
  o.demand = *ParseDemandChoice("random:21");
  o.policies = *ParsePolicies("greedy");  // no LP: fast
  auto sim = Simulate(EventsLab(), o);
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  auto rec = ParseRunJson(RunJson(*sim), "run.json");
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  const auto& months = rec->months[0];
  ASSERT_EQ(months.size(), 4u);
  for (size_t i = 1; i < months.size(); ++i) {
    auto r = ReviewMonth(months, months[i].month);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    long long revenue = 0, cost = 0;
    for (const auto& p : r->revenue.parts) revenue += ToCents(p.amount);
    for (const auto& p : r->compute_cost.parts) cost += ToCents(p.amount);
    EXPECT_EQ(revenue, ToCents(months[i].revenue_usd) - ToCents(months[i - 1].revenue_usd))
        << months[i].month;
    EXPECT_EQ(cost, ToCents(months[i].contract_cost_usd) - ToCents(months[i - 1].contract_cost_usd))
        << months[i].month;
    EXPECT_FALSE(r->narrative.empty());
  }
  // February: the launch lifted demand, and the narrative says so.
  auto feb = ReviewMonth(months, "2027-02");
  ASSERT_TRUE(feb.ok());
  bool said = false;
  for (const auto& p : feb->narrative)
    said = said || p.find("Launches this month: chat-medium") != std::string::npos;
  EXPECT_TRUE(said);
  EXPECT_GT(feb->revenue.total_change, 0);
  EXPECT_THAT(ReviewMonth(months, "2027-06").status().message(),
              HasSubstr("outside the run (months 2027-01..2027-04)"));
}

}  // namespace
}  // namespace fungible

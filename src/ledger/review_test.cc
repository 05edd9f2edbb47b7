#include "ledger/review.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace fungible {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

long long SumCents(const Bridge& b) {
  long long s = 0;
  for (const auto& p : b.parts) s += ToCents(p.amount);
  return s;
}

double Part(const Bridge& b, const std::string& name) {
  for (const auto& p : b.parts)
    if (p.name == name) return p.amount;
  ADD_FAILURE() << "no part " << name;
  return 0;
}

MonthFigures RandomMonth(std::mt19937_64& rng, const std::string& month, int models) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  MonthFigures m;
  m.month = month;
  m.hours = 720;
  for (int i = 0; i < models; ++i) {
    MonthFigures::Model x;
    x.id = "model-" + std::to_string(i);
    x.served_output_tokens = u(rng) < 0.1 ? 0.0 : std::exp(20 + 8 * u(rng));
    x.demand_output_tokens = x.served_output_tokens * (1 + 0.2 * u(rng));
    x.revenue_usd = x.served_output_tokens * (0.1 + 20 * u(rng)) / 1e6;
    x.serving_chip_hours = u(rng) < 0.1 ? 0.0 : 1e3 + 1e6 * u(rng);
    x.capacity_output_tokens = x.serving_chip_hours * 1e5 * (0.5 + u(rng));
    m.models.push_back(x);
    m.revenue_usd += x.revenue_usd;
    m.served_output_tokens += x.served_output_tokens;
    m.demand_output_tokens += x.demand_output_tokens;
  }
  m.paid_chip_hours = std::floor(1e4 + 1e7 * u(rng)) + 0.25 * std::floor(4 * u(rng));
  m.allocated_chip_hours = m.paid_chip_hours * (0.3 + 0.7 * u(rng));
  m.idle_chip_hours = (m.paid_chip_hours - m.allocated_chip_hours) * 0.8;
  m.down_chip_hours = (m.paid_chip_hours - m.allocated_chip_hours) * 0.2;
  m.effective_chip_hours = m.allocated_chip_hours * (0.8 + 1.5 * u(rng));
  m.contract_cost_usd = m.paid_chip_hours * (1 + 3 * u(rng));
  m.value_now_usd = m.revenue_usd * 1.1;
  m.value_all_up_usd = m.revenue_usd * 1.3;
  return m;
}

// The bridges add up to the total change, to the cent, on random months.
TEST(Review, BridgesSumToTheTotalChangeToTheCentOnRandomMonths) {
  std::mt19937_64 rng(2027);
  for (int trial = 0; trial < 2000; ++trial) {
    const int models = 1 + trial % 5;
    std::vector<MonthFigures> months = {RandomMonth(rng, "2027-02", models),
                                        RandomMonth(rng, "2027-03", models)};
    if (trial % 7 == 0 && models > 1) {  // a model retired
      const auto gone = months[1].models.back();
      months[1].models.pop_back();
      months[1].revenue_usd -= gone.revenue_usd;
      months[1].served_output_tokens -= gone.served_output_tokens;
    }
    auto r = ReviewMonth(months, "2027-03");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const long long revenue_total = ToCents(months[1].revenue_usd) - ToCents(months[0].revenue_usd);
    EXPECT_EQ(ToCents(r->revenue.total_change), revenue_total);
    EXPECT_EQ(SumCents(r->revenue), revenue_total) << "trial " << trial;
    const long long cost_total = ToCents(months[1].contract_cost_usd) - ToCents(months[0].contract_cost_usd);
    EXPECT_EQ(SumCents(r->compute_cost), cost_total) << "trial " << trial;
    // The remainder (mix) agrees with its own formula to within rounding
    // (five amounts rounded to the cent: both revenues, price, demand and the
    // unserved change: at most 2.5 cents).
    double q0 = 0, q1 = 0;
    for (const auto& x : months[0].models) q0 += x.served_output_tokens;
    for (const auto& x : months[1].models) q1 += x.served_output_tokens;
    double mix = 0;
    for (const auto& v : r->models)
      mix += q1 * v.mix_share_change * (v.previous_usd_per_million_tokens / 1e6);
    if (q0 > 0) {
      EXPECT_NEAR(Part(r->revenue, "mix"), mix, 0.025 + 1e-9 * std::fabs(months[1].revenue_usd)) << trial;
    }
    // Non-money bridges: exact up to floating point.
    double u = 0, e = 0;
    for (const auto& p : r->utilization.parts) u += p.amount;
    for (const auto& p : r->useful_work.parts) e += p.amount;
    EXPECT_NEAR(u, r->utilization.total_change, 1e-9);
    EXPECT_NEAR(e, r->useful_work.total_change, 1e-9 * std::fabs(months[1].effective_chip_hours));
  }
}

MonthFigures OneModel(const std::string& month, double tokens, double usd_per_million, double paid,
                      double cost_rate) {
  MonthFigures m;
  m.month = month;
  m.models = {{"chat", tokens, tokens, tokens * usd_per_million / 1e6}};
  m.revenue_usd = m.models[0].revenue_usd;
  m.served_output_tokens = m.demand_output_tokens = tokens;
  m.paid_chip_hours = paid;
  m.allocated_chip_hours = 0.8 * paid;
  m.effective_chip_hours = 0.8 * paid;
  m.contract_cost_usd = paid * cost_rate;
  return m;
}

TEST(Review, PriceVolumeAndMixEachShowWhereTheyAre) {
  // Volume only: twice the tokens at the same price.
  auto r =
      ReviewMonth({OneModel("2027-01", 1e12, 2, 1000, 2), OneModel("2027-02", 2e12, 2, 1000, 2)}, "2027-02");
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(Part(r->revenue, "demand"), 2e6);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "capacity-constrained"), 0);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "price"), 0);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "mix"), 0);
  EXPECT_THAT(r->narrative[0], HasSubstr("The main driver was demand"));
  // Price only.
  r = ReviewMonth({OneModel("2027-01", 1e12, 2, 1000, 2), OneModel("2027-02", 1e12, 1.5, 1000, 2)},
                  "2027-02");
  EXPECT_DOUBLE_EQ(Part(r->revenue, "price"), -0.5e6);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "demand"), 0);
  EXPECT_THAT(r->narrative[0], HasSubstr("Revenue fell $500.0k"));
  // Mix only: the same tokens move from a cheap model to a dear one.
  MonthFigures a = OneModel("2027-01", 1e12, 1, 1000, 2), b = OneModel("2027-02", 1e12, 1, 1000, 2);
  a.models = {{"cheap", 8e11, 8e11, 8e5}, {"dear", 2e11, 2e11, 2e6}};
  b.models = {{"cheap", 2e11, 2e11, 2e5}, {"dear", 8e11, 8e11, 8e6}};
  a.revenue_usd = 2.8e6;
  b.revenue_usd = 8.2e6;
  r = ReviewMonth({a, b}, "2027-02");
  EXPECT_DOUBLE_EQ(Part(r->revenue, "mix"), 5.4e6);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "demand"), 0);
  EXPECT_THAT(r->narrative[0], HasSubstr("mix moved toward dear"));
  // Capacity added: 50% more chip-hours at the same rate and usage.
  MonthFigures c = OneModel("2027-01", 1e12, 2, 1000, 2), d = OneModel("2027-02", 1e12, 2, 1500, 2);
  d.allocated_chip_hours = c.allocated_chip_hours;
  d.effective_chip_hours = c.effective_chip_hours;
  r = ReviewMonth({c, d}, "2027-02");
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "capacity added"), 1000);
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "capacity removed"), 0);
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "contract rate"), 0);
  EXPECT_NEAR(Part(r->utilization, "capacity added"), 100 * (800.0 / 1500 - 0.8), 1e-12);
  EXPECT_NEAR(Part(r->utilization, "usage"), 0, 1e-12);
  EXPECT_NEAR(Part(r->useful_work, "capacity added") + Part(r->useful_work, "idle"), 0, 1e-9);
  EXPECT_NEAR(Part(r->useful_work, "efficiency"), 0, 1e-9);
}

MonthFigures::Pool PoolOf(const std::string& id, const std::string& contract, double chip_hours,
                          double usd_per_chip_hour) {
  MonthFigures::Pool p;
  p.id = id;
  p.chip_type = id;
  p.contract = contract;
  p.paid_chip_hours = chip_hours;
  p.cost_usd = chip_hours * usd_per_chip_hour;
  return p;
}

// A month in which a GB200 contract lands while H100 on-demand capacity of the
// same chip-hours is released: the cost moves by volume (one contract added,
// one removed), not by "contract rate" (no contract's price changed).
TEST(Review, ALandingIsCostVolumeByContractNotRate) {
  MonthFigures a = OneModel("2027-01", 1e12, 2, 0, 0), b = OneModel("2027-02", 1e12, 2, 0, 0);
  a.pools = {PoolOf("h100-a", "h100-reserved", 5e6, 2.0), PoolOf("h100-b", "h100-on-demand", 4.4e7, 2.9)};
  b.pools = {PoolOf("h100-a", "h100-reserved", 5e6, 2.0), PoolOf("gb200", "gb200-reserved", 4.4e7, 4.5)};
  for (MonthFigures* m : {&a, &b}) {
    m->paid_chip_hours = m->contract_cost_usd = 0;
    for (const auto& p : m->pools)
      m->paid_chip_hours += p.paid_chip_hours, m->contract_cost_usd += p.cost_usd;
  }
  auto r = ReviewMonth({a, b}, "2027-02");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "capacity added"), 4.4e7 * 4.5);
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "capacity removed"), -4.4e7 * 2.9);
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "contract rate"), 0);
  ASSERT_EQ(r->contracts.size(), 3u);
  EXPECT_EQ(r->contracts[2].contract, "gb200-reserved");
  EXPECT_DOUBLE_EQ(r->contracts[2].volume_effect_usd, 4.4e7 * 4.5);
  EXPECT_THAT(r->narrative, Contains(HasSubstr("The largest change was gb200-reserved")));
  // A price change on one contract is rate.
  b.pools = a.pools;
  b.pools[1].cost_usd = b.pools[1].paid_chip_hours * 2.5;
  b.contract_cost_usd = b.pools[0].cost_usd + b.pools[1].cost_usd;
  r = ReviewMonth({a, b}, "2027-02");
  EXPECT_DOUBLE_EQ(Part(r->compute_cost, "capacity added"), 0);
  EXPECT_NEAR(Part(r->compute_cost, "contract rate"), -4.4e7 * 0.4, 0.01);
}

// Demand grows 50% while the serving chips stay full: revenue does not move,
// and the bridge says why (demand +, capacity-constrained -, the same size);
// the revenue lost to unserved demand is a KPI.
TEST(Review, UnservedDemandIsItsOwnRevenuePart) {
  MonthFigures a = OneModel("2027-01", 1e12, 2, 1000, 2), b = OneModel("2027-02", 1e12, 2, 1000, 2);
  b.models[0].demand_output_tokens = b.demand_output_tokens = 1.5e12;
  auto r = ReviewMonth({a, b}, "2027-02");
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(Part(r->revenue, "demand"), 1e6);
  EXPECT_DOUBLE_EQ(Part(r->revenue, "capacity-constrained"), -1e6);
  EXPECT_DOUBLE_EQ(r->revenue.total_change, 0);
  EXPECT_DOUBLE_EQ(r->models[0].unserved_revenue_usd, 0.5e12 * 2 / 1e6);
  bool found = false;
  for (const auto& k : r->kpis)
    if (k.name == "revenue lost to unserved demand") {
      found = true;
      EXPECT_DOUBLE_EQ(k.value, 1e6);
      EXPECT_DOUBLE_EQ(k.previous, 0);
    }
  EXPECT_TRUE(found);
}

// A capacity-bound model whose chips serve 20% more tokens per chip-hour
// (a more efficient model generation): the revenue gain is efficiency, and
// tokens per chip-hour show it by chip type.
TEST(Review, MoreTokensPerChipHourWhereDemandWentUnservedIsEfficiency) {
  MonthFigures a = OneModel("2027-01", 1e12, 2, 1000, 2), b = OneModel("2027-02", 1.2e12, 2, 1000, 2);
  for (MonthFigures* m : {&a, &b}) {
    m->models[0].demand_output_tokens = m->demand_output_tokens = 2e12;
    m->models[0].serving_chip_hours = 1e6;
    m->models[0].capacity_output_tokens = m->served_output_tokens;
    m->serving = {{"chat", "h100", 1e6, m->served_output_tokens, m->served_output_tokens}};
  }
  auto r = ReviewMonth({a, b}, "2027-02");
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(Part(r->revenue, "efficiency"), 0.4e6, 0.01);
  EXPECT_NEAR(Part(r->revenue, "capacity-constrained"), 0, 0.01);
  EXPECT_NEAR(Part(r->revenue, "demand"), 0, 0.01);
  ASSERT_EQ(r->serving.size(), 1u);
  EXPECT_DOUBLE_EQ(r->serving[0].output_tokens_per_chip_hour, 1.2e6);
  EXPECT_DOUBLE_EQ(r->serving[0].previous_output_tokens_per_chip_hour, 1e6);
  // The same gain where demand was all served frees chips instead: no
  // efficiency revenue.
  for (MonthFigures* m : {&a, &b})
    m->models[0].demand_output_tokens = m->demand_output_tokens = m->served_output_tokens;
  r = ReviewMonth({a, b}, "2027-02");
  EXPECT_DOUBLE_EQ(Part(r->revenue, "efficiency"), 0);
  EXPECT_NEAR(Part(r->revenue, "demand"), 0.4e6, 0.01);
}

TEST(Review, MonthsOutsideTheRunAreRefused) {
  std::vector<MonthFigures> run = {OneModel("2027-01", 1, 1, 1, 1), OneModel("2027-02", 1, 1, 1, 1),
                                   OneModel("2027-03", 1, 1, 1, 1)};
  auto r = ReviewMonth(run, "2027-07");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("2027-07 is outside the run (months 2027-01..2027-03)"));
  EXPECT_THAT(ReviewMonth(run, "2027-01").status().message(), HasSubstr("choose one of 2027-02..2027-03"));
  EXPECT_THAT(ReviewMonth(run, "2027-3").status().message(), HasSubstr("expected a month YYYY-MM"));
  EXPECT_THAT(ReviewMonth(run, "2027-13").status().message(), HasSubstr("expected a month YYYY-MM"));
  EXPECT_TRUE(ReviewMonth(run, "2027-03").ok());
}

TEST(Review, KpisCarryMonthOverMonthChange) {
  auto r = ReviewMonth({OneModel("2027-01", 1e12, 2, 1000, 2), OneModel("2027-02", 1.5e12, 2, 1000, 2)},
                       "2027-02");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->previous_month, "2027-01");
  ASSERT_FALSE(r->kpis.empty());
  EXPECT_EQ(r->kpis[0].name, "revenue");
  EXPECT_DOUBLE_EQ(r->kpis[0].change(), 1e6);
  EXPECT_DOUBLE_EQ(r->kpis[0].change_pct(), 50);
}

}  // namespace
}  // namespace fungible

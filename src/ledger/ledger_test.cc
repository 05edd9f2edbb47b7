#include "ledger/ledger.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace fungible {
namespace {

UtcSeconds Utc(const char* s) { return *ParseUtc(s); }

// Two pools on two chip types, four classes of three teams.
LedgerLayout TestLayout() {
  LedgerLayout l;
  l.pools = {{"h100-a", "h100-sxm", 2.0, "h100-reserved"}, {"b200-a", "b200", 3.5, "b200-reserved"}};
  l.workloads = {{"serve", WorkloadKind::kServe, "product", "chat"},
                 {"pretrain", WorkloadKind::kPretrain, "frontier", ""},
                 {"rl", WorkloadKind::kRl, "frontier", ""},
                 {"research", WorkloadKind::kResearch, "research", ""}};
  return l;
}

size_t Cell(const LedgerLayout& l, int p, int w) { return static_cast<size_t>(p * l.num_workloads() + w); }

// A random but valid hour: allocations within up, up within paid.
LedgerHour RandomHour(const LedgerLayout& l, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  LedgerHour h;
  h.Reset(l);
  for (int p = 0; p < l.num_pools(); ++p) {
    const double paid = std::floor(100 + 400 * u(rng));
    const double up = std::floor(paid * (0.8 + 0.2 * u(rng)));
    h.paid_chips[p] = paid;
    h.up_chips[p] = up;
    double left = up;
    for (int w = 0; w < l.num_workloads(); ++w) {
      const double chips = std::floor(left * u(rng) * 0.6);
      left -= chips;
      const size_t c = Cell(l, p, w);
      h.chips[c] = chips;
      h.effective_chips[c] = chips * (p == 0 ? 1.0 : 2.2);
      if (l.workloads[w].kind == WorkloadKind::kServe) h.revenue_usd[c] = chips * 7.5 * u(rng);
      if (l.workloads[w].kind != WorkloadKind::kServe)
        h.bid_value_usd[c] = h.effective_chips[c] * 3.0 * u(rng);
    }
  }
  return h;
}

TEST(Ledger, EveryChipHourPaidForIsAttributedEveryHour) {
  const LedgerLayout l = TestLayout();
  LedgerOptions o;
  o.start = Utc("2027-01-30T05:00Z");  // partial first day and month
  o.hours = 24 * 40;
  o.model_development_lag_hours = 24 * 10;
  o.value_horizon_hours = 24 * 20;
  o.launches = {{Utc("2027-02-20"), "m", 1.5, 1e6}, {Utc("2027-03-25"), "m", 1.3, 5e5}};
  Ledger ledger(l, o);
  std::mt19937_64 rng(42);
  double paid_hours = 0, spend = 0, revenue = 0, bids = 0;
  std::vector<double> paid_by_hour;
  for (int i = 0; i < o.hours; ++i) {
    LedgerHour h = RandomHour(l, rng);
    double paid = 0;
    for (int p = 0; p < l.num_pools(); ++p) {
      paid += h.paid_chips[p];
      spend += h.paid_chips[p] * l.pools[p].usd_per_chip_hour;
    }
    for (double v : h.revenue_usd) revenue += v;
    for (int p = 0; p < l.num_pools(); ++p)
      for (int w : {3}) bids += h.bid_value_usd[Cell(l, p, w)];
    paid_hours += paid;
    paid_by_hour.push_back(paid);
    ASSERT_TRUE(ledger.Record(i, h).ok());
  }
  auto report = ledger.Finish();
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // Every hour: allocated + idle + down = paid.
  ASSERT_EQ(report->hours.size(), static_cast<size_t>(o.hours));
  for (int i = 0; i < o.hours; ++i) {
    const auto& t = report->hours[i];
    EXPECT_NEAR(t.allocated_chips + t.idle_chips + t.down_chips, paid_by_hour[i], 1e-9) << "hour " << i;
    EXPECT_GE(t.idle_chips, 0);
    EXPECT_GE(t.down_chips, 0);
  }
  // Months and days: chip-hours attributed = chip-hours paid; cost = contract spend.
  LedgerCell total = report->Total();
  EXPECT_NEAR(total.chip_hours, paid_hours, 1e-6 * paid_hours);
  EXPECT_NEAR(total.cost_usd, spend, 1e-9 * spend);
  LedgerCell by_day;
  for (const auto& d : report->days)
    for (const auto& c : d.cells) by_day.Add(c);
  EXPECT_NEAR(by_day.chip_hours, paid_hours, 1e-6 * paid_hours);
  EXPECT_NEAR(by_day.cost_usd, spend, 1e-9 * spend);
  EXPECT_NEAR(by_day.value_all_up_usd(), total.value_all_up_usd(), 1e-6 * total.value_all_up_usd());
  int hours_in_periods = 0;
  for (const auto& m : report->months) hours_in_periods += m.hours;
  EXPECT_EQ(hours_in_periods, o.hours);
  EXPECT_EQ(report->months.size(), 3u);  // Jan (partial), Feb, Mar (partial)
  EXPECT_EQ(report->months[0].hours, 24 * 2 - 5);
  EXPECT_NEAR(total.revenue_usd, revenue, 1e-9 * revenue);
  EXPECT_NEAR(total.bid_value_usd, bids, 1e-9 * bids);
  // Value summed over teams = total, at every horizon; cost over teams, idle
  // and down = total.
  double team_cost = 0, now = 0, within = 0, all_up = 0;
  for (const auto& t : report->by_team) {
    team_cost += t.cost_usd;
    now += t.value_now_usd;
    within += t.value_within_usd;
    all_up += t.value_all_up_usd;
  }
  EXPECT_NEAR(team_cost, report->total.cost_usd, 1e-9 * team_cost);
  EXPECT_NEAR(now, report->total.value_now_usd, 1e-9 * now);
  EXPECT_NEAR(within, report->total.value_within_usd, 1e-9 * within);
  EXPECT_NEAR(all_up, report->total.value_all_up_usd, 1e-9 * all_up);
  double chip_cost = 0, chip_value = 0;
  for (const auto& c : report->by_chip_type) {
    chip_cost += c.cost_usd;
    chip_value += c.value_all_up_usd;
  }
  EXPECT_NEAR(chip_cost, report->total.cost_usd, 1e-9 * chip_cost);
  EXPECT_NEAR(chip_value, report->total.value_all_up_usd, 1e-9 * chip_value);
  EXPECT_THAT(report->by_team.back().key, "(down)");
  EXPECT_EQ(report->by_team.back().value_all_up_usd, 0);
}

TEST(Ledger, AllocatingMoreThanIsUpIsABug) {
  const LedgerLayout l = TestLayout();
  LedgerOptions o;
  o.start = Utc("2027-01-01");
  o.hours = 2;
  Ledger ledger(l, o);
  LedgerHour h;
  h.Reset(l);
  h.paid_chips = {100, 100};
  h.up_chips = {90, 100};
  h.chips[Cell(l, 0, 0)] = 60;
  h.chips[Cell(l, 0, 3)] = 31;  // 91 > 90 up
  Status st = ledger.Record(0, h);
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_THAT(st.message(), ::testing::HasSubstr("91"));
  // Up above paid.
  LedgerHour g;
  g.Reset(l);
  g.paid_chips = {100, 100};
  g.up_chips = {101, 100};
  Ledger ledger2(l, o);
  EXPECT_EQ(ledger2.Record(0, g).code(), StatusCode::kInternal);
  // Hours out of order.
  Ledger ledger3(l, o);
  g.up_chips = {100, 100};
  EXPECT_EQ(ledger3.Record(1, g).code(), StatusCode::kInternal);
}

// Idle and down chips cost money and earn nothing.
TEST(Ledger, IdleAndDownCarryCostButNoValue) {
  const LedgerLayout l = TestLayout();
  LedgerOptions o;
  o.start = Utc("2027-01-01");
  o.hours = 10;
  Ledger ledger(l, o);
  for (int i = 0; i < o.hours; ++i) {
    LedgerHour h;
    h.Reset(l);
    h.paid_chips = {100, 50};
    h.up_chips = {80, 50};
    h.chips[Cell(l, 0, 0)] = 30;  // 50 idle, 20 down on pool 0
    h.revenue_usd[Cell(l, 0, 0)] = 300;
    ASSERT_TRUE(ledger.Record(i, h).ok());
  }
  auto r = ledger.Finish();
  ASSERT_TRUE(r.ok());
  const auto rows = r->MonthByRow(0);
  EXPECT_DOUBLE_EQ(rows[l.idle_row()].chip_hours, 10 * (50 + 50));
  EXPECT_DOUBLE_EQ(rows[l.down_row()].chip_hours, 10 * 20);
  EXPECT_DOUBLE_EQ(rows[l.idle_row()].cost_usd, 10 * (50 * 2.0 + 50 * 3.5));
  EXPECT_DOUBLE_EQ(r->total.cost_usd, 10 * (100 * 2.0 + 50 * 3.5));
  EXPECT_DOUBLE_EQ(r->total.value_now_usd, 3000);
  EXPECT_DOUBLE_EQ(r->total.roc_now(), 3000 / (10 * (100 * 2.0 + 50 * 3.5)));
  // Per chip type: the B200 pool is all idle: full cost, no value.
  ASSERT_EQ(r->by_chip_type.size(), 2u);
  EXPECT_EQ(r->by_chip_type[1].key, "b200");
  EXPECT_DOUBLE_EQ(r->by_chip_type[1].cost_usd, 10 * 50 * 3.5);
  EXPECT_EQ(r->by_chip_type[1].roc_all_up(), 0);
}

// A launch whose whole window lies in the run pays its whole credit to the
// model development that fed it, in proportion to productive chip-hours.
TEST(Ledger, LaunchCreditGoesToTheModelDevelopmentThatFedIt) {
  const LedgerLayout l = TestLayout();
  LedgerOptions o;
  o.start = Utc("2027-01-01");
  o.hours = 24 * 30;
  o.model_development_lag_hours = 24 * 5;
  o.value_horizon_hours = 24 * 8;
  // Windows: launch 1 fed by (start - 5d, Jan 6]; launch 2 by (Jan 6, Jan 21].
  o.launches = {{Utc("2027-01-11"), "m", 1.4, 120000}, {Utc("2027-01-26"), "m", 1.2, 90000}};
  Ledger ledger(l, o);
  for (int i = 0; i < o.hours; ++i) {
    LedgerHour h;
    h.Reset(l);
    h.paid_chips = {100, 100};
    h.up_chips = {100, 100};
    h.chips[Cell(l, 0, 1)] = 40;  // pretrain on H100
    h.effective_chips[Cell(l, 0, 1)] = 40;
    h.chips[Cell(l, 1, 2)] = 10;  // rl on B200
    h.effective_chips[Cell(l, 1, 2)] = 20;
    h.bid_value_usd[Cell(l, 0, 1)] = 160;  // bids: only counted without a launch to credit
    ASSERT_TRUE(ledger.Record(i, h).ok());
  }
  auto r = ledger.Finish();
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->launch_credits.size(), 2u);
  // Launch 2's window [Jan 6, Jan 21) is 15 days, all in the run.
  const auto& c2 = r->launch_credits[1];
  EXPECT_EQ(c2.observed_hours, 24 * 15);
  EXPECT_DOUBLE_EQ(c2.observed_effective_chip_hours, 24 * 15 * 60);
  EXPECT_NEAR(c2.credited_usd, 90000, 1e-6);
  // Launch 1's window starts 5 days before the run: only 5 of its 10 days are seen.
  const auto& c1 = r->launch_credits[0];
  EXPECT_EQ(c1.observed_hours, 24 * 5);
  EXPECT_NEAR(c1.credited_usd, 120000 * 0.5, 1e-6);
  // Pretrain gets 40/60 of the credit, rl 20/60; pretrain's bids count in
  // the 9 days after the last window (no launch left to credit).
  const auto& pre = r->by_workload[1];
  const auto& rl = r->by_workload[2];
  EXPECT_NEAR(pre.value_all_up_usd, (60000 + 90000) * 40.0 / 60 + 160.0 * 24 * 10, 1e-6);
  EXPECT_NEAR(rl.value_all_up_usd, (60000 + 90000) * 20.0 / 60, 1e-6);
  EXPECT_EQ(pre.value_now_usd, 0);
  // Horizons (8 days): launch 1 (Jan 11) is within 8 days of hours from Jan 3;
  // launch 2 (Jan 26) of hours from Jan 18.
  const double within = 60000.0 / (24 * 5) * (24 * 3) + 90000.0 / (24 * 15) * (24 * 3);
  EXPECT_NEAR(r->total.value_within_usd, within, 1e-6);
  // Bids of model development count only after the last launch window (no launch to credit).
  EXPECT_NEAR(r->Total().model_development_bid_usd, 160.0 * 24 * 10, 1e-6);
}

// Work lost to a failure earns nothing: it is taken from the credit and the bids.
TEST(Ledger, LostWorkEarnsNothing) {
  const LedgerLayout l = TestLayout();
  LedgerOptions o;
  o.start = Utc("2027-01-01");
  o.hours = 4;
  Ledger ledger(l, o);
  for (int i = 0; i < o.hours; ++i) {
    LedgerHour h;
    h.Reset(l);
    h.paid_chips = {100, 100};
    h.up_chips = {100, 100};
    h.chips[Cell(l, 0, 3)] = 10;
    h.effective_chips[Cell(l, 0, 3)] = 10;
    h.bid_value_usd[Cell(l, 0, 3)] = 30;
    if (i == 3) {
      h.lost_effective_chip_hours[Cell(l, 0, 3)] = 20;
      h.lost_bid_value_usd[Cell(l, 0, 3)] = 60;
    }
    ASSERT_TRUE(ledger.Record(i, h).ok());
  }
  auto r = ledger.Finish();
  ASSERT_TRUE(r.ok());
  EXPECT_DOUBLE_EQ(r->by_workload[3].value_now_usd, 4 * 30 - 60);
  EXPECT_DOUBLE_EQ(r->Total().lost_effective_chip_hours, 20);
}

}  // namespace
}  // namespace fungible

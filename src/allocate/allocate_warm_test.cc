// Warm starts across solves (AllocateOptions::warm_start, what fungible serve
// keeps between re-solves): a solve started from the previous solve's bases
// gives the answer a cold solve gives, and an instance whose structure
// changed starts cold.
#include <gtest/gtest.h>

#include <cmath>

#include "allocate/allocate.h"
#include "allocate/allocate_test_util.h"

namespace fungible {
namespace {

using testing_util::RandomInstance;

AllocateOptions Decomposed(AllocationWarmStart* ws) {
  AllocateOptions o;
  o.method = AllocateMethod::kDecomposed;
  o.warm_start = ws;
  return o;
}

double Tol(double v) { return 1e-6 * std::max(1.0, std::fabs(v)); }

// Periods shifted by `hours` hours later (what a re-solve an hour on sees).
AllocationInstance Later(AllocationInstance inst, int hours) {
  for (auto& p : inst.periods) p.start += hours * 3600;
  return inst;
}

// The same instance again: every LP starts from a kept basis, the bound is
// the cold solve's, and the plan is the cold one's up to ties between equally
// good LP optima (it is then within the certified gap of it, and on most
// instances the same chip for chip).
TEST(AllocateWarmStart, SameInstanceSamePlan) {
  int compared = 0, same_chips = 0;
  for (int i = 0; i < 30; ++i) {
    const std::uint64_t seed = 7000 + i;
    SCOPED_TRACE("seed " + std::to_string(seed));
    AllocationInstance inst = RandomInstance(seed);
    StatusOr<AllocationResult> cold = Solve(inst, Decomposed(nullptr));
    ASSERT_TRUE(cold.ok()) << cold.status().ToString();
    if (cold->status != SolveStatus::kOptimal) continue;
    AllocationWarmStart ws;
    StatusOr<AllocationResult> first = Solve(inst, Decomposed(&ws));
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(ws.warm_lps, 0);  // nothing kept yet
    const int lps = ws.cold_lps;
    EXPECT_GE(lps, static_cast<int>(inst.periods.size()) + 1);
    EXPECT_EQ(first->chips, cold->chips);  // an empty cache changes nothing
    StatusOr<AllocationResult> warm = Solve(inst, Decomposed(&ws));
    ASSERT_TRUE(warm.ok());
    EXPECT_EQ(ws.warm_lps, lps);
    EXPECT_EQ(ws.cold_lps, 0);
    EXPECT_NEAR(warm->bound_usd, cold->bound_usd, Tol(cold->bound_usd));
    const double slack = std::max(cold->gap_rel, warm->gap_rel) * std::fabs(cold->bound_usd);
    EXPECT_NEAR(warm->plan_value_usd, cold->plan_value_usd, slack + Tol(cold->bound_usd));
    same_chips += warm->chips == cold->chips;
    ++compared;
  }
  EXPECT_GE(compared, 25);
  EXPECT_GE(same_chips, compared * 8 / 10);
}

// Known answer with a unique optimum (serving worth $3.60 a chip-hour up to
// its demand, research $2 a chip-hour for the rest): warm and cold give the
// same chips, the same value and the same prices, a day later too.
TEST(AllocateWarmStart, UniqueOptimumSameAllocation) {
  const double usd_per_token = 1e-6, tps = 1000, per_chip_hour = tps * 3600;
  AllocationInstance inst = testing_util::Skeleton(48);
  inst.pools.push_back(testing_util::MakePool("a", std::vector<double>(48, 10)));
  std::vector<double> demand;
  for (int t = 0; t < 48; ++t) demand.push_back((2 + t % 7) * per_chip_hour);
  inst.models.push_back(testing_util::MakeModel("chat", usd_per_token, {tps}, demand));
  inst.workloads.push_back(testing_util::MakeServe("serve", 0, 1));
  auto research = testing_util::MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{100, 2.0}};
  inst.workloads.push_back(research);
  AllocationWarmStart ws;
  ASSERT_TRUE(Solve(inst, Decomposed(&ws)).ok());
  for (int shift : {0, 24}) {
    SCOPED_TRACE("shift " + std::to_string(shift));
    AllocationInstance next = Later(inst, shift);
    StatusOr<AllocationResult> cold = Solve(next, Decomposed(nullptr));
    StatusOr<AllocationResult> warm = Solve(next, Decomposed(&ws));
    ASSERT_TRUE(cold.ok() && warm.ok());
    EXPECT_GT(ws.warm_lps, 0);
    EXPECT_EQ(warm->chips, cold->chips);
    for (int t = 0; t < 48; ++t) EXPECT_EQ(warm->chips[0][0][t], 2 + t % 7) << "period " << t;
    EXPECT_NEAR(warm->plan_value_usd, cold->plan_value_usd, 1e-6);
    for (int t = 0; t < 48; ++t)
      EXPECT_NEAR(warm->shadow_usd_per_chip_hour[0][t], cold->shadow_usd_per_chip_hour[0][t], 1e-9);
  }
}

// Changed data, same structure (what a re-solve with fresh demand sees): the
// warm solve reaches the same bound (the LP optimum's value is unique), and
// its plan is as good as the cold one within the certified gaps.
TEST(AllocateWarmStart, ChangedDemandSameBound) {
  int compared = 0;
  for (int i = 0; i < 30; ++i) {
    const std::uint64_t seed = 7100 + i;
    SCOPED_TRACE("seed " + std::to_string(seed));
    AllocationInstance inst = RandomInstance(seed);
    AllocationWarmStart ws;
    StatusOr<AllocationResult> before = Solve(inst, Decomposed(&ws));
    ASSERT_TRUE(before.ok());
    if (before->status != SolveStatus::kOptimal) continue;
    AllocationInstance next = inst;
    for (auto& m : next.models)
      for (size_t t = 0; t < m.demand_output_tokens.size(); ++t)
        m.demand_output_tokens[t] *= 1.0 + 0.1 * std::sin(static_cast<double>(t + seed));
    StatusOr<AllocationResult> cold = Solve(next, Decomposed(nullptr));
    StatusOr<AllocationResult> warm = Solve(next, Decomposed(&ws));
    ASSERT_TRUE(cold.ok() && warm.ok());
    ASSERT_EQ(cold->status, warm->status);
    if (cold->status != SolveStatus::kOptimal) continue;
    EXPECT_GT(ws.warm_lps, 0);
    EXPECT_NEAR(warm->bound_usd, cold->bound_usd, Tol(cold->bound_usd));
    EXPECT_LE(warm->plan_value_usd, warm->bound_usd + Tol(warm->bound_usd));
    const double slack = std::max(cold->gap_rel, warm->gap_rel) * std::fabs(cold->bound_usd);
    EXPECT_NEAR(warm->plan_value_usd, cold->plan_value_usd, slack + Tol(cold->bound_usd));
    for (size_t p = 0; p < next.pools.size(); ++p)
      for (size_t t = 0; t < next.periods.size(); ++t) {
        long used = 0;
        for (const auto& per_class : warm->chips[p]) used += per_class[t];
        EXPECT_LE(used, next.pools[p].capacity_chips[t]);
      }
    ++compared;
  }
  EXPECT_GE(compared, 20);
}

// A changed structure (a class now eligible on fewer pools, one more pool, a
// longer window) starts every LP cold, and the plan is exactly the one a
// solve without kept bases gives.
TEST(AllocateWarmStart, ChangedStructureFallsBackToCold) {
  int checked = 0;
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t seed = 7200 + i;
    AllocationInstance inst = RandomInstance(seed);
    for (int change = 0; change < 3; ++change) {
      SCOPED_TRACE("seed " + std::to_string(seed) + " change " + std::to_string(change));
      AllocationInstance next = inst;
      if (change == 0) {
        auto& wl = next.workloads.back();
        int p = 0;
        while (p < static_cast<int>(wl.efficiency.size()) && !wl.efficiency[p]) ++p;
        if (p == static_cast<int>(wl.efficiency.size())) continue;
        wl.efficiency[p].reset();
      } else if (change == 1) {
        next.pools.push_back(testing_util::MakePool("extra", next.pools[0].capacity_chips));
        for (auto& m : next.models) m.output_tokens_per_s_per_chip.push_back(1000);
        for (auto& w : next.workloads) w.efficiency.push_back(1.0);
      } else {
        next.periods.push_back({next.periods.back().start + 3600, next.periods.back().hours});
        for (auto& p : next.pools) p.capacity_chips.push_back(p.capacity_chips.back());
        for (auto& m : next.models) m.demand_output_tokens.push_back(m.demand_output_tokens.back());
        for (auto& w : next.workloads)
          if (!w.floor_effective_chips_by_period.empty())
            w.floor_effective_chips_by_period.push_back(w.floor_effective_chips_by_period.back());
      }
      AllocationWarmStart ws;
      StatusOr<AllocationResult> before = Solve(inst, Decomposed(&ws));
      ASSERT_TRUE(before.ok());
      if (before->status != SolveStatus::kOptimal) continue;
      StatusOr<AllocationResult> cold = Solve(next, Decomposed(nullptr));
      StatusOr<AllocationResult> warm = Solve(next, Decomposed(&ws));
      ASSERT_TRUE(cold.ok() && warm.ok());
      if (cold->status != SolveStatus::kOptimal) continue;
      EXPECT_EQ(ws.warm_lps, 0);
      EXPECT_GT(ws.cold_lps, 0);
      EXPECT_EQ(warm->chips, cold->chips);
      EXPECT_EQ(warm->plan_value_usd, cold->plan_value_usd);
      ++checked;
    }
  }
  EXPECT_GE(checked, 30);
}

// The window an hour on: the periods both windows share start from their
// kept bases, the new last one does not; same answer as cold up to ties.
TEST(AllocateWarmStart, WindowAnHourOnReusesTheSharedPeriods) {
  int checked = 0;
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t seed = 7300 + i;
    SCOPED_TRACE("seed " + std::to_string(seed));
    AllocationInstance inst = RandomInstance(seed);
    if (inst.periods[0].hours != 1.0) continue;
    AllocationWarmStart ws;
    StatusOr<AllocationResult> before = Solve(inst, Decomposed(&ws));
    ASSERT_TRUE(before.ok());
    if (before->status != SolveStatus::kOptimal) continue;
    const int blocks = static_cast<int>(ws.blocks.size());
    AllocationInstance next = Later(inst, 1);
    StatusOr<AllocationResult> cold = Solve(next, Decomposed(nullptr));
    StatusOr<AllocationResult> warm = Solve(next, Decomposed(&ws));
    ASSERT_TRUE(cold.ok() && warm.ok());
    if (cold->status != SolveStatus::kOptimal) continue;
    const int T = static_cast<int>(next.periods.size());
    // Stage 2: T - 1 shared periods warm, the last cold; stage 1 by position.
    EXPECT_EQ(ws.warm_lps + ws.cold_lps, blocks + T);
    EXPECT_GE(ws.warm_lps, T - 1);
    EXPECT_GE(ws.cold_lps, 1);
    EXPECT_NEAR(warm->bound_usd, cold->bound_usd, Tol(cold->bound_usd));
    const double slack = std::max(cold->gap_rel, warm->gap_rel) * std::fabs(cold->bound_usd);
    EXPECT_NEAR(warm->plan_value_usd, cold->plan_value_usd, slack + Tol(cold->bound_usd));
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

// The exact method (small models) neither reads nor fills the bases.
TEST(AllocateWarmStart, ExactMethodLeavesTheBasesAlone) {
  AllocationInstance inst = RandomInstance(7400);
  AllocationWarmStart ws;
  ws.structure = "kept";
  AllocateOptions o;
  o.method = AllocateMethod::kExact;
  o.warm_start = &ws;
  StatusOr<AllocationResult> r = Solve(inst, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ws.structure, "kept");
  EXPECT_EQ(ws.warm_lps + ws.cold_lps, 0);
}

}  // namespace
}  // namespace fungible

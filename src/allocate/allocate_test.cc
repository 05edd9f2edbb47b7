// Known-answer tests: tiny fleets whose optimum is worked out by hand in the
// comments.
#include "allocate/allocate.h"

#include <gtest/gtest.h>

#include "allocate/allocate_test_util.h"
#include "allocate/allocation_lp.h"
#include "lp/solve.h"

namespace fungible {
namespace {

using testing_util::MakeModel;
using testing_util::MakePool;
using testing_util::MakeServe;
using testing_util::MakeWorkload;
using testing_util::Skeleton;

// Serving earns $1 per million output tokens at 1000 tokens/s per chip:
// 3.6 M tokens = $3.60 per chip-hour while demand lasts.
constexpr double kUsdPerToken = 1e-6;
constexpr double kTps = 1000;
constexpr double kTokensPerChipHour = kTps * 3600;

int ChipsOf(const AllocationResult& r, const std::string& pool, const std::string& workload, int t) {
  for (size_t p = 0; p < r.pool_ids.size(); ++p)
    for (size_t w = 0; w < r.workload_ids.size(); ++w)
      if (r.pool_ids[p] == pool && r.workload_ids[w] == workload) return r.chips[p][w][t];
  ADD_FAILURE() << "no " << pool << "/" << workload;
  return -1;
}

AllocationResult SolveOk(const AllocationInstance& inst, AllocateOptions o = {}) {
  o.mip_relative_gap = 0;  // hand-computed optima are exact
  StatusOr<AllocationResult> r = Solve(inst, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : AllocationResult{};
}

// One pool of 10 chips for one hour. Demand covers 5 chips of serving
// ($3.60 each); research bids $2 per chip-hour for up to 100 chips.
// Optimum: 5 serve + 5 research = 18 + 10 = $28. The 11th chip would go to
// research: the price of compute is $2.00 per chip-hour.
TEST(SolveStatusName, NamesEveryStatusAndNeverCallsAnUnknownOneOptimal) {
  EXPECT_STREQ(SolveStatusName(SolveStatus::kOptimal), "optimal");
  EXPECT_STREQ(SolveStatusName(SolveStatus::kInfeasible), "infeasible");
  EXPECT_STREQ(SolveStatusName(SolveStatus::kTimeLimit), "time_limit");
  EXPECT_STREQ(SolveStatusName(static_cast<SolveStatus>(99)), "unknown");
}

TEST(AllocateKnownAnswer, OnePoolTwoWorkloads) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {10}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps}, {5 * kTokensPerChipHour}));
  inst.workloads.push_back(MakeServe("serve", 0, 1));
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{100, 2.0}};
  inst.workloads.push_back(research);

  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_NEAR(r.objective_usd, 28.0, 1e-3);
  EXPECT_EQ(ChipsOf(r, "a", "serve", 0), 5);
  EXPECT_EQ(ChipsOf(r, "a", "research", 0), 5);
  EXPECT_NEAR(r.served_output_tokens[0][0], 5 * kTokensPerChipHour, 1e-3);
  EXPECT_NEAR(r.revenue_usd, 18.0, 1e-6);
  EXPECT_NEAR(r.bid_value_usd, 10.0, 1e-6);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 2.0, 1e-4);
  EXPECT_NEAR(r.utilization, 1.0, 1e-9);
  EXPECT_NEAR(r.contract_cost_usd, 10 * 2.0, 1e-9);
  EXPECT_FALSE(r.has_integers);
}

// Demand for 5 chips of serving but only 3 chips: all serve, and one more
// chip would earn another $3.60. With 2-hour periods the price is still per
// chip-hour.
TEST(AllocateKnownAnswer, ShadowPriceIsServingMarginWhenDemandExceedsCapacity) {
  AllocationInstance inst = Skeleton(1, 2.0);
  inst.pools.push_back(MakePool("a", {3}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps}, {5 * kTokensPerChipHour * 2}));
  inst.workloads.push_back(MakeServe("serve", 0, 1));
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{100, 2.0}};
  inst.workloads.push_back(research);
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(ChipsOf(r, "a", "serve", 0), 3);
  EXPECT_NEAR(r.objective_usd, 3 * 3.6 * 2, 1e-3);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 3.6, 1e-5);
  EXPECT_NEAR(r.served_output_tokens[0][0], 3 * kTokensPerChipHour * 2, 1e-3);
}

// Idle chips are worth nothing: price 0.
TEST(AllocateKnownAnswer, ShadowPriceZeroWhenChipsIdle) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {10}));
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{4, 3.0}};
  inst.workloads.push_back(research);
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(ChipsOf(r, "a", "research", 0), 4);
  EXPECT_NEAR(r.objective_usd, 12.0, 1e-3);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 0.0, 1e-9);
  EXPECT_NEAR(r.utilization, 0.4, 1e-9);
}

// Concave bids: 2 effective chips at $5, then up to 10 more at $1, on chips of
// efficiency 2. 4 chips: the first gives 2 effective chips at $5 (=$10), the
// other 3 chips give 6 effective chips at $1 (=$6). Total $16; one more chip
// adds 2 x $1 = $2.
TEST(AllocateKnownAnswer, ConcaveBidSteps) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {4}));
  auto w = MakeWorkload("research", WorkloadKind::kResearch, 1, 2.0);
  w.bids = {{2, 5.0}, {10, 1.0}};
  inst.workloads.push_back(w);
  AllocationResult r = SolveOk(inst);
  EXPECT_NEAR(r.objective_usd, 16.0, 1e-3);
  EXPECT_NEAR(r.bid_value_usd, 16.0, 1e-9);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 2.0, 1e-5);
  EXPECT_NEAR(r.workload_effective_chip_hours[0], 8.0, 1e-9);
}

// A floor that binds: 10 chips for 2 hours, serving worth $3.60 per chip-hour
// with unlimited demand, and pretraining (no bids) must get 4 effective chips
// on average over the 2-hour window = 8 effective chip-hours. Serving keeps
// 20 - 8 = 12 chip-hours: $43.20. The price of compute stays $3.60 (serving
// is the marginal use).
TEST(AllocateKnownAnswer, BindingFloor) {
  AllocationInstance inst = Skeleton(2);
  inst.pools.push_back(MakePool("a", {10, 10}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps}, {1e12, 1e12}));
  inst.workloads.push_back(MakeServe("serve", 0, 1));
  auto pre = MakeWorkload("pretrain", WorkloadKind::kPretrain, 1);
  pre.floor_effective_chips = 4;
  pre.floor_window_periods = 2;
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_NEAR(r.objective_usd, 43.2, 1e-3);
  ASSERT_EQ(r.floors.size(), 1u);
  EXPECT_NEAR(r.floors[0].required_effective_chip_hours, 8.0, 1e-9);
  EXPECT_NEAR(r.floors[0].achieved_effective_chip_hours, 8.0, 1e-9);
  EXPECT_EQ(ChipsOf(r, "a", "pretrain", 0) + ChipsOf(r, "a", "pretrain", 1), 8);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 3.6, 1e-5);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][1], 3.6, 1e-5);
}

// The floor goes where it is cheapest: pool "b" has half the chips' serving
// value but the same training efficiency, so the 5-chip floor sits on b.
TEST(AllocateKnownAnswer, FloorUsesTheCheapestPool) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {10}));
  inst.pools.push_back(MakePool("b", {10}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps, kTps / 2}, {1e12}));
  inst.workloads.push_back(MakeServe("serve", 0, 2));
  auto pre = MakeWorkload("pretrain", WorkloadKind::kPretrain, 2);
  pre.floor_effective_chips = 5;
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(ChipsOf(r, "b", "pretrain", 0), 5);
  EXPECT_EQ(ChipsOf(r, "a", "pretrain", 0), 0);
  EXPECT_NEAR(r.objective_usd, 10 * 3.6 + 5 * 1.8, 1e-3);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 3.6, 1e-5);
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[1][0], 1.8, 1e-5);
}

// Serving fills the pool in hour 0 and has no demand in hour 1, where
// research would pay $1 per chip-hour. Moving 10 chips earns $10 and costs
// 10 x switch cost: worth it at $0.50 per chip, not at $2.
AllocationInstance SwitchInstance(double switch_cost) {
  AllocationInstance inst = Skeleton(2);
  inst.pools.push_back(MakePool("a", {10, 10}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps}, {10 * kTokensPerChipHour, 0}));
  inst.workloads.push_back(MakeServe("serve", 0, 1));
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{100, 1.0}};
  inst.workloads.push_back(research);
  inst.switch_cost_usd_per_chip = switch_cost;
  return inst;
}

TEST(AllocateKnownAnswer, SwitchWorthItsCost) {
  AllocationResult r = SolveOk(SwitchInstance(0.5));
  EXPECT_NEAR(r.objective_usd, 36 + 10 - 5, 1e-3);
  EXPECT_EQ(ChipsOf(r, "a", "serve", 0), 10);
  EXPECT_EQ(ChipsOf(r, "a", "research", 1), 10);
  EXPECT_NEAR(r.switch_cost_usd, 5.0, 1e-9);
  ASSERT_EQ(r.switches.size(), 1u);
  EXPECT_EQ(r.switches[0].period, 1);
  EXPECT_EQ(r.switches[0].from_workload, "serve");
  EXPECT_EQ(r.switches[0].to_workload, "research");
  EXPECT_EQ(r.switches[0].chips, 10);
}

TEST(AllocateKnownAnswer, SwitchNotWorthItsCost) {
  AllocationResult r = SolveOk(SwitchInstance(2.0));
  EXPECT_NEAR(r.objective_usd, 36, 1e-3);
  EXPECT_EQ(ChipsOf(r, "a", "research", 1), 0);
  EXPECT_TRUE(r.switches.empty());
  EXPECT_NEAR(r.switch_cost_usd, 0.0, 1e-9);
}

// Gangs of 12 chips on 8-chip domains take 2 domains (16 chips) and do 12
// chips of work, worth $5 per effective chip-hour ($60 a gang); research pays
// $1 per chip. 40 chips = 5 domains: 2 gangs ($120) on 4 domains + 8 chips of
// research ($8) = $128. The gang bound floor(5 / 2) = 2 is already in the
// formulation, so the relaxation gives the same.
TEST(AllocateGangs, GangsTakeWholeDomains) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {40}, /*domain=*/8));
  auto pre = MakeWorkload("pretrain", WorkloadKind::kPretrain, 1);
  pre.gang_size_chips = 12;
  pre.bids = {{1000, 5.0}};
  inst.workloads.push_back(pre);
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{1000, 1.0}};
  inst.workloads.push_back(research);

  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_TRUE(r.has_integers);
  EXPECT_NEAR(r.objective_usd, 128.0, 1e-3);
  EXPECT_EQ(ChipsOf(r, "a", "pretrain", 0), 32);
  EXPECT_EQ(ChipsOf(r, "a", "research", 0), 8);
  EXPECT_NEAR(r.workload_effective_chip_hours[0], 24.0, 1e-9);
  EXPECT_NEAR(r.plan_value_usd, 128.0, 1e-9);
  // With gangs fixed, one more chip goes to research.
  EXPECT_NEAR(r.shadow_usd_per_chip_hour[0][0], 1.0, 1e-4);
}

// Two gang classes on one pool of 7 domains of 8 chips. A: 16 chips (2
// domains), $5 per chip = $80 a gang; B: 24 chips (3 domains), $6 per chip =
// $144 a gang; research $1 per chip. LP: 2 B gangs (6 domains, $288) + half an
// A gang ($40) = $328. Whole gangs: 1 B + 2 A (7 domains) = $304, better than
// 2 B + 8 research chips ($296). Gap (328 - 304) / 328.
TEST(AllocateGangs, IntegerGapReported) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {56}, /*domain=*/8));
  auto a = MakeWorkload("pre-a", WorkloadKind::kPretrain, 1);
  a.gang_size_chips = 16;
  a.bids = {{1000, 5.0}};
  auto b = MakeWorkload("pre-b", WorkloadKind::kPretrain, 1);
  b.gang_size_chips = 24;
  b.bids = {{1000, 6.0}};
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 1);
  research.bids = {{1000, 1.0}};
  inst.workloads = {a, b, research};

  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_NEAR(r.lp_relaxation_objective_usd, 328.0, 1e-3);
  EXPECT_NEAR(r.objective_usd, 304.0, 1e-3);
  EXPECT_NEAR(r.integer_gap_rel, 24.0 / 328.0, 1e-5);
  EXPECT_LE(r.objective_usd, r.lp_relaxation_objective_usd + 1e-9);
  EXPECT_EQ(ChipsOf(r, "a", "pre-a", 0), 32);
  EXPECT_EQ(ChipsOf(r, "a", "pre-b", 0), 24);
  EXPECT_EQ(ChipsOf(r, "a", "research", 0), 0);

  AllocateOptions lp_only;
  lp_only.integer_gangs = false;
  AllocationResult relaxed = SolveOk(inst, lp_only);
  EXPECT_FALSE(relaxed.has_integers);
  EXPECT_NEAR(relaxed.objective_usd, 328.0, 1e-3);
  EXPECT_EQ(relaxed.integer_gap_rel, 0.0);
}

// Gangs of 3 on 8-chip domains: 2 per domain (they may not straddle). 20 chips
// leave 2 whole domains: at most 4 gangs = 12 chips, though 20 / 3 = 6 gangs
// would fit by chip count alone.
TEST(AllocateGangs, SmallGangsNeverStraddleDomains) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {20}, /*domain=*/8));
  auto pre = MakeWorkload("pretrain", WorkloadKind::kPretrain, 1);
  pre.gang_size_chips = 3;
  pre.bids = {{1000, 5.0}};
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(ChipsOf(r, "a", "pretrain", 0), 12);
  EXPECT_NEAR(r.objective_usd, 60.0, 1e-3);
}

// Two classes that each fit several gangs in a domain get whole domains of
// their own. One 8-chip domain: A (3-chip gangs, 2 per domain, $5 per chip)
// would earn $30 there, B (2-chip gangs, 4 per domain, $4 per chip) $32.
TEST(AllocateGangs, TwoSmallGangClassesGetWholeDomains) {
  AllocationInstance inst = Skeleton(1);
  inst.pools.push_back(MakePool("a", {8}, /*domain=*/8));
  auto a = MakeWorkload("pre-a", WorkloadKind::kPretrain, 1);
  a.gang_size_chips = 3;
  a.bids = {{1000, 5.0}};
  auto b = MakeWorkload("pre-b", WorkloadKind::kRl, 1);
  b.gang_size_chips = 2;
  b.bids = {{1000, 4.0}};
  inst.workloads = {a, b};
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(ChipsOf(r, "a", "pre-a", 0), 0);
  EXPECT_EQ(ChipsOf(r, "a", "pre-b", 0), 8);
  EXPECT_NEAR(r.objective_usd, 32.0, 1e-3);
}

// ---- Infeasibility, explained ----

// 10 chips for 24 hours give at most 240 effective chip-hours; a floor of 20
// chips on average needs 480: short 240.
TEST(AllocateInfeasible, FloorLargerThanTheFleet) {
  AllocationInstance inst = Skeleton(24);
  inst.pools.push_back(MakePool("h100-east", std::vector<double>(24, 10)));
  inst.pools.push_back(MakePool("tpu-x", std::vector<double>(24, 50)));
  auto pre = MakeWorkload("pretrain-frontier", WorkloadKind::kPretrain, 2);
  pre.efficiency[1] = std::nullopt;  // cannot run on the TPU pool
  pre.floor_effective_chips = 20;
  pre.floor_window_periods = 24;
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kInfeasible);
  ASSERT_EQ(r.infeasibility.size(), 1u);
  const auto& why = r.infeasibility[0];
  EXPECT_EQ(why.kind, "floor");
  EXPECT_EQ(why.workload, "pretrain-frontier");
  EXPECT_EQ(why.first_period, 0);
  EXPECT_EQ(why.last_period, 23);
  EXPECT_NEAR(why.required, 480, 1e-6);
  EXPECT_NEAR(why.achievable, 240, 1e-6);
  EXPECT_NEAR(why.shortfall, 240, 1e-6);
  ASSERT_EQ(why.pools_that_could_cover.size(), 1u);
  EXPECT_EQ(why.pools_that_could_cover[0], "h100-east");
  EXPECT_NE(why.message.find("floor of pretrain-frontier (20 H100-eq chips avg)"), std::string::npos)
      << why.message;
  EXPECT_NE(why.message.find("2027-01-04T00:00Z..2027-01-05T00:00Z"), std::string::npos) << why.message;
  EXPECT_NE(why.message.find("needs 480 effective chip-hours"), std::string::npos) << why.message;
  EXPECT_NE(why.message.find("short 240"), std::string::npos) << why.message;
  EXPECT_NE(why.message.find("h100-east (1 H100-eq/chip)"), std::string::npos) << why.message;
}

// Only the second day's window is short: capacity drops to 5 chips.
TEST(AllocateInfeasible, NamesTheShortWindowOnly) {
  AllocationInstance inst = Skeleton(4, 12.0);
  inst.pools.push_back(MakePool("a", {10, 10, 5, 5}));
  auto pre = MakeWorkload("pretrain", WorkloadKind::kPretrain, 1, 2.0);
  pre.floor_effective_chips = 15;  // 15 x 24 = 360 effective chip-hours per day
  pre.floor_window_periods = 2;
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kInfeasible);
  ASSERT_EQ(r.infeasibility.size(), 1u);
  EXPECT_EQ(r.infeasibility[0].first_period, 2);
  EXPECT_EQ(r.infeasibility[0].last_period, 3);
  EXPECT_NEAR(r.infeasibility[0].achievable, 5 * 2.0 * 24, 1e-6);
  EXPECT_NEAR(r.infeasibility[0].shortfall, 360 - 240, 1e-6);
}

// Two floors of 6 chips each on a 10-chip pool: together 288 effective
// chip-hours a day, the pool gives 240; 48 short in total, and each floor
// alone would fit.
TEST(AllocateInfeasible, TwoFloorsCompeting) {
  AllocationInstance inst = Skeleton(24);
  inst.pools.push_back(MakePool("a", std::vector<double>(24, 10)));
  auto a = MakeWorkload("pretrain", WorkloadKind::kPretrain, 1);
  a.floor_effective_chips = 6;
  a.floor_window_periods = 24;
  auto b = MakeWorkload("rl", WorkloadKind::kRl, 1);
  b.floor_effective_chips = 6;
  b.floor_window_periods = 24;
  inst.workloads = {a, b};
  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kInfeasible);
  ASSERT_FALSE(r.infeasibility.empty());
  double total_short = 0;
  for (const auto& why : r.infeasibility) {
    EXPECT_EQ(why.kind, "floor");
    total_short += why.shortfall;
    EXPECT_NE(why.message.find("competes for the same pools with the floors of"), std::string::npos)
        << why.message;
  }
  EXPECT_NEAR(total_short, 48, 1e-6);
}

// A gang of 128 chips cannot fit a 64-chip pool whatever the hour.
TEST(AllocateInfeasible, GangThatFitsNoPool) {
  AllocationInstance inst = Skeleton(4);
  inst.pools.push_back(MakePool("h100-west", std::vector<double>(4, 64), 8));
  auto pre = MakeWorkload("pretrain-next", WorkloadKind::kPretrain, 1);
  pre.gang_size_chips = 128;
  pre.floor_effective_chips = 64;
  inst.workloads.push_back(pre);
  AllocationResult r = SolveOk(inst);
  ASSERT_EQ(r.status, SolveStatus::kInfeasible);
  ASSERT_EQ(r.infeasibility.size(), 1u);
  const auto& why = r.infeasibility[0];
  EXPECT_EQ(why.kind, "gang");
  EXPECT_NEAR(why.required, 128, 1e-9);
  EXPECT_NEAR(why.achievable, 64, 1e-9);
  EXPECT_NEAR(why.shortfall, 64, 1e-9);
  EXPECT_NE(why.message.find("gang of pretrain-next"), std::string::npos) << why.message;
}

// ---- Input errors are errors, not crashes ----
TEST(AllocateErrors, InconsistentSizes) {
  AllocationInstance inst = Skeleton(2);
  inst.pools.push_back(MakePool("a", {10}));  // one period of capacity for two periods
  StatusOr<AllocationResult> r = Solve(inst, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("pool a"), std::string::npos);
}

TEST(AllocateErrors, EmptyFleetSolves) {
  AllocationInstance inst = Skeleton(3);
  AllocationResult r = SolveOk(inst);
  EXPECT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_EQ(r.objective_usd, 0);
}

// Objective coefficients near Clp's default dual tolerance (1e-7), as in the
// procurement extensive form (costs times 1/scenarios): the default stops at
// the slack basis; dual_tolerance = 1e-10 reaches the optimum, the 25
// largest of 50 coefficients 1e-8 x (1 + 0.01 i): 1e-8 x (25 + 9.25).
TEST(LpModelTolerance, TinyObjectiveCoefficientsNeedATighterDualTolerance) {
  LpModel m(false);
  const int n = 50;
  const int cap = m.AddRow("cap", -kLpInfinity, n / 2.0);
  for (int i = 0; i < n; ++i) m.AddCoefficient(cap, m.AddColumn("x", -1e-8 * (1 + 0.01 * i), 0, 1), 1.0);
  LpSolveOptions tight;
  tight.dual_tolerance = 1e-10;
  auto s = SolveLpModel(m, tight);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NEAR(s->objective, -3.425e-7, 1e-15);
  for (int i = 0; i < n; ++i) EXPECT_NEAR(s->x[i], i >= n / 2 ? 1.0 : 0.0, 1e-9) << i;
  // Cbc (one integer column makes it a MIP) with the same tolerance.
  m.columns[0].is_integer = true;
  auto mip = SolveLpModel(m, tight);
  ASSERT_TRUE(mip.ok()) << mip.status().ToString();
  EXPECT_NEAR(mip->objective, -3.425e-7, 1e-15);
}

}  // namespace
}  // namespace fungible

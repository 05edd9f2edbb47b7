// Floors several classes share (spec `floors:`): known answers, the
// explanation when one cannot be met, and both methods against each other on
// random fleets.
#include <gtest/gtest.h>

#include <algorithm>

#include "allocate/allocate.h"
#include "allocate/allocate_test_util.h"

namespace fungible {
namespace {

using testing_util::MakeModel;
using testing_util::MakePool;
using testing_util::MakeServe;
using testing_util::MakeWorkload;
using testing_util::RandomInstance;
using testing_util::Skeleton;

constexpr double kUsdPerToken = 1e-6;
constexpr double kTps = 1000;  // 3.6 M tokens = $3.60 per chip-hour on pool a

int ChipsOf(const AllocationResult& r, const std::string& pool, const std::string& workload, int t) {
  for (size_t p = 0; p < r.pool_ids.size(); ++p)
    for (size_t w = 0; w < r.workload_ids.size(); ++w)
      if (r.pool_ids[p] == pool && r.workload_ids[w] == workload) return r.chips[p][w][t];
  ADD_FAILURE() << "no " << pool << "/" << workload;
  return -1;
}

AllocationResult SolveWith(const AllocationInstance& inst, AllocateMethod method) {
  AllocateOptions o;
  o.method = method;
  o.mip_relative_gap = 0;
  StatusOr<AllocationResult> r = Solve(inst, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : AllocationResult{};
}

// Two pools of 10 chips for 2 hours. Serving (unlimited demand) earns $3.60
// per chip-hour on a and $1.80 on b. Pretraining does 1 H100-eq per chip on
// both pools; research does 2 per chip, on b only. The shared floor asks 8
// H100-eq chips on average over the 2-hour window from the two together: 16
// effective chip-hours. Their cost in serving given up per effective
// chip-hour: pretrain on a $3.60, pretrain on b $1.80, research on b $0.90.
// So exactly 8 chip-hours of research on b, nothing to pretraining, and
// serving keeps a (20 x 3.6 = 72) and 12 chip-hours of b (21.6): $93.60.
AllocationInstance ModelDevelopmentInstance(double floor_chips) {
  AllocationInstance inst = Skeleton(2);
  inst.pools.push_back(MakePool("a", {10, 10}));
  inst.pools.push_back(MakePool("b", {10, 10}));
  inst.models.push_back(MakeModel("chat", kUsdPerToken, {kTps, kTps / 2}, {1e12, 1e12}));
  inst.workloads.push_back(MakeServe("serve", 0, 2));
  inst.workloads.push_back(MakeWorkload("pretrain", WorkloadKind::kPretrain, 2));
  auto research = MakeWorkload("research", WorkloadKind::kResearch, 2, 2.0);
  research.efficiency[0] = std::nullopt;
  inst.workloads.push_back(research);
  AllocationInstance::SharedFloorIn g;
  g.id = "model-dev";
  g.workloads = {1, 2};
  g.effective_chips_by_period = {floor_chips, floor_chips};
  g.window_periods = 2;
  inst.shared_floors.push_back(g);
  return inst;
}

TEST(SharedFloorKnownAnswer, ExactlyTheFloorOnTheCheapestCombination) {
  for (AllocateMethod method : {AllocateMethod::kExact, AllocateMethod::kDecomposed}) {
    SCOPED_TRACE(method == AllocateMethod::kExact ? "exact" : "decomposed");
    AllocationResult r = SolveWith(ModelDevelopmentInstance(8), method);
    ASSERT_EQ(r.status, SolveStatus::kOptimal);
    EXPECT_NEAR(r.plan_value_usd, 93.6, 1e-6);
    EXPECT_EQ(ChipsOf(r, "b", "research", 0) + ChipsOf(r, "b", "research", 1), 8);
    for (int t = 0; t < 2; ++t) {
      EXPECT_EQ(ChipsOf(r, "a", "pretrain", t), 0);
      EXPECT_EQ(ChipsOf(r, "b", "pretrain", t), 0);
      EXPECT_EQ(ChipsOf(r, "a", "serve", t), 10);
    }
    ASSERT_EQ(r.floors.size(), 1u);
    EXPECT_EQ(r.floors[0].workload, "model-dev");
    EXPECT_EQ(r.floors[0].members, (std::vector<std::string>{"pretrain", "research"}));
    EXPECT_NEAR(r.floors[0].required_effective_chip_hours, 16, 1e-9);
    EXPECT_NEAR(r.floors[0].achieved_effective_chip_hours, 16, 1e-9);
    // The certified bound is a bound, and tight here.
    EXPECT_GE(r.bound_usd, r.plan_value_usd - 1e-6);
    EXPECT_NEAR(r.bound_usd, 93.6, 1e-3);
  }
}

// Without the shared floor nobody develops models: serving takes every chip.
TEST(SharedFloorKnownAnswer, NoFloorNoModelDevelopment) {
  AllocationResult r = SolveWith(ModelDevelopmentInstance(0), AllocateMethod::kExact);
  ASSERT_EQ(r.status, SolveStatus::kOptimal);
  EXPECT_NEAR(r.plan_value_usd, 20 * 3.6 + 20 * 1.8, 1e-6);
}

// 40 H100-eq chips on average: 80 effective chip-hours in the window, and the
// two classes can get at most 10 x 1 (pretrain on a) + 10 x 2 (research on
// b) = 30 an hour, 60 in the window: short 20, for lack of capacity.
TEST(SharedFloorInfeasible, NamesTheWindowTheShortfallAndTheCause) {
  for (AllocateMethod method : {AllocateMethod::kExact, AllocateMethod::kDecomposed}) {
    SCOPED_TRACE(method == AllocateMethod::kExact ? "exact" : "decomposed");
    AllocationResult r = SolveWith(ModelDevelopmentInstance(40), method);
    ASSERT_EQ(r.status, SolveStatus::kInfeasible);
    ASSERT_EQ(r.infeasibility.size(), 1u);
    const auto& why = r.infeasibility[0];
    EXPECT_EQ(why.kind, "shared_floor");
    EXPECT_EQ(why.workload, "model-dev");
    EXPECT_EQ(why.members, (std::vector<std::string>{"pretrain", "research"}));
    EXPECT_EQ(why.first_period, 0);
    EXPECT_EQ(why.last_period, 1);
    EXPECT_NEAR(why.required, 80, 1e-6);
    EXPECT_NEAR(why.achievable, 60, 1e-6);
    EXPECT_NEAR(why.shortfall, 20, 1e-6);
    EXPECT_EQ(why.pools_that_could_cover, (std::vector<std::string>{"a", "b"}));
    EXPECT_NE(why.message.find("floor model-dev (the sum of pretrain, research, 40 H100-eq chips avg) in "
                               "2027-01-04T00:00Z..2027-01-04T02:00Z: needs 80 effective chip-hours, the "
                               "fleet can give at most 60; short 20."),
              std::string::npos)
        << why.message;
    EXPECT_NE(why.message.find("Capacity: every chip up in the pools its classes can use"), std::string::npos)
        << why.message;
  }
}

// A class's own floor takes the chips the shared floor would need: RL (2
// H100-eq per chip, on pool a only) needs 8 on average, 4 chips of a every
// hour; pretraining keeps 6 chips of a (12 effective chip-hours) and research
// all of b (40): 52 of the 54 that 27 chips on average need. Alone the
// shared floor could get 60, so the explanation names the competition.
TEST(SharedFloorInfeasible, CompetingWithAClassFloor) {
  AllocationInstance inst = ModelDevelopmentInstance(27);
  AllocationInstance::WorkloadIn other = MakeWorkload("rl", WorkloadKind::kRl, 2, 2.0);
  other.efficiency[1] = std::nullopt;
  other.floor_effective_chips = 8;
  other.floor_window_periods = 2;
  inst.workloads.push_back(other);
  AllocationResult r = SolveWith(inst, AllocateMethod::kExact);
  ASSERT_EQ(r.status, SolveStatus::kInfeasible);
  ASSERT_EQ(r.infeasibility.size(), 1u);
  const auto& why = r.infeasibility[0];
  EXPECT_EQ(why.kind, "shared_floor");
  EXPECT_NEAR(why.shortfall, 2, 1e-6);
  EXPECT_NE(why.message.find("Alone its classes could get 60, but other floors claim the same pools"),
            std::string::npos)
      << why.message;
}

// Random fleets with a shared floor over their non-serving classes at a share
// of what those classes could get alone: both methods meet every window, and
// each one's certified bound holds the other's plan value.
TEST(SharedFloorProperty, BothMethodsMeetItAndTheBoundsHold) {
  int checked = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    testing_util::RandomFleetOptions o;
    o.gangs = false;
    o.floors = false;
    AllocationInstance inst = RandomInstance(seed, o);
    const int T = static_cast<int>(inst.periods.size());
    AllocationInstance::SharedFloorIn g;
    g.id = "dev";
    for (int w = 0; w < static_cast<int>(inst.workloads.size()); ++w)
      if (inst.workloads[w].served_model < 0) g.workloads.push_back(w);
    if (g.workloads.empty()) continue;
    // A third of the smallest hourly capacity, at the members' worst efficiency.
    double least = 1e18;
    for (int t = 0; t < T; ++t) {
      double cap = 0;
      for (size_t p = 0; p < inst.pools.size(); ++p) {
        double best = 0;
        for (int w : g.workloads) best = std::max(best, inst.workloads[w].efficiency[p].value_or(0.0));
        cap += best * inst.pools[p].capacity_chips[t];
      }
      least = std::min(least, cap);
    }
    g.effective_chips_by_period.assign(T, std::floor(least / 3));
    g.window_periods = std::max(1, T / 2);
    inst.shared_floors.push_back(g);
    AllocationResult exact = SolveWith(inst, AllocateMethod::kExact);
    AllocationResult dec = SolveWith(inst, AllocateMethod::kDecomposed);
    ASSERT_EQ(exact.status, SolveStatus::kOptimal) << "seed " << seed;
    ASSERT_EQ(dec.status, SolveStatus::kOptimal) << "seed " << seed;
    for (const auto* r : {&exact, &dec})
      for (const auto& f : r->floors)
        EXPECT_GE(f.achieved_effective_chip_hours,
                  f.required_effective_chip_hours - 1e-6 * std::max(1.0, f.required_effective_chip_hours))
            << "seed " << seed << " " << r->method << " " << f.workload << " from " << f.first_period;
    const double tol = 1e-6 * std::max(1.0, std::fabs(exact.bound_usd));
    EXPECT_GE(dec.bound_usd, exact.plan_value_usd - tol) << "seed " << seed;
    EXPECT_GE(exact.bound_usd, dec.plan_value_usd - tol) << "seed " << seed;
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

}  // namespace
}  // namespace fungible

// Property tests on random fleets with fixed seeds: whatever the instance,
// the plan respects capacity, demand, floors and whole domains, and prices
// are non-negative.
#include <gtest/gtest.h>

#include <cmath>

#include "allocate/allocate.h"
#include "allocate/allocate_test_util.h"
#include "allocate/allocation_lp.h"
#include "lp/solve.h"

namespace fungible {
namespace {

using testing_util::RandomFleetOptions;
using testing_util::RandomInstance;

constexpr int kInstances = 50;

void CheckPlan(const AllocationInstance& inst, const AllocationResult& r, bool integer_gangs,
               std::uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size()),
            T = static_cast<int>(inst.periods.size());
  ASSERT_EQ(r.chips.size(), inst.pools.size());
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < T; ++t) {
      long used = 0;
      for (int w = 0; w < W; ++w) {
        EXPECT_GE(r.chips[p][w][t], 0);
        if (!IsEligible(inst, w, p)) {
          EXPECT_EQ(r.chips[p][w][t], 0) << "ineligible " << w << " on " << p;
        }
        used += r.chips[p][w][t];
      }
      EXPECT_LE(used, inst.pools[p].capacity_chips[t]) << "pool " << p << " period " << t;
      EXPECT_GE(r.shadow_usd_per_chip_hour[p][t], 0.0);
      EXPECT_TRUE(std::isfinite(r.shadow_usd_per_chip_hour[p][t]));
      // Gangs: whole gangs, and the domains they need fit the whole domains
      // of the pool (a class with several gangs per domain is given whole
      // domains of its own).
      if (!integer_gangs) continue;
      const int d = inst.pools[p].interconnect_domain_chips;
      long domains_needed = 0;
      for (int w = 0; w < W; ++w) {
        GangFit f = GangFitOn(inst.workloads[w], inst.pools[p]);
        if (!f.is_gang || r.chips[p][w][t] == 0) continue;
        long chips = r.chips[p][w][t];
        ASSERT_EQ(chips % static_cast<long>(f.chips_per_gang), 0) << "partial gang of " << w;
        long gangs = chips / static_cast<long>(f.chips_per_gang);
        domains_needed += f.domains_per_gang > 0 ? gangs * f.domains_per_gang
                                                 : (gangs + f.gangs_per_domain - 1) / f.gangs_per_domain;
      }
      EXPECT_LE(domains_needed, static_cast<long>(inst.pools[p].capacity_chips[t] / d + 1e-9))
          << "gangs straddle domains on pool " << p << " period " << t;
    }
  for (size_t m = 0; m < inst.models.size(); ++m)
    for (int t = 0; t < T; ++t) {
      EXPECT_LE(r.served_output_tokens[m][t], inst.models[m].demand_output_tokens[t] * (1 + 1e-12));
      EXPECT_GE(r.served_output_tokens[m][t], 0);
    }
  for (const auto& f : r.floors)
    EXPECT_GE(f.achieved_effective_chip_hours, f.required_effective_chip_hours * (1 - 1e-9) - 1e-6)
        << f.workload << " window " << f.first_period;
  // The relaxation bounds the integer optimum; the whole-chip plan is a
  // feasible point of the model, so it cannot beat the optimum.
  EXPECT_LE(r.objective_usd,
            r.lp_relaxation_objective_usd + 1e-6 * std::max(1.0, std::fabs(r.objective_usd)));
  EXPECT_GE(r.integer_gap_rel, 0.0);
  EXPECT_LE(r.plan_value_usd, r.objective_usd + 1e-4 * std::max(1.0, std::fabs(r.objective_usd)) + 1.0);
  EXPECT_GE(r.utilization, 0.0);
  EXPECT_LE(r.utilization, 1.0 + 1e-12);
}

TEST(AllocateProperty, RandomFleetsRespectEveryConstraint) {
  int feasible = 0, with_gangs = 0;
  for (int i = 0; i < kInstances; ++i) {
    const std::uint64_t seed = 1000 + i;
    AllocationInstance inst = RandomInstance(seed);
    StatusOr<AllocationResult> r = Solve(inst, {});
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status().ToString();
    if (r->status == SolveStatus::kInfeasible) {
      EXPECT_FALSE(r->infeasibility.empty());
      continue;
    }
    ++feasible;
    with_gangs += r->has_integers;
    CheckPlan(inst, *r, true, seed);
  }
  // The generator makes floors feasible by construction; nearly all solve.
  EXPECT_GE(feasible, kInstances * 9 / 10);
  EXPECT_GE(with_gangs, 5);
}

TEST(AllocateProperty, RelaxedGangsRespectCapacityToo) {
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t seed = 2000 + i;
    AllocationInstance inst = RandomInstance(seed);
    AllocateOptions o;
    o.integer_gangs = false;
    StatusOr<AllocationResult> r = Solve(inst, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status == SolveStatus::kInfeasible) continue;
    EXPECT_FALSE(r->has_integers);
    CheckPlan(inst, *r, false, seed);
  }
}

// Floors drawn up to twice what the fleet could give: whenever the solver
// says infeasible, every reason names a short window with a positive
// shortfall; whenever it solves, floors are met.
TEST(AllocateProperty, HardFloorsAreMetOrExplained) {
  RandomFleetOptions o;
  o.hard_floors = true;
  int infeasible = 0;
  for (int i = 0; i < 30; ++i) {
    const std::uint64_t seed = 3000 + i;
    AllocationInstance inst = RandomInstance(seed, o);
    StatusOr<AllocationResult> r = Solve(inst, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status != SolveStatus::kInfeasible) {
      CheckPlan(inst, *r, true, seed);
      continue;
    }
    ++infeasible;
    ASSERT_FALSE(r->infeasibility.empty());
    for (const auto& why : r->infeasibility) {
      EXPECT_TRUE(why.kind == "floor" || why.kind == "gang") << why.kind;
      EXPECT_GT(why.shortfall, 0) << why.message;
      EXPECT_FALSE(why.workload.empty());
      EXPECT_LE(why.first_period, why.last_period);
      EXPECT_FALSE(why.message.empty());
      EXPECT_EQ(why.message.find("infeasible"), std::string::npos) << why.message;
      if (why.kind == "floor") {
        EXPECT_NEAR(why.required - why.achievable, why.shortfall, 1e-6 * why.required);
      }
    }
  }
  EXPECT_GE(infeasible, 3);
}

// Money is conserved: the plan's value is its revenue and bid value less its
// switch cost, every class's value adds up to revenue and bids, and the
// switch cost is the chips moved in times the price of a move.
void CheckMoney(const AllocationInstance& inst, const AllocationResult& r) {
  const double tol = 1e-9 * std::max(1.0, std::fabs(r.revenue_usd) + std::fabs(r.bid_value_usd));
  EXPECT_NEAR(r.plan_value_usd, r.revenue_usd + r.bid_value_usd - r.switch_cost_usd, tol);
  double by_class = 0;
  for (double v : r.workload_value_usd) by_class += v;
  EXPECT_NEAR(by_class, r.revenue_usd + r.bid_value_usd, 1e3 * tol);
  long moved = 0;
  for (const auto& e : r.switches) moved += e.chips;
  EXPECT_NEAR(r.switch_cost_usd, inst.switch_cost_usd_per_chip * static_cast<double>(moved), tol);
  // The certificate: a bound no lower than the plan, and the gap it states.
  EXPECT_GE(r.bound_usd, r.plan_value_usd - tol);
  const double scale = std::fabs(r.bound_usd);
  EXPECT_NEAR(r.gap_rel, scale > 0 ? (r.bound_usd - r.plan_value_usd) / scale : 0.0, 1e-12);
}

// The decomposed method (stage 1 blocks without switching, then one model
// per period) keeps every promise of the exact one on the same fleets.
TEST(AllocateProperty, DecomposedRespectsEveryConstraint) {
  int feasible = 0, with_gangs = 0;
  for (int i = 0; i < kInstances; ++i) {
    const std::uint64_t seed = 1000 + i;
    AllocationInstance inst = RandomInstance(seed);
    AllocateOptions o;
    o.method = AllocateMethod::kDecomposed;
    StatusOr<AllocationResult> r = Solve(inst, o);
    ASSERT_TRUE(r.ok()) << "seed " << seed << ": " << r.status().ToString();
    EXPECT_EQ(r->method, "decomposed");
    if (r->status == SolveStatus::kInfeasible) {
      EXPECT_FALSE(r->infeasibility.empty());
      continue;
    }
    ++feasible;
    with_gangs += r->has_integers;
    CheckPlan(inst, *r, true, seed);
    CheckMoney(inst, *r);
  }
  EXPECT_GE(feasible, kInstances * 9 / 10);
  EXPECT_GE(with_gangs, 5);
}

TEST(AllocateProperty, ExactMethodMoneyAndCertificate) {
  for (int i = 0; i < 20; ++i) {
    const std::uint64_t seed = 1000 + i;
    AllocationInstance inst = RandomInstance(seed);
    StatusOr<AllocationResult> r = Solve(inst, {});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status == SolveStatus::kInfeasible) continue;
    EXPECT_EQ(r->method, "exact");
    CheckMoney(inst, *r);
  }
}

// On fleets small enough for the full model to solve exactly, the decomposed
// method's bound is above the exact optimum and its plan below it: the gap
// it certifies contains the truth.
TEST(AllocateCertificate, BoundAndPlanBracketTheExactOptimum) {
  int compared = 0, with_switching = 0;
  for (int i = 0; i < 40; ++i) {
    const std::uint64_t seed = 4000 + i;
    AllocationInstance inst = RandomInstance(seed);
    for (bool gangs : {true, false}) {
      AllocateOptions exact;
      exact.method = AllocateMethod::kExact;
      exact.integer_gangs = gangs;
      exact.mip_relative_gap = 0;
      AllocateOptions dec = exact;
      dec.method = AllocateMethod::kDecomposed;
      StatusOr<AllocationResult> e = Solve(inst, exact);
      StatusOr<AllocationResult> d = Solve(inst, dec);
      ASSERT_TRUE(e.ok() && d.ok()) << "seed " << seed;
      ASSERT_EQ(e->status == SolveStatus::kInfeasible, d->status == SolveStatus::kInfeasible)
          << "seed " << seed;
      if (e->status != SolveStatus::kOptimal || d->status != SolveStatus::kOptimal) continue;
      SCOPED_TRACE("seed " + std::to_string(seed) + (gangs ? " gangs" : " relaxed"));
      const double tol = 1e-6 * std::max(1.0, std::fabs(e->objective_usd));
      // objective_usd charges the idle preference; the plain optimum is above it.
      EXPECT_GE(d->bound_usd, e->objective_usd - tol);
      EXPECT_LE(d->plan_value_usd, e->bound_usd + tol);
      EXPECT_LE(e->plan_value_usd, e->bound_usd + tol);
      EXPECT_GE(d->gap_rel, 0.0);
      ++compared;
      with_switching += e->switch_cost_usd > 0;
    }
  }
  EXPECT_GE(compared, 40);
  EXPECT_GE(with_switching, 5);
}

// The same seed gives the same plan, figure for figure.
TEST(AllocateProperty, Deterministic) {
  AllocationInstance inst = RandomInstance(77);
  StatusOr<AllocationResult> a = Solve(inst, {});
  StatusOr<AllocationResult> b = Solve(inst, {});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->chips, b->chips);
  EXPECT_EQ(a->objective_usd, b->objective_usd);
  EXPECT_EQ(a->shadow_usd_per_chip_hour, b->shadow_usd_per_chip_hour);
}

}  // namespace
}  // namespace fungible

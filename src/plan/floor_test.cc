// The model-development floor in plan: a hard constraint. A floor that binds
// moves the signed quantity by exactly what it needs; a floor no plan can
// meet is an infeasible answer naming the floor, month, scenario and
// shortfall. Each case is solved both ways (extensive form and Benders).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plan/plan.h"
#include "plan/plan_test_util.h"

namespace fungible {
namespace {

using plan_test::ChipsScenario;
using plan_test::ParseOrDie;
using plan_test::SolveOrDie;
using plan_test::Spec;
using ::testing::HasSubstr;

const PlanMethod kMethods[] = {PlanMethod::kExtensive, PlanMethod::kDecomposition};

std::string DivisibleOffer(double price) {
  return "  - {id: gpu, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 1000, start: 2027-01-01, "
         "duration_months: 1, usd_per_chip_hour: " +
         std::to_string(price) + "}\n";
}

// Pretraining (1 H100-eq per H100) and research (2 per H100), neither with bids.
std::string Classes(const std::string& pretrain_floor = "") {
  return "  - {id: pretrain, kind: pretrain, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]" +
         pretrain_floor +
         "}\n"
         "  - {id: research, kind: research, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 2}]}\n";
}

PlanProblem LowHighProblem(const std::string& offers, const std::string& extra) {
  auto pr = BuildPlanProblem(ParseOrDie(Spec(offers, 1, "", extra)));
  EXPECT_TRUE(pr.ok()) << pr.status().ToString();
  PlanProblem p = *pr;
  p.scenarios = {ChipsScenario(p, "low", 0.6, {100}), ChipsScenario(p, "high", 0.4, {300})};
  return p;
}

// The newsvendor of known_answer_test (serving earns $9 per chip-hour, demand
// 100 or 300 chips with probability 0.6 / 0.4) signs 100 chips at $4 and 300
// at $3. A floor of 100 H100-eq chips on pretraining takes 100 chips whatever
// demand does, so the plan signs exactly 100 more: 200 and 400. At $4 the
// expected profit per hour is 9 x 100 - 4 x 200 = 100.
TEST(PlanFloor, AClassFloorThatBindsAddsExactlyItsChips) {
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    for (auto [price, chips] : {std::pair{4.0, 200.0}, std::pair{3.0, 400.0}}) {
      const PlanProblem pr = LowHighProblem(DivisibleOffer(price), Classes(", floor_effective_chips: 100"));
      const ProgramSolution s = SolveOrDie(pr, m);
      ASSERT_EQ(s.chips.size(), 1u);
      EXPECT_NEAR(s.chips[0], chips, 1e-3) << "at $" << price;
      for (const auto& o : s.outcomes) EXPECT_NEAR(o.floor_shortfall_effective_chip_hours, 0, 1e-6);
    }
    const PlanProblem pr = LowHighProblem(DivisibleOffer(4.0), Classes(", floor_effective_chips: 100"));
    EXPECT_NEAR(ObjectiveUsd(pr, SolveOrDie(pr, m)), 100 * pr.hours[0], 1.0);
  }
}

// The same 100 H100-eq chips as a floor pretraining and research share:
// research does 2 per chip, so 50 chips meet it and the plan signs 150 at $4.
TEST(PlanFloor, ASharedFloorGoesToTheMostEfficientClass) {
  const std::string floors =
      "floors:\n  - {name: dev, workloads: [pretrain, research], effective_chips: 100}\n";
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const PlanProblem pr = LowHighProblem(DivisibleOffer(4.0), Classes() + floors);
    ASSERT_EQ(pr.instance.shared_floors.size(), 1u);
    const ProgramSolution s = SolveOrDie(pr, m);
    ASSERT_EQ(s.chips.size(), 1u);
    EXPECT_NEAR(s.chips[0], 150, 1e-3);
    EXPECT_NEAR(ObjectiveUsd(pr, s), (9 * 100 - 4 * 150) * pr.hours[0], 1.0);
  }
}

// 1,500 H100-eq chips of pretraining from an offer of at most 1,000 chips: no
// plan meets it. The answer is infeasible, not an error, and says which
// floor, month and scenario, and by how much (500 chips x 744 hours).
TEST(PlanFloor, AFloorNoPlanCanMeetIsAnInfeasibleAnswer) {
  const PlanProblem pr = LowHighProblem(DivisibleOffer(4.0), Classes(", floor_effective_chips: 1500"));
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    PlanRunOptions o;
    o.vss = o.evpi = o.mismatch = false;
    o.solve.method = m;
    auto rep = PlanFromProblem(pr, {}, o);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();  // infeasible is an answer
    EXPECT_EQ(rep->status, SolveStatus::kInfeasible);
    EXPECT_TRUE(rep->solution.outcomes.empty());
    EXPECT_THAT(rep->infeasibility, HasSubstr("test.yaml: the floor of pretrain cannot be met: in 2027-01 of "
                                              "scenario low (probability 60%)"));
    EXPECT_THAT(rep->infeasibility, HasSubstr("(500 of 1500 H100-eq chips on average)"));
    EXPECT_THAT(rep->infeasibility, HasSubstr("2 floor-months short in 2 of 2 scenarios (probability 100%)"));
  }
}

// A floor the offer can just meet is not a breach: the plan signs all of it.
TEST(PlanFloor, AFloorTheOffersCanJustMeetIsMet) {
  const PlanProblem pr = LowHighProblem(DivisibleOffer(4.0), Classes(", floor_effective_chips: 1000"));
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = false;
  auto rep = PlanFromProblem(pr, {}, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  EXPECT_EQ(rep->status, SolveStatus::kOptimal);
  ASSERT_EQ(rep->solution.chips.size(), 1u);
  EXPECT_NEAR(rep->solution.chips[0], 1000, 1e-3);
  EXPECT_NEAR(rep->expected_floor_shortfall_effective_chip_hours, 0, 1.0);
}

}  // namespace
}  // namespace fungible

// The bundled frontier-lab example: `plan` and `evaluate` agree on the
// divisible TPU deal over its whole term (docs/plan.md, "Deals over their
// whole term"). The plan values the deal's months after the horizon at the
// quantity it signs (a concave curve per scenario), so `evaluate --quantity`
// at the plan's quantity q* finds signing it worth at least nothing, and one
// step more (500 MW, the deal's minimum) adds nothing to it; when the plan
// signs none, evaluate finds the minimum not worth signing. (Valued at the
// whole 5 GW offer's average rate, the plan signed none while evaluate found
// the 500 MW minimum worth $15B: this failed.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "plan/evaluate.h"
#include "plan/plan.h"
#include "spec/spec.h"

namespace fungible {
namespace {

constexpr char kOffer[] = "tpu-v7-5gw";
constexpr double kStepMw = 500;  // the offer's min_quantity

OfferEvaluation EvaluateAt(const Fleet& fleet, double mw) {
  EvaluateOptions e;
  e.quantity = mw;
  e.solve.threads = 2;
  auto ev = EvaluateOffer(fleet, kOffer, e);
  EXPECT_TRUE(ev.ok()) << ev.status().ToString();
  return ev.ok() ? *ev : OfferEvaluation{};
}

TEST(PlanFrontier, PlanAndEvaluateAgreeOnTheTpuDealOverItsWholeTerm) {
  auto fleet = LoadFleetSpec(std::string(FUNGIBLE_SOURCE_DIR) + "/examples/frontier-lab.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = o.decision_values = false;
  o.solve.threads = 2;
  auto rep = RunPlan(*fleet, o);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_EQ(rep->status, SolveStatus::kOptimal) << rep->infeasibility;
  const auto d = std::find_if(rep->offers.begin(), rep->offers.end(),
                              [](const OfferDecision& x) { return x.id == kOffer; });
  ASSERT_NE(d, rep->offers.end());
  ASSERT_EQ(d->unit, "mw");
  ASSERT_GT(d->terminal_months, 0) << "the deal runs past the horizon (else this tests nothing)";
  const double q = d->quantity_in_unit;
  const double max_mw = d->max_chips / d->chips_per_unit;
  // Objective changes are tens of billions of USD; a millionth of the
  // objective is the solver's gap.
  const double tol = 1e-6 * std::fabs(rep->objective_usd);
  if (d->sign) {
    SCOPED_TRACE("the plan signs " + std::to_string(q) + " MW");
    const OfferEvaluation at = EvaluateAt(*fleet, q);
    EXPECT_GE(at.objective_change_usd, -tol) << at.verdict;
    if (q + kStepMw <= max_mw * (1 + 1e-9)) {
      const OfferEvaluation more = EvaluateAt(*fleet, q + kStepMw);
      EXPECT_LE(more.objective_change_usd, at.objective_change_usd + tol)
          << "one step more would have been worth signing: " << more.verdict;
    }
  } else {
    const OfferEvaluation min = EvaluateAt(*fleet, kStepMw);
    EXPECT_LE(min.objective_change_usd, tol) << min.verdict;
  }
}

}  // namespace
}  // namespace fungible

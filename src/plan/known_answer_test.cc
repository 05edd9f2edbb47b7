// Procurement cases whose optimum is known on paper: the newsvendor, an
// all-or-nothing offer either side of its breakeven price, an option worth
// exercising only when demand is high. Each is solved both ways (extensive
// form and Benders decomposition).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "plan/evaluate.h"
#include "plan/plan_test_util.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

using plan_test::ChipsScenario;
using plan_test::kRevenuePerChipHour;
using plan_test::ParseOrDie;
using plan_test::SolveOrDie;
using plan_test::Spec;

const PlanMethod kMethods[] = {PlanMethod::kExtensive, PlanMethod::kDecomposition};

std::string DivisibleOffer(double price) {
  return "  - {id: gpu, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 1000, start: 2027-01-01, "
         "duration_months: 1, usd_per_chip_hour: " +
         std::to_string(price) + "}\n";
}

std::vector<PlanScenario> LowHigh(const PlanProblem& pr) {
  return {ChipsScenario(pr, "low", 0.6, {100}), ChipsScenario(pr, "high", 0.4, {300})};
}

PlanProblem NewsvendorProblem(double price) {
  auto pr = BuildPlanProblem(ParseOrDie(Spec(DivisibleOffer(price))));
  EXPECT_TRUE(pr.ok()) << pr.status().ToString();
  PlanProblem p = *pr;
  p.scenarios = LowHigh(p);
  return p;
}

// Newsvendor: buy q at c per chip-hour, sell min(q, D) at r. The optimum is
// the smallest q with P(D <= q) >= 1 - c / r: with P(D = 100) = 0.6 and
// r = 9, q* = 300 for c = 3 (1 - 3/9 = 0.67 > 0.6) and q* = 100 for c = 4
// (1 - 4/9 = 0.56 <= 0.6). Expected profit per hour at c = 3:
// 9 x (0.6 x 100 + 0.4 x 300) - 3 x 300 = 720.
TEST(KnownAnswer, NewsvendorMatchesTheCriticalRatio) {
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const PlanProblem cheap = NewsvendorProblem(3.0);
    const ProgramSolution a = SolveOrDie(cheap, m);
    ASSERT_EQ(a.chips.size(), 1u);
    EXPECT_NEAR(a.chips[0], 300, 1e-4);
    const double hours = cheap.hours[0];  // 744 in January
    EXPECT_NEAR(ObjectiveUsd(cheap, a), 720 * hours, 1.0);
    double expected_profit = 0;
    for (size_t s = 0; s < a.outcomes.size(); ++s)
      expected_profit += cheap.scenarios[s].probability * a.outcomes[s].value_usd;
    EXPECT_NEAR(expected_profit, 720 * hours, 1.0);
    EXPECT_NEAR(a.outcomes[0].value_usd, (9 * 100 - 3 * 300) * hours, 1.0);  // low: 200 chips idle
    EXPECT_NEAR(a.outcomes[1].value_usd, (9 * 300 - 3 * 300) * hours, 1.0);

    const PlanProblem dear = NewsvendorProblem(4.0);
    const ProgramSolution b = SolveOrDie(dear, m);
    EXPECT_NEAR(b.chips[0], 100, 1e-4);
    EXPECT_NEAR(ObjectiveUsd(dear, b), (9 - 4) * 100 * hours, 1.0);
  }
}

// At the critical price c = r x P(high) = 3.6 every q in [100, 300] is
// optimal; the expected profit is the same whatever the solver picks.
TEST(KnownAnswer, NewsvendorAtTheCriticalPriceIsIndifferent) {
  const PlanProblem pr = NewsvendorProblem(3.6);
  for (PlanMethod m : kMethods) {
    const ProgramSolution s = SolveOrDie(pr, m);
    EXPECT_GE(s.chips[0], 100 - 1e-4);
    EXPECT_LE(s.chips[0], 300 + 1e-4);
    EXPECT_NEAR(ObjectiveUsd(pr, s), (9 - 3.6) * 100 * pr.hours[0], 1.0);
  }
}

// All or nothing: 300 chips or none. Expected served chips if signed:
// 0.5 x 100 + 0.5 x 300 = 200, worth 9 x 200 = 1800 an hour against
// 300 x c: the breakeven price is 6.
std::string AllOrNothing(double price) {
  return "  - {id: block, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 300, divisible: false, "
         "start: 2027-01-01, duration_months: 1, usd_per_chip_hour: " +
         std::to_string(price) + "}\n";
}

std::vector<PlanScenario> EvenLowHigh(const PlanProblem& pr) {
  return {ChipsScenario(pr, "low", 0.5, {100}), ChipsScenario(pr, "high", 0.5, {300})};
}

TEST(KnownAnswer, AllOrNothingOfferEitherSideOfBreakeven) {
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    auto below = BuildPlanProblem(ParseOrDie(Spec(AllOrNothing(5.99))));
    ASSERT_TRUE(below.ok());
    below->scenarios = EvenLowHigh(*below);
    const ProgramSolution a = SolveOrDie(*below, m);
    EXPECT_TRUE(a.mip);
    EXPECT_NEAR(a.chips[0], 300, 1e-6);
    EXPECT_NEAR(ObjectiveUsd(*below, a), (1800 - 300 * 5.99) * below->hours[0], 1.0);

    auto above = BuildPlanProblem(ParseOrDie(Spec(AllOrNothing(6.01))));
    ASSERT_TRUE(above.ok());
    above->scenarios = EvenLowHigh(*above);
    const ProgramSolution b = SolveOrDie(*above, m);
    EXPECT_NEAR(b.chips[0], 0, 1e-6);
    EXPECT_NEAR(ObjectiveUsd(*above, b), 0, 1.0);
  }
}

// A divisible offer with a minimum: 250 chips at least. At c = 3 the
// unconstrained optimum (300) is above the minimum; at c = 5 it is 100,
// below the minimum, so the choice is 0 or 250: 250 chips earn
// 9 x (0.5 x 100 + 0.5 x 250) - 5 x 250 = 325 an hour > 0.
TEST(KnownAnswer, MinimumQuantityIsSemiContinuous) {
  auto with_min = [](double price) {
    return "  - {id: gpu, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 1000, min_quantity: "
           "250, "
           "start: 2027-01-01, duration_months: 1, usd_per_chip_hour: " +
           std::to_string(price) + "}\n";
  };
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    auto pr = BuildPlanProblem(ParseOrDie(Spec(with_min(5.0))));
    ASSERT_TRUE(pr.ok());
    pr->scenarios = EvenLowHigh(*pr);
    const ProgramSolution s = SolveOrDie(*pr, m);
    EXPECT_NEAR(s.chips[0], 250, 1e-4);
    EXPECT_NEAR(ObjectiveUsd(*pr, s), 325 * pr->hours[0], 1.0);
  }
}

// Three months. The offer (100 chips at $2) covers a steady 100 chips of
// demand; in month 3 demand triples in the high scenario only. An option to
// expand by up to 200 chips at $6 with one month's notice earns 9 - 6 = 3
// per chip-hour there, and would lose 6 per chip-hour in the low scenario.
TEST(KnownAnswer, OptionIsExercisedOnlyInTheHighScenario) {
  const std::string offer =
      "  - id: gpu\n    provider: x\n    kind: reserved\n    chip_type: h100-sxm\n    quantity: 100\n"
      "    start: 2027-01-01\n    duration_months: 3\n    usd_per_chip_hour: 2\n    options:\n"
      "      - {kind: expand, notice_months: 1, max_fraction: 2, usd_per_chip_hour: 6}\n";
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    auto pr = BuildPlanProblem(ParseOrDie(Spec(offer, 3)));
    ASSERT_TRUE(pr.ok()) << pr.status().ToString();
    pr->scenarios = {ChipsScenario(*pr, "low", 0.5, {100, 100, 100}),
                     ChipsScenario(*pr, "high", 0.5, {100, 100, 300})};
    const ProgramSolution s = SolveOrDie(*pr, m);
    EXPECT_NEAR(s.chips[0], 100, 1e-4);
    ASSERT_EQ(s.outcomes.size(), 2u);
    EXPECT_NEAR(s.outcomes[0].option_chips[0][0], 0, 1e-4);    // low: not exercised
    EXPECT_NEAR(s.outcomes[1].option_chips[0][0], 200, 1e-4);  // high: all 200
    const double h = pr->hours[0] + pr->hours[1] + pr->hours[2];
    const double base = (9 - 2) * 100 * h;
    EXPECT_NEAR(s.outcomes[0].value_usd, base, 1.0);
    EXPECT_NEAR(s.outcomes[1].value_usd, base + (9 - 6) * 200 * pr->hours[2], 1.0);
  }
}

// A reduce option with notice: give back chips once demand has fallen. The
// low scenario drops to 40 chips from month 2; reducing by 60 chips (fee $100
// each) from month 3 saves 60 x $5 x hours(month 3) > fee.
TEST(KnownAnswer, ReduceOptionGivesBackIdleChips) {
  const std::string offer =
      "  - id: gpu\n    provider: x\n    kind: reserved\n    chip_type: h100-sxm\n    quantity: 100\n"
      "    start: 2027-01-01\n    duration_months: 3\n    usd_per_chip_hour: 5\n    options:\n"
      "      - {kind: reduce, notice_months: 1, max_fraction: 0.8, fee_usd_per_chip: 100}\n";
  auto pr = BuildPlanProblem(ParseOrDie(Spec(offer, 3)));
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  pr->scenarios = {ChipsScenario(*pr, "low", 0.5, {100, 40, 40}),
                   ChipsScenario(*pr, "high", 0.5, {100, 100, 100})};
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const ProgramSolution s = SolveOrDie(*pr, m);
    EXPECT_NEAR(s.chips[0], 100, 1e-4);
    // Exercised in month 1 (effect month 2): 60 chips idle in months 2 and 3.
    EXPECT_NEAR(s.outcomes[0].option_chips[0][0], 60, 1e-4);
    EXPECT_NEAR(s.outcomes[1].option_chips[0][0], 0, 1e-4);
    const double saved = 60 * 5 * (pr->hours[1] + pr->hours[2]) - 60 * 100;
    const double h = pr->hours[0] + pr->hours[1] + pr->hours[2];
    EXPECT_NEAR(s.outcomes[0].value_usd,
                9 * (100 * pr->hours[0] + 40 * (h - pr->hours[0])) - 5 * 100 * h + saved, 1.0);
  }
}

// CVaR (Rockafellar-Uryasev) with alpha = 0.5 over two equally likely
// scenarios is the loss of the worse one. The objective is then
// E[profit] + lambda x profit(low); on q in [100, 300] its slope is
// 0.5 x (-3) + 0.5 x 6 - 3 lambda = 1.5 - 3 lambda per chip-hour: buy 300 below
// lambda = 0.5, 100 above.
TEST(KnownAnswer, RiskAversionBuysLessThanTheNewsvendor) {
  for (double lambda : {0.4, 0.6}) {
    const std::string plan = "  risk_aversion: " + std::to_string(lambda) + "\n  cvar_alpha: 0.5\n";
    auto pr = BuildPlanProblem(ParseOrDie(Spec(DivisibleOffer(3.0), 1, plan)));
    ASSERT_TRUE(pr.ok());
    pr->scenarios = EvenLowHigh(*pr);
    const double h = pr->hours[0];
    for (PlanMethod m : kMethods) {
      SCOPED_TRACE(std::string(PlanMethodName(m)) + " lambda " + std::to_string(lambda));
      const ProgramSolution s = SolveOrDie(*pr, m);
      if (lambda < 0.5) {
        EXPECT_NEAR(s.chips[0], 300, 1e-3);
        EXPECT_NEAR(ObjectiveUsd(*pr, s), 900 * h, 1.0);  // E = 900, CVaR of loss = 0
      } else {
        EXPECT_NEAR(s.chips[0], 100, 1e-3);
        EXPECT_NEAR(ObjectiveUsd(*pr, s), (600 + 0.6 * 600) * h, 1.0);
      }
      std::vector<double> profit = {s.outcomes[0].value_usd, s.outcomes[1].value_usd};
      EXPECT_NEAR(CvarOfLossUsd(profit, {0.5, 0.5}, 0.5), -std::min(profit[0], profit[1]), 1e-6);
    }
  }
}

// A cash floor of 0 over one month: cash = profit. Beyond q = 900 / 3.5 =
// 257.14 chips the low scenario ends the month below the floor, and each
// dollar below costs 100: the plan stops there.
TEST(KnownAnswer, CashFloorCapsTheQuantity) {
  auto pr = BuildPlanProblem(
      ParseOrDie(Spec(DivisibleOffer(3.5), 1, "  cash_floor_usd: 0\n  cash_shortfall_penalty: 100\n")));
  ASSERT_TRUE(pr.ok());
  pr->scenarios = EvenLowHigh(*pr);
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const ProgramSolution s = SolveOrDie(*pr, m);
    EXPECT_NEAR(s.chips[0], 900 / 3.5, 1e-3);
    EXPECT_EQ(s.outcomes[0].breach_months, 0);
    EXPECT_NEAR(s.outcomes[0].min_cash_usd, 0, 1.0);
  }
  // Without the floor the newsvendor buys 300 and the low scenario breaches.
  auto loose = BuildPlanProblem(ParseOrDie(Spec(DivisibleOffer(3.5), 1, "  cash_floor_usd: -1.0e9\n")));
  ASSERT_TRUE(loose.ok());
  loose->scenarios = EvenLowHigh(*loose);
  EXPECT_NEAR(SolveOrDie(*loose, PlanMethod::kExtensive).chips[0], 300, 1e-3);
}

// On demand: no commitment, paid per used chip-hour; a take-or-pay offer with
// half prepaid: the same profit, different cash.
TEST(KnownAnswer, OnDemandPaysPerUseAndPrepaymentMovesCash) {
  const std::string offers =
      "  - {id: od, provider: x, kind: on_demand, chip_type: h100-sxm, quantity: 100, start: 2027-01-01, "
      "duration_months: 2, usd_per_chip_hour: 5}\n"
      "  - {id: pre, provider: y, kind: reserved, chip_type: h100-sxm, quantity: 40, start: 2027-01-01, "
      "duration_months: 2, usd_per_chip_hour: 2, prepayment_fraction: 0.5}\n";
  auto pr = BuildPlanProblem(ParseOrDie(Spec(offers, 2)));
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  pr->scenarios = {ChipsScenario(*pr, "low", 0.5, {50, 50}), ChipsScenario(*pr, "high", 0.5, {150, 150})};
  const double h0 = pr->hours[0], h1 = pr->hours[1];
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const ProgramSolution s = SolveOrDie(*pr, m);
    EXPECT_EQ(s.chips[0], 0);           // on demand: nothing to sign
    EXPECT_NEAR(s.chips[1], 40, 1e-6);  // $2 < $9: all of it
    // low: 40 reserved + 10 on demand; high: 40 + 100 (the on-demand cap).
    EXPECT_NEAR(s.outcomes[0].value_usd, (9 * 50 - 2 * 40 - 5 * 10) * (h0 + h1), 1.0);
    EXPECT_NEAR(s.outcomes[1].value_usd, (9 * 140 - 2 * 40 - 5 * 100) * (h0 + h1), 1.0);
    // Cash: half of the whole contract (2 x 40 x (h0 + h1)) at signing, the
    // other half month by month.
    const double prepaid = 0.5 * 2 * 40 * (h0 + h1);
    EXPECT_NEAR(s.outcomes[0].cash_usd[0], (9 * 50 - 5 * 10 - 0.5 * 2 * 40) * h0 - prepaid, 1.0);
    EXPECT_NEAR(s.outcomes[0].cash_usd[1], s.outcomes[0].value_usd, 1.0);
  }
}

// Deal evaluation on the newsvendor: against an empty portfolio, 300 chips at
// $3 add 9 x E[min(300, D)] - 3 x 300 = 720 an hour; the breakeven price is
// 9 x 180 / 300 = 5.40; the low scenario (p = 0.6) uses a third of them.
TEST(KnownAnswer, EvaluateTheNewsvendorOffer) {
  const Fleet fleet = plan_test::ParseOrDie(plan_test::Spec(
      "  - {id: gpu, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 300, start: 2027-01-01, "
      "duration_months: 1, usd_per_chip_hour: 3}\n"));
  auto layout = BuildPlanProblem(fleet);
  ASSERT_TRUE(layout.ok());
  const double h = layout->hours[0];
  const std::vector<PlanScenario> scenarios = {plan_test::ChipsScenario(*layout, "low", 0.6, {100}),
                                               plan_test::ChipsScenario(*layout, "high", 0.4, {300})};
  EvaluateOptions o;
  o.solve.threads = 1;
  auto ev = EvaluateOfferOn(fleet, scenarios, "gpu", o);
  ASSERT_TRUE(ev.ok()) << ev.status().ToString();
  EXPECT_NEAR(ev->expected_value_change_usd, 720 * h, 1.0);
  EXPECT_NEAR(ev->objective_change_usd, 720 * h, 1.0);
  EXPECT_NEAR(ev->value_change_usd[0], (900 - 900) * h, 1.0);
  EXPECT_NEAR(ev->value_change_usd[1], (2700 - 900) * h, 1.0);
  ASSERT_TRUE(ev->breakeven_usd_per_chip_hour);
  EXPECT_NEAR(*ev->breakeven_usd_per_chip_hour, 5.4, 1e-4);
  EXPECT_NEAR(ev->used_share[0], 1.0 / 3, 1e-6);
  EXPECT_NEAR(ev->used_share[1], 1.0, 1e-6);
  EXPECT_NEAR(ev->used_share_spread.p50, 1.0 / 3, 1e-6);
  EXPECT_NEAR(ev->cost_usd, 3 * 300 * h, 1e-6);
  ASSERT_EQ(ev->months.size(), 1u);
  ASSERT_EQ(ev->classes.size(), 1u);  // the serving class
  // $3 per usable chip-hour, 3.6 million tokens a chip-hour.
  EXPECT_EQ(ev->classes[0].unit, "million output tokens");
  EXPECT_NEAR(ev->months[0].usd_per_unit[0], 3 / 3.6, 1e-9);
  // Used: 0.6 x 100 + 0.4 x 300 = 180 of 300 chips on average.
  EXPECT_NEAR(ev->months[0].usd_per_used_unit[0], 3 * 300 / 180.0 / 3.6, 1e-9);
  EXPECT_THAT(ev->verdict, ::testing::HasSubstr("Sign gpu"));
  EXPECT_THAT(ev->verdict, ::testing::HasSubstr("Breakeven $5.40 per chip-hour"));

  // Too dear: at $6 the offer loses 6 x 300 - 9 x 180 = 180 an hour.
  Fleet dear = fleet;
  dear.offers[0].usd_per_chip_hour = 6.0;
  auto ev2 = EvaluateOfferOn(dear, scenarios, "gpu", o);
  ASSERT_TRUE(ev2.ok());
  EXPECT_NEAR(ev2->objective_change_usd, -180 * h, 1.0);
  EXPECT_NEAR(*ev2->breakeven_usd_per_chip_hour, 5.4, 1e-4);
  EXPECT_THAT(ev2->verdict, ::testing::HasSubstr("Do not sign gpu"));
  EXPECT_THAT(EvaluateOfferOn(fleet, scenarios, "nope", o),
              StatusIs(StatusCode::kNotFound, ::testing::HasSubstr("no offer \"nope\" (offers: gpu)")));
}

}  // namespace
}  // namespace fungible

namespace fungible {
namespace {

// Efficiency in procurement: a launch before the planned month serves 1.5x
// the tokens per chip (throughput_multiplier). The same token demand (100 or
// 300 chips' worth at the listed throughput, P = 0.6 / 0.4) then needs
// 1/1.5 of the chips, and a served chip-hour earns 1.5 x 9 = 13.5. At c = 3
// the newsvendor signs 300 / 1.5 = 200 chips (not 300); at c = 4 it signs
// 200 too, since 1 - 4 / 13.5 = 0.70 > 0.6 (without the multiplier: 100).
// Expected profit per hour at c = 3: 13.5 x (0.6 x 66.7 + 0.4 x 200) - 3 x 200 = 1020.
TEST(KnownAnswer, ThroughputMultiplierScalesTheSignedQuantity) {
  const std::string launch = R"(demand:
  - model: m
    output_tokens_per_hour: 1.0e9
    as_of: 2026-12-01
    growth:
      launches:
        - {date: 2026-12-15, multiplier_median: 1.0, throughput_multiplier: 1.5}
)";
  for (PlanMethod method : kMethods) {
    SCOPED_TRACE(PlanMethodName(method));
    for (double price : {3.0, 4.0}) {
      auto pr = BuildPlanProblem(ParseOrDie(Spec(DivisibleOffer(price), 1, "", launch)));
      ASSERT_TRUE(pr.ok()) << pr.status().ToString();
      ASSERT_EQ(pr->throughput_factor.size(), 1u);
      EXPECT_NEAR(pr->throughput_factor[0][0], 1.5, 1e-12);
      pr->scenarios = LowHigh(*pr);
      const ProgramSolution s = SolveOrDie(*pr, method);
      ASSERT_EQ(s.chips.size(), 1u);
      EXPECT_NEAR(s.chips[0], 200, 1e-3) << "price " << price;
      const double h = pr->hours[0];
      EXPECT_NEAR(ObjectiveUsd(*pr, s), (13.5 * (0.6 * 100 / 1.5 + 0.4 * 200) - price * 200) * h, 1.0);
      // Tokens served are tokens: all of the high scenario's demand.
      EXPECT_NEAR(s.outcomes[1].served_output_tokens, s.outcomes[1].demand_output_tokens,
                  1e-6 * s.outcomes[1].demand_output_tokens);
    }
  }
}

// Continuous efficiency gains: 3% a month from as_of 2027-01-01 make
// January's chips serve, on average over its 744 hours, (e^{a} - 1) / a
// times the listed tokens, a = ln(1.03) x 744 / 730; February starts at
// 1.03^(744 / 730) and averages (e^{b} - 1) / b on top, b = ln(1.03) x 672 / 730.
TEST(KnownAnswer, ContinuousEfficiencyGainIsTheMonthsAverage) {
  const std::string gain = R"(demand:
  - model: m
    output_tokens_per_hour: 1.0e9
    as_of: 2027-01-01
)";
  std::string spec = Spec(DivisibleOffer(3.0), 2, "", gain);
  const std::string at = "output_tokens_per_s_per_chip: {h100-sxm: 1000}\n";
  spec.replace(spec.find(at), at.size(), at + "    efficiency_gain_per_month: 0.03\n");
  auto pr = BuildPlanProblem(ParseOrDie(spec));
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  const double a = std::log(1.03) * 744 / 730;
  EXPECT_NEAR(pr->throughput_factor[0][0], (std::exp(a) - 1) / a, 1e-5);
  const double b = std::log(1.03) * 672 / 730;  // February, from hour 744
  EXPECT_NEAR(pr->throughput_factor[0][1], std::pow(1.03, 744.0 / 730) * (std::exp(b) - 1) / b, 1e-5);
}

// Deals over their whole term (docs/plan.md): a 4-month all-or-nothing block
// of 100 H100 (2027-01..04) on a 2-month plan (January 744 h, February
// 672 h); March 744 h and April 720 h are the terminal months. The rule
// last-month values a usable chip-hour there at what signing the block in
// full adds to February's value over not signing it, per usable chip-hour it
// adds in February, less 0.5^((k + 0.5) / 24.84) in month k after the
// horizon, and charges the exact payments 1464 h x price.
struct TermCase {
  double price;
  std::string committed;  // contracts and pools
  std::vector<double> demand_chips;
};

PlanReport PlanTerm(const TermCase& c, TerminalValueRule rule, PlanMethod method) {
  const std::string block =
      "  - {id: block, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 100, divisible: false, "
      "start: 2027-01-01, duration_months: 4, usd_per_chip_hour: " +
      std::to_string(c.price) + "}\n";
  auto pr = BuildPlanProblem(ParseOrDie(Spec(block, 2, "", c.committed)));
  EXPECT_TRUE(pr.ok()) << pr.status().ToString();
  pr->scenarios = {ChipsScenario(*pr, "only", 1.0, c.demand_chips)};
  PlanRunOptions o;
  o.vss = o.evpi = o.mismatch = false;
  o.terminal_value = rule;
  o.solve.method = method;
  o.solve.threads = 1;
  o.solve.relative_gap = 1e-7;
  auto rep = PlanFromProblem(*pr, {}, o);
  EXPECT_TRUE(rep.ok()) << rep.status().ToString();
  return rep.ok() ? *rep : PlanReport{};
}

// Usable chip-hours of one chip in March and April, declined.
double TerminalHours() {
  return 744 * std::pow(0.5, 0.5 / kTerminalValueHalvingMonths) +
         720 * std::pow(0.5, 1.5 / kTerminalValueHalvingMonths);
}

// Payments after the horizon exceed the value there. Demand 100 chips in
// January, 50 in February, no other chips. Inside the horizon the block
// earns 9 x (100 x 744 + 50 x 672) = $972,000 against 100 x 1416 h x $6 =
// $849,600: +$122,400, signed when judged on the planned months alone.
// In February the block adds 9 x 50 x 672 over not signing it, for 100 x
// 672 usable chip-hours: $4.50 each. After the horizon the block is worth 100 x 4.5 x
// TerminalHours() (= 100 x 4.5 x 1424.2 = $640,870) and pays 100 x 1464 x
// $6 = $878,400: whole-term value 122,400 + 640,870 - 878,400 = -$115,130,
// not signed; the decision value is that much.
TEST(KnownAnswer, WholeTermRefusesADealWhoseTailPaysMoreThanItIsWorth) {
  const TermCase c{6.0, "", {100, 50}};
  const double in_horizon = 9 * (100 * 744 + 50 * 672) - 100 * 1416 * 6.0;
  const double tail_value = 100 * 4.5 * TerminalHours(), tail_payments = 100 * 1464 * 6.0;
  ASSERT_GT(in_horizon, 0);
  ASSERT_GT(tail_payments, tail_value);
  ASSERT_LT(in_horizon + tail_value - tail_payments, 0);
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const PlanReport none = PlanTerm(c, TerminalValueRule::kNone, m);
    ASSERT_EQ(none.offers.size(), 1u);
    EXPECT_TRUE(none.offers[0].sign) << none.offers[0].why;
    EXPECT_NEAR(none.objective_usd, in_horizon, 1.0);
    EXPECT_EQ(none.terminal_value_rule, "none");
    EXPECT_EQ(none.offers[0].terminal_payment_usd_per_chip, 0);

    const PlanReport whole = PlanTerm(c, TerminalValueRule::kLastMonth, m);
    ASSERT_EQ(whole.offers.size(), 1u);
    const OfferDecision& d = whole.offers[0];
    EXPECT_FALSE(d.sign) << d.why;
    EXPECT_EQ(whole.terminal_value_rule, "last-month");
    EXPECT_EQ(d.terminal_months, 2);
    EXPECT_NEAR(d.terminal_usd_per_usable_chip_hour, 4.5, 1e-9);
    EXPECT_NEAR(d.terminal_payment_usd_per_chip, 1464 * 6.0, 1e-6);
    EXPECT_NEAR(d.terminal_value_usd_per_chip, 4.5 * TerminalHours(), 1e-6);
    EXPECT_NEAR(whole.objective_usd, 0, 1.0);
    ASSERT_TRUE(d.decision_value_usd.has_value());
    EXPECT_NEAR(*d.decision_value_usd, -(in_horizon + tail_value - tail_payments), 1.0);
  }
}

// And the other way: a committed pool of 100 H100 (to February) and demand
// of 100 chips in January, 200 in February. Inside the horizon the block
// earns only February's 100 extra chips: 9 x 100 x 672 = $604,800 against
// 100 x 1416 x $5 = $708,000: -$103,200, not signed on the planned months.
// In February the block adds 9 x 100 x 672 (the 100 chips of demand the
// committed pool cannot serve) for 100 x 672 usable chip-hours: $9 each, so
// after the horizon the block is worth 100 x 9 x TerminalHours() (= $1,281,741) and
// pays 100 x 1464 x $5 = $732,000: whole-term value +$446,541, signed.
TEST(KnownAnswer, WholeTermSignsADealWhoseTailIsWorthMoreThanItPays) {
  const std::string committed = R"(contracts:
  - {id: held, provider: y, kind: reserved, start: 2026-01-01, end: 2027-03-01, usd_per_chip_hour: 2.0}
pools:
  - {id: held-h100, chip_type: h100-sxm, chips: 100, region: us, contract: held, availability: 1.0}
)";
  const TermCase c{5.0, committed, {100, 200}};
  const double in_horizon = 9 * 100 * 672 - 100 * 1416 * 5.0;
  const double tail_value = 100 * 9 * TerminalHours(), tail_payments = 100 * 1464 * 5.0;
  ASSERT_LT(in_horizon, 0);
  ASSERT_GT(in_horizon + tail_value - tail_payments, 0);
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    const PlanReport none = PlanTerm(c, TerminalValueRule::kNone, m);
    ASSERT_EQ(none.offers.size(), 1u);
    EXPECT_FALSE(none.offers[0].sign) << none.offers[0].why;

    const PlanReport whole = PlanTerm(c, TerminalValueRule::kLastMonth, m);
    ASSERT_EQ(whole.offers.size(), 1u);
    const OfferDecision& d = whole.offers[0];
    EXPECT_TRUE(d.sign) << d.why;
    EXPECT_NEAR(d.terminal_usd_per_usable_chip_hour, 9.0, 1e-6);
    EXPECT_NEAR(d.terminal_value_usd, tail_value, 1e-3);
    EXPECT_NEAR(d.terminal_payments_usd, tail_payments, 1e-6);
    ASSERT_TRUE(d.decision_value_usd.has_value());
    EXPECT_NEAR(*d.decision_value_usd, in_horizon + tail_value - tail_payments, 1.0);
    EXPECT_NEAR(whole.terminal_value_usd.mean - whole.terminal_payments_usd.mean, tail_value - tail_payments,
                1e-3);
  }
}

// A divisible deal is valued after the horizon at the quantity signed: its
// terminal value is a concave curve in the chips, not the whole offer's
// average. A divisible block of up to 200 H100 (2027-01..04, $5 a
// chip-hour) on the 2-month plan, with the committed 100 H100 to February
// and demand of 100 chips in January and 200 in February: in February only
// the first 100 chips of the block serve (100 chips of demand the committed
// pool cannot), so what q chips add to February is 9 x min(q, 100) x 672 and
// after the horizon they are worth 9 x min(q, 100) x TerminalHours()
// (TV(q): the grid 0, 12.5, 25, 50, 100, 200 has the knee at 100). Per chip:
//   q <= 100:  inside 9 x 672 - 1416 x 5 = -$1,032; after 9 x TerminalHours()
//              (= $12,818) - 1464 x 5 (= $7,320) = +$5,498: +$4,466 a chip;
//   q > 100:   inside -$7,080, after 0 - $7,320: -$14,400 a chip.
// The marginal terminal value ($12,818, then 0) crosses the payment ($7,320)
// at 100 chips: the plan signs 100 and adds 100 x $4,466 to the committed
// pool's $991,200. The
// whole offer's average (the rule before: 200 chips add 9 x 100 x 672 to
// February for 200 x 672 usable chip-hours, $4.50 each, linear in q) gives a
// chip 4.5 x TerminalHours() = $6,409 after the horizon: -$1,032 + $6,409 -
// $7,320 < 0 for the first 100, so it signed none.
TEST(KnownAnswer, WholeTermSignsADivisibleDealUpToWhereItsMarginalTailPaysItsPayments) {
  const std::string committed = R"(contracts:
  - {id: held, provider: y, kind: reserved, start: 2026-01-01, end: 2027-03-01, usd_per_chip_hour: 2.0}
pools:
  - {id: held-h100, chip_type: h100-sxm, chips: 100, region: us, contract: held, availability: 1.0}
)";
  const std::string block =
      "  - {id: block, provider: x, kind: reserved, chip_type: h100-sxm, quantity: 200, divisible: true, "
      "start: 2027-01-01, duration_months: 4, usd_per_chip_hour: 5.0}\n";
  auto pr = BuildPlanProblem(ParseOrDie(Spec(block, 2, "", committed)));
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  pr->scenarios = {ChipsScenario(*pr, "only", 1.0, {100, 200})};
  const double inside = 9 * 672 - 1416 * 5.0, tail = 9 * TerminalHours(), paid = 1464 * 5.0;
  ASSERT_LT(inside, 0);
  ASSERT_GT(tail, paid);                                // the first chips' tail pays for them
  ASSERT_GT(inside + tail - paid, 0);                   // and the first chips are worth signing
  ASSERT_LT(inside + 4.5 * TerminalHours() - paid, 0);  // at the whole offer's average they were not
  EXPECT_EQ(TerminalGrid(pr->offers[0], 0.0), (std::vector<double>{0, 12.5, 25, 50, 100, 200}));
  for (PlanMethod m : kMethods) {
    SCOPED_TRACE(PlanMethodName(m));
    PlanRunOptions o;
    o.vss = o.evpi = o.mismatch = false;
    o.solve.method = m;
    o.solve.threads = 1;
    o.solve.relative_gap = 1e-7;
    auto rep = PlanFromProblem(*pr, {}, o);
    ASSERT_TRUE(rep.ok()) << rep.status().ToString();
    ASSERT_EQ(rep->offers.size(), 1u);
    const OfferDecision& d = rep->offers[0];
    EXPECT_NEAR(d.chips, 100, 1e-6) << d.why;
    // The committed pool serves 100 chips in both months at $2 a chip-hour.
    const double committed_value = 9 * 100 * (744 + 672) - 100 * 1416 * 2.0;
    EXPECT_NEAR(rep->objective_usd, committed_value + 100 * (inside + tail - paid), 1.0);
    EXPECT_NEAR(d.terminal_value_usd, 100 * tail, 1e-3);
    EXPECT_NEAR(d.terminal_value_usd_per_chip, tail, 1e-6);
    EXPECT_NEAR(d.terminal_marginal_value_usd_per_chip, 0, 1e-6);  // the 101st chip idles
    EXPECT_NEAR(d.terminal_payments_usd, 100 * paid, 1e-6);

    // The whole offer's average rate (the rule before), given as the
    // scenario's linear terminal value: the same block is refused.
    PlanProblem average = *pr;
    average.scenarios[0].terminal_usd_per_usable_chip_hour = {4.5};
    auto before = PlanFromProblem(average, {}, o);
    ASSERT_TRUE(before.ok()) << before.status().ToString();
    EXPECT_NEAR(before->offers[0].chips, 0, 1e-6) << before->offers[0].why;
    EXPECT_NE(before->offers[0].sign, d.sign);
  }
}

// The measured points of a terminal curve become the least concave
// majorant of their running maximum: (0,0), (1,1), (2,3), (4,4), (8,3.5)
// -> running maximum (8,4); the point at 1 lies under the chord from 0 to 2
// (slope 1.5) and is lifted to 1.5; slopes 1.5, 1.5, 0.5, 0 (concave). Read
// back: linear between points, the next chip's and the last chip's slope
// either side of a bend.
TEST(KnownAnswer, TerminalCurveIsTheConcaveMajorantOfItsPoints) {
  const TerminalCurve c = ConcaveCurve({0, 1, 2, 4, 8}, {0, 1, 3, 4, 3.5});
  EXPECT_EQ(c.value_usd, (std::vector<double>{0, 1.5, 3, 4, 4}));
  EXPECT_EQ(c.segments(), 4);
  EXPECT_DOUBLE_EQ(c.ValueAt(3), 3.5);
  EXPECT_DOUBLE_EQ(c.ValueAt(6), 4);
  EXPECT_DOUBLE_EQ(c.SlopeAbove(2), 0.5);
  EXPECT_DOUBLE_EQ(c.SlopeBelow(2), 1.5);
  EXPECT_DOUBLE_EQ(c.SlopeAbove(0), 1.5);
  EXPECT_DOUBLE_EQ(c.SlopeBelow(8), 0);
  for (int k = 0; k < c.segments(); ++k) {
    EXPECT_NEAR(c.Intercept(k) + c.Slope(k) * c.chips[k], c.value_usd[k], 1e-12);
    if (k > 0) EXPECT_LE(c.Slope(k), c.Slope(k - 1));
  }
}

}  // namespace
}  // namespace fungible

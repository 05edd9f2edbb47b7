// `fungible plan`: which offers to sign, and what that plan does across the
// cone. Draws and reduces the scenarios, solves the two-stage program
// (solve.h), checks the cash floor, and reports the plan with its
// distribution, its value against simpler plans (VSS, EVPI) and the mismatch
// table (the plan bought for one point of the cone, landing at another).
// Never prints; the CLI formats the report.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "plan/problem.h"
#include "plan/solve.h"
#include "util/status.h"

namespace fungible {

struct PlanRunOptions {
  SolveOptions solve;
  bool vss = true;       // solve the expected-value problem and evaluate its plan
  bool evpi = true;      // solve every scenario on its own (wait-and-see)
  bool mismatch = true;  // plans for P10, P50, P90 of the cone, each on each
  // Value of each all-or-nothing (or minimum-quantity) decision: one more
  // solve per such offer, with the opposite decision.
  bool decision_values = true;
  // How contract months after the planned ones are judged (docs/plan.md,
  // "Deals over their whole term"). kLastMonth: a first solve without them,
  // and a few more per offer running past the horizon (the plan with it
  // fixed at each quantity of TerminalGrid), measure each scenario's last
  // planned month (SetTerminalValues); the plan is then solved with them,
  // and each point of the mismatch table is measured the same way on its
  // own plan. Scenarios that already carry terminal values keep theirs.
  TerminalValueRule terminal_value = TerminalValueRule::kLastMonth;
  // One run's passes over the scenarios re-use each other's work: every
  // scenario starts from its own last basis (ScenarioBases), and the plan
  // with terminal values from the cuts of the plan without them
  // (BendersCuts). false: every pass from scratch, the check that the
  // re-use changes nothing beyond the gap.
  bool reuse_passes = true;
  // Called as each step starts ("the plan", "VSS: ...", ...): progress for
  // the CLI. Never changes the result.
  std::function<void(const std::string& step)> on_step;
};

// Probability-weighted summary of a figure over the scenarios.
struct Spread {
  double mean = 0, p10 = 0, p50 = 0, p90 = 0;
};
Spread WeightedSpread(const std::vector<double>& values, const std::vector<double>& probability);
// The smallest value whose probability-weighted cumulative share reaches p.
double WeightedQuantile(const std::vector<double>& values, const std::vector<double>& probability, double p);

// Capital that would have to be raised to keep cash at or above the floor
// (plan.cash_floor_usd, or 0 without one) in the scenarios up to `quantile`
// of the need, and the month it must arrive by.
struct CapitalNeed {
  double quantile = 0;  // 0.9, 0.95
  double usd = 0;       // 0: none needed
  UtcSeconds by = 0;    // first month of a shortfall among those scenarios (0 when none)
};

struct OptionUse {
  std::string kind;  // "expand", "reduce", "terminate"
  int notice_months = 0;
  double probability_exercised = 0;
  double expected_chips = 0;  // added / removed, over the scenarios
};

struct OfferDecision {
  std::string id, provider, kind, chip_type;
  bool on_demand = false;
  bool all_or_nothing = false;
  double max_chips = 0;
  double chips = 0;             // signed (on-demand: available)
  double quantity_in_unit = 0;  // signed, in the offer's unit
  std::string unit;             // "chips" or "mw"
  double chips_per_unit = 1;
  bool sign = false;
  double usd_per_chip_hour = 0;
  double cost_usd_per_chip = 0;  // take-or-pay over the horizon (0 on demand)
  int contract_months = 0;
  int months_in_horizon = 0;            // planned months the contract covers
  double payment_share_in_horizon = 1;  // of its take-or-pay payments
  // The contract's months after the horizon (terminal value rule), for the
  // chips signed: expected value, exact payments; and a usable chip-hour's
  // expected value in the last planned month the rule carries forward.
  int terminal_months = 0;
  double terminal_value_usd = 0;
  double terminal_payments_usd = 0;
  double terminal_usd_per_usable_chip_hour = 0;
  // A divisible offer's terminal value depends on the quantity (a concave
  // curve per scenario): per signed chip it is the signed chips' average
  // (the first chip's when none is signed), and the usable chip-hour's value
  // above is that over its declined usable chip-hours.
  double terminal_value_usd_per_chip = 0;    // expected, per signed chip
  double terminal_payment_usd_per_chip = 0;  // exact, per signed chip
  // Expected terminal value of one more chip at the signed quantity (of the
  // last one when signed in full).
  double terminal_marginal_value_usd_per_chip = 0;
  // Expected marginal value of one more signed chip: gross over the horizon
  // (capacity it adds), and net over its whole term (less its cost, plus
  // terminal value less terminal payments): from the subproblems' duals.
  double value_usd_per_chip = 0;
  double net_usd_per_chip = 0;
  double expected_used_chip_hours = 0;  // on-demand and own-pool offers: what the allocation uses
  double pool_utilization = 0;          // expected utilization of the pool its chips join
  std::vector<OptionUse> options;
  // All-or-nothing offers and offers with a minimum: the objective with the
  // plan's decision minus the objective with the opposite one (the rest
  // re-optimised). The marginal value per chip says little about a block.
  std::optional<double> decision_value_usd;
  std::string why;  // one sentence
};

struct MismatchTable {
  std::vector<std::string> points;         // "P10", "P50", "P90"
  std::vector<std::vector<double>> chips;  // [plan i][offer]: what the plan bought for point i signs
  // [plan i][realised j]: value, cash profit and objective (value - penalties -
  // lambda x CVaR, here of one path: (1 + lambda) x value - penalties) of plan i when
  // point j happens.
  std::vector<std::vector<double>> value_usd;
  std::vector<std::vector<double>> cash_profit_usd;
  std::vector<std::vector<double>> objective_usd;
  std::vector<std::vector<double>> unserved_share;
  std::vector<std::vector<double>> utilization;
};

struct PlanReport {
  // kInfeasible: no plan meets the hard constraints (the cash floor in every
  // scenario); `infeasibility` says why in domain words (where in the spec,
  // by how much, in which month and scenario) and only the header fields
  // (fleet .. probability) are set.
  SolveStatus status = SolveStatus::kOptimal;
  std::string infeasibility;
  std::string fleet;
  UtcSeconds start = 0;
  int months = 0;
  int scenarios = 0;        // representatives K
  int drawn_scenarios = 0;  // N drawn from the cone before reduction
  double reduction_distance = 0;
  std::vector<std::string> scenario_names;
  std::vector<double> probability;
  ProgramSolution solution;  // first stage, outcomes per scenario, method, timing
  std::vector<OfferDecision> offers;
  // Money over the planned months, per scenario and then spread:
  //   cash profit = token revenue - compute cost (committed, offers, options,
  //                 per use): cash, never above revenue;
  //   imputed     = bid value of model development, research and internal
  //                 use: what the work is worth to the lab, not cash;
  //   value       = cash profit + imputed: what the plan maximises.
  double objective_usd = 0;  // expected value - expected penalties - lambda x CVaR
  double expected_value_usd = 0;
  double cvar_loss_usd = 0;  // CVaR at alpha of -value
  double risk_aversion = 0, cvar_alpha = 0;
  // Return on compute (docs/plan.md, one definition for every command):
  // E[revenue + imputed] / E[compute cost], and its cash part E[revenue] /
  // E[compute cost].
  double return_on_compute = 0;
  double cash_return_on_compute = 0;
  Spread value_usd, revenue_usd, compute_cost_usd, cash_profit_usd, imputed_value_usd;
  // The months of signed deals after the horizon (docs/plan.md, "Deals over
  // their whole term"): value = cash profit + imputed + terminal value -
  // terminal payments. The rule is TerminalValueRuleName's.
  std::string terminal_value_rule = "none";
  Spread terminal_value_usd, terminal_payments_usd;
  Spread utilization, unserved_share, min_cash_usd;
  // The cash path: end-of-month cash per planned month across the scenarios
  // (token revenue in, compute and operating costs out, financing in), the
  // operating costs and financing it carries, and the capital to raise.
  std::vector<Spread> cash_by_month_usd;  // [t]
  double operating_cost_usd = 0;          // over the planned months
  double financing_usd = 0;
  std::vector<CapitalNeed> capital_to_raise;  // at P90 and P95 of the need
  double unserved_share_limit = 0;
  double probability_unserved_over_limit = 0;
  std::optional<double> cash_floor_usd;
  double probability_cash_breach = 0;
  double expected_floor_shortfall_effective_chip_hours = 0;
  // VSS = RP - EEV and EVPI = WS - RP in the objective (USD, >= 0).
  std::optional<double> vss_usd, evpi_usd;
  std::vector<double> ev_plan_chips;  // [offer]: what planning for the mean scenario signs
  double eev_objective_usd = 0, ws_objective_usd = 0;
  std::optional<MismatchTable> mismatch;
  std::vector<std::string> warnings;
};

// The whole run from a spec.
StatusOr<PlanReport> RunPlan(const Fleet& fleet, const PlanRunOptions& options);

// Why no second stage meets every floor window in every scenario with the
// first stage within `bounds` (evaluate: the committed capacity and the
// offer judged), naming the floor, month, scenario and shortfall with
// `subject` as the plan; "" when some second stage meets them all.
StatusOr<std::string> FloorInfeasibility(const PlanProblem& pr, const FirstStageBounds& bounds,
                                         const std::string& subject, const SolveOptions& options);

// The same from a built problem with its scenarios (quantile_paths: the
// points of the mismatch table, may be empty).
StatusOr<PlanReport> PlanFromProblem(const PlanProblem& problem,
                                     const std::vector<PlanScenario>& quantile_paths,
                                     const PlanRunOptions& options);

// The terminal value rule kLastMonth, for offer `o`: in each scenario, what
// signing it adds in the last planned month — the fleet's value then
// (revenue less per-use cost, plus bid value) with the offer at `chips_with`
// less with it at `chips_without`, every other decision as solved — per
// usable chip-hour it adds that month (0 when it adds none, or when the
// value falls). `with` and `without` are solutions of `problem` without
// terminal values.
std::vector<double> TerminalRates(const PlanProblem& problem, int o, const ProgramSolution& without,
                                  const ProgramSolution& with, double chips_without, double chips_with);

// The quantities (chips) at which SetTerminalValues measures an offer's
// terminal value: 0 and the maximum; for a divisible offer also a geometric
// grid from lo = max(its minimum, max / 16) up to the maximum with a ratio
// of at most 2 (log2(max / lo) rounded up steps, at most 4: 5 points from
// lo), and `planned` (the plan's own quantity, measured already).
std::vector<double> TerminalGrid(const PlanOffer& offer, double planned);

// Sets every scenario's terminal values for `plan` (the first stage of a
// solution of `problem` without terminal values): for each offer with
// months after the horizon, the plan with the offer at each point q_i of
// TerminalGrid, every other decision as planned, the CVaR threshold too
// (one pass over the scenarios per point; the plan itself is one), and TerminalRates
// between q = 0 and q_i give the value of q_i chips after the horizon,
// TV_s(q_i) = rate x declined usable chip-hours x q_i. A divisible offer
// gets each scenario's TerminalCurve through them (made nondecreasing and
// concave, ConcaveCurve); an all-or-nothing one the rate at its maximum.
// `paths` (e.g. the mismatch table's points) get the probability-weighted
// mean.
Status SetTerminalValues(PlanProblem& problem, const ProgramSolution& plan, const SolveOptions& options,
                         std::vector<PlanScenario>* paths = nullptr);

// Decisions and their explanation for a solution of `problem`.
std::vector<OfferDecision> DescribeOffers(const PlanProblem& problem, const ProgramSolution& solution);

}  // namespace fungible

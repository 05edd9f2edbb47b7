// `fungible evaluate`: one offer against the current portfolio (committed
// contracts, with on-demand fallbacks still available), by the same
// two-stage program `plan` solves: the portfolio with the offer signed for
// its quantity against the portfolio without it, in every scenario of the
// cone. The same process serves a 9-month near-term deal and a multi-GW
// multi-year one; only the horizon differs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "plan/plan.h"
#include "plan/problem.h"
#include "plan/solve.h"
#include "util/status.h"

namespace fungible {

struct EvaluateOptions {
  SolveOptions solve;
  // Quantity to sign, in the offer's unit; nullopt = its whole quantity.
  std::optional<double> quantity;
  // How the offer's months after the horizon are judged (plan.h): kLastMonth
  // measures the last planned month with the offer signed, then solves again
  // with its terminal value and payments.
  TerminalValueRule terminal_value = TerminalValueRule::kLastMonth;
};

// One workload class that can run on the offer's chip, and what a chip-hour
// gives it: effective PFLOP-hours (efficiency x the H100's dense BF16 peak)
// for development, research and internal classes; million output tokens at
// the model's SLO for serving classes (their natural unit).
struct ClassOnChip {
  std::string id;
  std::string kind;
  double efficiency_h100_equiv = 0;  // H100-equivalents per chip (hardware x software maturity)
  std::string unit;                  // "effective PFLOP-hour" or "million output tokens"
  double units_per_chip_hour = 0;
};

struct MonthPricePerformance {
  UtcSeconds month = 0;
  double landed_chips = 0;         // month average, before availability
  double expected_used_share = 0;  // of its usable chip-hours, added use of that chip type over the scenarios
  double usd = 0;  // paid for the offer in the month (take-or-pay, or on-demand use), expected
  // Per class (parallel to OfferEvaluation::classes), USD per unit of the
  // class: of the chips landed and usable, and of the chips the allocation
  // actually uses (infinite when it uses none).
  std::vector<double> usd_per_unit;
  std::vector<double> usd_per_used_unit;
};

struct OfferEvaluation {
  // kInfeasible: the offer cannot be signed for `chips` (its limits);
  // `infeasibility` says why and only the offer's identity is set.
  SolveStatus status = SolveStatus::kOptimal;
  std::string infeasibility;
  std::string offer;
  std::string provider, kind, chip_type, unit;
  double quantity_in_unit = 0;
  double chips = 0;
  double usd_per_chip_hour = 0;
  int months_in_horizon = 0;            // planned months the contract covers
  int contract_months = 0;              // its whole term
  double payment_share_in_horizon = 1;  // of its take-or-pay payments inside the planned months
  // The months after the horizon (terminal value rule, "none" leaves them
  // out): expected value of its usable chip-hours, its exact payments, and
  // the last planned month's expected value per usable chip-hour carried
  // forward. In the value and objective changes, not in revenue or cost.
  std::string terminal_value_rule = "none";
  int terminal_months = 0;
  double terminal_value_usd = 0;
  double terminal_payments_usd = 0;
  double terminal_usd_per_usable_chip_hour = 0;
  double cost_usd = 0;  // expected payment for the offer over the horizon
  // Change from signing it (with - without), USD.
  double objective_change_usd = 0;  // in the plan's objective (value - penalties - lambda x CVaR)
  // Expected value = cash profit (revenue - compute cost) + imputed value
  // (bids of development, research and internal use), as plan.h defines.
  double expected_value_change_usd = 0;
  double expected_revenue_change_usd = 0;
  double expected_cost_change_usd = 0;
  double expected_imputed_value_change_usd = 0;
  double cvar_loss_change_usd = 0;  // negative: the worst outcomes get better
  double probability_cash_breach_before = 0, probability_cash_breach_after = 0;
  double unserved_share_before = 0, unserved_share_after = 0;  // expected
  std::vector<std::string> scenario_names;
  std::vector<double> probability;
  std::vector<double> value_change_usd;  // [s]
  Spread value_change;
  double probability_value_falls = 0;
  // Price per chip-hour at which signing neither adds nor takes away
  // objective (nullopt: worth nothing even free).
  std::optional<double> breakeven_usd_per_chip_hour;
  // Set instead when even the dearest price tried still paid: a lower bound.
  std::optional<double> breakeven_at_least_usd_per_chip_hour;
  std::vector<ClassOnChip> classes;
  std::vector<MonthPricePerformance> months;
  std::vector<double> used_share;  // [s]: share of its usable chip-hours the allocation uses (added use)
  Spread used_share_spread;
  std::string verdict;
};

// Errors: unknown offer id (with the ids there are), bad quantity, and
// anything RunPlan can fail on.
StatusOr<OfferEvaluation> EvaluateOffer(const Fleet& fleet, const std::string& offer_id,
                                        const EvaluateOptions& options);

// The same on given scenarios (instead of the cone's representatives).
StatusOr<OfferEvaluation> EvaluateOfferOn(const Fleet& fleet, const std::vector<PlanScenario>& scenarios,
                                          const std::string& offer_id, const EvaluateOptions& options);

}  // namespace fungible

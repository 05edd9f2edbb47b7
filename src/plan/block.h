// One scenario's second stage as LP rows and columns: the allocation model
// (AppendAllocationLp, the allocation engine's own model) over the planned
// months, with capacity of signed offers and exercised options added into its
// capacity rows, contract and option costs, the scenario's value, cash month
// by month against the floor, floor shortfalls, and the CVaR excess.
//
// Model of scenario s (money in millions of USD, see problem.h):
//   allocation:  AppendAllocationLp(instance_s) with capacity rows
//     sum_w x[p,w,t] - sum_{o on p} a_o (f_o[t] (q_o - R_o[t]) + g_o[t] E_o[t]) <= cap[p,t]
//   options:     E_o[t] = sum_{tau + notice <= t} e[o,tau]     (expand)
//                R_o[t] = sum_{tau + notice <= t} r[o,k,tau]   (reduce, terminate)
//                sum_tau e <= max_fraction q_o ; sum_tau r[k] <= max_fraction_k q_o ; sum_k,tau r <= q_o
//   value:       pi = token revenue + bid value - per-use cost - offer and option cost - committed cost
//                (cash profit = revenue - costs; bid value is imputed, not cash)
//   floors:      each floor row gets a shortfall column at floor_penalty
//   cash:        c[t] = c[t-1] + revenue - payments ;  c[t] + short[t] >= floor  (only with a floor)
//   CVaR:        u >= -pi - eta, u >= 0                         (only with risk_aversion > 0)
//   objective:   weight * (-value + costs + penalties + lambda / (1 - alpha) * u)
// The links (q_o of take-or-pay offers, and eta) are columns the caller
// provides: the master's own columns in the extensive form, fixed copies in a
// Benders subproblem.
#pragma once

#include <string>
#include <vector>

#include "allocate/allocation_lp.h"
#include "plan/problem.h"

namespace fungible {

struct BlockIndex {
  AllocationLpIndex alloc;
  std::vector<int> link_col;  // [j], as given
  int value_col = -1;
  int value_row = -1;
  int cvar_col = -1;                 // u
  std::vector<int> cash_col;         // [t]
  std::vector<int> cash_short_col;   // [t]
  std::vector<int> floor_short_col;  // parallel to alloc.floor_rows
  struct OptionCols {
    int offer = 0;
    int option = 0;
    std::vector<int> col;  // [tau] exercised in month tau; -1 = not exercisable then
  };
  std::vector<OptionCols> options;
  // Offers valued by a terminal curve: the column t_o of their terminal
  // value (millions of USD) and one row per segment of the curve,
  //   t_o - slope_k q_o <= intercept_k,
  // so t_o is the concave curve at q_o; -1 / empty for the others.
  // A probe column fixed at 0 with q_o's coefficients in those rows: its
  // reduced cost is the curve's part of q_o's (the slope the duals took,
  // either side of a breakpoint), read into ScenarioOutcome::terminal_gradient.
  std::vector<int> terminal_col;                // [offer]
  std::vector<std::vector<int>> terminal_rows;  // [offer][k]
  std::vector<int> terminal_probe_col;          // [offer]
  int first_column = 0, end_column = 0, first_row = 0, end_row = 0;
};

// Appends scenario `s`'s block to `lp` with objective weight `weight`.
// `link_col[j]` are existing columns of `lp` for problem.num_links() links.
// The structure depends only on which demands and bids are positive in `s`;
// a block built on ScenarioEnvelope() fits every scenario.
BlockIndex AppendScenarioBlock(const PlanProblem& problem, const PlanScenario& s, double weight,
                               const std::vector<int>& link_col, LpModel& lp, const std::string& prefix);

// A scenario with every demand and bid multiple at its maximum over the
// problem's scenarios, and each offer's terminal curve with the most
// segments: a block built on it has the rows and columns any scenario needs.
PlanScenario ScenarioEnvelope(const PlanProblem& problem);

// The bounds that carry scenario `s` into a block built on another scenario:
// demand rows' upper bounds and bid columns' upper bounds.
// With terminal values, also the signed-chip links' objective and value-row
// coefficients (their terminal net differs by scenario), and each terminal
// curve's segment rows (slope on the link, intercept as the row's upper
// bound; a scenario with fewer segments repeats its last one, one valued at
// a rate has the one line through 0).
struct ScenarioBounds {
  std::vector<std::pair<int, double>> row_upper;
  std::vector<std::pair<int, double>> col_upper;
  std::vector<std::pair<int, double>> col_objective;
  struct Coefficient {
    int row = 0, col = 0;
    double value = 0;
  };
  std::vector<Coefficient> coefficients;
};
ScenarioBounds BoundsFor(const PlanProblem& problem, const PlanScenario& s, const BlockIndex& block);

// What a solved block says about its scenario, in USD (not millions).
struct ScenarioOutcome {
  double objective = 0;  // the block's objective per unit weight, in millions of USD (Benders: V_s)
  double value_usd = 0;
  double revenue_usd = 0;    // token revenue
  double bid_value_usd = 0;  // value of research, internal and model development at their bids
  double cost_usd = 0;       // committed + offers + options + per-use; value = revenue + bids - cost
  double demand_output_tokens = 0;
  double served_output_tokens = 0;
  double capacity_chip_hours = 0;
  double used_chip_hours = 0;
  double min_cash_usd = 0;               // lowest end-of-month cash
  double cash_shortfall_usd_months = 0;  // sum over months of USD below the floor
  int breach_months = 0;
  double floor_shortfall_effective_chip_hours = 0;
  double cvar_excess_usd = 0;  // u
  // The signed offers' months after the horizon (terminal value rule; 0
  // without): their value and their take-or-pay payments, in value_usd
  // (value = cash profit + imputed + terminal value - terminal payments) but
  // not in revenue, cost or cash, which stay inside the planned months.
  double terminal_value_usd = 0;
  double terminal_payments_usd = 0;
  double penalty_usd = 0;  // floor and cash shortfalls at their penalties (in the objective, not in value)
  std::vector<double> cash_usd;                         // [t], end of month
  std::vector<double> pool_used_chip_hours;             // [p]
  std::vector<double> pool_capacity_chip_hours;         // [p]
  std::vector<std::vector<double>> pool_used_by_month;  // [p][t] chip-hours
  // The last planned month, per pool: what its chips earned (revenue less
  // per-use cost, plus bid value in proportion to chip-hours) and its usable
  // chip-hours; the terminal value rule reads them.
  std::vector<double> pool_value_last_month_usd;
  std::vector<double> pool_usable_last_month_chip_hours;
  std::vector<std::vector<double>> option_chips;  // [o][k], chips added / removed
  std::vector<double> link_gradient;  // d objective / d link (millions of USD per chip); Benders only
  // [offer]: the terminal curve's part of link_gradient (0 for offers
  // without a curve), millions of USD per chip.
  std::vector<double> terminal_gradient;
  // Shortfall of each floor window (parallel to the block's floor rows: one
  // per floored class and month), effective chip-hours.
  std::vector<double> floor_shortfall_by_window;

  double cash_profit_usd() const { return revenue_usd - cost_usd; }
  double unserved_share() const {
    return demand_output_tokens > 0 ? std::max(0.0, 1.0 - served_output_tokens / demand_output_tokens) : 0.0;
  }
  double utilization() const { return capacity_chip_hours > 0 ? used_chip_hours / capacity_chip_hours : 0.0; }
  bool breached() const { return breach_months > 0; }

  // Flat form for sending between processes.
  std::vector<double> Pack() const;
  static ScenarioOutcome Unpack(const double* data, size_t size);
};

// Reads scenario `s`'s outcome from the column values `x` of the LP holding
// `block` (link values are read from x[link_col]).
ScenarioOutcome ReadOutcome(const PlanProblem& problem, const PlanScenario& s, const BlockIndex& block,
                            const std::vector<double>& x);

}  // namespace fungible

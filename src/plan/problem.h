// The procurement problem in solver-ready form: the monthly allocation
// instance every scenario shares, the offers compiled to chips and monthly
// factors, the scenarios with their probabilities, and the program's
// settings. Built once from a Fleet; the LP builders (block.h) and solvers
// (solve.h) read it and never look at the spec again.
//
// Months: period t = 0..months-1 is the calendar month `month_start[t]`, of
// `hours[t]` hours. Money is USD in this struct; the LPs work in millions of
// USD (kUsdScale) to keep their coefficients near 1.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

inline constexpr double kUsdScale = 1e-6;  // LP money unit: one million USD

// What a divisible offer's months after the horizon are worth in one
// scenario as a function of the chips signed (docs/plan.md, "Deals over
// their whole term"): piecewise linear through (chips[i], value_usd[i]),
// chips[0] = 0 and value_usd[0] = 0 up to the offer's maximum, concave
// (each further chip adds no more than the one before) and nondecreasing
// (a chip can sit idle). Terminal payments are not in it (exact, linear).
struct TerminalCurve {
  std::vector<double> chips;      // increasing, from 0
  std::vector<double> value_usd;  // at chips[i]
  bool empty() const { return chips.size() < 2; }
  int segments() const { return empty() ? 0 : static_cast<int>(chips.size()) - 1; }
  double ValueAt(double q) const;  // linear between the points, the last slope beyond
  // Value of one more chip at q (the slope of the segment above q; of the
  // last one at or beyond the maximum) and of the last chip before q (the
  // segment below; the first one at 0).
  double SlopeAbove(double q) const;
  double SlopeBelow(double q) const;
  // The segment k's line: value = intercept + slope x chips.
  double Slope(int k) const;
  double Intercept(int k) const;
  bool operator==(const TerminalCurve& o) const { return chips == o.chips && value_usd == o.value_usd; }
};

// The least concave majorant of the points (chips[i], value[i]) made
// nondecreasing first (a running maximum), evaluated at every point: the
// concave curve through the measurements, never below one.
TerminalCurve ConcaveCurve(const std::vector<double>& chips, const std::vector<double>& value_usd);

// One scenario of the second stage.
struct PlanScenario {
  std::string name;        // "s12" (sampled), "P90", "mean", ...
  double probability = 0;  // sums to 1 over a problem's scenarios
  int source_index = -1;   // index in the drawn scenario set; -1 = synthetic
  // Output tokens demanded per model (instance model order) and month.
  std::vector<std::vector<double>> demand_output_tokens;  // [m][t]
  // Bid quantities of each workload class scale by this (class growth from
  // the cone; 1 for classes without growth).
  std::vector<std::vector<double>> bid_multiple;  // [w][t]
  // Terminal value (docs/plan.md, "Deals over their whole term"): what a
  // usable chip-hour of each offer's chips is worth after the planned months
  // in this scenario, USD, before the price-performance decline
  // (PlanOffer::terminal_usable_chip_hours_per_chip carries it). Empty: the
  // months after the horizon are not valued at all, neither their value nor
  // their payments (--terminal-value none).
  std::vector<double> terminal_usd_per_usable_chip_hour;  // [offer]
  // [offer], empty or one per offer: an offer with a curve is valued by it
  // instead (its rate above is then the whole offer's average, reported
  // only). Set for divisible offers by SetTerminalValues (plan.h).
  std::vector<TerminalCurve> terminal_curve;
  // No terminal values: neither rates nor curves.
  void ClearTerminalValues() {
    terminal_usd_per_usable_chip_hour.clear();
    terminal_curve.clear();
  }
  // `from`'s terminal values, rates and curves.
  void CopyTerminalValues(const PlanScenario& from) {
    terminal_usd_per_usable_chip_hour = from.terminal_usd_per_usable_chip_hour;
    terminal_curve = from.terminal_curve;
  }
};

// How the months of a contract after the planned ones are judged.
enum class TerminalValueRule {
  kNone,       // not at all: value and payments inside the horizon only
  kLastMonth,  // each scenario's last planned month, carried forward (docs/plan.md)
};
const char* TerminalValueRuleName(TerminalValueRule r);  // "none", "last-month"
StatusOr<TerminalValueRule> ParseTerminalValueRule(const std::string& name);

// A chip-hour's value halves every this many months after the horizon: GPU
// FLOP/s per dollar of the GPUs used in machine learning doubles every 2.07
// years (Hobbhahn & Besiroglu, "Trends in GPU price-performance", Epoch AI,
// 2022, https://epoch.ai/blog/trends-in-gpu-price-performance), so the same
// chip-hour buys half as much of the market's compute that much later.
inline constexpr double kTerminalValueHalvingMonths = 2.07 * 12;

// An offer compiled for the program. Quantities in chips.
struct PlanOffer {
  std::string id;
  int fleet_index = -1;  // in Fleet::offers
  std::string chip_type;
  std::string provider;
  ContractKind kind = ContractKind::kReserved;
  QuantityUnit unit = QuantityUnit::kChips;
  bool on_demand = false;     // second stage only: used chips are paid per chip-hour
  int pool = -1;              // instance pool whose capacity rows it adds to
  double chips_per_unit = 1;  // chips per unit of the spec's quantity (1, or chips per MW)
  double max_chips = 0;
  double min_chips = 0;          // divisible: 0 or >= this
  bool all_or_nothing = false;   // signed for max_chips or not at all
  double usd_per_chip_hour = 0;  // take-or-pay price (MW prices converted)
  double availability = 1;
  // Month-average share of signed chips landed (ramp x inside the contract)
  // and share of the month inside the contract.
  std::vector<double> landed;     // f[t]
  std::vector<double> in_window;  // g[t]
  // The contract's whole term and the share of its take-or-pay payments
  // (landed chip-hours) that falls inside the planned months: the program
  // values only those months, and says so.
  int contract_months = 0;
  int months_in_horizon = 0;  // planned months the contract window touches
  double payment_share_in_horizon = 1;
  // After the planned months (the terminal months), per signed chip: the
  // take-or-pay payments, exact from the terms (price x landed chip-hours),
  // and the usable chip-hours (availability x landed), each month weighted
  // by the price-performance decline 0.5^(k / kTerminalValueHalvingMonths),
  // k = months after the horizon's end (mid-month). Options exercised inside
  // the horizon are taken not to change them.
  int terminal_months = 0;
  double terminal_payment_usd_per_chip = 0;
  double terminal_usable_chip_hours_per_chip = 0;
  double prepayment_fraction = 0;
  double prepayment_usd_per_chip = 0;    // paid in month 0: fraction x the whole contract's price per chip
  double per_use_usd_per_chip_hour = 0;  // power billed on top, and the on-demand price
  struct Option {
    OptionKind kind = OptionKind::kExpand;
    int notice_months = 0;
    double max_fraction = 1;
    double usd_per_chip_hour = 0;  // expand: price of added chip-hours
    double fee_usd_per_chip = 0;
  };
  std::vector<Option> options;

  bool needs_binary() const { return !on_demand && (all_or_nothing || min_chips > 0); }
};

struct PlanSettingsIn {
  double risk_aversion = 0;
  double cvar_alpha = 0.9;
  std::optional<double> cash_floor_usd;
  double initial_cash_usd = 0;
  double cash_shortfall_penalty = 1.0;
  double unserved_share_limit = 0.05;
  // A floor window short of its effective chip-hours costs this much per
  // missing effective chip-hour: ten times the most a chip-hour can earn or
  // an offer's chip-hour can cost, over the least efficiency a floored class
  // has, so floors are met whenever capacity allows. The floor is hard: a
  // plan left short anyway is an infeasible answer (PlanReport), after the
  // phase one below confirms that no plan meets it (docs/plan.md).
  double floor_penalty_usd_per_effective_chip_hour = 0;
  // Phase one of the floor check: the objective is the expected floor
  // shortfall alone (effective chip-hours), zero exactly when some plan
  // meets every floor window in every scenario.
  bool floor_feasibility_only = false;
  // Phase one of the cash check: the objective is the expected cash
  // shortfall alone (every other objective coefficient is zero), so its
  // optimum is zero exactly when some plan keeps cash above the floor in
  // every scenario.
  bool cash_feasibility_only = false;
};

struct PlanProblem {
  std::string fleet_name;
  std::string file;  // spec path, for messages
  int months = 0;
  std::vector<UtcSeconds> month_start;  // [t], plus the end of the horizon at [months]
  std::vector<double> hours;            // [t]
  // Pools (committed capacity aggregated by chip type and billing, plus pools
  // of offers billed per use), workloads and models. Demand is zero here;
  // each scenario fills its own copy. Gangs are not placed at this monthly
  // level (gang_size_chips = 0); the hourly allocator places them.
  AllocationInstance instance;
  std::vector<std::string> pool_chip_type;        // [p]
  std::vector<std::vector<double>> price_factor;  // [m][t]: token price relative to the listed one
  // [m][t]: output tokens per chip-hour relative to the spec's figure, the
  // month's average of forecast's ThroughputMultiplierAt (launches of new
  // generations, continuous efficiency gains), as simulate has it hour by
  // hour: a chip serves this many times its listed tokens, so the same token
  // demand needs fewer chips and a served chip-hour earns more.
  std::vector<std::vector<double>> throughput_factor;
  std::vector<double> committed_cost_usd;  // [t]: take-or-pay cost of committed pools
  // [t]: cash outside compute, out (operating costs) and in (financing); they
  // move the cash path only, never the value the program maximises.
  std::vector<double> operating_cost_usd;
  std::vector<double> financing_usd;
  std::vector<double> per_use_usd_per_chip_hour;  // [p]: billed per used chip-hour (power, on-demand)
  std::vector<PlanOffer> offers;
  std::vector<PlanScenario> scenarios;
  PlanSettingsIn settings;
  SourceLoc cash_floor_loc;

  // First-stage quantities the subproblems see: one per take-or-pay offer
  // (its signed chips), then eta (the CVaR threshold) when risk_aversion > 0.
  int num_links() const;
  int link_of_offer(int o) const;  // -1 for on-demand offers
  int eta_link() const;            // -1 without CVaR
  bool has_cvar() const { return settings.risk_aversion > 0; }
};

// Builds the layout (instance, offers, months, settings) of `fleet`'s plan,
// without scenarios. Errors name the spec (offers on chips no workload can
// use are allowed: they are simply worth nothing).
StatusOr<PlanProblem> BuildPlanProblem(const Fleet& fleet);

// Draws forecast.scenarios scenarios of the cone over the planned months and
// reduces them to plan.scenarios weighted representatives (all of them, with
// equal weights, when there are no more than that). Sets problem.scenarios.
// Also returns the drawn set's quantile paths for `quantiles` (e.g. 0.1,
// 0.5, 0.9): each tier's demand at that quantile in every month.
struct ConeScenarios {
  std::vector<PlanScenario> representatives;
  std::vector<PlanScenario> quantile_paths;  // one per requested quantile, probability 1
  int drawn = 0;
  double reduction_distance = 0;  // Kantorovich distance kept (log points)
};
StatusOr<ConeScenarios> DrawConeScenarios(const Fleet& fleet, const PlanProblem& problem,
                                          const std::vector<double>& quantiles, int threads);

// The probability-weighted mean of `scenarios` as one scenario of probability 1.
PlanScenario MeanScenario(const PlanProblem& problem, const std::vector<PlanScenario>& scenarios);

// Terminal value less terminal payments of one signed chip of offer `o` in
// scenario `s` (0 when `s` carries no terminal values), for an offer valued
// at a rate (no curve: linear in the chips).
double TerminalNetUsdPerChip(const PlanProblem& problem, const PlanScenario& s, int o);

// Offer o's curve in scenario s, or nullptr when it is valued at its rate.
const TerminalCurve* TerminalCurveOf(const PlanProblem& problem, const PlanScenario& s, int o);

// Terminal value (before payments) of `chips` signed chips of offer `o` in
// scenario `s`: its curve's value, or rate x declined usable chip-hours x
// chips; 0 without terminal values.
double TerminalValueUsd(const PlanProblem& problem, const PlanScenario& s, int o, double chips);
// What one more chip (above = true) or the last chip (false) at `chips`
// adds to it.
double TerminalSlopeUsdPerChip(const PlanProblem& problem, const PlanScenario& s, int o, double chips,
                               bool above);

// A copy of `problem` with only `scenarios` (probabilities renormalised).
PlanProblem WithScenarios(const PlanProblem& problem, std::vector<PlanScenario> scenarios);

}  // namespace fungible

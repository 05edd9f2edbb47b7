#include "plan/evaluate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "allocate/instance.h"
#include "catalog/catalog.h"
#include "util/text.h"

namespace fungible {
namespace {

constexpr int kBreakevenIterations = 8;

// Signs every loss, even one under half a cent ("-$0.00").
std::string Usd(double v) { return Money(v, MoneySign::kKeepNegativeZero); }

// Fleet with offer `index` priced at `factor` times its own price.
Fleet Repriced(const Fleet& fleet, int index, double factor) {
  Fleet f = fleet;
  Offer& o = f.offers[index];
  if (o.usd_per_chip_hour) {
    // An expand option priced "as the offer" keeps following it.
    for (auto& k : o.options)
      if (k.kind == OptionKind::kExpand && !k.usd_per_chip_hour) k.usd_per_chip_hour = *o.usd_per_chip_hour;
    o.usd_per_chip_hour = *o.usd_per_chip_hour * factor;
  }
  if (o.usd_per_mw_month) o.usd_per_mw_month = *o.usd_per_mw_month * factor;
  return f;
}

struct Side {
  PlanProblem problem;
  FirstStageBounds bounds;  // what is signed: the offer judged (or nothing)
  ProgramSolution solution;
  double objective_usd = 0;
};

// Solves `fleet`'s problem on `scenarios` with every take-or-pay offer
// unsigned except `offer` (fixed at `chips`; -1 = none).
StatusOr<Side> SolveSide(const Fleet& fleet, const std::vector<PlanScenario>& scenarios,
                         const std::string& offer, double chips, const SolveOptions& options) {
  Side side;
  auto pr = BuildPlanProblem(fleet);
  if (!pr.ok()) return pr.status();
  side.problem = std::move(*pr);
  side.problem.scenarios = scenarios;
  FirstStageBounds b;
  for (const auto& o : side.problem.offers) {
    const double q = o.id == offer ? chips : 0.0;
    b.lo.push_back(q);
    b.hi.push_back(q);
  }
  side.bounds = b;
  FUNGIBLE_ASSIGN_OR_RETURN(side.solution, SolveProgram(side.problem, b, options));
  if (side.solution.status != SolveStatus::kOptimal) return side;  // the caller reports why
  side.objective_usd = ObjectiveUsd(side.problem, side.solution);
  return side;
}

// Used chip-hours of `chip` in each month of an outcome.
std::vector<double> UsedByMonth(const PlanProblem& pr, const ScenarioOutcome& o, const std::string& chip) {
  std::vector<double> used(pr.months, 0.0);
  for (size_t p = 0; p < pr.pool_chip_type.size() && p < o.pool_used_by_month.size(); ++p)
    if (pr.pool_chip_type[p] == chip)
      for (int t = 0; t < pr.months; ++t) used[t] += o.pool_used_by_month[p][t];
  return used;
}

double Mean(const std::vector<double>& v, const std::vector<double>& p) {
  double m = 0;
  for (size_t i = 0; i < v.size(); ++i) m += p[i] * v[i];
  return m;
}

// The chips to sign: options.quantity in the offer's unit, within its limits.
StatusOr<double> ChipsToSign(const Offer& offer, const PlanOffer& po, const EvaluateOptions& options) {
  double chips = po.max_chips;
  if (!options.quantity) return chips;
  chips = *options.quantity * po.chips_per_unit;
  if (*options.quantity < 0 || chips > po.max_chips * (1 + 1e-9))
    return Status::Invalid("--quantity: expected between 0 and " + std::to_string(offer.quantity) + " " +
                           QuantityUnitName(offer.unit) + " (the offer's quantity), got " +
                           std::to_string(*options.quantity));
  if (po.all_or_nothing && std::fabs(chips - po.max_chips) > 1e-9 * po.max_chips && chips > 0)
    return Status::Invalid("--quantity: offer \"" + offer.id + "\" is all or nothing (" +
                           std::to_string(offer.quantity) + " " + QuantityUnitName(offer.unit) + ")");
  if (chips > 0 && chips < po.min_chips * (1 - 1e-9))
    return Status::Invalid("--quantity: offer \"" + offer.id + "\" takes at least " +
                           std::to_string(offer.min_quantity) + " " + QuantityUnitName(offer.unit));
  return chips;
}

// Scenario by scenario and in expectation: the portfolio with the offer
// against the portfolio without it.
void CompareSides(const std::vector<PlanScenario>& scenarios, const Side& base, const Side& with,
                  OfferEvaluation& ev) {
  const size_t K = scenarios.size();
  std::vector<double> value_with, value_base;
  for (size_t s = 0; s < K; ++s) {
    ev.scenario_names.push_back(scenarios[s].name);
    ev.probability.push_back(scenarios[s].probability);
    value_with.push_back(with.solution.outcomes[s].value_usd);
    value_base.push_back(base.solution.outcomes[s].value_usd);
    ev.value_change_usd.push_back(value_with[s] - value_base[s]);
    if (ev.value_change_usd[s] < -1e-6 * std::max(1.0, std::fabs(value_base[s])))
      ev.probability_value_falls += ev.probability[s];
    if (with.solution.outcomes[s].breached()) ev.probability_cash_breach_after += ev.probability[s];
    if (base.solution.outcomes[s].breached()) ev.probability_cash_breach_before += ev.probability[s];
    ev.unserved_share_after += ev.probability[s] * with.solution.outcomes[s].unserved_share();
    ev.unserved_share_before += ev.probability[s] * base.solution.outcomes[s].unserved_share();
  }
  for (size_t s = 0; s < K; ++s) {
    const ScenarioOutcome &w = with.solution.outcomes[s], &b = base.solution.outcomes[s];
    ev.expected_revenue_change_usd += ev.probability[s] * (w.revenue_usd - b.revenue_usd);
    ev.expected_cost_change_usd += ev.probability[s] * (w.cost_usd - b.cost_usd);
    ev.expected_imputed_value_change_usd += ev.probability[s] * (w.bid_value_usd - b.bid_value_usd);
  }
  ev.objective_change_usd = with.objective_usd - base.objective_usd;
  ev.expected_value_change_usd = Mean(value_with, ev.probability) - Mean(value_base, ev.probability);
  const double alpha = with.problem.settings.cvar_alpha;
  ev.cvar_loss_change_usd =
      CvarOfLossUsd(value_with, ev.probability, alpha) - CvarOfLossUsd(value_base, ev.probability, alpha);
  ev.value_change = WeightedSpread(ev.value_change_usd, ev.probability);
}

// The workload classes that can run on the offer's chip, and what a
// chip-hour gives each; class_model[c]: its served model (-1 for the others).
std::vector<ClassOnChip> ClassesOnChip(const Fleet& fleet, const PlanProblem& pr, const std::string& chip,
                                       std::vector<int>& class_model) {
  std::vector<ClassOnChip> out;
  const ChipType* h100 = fleet.FindChip("h100-sxm");
  if (h100 == nullptr) h100 = FindBuiltinChip("h100-sxm");
  const double h100_pflops = h100 != nullptr ? h100->bf16_dense_flops / 1e15 : 0.9894;
  const auto& inst = pr.instance;
  for (size_t w = 0; w < inst.workloads.size(); ++w) {
    bool eligible = false;
    for (size_t p = 0; p < inst.pools.size(); ++p)
      if (pr.pool_chip_type[p] == chip && IsEligible(inst, static_cast<int>(w), static_cast<int>(p)))
        eligible = true;
    if (!eligible) continue;
    const WorkloadClass* wc = fleet.FindWorkload(inst.workloads[w].id);
    ClassOnChip c;
    c.id = inst.workloads[w].id;
    c.kind = WorkloadKindName(inst.workloads[w].kind);
    c.efficiency_h100_equiv = wc != nullptr ? wc->EfficiencyOn(chip).value_or(1.0) : 1.0;
    const int m = inst.workloads[w].served_model;
    if (m >= 0) {
      c.unit = "million output tokens";
      for (size_t p = 0; p < inst.pools.size(); ++p)
        if (pr.pool_chip_type[p] == chip)
          c.units_per_chip_hour = inst.models[m].output_tokens_per_s_per_chip[p] * 3600 / 1e6;
    } else {
      c.unit = "effective PFLOP-hour";
      c.units_per_chip_hour = c.efficiency_h100_equiv * h100_pflops;
    }
    out.push_back(c);
    class_model.push_back(m);
  }
  return out;
}

// Price-performance and use, month by month: the offer's added use of its
// chip type in each scenario, its payments and its price per unit of work.
void FillUse(const Fleet& fleet, const Side& base, const Side& with, int index, double chips,
             OfferEvaluation& ev) {
  const PlanProblem& pr = with.problem;
  const PlanOffer& wo = pr.offers[index];
  const size_t K = ev.probability.size();
  std::vector<double> usable(pr.months, 0.0);  // usable chip-hours of the offer per month
  for (int t = 0; t < pr.months; ++t) usable[t] = wo.availability * wo.landed[t] * chips * pr.hours[t];
  const double usable_total = std::accumulate(usable.begin(), usable.end(), 0.0);
  std::vector<std::vector<double>> added(K);  // [s][t]: added use of the chip type
  for (size_t s = 0; s < K; ++s) {
    const auto a = UsedByMonth(pr, with.solution.outcomes[s], wo.chip_type);
    const auto b = UsedByMonth(base.problem, base.solution.outcomes[s], wo.chip_type);
    added[s].assign(pr.months, 0.0);
    double total = 0;
    for (int t = 0; t < pr.months; ++t) {
      added[s][t] = std::clamp(a[t] - b[t], 0.0, usable[t]);
      total += added[s][t];
    }
    ev.used_share.push_back(usable_total > 0 ? total / usable_total : 0.0);
  }
  ev.used_share_spread = WeightedSpread(ev.used_share, ev.probability);

  std::vector<int> class_model;  // [class]: served model, -1 for the others
  ev.classes = ClassesOnChip(fleet, pr, wo.chip_type, class_model);
  const double per_use = wo.per_use_usd_per_chip_hour;
  for (int t = 0; t < pr.months; ++t) {
    if (wo.landed[t] <= 0) continue;
    MonthPricePerformance mp;
    mp.month = pr.month_start[t];
    mp.landed_chips = wo.landed[t] * chips;
    double used = 0;
    for (size_t s = 0; s < K; ++s) used += ev.probability[s] * added[s][t];
    mp.expected_used_share = usable[t] > 0 ? used / usable[t] : 0.0;
    // Take-or-pay: every landed chip-hour; on demand and power: the used ones.
    const double take_or_pay = wo.on_demand ? 0.0 : wo.usd_per_chip_hour * wo.landed[t] * chips * pr.hours[t];
    mp.usd = take_or_pay + per_use * used;
    for (size_t ci = 0; ci < ev.classes.size(); ++ci) {
      const ClassOnChip& c = ev.classes[ci];
      // A serving chip-hour serves the month's tokens: the model's throughput
      // factor (new generations, efficiency gains) applies.
      const int m = class_model[ci];
      const double units = c.units_per_chip_hour * (m >= 0 ? pr.throughput_factor[m][t] : 1.0);
      // One usable chip-hour costs the price over availability (plus what it
      // draws when used), and gives units_per_chip_hour of the class's work.
      const double per_usable = (wo.on_demand ? 0.0 : wo.usd_per_chip_hour / wo.availability) + per_use;
      const double inf = std::numeric_limits<double>::infinity();
      const double per_used = used > 0 ? mp.usd / used : inf;
      mp.usd_per_unit.push_back(units > 0 ? per_usable / units : inf);
      mp.usd_per_used_unit.push_back(units > 0 ? per_used / units : inf);
    }
    ev.cost_usd += mp.usd;
    ev.months.push_back(std::move(mp));
  }
}

// Breakeven: the price at which the objective change crosses zero. It falls
// with the price, linearly unless options, use or the cash floor respond:
// bracket the root, then regula falsi (Illinois).
Status FindBreakeven(const Fleet& fleet, const std::vector<PlanScenario>& scenarios, int index, double chips,
                     const Side& base, const PlanOffer& wo, const SolveOptions& options,
                     OfferEvaluation& ev) {
  if (wo.usd_per_chip_hour <= 0) return Status::Ok();
  const std::string& offer_id = wo.id;
  auto change_at = [&](double factor) -> StatusOr<double> {
    if (factor == 1.0) return ev.objective_change_usd;
    FUNGIBLE_ASSIGN_OR_RETURN(const Side side,
                              SolveSide(Repriced(fleet, index, factor), scenarios, offer_id, chips, options));
    if (side.solution.status != SolveStatus::kOptimal)  // the price changes no limit
      return Status::Internal("evaluate: repriced offer " + offer_id + ": " + side.solution.infeasibility);
    return side.objective_usd - base.objective_usd;
  };
  const double slope =
      (1.0 + base.problem.settings.risk_aversion) * std::max(ev.cost_usd, 1.0);  // per unit of factor
  const double tol = 1e-7 * std::max(1.0, std::fabs(base.objective_usd));
  double lo = 1.0, hi = 1.0, f_lo = ev.objective_change_usd, f_hi = ev.objective_change_usd;
  bool bracketed = false, none = false;
  if (f_lo >= 0) {
    double step = std::max(0.01, f_lo / slope);
    for (int i = 0; i < kBreakevenIterations && !bracketed; ++i, step *= 2) {
      hi = lo + step * 1.05;
      FUNGIBLE_ASSIGN_OR_RETURN(f_hi, change_at(hi));
      if (f_hi <= 0) {
        bracketed = true;
      } else {
        lo = hi;
        f_lo = f_hi;
      }
    }
  } else {
    FUNGIBLE_ASSIGN_OR_RETURN(const double f, change_at(0.0));
    if (f <= tol) {
      none = true;
    } else {
      lo = 0.0;
      f_lo = f;
      bracketed = true;
    }
  }
  if (bracketed) {
    int side = 0;
    double root = lo - f_lo * (hi - lo) / (f_hi - f_lo);
    for (int i = 0; i < kBreakevenIterations; ++i) {
      root = lo - f_lo * (hi - lo) / (f_hi - f_lo);
      if (std::fabs(f_lo) <= tol) root = lo;
      if (std::fabs(f_hi) <= tol) root = hi;
      if (std::fabs(f_lo) <= tol || std::fabs(f_hi) <= tol) break;
      FUNGIBLE_ASSIGN_OR_RETURN(const double f, change_at(root));
      if (std::fabs(f) <= tol) break;
      if (f > 0) {
        lo = root;
        f_lo = f;
        if (side == 1) f_hi /= 2;
        side = 1;
      } else {
        hi = root;
        f_hi = f;
        if (side == -1) f_lo /= 2;
        side = -1;
      }
    }
    ev.breakeven_usd_per_chip_hour = root * wo.usd_per_chip_hour;
  }
  if (!bracketed && !none) ev.breakeven_at_least_usd_per_chip_hour = lo * wo.usd_per_chip_hour;
  return Status::Ok();
}

// The verdict, in a few plain sentences.
std::string Verdict(const OfferEvaluation& ev, const PlanOffer& wo, double chips) {
  std::string v;
  const bool worth = ev.objective_change_usd > 0;
  const std::string what =
      ev.offer + " (" + ev.provider + ", " +
      (ev.unit == "mw" ? std::to_string(static_cast<long long>(std::llround(ev.quantity_in_unit))) + " MW = "
                       : "") +
      std::to_string(static_cast<long long>(std::llround(chips))) + " " + ev.chip_type + ")";
  if (worth) {
    v = "Sign " + what + ": it adds " + Usd(ev.objective_change_usd) + " to the objective (expected value " +
        Usd(ev.expected_value_change_usd) + ", of it cash profit " +
        Usd(ev.expected_revenue_change_usd - ev.expected_cost_change_usd) + "; P10 " +
        Usd(ev.value_change.p10) + ", P90 " + Usd(ev.value_change.p90) + ")";
  } else {
    v = "Do not sign " + what + " at this price: it takes " + Usd(-ev.objective_change_usd) +
        " from the objective (expected value " + Usd(ev.expected_value_change_usd) + ", of it cash profit " +
        Usd(ev.expected_revenue_change_usd - ev.expected_cost_change_usd) + ")";
  }
  v += "; CVaR of loss " + std::string(ev.cvar_loss_change_usd <= 0 ? "falls" : "rises") + " by " +
       Usd(std::fabs(ev.cvar_loss_change_usd)) + ".";
  if (ev.terminal_months > 0)
    v += " Of the value change, its " + std::to_string(ev.terminal_months) +
         " months after the horizon add " + Usd(ev.terminal_value_usd - ev.terminal_payments_usd) +
         " (worth " + Usd(ev.terminal_value_usd) + ", paid " + Usd(ev.terminal_payments_usd) + ").";
  if (ev.breakeven_usd_per_chip_hour) {
    v += " Breakeven " + Usd(*ev.breakeven_usd_per_chip_hour) + " per chip-hour against " +
         Usd(ev.usd_per_chip_hour) + " offered.";
  } else if (ev.breakeven_at_least_usd_per_chip_hour) {
    v += " It would still pay at " + Usd(*ev.breakeven_at_least_usd_per_chip_hour) + " per chip-hour.";
  } else if (!wo.on_demand) {
    v += " No price makes it worth signing: the allocation has no use for it.";
  }
  v += " The allocation would use " + Percent(ev.used_share_spread.p50, 0) +
       " of its chip-hours in the median scenario (P10 " + Percent(ev.used_share_spread.p10, 0) + ", P90 " +
       Percent(ev.used_share_spread.p90, 0) + ")";
  if (ev.used_share_spread.p50 < 0.5)
    v += ": much of it would sit idle.";
  else
    v += ": it can be deployed productively.";
  if (ev.probability_cash_breach_after > ev.probability_cash_breach_before + 1e-9)
    v += " It raises the chance of breaching the cash floor from " +
         Percent(ev.probability_cash_breach_before, 0) + " to " +
         Percent(ev.probability_cash_breach_after, 0) + ".";
  return v;
}

}  // namespace

StatusOr<OfferEvaluation> EvaluateOffer(const Fleet& fleet, const std::string& offer_id,
                                        const EvaluateOptions& options) {
  if (fleet.FindOffer(offer_id) == nullptr) return EvaluateOfferOn(fleet, {}, offer_id, options);
  auto layout = BuildPlanProblem(fleet);
  if (!layout.ok()) return layout.status();
  auto cone = DrawConeScenarios(fleet, *layout, {}, options.solve.threads);
  if (!cone.ok()) return cone.status();
  return EvaluateOfferOn(fleet, cone->representatives, offer_id, options);
}

StatusOr<OfferEvaluation> EvaluateOfferOn(const Fleet& fleet, const std::vector<PlanScenario>& scenarios,
                                          const std::string& offer_id, const EvaluateOptions& options) {
  const Offer* offer = fleet.FindOffer(offer_id);
  if (offer == nullptr) {
    std::string ids;
    for (const auto& o : fleet.offers) ids += (ids.empty() ? "" : ", ") + o.id;
    return Status::NotFound(fleet.file + ": no offer \"" + offer_id +
                            "\" (offers: " + (ids.empty() ? "none" : ids) + ")");
  }
  const int index = static_cast<int>(offer - fleet.offers.data());
  Fleet without = fleet;
  without.offers.erase(without.offers.begin() + index);

  auto layout = BuildPlanProblem(fleet);
  if (!layout.ok()) return layout.status();
  const PlanOffer& po = layout->offers[index];
  FUNGIBLE_ASSIGN_OR_RETURN(const double chips, ChipsToSign(*offer, po, options));

  std::vector<PlanScenario> plain = scenarios;  // without terminal values
  for (auto& s : plain) s.ClearTerminalValues();
  auto base = SolveSide(without, plain, "", 0, options.solve);
  if (!base.ok()) return base.status();
  auto with = SolveSide(fleet, plain, offer_id, chips, options.solve);
  if (!with.ok()) return with.status();
  // The whole term: what the offer adds in the last planned month, per
  // usable chip-hour, values its months after the horizon.
  std::vector<PlanScenario> judged = plain;
  if (options.terminal_value == TerminalValueRule::kLastMonth && po.terminal_months > 0 &&
      with->solution.status == SolveStatus::kOptimal) {
    const PlanProblem& pr = with->problem;
    const auto rate = TerminalRates(pr, index, base->solution, with->solution, 0.0, chips);
    for (size_t s = 0; s < judged.size(); ++s) {
      judged[s].terminal_usd_per_usable_chip_hour.assign(pr.offers.size(), 0.0);
      judged[s].terminal_usd_per_usable_chip_hour[index] = rate[s];
    }
    with = SolveSide(fleet, judged, offer_id, chips, options.solve);
    if (!with.ok()) return with.status();
  }

  OfferEvaluation ev;
  ev.offer = offer_id;
  for (const Side* side : {&*base, &*with}) {
    if (side->solution.status == SolveStatus::kOptimal) continue;
    ev.status = side->solution.status;  // an answer: say why, nothing to compare
    ev.infeasibility = side->solution.infeasibility;
    return ev;
  }
  // The floor is law, as in plan: when the committed capacity with the offer
  // leaves a floor window short in some scenario however it is allocated,
  // the answer is infeasible, naming the floor, month, scenario and shortfall.
  const bool short_somewhere = std::any_of(
      with->solution.outcomes.begin(), with->solution.outcomes.end(), [](const ScenarioOutcome& o) {
        return std::any_of(o.floor_shortfall_by_window.begin(), o.floor_shortfall_by_window.end(),
                           [](double v) { return v > 1.0; });
      });
  if (short_somewhere) {
    SolveOptions quiet = options.solve;
    quiet.on_iteration = nullptr;
    FUNGIBLE_ASSIGN_OR_RETURN(ev.infeasibility, FloorInfeasibility(with->problem, with->bounds,
                                                                   "the committed capacity with " + offer_id +
                                                                       " (" + Grouped(chips) + " chips)",
                                                                   quiet));
    if (!ev.infeasibility.empty()) {
      ev.status = SolveStatus::kInfeasible;
      return ev;
    }
  }
  ev.provider = offer->provider;
  ev.kind = ContractKindName(offer->kind);
  ev.chip_type = offer->chip_type;
  ev.unit = QuantityUnitName(offer->unit);
  ev.chips = chips;
  ev.quantity_in_unit = po.chips_per_unit > 0 ? chips / po.chips_per_unit : 0;
  ev.usd_per_chip_hour = po.usd_per_chip_hour;
  ev.months_in_horizon = po.months_in_horizon;
  ev.contract_months = po.contract_months;
  ev.payment_share_in_horizon = po.payment_share_in_horizon;
  ev.terminal_value_rule = TerminalValueRuleName(options.terminal_value);
  CompareSides(scenarios, *base, *with, ev);
  if (options.terminal_value != TerminalValueRule::kNone) {
    ev.terminal_months = po.terminal_months;
    for (size_t s = 0; s < judged.size(); ++s) {
      const double p = judged[s].probability;
      ev.terminal_value_usd += p * with->solution.outcomes[s].terminal_value_usd;
      ev.terminal_payments_usd += p * with->solution.outcomes[s].terminal_payments_usd;
      if (judged[s].terminal_usd_per_usable_chip_hour.size() > static_cast<size_t>(index))
        ev.terminal_usd_per_usable_chip_hour += p * judged[s].terminal_usd_per_usable_chip_hour[index];
    }
  }
  FillUse(fleet, *base, *with, index, chips, ev);
  const PlanOffer& wo = with->problem.offers[index];
  FUNGIBLE_RETURN_IF_ERROR(FindBreakeven(fleet, judged, index, chips, *base, wo, options.solve, ev));
  ev.verdict = Verdict(ev, wo, chips);
  return ev;
}

}  // namespace fungible

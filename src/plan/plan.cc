#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "model/return_on_compute.h"
#include "plan/subproblem.h"
#include "util/text.h"

namespace fungible {
namespace {

constexpr double kQuantileTolerance = 1e-12;

// The reasons' money: a negative amount as "$-1.5M".
std::string Usd(double v) { return Money(v, MoneySign::kAfterDollar); }

// The floor windows of a scenario block, in the order of its floor rows
// (AppendAllocationLp: class by class, month by month).
struct PlanFloorWindow {
  int workload = 0;  // -1 for a shared floor
  int shared = -1;   // index into instance.shared_floors
  int first_period = 0;
  int last_period = 0;
  double required_effective_chip_hours = 0;
};
std::vector<PlanFloorWindow> FloorWindowsOf(const PlanProblem& pr) {
  std::vector<PlanFloorWindow> out;
  const auto& inst = pr.instance;
  const int T = static_cast<int>(inst.periods.size());
  for (int w = 0; w < static_cast<int>(inst.workloads.size()); ++w) {
    const auto& wl = inst.workloads[w];
    if (wl.floor_effective_chips <= 0) continue;
    const int len = wl.floor_window_periods > 0 ? wl.floor_window_periods : T;
    for (int s = 0; s < T; s += len) {
      PlanFloorWindow fr;
      fr.workload = w;
      fr.first_period = s;
      fr.last_period = std::min(T, s + len) - 1;
      fr.required_effective_chip_hours = FloorRequiredEffectiveChipHours(inst, w, s, fr.last_period);
      out.push_back(fr);
    }
  }
  for (int g = 0; g < static_cast<int>(inst.shared_floors.size()); ++g) {
    const int len = inst.shared_floors[g].window_periods > 0 ? inst.shared_floors[g].window_periods : T;
    for (int s = 0; s < T; s += len) {
      PlanFloorWindow fr;
      fr.workload = -1;
      fr.shared = g;
      fr.first_period = s;
      fr.last_period = std::min(T, s + len) - 1;
      fr.required_effective_chip_hours = SharedFloorRequiredEffectiveChipHours(inst, g, s, fr.last_period);
      out.push_back(fr);
    }
  }
  return out;
}

// "the floor of pretrain", "floor model-dev (pretrain + rl + research)".
std::string FloorName(const PlanProblem& pr, const PlanFloorWindow& fw) {
  const auto& inst = pr.instance;
  if (fw.shared < 0) return "the floor of " + inst.workloads[fw.workload].id;
  std::string s = "floor " + inst.shared_floors[fw.shared].id + " (";
  for (size_t i = 0; i < inst.shared_floors[fw.shared].workloads.size(); ++i)
    s += (i ? " + " : "") + inst.workloads[inst.shared_floors[fw.shared].workloads[i]].id;
  return s + ")";
}

// A window is short when it misses by more than solver noise: a chip-hour,
// or a millionth of what it requires.
bool FloorShort(double shortfall, double required) { return shortfall > std::max(1.0, 1e-6 * required); }

double Expected(const PlanProblem& pr, const std::vector<ScenarioOutcome>& out,
                double (*f)(const ScenarioOutcome&)) {
  double v = 0;
  for (size_t s = 0; s < out.size(); ++s) v += pr.scenarios[s].probability * f(out[s]);
  return v;
}

std::vector<double> Probabilities(const PlanProblem& pr) {
  std::vector<double> p;
  for (const auto& s : pr.scenarios) p.push_back(s.probability);
  return p;
}

SolveOptions Local(const SolveOptions& o, int threads) {
  SolveOptions l = o;
  l.comm = nullptr;
  l.bases = nullptr;  // other scenarios
  l.threads = threads;
  l.method = PlanMethod::kExtensive;
  return l;
}

FirstStageBounds Fixed(const std::vector<double>& chips) {
  FirstStageBounds b;
  b.lo = chips;
  b.hi = chips;
  return b;
}

// Solves whose bounds admit a first stage by construction (none, a plan
// found before, an offer at its own limits): infeasible there is a bug.
StatusOr<ProgramSolution> SolveAdmissible(const PlanProblem& pr, const FirstStageBounds& bounds,
                                          const SolveOptions& options) {
  FUNGIBLE_ASSIGN_OR_RETURN(ProgramSolution sol, SolveProgram(pr, bounds, options));
  if (sol.status != SolveStatus::kOptimal)
    return Status::Internal("plan: bounds that admit a plan were found " +
                            std::string(SolveStatusName(sol.status)) + ": " + sol.infeasibility);
  return sol;
}

// The cash floor can be met in every scenario by some plan iff phase one's
// optimum (expected shortfall alone) is zero. Returns why it cannot (in
// domain words), or "" when it can.
StatusOr<std::string> CheckCashFloor(const PlanProblem& pr, const SolveOptions& options) {
  PlanProblem p1 = pr;
  p1.settings.risk_aversion = 0;
  p1.settings.cash_feasibility_only = true;
  auto sol = SolveAdmissible(p1, {}, options);
  if (!sol.ok()) return sol.status();
  if (sol->objective_musd <= 1e-6) return std::string();  // under a dollar-month
  int worst = 0, breached = 0;
  double p_breach = 0;
  for (size_t s = 0; s < sol->outcomes.size(); ++s) {
    if (sol->outcomes[s].cash_shortfall_usd_months > sol->outcomes[worst].cash_shortfall_usd_months)
      worst = static_cast<int>(s);
    if (sol->outcomes[s].breached()) {
      ++breached;
      p_breach += pr.scenarios[s].probability;
    }
  }
  const ScenarioOutcome& w = sol->outcomes[worst];
  const int month =
      static_cast<int>(std::min_element(w.cash_usd.begin(), w.cash_usd.end()) - w.cash_usd.begin());
  const double floor = *pr.settings.cash_floor_usd;
  std::string where = pr.file;
  if (pr.cash_floor_loc.line > 0)
    where += ":" + std::to_string(pr.cash_floor_loc.line) + ":" + std::to_string(pr.cash_floor_loc.column);
  return std::string(
      where + ": plan.cash_floor_usd: no plan keeps cash above the floor of " + Usd(floor) +
      " in every scenario: even the plan that minimises breaches falls " + Usd(floor - w.cash_usd[month]) +
      " below it in " + FormatMonth(pr.month_start[month]) + " in scenario " + pr.scenarios[worst].name +
      " (probability " + Percent(pr.scenarios[worst].probability, 0) + "), and breaches it in " +
      std::to_string(breached) + " of " + std::to_string(sol->outcomes.size()) + " scenarios (probability " +
      Percent(p_breach, 0) + "); lower the floor or raise plan.initial_cash_usd");
}

// The floors are hard: some plan meets every floor window in every scenario
// iff phase one's optimum (expected floor shortfall alone) is zero. Returns
// why no plan can (in domain words: which floor, month, scenario, by how
// much), or "" when one can.
// `bounds` fix what is signed (evaluate: the offer judged, nothing else);
// `subject` names that plan in the answer.
StatusOr<std::string> CheckFloors(const PlanProblem& pr, const SolveOptions& options,
                                  const FirstStageBounds& bounds = {},
                                  const std::string& subject = "the plan that signs whatever helps") {
  PlanProblem p1 = pr;
  p1.settings.risk_aversion = 0;
  p1.settings.floor_feasibility_only = true;
  auto sol = SolveAdmissible(p1, bounds, options);
  if (!sol.ok()) return sol.status();
  const auto floors = FloorWindowsOf(pr);
  int worst_s = -1, short_windows = 0, short_scenarios = 0;
  size_t worst_k = 0;
  double worst = 0, p_short = 0;
  for (size_t s = 0; s < sol->outcomes.size(); ++s) {
    bool any = false;
    const auto& by = sol->outcomes[s].floor_shortfall_by_window;
    for (size_t k = 0; k < by.size() && k < floors.size(); ++k) {
      if (!FloorShort(by[k], floors[k].required_effective_chip_hours)) continue;
      any = true;
      ++short_windows;
      if (by[k] > worst) {
        worst = by[k];
        worst_s = static_cast<int>(s);
        worst_k = k;
      }
    }
    if (any) {
      ++short_scenarios;
      p_short += pr.scenarios[s].probability;
    }
  }
  if (worst_s < 0) return std::string();
  const auto& fw = floors[worst_k];
  double hours = 0;
  for (int t = fw.first_period; t <= fw.last_period; ++t) hours += pr.hours[t];
  return std::string(
      pr.file + ": " + FloorName(pr, fw) + " cannot be met: in " +
      FormatMonth(pr.month_start[fw.first_period]) + " of scenario " + pr.scenarios[worst_s].name +
      " (probability " + Percent(pr.scenarios[worst_s].probability, 0) + ") even " + subject + " leaves it " +
      Usd(worst).substr(1) + " effective chip-hours short of " +
      Usd(fw.required_effective_chip_hours).substr(1) + " (" + Fmt("%.0f", hours > 0 ? worst / hours : 0.0) +
      " of " + Fmt("%.0f", hours > 0 ? fw.required_effective_chip_hours / hours : 0.0) +
      " H100-eq chips on average): the committed capacity and the offers its chips can run on are too "
      "few; " +
      std::to_string(short_windows) + " floor-months short in " + std::to_string(short_scenarios) + " of " +
      std::to_string(sol->outcomes.size()) + " scenarios (probability " + Percent(p_short, 0) +
      "); add an offer its classes can use or lower the floor");
}

}  // namespace

StatusOr<std::string> FloorInfeasibility(const PlanProblem& pr, const FirstStageBounds& bounds,
                                         const std::string& subject, const SolveOptions& options) {
  const auto floors = FloorWindowsOf(pr);
  if (floors.empty()) return std::string();
  return CheckFloors(pr, options, bounds, subject);
}

double WeightedQuantile(const std::vector<double>& values, const std::vector<double>& probability, double p) {
  if (values.empty()) return 0;
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  const double total = std::accumulate(probability.begin(), probability.end(), 0.0);
  double cum = 0;
  for (size_t i : order) {
    cum += probability[i] / total;
    if (cum >= p - kQuantileTolerance) return values[i];
  }
  return values[order.back()];
}

Spread WeightedSpread(const std::vector<double>& values, const std::vector<double>& probability) {
  Spread s;
  if (values.empty()) return s;
  const double total = std::accumulate(probability.begin(), probability.end(), 0.0);
  for (size_t i = 0; i < values.size(); ++i) s.mean += probability[i] * values[i] / total;
  s.p10 = WeightedQuantile(values, probability, 0.1);
  s.p50 = WeightedQuantile(values, probability, 0.5);
  s.p90 = WeightedQuantile(values, probability, 0.9);
  return s;
}

// Capital to raise so that cash stays at or above `floor` in the scenarios
// up to quantile q of the need: the need of scenario s is floor - its lowest
// cash (0 when it never dips below); the raise must arrive by the first
// month any of those scenarios dips.
CapitalNeed CapitalToRaise(const PlanProblem& pr, const std::vector<ScenarioOutcome>& out,
                           const std::vector<double>& probability, double floor, double q) {
  CapitalNeed c;
  c.quantile = q;
  std::vector<double> need;
  for (const auto& o : out) need.push_back(std::max(0.0, floor - o.min_cash_usd));
  c.usd = WeightedQuantile(need, probability, q);
  if (c.usd <= 0) return c;
  int first = pr.months;
  for (size_t s = 0; s < out.size(); ++s) {
    if (need[s] <= 0 || need[s] > c.usd) continue;
    for (int t = 0; t < pr.months && t < first; ++t)
      if (out[s].cash_usd[t] < floor) first = t;
  }
  if (first < pr.months) c.by = pr.month_start[first];
  return c;
}

namespace {

// A divisible offer's terminal curve starts at its minimum, or at this
// fraction of its maximum when the minimum is smaller.
constexpr double kTerminalGridSpan = 16;

// The fleet's value in the last planned month of a scenario.
double LastMonthValue(const ScenarioOutcome& o) {
  double v = 0;
  for (double x : o.pool_value_last_month_usd) v += x;
  return v;
}

}  // namespace

std::vector<double> TerminalRates(const PlanProblem& pr, int o, const ProgramSolution& without,
                                  const ProgramSolution& with, double chips_without, double chips_with) {
  std::vector<double> rate(pr.scenarios.size(), 0.0);
  const PlanOffer& po = pr.offers[o];
  const int T = pr.months;
  if (T < 1) return rate;
  const double added_chip_hours =
      po.availability * po.landed[T - 1] * pr.hours[T - 1] * (chips_with - chips_without);
  if (added_chip_hours <= 1e-9) return rate;  // nothing of it in the last month: nothing measured
  for (size_t s = 0; s < rate.size() && s < with.outcomes.size() && s < without.outcomes.size(); ++s)
    rate[s] = std::max(0.0, LastMonthValue(with.outcomes[s]) - LastMonthValue(without.outcomes[s])) /
              added_chip_hours;
  return rate;
}

std::vector<double> TerminalGrid(const PlanOffer& po, double planned) {
  std::vector<double> q = {0.0};
  if (po.max_chips <= 0) return q;
  if (po.all_or_nothing) {
    q.push_back(po.max_chips);
    return q;
  }
  const double lo = std::max(po.min_chips, po.max_chips / kTerminalGridSpan);
  const int steps = lo < po.max_chips ? static_cast<int>(std::ceil(std::log2(po.max_chips / lo) - 1e-9)) : 0;
  const double ratio = steps > 0 ? std::pow(po.max_chips / lo, 1.0 / steps) : 1.0;
  for (int k = 0; k < steps; ++k) q.push_back(lo * std::pow(ratio, k));
  q.push_back(po.max_chips);
  const double tol = 1e-6 * po.max_chips;
  if (planned > tol &&
      std::none_of(q.begin(), q.end(), [&](double x) { return std::fabs(x - planned) <= tol; }))
    q.push_back(planned);
  std::sort(q.begin(), q.end());
  return q;
}

Status SetTerminalValues(PlanProblem& pr, const ProgramSolution& plan, const SolveOptions& options,
                         std::vector<PlanScenario>* paths) {
  for (auto& s : pr.scenarios) {
    s.terminal_usd_per_usable_chip_hour.assign(pr.offers.size(), 0.0);
    s.terminal_curve.clear();
  }
  PlanProblem plain = pr;
  for (auto& s : plain.scenarios) s.ClearTerminalValues();
  const int T = pr.months;
  for (size_t o = 0; o < pr.offers.size(); ++o) {
    const PlanOffer& po = pr.offers[o];
    if (po.on_demand || po.terminal_months == 0) continue;
    // Nothing of it in the last planned month: nothing measured, no value.
    if (T < 1 || po.landed[T - 1] <= 0 || po.max_chips <= 0 || po.terminal_usable_chip_hours_per_chip <= 0)
      continue;
    // The plan with the offer at each point of its grid, every other
    // decision as planned (the plan itself where it is one of them).
    const std::vector<double> grid = TerminalGrid(po, plan.chips[o]);
    const double tol = 1e-6 * po.max_chips;
    // The solution at grid[i] (the plan itself where it is one of them),
    // solved into `own` otherwise; only the one at 0 is kept (every point is
    // measured against it), so one run holds two solutions, not the grid's.
    auto solve_at = [&](size_t i, ProgramSolution& own) -> StatusOr<const ProgramSolution*> {
      if (std::fabs(grid[i] - plan.chips[o]) <= tol) return &plan;
      std::vector<double> chips = plan.chips;
      chips[o] = grid[i];
      // The CVaR threshold too, as planned: one pass over the scenarios.
      FirstStageBounds fixed = Fixed(chips);
      if (pr.has_cvar()) fixed.eta_musd = plan.eta_musd;
      FUNGIBLE_ASSIGN_OR_RETURN(own, SolveAdmissible(plain, fixed, options));
      return &own;
    };
    ProgramSolution at_zero, at_point;
    FUNGIBLE_ASSIGN_OR_RETURN(const ProgramSolution* zero, solve_at(0, at_zero));
    // Each point's value: what its chips add to the last planned month,
    // per usable chip-hour, carried over the terminal months.
    std::vector<std::vector<double>> value(pr.scenarios.size(), std::vector<double>(grid.size(), 0.0));
    for (size_t i = 1; i < grid.size(); ++i) {
      FUNGIBLE_ASSIGN_OR_RETURN(const ProgramSolution* point, solve_at(i, at_point));
      const auto rate = TerminalRates(plain, static_cast<int>(o), *zero, *point, 0.0, grid[i]);
      for (size_t s = 0; s < pr.scenarios.size(); ++s)
        value[s][i] = rate[s] * po.terminal_usable_chip_hours_per_chip * grid[i];
    }
    for (size_t s = 0; s < pr.scenarios.size(); ++s) {
      PlanScenario& sc = pr.scenarios[s];
      if (po.all_or_nothing) {  // one quantity: the rate is exact
        sc.terminal_usd_per_usable_chip_hour[o] =
            value[s].back() / (po.terminal_usable_chip_hours_per_chip * po.max_chips);
        continue;
      }
      sc.terminal_curve.resize(pr.offers.size());
      sc.terminal_curve[o] = ConcaveCurve(grid, value[s]);
      sc.terminal_usd_per_usable_chip_hour[o] =
          sc.terminal_curve[o].value_usd.back() / (po.terminal_usable_chip_hours_per_chip * po.max_chips);
    }
  }
  if (paths != nullptr) {
    const PlanScenario mean = MeanScenario(pr, pr.scenarios);
    for (auto& path : *paths) path.CopyTerminalValues(mean);
  }
  return Status::Ok();
}

std::vector<OfferDecision> DescribeOffers(const PlanProblem& pr, const ProgramSolution& sol) {
  std::vector<OfferDecision> out;
  const auto& outcomes = sol.outcomes;
  // Whether cash touches its floor somewhere: then the floor, not idle
  // chips, may be what stops a purchase.
  bool at_cash_floor = false;
  if (pr.settings.cash_floor_usd)
    for (const auto& o : outcomes)
      at_cash_floor =
          at_cash_floor || o.min_cash_usd <= *pr.settings.cash_floor_usd +
                                                 1e-4 * std::max(1.0, std::fabs(*pr.settings.cash_floor_usd));
  for (size_t oi = 0; oi < pr.offers.size(); ++oi) {
    const PlanOffer& o = pr.offers[oi];
    OfferDecision d;
    d.id = o.id;
    d.provider = o.provider;
    d.kind = ContractKindName(o.kind);
    d.chip_type = o.chip_type;
    d.on_demand = o.on_demand;
    d.all_or_nothing = o.all_or_nothing;
    d.max_chips = o.max_chips;
    d.chips = o.on_demand ? o.max_chips : sol.chips[oi];
    d.unit = QuantityUnitName(o.unit);
    d.chips_per_unit = o.chips_per_unit;
    d.quantity_in_unit = o.chips_per_unit > 0 ? d.chips / o.chips_per_unit : 0.0;
    d.sign = d.chips > 1e-6 * std::max(1.0, o.max_chips);
    d.usd_per_chip_hour = o.usd_per_chip_hour;
    if (!o.on_demand)
      for (int t = 0; t < pr.months; ++t)
        d.cost_usd_per_chip += o.usd_per_chip_hour * pr.hours[t] * o.landed[t];
    d.contract_months = o.contract_months;
    d.months_in_horizon = o.months_in_horizon;
    d.payment_share_in_horizon = o.payment_share_in_horizon;
    // Per chip, as the duals weigh it: a scenario in the CVaR tail (u > 0)
    // counts its value 1 + lambda / (1 - alpha) times.
    // A chip's terminal value at the signed quantity: the signed chips'
    // average (the first chip's when none is signed); the marginal one, the
    // value of one more chip (of the last one when signed in full).
    double terminal_net = 0;
    if (!o.on_demand) {
      d.terminal_months = o.terminal_months;
      const bool full = d.chips >= o.max_chips * (1 - 1e-6);
      for (size_t si = 0; si < pr.scenarios.size(); ++si) {
        const PlanScenario& s = pr.scenarios[si];
        const bool tail = pr.has_cvar() && si < outcomes.size() && outcomes[si].cvar_excess_usd > 1e-6;
        const double weight = 1.0 + (tail ? pr.settings.risk_aversion / (1.0 - pr.settings.cvar_alpha) : 0.0);
        if (s.terminal_usd_per_usable_chip_hour.size() != pr.offers.size() &&
            TerminalCurveOf(pr, s, static_cast<int>(oi)) == nullptr)
          continue;
        const double marginal = TerminalSlopeUsdPerChip(pr, s, static_cast<int>(oi), d.chips, !full);
        // A curve's slope as the duals took it (either side of a breakpoint,
        // with the scenario's CVaR weight): the link gradient's part.
        const bool curved = TerminalCurveOf(pr, s, static_cast<int>(oi)) != nullptr && si < outcomes.size() &&
                            oi < outcomes[si].terminal_gradient.size();
        terminal_net +=
            s.probability * ((curved ? -outcomes[si].terminal_gradient[oi] / kUsdScale : weight * marginal) -
                             weight * o.terminal_payment_usd_per_chip);
        d.terminal_marginal_value_usd_per_chip += s.probability * marginal;
        d.terminal_value_usd += s.probability * TerminalValueUsd(pr, s, static_cast<int>(oi), d.chips);
        d.terminal_payment_usd_per_chip = o.terminal_payment_usd_per_chip;
      }
      d.terminal_value_usd_per_chip =
          d.sign ? d.terminal_value_usd / d.chips : d.terminal_marginal_value_usd_per_chip;
      if (o.terminal_usable_chip_hours_per_chip > 0)
        d.terminal_usd_per_usable_chip_hour =
            d.terminal_value_usd_per_chip / o.terminal_usable_chip_hours_per_chip;
      d.terminal_payments_usd = d.terminal_payment_usd_per_chip * d.chips;
    }
    const int j = pr.link_of_offer(static_cast<int>(oi));
    if (j >= 0) {
      double g = 0;
      for (size_t s = 0; s < outcomes.size(); ++s)
        if (j < static_cast<int>(outcomes[s].link_gradient.size()))
          g += pr.scenarios[s].probability * outcomes[s].link_gradient[j];
      d.net_usd_per_chip = -g / kUsdScale;
      d.value_usd_per_chip = d.net_usd_per_chip - terminal_net + d.cost_usd_per_chip;
    }
    for (size_t s = 0; s < outcomes.size(); ++s) {
      const double p = pr.scenarios[s].probability;
      const auto& r = outcomes[s];
      if (o.pool < static_cast<int>(r.pool_used_chip_hours.size())) {
        if (r.pool_capacity_chip_hours[o.pool] > 0)
          d.pool_utilization += p * r.pool_used_chip_hours[o.pool] / r.pool_capacity_chip_hours[o.pool];
        if (pr.per_use_usd_per_chip_hour[o.pool] > 0)
          d.expected_used_chip_hours += p * r.pool_used_chip_hours[o.pool];
      }
    }
    for (size_t k = 0; k < o.options.size(); ++k) {
      OptionUse u;
      u.kind = OptionKindName(o.options[k].kind);
      u.notice_months = o.options[k].notice_months;
      for (size_t s = 0; s < outcomes.size(); ++s) {
        const double v = oi < outcomes[s].option_chips.size() && k < outcomes[s].option_chips[oi].size()
                             ? outcomes[s].option_chips[oi][k]
                             : 0.0;
        if (v > 1e-6 * std::max(1.0, o.max_chips)) u.probability_exercised += pr.scenarios[s].probability;
        u.expected_chips += pr.scenarios[s].probability * v;
      }
      d.options.push_back(u);
    }
    const std::string per_chip = " per chip over the horizon";
    // The whole term: what the chip the sentence speaks of (the next one,
    // or the last one when signed in full) is worth and costs after the horizon.
    std::string after;
    if (d.terminal_payment_usd_per_chip > 0 || d.terminal_marginal_value_usd_per_chip != 0)
      after = ", and after it " + Usd(d.terminal_marginal_value_usd_per_chip) + " against " +
              Usd(d.terminal_payment_usd_per_chip) + " (" + std::to_string(o.terminal_months) + " months)";
    if (o.on_demand) {
      d.why = "fallback paid per use at " + Usd(o.usd_per_chip_hour) + " a chip-hour: the allocation uses " +
              Usd(d.expected_used_chip_hours).substr(1) + " chip-hours of it in expectation";
    } else if (!d.sign) {
      d.why = std::string(o.all_or_nothing ? "all or nothing, not worth it: " : "not signed: ") +
              "a chip would add " + Usd(d.value_usd_per_chip) + per_chip + " against its cost of " +
              Usd(d.cost_usd_per_chip) + after;
    } else if (d.chips >= o.max_chips * (1 - 1e-6)) {
      d.why = std::string(o.all_or_nothing ? "all or nothing, signed: " : "signed in full: ") +
              "one more chip would add " + Usd(d.value_usd_per_chip) + per_chip + " against " +
              Usd(d.cost_usd_per_chip) + after + " (net " + Usd(d.net_usd_per_chip) + ")";
    } else if (at_cash_floor) {
      // At the floor the marginal value has a kink (a chip less is worth
      // more than its cost, a chip more costs the shortfall penalty); the
      // duals give either side, so the text does not quote them.
      d.why = "signed short of its maximum: more would take cash below the floor (cost " +
              Usd(d.cost_usd_per_chip) + per_chip + ")";
    } else {
      d.why = "signed up to where one more chip adds what it costs (" + Usd(d.cost_usd_per_chip) + per_chip +
              after + "): beyond it the chips would idle in too many scenarios";
    }
    out.push_back(std::move(d));
  }
  return out;
}

StatusOr<PlanReport> PlanFromProblem(const PlanProblem& problem, const std::vector<PlanScenario>& given_paths,
                                     const PlanRunOptions& options) {
  PlanProblem pr = problem;
  std::vector<PlanScenario> paths = given_paths;
  // Every pass over pr's scenarios (the plan without terminal values, the
  // fixed plans that value them, the plan, the floor checks, the opposite
  // decisions, VSS) starts each scenario from its own last basis.
  ScenarioBases bases;
  SolveOptions solve = options.solve;
  if (options.reuse_passes) solve.bases = &bases;
  // The plan with terminal values starts from the cuts of the plan without
  // them, shifted by each scenario's terminal net (BendersCuts).
  BendersCuts cuts;
  auto step = [&](const std::string& what) {
    if (options.on_step) options.on_step(what);
  };
  const bool has_terminal_months = std::any_of(pr.offers.begin(), pr.offers.end(),
                                               [](const PlanOffer& o) { return o.terminal_months > 0; });
  const bool given = !pr.scenarios.empty() &&
                     std::all_of(pr.scenarios.begin(), pr.scenarios.end(), [&](const PlanScenario& s) {
                       return s.terminal_usd_per_usable_chip_hour.size() == pr.offers.size();
                     });
  if (options.terminal_value == TerminalValueRule::kNone) {
    for (auto* set : {&pr.scenarios, &paths})
      for (auto& s : *set) s.ClearTerminalValues();
  } else if (!given && has_terminal_months) {
    // Measure each scenario's last planned month under the plan judged on
    // the planned months alone.
    step("terminal values: each deal's last planned month (" + std::to_string(pr.scenarios.size()) +
         " scenarios)");
    SolveOptions quiet = solve;
    quiet.on_iteration = nullptr;
    for (auto& s : pr.scenarios) s.ClearTerminalValues();
    SolveOptions first = quiet;
    if (options.reuse_passes) first.cuts = &cuts;
    auto measured = SolveAdmissible(pr, {}, first);
    if (!measured.ok()) return measured.status().WithContext("the plan without terminal values");
    FUNGIBLE_RETURN_IF_ERROR(SetTerminalValues(pr, *measured, quiet, &paths));
    // The mismatch table's points: each its own, measured on its own plan.
    for (auto& path : paths) {
      if (!options.mismatch) break;
      PlanScenario one = path;
      one.ClearTerminalValues();
      PlanProblem single = WithScenarios(pr, {one});
      const SolveOptions local = Local(quiet, solve.threads);
      auto plan_for = SolveAdmissible(single, {}, local);
      if (!plan_for.ok()) return plan_for.status().WithContext("the plan for " + path.name);
      FUNGIBLE_RETURN_IF_ERROR(SetTerminalValues(single, *plan_for, local));
      path.CopyTerminalValues(single.scenarios[0]);
    }
  } else if (given) {
    const PlanScenario mean = MeanScenario(pr, pr.scenarios);
    for (auto& s : paths)
      if (s.terminal_usd_per_usable_chip_hour.size() != pr.offers.size()) s.CopyTerminalValues(mean);
  }
  PlanReport rep;
  rep.terminal_value_rule = TerminalValueRuleName(options.terminal_value);
  rep.fleet = pr.fleet_name;
  rep.start = pr.month_start.front();
  rep.months = pr.months;
  rep.scenarios = static_cast<int>(pr.scenarios.size());
  for (const auto& s : pr.scenarios) rep.scenario_names.push_back(s.name);
  rep.probability = Probabilities(pr);
  rep.risk_aversion = pr.settings.risk_aversion;
  rep.cvar_alpha = pr.settings.cvar_alpha;
  rep.cash_floor_usd = pr.settings.cash_floor_usd;
  rep.unserved_share_limit = pr.settings.unserved_share_limit;

  // Only the plan itself reports its iterations.
  SolveOptions quiet = solve;
  quiet.on_iteration = nullptr;
  step("the plan (" + std::to_string(pr.scenarios.size()) + " scenarios)");
  SolveOptions final_solve = solve;
  if (options.reuse_passes) final_solve.cuts = &cuts;
  auto sol = SolveAdmissible(pr, {}, final_solve);
  if (!sol.ok()) return sol.status();
  rep.solution = std::move(*sol);
  const auto& out = rep.solution.outcomes;
  if (pr.settings.cash_floor_usd &&
      std::any_of(out.begin(), out.end(), [](const ScenarioOutcome& o) { return o.breached(); })) {
    FUNGIBLE_ASSIGN_OR_RETURN(rep.infeasibility, CheckCashFloor(pr, quiet));
    if (!rep.infeasibility.empty()) {  // an answer: no plan keeps cash above the floor
      rep.status = SolveStatus::kInfeasible;
      rep.solution = ProgramSolution();
      return rep;
    }
  }
  {
    // The floor is law: a plan that leaves a floor window short in some
    // scenario is an answer only when no plan meets it.
    const auto floors = FloorWindowsOf(pr);
    bool short_somewhere = false;
    for (const auto& o : rep.solution.outcomes)
      for (size_t k = 0; k < o.floor_shortfall_by_window.size() && k < floors.size(); ++k)
        short_somewhere = short_somewhere ||
                          FloorShort(o.floor_shortfall_by_window[k], floors[k].required_effective_chip_hours);
    if (short_somewhere) {
      FUNGIBLE_ASSIGN_OR_RETURN(rep.infeasibility, CheckFloors(pr, quiet));
      if (!rep.infeasibility.empty()) {
        rep.status = SolveStatus::kInfeasible;
        rep.solution = ProgramSolution();
        return rep;
      }
    }
  }

  rep.objective_usd = ObjectiveUsd(pr, rep.solution);
  rep.expected_value_usd = Expected(pr, out, [](const ScenarioOutcome& o) { return o.value_usd; });
  std::vector<double> value, revenue, cost, cash_profit, imputed, util, unserved, min_cash, tv, tp;
  for (const auto& o : out) {
    value.push_back(o.value_usd);
    tv.push_back(o.terminal_value_usd);
    tp.push_back(o.terminal_payments_usd);
    revenue.push_back(o.revenue_usd);
    cost.push_back(o.cost_usd);
    cash_profit.push_back(o.cash_profit_usd());
    imputed.push_back(o.bid_value_usd);
    util.push_back(o.utilization());
    unserved.push_back(o.unserved_share());
    min_cash.push_back(o.min_cash_usd);
  }
  rep.cvar_loss_usd = CvarOfLossUsd(value, rep.probability, pr.settings.cvar_alpha);
  rep.value_usd = WeightedSpread(value, rep.probability);
  rep.revenue_usd = WeightedSpread(revenue, rep.probability);
  rep.compute_cost_usd = WeightedSpread(cost, rep.probability);
  rep.cash_profit_usd = WeightedSpread(cash_profit, rep.probability);
  rep.imputed_value_usd = WeightedSpread(imputed, rep.probability);
  rep.terminal_value_usd = WeightedSpread(tv, rep.probability);
  rep.terminal_payments_usd = WeightedSpread(tp, rep.probability);
  rep.utilization = WeightedSpread(util, rep.probability);
  rep.unserved_share = WeightedSpread(unserved, rep.probability);
  rep.min_cash_usd = WeightedSpread(min_cash, rep.probability);
  for (int t = 0; t < pr.months; ++t) {
    std::vector<double> cash;
    for (const auto& o : out) cash.push_back(o.cash_usd[t]);
    rep.cash_by_month_usd.push_back(WeightedSpread(cash, rep.probability));
    rep.operating_cost_usd += pr.operating_cost_usd[t];
    rep.financing_usd += pr.financing_usd[t];
  }
  const double floor = pr.settings.cash_floor_usd.value_or(0.0);
  for (double q : {0.9, 0.95})
    rep.capital_to_raise.push_back(CapitalToRaise(pr, out, rep.probability, floor, q));
  rep.return_on_compute =
      ReturnOnCompute(rep.revenue_usd.mean + rep.imputed_value_usd.mean, rep.compute_cost_usd.mean);
  rep.cash_return_on_compute = ReturnOnCompute(rep.revenue_usd.mean, rep.compute_cost_usd.mean);
  for (size_t s = 0; s < out.size(); ++s) {
    if (out[s].unserved_share() > pr.settings.unserved_share_limit + 1e-12)
      rep.probability_unserved_over_limit += rep.probability[s];
    if (out[s].breached()) rep.probability_cash_breach += rep.probability[s];
    rep.expected_floor_shortfall_effective_chip_hours +=
        rep.probability[s] * out[s].floor_shortfall_effective_chip_hours;
  }
  if (rep.expected_floor_shortfall_effective_chip_hours > 1.0) {
    // The floor is law: name the worst window (class, month, scenario).
    std::string worst;
    double worst_short = 0;
    const auto floors = FloorWindowsOf(pr);
    for (size_t s = 0; s < out.size(); ++s)
      for (size_t k = 0; k < out[s].floor_shortfall_by_window.size() && k < floors.size(); ++k)
        if (out[s].floor_shortfall_by_window[k] > worst_short + 1e-9) {
          worst_short = out[s].floor_shortfall_by_window[k];
          const auto& fw = floors[k];
          worst = "; the worst window: " + FloorName(pr, fw) + " in " +
                  FormatMonth(pr.month_start[fw.first_period]) + ", short " + Usd(worst_short).substr(1) +
                  " of " + Usd(fw.required_effective_chip_hours).substr(1) + " in scenario " +
                  pr.scenarios[s].name + " (probability " + Fmt("%.0f%%", 100 * rep.probability[s]) + ")";
        }
    // Only when some plan meets every floor (CheckFloors) but the penalty
    // chose a breach anyway (a lump the penalty does not outweigh).
    rep.warnings.push_back(
        "floor breach: model-development or other floors fall short by " +
        Usd(rep.expected_floor_shortfall_effective_chip_hours).substr(1) +
        " effective chip-hours in expectation although some plan meets them all (an all-or-nothing or "
        "minimum quantity costs more than the shortfall penalty of " +
        Usd(pr.settings.floor_penalty_usd_per_effective_chip_hour) + " per effective chip-hour)" + worst);
  }
  if (!rep.solution.converged)
    rep.warnings.push_back("Benders stopped after " + std::to_string(rep.solution.iterations) +
                           " iterations before reaching the gap: the plan is the best found, within " +
                           Usd((rep.solution.objective_musd - rep.solution.lower_bound_musd) / kUsdScale) +
                           " of optimal");
  rep.offers = DescribeOffers(pr, rep.solution);
  for (size_t o = 0; o < pr.offers.size() && options.decision_values; ++o) {
    if (!pr.offers[o].needs_binary()) continue;
    // The opposite decision, everything else free.
    FirstStageBounds b;
    b.lo.assign(pr.offers.size(), 0.0);
    for (const auto& off : pr.offers) b.hi.push_back(off.max_chips);
    OfferDecision& d = rep.offers[o];
    if (d.sign) {
      b.hi[o] = 0.0;
    } else {
      b.lo[o] = b.hi[o] = pr.offers[o].all_or_nothing ? pr.offers[o].max_chips : pr.offers[o].min_chips;
    }
    step("the value of the decision on " + rep.offers[o].id);
    auto other = SolveAdmissible(pr, b, quiet);
    if (!other.ok()) return other.status().WithContext("the opposite decision on offer " + d.id);
    d.decision_value_usd = rep.objective_usd - ObjectiveUsd(pr, *other);
    if (pr.offers[o].all_or_nothing) {
      d.why =
          d.sign ? "all or nothing, signed: the plan is worth " + Usd(*d.decision_value_usd) +
                       " more with it than without"
                 : "all or nothing, not signed: signing it would cost the plan " + Usd(*d.decision_value_usd);
    } else {
      d.why += d.sign ? "; the plan is worth " + Usd(*d.decision_value_usd) + " more with it than without"
                      : "; signing its minimum would cost the plan " + Usd(*d.decision_value_usd);
    }
  }

  const int threads = solve.threads;
  if (options.vss) {
    // Plan for the mean scenario, then live with that plan in every scenario.
    step("VSS: the plan for the mean scenario");
    PlanProblem ev = WithScenarios(pr, {MeanScenario(pr, pr.scenarios)});
    auto ev_sol = SolveAdmissible(ev, {}, Local(quiet, threads));
    if (!ev_sol.ok()) return ev_sol.status().WithContext("the expected-value plan (VSS)");
    rep.ev_plan_chips = ev_sol->chips;
    auto eev = SolveAdmissible(pr, Fixed(ev_sol->chips), quiet);
    if (!eev.ok()) return eev.status().WithContext("the expected-value plan in every scenario (VSS)");
    rep.eev_objective_usd = ObjectiveUsd(pr, *eev);
    rep.vss_usd = rep.objective_usd - rep.eev_objective_usd;
  }
  if (options.evpi) {
    // Wait and see: each scenario with its own first stage, known in advance.
    step("EVPI: each scenario on its own");
    const PlanComm* comm = solve.comm;
    const int K = static_cast<int>(pr.scenarios.size());
    const int R = comm ? comm->size() : 1, r = comm ? comm->rank() : 0;
    const int begin = static_cast<int>(static_cast<long long>(K) * r / R);
    const int end = static_cast<int>(static_cast<long long>(K) * (r + 1) / R);
    std::vector<double> mine(static_cast<size_t>(end - begin) + 1, 0.0);
    Status st = ForScenarios(begin, end, threads, [&](int s) {
      PlanScenario one = pr.scenarios[s];
      one.probability = 1.0;
      PlanProblem single = WithScenarios(pr, {one});
      auto ws = SolveAdmissible(single, {}, Local(quiet, 1));
      if (!ws.ok()) return ws.status().WithContext("wait-and-see plan for scenario " + pr.scenarios[s].name);
      mine[1 + s - begin] = ObjectiveUsd(single, *ws);
      return Status::Ok();
    });
    mine[0] = st.ok() ? 0.0 : 1.0;
    std::vector<double> all = comm ? comm->AllGather(mine) : mine;
    if (!st.ok()) return st;
    double ws = 0;
    size_t i = 0;
    for (int rank = 0; rank < R; ++rank) {
      const int b = static_cast<int>(static_cast<long long>(K) * rank / R);
      const int e = static_cast<int>(static_cast<long long>(K) * (rank + 1) / R);
      if (all[i++] != 0.0) return Status::Internal("plan: a wait-and-see solve failed on another process");
      for (int s = b; s < e; ++s) ws += pr.scenarios[s].probability * all[i++];
    }
    rep.ws_objective_usd = ws;
    rep.evpi_usd = ws - rep.objective_usd;
  }
  if (options.mismatch && !paths.empty()) {
    MismatchTable mt;
    const size_t n = paths.size();
    std::vector<PlanProblem> point;
    for (const auto& p : paths) {
      mt.points.push_back(p.name);
      point.push_back(WithScenarios(pr, {p}));
    }
    step("the mismatch table");
    for (size_t i = 0; i < n; ++i) {
      auto plan_i = SolveAdmissible(point[i], {}, Local(quiet, threads));
      if (!plan_i.ok()) return plan_i.status().WithContext("the plan for " + paths[i].name);
      mt.chips.push_back(plan_i->chips);
      std::vector<double> value_row, cash_row, obj_row, unserved_row, util_row;
      for (size_t j = 0; j < n; ++j) {
        auto e = SolveAdmissible(point[j], Fixed(plan_i->chips), Local(quiet, threads));
        if (!e.ok())
          return e.status().WithContext("the plan for " + paths[i].name + " when " + paths[j].name +
                                        " happens");
        value_row.push_back(e->outcomes[0].value_usd);
        cash_row.push_back(e->outcomes[0].cash_profit_usd());
        obj_row.push_back(ObjectiveUsd(point[j], *e));
        unserved_row.push_back(e->outcomes[0].unserved_share());
        util_row.push_back(e->outcomes[0].utilization());
      }
      mt.value_usd.push_back(value_row);
      mt.cash_profit_usd.push_back(cash_row);
      mt.objective_usd.push_back(obj_row);
      mt.unserved_share.push_back(unserved_row);
      mt.utilization.push_back(util_row);
    }
    rep.mismatch = std::move(mt);
  }
  return rep;
}

StatusOr<PlanReport> RunPlan(const Fleet& fleet, const PlanRunOptions& options) {
  auto pr = BuildPlanProblem(fleet);
  if (!pr.ok()) return pr.status();
  auto cone = DrawConeScenarios(fleet, *pr, {0.1, 0.5, 0.9}, options.solve.threads);
  if (!cone.ok()) return cone.status();
  pr->scenarios = cone->representatives;
  auto rep = PlanFromProblem(*pr, cone->quantile_paths, options);
  if (!rep.ok()) return rep.status();
  rep->drawn_scenarios = cone->drawn;
  rep->reduction_distance = cone->reduction_distance;
  return rep;
}

}  // namespace fungible

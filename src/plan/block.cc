#include "plan/block.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace fungible {
namespace {

// A chip is allocated only where it earns more than this (USD per chip-hour):
// without it, chips that earn nothing sit on arbitrary workloads at a
// degenerate optimum and utilization would depend on the solver's path. A
// cent is far below any price or bid, and above Clp's tolerances once scaled
// to millions of USD per chip-month.
constexpr double kIdlePreference = 0.01;

// Tokens per chip-hour of model m in month t relative to the spec's (1 when
// the problem carries no factors).
double Speed(const PlanProblem& pr, int m, int t) {
  return pr.throughput_factor.empty() ? 1.0 : pr.throughput_factor[m][t];
}

// Output tokens one chip-hour of pool p on workload w serves in month t (0 unless w serves).
double TokensPerChipHour(const PlanProblem& pr, int p, int w, int t) {
  const int m = pr.instance.workloads[w].served_model;
  return m < 0 ? 0.0 : pr.instance.models[m].output_tokens_per_s_per_chip[p] * 3600.0 * Speed(pr, m, t);
}

// Token revenue of one chip-hour of pool p on workload w in month t (0 unless w serves).
double RevenuePerChipHour(const PlanProblem& pr, int p, int w, int t) {
  const int m = pr.instance.workloads[w].served_model;
  if (m < 0) return 0.0;
  return pr.instance.models[m].usd_per_output_token * pr.price_factor[m][t] * TokensPerChipHour(pr, p, w, t);
}

// The allocation LP's demand row counts tokens at the spec's throughput
// (output_tokens_per_s_per_chip); a month whose chips serve `Speed` times as
// many asks for demand / Speed of those tokens.
double DemandAtListedSpeed(const PlanProblem& pr, const PlanScenario& s, int m, int t) {
  return s.demand_output_tokens[m][t] / Speed(pr, m, t);
}

// The money an offer's decisions move, per chip, in USD.
struct OfferMoney {
  double cost_per_chip_usd = 0;       // q: cost over the horizon
  std::vector<double> cash_per_chip;  // q: payment in month t (prepayment in month 0)
};

OfferMoney SignedMoney(const PlanProblem& pr, const PlanOffer& o) {
  OfferMoney m;
  m.cash_per_chip.assign(pr.months, 0.0);
  for (int t = 0; t < pr.months; ++t) {
    const double c = o.usd_per_chip_hour * pr.hours[t] * o.landed[t];
    m.cost_per_chip_usd += c;
    m.cash_per_chip[t] = (1.0 - o.prepayment_fraction) * c;
  }
  if (pr.months > 0) m.cash_per_chip[0] += o.prepayment_usd_per_chip;
  return m;
}

// Exercising option k of offer o in month tau: cost per chip over the horizon,
// payment per month, capacity per month (chips per chip exercised, before
// availability; negative for reductions).
struct OptionEffect {
  bool exercisable = false;
  double cost_per_chip_usd = 0;
  std::vector<double> cash_per_chip;
  std::vector<double> chips;  // landed chips per chip exercised, by month
};

OptionEffect ExerciseEffect(const PlanProblem& pr, const PlanOffer& o, const PlanOffer::Option& k, int tau) {
  OptionEffect e;
  const int T = pr.months;
  const int from = tau + k.notice_months;
  if (from >= T) return e;
  e.cash_per_chip.assign(T, 0.0);
  e.chips.assign(T, 0.0);
  const bool expand = k.kind == OptionKind::kExpand;
  for (int t = from; t < T; ++t) {
    const double share = expand ? o.in_window[t] : o.landed[t];
    if (share <= 0) continue;
    e.exercisable = true;
    if (expand) {
      const double c = k.usd_per_chip_hour * pr.hours[t] * share;
      e.cost_per_chip_usd += c;
      e.cash_per_chip[t] += c;
      e.chips[t] = share;
    } else {
      const double saved = (1.0 - o.prepayment_fraction) * o.usd_per_chip_hour * pr.hours[t] * share;
      e.cost_per_chip_usd -= saved;
      e.cash_per_chip[t] -= saved;
      e.chips[t] = -share;
    }
  }
  e.cost_per_chip_usd += k.fee_usd_per_chip;
  e.cash_per_chip[tau] += k.fee_usd_per_chip;
  return e;
}

double CommittedTotal(const PlanProblem& pr) {
  double c = 0;
  for (double v : pr.committed_cost_usd) c += v;
  return c;
}

}  // namespace

PlanScenario ScenarioEnvelope(const PlanProblem& pr) {
  PlanScenario env = pr.scenarios.front();
  env.name = "envelope";
  for (const auto& s : pr.scenarios) {
    for (size_t o = 0; o < pr.offers.size(); ++o) {
      const TerminalCurve* c = TerminalCurveOf(pr, s, static_cast<int>(o));
      if (c == nullptr) continue;
      env.terminal_curve.resize(pr.offers.size());
      if (c->segments() > env.terminal_curve[o].segments()) env.terminal_curve[o] = *c;
    }
    for (size_t m = 0; m < env.demand_output_tokens.size(); ++m)
      for (int t = 0; t < pr.months; ++t)
        env.demand_output_tokens[m][t] =
            std::max(env.demand_output_tokens[m][t], s.demand_output_tokens[m][t]);
    for (size_t w = 0; w < env.bid_multiple.size(); ++w)
      for (int t = 0; t < pr.months; ++t)
        env.bid_multiple[w][t] = std::max(env.bid_multiple[w][t], s.bid_multiple[w][t]);
  }
  return env;
}

BlockIndex AppendScenarioBlock(const PlanProblem& pr, const PlanScenario& s, double weight,
                               const std::vector<int>& link_col, LpModel& lp, const std::string& prefix) {
  const int T = pr.months;
  const double S = kUsdScale;
  const auto& base = pr.instance;
  const int P = static_cast<int>(base.pools.size()), W = static_cast<int>(base.workloads.size());
  const bool names = lp.keep_names;
  auto nm = [&](const std::string& what, int t) {
    return names ? prefix + what + "_" + std::to_string(t) : std::string();
  };

  // Phase one of the cash check keeps only the shortfall in the objective.
  const double cash_weight = weight;
  if (pr.settings.cash_feasibility_only || pr.settings.floor_feasibility_only) weight = 0.0;
  BlockIndex b;
  b.link_col = link_col;
  b.first_column = lp.num_columns();
  b.first_row = lp.num_rows();

  AllocationInstance inst = base;
  for (size_t m = 0; m < inst.models.size(); ++m)
    for (int t = 0; t < T; ++t)
      inst.models[m].demand_output_tokens[t] = DemandAtListedSpeed(pr, s, static_cast<int>(m), t);
  AllocationLpOptions ao;
  ao.integer_gangs = false;
  ao.bound_columns_by_capacity = false;
  ao.idle_preference_usd_per_chip_hour = kIdlePreference;
  b.alloc = AppendAllocationLp(inst, lp, weight * S, prefix, ao);
  const AllocationLpIndex& a = b.alloc;

  // Profit row: pi - value + cost = -committed cost.
  b.value_col = lp.AddColumn(names ? prefix + "value" : "", 0.0, -kLpInfinity, kLpInfinity);
  const double committed = CommittedTotal(pr) * S;
  b.value_row = lp.AddRow(names ? prefix + "value_def" : "", -committed, -committed);
  lp.AddCoefficient(b.value_row, b.value_col, 1.0);

  const bool cash = pr.settings.cash_floor_usd.has_value();
  std::vector<int> cash_row(T, -1);
  if (cash) {
    b.cash_col.assign(T, -1);
    b.cash_short_col.assign(T, -1);
    for (int t = 0; t < T; ++t) {
      b.cash_col[t] = lp.AddColumn(nm("cash", t), 0.0, -kLpInfinity, kLpInfinity);
      b.cash_short_col[t] = lp.AddColumn(
          nm("cash_short", t),
          pr.settings.floor_feasibility_only
              ? 0.0
              : cash_weight * (pr.settings.cash_feasibility_only ? 1.0 : pr.settings.cash_shortfall_penalty),
          0.0, kLpInfinity);
      double rhs = (pr.financing_usd[t] - pr.committed_cost_usd[t] - pr.operating_cost_usd[t]) * S +
                   (t == 0 ? pr.settings.initial_cash_usd * S : 0.0);
      cash_row[t] = lp.AddRow(nm("cash_flow", t), rhs, rhs);
      lp.AddCoefficient(cash_row[t], b.cash_col[t], 1.0);
      if (t > 0) lp.AddCoefficient(cash_row[t], b.cash_col[t - 1], -1.0);
      const int floor_row = lp.AddRow(nm("cash_floor", t), *pr.settings.cash_floor_usd * S, kLpInfinity);
      lp.AddCoefficient(floor_row, b.cash_col[t], 1.0);
      lp.AddCoefficient(floor_row, b.cash_short_col[t], 1.0);
    }
  }

  // Allocation columns: revenue with the month's price, per-use cost.
  for (int p = 0; p < P; ++p)
    for (int w = 0; w < W; ++w) {
      if (a.x_col[p][w].empty()) continue;
      const double c = a.chips_per_unit[p][w];
      for (int t = 0; t < T; ++t) {
        const int col = a.x_col[p][w][t];
        if (col < 0) continue;
        const double h = pr.hours[t];
        const double rev = RevenuePerChipHour(pr, p, w, t);
        const double per_use = pr.per_use_usd_per_chip_hour[p];
        lp.columns[col].obj = weight * S * (kIdlePreference - rev + per_use) * h * c;
        const double value = (rev - per_use) * h * c * S;
        if (value != 0) lp.AddCoefficient(b.value_row, col, -value);
        if (cash && value != 0) lp.AddCoefficient(cash_row[t], col, -value);
      }
    }
  // Bids: quantities grow with the class's demand multiple.
  for (int w = 0; w < W; ++w)
    for (size_t k = 0; k < a.bid_col[w].size(); ++k)
      for (int t = 0; t < T; ++t) {
        const int col = a.bid_col[w][k][t];
        if (col < 0) continue;
        lp.columns[col].ub = base.workloads[w].bids[k].effective_chips * s.bid_multiple[w][t];
        lp.AddCoefficient(b.value_row, col,
                          -base.workloads[w].bids[k].usd_per_effective_chip_hour * pr.hours[t] * S);
      }
  // Floors may fall short, at a price above anything a chip-hour earns or
  // costs (complete recourse: Benders needs no feasibility cuts); a plan
  // left short is reported as infeasible (plan.cc). Class floors first, then
  // shared ones, as FloorWindowsOf lists them.
  const double floor_cost = pr.settings.floor_feasibility_only
                                ? cash_weight
                                : weight * S * pr.settings.floor_penalty_usd_per_effective_chip_hour;
  for (const auto* rows : {&a.floor_rows, &a.shared_floor_rows})
    for (const auto& fr : *rows) {
      const std::string who = fr.shared >= 0 ? "s" + std::to_string(fr.shared) : std::to_string(fr.workload);
      const int col = lp.AddColumn(nm("floor_short_" + who, fr.first_period), floor_cost, 0.0, kLpInfinity);
      lp.AddCoefficient(fr.row, col, 1.0);
      b.floor_short_col.push_back(col);
    }

  // Offers: signed chips land into their pool's capacity rows.
  b.terminal_col.assign(pr.offers.size(), -1);
  b.terminal_rows.assign(pr.offers.size(), {});
  b.terminal_probe_col.assign(pr.offers.size(), -1);
  for (size_t oi = 0; oi < pr.offers.size(); ++oi) {
    const PlanOffer& o = pr.offers[oi];
    const int j = pr.link_of_offer(static_cast<int>(oi));
    if (j < 0) continue;
    const int q = link_col[j];
    const OfferMoney money = SignedMoney(pr, o);
    // The months after the horizon: terminal value less terminal payments,
    // linear in q (a rate) or the concave curve through t_o.
    const TerminalCurve* curve = TerminalCurveOf(pr, s, static_cast<int>(oi));
    const double terminal =
        curve ? -o.terminal_payment_usd_per_chip : TerminalNetUsdPerChip(pr, s, static_cast<int>(oi));
    lp.columns[q].obj += weight * S * (money.cost_per_chip_usd - terminal);
    lp.AddCoefficient(b.value_row, q, (money.cost_per_chip_usd - terminal) * S);
    if (curve) {
      const int tv = lp.AddColumn(names ? prefix + "terminal_" + o.id : "", -weight, 0.0, kLpInfinity);
      b.terminal_col[oi] = tv;
      lp.AddCoefficient(b.value_row, tv, -1.0);
      const int probe = lp.AddColumn(names ? prefix + "terminal_probe_" + o.id : "", 0.0, 0.0, 0.0);
      b.terminal_probe_col[oi] = probe;
      for (int k = 0; k < curve->segments(); ++k) {
        const int r = lp.AddRow(nm("terminal_" + o.id, k), -kLpInfinity, curve->Intercept(k) * S);
        lp.AddCoefficient(r, tv, 1.0);
        lp.AddCoefficient(r, q, -curve->Slope(k) * S);
        lp.AddCoefficient(r, probe, -curve->Slope(k) * S);
        b.terminal_rows[oi].push_back(r);
      }
    }
    for (int t = 0; t < T; ++t) {
      if (o.landed[t] > 0) lp.AddCoefficient(a.capacity_row[o.pool][t], q, -o.availability * o.landed[t]);
      if (cash && money.cash_per_chip[t] != 0) lp.AddCoefficient(cash_row[t], q, money.cash_per_chip[t] * S);
    }
    std::vector<int> reducing_rows;
    int n_reducing = 0;
    for (const auto& k : o.options) n_reducing += k.kind == OptionKind::kExpand ? 0 : 1;
    const int combined =
        n_reducing >= 2 ? lp.AddRow(names ? prefix + "reduce_all_" + o.id : "", -kLpInfinity, 0.0) : -1;
    if (combined >= 0) lp.AddCoefficient(combined, q, -1.0);
    for (size_t ki = 0; ki < o.options.size(); ++ki) {
      const auto& k = o.options[ki];
      BlockIndex::OptionCols oc;
      oc.offer = static_cast<int>(oi);
      oc.option = static_cast<int>(ki);
      oc.col.assign(T, -1);
      const int cap =
          lp.AddRow(names ? prefix + "opt_" + o.id + "_" + OptionKindName(k.kind) : "", -kLpInfinity, 0.0);
      lp.AddCoefficient(cap, q, -k.max_fraction);
      for (int tau = 0; tau < T; ++tau) {
        const OptionEffect e = ExerciseEffect(pr, o, k, tau);
        if (!e.exercisable) continue;
        const int col = lp.AddColumn(nm("ex_" + o.id + "_" + OptionKindName(k.kind), tau),
                                     weight * S * e.cost_per_chip_usd, 0.0, kLpInfinity);
        oc.col[tau] = col;
        lp.AddCoefficient(cap, col, 1.0);
        if (combined >= 0 && k.kind != OptionKind::kExpand) lp.AddCoefficient(combined, col, 1.0);
        lp.AddCoefficient(b.value_row, col, e.cost_per_chip_usd * S);
        for (int t = 0; t < T; ++t) {
          if (e.chips[t] != 0)
            lp.AddCoefficient(a.capacity_row[o.pool][t], col, -o.availability * e.chips[t]);
          if (cash && e.cash_per_chip[t] != 0) lp.AddCoefficient(cash_row[t], col, e.cash_per_chip[t] * S);
        }
      }
      b.options.push_back(std::move(oc));
    }
  }

  if (pr.has_cvar()) {
    const double lambda = pr.settings.risk_aversion, alpha = pr.settings.cvar_alpha;
    b.cvar_col =
        lp.AddColumn(names ? prefix + "cvar_excess" : "", weight * lambda / (1.0 - alpha), 0.0, kLpInfinity);
    const int row = lp.AddRow(names ? prefix + "cvar" : "", 0.0, kLpInfinity);
    lp.AddCoefficient(row, b.cvar_col, 1.0);
    lp.AddCoefficient(row, b.value_col, 1.0);
    lp.AddCoefficient(row, link_col[pr.eta_link()], 1.0);
  }
  b.end_column = lp.num_columns();
  b.end_row = lp.num_rows();
  return b;
}

ScenarioBounds BoundsFor(const PlanProblem& pr, const PlanScenario& s, const BlockIndex& b) {
  ScenarioBounds out;
  const auto& a = b.alloc;
  for (size_t m = 0; m < a.demand_row.size(); ++m)
    for (int t = 0; t < pr.months; ++t)
      if (a.demand_row[m][t] >= 0)
        out.row_upper.emplace_back(a.demand_row[m][t],
                                   DemandAtListedSpeed(pr, s, static_cast<int>(m), t) / 1e6);
  for (size_t w = 0; w < a.bid_col.size(); ++w)
    for (size_t k = 0; k < a.bid_col[w].size(); ++k)
      for (int t = 0; t < pr.months; ++t)
        if (a.bid_col[w][k][t] >= 0)
          out.col_upper.emplace_back(a.bid_col[w][k][t],
                                     pr.instance.workloads[w].bids[k].effective_chips * s.bid_multiple[w][t]);
  // A block built with weight 1 (a Benders subproblem): the links' terminal
  // net is this scenario's.
  for (size_t oi = 0; oi < pr.offers.size(); ++oi) {
    const int j = pr.link_of_offer(static_cast<int>(oi));
    const bool curved = oi < b.terminal_col.size() && b.terminal_col[oi] >= 0;
    if (j < 0 || (s.terminal_usd_per_usable_chip_hour.empty() && !curved)) continue;
    const PlanOffer& o = pr.offers[oi];
    const double terminal =
        curved ? -o.terminal_payment_usd_per_chip : TerminalNetUsdPerChip(pr, s, static_cast<int>(oi));
    const double c = (SignedMoney(pr, o).cost_per_chip_usd - terminal) * kUsdScale;
    out.col_objective.emplace_back(b.link_col[j], pr.settings.cash_feasibility_only ? 0.0 : c);
    out.coefficients.push_back({b.value_row, b.link_col[j], c});
    if (!curved) continue;
    // The curve's lines, its last repeated to fill the block's rows.
    const TerminalCurve* curve = TerminalCurveOf(pr, s, static_cast<int>(oi));
    const int n = curve ? curve->segments() : 0;
    for (size_t k = 0; k < b.terminal_rows[oi].size(); ++k) {
      const int kk = std::min(static_cast<int>(k), n - 1);
      const double slope =
          curve ? curve->Slope(kk) : TerminalSlopeUsdPerChip(pr, s, static_cast<int>(oi), 0.0, true);
      const double intercept = curve ? curve->Intercept(kk) : 0.0;
      out.row_upper.emplace_back(b.terminal_rows[oi][k], intercept * kUsdScale);
      out.coefficients.push_back({b.terminal_rows[oi][k], b.link_col[j], -slope * kUsdScale});
      out.coefficients.push_back({b.terminal_rows[oi][k], b.terminal_probe_col[oi], -slope * kUsdScale});
    }
  }
  return out;
}

ScenarioOutcome ReadOutcome(const PlanProblem& pr, const PlanScenario& s, const BlockIndex& b,
                            const std::vector<double>& x) {
  const int T = pr.months;
  const auto& base = pr.instance;
  const auto& a = b.alloc;
  const int P = static_cast<int>(base.pools.size()), W = static_cast<int>(base.workloads.size());
  const int M = static_cast<int>(base.models.size());
  ScenarioOutcome out;
  out.pool_used_chip_hours.assign(P, 0.0);
  out.pool_capacity_chip_hours.assign(P, 0.0);
  out.pool_used_by_month.assign(P, std::vector<double>(T, 0.0));
  out.pool_value_last_month_usd.assign(P, 0.0);
  out.pool_usable_last_month_chip_hours.assign(P, 0.0);
  std::vector<std::vector<double>> last_month_chip_hours(P, std::vector<double>(W, 0.0));  // [p][w]
  std::vector<double> cash_in(T, 0.0), cash_out(T, 0.0);
  std::vector<std::vector<double>> served(M, std::vector<double>(T, 0.0));
  double per_use_cost = 0;
  for (int p = 0; p < P; ++p)
    for (int w = 0; w < W; ++w) {
      if (a.x_col[p][w].empty()) continue;
      const double c = a.chips_per_unit[p][w];
      for (int t = 0; t < T; ++t) {
        const int col = a.x_col[p][w][t];
        if (col < 0) continue;
        const double chip_hours = std::max(0.0, x[col]) * c * pr.hours[t];
        const double rev = RevenuePerChipHour(pr, p, w, t) * chip_hours;
        const double use = pr.per_use_usd_per_chip_hour[p] * chip_hours;
        out.revenue_usd += rev;
        per_use_cost += use;
        cash_in[t] += rev;
        cash_out[t] += use;
        out.used_chip_hours += chip_hours;
        out.pool_used_chip_hours[p] += chip_hours;
        out.pool_used_by_month[p][t] += chip_hours;
        if (t == T - 1) {
          out.pool_value_last_month_usd[p] += rev - use;
          last_month_chip_hours[p][w] += chip_hours;
        }
        const int m = base.workloads[w].served_model;
        if (m >= 0) served[m][t] += TokensPerChipHour(pr, p, w, t) * chip_hours;
      }
    }
  for (int m = 0; m < M; ++m)
    for (int t = 0; t < T; ++t) {
      out.demand_output_tokens += s.demand_output_tokens[m][t];
      out.served_output_tokens += std::min(served[m][t], s.demand_output_tokens[m][t]);
    }
  for (int w = 0; w < W; ++w) {
    double last_month_bids = 0;
    for (size_t k = 0; k < a.bid_col[w].size(); ++k)
      for (int t = 0; t < T; ++t)
        if (a.bid_col[w][k][t] >= 0) {
          const double v = std::max(0.0, x[a.bid_col[w][k][t]]) *
                           base.workloads[w].bids[k].usd_per_effective_chip_hour * pr.hours[t];
          out.bid_value_usd += v;
          if (t == T - 1) last_month_bids += v;
        }
    // The last month's bid value goes to the pools in proportion to the
    // chip-hours they gave the class.
    double chip_hours = 0;
    for (int p = 0; p < P; ++p) chip_hours += last_month_chip_hours[p][w];
    if (chip_hours > 0)
      for (int p = 0; p < P; ++p)
        out.pool_value_last_month_usd[p] += last_month_bids * last_month_chip_hours[p][w] / chip_hours;
  }
  for (int p = 0; p < P; ++p) {
    for (int t = 0; t < T; ++t)
      out.pool_capacity_chip_hours[p] += base.pools[p].capacity_chips[t] * pr.hours[t];
    if (T > 0)
      out.pool_usable_last_month_chip_hours[p] = base.pools[p].capacity_chips[T - 1] * pr.hours[T - 1];
  }

  double offer_cost = 0;
  out.option_chips.assign(pr.offers.size(), {});
  for (size_t oi = 0; oi < pr.offers.size(); ++oi) {
    const PlanOffer& o = pr.offers[oi];
    out.option_chips[oi].assign(o.options.size(), 0.0);
    const int j = pr.link_of_offer(static_cast<int>(oi));
    if (j < 0) continue;
    const double q = x[b.link_col[j]];
    const OfferMoney money = SignedMoney(pr, o);
    offer_cost += money.cost_per_chip_usd * q;
    if (s.terminal_usd_per_usable_chip_hour.size() == pr.offers.size() ||
        TerminalCurveOf(pr, s, static_cast<int>(oi)) != nullptr) {
      out.terminal_value_usd += TerminalValueUsd(pr, s, static_cast<int>(oi), q);
      out.terminal_payments_usd += o.terminal_payment_usd_per_chip * q;
    }
    std::vector<double> landed(T, 0.0);
    for (int t = 0; t < T; ++t) {
      cash_out[t] += money.cash_per_chip[t] * q;
      landed[t] = o.landed[t] * q;
    }
    for (const auto& oc : b.options) {
      if (oc.offer != static_cast<int>(oi)) continue;
      const auto& k = o.options[oc.option];
      for (int tau = 0; tau < T; ++tau) {
        if (oc.col[tau] < 0) continue;
        const double v = std::max(0.0, x[oc.col[tau]]);
        if (v <= 0) continue;
        out.option_chips[oi][oc.option] += v;
        const OptionEffect e = ExerciseEffect(pr, o, k, tau);
        offer_cost += e.cost_per_chip_usd * v;
        for (int t = 0; t < T; ++t) {
          cash_out[t] += e.cash_per_chip[t] * v;
          landed[t] += e.chips[t] * v;
        }
      }
    }
    for (int t = 0; t < T; ++t)
      out.pool_capacity_chip_hours[o.pool] += o.availability * std::max(0.0, landed[t]) * pr.hours[t];
    if (T > 0)
      out.pool_usable_last_month_chip_hours[o.pool] +=
          o.availability * std::max(0.0, landed[T - 1]) * pr.hours[T - 1];
  }
  for (double v : out.pool_capacity_chip_hours) out.capacity_chip_hours += v;
  const double committed = CommittedTotal(pr);
  out.cost_usd = committed + offer_cost + per_use_cost;
  out.value_usd =
      out.revenue_usd + out.bid_value_usd - out.cost_usd + out.terminal_value_usd - out.terminal_payments_usd;

  double cash = pr.settings.initial_cash_usd;
  out.cash_usd.assign(T, 0.0);
  out.min_cash_usd = std::numeric_limits<double>::infinity();
  for (int t = 0; t < T; ++t) {
    cash +=
        cash_in[t] - cash_out[t] - pr.committed_cost_usd[t] - pr.operating_cost_usd[t] + pr.financing_usd[t];
    out.cash_usd[t] = cash;
    out.min_cash_usd = std::min(out.min_cash_usd, cash);
    if (pr.settings.cash_floor_usd) {
      const double below = *pr.settings.cash_floor_usd - cash;
      // Below by more than solver noise: first-stage quantities are optimal
      // to a relative gap, so cash at a binding floor may miss it by a few
      // millionths of the amounts involved.
      const double noise =
          std::max(1.0, 1e-5 * std::max(std::fabs(*pr.settings.cash_floor_usd), std::fabs(cash)));
      if (below > noise) {
        out.cash_shortfall_usd_months += below;
        ++out.breach_months;
      }
    }
  }
  for (int col : b.floor_short_col) {
    out.floor_shortfall_effective_chip_hours += std::max(0.0, x[col]);
    out.floor_shortfall_by_window.push_back(std::max(0.0, x[col]));
  }
  if (b.cvar_col >= 0) out.cvar_excess_usd = std::max(0.0, x[b.cvar_col]) / kUsdScale;
  out.penalty_usd =
      out.floor_shortfall_effective_chip_hours * pr.settings.floor_penalty_usd_per_effective_chip_hour +
      out.cash_shortfall_usd_months * pr.settings.cash_shortfall_penalty;
  // The block's objective per unit weight, without the idle preference (a
  // solved subproblem reports the LP's own value instead).
  double obj = -(out.revenue_usd + out.bid_value_usd - offer_cost - per_use_cost + out.terminal_value_usd -
                 out.terminal_payments_usd) +
               out.penalty_usd;
  if (pr.has_cvar()) obj += pr.settings.risk_aversion / (1.0 - pr.settings.cvar_alpha) * out.cvar_excess_usd;
  out.objective = obj * kUsdScale;
  return out;
}

std::vector<double> ScenarioOutcome::Pack() const {
  std::vector<double> v = {objective,
                           value_usd,
                           revenue_usd,
                           bid_value_usd,
                           cost_usd,
                           demand_output_tokens,
                           served_output_tokens,
                           capacity_chip_hours,
                           used_chip_hours,
                           min_cash_usd,
                           cash_shortfall_usd_months,
                           static_cast<double>(breach_months),
                           floor_shortfall_effective_chip_hours,
                           cvar_excess_usd,
                           penalty_usd,
                           terminal_value_usd,
                           terminal_payments_usd};
  auto put = [&](const std::vector<double>& xs) {
    v.push_back(static_cast<double>(xs.size()));
    v.insert(v.end(), xs.begin(), xs.end());
  };
  put(cash_usd);
  put(pool_used_chip_hours);
  put(pool_capacity_chip_hours);
  v.push_back(static_cast<double>(pool_used_by_month.size()));
  for (const auto& xs : pool_used_by_month) put(xs);
  v.push_back(static_cast<double>(option_chips.size()));
  for (const auto& xs : option_chips) put(xs);
  put(link_gradient);
  put(terminal_gradient);
  put(floor_shortfall_by_window);
  put(pool_value_last_month_usd);
  put(pool_usable_last_month_chip_hours);
  return v;
}

ScenarioOutcome ScenarioOutcome::Unpack(const double* d, size_t size) {
  ScenarioOutcome o;
  size_t i = 0;
  auto next = [&]() { return i < size ? d[i++] : 0.0; };
  o.objective = next();
  o.value_usd = next();
  o.revenue_usd = next();
  o.bid_value_usd = next();
  o.cost_usd = next();
  o.demand_output_tokens = next();
  o.served_output_tokens = next();
  o.capacity_chip_hours = next();
  o.used_chip_hours = next();
  o.min_cash_usd = next();
  o.cash_shortfall_usd_months = next();
  o.breach_months = static_cast<int>(next());
  o.floor_shortfall_effective_chip_hours = next();
  o.cvar_excess_usd = next();
  o.penalty_usd = next();
  o.terminal_value_usd = next();
  o.terminal_payments_usd = next();
  auto get = [&](std::vector<double>& xs) {
    const size_t n = static_cast<size_t>(next());
    xs.clear();
    for (size_t k = 0; k < n; ++k) xs.push_back(next());
  };
  get(o.cash_usd);
  get(o.pool_used_chip_hours);
  get(o.pool_capacity_chip_hours);
  o.pool_used_by_month.resize(static_cast<size_t>(next()));
  for (auto& xs : o.pool_used_by_month) get(xs);
  o.option_chips.resize(static_cast<size_t>(next()));
  for (auto& xs : o.option_chips) get(xs);
  get(o.link_gradient);
  get(o.terminal_gradient);
  get(o.floor_shortfall_by_window);
  get(o.pool_value_last_month_usd);
  get(o.pool_usable_last_month_chip_hours);
  return o;
}

}  // namespace fungible

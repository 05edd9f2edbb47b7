#include "ledger/review.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/text.h"

namespace fungible {
namespace {

// $1.23M, $812k, $950 (sign kept, "-" for losses).
std::string Usd(double v) {
  const double a = std::fabs(v);
  const std::string sign = v < -0.005 ? "-" : "";
  if (a >= 1e9) return sign + "$" + Fmt("%.2fB", a / 1e9);
  if (a >= 1e6) return sign + "$" + Fmt("%.2fM", a / 1e6);
  if (a >= 1e3) return sign + "$" + Fmt("%.1fk", a / 1e3);
  return sign + "$" + Fmt("%.0f", a);
}
std::string SignedUsd(double v) { return (v >= 0.005 ? "+" : "") + Usd(v); }
// 1.2T, 340B, 12M.
std::string Qty(double v) {
  const double a = std::fabs(v);
  const std::string sign = v < 0 ? "-" : "";
  if (a >= 1e12) return sign + Fmt("%.2fT", a / 1e12);
  if (a >= 1e9) return sign + Fmt("%.2fB", a / 1e9);
  if (a >= 1e6) return sign + Fmt("%.2fM", a / 1e6);
  if (a >= 1e3) return sign + Fmt("%.1fk", a / 1e3);
  return sign + Fmt("%.0f", a);
}
std::string SignedPct(double pct) { return (pct >= 0 ? "+" : "") + Fmt("%.1f%%", pct); }
std::string Points(double pts) { return (pts >= 0 ? "+" : "") + Fmt("%.1f pts", pts); }
const char* RoseFell(double d) { return d >= 0 ? "rose" : "fell"; }

double CentsToUsd(long long c) { return static_cast<double>(c) / 100.0; }

const MonthFigures::Model* FindModel(const MonthFigures& m, const std::string& id) {
  for (const auto& x : m.models)
    if (x.id == id) return &x;
  return nullptr;
}

// A model is capacity-constrained in a month when at least this share of its
// demand went unserved (below it, unserved tokens are rounding of the hourly
// split, not a shortage).
constexpr double kConstrainedUnservedShare = 0.005;

Bridge RevenueBridge(const MonthFigures& a, const MonthFigures& b, std::vector<ModelVariance>& models) {
  Bridge br;
  br.name = "revenue";
  br.unit = "usd";
  br.from = a.revenue_usd;
  br.to = b.revenue_usd;
  const long long total = ToCents(b.revenue_usd) - ToCents(a.revenue_usd);
  br.total_change = CentsToUsd(total);
  // Models of either month.
  std::vector<std::string> ids;
  for (const auto& x : a.models) ids.push_back(x.id);
  for (const auto& x : b.models)
    if (std::find(ids.begin(), ids.end(), x.id) == ids.end()) ids.push_back(x.id);
  double q0 = 0, q1 = 0, d0 = 0, d1 = 0;
  for (const auto& x : a.models) q0 += x.served_output_tokens, d0 += x.demand_output_tokens;
  for (const auto& x : b.models) q1 += x.served_output_tokens, d1 += x.demand_output_tokens;
  const double pbar0 = q0 > 0 ? a.revenue_usd / q0 : 0;
  double price = 0, efficiency = 0;
  const MonthFigures::Model none;
  for (const auto& id : ids) {
    const MonthFigures::Model* f0 = FindModel(a, id);
    const MonthFigures::Model* f1 = FindModel(b, id);
    const MonthFigures::Model& x0 = f0 ? *f0 : none;
    const MonthFigures::Model& x1 = f1 ? *f1 : none;
    ModelVariance v;
    v.model = id;
    const double Q0 = x0.served_output_tokens, Q1 = x1.served_output_tokens;
    double P0 = Q0 > 0 ? x0.revenue_usd / Q0 : 0, P1 = Q1 > 0 ? x1.revenue_usd / Q1 : 0;
    if (Q0 <= 0) P0 = P1;  // new: no price effect
    if (Q1 <= 0) P1 = P0;  // gone: no price effect (Q1 = 0 anyway)
    v.revenue_usd = x1.revenue_usd;
    v.previous_revenue_usd = x0.revenue_usd;
    v.served_output_tokens = Q1;
    v.previous_served_output_tokens = Q0;
    v.demand_output_tokens = x1.demand_output_tokens;
    v.previous_demand_output_tokens = x0.demand_output_tokens;
    v.unserved_revenue_usd = std::max(0.0, x1.demand_output_tokens - Q1) * P1;
    v.previous_unserved_revenue_usd = std::max(0.0, x0.demand_output_tokens - Q0) * P0;
    v.usd_per_million_tokens = P1 * 1e6;
    v.previous_usd_per_million_tokens = P0 * 1e6;
    v.price_effect_usd = (P1 - P0) * Q1;
    const double s0 = q0 > 0 ? Q0 / q0 : 0, s1 = q1 > 0 ? Q1 / q1 : 0;
    v.mix_share_change = s1 - s0;
    v.mix_effect_usd = q1 * (s1 - s0) * P0;
    const bool constrained =
        x1.demand_output_tokens > 0 && 1 - Q1 / x1.demand_output_tokens >= kConstrainedUnservedShare;
    if (constrained && x0.serving_chip_hours > 0 && x1.serving_chip_hours > 0) {
      const double k0 = x0.capacity_output_tokens / x0.serving_chip_hours;
      const double k1 = x1.capacity_output_tokens / x1.serving_chip_hours;
      v.efficiency_effect_usd = pbar0 * x1.serving_chip_hours * (k1 - k0);
    }
    price += v.price_effect_usd;
    efficiency += v.efficiency_effect_usd;
    models.push_back(v);
  }
  if (q0 <= 0) {
    // Nothing served before: all of it is demand.
    br.parts = {{"price", 0},
                {"demand", br.total_change},
                {"efficiency", 0},
                {"capacity-constrained", 0},
                {"mix", 0}};
    return br;
  }
  const long long price_c = ToCents(price);
  const long long demand_c = ToCents((d1 - d0) * pbar0);
  const long long efficiency_c = ToCents(efficiency);
  const long long unserved_c = ToCents(-((d1 - q1) - (d0 - q0)) * pbar0) - efficiency_c;
  const long long mix_c = total - price_c - demand_c - efficiency_c - unserved_c;
  br.parts = {{"price", CentsToUsd(price_c)},
              {"demand", CentsToUsd(demand_c)},
              {"efficiency", CentsToUsd(efficiency_c)},
              {"capacity-constrained", CentsToUsd(unserved_c)},
              {"mix", CentsToUsd(mix_c)}};
  return br;
}

// Pools grouped by contract (a pool without one is its own).
std::vector<ContractVariance> ContractVariances(const MonthFigures& a, const MonthFigures& b) {
  std::vector<ContractVariance> out;
  auto add = [&](const MonthFigures::Pool& p, bool now) {
    const std::string key = p.contract.empty() ? "pool " + p.id : p.contract;
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& c) { return c.contract == key; });
    if (it == out.end()) it = out.insert(out.end(), ContractVariance{key});
    (now ? it->paid_chip_hours : it->previous_paid_chip_hours) += p.paid_chip_hours;
    (now ? it->cost_usd : it->previous_cost_usd) += p.cost_usd;
  };
  for (const auto& p : a.pools) add(p, false);
  for (const auto& p : b.pools) add(p, true);
  if (out.empty()) {  // figures without pools: the fleet is one contract
    MonthFigures::Pool fleet;
    fleet.id = fleet.contract = "fleet";
    fleet.paid_chip_hours = a.paid_chip_hours, fleet.cost_usd = a.contract_cost_usd;
    add(fleet, false);
    fleet.paid_chip_hours = b.paid_chip_hours, fleet.cost_usd = b.contract_cost_usd;
    add(fleet, true);
  }
  for (auto& c : out) {
    const double A0 = c.previous_paid_chip_hours, A1 = c.paid_chip_hours;
    const double c0 = A0 > 0 ? c.previous_cost_usd / A0 : 0, c1 = A1 > 0 ? c.cost_usd / A1 : 0;
    c.volume_effect_usd = (A1 - A0) * (A0 > 0 ? c0 : c1);
    c.rate_effect_usd = A0 > 0 && A1 > 0 ? A1 * (c1 - c0) : 0;
  }
  return out;
}

Bridge CostBridge(const MonthFigures& a, const MonthFigures& b,
                  const std::vector<ContractVariance>& contracts) {
  Bridge br;
  br.name = "compute cost";
  br.unit = "usd";
  br.from = a.contract_cost_usd;
  br.to = b.contract_cost_usd;
  const long long total = ToCents(b.contract_cost_usd) - ToCents(a.contract_cost_usd);
  br.total_change = CentsToUsd(total);
  double added = 0, removed = 0;
  for (const auto& c : contracts) (c.volume_effect_usd >= 0 ? added : removed) += c.volume_effect_usd;
  const long long added_c = ToCents(added), removed_c = ToCents(removed);
  br.parts = {{"capacity added", CentsToUsd(added_c)},
              {"capacity removed", CentsToUsd(removed_c)},
              {"contract rate", CentsToUsd(total - added_c - removed_c)}};
  return br;
}

// Model x chip type rows of either month, in first-seen order.
std::vector<ServingEfficiency> ServingEfficiencies(const MonthFigures& a, const MonthFigures& b) {
  std::vector<ServingEfficiency> out;
  auto add = [&](const MonthFigures::Serving& s, bool now) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const auto& e) { return e.model == s.model && e.chip_type == s.chip_type; });
    if (it == out.end()) it = out.insert(out.end(), ServingEfficiency{s.model, s.chip_type});
    const double cap = s.chip_hours > 0 ? s.capacity_output_tokens / s.chip_hours : 0;
    if (now) {
      it->chip_hours = s.chip_hours;
      it->output_tokens_per_chip_hour = s.output_tokens_per_chip_hour();
      it->capacity_tokens_per_chip_hour = cap;
    } else {
      it->previous_chip_hours = s.chip_hours;
      it->previous_output_tokens_per_chip_hour = s.output_tokens_per_chip_hour();
      it->previous_capacity_tokens_per_chip_hour = cap;
    }
  };
  for (const auto& s : a.serving) add(s, false);
  for (const auto& s : b.serving) add(s, true);
  std::erase_if(out, [](const auto& e) { return e.chip_hours <= 0 && e.previous_chip_hours <= 0; });
  return out;
}

Bridge UtilizationBridge(const MonthFigures& a, const MonthFigures& b) {
  Bridge br;
  br.name = "utilization";
  br.unit = "points";
  br.from = 100 * a.utilization();
  br.to = 100 * b.utilization();
  br.total_change = br.to - br.from;
  const double capacity =
      b.paid_chip_hours > 0 && a.paid_chip_hours > 0
          ? 100 * (a.allocated_chip_hours / b.paid_chip_hours - a.allocated_chip_hours / a.paid_chip_hours)
          : 0;
  br.parts = {{"capacity added", capacity}, {"usage", br.total_change - capacity}};
  return br;
}

Bridge UsefulWorkBridge(const MonthFigures& a, const MonthFigures& b) {
  Bridge br;
  br.name = "useful work";
  br.unit = "effective chip-hours";
  br.from = a.effective_chip_hours;
  br.to = b.effective_chip_hours;
  br.total_change = br.to - br.from;
  const double u0 = a.utilization(), u1 = b.utilization();
  const double e0 = a.allocated_chip_hours > 0 ? a.effective_chip_hours / a.allocated_chip_hours : 0;
  const double capacity = (b.paid_chip_hours - a.paid_chip_hours) * u0 * e0;
  const double idle = b.paid_chip_hours * (u1 - u0) * e0;
  br.parts = {
      {"capacity added", capacity}, {"idle", idle}, {"efficiency", br.total_change - capacity - idle}};
  return br;
}

double Part(const Bridge& b, const std::string& name) {
  for (const auto& p : b.parts)
    if (p.name == name) return p.amount;
  return 0;
}

std::vector<std::string> Narrative(const MonthFigures& a, const MonthFigures& b, const ReviewReport& r) {
  std::vector<std::string> out;
  // Revenue.
  {
    const double d = r.revenue.total_change;
    const double pct = a.revenue_usd != 0 ? 100 * d / a.revenue_usd : 0;
    std::string s = "Revenue " + std::string(RoseFell(d)) + " " + Usd(std::fabs(d)) + " (" + SignedPct(pct) +
                    ") to " + Usd(b.revenue_usd) + " in " + b.month + ".";
    std::vector<BridgePart> parts = r.revenue.parts;
    std::stable_sort(parts.begin(), parts.end(), [](const BridgePart& x, const BridgePart& y) {
      return std::fabs(x.amount) > std::fabs(y.amount);
    });
    const double tokens_pct =
        a.served_output_tokens > 0 ? 100 * (b.served_output_tokens / a.served_output_tokens - 1) : 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      const auto& p = parts[i];
      if (std::fabs(p.amount) < 0.5) continue;  // cents of rounding are not a driver
      const std::string lead = i == 0 ? " The main driver was " : " Then ";
      if (p.name == "demand") {
        const double demand_pct =
            a.demand_output_tokens > 0 ? 100 * (b.demand_output_tokens / a.demand_output_tokens - 1) : 0;
        s += lead + "demand: tokens demanded " + (demand_pct >= 0 ? "grew " : "shrank ") +
             Fmt("%.1f%%", std::fabs(demand_pct)) + " (served " + SignedPct(tokens_pct) + "), worth " +
             SignedUsd(p.amount) + " at last month's price.";
      } else if (p.name == "efficiency") {
        s += lead + "efficiency, " + SignedUsd(p.amount) +
             ": more tokens per serving chip-hour where demand went unserved.";
      } else if (p.name == "capacity-constrained") {
        s += lead + "serving capacity against demand, " + SignedUsd(p.amount) +
             ": the change in unserved demand net of the efficiency gain (" +
             (p.amount >= 0 ? "more" : "fewer") + " serving chip-hours where demand went unserved).";
      } else if (p.name == "price") {
        // The model whose price moved revenue most.
        const ModelVariance* top = nullptr;
        for (const auto& m : r.models)
          if (top == nullptr || std::fabs(m.price_effect_usd) > std::fabs(top->price_effect_usd)) top = &m;
        s += lead + "price, " + SignedUsd(p.amount);
        if (top != nullptr && top->previous_usd_per_million_tokens > 0)
          s += ", as " + top->model + " earned $" + Fmt("%.3f", top->usd_per_million_tokens) +
               " per million output tokens against $" + Fmt("%.3f", top->previous_usd_per_million_tokens);
        s += ".";
      } else {
        // The model that moved the mix most in the direction it went.
        const ModelVariance* top = nullptr;
        const double dir = p.amount >= 0 ? 1.0 : -1.0;
        for (const auto& m : r.models)
          if (top == nullptr || dir * m.mix_effect_usd > dir * top->mix_effect_usd) top = &m;
        s += lead + "mix, " + SignedUsd(p.amount);
        if (top != nullptr && std::fabs(top->mix_share_change) > 1e-4)
          s += ", as the mix moved " + std::string(top->mix_share_change > 0 ? "toward " : "away from ") +
               top->model + " (" + Points(100 * top->mix_share_change) + " of tokens)";
        s += ".";
      }
    }
    if (a.hours != b.hours && a.hours > 0 && b.hours > 0)
      s += " " + b.month + " had " + std::to_string(b.hours) + " hours against " + std::to_string(a.hours) +
           " (" + SignedPct(100.0 * (static_cast<double>(b.hours) / a.hours - 1)) + " on calendar alone).";
    double lost = 0;
    for (const auto& m : r.models) lost += m.unserved_revenue_usd;
    s += " Unserved demand was " + Percent(b.unserved_share()) + " of " + Qty(b.demand_output_tokens) +
         " tokens demanded (" + Percent(a.unserved_share()) + " in " + a.month + "), " + Usd(lost) +
         " of revenue at the month's prices.";
    out.push_back(s);
  }
  // Events that explain it.
  {
    std::string launches, landings, failures;
    int n_fail = 0;
    for (const auto& e : r.events) {
      if (e.kind == "launch")
        launches +=
            (launches.empty() ? "" : "; ") + e.subject + " on " + FormatDate(e.at) + " (" + e.detail + ")";
      if (e.kind == "landing" || e.kind == "contract_start" || e.kind == "contract_end" ||
          e.kind == "reduction")
        landings += (landings.empty() ? "" : "; ") + e.subject + " " + e.kind + " on " + FormatDate(e.at) +
                    " (" + e.detail + ")";
      if (e.kind == "failure") ++n_fail;
    }
    if (!launches.empty()) out.push_back("Launches this month: " + launches + ".");
    if (!landings.empty()) out.push_back("Capacity changes this month: " + landings + ".");
    if (n_fail > 0)
      failures = std::to_string(n_fail) + " pool failure" + (n_fail > 1 ? "s" : "") + " kept " +
                 Qty(b.down_chip_hours) + " paid chip-hours down (availability included); " +
                 Qty(b.lost_effective_chip_hours) +
                 " effective chip-hours of work were lost back to checkpoints.";
    if (!failures.empty()) out.push_back(failures);
  }
  // Cost.
  {
    const double d = r.compute_cost.total_change;
    std::string s = "Compute cost " + std::string(RoseFell(d)) + " " + Usd(std::fabs(d)) + " to " +
                    Usd(b.contract_cost_usd) + " (paid chip-hours " +
                    SignedPct(a.paid_chip_hours > 0 ? 100 * (b.paid_chip_hours / a.paid_chip_hours - 1) : 0) +
                    "): capacity added " + SignedUsd(Part(r.compute_cost, "capacity added")) +
                    ", capacity removed " + SignedUsd(Part(r.compute_cost, "capacity removed")) +
                    ", contract rate " + SignedUsd(Part(r.compute_cost, "contract rate")) + ".";
    // The contract whose volume moved cost most.
    const ContractVariance* top = nullptr;
    for (const auto& c : r.contracts)
      if (top == nullptr || std::fabs(c.volume_effect_usd) > std::fabs(top->volume_effect_usd)) top = &c;
    if (top != nullptr && std::fabs(top->volume_effect_usd) >= 0.5)
      s += " The largest change was " + top->contract + ", " +
           (top->paid_chip_hours >= top->previous_paid_chip_hours ? "+" : "") +
           Qty(top->paid_chip_hours - top->previous_paid_chip_hours) + " paid chip-hours (" +
           SignedUsd(top->volume_effect_usd) + ").";
    out.push_back(s);
  }
  // Utilization and useful work.
  {
    std::string s = "Utilization " + std::string(RoseFell(r.utilization.total_change)) + " from " +
                    Fmt("%.1f%%", r.utilization.from) + " to " + Fmt("%.1f%%", r.utilization.to) + " (" +
                    Points(r.utilization.total_change) + "): capacity added " +
                    Points(Part(r.utilization, "capacity added")) + ", usage " +
                    Points(Part(r.utilization, "usage")) + "; " + Qty(b.idle_chip_hours) +
                    " chip-hours stood idle (" +
                    Percent(b.paid_chip_hours > 0 ? b.idle_chip_hours / b.paid_chip_hours : 0) + " of paid).";
    s += " Useful work " + std::string(RoseFell(r.useful_work.total_change)) + " to " +
         Qty(b.effective_chip_hours) + " H100-equivalent chip-hours: capacity added " +
         (Part(r.useful_work, "capacity added") >= 0 ? "+" : "") +
         Qty(Part(r.useful_work, "capacity added")) + ", idle " +
         (Part(r.useful_work, "idle") >= 0 ? "+" : "") + Qty(Part(r.useful_work, "idle")) + ", efficiency " +
         (Part(r.useful_work, "efficiency") >= 0 ? "+" : "") + Qty(Part(r.useful_work, "efficiency")) + ".";
    out.push_back(s);
  }
  // Return on compute.
  {
    std::string s = "Return on compute (realised now) went from " + Fmt("%.2f", a.roc_now()) + " to " +
                    Fmt("%.2f", b.roc_now()) + "; all-up, with model development's launch credits, from " +
                    Fmt("%.2f", a.roc_all_up()) + " to " + Fmt("%.2f", b.roc_all_up()) + ".";
    s +=
        " Value not yet realised (model development: launch credits, and bids where no launch follows) was " +
        Usd(b.value_all_up_usd - b.value_now_usd) + " against " + Usd(a.value_all_up_usd - a.value_now_usd) +
        ".";
    if (b.floor_windows > 0)
      s += " Model-development floors were met in " + std::to_string(b.floor_windows_met) + " of " +
           std::to_string(b.floor_windows) + " windows.";
    out.push_back(s);
  }
  // Drivers, largest first, across the money bridges.
  {
    std::vector<BridgePart> all;
    for (const auto& p : r.revenue.parts) all.push_back({"revenue " + p.name, p.amount});
    for (const auto& p : r.compute_cost.parts) all.push_back({"cost " + p.name, -p.amount});
    std::stable_sort(all.begin(), all.end(), [](const BridgePart& x, const BridgePart& y) {
      return std::fabs(x.amount) > std::fabs(y.amount);
    });
    std::string s = "Drivers of the margin, largest first:";
    int shown = 0;
    for (size_t i = 0; i < all.size() && shown < 4; ++i) {
      if (std::fabs(all[i].amount) < 0.5) continue;
      s += (shown++ ? ", " : " ") + all[i].name + " " + SignedUsd(all[i].amount);
    }
    if (shown == 0) s += " none (revenue and cost unchanged)";
    out.push_back(s + ".");
  }
  return out;
}

}  // namespace

long long ToCents(double usd) { return std::llround(usd * 100.0); }

StatusOr<ReviewReport> ReviewMonth(const std::vector<MonthFigures>& months, const std::string& month) {
  auto parsed = ParseUtc(month + "-01");
  if (month.size() != 7 || !parsed.ok())
    return Status::Invalid("--month: expected a month YYYY-MM, got \"" + month + "\"");
  if (months.empty()) return Status::Invalid("the run has no months");
  size_t i = 0;
  while (i < months.size() && months[i].month != month) ++i;
  const std::string span = months.front().month + ".." + months.back().month;
  if (i == months.size())
    return Status::Invalid("--month: " + month + " is outside the run (months " + span + ")");
  if (i == 0)
    return Status::Invalid("--month: " + month +
                           " is the run's first month; a review compares a month with the one "
                           "before, so choose one of " +
                           (months.size() > 1 ? months[1].month + ".." + months.back().month
                                              : std::string("none (the run has one month)")));
  const MonthFigures& a = months[i - 1];
  const MonthFigures& b = months[i];
  ReviewReport r;
  r.month = b.month;
  r.previous_month = a.month;
  auto kpi = [&](const char* name, const char* unit, double v1, double v0) {
    r.kpis.push_back({name, unit, v1, v0});
  };
  kpi("revenue", "usd", b.revenue_usd, a.revenue_usd);
  kpi("served output tokens", "tokens", b.served_output_tokens, a.served_output_tokens);
  kpi("demand output tokens", "tokens", b.demand_output_tokens, a.demand_output_tokens);
  kpi("unserved share", "share", b.unserved_share(), a.unserved_share());
  r.revenue = RevenueBridge(a, b, r.models);
  double lost1 = 0, lost0 = 0, h1 = 0, h0 = 0;
  for (const auto& m : r.models) lost1 += m.unserved_revenue_usd, lost0 += m.previous_unserved_revenue_usd;
  for (const auto& m : b.models) h1 += m.serving_chip_hours;
  for (const auto& m : a.models) h0 += m.serving_chip_hours;
  kpi("revenue lost to unserved demand", "usd", lost1, lost0);
  if (h1 > 0 || h0 > 0)  // runs written before serving chip-hours were recorded have none
    kpi("output tokens per serving chip-hour", "tokens", h1 > 0 ? b.served_output_tokens / h1 : 0,
        h0 > 0 ? a.served_output_tokens / h0 : 0);
  kpi("compute cost", "usd", b.contract_cost_usd, a.contract_cost_usd);
  kpi("paid chip-hours", "chip-hours", b.paid_chip_hours, a.paid_chip_hours);
  kpi("utilization", "share", b.utilization(), a.utilization());
  kpi("idle chip-hours", "chip-hours", b.idle_chip_hours, a.idle_chip_hours);
  kpi("down chip-hours", "chip-hours", b.down_chip_hours, a.down_chip_hours);
  kpi("useful work (H100-eq chip-hours)", "chip-hours", b.effective_chip_hours, a.effective_chip_hours);
  kpi("work lost to failures", "chip-hours", b.lost_effective_chip_hours, a.lost_effective_chip_hours);
  kpi("chips switched", "count", b.chips_switched, a.chips_switched);
  kpi("value realised now", "usd", b.value_now_usd, a.value_now_usd);
  kpi("value all-up", "usd", b.value_all_up_usd, a.value_all_up_usd);
  kpi("return on compute (now)", "ratio", b.roc_now(), a.roc_now());
  kpi("return on compute (all-up)", "ratio", b.roc_all_up(), a.roc_all_up());
  r.contracts = ContractVariances(a, b);
  r.compute_cost = CostBridge(a, b, r.contracts);
  r.serving = ServingEfficiencies(a, b);
  r.utilization = UtilizationBridge(a, b);
  r.useful_work = UsefulWorkBridge(a, b);
  r.events = b.events;
  r.narrative = Narrative(a, b, r);
  return r;
}

}  // namespace fungible

#include "cli/plan_format.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace fungible::cli {

std::string QuantityText(double amount, const std::string& unit) {
  if (unit == "mw") return (amount < 10 ? Fixed(amount, 2) : Grouped(amount)) + " MW";
  return Grouped(amount) + " chips";
}

std::string MethodText(const ProgramSolution& s) {
  std::string out;
  if (s.method == PlanMethod::kExtensive) {
    out = std::string("the extensive form (") + (s.mip ? "Cbc" : "Clp") + "): " + Grouped(s.lp_rows) +
          " rows, " + Grouped(s.lp_columns) + " columns";
  } else {
    const bool grouped = s.cut_groups > 0 && s.cut_groups < static_cast<int>(s.outcomes.size());
    const std::string cuts = !grouped            ? std::string("multi-cut")
                             : s.cut_groups == 1 ? std::string("single-cut")
                                                 : Grouped(s.cut_groups) + " cut groups";
    out = "Benders decomposition (" + cuts + std::string(s.mip ? ", integer master" : "") +
          "): " + std::to_string(s.iterations) + " iterations, subproblems of " + Grouped(s.lp_rows) +
          " rows, " + Grouped(s.lp_columns) + " columns";
  }
  return out + ", " + Fixed(s.seconds, 1) + " s";
}

std::string ChipsList(const Fleet& fleet, const std::vector<OfferDecision>& offers,
                      const std::vector<double>& chips) {
  std::string out;
  for (size_t i = 0; i < offers.size() && i < chips.size(); ++i) {
    if (offers[i].on_demand || chips[i] <= 1e-6 * std::max(1.0, offers[i].max_chips)) continue;
    if (!out.empty()) out += ", ";
    const double amount = offers[i].chips_per_unit > 0 ? chips[i] / offers[i].chips_per_unit : chips[i];
    out += offers[i].id + " " + QuantityText(amount, offers[i].unit);
  }
  (void)fleet;
  return out.empty() ? "nothing" : out;
}

StatusOr<PlanMethod> ParseMethod(const std::string& text) {
  if (text == "auto") return PlanMethod::kAuto;
  if (text == "extensive" || text == "ef") return PlanMethod::kExtensive;
  if (text == "decomposition" || text == "benders") return PlanMethod::kDecomposition;
  return Status::Invalid("--method: expected auto, extensive or decomposition, got \"" + text + "\"");
}

namespace {

nlohmann::json SpreadJson(const Spread& s) {
  return {{"mean", s.mean}, {"p10", s.p10}, {"p50", s.p50}, {"p90", s.p90}};
}

}  // namespace

nlohmann::json PlanJson(const Fleet& fleet, const PlanReport& r) {
  using nlohmann::json;
  json j;
  j["fleet"] = r.fleet;
  j["start_month"] = FormatMonth(r.start);
  j["months"] = r.months;
  j["scenarios"] = r.scenarios;
  j["drawn_scenarios"] = r.drawn_scenarios;
  j["reduction_distance"] = r.reduction_distance;
  j["risk_aversion"] = r.risk_aversion;
  j["cvar_alpha"] = r.cvar_alpha;
  j["solver"] = {{"method", PlanMethodName(r.solution.method)},
                 {"iterations", r.solution.iterations},
                 {"cut_groups", r.solution.cut_groups},
                 {"mip", r.solution.mip},
                 {"converged", r.solution.converged},
                 {"rows", r.solution.lp_rows},
                 {"columns", r.solution.lp_columns},
                 {"objective_musd", r.solution.objective_musd},
                 {"lower_bound_musd", r.solution.lower_bound_musd},
                 {"seconds", r.solution.seconds},
                 {"subproblem_seconds", r.solution.subproblem_seconds},
                 {"master_seconds", r.solution.master_seconds}};
  json offers = json::array();
  for (const auto& d : r.offers) {
    json o = {{"id", d.id},
              {"provider", d.provider},
              {"kind", d.kind},
              {"chip_type", d.chip_type},
              {"sign", d.sign},
              {"chips", d.chips},
              {"max_chips", d.max_chips},
              {"quantity", d.quantity_in_unit},
              {"unit", d.unit},
              {"all_or_nothing", d.all_or_nothing},
              {"on_demand", d.on_demand},
              {"usd_per_chip_hour", d.usd_per_chip_hour},
              {"cost_usd_per_chip", d.cost_usd_per_chip},
              {"contract_months", d.contract_months},
              {"months_in_horizon", d.months_in_horizon},
              {"payment_share_in_horizon", d.payment_share_in_horizon},
              {"terminal_months", d.terminal_months},
              {"terminal_value_usd", d.terminal_value_usd},
              {"terminal_payments_usd", d.terminal_payments_usd},
              {"terminal_value_usd_per_chip", d.terminal_value_usd_per_chip},
              {"terminal_payment_usd_per_chip", d.terminal_payment_usd_per_chip},
              {"terminal_usd_per_usable_chip_hour", d.terminal_usd_per_usable_chip_hour},
              {"marginal_value_usd_per_chip", d.value_usd_per_chip},
              {"marginal_net_usd_per_chip", d.net_usd_per_chip},
              {"pool_utilization", d.pool_utilization},
              {"expected_used_chip_hours", d.expected_used_chip_hours},
              {"decision_value_usd", d.decision_value_usd ? json(*d.decision_value_usd) : json(nullptr)},
              {"why", d.why}};
    json opts = json::array();
    for (const auto& u : d.options)
      opts.push_back({{"kind", u.kind},
                      {"notice_months", u.notice_months},
                      {"probability_exercised", u.probability_exercised},
                      {"expected_chips", u.expected_chips}});
    o["options"] = opts;
    offers.push_back(o);
  }
  j["offers"] = offers;
  j["objective_usd"] = r.objective_usd;
  j["expected_value_usd"] = r.expected_value_usd;
  j["cvar_loss_usd"] = r.cvar_loss_usd;
  j["return_on_compute"] = r.return_on_compute;
  j["cash_return_on_compute"] = r.cash_return_on_compute;
  j["revenue_usd"] = SpreadJson(r.revenue_usd);
  j["compute_cost_usd"] = SpreadJson(r.compute_cost_usd);
  j["cash_profit_usd"] = SpreadJson(r.cash_profit_usd);
  j["imputed_value_usd"] = SpreadJson(r.imputed_value_usd);
  j["value_usd"] = SpreadJson(r.value_usd);
  j["terminal_value"] = {{"rule", r.terminal_value_rule},
                         {"halving_months", kTerminalValueHalvingMonths},
                         {"value_usd", SpreadJson(r.terminal_value_usd)},
                         {"payments_usd", SpreadJson(r.terminal_payments_usd)}};
  j["utilization"] = SpreadJson(r.utilization);
  j["unserved_share"] = SpreadJson(r.unserved_share);
  j["min_cash_usd"] = SpreadJson(r.min_cash_usd);
  j["operating_cost_usd"] = r.operating_cost_usd;
  j["financing_usd"] = r.financing_usd;
  json cash = json::array();
  for (size_t t = 0; t < r.cash_by_month_usd.size(); ++t) {
    json m = SpreadJson(r.cash_by_month_usd[t]);
    m["month"] = FormatMonth(AddMonths(r.start, static_cast<int>(t)));
    cash.push_back(m);
  }
  j["cash_by_month_usd"] = cash;
  json need = json::array();
  for (const auto& c : r.capital_to_raise)
    need.push_back({{"quantile", c.quantile},
                    {"usd", c.usd},
                    {"by_month", c.usd > 0 ? json(FormatMonth(c.by)) : json(nullptr)}});
  j["capital_to_raise"] = need;
  j["unserved_share_limit"] = r.unserved_share_limit;
  j["probability_unserved_over_limit"] = r.probability_unserved_over_limit;
  j["cash_floor_usd"] = r.cash_floor_usd ? json(*r.cash_floor_usd) : json(nullptr);
  j["probability_cash_breach"] = r.probability_cash_breach;
  j["expected_floor_shortfall_effective_chip_hours"] = r.expected_floor_shortfall_effective_chip_hours;
  j["vss_usd"] = r.vss_usd ? json(*r.vss_usd) : json(nullptr);
  j["evpi_usd"] = r.evpi_usd ? json(*r.evpi_usd) : json(nullptr);
  j["eev_objective_usd"] = r.eev_objective_usd;
  j["ws_objective_usd"] = r.ws_objective_usd;
  j["ev_plan_chips"] = r.ev_plan_chips;
  if (r.mismatch) {
    const auto& m = *r.mismatch;
    j["mismatch"] = {{"points", m.points},
                     {"chips", m.chips},
                     {"value_usd", m.value_usd},
                     {"cash_profit_usd", m.cash_profit_usd},
                     {"objective_usd", m.objective_usd},
                     {"unserved_share", m.unserved_share},
                     {"utilization", m.utilization}};
  }
  json scen = json::array();
  for (size_t s = 0; s < r.solution.outcomes.size(); ++s) {
    const auto& o = r.solution.outcomes[s];
    json e = {{"name", r.scenario_names[s]},
              {"probability", r.probability[s]},
              {"value_usd", o.value_usd},
              {"revenue_usd", o.revenue_usd},
              {"cost_usd", o.cost_usd},
              {"cash_profit_usd", o.cash_profit_usd()},
              {"imputed_value_usd", o.bid_value_usd},
              {"terminal_value_usd", o.terminal_value_usd},
              {"terminal_payments_usd", o.terminal_payments_usd},
              {"utilization", o.utilization()},
              {"unserved_share", o.unserved_share()},
              {"min_cash_usd", o.min_cash_usd},
              {"cash_breach_months", o.breach_months},
              {"floor_shortfall_effective_chip_hours", o.floor_shortfall_effective_chip_hours}};
    json ex = json::object();
    for (size_t oi = 0; oi < r.offers.size() && oi < o.option_chips.size(); ++oi)
      for (size_t k = 0; k < o.option_chips[oi].size() && k < r.offers[oi].options.size(); ++k)
        if (o.option_chips[oi][k] > 0)
          ex[r.offers[oi].id + "/" + r.offers[oi].options[k].kind] = o.option_chips[oi][k];
    e["options_exercised_chips"] = ex;
    scen.push_back(e);
  }
  j["scenario_outcomes"] = scen;
  j["warnings"] = r.warnings;
  (void)fleet;
  return j;
}

}  // namespace fungible::cli

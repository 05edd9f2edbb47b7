// `fungible evaluate SPEC (--offer ID | --offer-file FILE) [--quantity Q]
// [--json FILE|-] [--csv DIR] [--quiet] [--method M] [--threads N] [--scenarios K]
// [--terminal-value last-month|none]`: what one offer
// adds to the current portfolio across the cone: change in expected value
// and in CVaR with its distribution, breakeven price, price-performance month
// by month per workload class, the share of its chip-hours the allocation
// would use, and a verdict. With --offer-file every offer in the file is
// evaluated in turn.
// Exit codes: 0 evaluated, 2 usage, spec or offer-file error, 1 solver failure.
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/plan_format.h"
#include "cli/process_group.h"
#include "plan/evaluate.h"
#include "spec/spec.h"

namespace fungible::cli {
namespace {

struct EvaluateFlags {
  std::string spec;
  std::string offer;
  std::string offer_file;
  double quantity = -1;
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;
  std::string method = "auto";
  int threads = 0;
  int scenarios = 0;
  std::string terminal_value = "last-month";
};

std::string Cost(double usd) { return std::isfinite(usd) ? Money(usd) : "-"; }

std::string Text(const OfferEvaluation& e) {
  std::string out;
  out += "fungible evaluate: " + e.offer + " (" + e.provider + ", " + e.kind + ", " +
         (e.unit == "mw" ? QuantityText(e.quantity_in_unit, "mw") + " = " : "") + Grouped(e.chips) + " " +
         e.chip_type +
         (e.unit == "mw" && e.chips > 0 ? " at " + Grouped(e.quantity_in_unit * 1e6 / e.chips) +
                                              " W of facility power each (all-in x PUE)"
                                        : std::string()) +
         " at " + Money(e.usd_per_chip_hour) + " a chip-hour), " + std::to_string(e.months_in_horizon) +
         " planned months, " + std::to_string(e.scenario_names.size()) + " scenarios\n";
  if (e.payment_share_in_horizon < 0.995) {
    out += "whole term: " + std::to_string(e.months_in_horizon) + " of its " +
           std::to_string(e.contract_months) + " months planned (" + Percent(e.payment_share_in_horizon) +
           " of its payments)";
    if (e.terminal_value_rule == "none")
      out += "; the rest is not valued (--terminal-value none)\n";
    else
      out += "; the " + std::to_string(e.terminal_months) + " months after (--terminal-value " +
             e.terminal_value_rule + ": it adds " + Money(e.terminal_usd_per_usable_chip_hour) +
             " a usable chip-hour to the last planned month, halving every " +
             Fixed(kTerminalValueHalvingMonths, 1) + " months) are worth " + Money(e.terminal_value_usd) +
             " and pay " + Money(e.terminal_payments_usd) + ": " +
             Money(e.terminal_value_usd - e.terminal_payments_usd) + " of the expected value change " +
             Money(e.expected_value_change_usd) + "\n";
  }
  out += "\nAdded to the current portfolio (committed contracts and on-demand fallbacks)\n";
  std::vector<std::vector<std::string>> rows = {
      {"objective", Money(e.objective_change_usd)},
      {"token revenue", Money(e.expected_revenue_change_usd)},
      {"compute cost", Money(e.expected_cost_change_usd)},
      {"cash profit", Money(e.expected_revenue_change_usd - e.expected_cost_change_usd)},
      {"imputed value", Money(e.expected_imputed_value_change_usd)},
      {"expected value", Money(e.expected_value_change_usd)},
      {"  P10 / P50 / P90",
       Money(e.value_change.p10) + " / " + Money(e.value_change.p50) + " / " + Money(e.value_change.p90)},
      {"  value falls in", Percent(e.probability_value_falls) + " of scenarios"},
      {"CVaR of loss", Money(e.cvar_loss_change_usd)},
      {"unserved demand", Percent(e.unserved_share_before) + " -> " + Percent(e.unserved_share_after)},
      {"P(cash breach)",
       Percent(e.probability_cash_breach_before) + " -> " + Percent(e.probability_cash_breach_after)},
      {"paid over the horizon", Money(e.cost_usd)},
      {"breakeven price", e.breakeven_usd_per_chip_hour
                              ? Money(*e.breakeven_usd_per_chip_hour) + " a chip-hour"
                          : e.breakeven_at_least_usd_per_chip_hour
                              ? "above " + Money(*e.breakeven_at_least_usd_per_chip_hour) + " a chip-hour"
                              : "none (no use for it)"},
  };
  if (e.terminal_months > 0) {  // before "expected value", which adds them
    rows.insert(rows.begin() + 5, {"terminal value", Money(e.terminal_value_usd)});
    rows.insert(rows.begin() + 6, {"terminal payments", Money(e.terminal_payments_usd)});
  }
  out += Table({"change", "value"}, rows);

  out += "\nCan it be deployed productively? Share of its usable chip-hours the allocation uses\n";
  out += "  P10 " + Percent(e.used_share_spread.p10) + ", P50 " + Percent(e.used_share_spread.p50) +
         ", P90 " + Percent(e.used_share_spread.p90) + "; by scenario:";
  for (size_t s = 0; s < e.used_share.size(); ++s) {
    out +=
        (s % 8 == 0 ? "\n   " : "") + std::string(" ") + e.scenario_names[s] + " " + Percent(e.used_share[s]);
  }
  out += "\n";

  if (!e.classes.empty() && !e.months.empty()) {
    out += "\nPrice-performance by month: USD per unit of work, of the chips landed / of the chips used\n";
    std::vector<std::string> header = {"month", "landed chips", "used"};
    for (const auto& c : e.classes)
      header.push_back(c.id + (c.unit == "million output tokens" ? " $/Mtok" : " $/PFLOP-h"));
    rows.clear();
    for (const auto& m : e.months) {
      std::vector<std::string> row = {FormatMonth(m.month), Grouped(m.landed_chips),
                                      Percent(m.expected_used_share)};
      for (size_t c = 0; c < e.classes.size(); ++c)
        row.push_back(Cost(m.usd_per_unit[c]) + " / " + Cost(m.usd_per_used_unit[c]));
      rows.push_back(row);
    }
    out += Table(header, rows);
    out += "  a chip-hour gives: ";
    for (size_t c = 0; c < e.classes.size(); ++c) {
      const auto& k = e.classes[c];
      out += (c > 0 ? "; " : "") + k.id + " " + Fixed(k.units_per_chip_hour, 2) +
             (k.unit == "million output tokens"
                  ? " Mtok"
                  : " PFLOP-h (" + Fixed(k.efficiency_h100_equiv, 2) + " H100-eq)");
    }
    out += "\n";
  }
  out += "\n" + e.verdict + "\n";
  return out;
}

nlohmann::json Json(const OfferEvaluation& e) {
  using nlohmann::json;
  auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
  json months = json::array();
  for (const auto& m : e.months) {
    json per = json::object(), used = json::object();
    for (size_t c = 0; c < e.classes.size(); ++c) {
      per[e.classes[c].id] = num(m.usd_per_unit[c]);
      used[e.classes[c].id] = num(m.usd_per_used_unit[c]);
    }
    months.push_back({{"month", FormatMonth(m.month)},
                      {"landed_chips", m.landed_chips},
                      {"expected_used_share", m.expected_used_share},
                      {"usd", m.usd},
                      {"usd_per_unit", per},
                      {"usd_per_used_unit", used}});
  }
  json classes = json::array();
  for (const auto& c : e.classes)
    classes.push_back({{"id", c.id},
                       {"kind", c.kind},
                       {"efficiency_h100_equiv", c.efficiency_h100_equiv},
                       {"unit", c.unit},
                       {"units_per_chip_hour", c.units_per_chip_hour}});
  json scen = json::array();
  for (size_t s = 0; s < e.scenario_names.size(); ++s)
    scen.push_back({{"name", e.scenario_names[s]},
                    {"probability", e.probability[s]},
                    {"value_change_usd", e.value_change_usd[s]},
                    {"used_share", e.used_share[s]}});
  return {{"offer", e.offer},
          {"provider", e.provider},
          {"kind", e.kind},
          {"chip_type", e.chip_type},
          {"unit", e.unit},
          {"quantity", e.quantity_in_unit},
          {"chips", e.chips},
          {"usd_per_chip_hour", e.usd_per_chip_hour},
          {"months_in_horizon", e.months_in_horizon},
          {"contract_months", e.contract_months},
          {"payment_share_in_horizon", e.payment_share_in_horizon},
          {"terminal_value_rule", e.terminal_value_rule},
          {"terminal_months", e.terminal_months},
          {"terminal_value_usd", e.terminal_value_usd},
          {"terminal_payments_usd", e.terminal_payments_usd},
          {"terminal_usd_per_usable_chip_hour", e.terminal_usd_per_usable_chip_hour},
          {"cost_usd", e.cost_usd},
          {"objective_change_usd", e.objective_change_usd},
          {"expected_value_change_usd", e.expected_value_change_usd},
          {"expected_revenue_change_usd", e.expected_revenue_change_usd},
          {"expected_cost_change_usd", e.expected_cost_change_usd},
          {"expected_cash_profit_change_usd", e.expected_revenue_change_usd - e.expected_cost_change_usd},
          {"expected_imputed_value_change_usd", e.expected_imputed_value_change_usd},
          {"value_change_usd",
           {{"mean", e.value_change.mean},
            {"p10", e.value_change.p10},
            {"p50", e.value_change.p50},
            {"p90", e.value_change.p90}}},
          {"probability_value_falls", e.probability_value_falls},
          {"cvar_loss_change_usd", e.cvar_loss_change_usd},
          {"probability_cash_breach",
           {{"before", e.probability_cash_breach_before}, {"after", e.probability_cash_breach_after}}},
          {"unserved_share", {{"before", e.unserved_share_before}, {"after", e.unserved_share_after}}},
          {"breakeven_usd_per_chip_hour",
           e.breakeven_usd_per_chip_hour ? json(*e.breakeven_usd_per_chip_hour) : json(nullptr)},
          {"breakeven_at_least_usd_per_chip_hour", e.breakeven_at_least_usd_per_chip_hour
                                                       ? json(*e.breakeven_at_least_usd_per_chip_hour)
                                                       : json(nullptr)},
          {"used_share",
           {{"mean", e.used_share_spread.mean},
            {"p10", e.used_share_spread.p10},
            {"p50", e.used_share_spread.p50},
            {"p90", e.used_share_spread.p90}}},
          {"classes", classes},
          {"months", months},
          {"scenarios", scen},
          {"verdict", e.verdict}};
}

int RunEvaluate(const EvaluateFlags& f) {
  std::unique_ptr<PlanComm> comm = MakeComm();
  const bool speak = comm->rank() == 0 && !QuietRank();
  auto fail = [&](const Status& st) { return speak ? ReportError(st) : ExitCodeFor(st); };
  if (f.offer.empty() == f.offer_file.empty())
    return fail(Status::Invalid("evaluate: give exactly one of --offer ID and --offer-file FILE"));
  auto outputs = FilesIn("--csv", f.csv_dir, {"evaluations.csv", "months.csv", "scenarios.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs({{"the spec", f.spec}, {"--offer-file", f.offer_file}}, outputs);
      !st.ok())
    return fail(st);
  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return fail(fleet.status());
  if (f.scenarios > 0) fleet->plan.scenarios = f.scenarios;
  std::vector<std::string> ids = {f.offer};
  if (!f.offer_file.empty()) {
    const size_t before = fleet->offers.size();
    Status st = AddOffersFromFile(*fleet, f.offer_file);
    if (!st.ok()) return fail(st);
    ids.clear();
    for (size_t i = before; i < fleet->offers.size(); ++i) ids.push_back(fleet->offers[i].id);
  }
  EvaluateOptions o;
  auto method = ParseMethod(f.method);
  if (!method.ok()) return fail(method.status());
  o.solve.method = *method;
  auto terminal = ParseTerminalValueRule(f.terminal_value);
  if (!terminal.ok()) return fail(terminal.status());
  o.terminal_value = *terminal;
  o.solve.threads = f.threads;
  o.solve.comm = comm.get();
  if (f.quantity >= 0) o.quantity = f.quantity;
  nlohmann::json all = nlohmann::json::array();
  std::string text;
  Progress progress("evaluate", f.quiet || !speak);
  for (const auto& id : ids) {
    progress.Show("offer " + id + " across " + std::to_string(fleet->plan.scenarios) + " scenarios...");
    auto ev = EvaluateOffer(*fleet, id, o);
    if (!ev.ok()) return fail(ev.status());
    if (ev->status == SolveStatus::kInfeasible) {  // an answer, said on stderr
      progress.Clear();
      if (speak) std::fprintf(stderr, "fungible: infeasible: %s\n", ev->infeasibility.c_str());
      return kExitInfeasible;
    }
    all.push_back(Json(*ev));
    text += (text.empty() ? "" : "\n") + Text(*ev);
  }
  progress.Clear();
  if (!speak) return kExitOk;
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, (ids.size() == 1 ? all[0] : all).dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (!f.csv_dir.empty()) {
    // One row per offer (its lists aside), and its months and scenarios with the offer's id.
    nlohmann::ordered_json offers = nlohmann::ordered_json::array(), months = offers, scenarios = offers;
    for (const auto& e : nlohmann::ordered_json::parse(all.dump())) {
      nlohmann::ordered_json row = e;
      for (const char* list : {"classes", "months", "scenarios"}) row.erase(list);
      offers.push_back(row);
      for (const auto& m : e["months"])
        months.push_back(nlohmann::ordered_json{{"offer", e["offer"]}, {"month", m}});
      for (const auto& x : e["scenarios"])
        scenarios.push_back(nlohmann::ordered_json{{"offer", e["offer"]}, {"scenario", x}});
    }
    Status st = MakeDirectory(f.csv_dir);
    if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/evaluations.csv", offers);
    if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/months.csv", months);
    if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/scenarios.csv", scenarios);
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path == "-") return kExitOk;
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddEvaluateCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "evaluate",
      "What one offer adds to the current portfolio across the cone, its breakeven and a verdict");
  cmd->add_option("spec", flags->spec, "Fleet spec (YAML)")->required();
  cmd->add_option("--offer", flags->offer, "Id of an offer in the spec's offers:");
  cmd->add_option("--offer-file", flags->offer_file, "YAML file with offers: to evaluate (each in turn)");
  cmd->add_option("--quantity", flags->quantity,
                  "Quantity to sign, in the offer's unit (default: all of it)");
  AddJsonOption(cmd, flags->json_path, "the evaluation");
  AddCsvOption(cmd, flags->csv_dir, "evaluations.csv (one row per offer), months.csv and scenarios.csv");
  AddQuietFlag(cmd, flags->quiet);
  cmd->add_option("--method", flags->method, "auto, extensive or decomposition")->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Threads for scenario subproblems (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--scenarios", flags->scenarios, "Representative scenarios (overrides plan.scenarios)");
  cmd->add_option("--terminal-value", flags->terminal_value,
                  "How the offer's months after the horizon are judged: last-month (default, see "
                  "docs/plan.md) or none")
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = RunEvaluate(*flags); });
}

}  // namespace fungible::cli

// `fungible plan SPEC [--json FILE|-] [--csv DIR] [--quiet] [--method auto|extensive|decomposition]
// [--threads N] [--cuts auto|multi|grouped:K] [--scenarios K] [--gap G] [--no-vss] [--no-evpi]
// [--no-mismatch] [--no-decision-values] [--terminal-value last-month|none]`: which offers to sign, and what
// that plan does across the cone of demand (two-stage stochastic program over the reduced scenarios). Under
// mpirun, the fungible-mpi binary spreads the scenario subproblems over the ranks; rank 0 prints. Exit codes:
// 0 planned, 2 usage or spec error, 3 no plan meets the cash floor, 1 solver failure.
#include <algorithm>
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
#include "plan/plan.h"
#include "spec/spec.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct PlanFlags {
  std::string spec;
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;
  std::string method = "auto";
  std::string cuts = "auto";
  int threads = 0;
  int scenarios = 0;
  double gap = 1e-6;
  bool no_vss = false, no_evpi = false, no_mismatch = false, no_decision_values = false;
  std::string terminal_value = "last-month";
};

// The cash path: operating costs and financing, cash at P10 / P50 / P90 at a
// few months, and the capital to raise to stay above the floor.
std::string CashText(const PlanReport& r) {
  std::string out;
  if (r.operating_cost_usd > 0 || r.financing_usd > 0)
    out += "  cash path: operating costs " + Money(r.operating_cost_usd) + " and financing " +
           Money(r.financing_usd) + " over the planned months (outside value and cash profit)\n";
  const size_t T = r.cash_by_month_usd.size();
  if (T > 0) {
    out += "  end-of-month cash P10 / P50 / P90:";
    for (size_t t : {size_t{0}, T / 4, T / 2, 3 * T / 4, T - 1}) {
      if (t > 0 && t == T / 4 && T < 4) continue;
      const Spread& c = r.cash_by_month_usd[t];
      out += " " + FormatMonth(AddMonths(r.start, static_cast<int>(t))) + " " + Money(c.p10) + " / " +
             Money(c.p50) + " / " + Money(c.p90) + (t + 1 < T ? ";" : "");
    }
    out += "\n";
  }
  const std::string floor = r.cash_floor_usd ? "the floor of " + Money(*r.cash_floor_usd) : "zero";
  for (const auto& c : r.capital_to_raise)
    out += "  capital to raise to keep cash above " + floor + " at P" + Fixed(100 * c.quantile, 0) +
           " of the cone: " + (c.usd > 0 ? Money(c.usd) + ", by " + FormatMonth(c.by) : std::string("none")) +
           "\n";
  return out;
}

// The first lines' account of the months after the horizon: the rule, its
// share of the expected value, and each deal's months, payments and value
// inside and after the planned months.
std::string WholeTermText(const PlanReport& r) {
  std::string out;
  std::vector<const OfferDecision*> longer;
  for (const auto& d : r.offers)
    if (!d.on_demand && d.payment_share_in_horizon < 0.995) longer.push_back(&d);
  if (longer.empty()) return out;
  if (r.terminal_value_rule == "none") {
    out += "whole term: not valued (--terminal-value none): each deal is judged on the planned months only\n";
  } else {
    const double net = r.terminal_value_usd.mean - r.terminal_payments_usd.mean;
    out += "whole term (--terminal-value " + r.terminal_value_rule +
           "): a deal's months after the horizon are worth, per usable chip-hour, what its chips add to the "
           "scenario's last planned month per usable chip-hour, measured at the quantity signed (a divisible "
           "deal's first chips are worth more than its last), halving every " +
           Fixed(kTerminalValueHalvingMonths, 1) +
           " months (GPU price-performance, Epoch AI 2022), less its exact payments: terminal value " +
           Money(r.terminal_value_usd.mean) + " - payments " + Money(r.terminal_payments_usd.mean) + " = " +
           Money(net) + " of the expected value " + Money(r.value_usd.mean) +
           (std::fabs(r.value_usd.mean) > 0 ? " (" + Percent(net / std::fabs(r.value_usd.mean)) + ")" : "") +
           "\n";
  }
  for (const OfferDecision* d : longer) {
    out += "  " + d->id + ": " + std::to_string(d->months_in_horizon) + " of its " +
           std::to_string(d->contract_months) + " months planned (" + Percent(d->payment_share_in_horizon) +
           " of its payments)";
    if (r.terminal_value_rule != "none" && d->sign)
      out += "; as signed, " + Money(d->cost_usd_per_chip * d->chips) + " paid inside, after: worth " +
             Money(d->terminal_value_usd) + ", paid " + Money(d->terminal_payments_usd) + " (" +
             Money(d->terminal_usd_per_usable_chip_hour) + " a usable chip-hour in the last planned month)";
    else if (r.terminal_value_rule != "none")
      out += std::string("; not signed: after the horizon ") +
             (d->all_or_nothing ? "a chip" : "its first chip") + " would be worth " +
             Money(d->terminal_value_usd_per_chip) + " and pay " + Money(d->terminal_payment_usd_per_chip);
    else
      out += "; the rest of its term is not valued";
    out += "\n";
  }
  return out;
}

std::string Summary(const Fleet& fleet, const PlanReport& r) {
  std::string out;
  out += "fungible plan: " + r.fleet + ", " + std::to_string(r.months) + " months from " +
         FormatMonth(r.start) + ", " + std::to_string(r.scenarios) + " scenarios";
  if (r.drawn_scenarios > r.scenarios)
    out += " (reduced from " + std::to_string(r.drawn_scenarios) + " drawn)";
  else if (r.drawn_scenarios > 0)
    out += " (all drawn)";
  out += "\n";
  out += "objective: expected value (cash profit + imputed value of development, research and internal use" +
         std::string(r.terminal_value_rule != "none" ? " + deals' terminal value - terminal payments" : "") +
         ")";
  if (r.risk_aversion > 0)
    out += " - " + Fixed(r.risk_aversion, 2) + " x CVaR " + Fixed(100 * r.cvar_alpha, 0) + "% of loss";
  out += "; solved by " + MethodText(r.solution) + "\n";
  out += WholeTermText(r);

  out += "\nOffers\n";
  if (r.offers.empty())
    out += "  none in the spec (add offers: to plan purchases); the committed fleet alone:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : r.offers) {
    std::string signed_text = d.on_demand ? "fallback"
                              : d.sign    ? QuantityText(d.quantity_in_unit, d.unit)
                                          : "-";
    rows.push_back({d.id, d.provider, d.kind, d.chip_type, signed_text, QuantityText(d.max_chips, "chips"),
                    d.on_demand ? "-" : Money(d.cost_usd_per_chip),
                    d.on_demand ? "-" : Money(d.value_usd_per_chip)});
  }
  if (!rows.empty())
    out += Table({"offer", "provider", "kind", "chip", "sign", "of max", "cost/chip", "value/chip"}, rows);
  for (const auto& d : r.offers) {
    out += "  " + d.id + ": " + d.why + "\n";
    for (const auto& u : d.options)
      out += "    option " + u.kind + " (notice " + std::to_string(u.notice_months) +
             " months): exercised with " + "probability " + Percent(u.probability_exercised) + ", " +
             Grouped(u.expected_chips) + " chips in expectation\n";
  }

  out += "\nAcross the scenarios (probability-weighted)\n";
  rows.clear();
  auto spread = [&](const std::string& what, const Spread& s, const std::function<std::string(double)>& f) {
    rows.push_back({what, f(s.mean), f(s.p10), f(s.p50), f(s.p90)});
  };
  const auto money = [](double v) { return Money(v); };
  const auto percent = [](double v) { return Percent(v); };
  spread("token revenue", r.revenue_usd, money);
  spread("compute cost", r.compute_cost_usd, money);
  spread("cash profit", r.cash_profit_usd, money);
  spread("imputed value", r.imputed_value_usd, money);
  if (r.terminal_value_rule != "none" &&
      (r.terminal_payments_usd.mean > 0 || r.terminal_value_usd.mean != 0)) {
    spread("terminal value", r.terminal_value_usd, money);
    spread("terminal payments", r.terminal_payments_usd, money);
  }
  spread("value", r.value_usd, money);
  spread("utilization", r.utilization, percent);
  spread("unserved demand", r.unserved_share, percent);
  spread("lowest cash", r.min_cash_usd, money);
  out += Table({"", "mean", "P10", "P50", "P90"}, rows);
  out += "  objective " + Money(r.objective_usd) + "; CVaR " + Fixed(100 * r.cvar_alpha, 0) + "% of loss " +
         Money(r.cvar_loss_usd) + "; return on compute " + Fixed(r.return_on_compute, 2) + "x (cash " +
         Fixed(r.cash_return_on_compute, 2) + "x)\n";
  out +=
      "  cash profit = token revenue - compute cost; imputed value = development, research and internal "
      "use at their bids (not cash); value = the two together" +
      std::string(r.terminal_value_rule != "none"
                      ? " with the signed deals' terminal value less terminal payments"
                      : "") +
      ", what the plan maximises\n";
  out += "  P(unserved > " + Percent(r.unserved_share_limit) +
         " of demand) = " + Percent(r.probability_unserved_over_limit) + "\n";
  if (r.cash_floor_usd)
    out += "  P(cash below the floor of " + Money(*r.cash_floor_usd) +
           ") = " + Percent(r.probability_cash_breach) + "\n";
  out += CashText(r);
  if (r.vss_usd)
    out += "  VSS " + Money(*r.vss_usd) + " (planning for the mean scenario signs " +
           ChipsList(fleet, r.offers, r.ev_plan_chips) + ")\n";
  if (r.evpi_usd)
    out += "  EVPI " + Money(*r.evpi_usd) + " (what knowing the scenario in advance would be worth)\n";
  for (const auto& w : r.warnings) out += "  warning: " + w + "\n";

  if (r.mismatch) {
    const auto& m = *r.mismatch;
    out +=
        "\nMismatch: cash profit of the plan bought for a point of the cone (rows) when another happens "
        "(columns)\n";
    std::vector<std::string> header = {"bought for"};
    for (const auto& p : m.points) header.push_back(p);
    header.push_back("signs");
    rows.clear();
    for (size_t i = 0; i < m.points.size(); ++i) {
      std::vector<std::string> row = {m.points[i]};
      for (size_t j = 0; j < m.points.size(); ++j) row.push_back(Money(m.cash_profit_usd[i][j]));
      row.push_back(ChipsList(fleet, r.offers, m.chips[i]));
      rows.push_back(row);
    }
    out += Table(header, rows);
    header.pop_back();
    rows.clear();
    out += r.terminal_value_rule != "none"
               ? "  value (cash profit + imputed + terminal value - terminal payments)\n"
               : "  value (cash profit + imputed)\n";
    for (size_t i = 0; i < m.points.size(); ++i) {
      std::vector<std::string> row = {m.points[i]};
      for (size_t j = 0; j < m.points.size(); ++j) row.push_back(Money(m.value_usd[i][j]));
      rows.push_back(row);
    }
    out += Table(header, rows);
    rows.clear();
    out += "  unserved demand share\n";
    for (size_t i = 0; i < m.points.size(); ++i) {
      std::vector<std::string> row = {m.points[i]};
      for (size_t j = 0; j < m.points.size(); ++j) row.push_back(Percent(m.unserved_share[i][j]));
      rows.push_back(row);
    }
    out += Table(header, rows);
  }
  return out;
}

// --cuts: auto (0), multi (one group per scenario: K at least S) or grouped:K (K >= 1).
StatusOr<int> ParseCuts(const std::string& text) {
  if (text == "auto") return 0;
  if (text == "multi") return std::numeric_limits<int>::max();
  const std::string prefix = "grouped:";
  if (text.rfind(prefix, 0) == 0) {
    const std::string k = text.substr(prefix.size());
    if (!k.empty() && k.size() <= 9 && k.find_first_not_of("0123456789") == std::string::npos &&
        std::stoi(k) >= 1)
      return std::stoi(k);
  }
  return Status::Invalid("--cuts: expected auto, multi or grouped:K with K a whole number >= 1, got \"" +
                         text + "\"");
}

int RunPlanCommand(const PlanFlags& f) {
  std::unique_ptr<PlanComm> comm = MakeComm();
  const bool speak = comm->rank() == 0 && !QuietRank();
  auto outputs = FilesIn("--csv", f.csv_dir, {"offers.csv", "scenarios.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs({{"the spec", f.spec}}, outputs); !st.ok())
    return speak ? ReportError(st) : ExitCodeFor(st);
  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return speak ? ReportError(fleet.status()) : ExitCodeFor(fleet.status());
  if (f.scenarios > 0) fleet->plan.scenarios = f.scenarios;
  PlanRunOptions o;
  auto method = ParseMethod(f.method);
  if (!method.ok()) return speak ? ReportError(method.status()) : ExitCodeFor(method.status());
  o.solve.method = *method;
  auto cuts = ParseCuts(f.cuts);
  if (!cuts.ok()) return speak ? ReportError(cuts.status()) : ExitCodeFor(cuts.status());
  o.solve.cut_groups = *cuts;
  o.solve.threads = f.threads;
  o.solve.relative_gap = f.gap;
  o.solve.comm = comm.get();
  o.vss = !f.no_vss;
  o.evpi = !f.no_evpi;
  o.mismatch = !f.no_mismatch;
  o.decision_values = !f.no_decision_values;
  auto terminal = ParseTerminalValueRule(f.terminal_value);
  if (!terminal.ok()) return speak ? ReportError(terminal.status()) : ExitCodeFor(terminal.status());
  o.terminal_value = *terminal;
  // Progress on rank 0 only.
  Progress progress("plan", f.quiet || !speak);
  std::string current_step;
  if (progress.on()) {
    o.on_step = [&](const std::string& step) {
      current_step = step;
      progress.Show(step + "...");
    };
    o.solve.on_iteration = [&](int iteration, double upper, double lower) {
      const double gap = std::fabs(upper - lower) / std::max(1.0, std::fabs(upper));
      progress.Show(current_step + ": Benders iteration " + std::to_string(iteration) + ", gap " +
                    Fmt("%.2g", gap));
    };
  }
  auto rep = RunPlan(*fleet, o);
  progress.Clear();
  if (!rep.ok()) return speak ? ReportError(rep.status()) : ExitCodeFor(rep.status());
  if (rep->status == SolveStatus::kInfeasible) {  // an answer, said on stderr
    if (speak) std::fprintf(stderr, "fungible: infeasible: %s\n", rep->infeasibility.c_str());
    return kExitInfeasible;
  }
  if (!speak) return kExitOk;
  const nlohmann::json json = PlanJson(*fleet, *rep);
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, json.dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (!f.csv_dir.empty()) {
    Status st = MakeDirectory(f.csv_dir);
    if (st.ok())
      st = WriteJsonRowsCsv(f.csv_dir + "/offers.csv", nlohmann::ordered_json::parse(json["offers"].dump()));
    if (st.ok())
      st = WriteJsonRowsCsv(f.csv_dir + "/scenarios.csv",
                            nlohmann::ordered_json::parse(json["scenario_outcomes"].dump()));
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path == "-") return kExitOk;
  std::fputs(Summary(*fleet, *rep).c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddPlanCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<PlanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "plan", "Which offers to sign: a two-stage stochastic program over the reduced scenarios of the cone");
  cmd->add_option("spec", flags->spec, "Fleet spec (YAML) with offers: and plan:")->required();
  AddJsonOption(cmd, flags->json_path, "the full report");
  AddCsvOption(cmd, flags->csv_dir, "offers.csv (one row per offer) and scenarios.csv (one per scenario)");
  AddQuietFlag(cmd, flags->quiet);
  cmd->add_option("--method", flags->method, "auto, extensive (one LP/MIP) or decomposition (Benders)")
      ->capture_default_str();
  cmd->add_option("--threads", flags->threads, "Threads for scenario subproblems (0 = all cores)")
      ->capture_default_str();
  cmd->add_option("--cuts", flags->cuts,
                  "Benders cuts: auto (multi up to 2,000 scenarios, 1,000 groups above), multi (one per "
                  "scenario) or grouped:K (K groups of scenarios, one cut each)")
      ->capture_default_str();
  cmd->add_option("--scenarios", flags->scenarios, "Representative scenarios (overrides plan.scenarios)");
  cmd->add_option("--gap", flags->gap, "Relative optimality gap at which the solver stops")
      ->capture_default_str();
  cmd->add_flag("--no-vss", flags->no_vss, "Skip the expected-value plan (VSS)");
  cmd->add_flag("--no-evpi", flags->no_evpi, "Skip the wait-and-see solves (EVPI)");
  cmd->add_flag("--no-mismatch", flags->no_mismatch, "Skip the P10/P50/P90 mismatch table");
  cmd->add_flag("--no-decision-values", flags->no_decision_values,
                "Skip valuing each all-or-nothing decision against its opposite (one solve per such offer)");
  cmd->add_option("--terminal-value", flags->terminal_value,
                  "How deals' months after the horizon are judged: last-month (each scenario's last planned "
                  "month carried forward, see docs/plan.md) or none (the planned months only)")
      ->capture_default_str();
  cmd->callback([flags, &exit_code] { exit_code = RunPlanCommand(*flags); });
}

}  // namespace fungible::cli

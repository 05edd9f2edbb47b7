// `fungible simulate SPEC [--months 12] [--scenario P50|random:SEED|trace:FILE]
// [--policy fungible|static|no-repurpose|greedy|all] [--compare] [--out DIR]
// [--json FILE|-] [--csv DIR] [--quiet] ...`: months of operation in hourly virtual time, each policy
// applying its allocation to the same realised world; prints the side-by-side summary and writes the run
// directory (see simulate/output.h). Exit codes: 0 done, 2 bad flags, spec or trace (located), 1 solver
// failure.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "simulate/output.h"
#include "simulate/simulate.h"
#include "spec/spec.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct SimulateFlags {
  std::string spec;
  int months = 12;
  std::string length;
  std::string from;
  std::string scenario = "P50";
  std::string token_mix;
  std::string policy = "fungible";
  bool compare = false;
  std::string out_dir;
  std::vector<std::string> failures;
  bool no_failures = false;
  long long seed = -1;
  std::string resolve_every;
  std::string horizon;
  std::string period;
  std::string json_path;
  std::string csv_dir;
  bool integer_gangs = false;
  bool switch_costs_in_lp = false;
  bool no_switch_costs_in_lp = false;
  bool quiet = false;
  int threads = 0;
};

std::string Summary(const SimulationResult& sim) {
  std::string out;
  const UtcSeconds end = sim.start + static_cast<UtcSeconds>(sim.hours) * kSecondsPerHour;
  out += "fungible simulate: " + sim.fleet_name + ", " + FormatUtc(sim.start) + ".." + FormatUtc(end) + " (" +
         std::to_string(sim.hours) + " h), scenario " + sim.scenario + ", seed " + std::to_string(sim.seed) +
         "\n";
  const auto& st = sim.settings;
  out += "re-solve every " + std::to_string(st.resolve_every_hours) + "h over " +
         std::to_string(st.horizon_hours) + "h in " + std::to_string(st.period_hours) + "h periods; gangs " +
         (st.integer_gangs ? "whole by MIP" : "from the LP relaxation, rounded to whole gangs") +
         "; switching priced in the LP" + "; " + std::to_string(sim.failures.size()) + " pool failure" +
         (sim.failures.size() == 1 ? "" : "s") + "\n";
  for (const auto& l : sim.launches)
    if (l.date >= sim.start && l.date < end)
      out += "launch: " + l.model + " on " + FormatDate(l.date) + ", demand x" +
             Fmt("%.3f", l.demand_multiplier) + ", throughput x" + Fmt("%.3f", l.throughput_multiplier) +
             "\n";
  for (const auto& r : sim.hourly_recalibration)
    out += "hourly noise recalibrated: " + r.model + " x" + Fmt("%.2f", r.band_factors[0]) + " / x" +
           Fmt("%.2f", r.band_factors[1]) + " / x" + Fmt("%.2f", r.band_factors[2]) +
           " on the noise's P25-P75 / P10-P90 / P5-P95 half-widths" +
           (r.source.empty() ? std::string() : " (" + r.source + ")") + "\n";
  // The planner sizes serving at its quantile of the same noise: one line.
  std::string planning;
  for (const auto& r : sim.hourly_recalibration)
    planning += (planning.empty() ? "" : ", ") + r.model + " x" + Fmt("%.2f", r.planning_band_factor);
  if (!planning.empty())
    out += "planning quantile P" + Fmt("%g", 100 * st.serving_quantile) +
           " of the recalibrated noise: " + planning + " on the P" +
           Fmt("%g", 100 * (1 - st.serving_quantile)) + "-P" + Fmt("%g", 100 * st.serving_quantile) +
           " half-width\n";
  for (const auto& t : sim.trace.models)
    out += "trace: " + t.model + " replays " + t.trace + " (" + Fmt("%.0f", t.trace_hours) + " h, " +
           Grouped(t.trace_requests) + " requests, " + Fmt("%.1f", t.output_tokens_per_request) +
           " output tokens each, x" + Fmt("%.4g", t.scale) + " to the spec's level, " +
           std::to_string(t.gap_windows_imputed) + " gap windows filled)\n";

  std::vector<std::vector<std::string>> rows;
  for (const auto& r : sim.runs) {
    const auto& s = r.summary;
    rows.push_back({PolicyName(r.policy), Grouped(s.revenue_usd), Fmt("%.2f%%", 100 * s.unserved_share),
                    std::to_string(s.floor_windows_met) + "/" + std::to_string(s.floor_windows),
                    Fmt("%.1f%%", 100 * s.utilization), Grouped(s.chips_switched),
                    Grouped(s.contract_cost_usd), Fmt("%.2f", s.roc_now), Fmt("%.2f", s.roc_within),
                    Fmt("%.2f", s.roc_all_up)});
  }
  out += "\nPolicies\n" +
         Table({"policy", "revenue usd", "unserved", "floors met", "utilization", "chips switched",
                "cost usd", "RoC now", "RoC " + Fmt("%g", st.value_horizon_months) + "mo", "RoC all-up"},
               rows);
  // Floors: every short window is counted by cause; the first few are named
  // (all of them in run.json and <policy>/floors.csv). Never silent.
  for (const auto& r : sim.runs) {
    std::map<std::string, int> causes;
    std::vector<const FloorOutcome*> short_windows;
    for (const auto& f : r.floors)
      if (!f.met()) {
        ++causes[f.cause()];
        short_windows.push_back(&f);
      }
    if (short_windows.empty()) continue;
    std::string by;
    for (const auto& [c, n] : causes) by += (by.empty() ? "" : ", ") + std::to_string(n) + " " + c;
    out += "\nFloors short (" + std::string(PolicyName(r.policy)) +
           "): " + std::to_string(short_windows.size()) + " of " + std::to_string(r.floors.size()) +
           " windows (" + by + ")\n";
    const size_t kShown = 5;
    for (size_t i = 0; i < short_windows.size() && i < kShown; ++i)
      out += "  " + short_windows[i]->Explain() + "\n";
    if (short_windows.size() > kShown)
      out += "  ... and " + std::to_string(short_windows.size() - kShown) + " more (run.json floors_short, " +
             PolicyName(r.policy) + "/floors.csv)\n";
  }
  if (sim.fungibility) {
    const auto& v = *sim.fungibility;
    out += "\nValue of fungibility (fungible - static): revenue " +
           std::string(v.revenue_usd >= 0 ? "+" : "-") + "$" + Grouped(std::fabs(v.revenue_usd)) + " (" +
           Fmt("%+.2f%%", v.revenue_pct) + "), value all-up " + (v.value_all_up_usd >= 0 ? "+" : "-") + "$" +
           Grouped(std::fabs(v.value_all_up_usd)) + " (" + Fmt("%+.2f%%", v.value_all_up_pct) +
           "), return on compute " + Fmt("%+.3f", v.roc_all_up_points) +
           "; revenue net of the extra switch cost ($" + Grouped(v.switch_cost_usd) + ") " +
           (v.net_revenue_usd >= 0 ? "+" : "-") + "$" + Grouped(std::fabs(v.net_revenue_usd)) + "\n";
  }
  // Return on compute of the first policy by team and chip type.
  const PolicyRun& first = sim.runs.front();
  rows.clear();
  for (const auto& t : first.ledger.by_team)
    rows.push_back({t.key, Grouped(t.chip_hours), Grouped(t.cost_usd), Grouped(t.value_now_usd),
                    Grouped(t.value_within_usd), Grouped(t.value_all_up_usd),
                    t.cost_usd > 0 ? Fmt("%.2f", t.roc_all_up()) : "-"});
  out += "\nReturn on compute by team (" + std::string(PolicyName(first.policy)) + ")\n" +
         Table({"team", "chip-hours", "cost usd", "value now",
                "value " + Fmt("%g", st.value_horizon_months) + "mo", "value all-up", "RoC all-up"},
               rows);
  rows.clear();
  for (const auto& t : first.ledger.by_chip_type)
    rows.push_back({t.key, Grouped(t.chip_hours), Grouped(t.cost_usd), Grouped(t.value_all_up_usd),
                    Fmt("%.2f", t.roc_now()), Fmt("%.2f", t.roc_all_up())});
  out += "\nReturn on compute by chip type (full cost, idle included)\n" +
         Table({"chip type", "chip-hours", "cost usd", "value all-up", "RoC now", "RoC all-up"}, rows);
  rows.clear();
  for (const auto& c : first.ledger.launch_credits)
    rows.push_back({c.launch.model, FormatDate(c.launch.date), Fmt("%.3f", c.launch.demand_multiplier),
                    Grouped(c.launch.credit_usd), Grouped(c.observed_effective_chip_hours),
                    Fmt("%.2f", c.usd_per_effective_chip_hour), Grouped(c.credited_usd)});
  if (!rows.empty())
    out += "\nLaunches credited to model development\n" +
           Table({"launch", "date", "demand x", "credit usd", "H100-eq chip-hours fed", "usd per chip-hour",
                  "credited in run"},
                 rows);
  return out;
}

int RunSimulate(const SimulateFlags& f) {
  SimulateOptions o;
  o.months = f.months;
  // Durations in whole hours ("14d", "4h"); empty = the spec's setting.
  std::optional<int> length;
  for (auto [flag, text, hours] : {std::tuple{"--length", &f.length, &length},
                                   {"--resolve-every", &f.resolve_every, &o.resolve_every_hours},
                                   {"--horizon", &f.horizon, &o.horizon_hours},
                                   {"--period", &f.period, &o.period_hours}}) {
    if (text->empty()) continue;
    StatusOr<int> h = DurationHours(flag, *text);
    if (!h.ok()) return ReportError(h.status());
    *hours = *h;
  }
  o.hours = length.value_or(0);
  if (o.hours > 3660 * 24) return ReportError(Status::Invalid("--length: expected at most 3660d"));
  auto scenario = ParseDemandChoice(f.scenario);
  if (!scenario.ok()) return ReportError(scenario.status());
  o.demand = *scenario;
  o.token_mix_file = f.token_mix;
  auto policies = ParsePolicies(f.compare ? "all" : f.policy);
  if (!policies.ok()) return ReportError(policies.status());
  o.policies = *policies;
  if (!f.from.empty()) {
    auto t = ParseUtc(f.from);
    if (!t.ok()) return ReportError(t.status().WithContext("--from"));
    o.start = *t;
  }
  if (f.seed >= 0) o.seed = static_cast<std::uint64_t>(f.seed);
  for (const auto& text : f.failures) {
    auto inj = ParseInjectedFailure(text);
    if (!inj.ok()) return ReportError(inj.status());
    o.injected_failures.push_back(*inj);
  }
  o.random_failures = !f.no_failures;
  if (f.threads < 0) return ReportError(Status::Invalid("--threads: expected 0 (all cores) or more"));
  o.threads = f.threads;
  if (f.integer_gangs) o.integer_gangs = true;
  if (f.switch_costs_in_lp || f.no_switch_costs_in_lp)
    return ReportError(Status::Invalid(
        std::string(f.switch_costs_in_lp ? "--switch-costs-in-lp" : "--no-switch-costs-in-lp") +
        ": removed; every re-solve now prices switching (docs/simulate.md); drop the flag"));

  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"the spec", f.spec}, {"--scenario's trace", o.demand.trace_file}, {"--token-mix", f.token_mix}};
  if (Status st = CheckOutputsAreNotInputs(inputs, {{"--json", f.json_path}}); !st.ok())
    return ReportError(st);
  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return ReportError(fleet.status());
  Progress progress("simulate", f.quiet);
  progress.Show("starting...");
  o.on_resolve = [&progress](Policy policy, int done, int total) {
    progress.Show(std::string(PolicyName(policy)) + ": re-solve " + std::to_string(done) + " of " +
                  std::to_string(total));
  };
  auto sim = Simulate(*fleet, o);
  progress.Clear();
  if (!sim.ok()) return ReportError(sim.status());

  // The run directory (--out) and its CSV files alone (--csv), checked
  // against the inputs before the first is written.
  std::vector<std::pair<std::string, std::string>> files;
  std::vector<std::pair<std::string, std::string>> outputs;
  for (auto& [rel, text] : RenderRunFiles(*sim)) {
    if (!f.out_dir.empty()) outputs.emplace_back("--out", (std::filesystem::path(f.out_dir) / rel).string());
    if (!f.csv_dir.empty() && rel.size() > 4 && rel.compare(rel.size() - 4, 4, ".csv") == 0)
      outputs.emplace_back("--csv", (std::filesystem::path(f.csv_dir) / rel).string());
    files.emplace_back(rel, std::move(text));
  }
  if (Status st = CheckOutputsAreNotInputs(inputs, outputs); !st.ok()) return ReportError(st);
  for (const auto& [flag, path] : outputs) {
    const auto rel = std::filesystem::relative(path, flag == "--out" ? f.out_dir : f.csv_dir).string();
    const auto it =
        std::find_if(files.begin(), files.end(), [&](const auto& file) { return file.first == rel; });
    Status st = MakeDirectory(std::filesystem::path(path).parent_path().string());
    if (st.ok()) st = WriteTextFile(path, it->second);
    if (!st.ok()) return ReportError(st);
  }
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, RunJson(*sim));
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") {
    const std::string summary = Summary(*sim);
    std::fwrite(summary.data(), 1, summary.size(), stdout);
    if (!f.out_dir.empty())
      std::printf(
          "\nwrote %s: run.json, compare.csv, and per policy monthly.csv, daily.csv, ledger.csv, "
          "events.log, floors.csv\n",
          f.out_dir.c_str());
    if (!f.csv_dir.empty())
      std::printf("wrote %s: compare.csv, and per policy monthly.csv, daily.csv, ledger.csv\n",
                  f.csv_dir.c_str());
  }
  // Timings vary from run to run: stderr, apart from the figures.
  if (!f.quiet) {
    double solve = 0, resolve_wall = 0, apply = 0, ledger = 0, greedy = 0, total = sim->scenario_seconds;
    int resolves = 0, event_resolves = 0;
    for (const auto& r : sim->runs) {
      resolves += r.summary.resolves;
      event_resolves += r.summary.event_resolves;
      solve += r.profile.solve_seconds;
      resolve_wall += r.profile.resolve_wall_seconds + r.profile.disaggregate_seconds;
      apply += r.profile.apply_seconds;
      ledger += r.profile.ledger_seconds;
      greedy += r.profile.greedy_seconds;
      total += r.profile.total_seconds;
    }
    const double simulated = static_cast<double>(sim->hours) * static_cast<double>(sim->runs.size());
    std::fprintf(
        stderr,
        "fungible: simulated %.0f policy-hours in %.2f s (%.0f h/s): %d re-solves (%d in the hour a failure "
        "started or ended) %.2f s (%.2f s inside Solve() over all threads), greedy %.2f s, apply %.2f s, "
        "ledger %.2f "
        "s\n",
        simulated, total, total > 0 ? simulated / total : 0.0, resolves, event_resolves, resolve_wall, solve,
        greedy, apply, ledger);
  }
  return kExitOk;
}

}  // namespace

void AddSimulateCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<SimulateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "simulate", "Operate the fleet for months in hourly virtual time and compare allocation policies");
  cmd->add_option("spec", f->spec, "Fleet spec (YAML)")->required();
  cmd->add_option("--months", f->months, "Calendar months to simulate (1..120)")->capture_default_str();
  cmd->add_option("--length", f->length, "Length to simulate instead of months, whole hours (14d, 36h)");
  cmd->add_option("--from", f->from,
                  "First hour, UTC (default: simulate.start, else the forecast's start month)");
  cmd->add_option("--scenario", f->scenario, "P50, random:SEED or trace:FILE (a rate trace to replay)")
      ->capture_default_str();
  cmd->add_option(
      "--token-mix", f->token_mix,
      "With trace:FILE, a request trace (TIMESTAMP,ContextTokens,GeneratedTokens) for tokens per request");
  cmd->add_option("--policy", f->policy, "fungible, static, no-repurpose, greedy or all")
      ->capture_default_str();
  cmd->add_flag("--compare", f->compare, "Run every policy side by side (same as --policy all)");
  cmd->add_option("--out", f->out_dir, "Write the run directory (run.json, CSVs, event logs) to DIR");
  AddJsonOption(cmd, f->json_path, "the run (run.json of --out)");
  AddCsvOption(cmd, f->csv_dir, "compare.csv and per policy monthly.csv, daily.csv, ledger.csv");
  cmd->add_option("--inject-failure", f->failures,
                  "POOL@TIME+HOURS[*FRACTION]: a failure at a known hour (repeatable)");
  cmd->add_flag("--no-failures", f->no_failures,
                "Do not draw failures from MTBF/MTTR (injected ones still happen)");
  cmd->add_option("--seed", f->seed, "Seed of failures (default: forecast.seed of the spec)");
  cmd->add_option("--resolve-every", f->resolve_every,
                  "Time between re-solves, e.g. 4h (overrides simulate.resolve_every_hours)");
  cmd->add_option("--horizon", f->horizon,
                  "How far each re-solve looks ahead, e.g. 2d (overrides simulate.horizon_hours)");
  cmd->add_option("--period", f->period, "LP period length, e.g. 4h (overrides simulate.period_hours)");
  cmd->add_flag("--integer-gangs", f->integer_gangs, "Place gangs by MIP in every re-solve (exact, slow)");
  cmd->add_flag("--switch-costs-in-lp", f->switch_costs_in_lp, "Removed: every re-solve prices switching");
  cmd->add_flag("--no-switch-costs-in-lp", f->no_switch_costs_in_lp,
                "Removed: every re-solve prices switching");
  cmd->add_option("--threads", f->threads,
                  "Threads for the re-solves (0 = all cores; results never depend on it)");
  AddQuietFlag(cmd, f->quiet);
  cmd->callback([f, &exit_code] { exit_code = RunSimulate(*f); });
}

}  // namespace fungible::cli

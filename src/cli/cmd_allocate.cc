// `fungible allocate SPEC --from T [--window 7d] [--period 1h] [--quantile Q | --scenario S]
// [--json FILE|-] [--csv DIR] [--mps FILE] [--lp-only] [--time-limit S] [--quiet]`: chips per
// pool, period and workload by value, with the internal price of compute. The window's demand
// is the forecast's at a stated point of the cone (P50 by default), as `simulate` sees the same
// hours. Prints a readable summary; writes JSON, CSV and the MPS model on request.
// Exit codes: 0 solved (also at the time limit, with the best plan so far), 2
// usage or spec error, 3 infeasible (reasons on stderr and in the JSON), 1
// solver failure.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "cli/commands.h"
#include "cli/demand_options.h"
#include "cli/exit_codes.h"
#include "simulate/window_demand.h"
#include "spec/spec.h"
#include "util/csv.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct AllocateFlags {
  std::string spec;
  std::string from;
  std::string window = "7d";
  std::string period = "1h";
  bool quiet = false;
  std::string json_path;
  std::string csv_dir;
  std::string mps_path;
  bool lp_only = false;
  double time_limit_s = 10;
  double mip_gap = 0.01;
  double quantile = 0;   // 0 = unset
  std::string scenario;  // "" = unset
};

bool IsTraining(WorkloadKind k) { return k == WorkloadKind::kPretrain || k == WorkloadKind::kRl; }

UtcSeconds PeriodEndTime(const AllocationResult& r, int last) {
  return r.periods[last].start + static_cast<UtcSeconds>(std::llround(r.periods[last].hours * 3600));
}
std::string PeriodEnd(const AllocationResult& r, int last) { return FormatUtc(PeriodEndTime(r, last)); }

std::string DemandLines(const WindowDemand& d) {
  std::string out = "demand: " + d.description + "\n";
  for (size_t m = 0; m < d.model_ids.size(); ++m) {
    if (d.demand_output_tokens[m] <= 0 && d.usd_per_output_token[m] == d.listed_usd_per_output_token[m] &&
        d.throughput_multiplier[m] == 1.0)
      continue;
    out += "  " + d.model_ids[m] + ": " + Grouped(d.demand_output_tokens[m] / 1e6) +
           " Mtok in the window, usd " + Fmt("%.4g", d.usd_per_output_token[m] * 1e6) +
           "/M output tokens (listed " + Fmt("%.4g", d.listed_usd_per_output_token[m] * 1e6) +
           "), tokens per chip-hour x" + Fmt("%.3f", d.throughput_multiplier[m]) + "\n";
  }
  return out;
}

std::string Summary(const Fleet& fleet, const AllocateOptions& opt, const AllocationInstance& inst,
                    const WindowDemand& demand, const AllocationResult& r) {
  const int P = static_cast<int>(r.pool_ids.size()), W = static_cast<int>(r.workload_ids.size()),
            T = static_cast<int>(r.periods.size()), M = static_cast<int>(r.model_ids.size());
  std::string out;
  out += "fungible allocate: " + fleet.name + ", " + FormatUtc(r.periods.front().start) + ".." +
         PeriodEnd(r, T - 1) + ", " + std::to_string(T) + " periods of " + std::to_string(opt.period_hours) +
         "h\n";
  out += DemandLines(demand);
  out += "LP: " + Grouped(r.lp_rows) + " rows, " + Grouped(r.lp_columns) + " columns" +
         (r.method == "decomposed" ? " (without switching, in blocks; then one per period)" : "") +
         (r.has_integers ? (r.method == "decomposed" ? " (whole gangs by rounding)" : " (integer gangs, Cbc)")
                         : (opt.integer_gangs ? "" : " (gangs relaxed)")) +
         "; " + r.method + ", " + SolveStatusName(r.status) + " in " + Fmt("%.2f", r.solve_seconds) +
         " s (build " + Fmt("%.2f", r.build_seconds) + " s)\n";
  if (r.status == SolveStatus::kInfeasible) {
    // The floor is law: which window, by how much, why.
    out += "\nFloors that cannot be met (infeasible: no plan is given)\n";
    for (const auto& why : r.infeasibility) out += "  " + why.message + "\n";
    return out;
  }

  // Workloads.
  double total_chip_hours = 0;
  for (double v : r.workload_chip_hours) total_chip_hours += v;
  std::vector<std::vector<std::string>> rows;
  for (int w = 0; w < W; ++w) {
    const WorkloadClass* wc = fleet.FindWorkload(r.workload_ids[w]);
    rows.push_back({r.workload_ids[w], wc ? WorkloadKindName(wc->kind) : "",
                    Grouped(r.workload_chip_hours[w]), Grouped(r.workload_effective_chip_hours[w]),
                    total_chip_hours > 0 ? Percent(r.workload_chip_hours[w] / total_chip_hours) : "-",
                    Grouped(r.workload_value_usd[w])});
  }
  out += "\nWorkloads\n" +
         Table({"workload", "kind", "chip-hours", "H100-eq chip-hours", "share", "value usd"}, rows);

  // Serving.
  rows.clear();
  for (int m = 0; m < M; ++m) {
    double demand = 0, served = 0;
    for (int t = 0; t < T; ++t) {
      demand += r.demand_output_tokens[m][t];
      served += r.served_output_tokens[m][t];
    }
    double revenue = served * inst.models[m].usd_per_output_token;
    rows.push_back({r.model_ids[m], Grouped(demand / 1e6), Grouped(served / 1e6),
                    demand > 0 ? Percent((demand - served) / demand) : "-", Grouped(revenue)});
  }
  if (!rows.empty())
    out += "\nServing\n" + Table({"model", "demand Mtok", "served Mtok", "unserved", "revenue usd"}, rows);

  // Floors: worst window per class.
  std::map<std::string, std::pair<double, int>> worst;  // class -> (min attainment, windows)
  std::vector<std::string> order;
  for (const auto& f : r.floors) {
    double a = f.required_effective_chip_hours > 0
                   ? f.achieved_effective_chip_hours / f.required_effective_chip_hours
                   : 1.0;
    auto it = worst.find(f.workload);
    if (it == worst.end()) {
      worst[f.workload] = {a, 1};
      order.push_back(f.workload);
    } else {
      it->second.first = std::min(it->second.first, a);
      ++it->second.second;
    }
  }
  rows.clear();
  for (const auto& id : order) {
    const WorkloadClass* wc = fleet.FindWorkload(id);
    auto [a, n] = worst[id];
    std::string level, name = id;
    if (wc != nullptr) level = wc->floor_schedule.empty() ? Fmt("%g", wc->floor_effective_chips) : "schedule";
    for (const auto& sf : fleet.floors)
      if (wc == nullptr && sf.name == id) {
        level = sf.schedule.empty() ? Fmt("%g", sf.effective_chips) : "schedule";
        name = id + " (";
        for (size_t i = 0; i < sf.workloads.size(); ++i) name += (i ? " + " : "") + sf.workloads[i];
        name += ")";
      }
    rows.push_back({name, level, std::to_string(n), Percent(a), a >= 1 - 1e-9 ? "OK" : "SHORT"});
  }
  if (!rows.empty())
    out +=
        "\nFloors\n" + Table({"workload", "H100-eq chips avg", "windows", "min attainment", "status"}, rows);

  out += "\nTotals\n";
  rows = {{"token revenue", Grouped(r.revenue_usd)},
          {"bid value", Grouped(r.bid_value_usd)},
          {"switch cost", Grouped(r.switch_cost_usd)},
          {"plan value (whole chips)", Grouped(r.plan_value_usd)},
          {"contract cost (idle included)", Grouped(r.contract_cost_usd)},
          {"utilization", Percent(r.utilization)},
          {"upper bound (" + r.bound_kind + ")", Fmt("%.2f", r.bound_usd)},
          {"certified gap (bound - plan value) / bound", Fmt("%.4f%%", 100 * r.gap_rel)}};
  if (r.method == "exact")
    rows.push_back({r.has_integers ? "objective (MIP)" : "objective (LP)", Fmt("%.2f", r.objective_usd)});
  if (r.has_integers && r.method == "exact") {
    rows.push_back({"LP relaxation bound", Fmt("%.2f", r.lp_relaxation_objective_usd)});
    rows.push_back({"integer gap (LP - MIP) / LP", Fmt("%.4f%%", 100 * r.integer_gap_rel)});
    rows.push_back({"MIP bound (Cbc)", Fmt("%.2f", r.mip_best_bound_usd)});
  }
  out += Table({"", "usd"}, rows);

  // Repurposing: serving pools moving chips to training and back.
  std::vector<std::string> lines;
  for (const auto& e : r.switches) {
    const WorkloadClass* from = fleet.FindWorkload(e.from_workload);
    const WorkloadClass* to = fleet.FindWorkload(e.to_workload);
    if (from == nullptr || to == nullptr) continue;
    bool to_training = from->kind == WorkloadKind::kServe && IsTraining(to->kind);
    bool back = IsTraining(from->kind) && to->kind == WorkloadKind::kServe;
    if (!to_training && !back) continue;
    lines.push_back("  " + FormatUtc(r.periods[e.period].start) + " " + e.pool + ": " +
                    std::to_string(e.chips) + " chips " + e.from_workload + " -> " + e.to_workload + "\n");
  }
  out += "\nRepurposing (serving <-> training)\n";
  if (lines.empty()) out += "  none\n";
  const size_t kMaxLines = 24;
  for (size_t i = 0; i < lines.size() && i < kMaxLines; ++i) out += lines[i];
  if (lines.size() > kMaxLines)
    out += "  ... and " + std::to_string(lines.size() - kMaxLines) + " more (all in --json / --csv)\n";

  // Highest shadow prices.
  struct Price {
    double usd;
    int p, t;
  };
  std::vector<Price> prices;
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < T; ++t) prices.push_back({r.shadow_usd_per_chip_hour[p][t], p, t});
  std::stable_sort(prices.begin(), prices.end(),
                   [](const Price& a, const Price& b) { return a.usd > b.usd; });
  rows.clear();
  for (size_t i = 0; i < prices.size() && i < 10; ++i)
    rows.push_back(
        {r.pool_ids[prices[i].p], FormatUtc(r.periods[prices[i].t].start), Fmt("%.4f", prices[i].usd)});
  out += "\nHighest shadow prices (internal price of compute)\n" +
         Table({"pool", "period start", "usd/chip-hour"}, rows);
  return out;
}

nlohmann::json DemandJson(const WindowDemand& d) {
  using nlohmann::json;
  json models = json::array();
  for (size_t m = 0; m < d.model_ids.size(); ++m)
    models.push_back({{"model", d.model_ids[m]},
                      {"demand_output_tokens", d.demand_output_tokens[m]},
                      {"usd_per_output_token", d.usd_per_output_token[m]},
                      {"listed_usd_per_output_token", d.listed_usd_per_output_token[m]},
                      {"throughput_multiplier", d.throughput_multiplier[m]}});
  json launches = json::array();
  for (const auto& l : d.launches)
    launches.push_back({{"model", l.model},
                        {"date", FormatRfc3339(l.date)},
                        {"demand_multiplier", l.demand_multiplier},
                        {"throughput_multiplier", l.throughput_multiplier}});
  return {{"source", d.source},           {"point", d.point}, {"scenarios", d.scenarios}, {"seed", d.seed},
          {"description", d.description}, {"models", models}, {"launches", launches}};
}

nlohmann::json ToJson(const Fleet& fleet, const AllocateOptions& opt, const WindowDemand& demand,
                      const AllocationResult& r) {
  using nlohmann::json;
  const int P = static_cast<int>(r.pool_ids.size()), W = static_cast<int>(r.workload_ids.size()),
            M = static_cast<int>(r.model_ids.size());
  json j;
  j["spec"] = fleet.name;
  j["from"] = FormatRfc3339(opt.from);
  j["hours"] = opt.hours;  // the --window in hours
  j["period_hours"] = opt.period_hours;
  j["demand"] = DemandJson(demand);
  j["status"] = SolveStatusName(r.status);
  j["objective_usd"] = r.objective_usd;
  j["objective_sense"] = "maximise (the MPS export minimises -objective)";
  j["lp_relaxation_objective_usd"] = r.lp_relaxation_objective_usd;
  j["integer_gap_rel"] = r.integer_gap_rel;
  j["mip_best_bound_usd"] = r.mip_best_bound_usd;
  j["mip_relative_gap_setting"] = opt.mip_relative_gap;
  j["has_integers"] = r.has_integers;
  j["method"] = r.method;
  j["plan_value_usd"] = r.plan_value_usd;
  j["bound_usd"] = r.bound_usd;
  j["bound_kind"] = r.bound_kind;
  j["gap_rel"] = r.gap_rel;
  j["time_limit_s"] = opt.time_limit_s;
  j["lp_rows"] = r.lp_rows;
  j["lp_columns"] = r.lp_columns;
  j["build_seconds"] = r.build_seconds;
  j["solve_seconds"] = r.solve_seconds;
  j["revenue_usd"] = r.revenue_usd;
  j["bid_value_usd"] = r.bid_value_usd;
  j["switch_cost_usd"] = r.switch_cost_usd;
  j["contract_cost_usd"] = r.contract_cost_usd;
  j["utilization"] = r.utilization;
  json periods = json::array();
  for (const auto& p : r.periods) periods.push_back(FormatRfc3339(p.start));
  j["periods"] = periods;
  json pools = json::array();
  for (int p = 0; p < P; ++p)
    pools.push_back({{"id", r.pool_ids[p]},
                     {"capacity_chips", r.capacity_chips[p]},
                     {"shadow_usd_per_chip_hour", r.shadow_usd_per_chip_hour[p]}});
  j["pools"] = pools;
  json workloads = json::array();
  for (int w = 0; w < W; ++w) {
    const WorkloadClass* wc = fleet.FindWorkload(r.workload_ids[w]);
    workloads.push_back({{"id", r.workload_ids[w]},
                         {"kind", wc ? WorkloadKindName(wc->kind) : ""},
                         {"chip_hours", r.workload_chip_hours.empty() ? 0.0 : r.workload_chip_hours[w]},
                         {"effective_chip_hours",
                          r.workload_effective_chip_hours.empty() ? 0.0 : r.workload_effective_chip_hours[w]},
                         {"value_usd", r.workload_value_usd.empty() ? 0.0 : r.workload_value_usd[w]}});
  }
  j["workloads"] = workloads;
  // chips[pool][workload] per period; pairs that never get a chip are left out.
  json chips = json::array();
  for (int p = 0; p < P; ++p)
    for (int w = 0; w < W; ++w) {
      const auto& series = r.chips[p][w];
      if (std::all_of(series.begin(), series.end(), [](int c) { return c == 0; })) continue;
      chips.push_back({{"pool", r.pool_ids[p]}, {"workload", r.workload_ids[w]}, {"chips", series}});
    }
  j["chips"] = chips;
  json serving = json::array();
  for (int m = 0; m < M; ++m)
    serving.push_back({{"model", r.model_ids[m]},
                       {"demand_output_tokens", r.demand_output_tokens[m]},
                       {"served_output_tokens", r.served_output_tokens[m]}});
  j["serving"] = serving;
  json floors = json::array();
  for (const auto& f : r.floors) {
    json fj = {{"workload", f.workload},
               {"from", FormatRfc3339(r.periods[f.first_period].start)},
               {"to", FormatRfc3339(PeriodEndTime(r, f.last_period))},
               {"first_period", f.first_period},
               {"last_period", f.last_period},
               {"required_effective_chip_hours", f.required_effective_chip_hours},
               {"achieved_effective_chip_hours", f.achieved_effective_chip_hours}};
    if (!f.members.empty()) fj["members"] = f.members;  // a floor several classes share (spec floors:)
    floors.push_back(std::move(fj));
  }
  j["floors"] = floors;
  json switches = json::array();
  for (const auto& e : r.switches)
    switches.push_back({{"period", e.period},
                        {"at", FormatRfc3339(r.periods[e.period].start)},
                        {"pool", e.pool},
                        {"from", e.from_workload},
                        {"to", e.to_workload},
                        {"chips", e.chips}});
  j["switches"] = switches;
  json why = json::array();
  for (const auto& x : r.infeasibility) {
    why.push_back({{"kind", x.kind},
                   {"workload", x.workload},
                   {"from", FormatRfc3339(r.periods[x.first_period].start)},
                   {"to", FormatRfc3339(PeriodEndTime(r, x.last_period))},
                   {"first_period", x.first_period},
                   {"last_period", x.last_period},
                   {"required", x.required},
                   {"achievable", x.achievable},
                   {"shortfall", x.shortfall},
                   {"pools_that_could_cover", x.pools_that_could_cover},
                   {"message", x.message}});
    if (!x.members.empty()) why.back()["members"] = x.members;
  }
  j["infeasibility"] = why;
  return j;
}

const std::vector<std::string> kCsvFiles = {"allocation.csv", "prices.csv", "serving.csv"};

Status WriteCsvs(const AllocationResult& r, const AllocationInstance& inst, const std::string& dir) {
  FUNGIBLE_RETURN_IF_ERROR(MakeDirectory(dir));
  const int P = static_cast<int>(r.pool_ids.size()), W = static_cast<int>(r.workload_ids.size()),
            T = static_cast<int>(r.periods.size()), M = static_cast<int>(r.model_ids.size());
  std::string a = CsvRecord({"period_start", "pool", "workload", "chips"});
  for (int t = 0; t < T; ++t)
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w)
        if (r.chips[p][w][t] != 0)
          a += CsvRecord({FormatRfc3339(r.periods[t].start), r.pool_ids[p], r.workload_ids[w],
                          std::to_string(r.chips[p][w][t])});
  FUNGIBLE_RETURN_IF_ERROR(WriteTextFile(dir + "/allocation.csv", a));
  std::string pr =
      CsvRecord({"period_start", "pool", "capacity_chips", "allocated_chips", "usd_per_chip_hour"});
  for (int t = 0; t < T; ++t)
    for (int p = 0; p < P; ++p) {
      long used = 0;
      for (int w = 0; w < W; ++w) used += r.chips[p][w][t];
      pr += CsvRecord({FormatRfc3339(r.periods[t].start), r.pool_ids[p], Fmt("%.10g", r.capacity_chips[p][t]),
                       std::to_string(used), Fmt("%.10g", r.shadow_usd_per_chip_hour[p][t])});
    }
  FUNGIBLE_RETURN_IF_ERROR(WriteTextFile(dir + "/prices.csv", pr));
  std::string s = CsvRecord({"period_start", "model", "demand_output_tokens", "served_output_tokens",
                             "unserved_output_tokens", "revenue_usd"});
  for (int t = 0; t < T; ++t)
    for (int m = 0; m < M; ++m) {
      double d = r.demand_output_tokens[m][t], sv = r.served_output_tokens[m][t];
      s += CsvRecord({FormatRfc3339(r.periods[t].start), r.model_ids[m], Fmt("%.10g", d), Fmt("%.10g", sv),
                      Fmt("%.10g", std::max(0.0, d - sv)),
                      Fmt("%.10g", sv * inst.models[m].usd_per_output_token)});
    }
  return WriteTextFile(dir + "/serving.csv", s);
}

int RunAllocate(const AllocateFlags& f) {
  Progress progress("allocate", f.quiet);
  AllocateOptions opt;
  StatusOr<UtcSeconds> from = ParseUtc(f.from);
  if (!from.ok()) return ReportError(from.status().WithContext("--from"));
  opt.from = *from;
  StatusOr<int> window = DurationHours("--window", f.window);
  if (!window.ok()) return ReportError(window.status());
  opt.hours = *window;
  StatusOr<int> period = DurationHours("--period", f.period);
  if (!period.ok()) return ReportError(period.status());
  opt.period_hours = *period;
  auto outputs = FilesIn("--csv", f.csv_dir, kCsvFiles);
  outputs.emplace_back("--json", f.json_path);
  outputs.emplace_back("--mps", f.mps_path);
  if (Status st = CheckOutputsAreNotInputs({{"the spec", f.spec}}, outputs); !st.ok()) return ReportError(st);
  opt.integer_gangs = !f.lp_only;
  if (!(f.time_limit_s > 0)) return ReportError(Status::Invalid("--time-limit: must be positive"));
  opt.time_limit_s = f.time_limit_s;
  opt.mip_time_limit_s = f.time_limit_s;
  if (!(f.mip_gap >= 0 && f.mip_gap < 1)) return ReportError(Status::Invalid("--mip-gap: must be in [0, 1)"));
  opt.mip_relative_gap = f.mip_gap;
  StatusOr<DemandChoice> choice = DemandChoiceFromFlags(f.quantile, f.scenario);
  if (!choice.ok()) return ReportError(choice.status());

  progress.Show("reading " + f.spec + "...");
  StatusOr<Fleet> fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return ReportError(fleet.status());
  WindowDemand demand;
  StatusOr<AllocationInstance> inst = BuildForecastInstance(*fleet, opt, *choice, &demand);
  if (!inst.ok()) return ReportError(inst.status());
  if (!f.mps_path.empty()) {
    Status st = WriteMps(*inst, opt, f.mps_path);
    if (!st.ok()) return ReportError(st);
  }
  progress.Show(
      "solving " + std::to_string(inst->pools.size()) + " pools x " + std::to_string(inst->workloads.size()) +
      " workloads x " + std::to_string(inst->periods.size()) + " periods" +
      (opt.integer_gangs ? " (whole gangs: up to " + Fmt("%g", opt.mip_time_limit_s) + " s)" : "") + "...");
  StatusOr<AllocationResult> r = Solve(*inst, opt);
  progress.Clear();
  if (!r.ok()) return ReportError(r.status());

  if (f.json_path != "-") {  // JSON on stdout replaces the summary
    std::string summary = Summary(*fleet, opt, *inst, demand, *r);
    std::fwrite(summary.data(), 1, summary.size(), stdout);
  }
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, ToJson(*fleet, opt, demand, *r).dump(1) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (r->status == SolveStatus::kInfeasible) {
    std::fprintf(stderr, "fungible: infeasible: the fleet cannot meet every floor in this window\n");
    if (f.json_path == "-")  // else the summary on stdout names every short window
      for (const auto& why : r->infeasibility) std::fprintf(stderr, "  %s\n", why.message.c_str());
    return kExitInfeasible;
  }
  if (!f.csv_dir.empty()) {
    Status st = WriteCsvs(*r, *inst, f.csv_dir);
    if (!st.ok()) return ReportError(st);
  }
  if (r->status == SolveStatus::kTimeLimit)
    std::fprintf(
        stderr,
        "fungible: warning: stopped at the %g s time limit; the plan is the best found so far: value "
        "%.2f usd, within %.4f%% of the bound %.2f usd\n",
        opt.time_limit_s, r->plan_value_usd, 100 * r->gap_rel, r->bound_usd);
  return kExitOk;
}

}  // namespace

void AddAllocateCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<AllocateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "allocate",
      "Allocate chips of every pool to workloads per period by value (LP), with the price of compute");
  cmd->add_option("spec", flags->spec, "Fleet spec (YAML)")->required();
  cmd->add_option("--from", flags->from, "Window start, UTC, e.g. 2027-01-04T00:00Z")->required();
  cmd->add_option("--window", flags->window, "Window length, whole hours up to 366d (168h, 7d)")
      ->capture_default_str();
  cmd->add_option("--period", flags->period, "Period length, whole hours (1h, 4h, 1d)")
      ->capture_default_str();
  AddJsonOption(cmd, flags->json_path, "the full result");
  AddCsvOption(cmd, flags->csv_dir, "allocation.csv, prices.csv and serving.csv");
  AddQuietFlag(cmd, flags->quiet);
  cmd->add_option("--mps", flags->mps_path, "Write the model (free MPS, minimisation of -objective) to FILE");
  cmd->add_flag("--lp-only", flags->lp_only, "Relax gangs to fractions (no integer placement)");
  cmd->add_option("--time-limit", flags->time_limit_s,
                  "Wall-clock seconds for the whole solve; at the limit the best plan so far is returned")
      ->capture_default_str();
  cmd->add_option("--mip-gap", flags->mip_gap,
                  "Stop Cbc once within this relative gap of its bound (0 = exact)")
      ->capture_default_str();
  AddDemandOptions(cmd, flags->quantile, flags->scenario);
  cmd->callback([flags, &exit_code] { exit_code = RunAllocate(*flags); });
}

}  // namespace fungible::cli

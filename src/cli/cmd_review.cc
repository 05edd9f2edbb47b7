// `fungible review RUN --month YYYY-MM [--policy NAME] [--json FILE|-] [--csv DIR]`: the
// monthly financial review of a simulated run (RUN = the directory
// `fungible simulate --out` wrote, or its run.json): KPIs against the month
// before, the revenue, cost, utilization and useful-work bridges, and the
// drivers in words.
// `fungible review --store PATH|URL --spec SPEC --month YYYY-MM [--json FILE|-]`:
// the month the service really ran, from `fungible serve`'s store: jobs'
// chip-hours by team, workload, pool and chip type, tokens served by team and
// model with their revenue at the spec's prices, utilization by pool
// (ledger/usage.h says how runs and reports are attributed to months).
// Exit codes: 0 done, 2 no such run, a month outside it, or an unknown policy;
// 2 also for a store that cannot be read or a spec with errors.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "ledger/review.h"
#include "ledger/usage.h"
#include "orchestrate/backend.h"
#include "simulate/output.h"
#include "spec/spec.h"
#include "store/store.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct ReviewFlags {
  std::string run;
  std::string month;
  std::string policy;
  std::string json_path;
  std::string csv_dir;
  std::string store;
  std::string spec;
  bool quiet = false;  // accepted everywhere; a review takes well under a second
};

std::string Value(const Kpi& k, double v) {
  if (k.unit == "usd") return "$" + Grouped(v);
  if (k.unit == "share") return Fmt("%.2f%%", 100 * v);
  if (k.unit == "ratio") return Fmt("%.3f", v);
  return Grouped(v);
}

std::string Change(const Kpi& k) {
  const double d = k.change();
  std::string s;
  if (k.unit == "share") return Fmt("%+.2f pts", 100 * d);
  if (k.unit == "ratio") return Fmt("%+.3f", d);
  s = (d >= 0 ? "+" : "-") + std::string(k.unit == "usd" ? "$" : "") + Grouped(std::fabs(d));
  if (k.previous != 0) s += " (" + Fmt("%+.1f%%", k.change_pct()) + ")";
  return s;
}

// +$1,234.50 / -$1,234.50.
std::string SignedMoney(double v) { return (v <= -0.005 ? "-$" : "+$") + Grouped(std::fabs(v), 2); }

std::string BridgeText(const Bridge& b) {
  std::string out;
  const bool money = b.unit == "usd";
  auto amount = [&](double v, bool sign) {
    if (money)
      return std::string(sign ? (v >= 0 ? "+" : "-") : (v < 0 ? "-" : "")) + "$" + Grouped(std::fabs(v), 2);
    if (b.unit == "points") return Fmt(sign ? "%+.2f pts" : "%.2f%%", v);
    return std::string(sign && v >= 0 ? "+" : "") + Grouped(v);
  };
  out += "  " + b.name + ": " + amount(b.from, false) + " -> " + amount(b.to, false) + ", change " +
         amount(b.total_change, true) + "\n";
  for (const auto& p : b.parts)
    out += "    " + p.name + std::string(22 - std::min<size_t>(21, p.name.size()), ' ') +
           amount(p.amount, true) + "\n";
  return out;
}

int RunStoreReview(const ReviewFlags& f) {
  if (f.spec.empty())
    return ReportError(Status::Invalid("--spec: required with --store (its pools and model prices)"));
  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return ReportError(fleet.status());
  auto bounds = MonthBounds(f.month);
  if (!bounds.ok()) return ReportError(bounds.status());
  auto opened = store::OpenStore(f.store);
  if (!opened.ok()) return ReportError(opened.status());
  auto jobs = (*opened)->LoadJobs();
  if (!jobs.ok()) return ReportError(jobs.status());
  auto usage = (*opened)->LoadTokenUsage(bounds->first, bounds->second);
  if (!usage.ok()) return ReportError(usage.status());
  std::vector<JobUse> uses;
  for (const auto& j : *jobs) {
    JobUse u;
    u.id = j.id;
    u.team = j.spec.team;
    u.workload = j.spec.workload;
    if (j.state == orchestrate::JobState::kRunning) {
      u.pool = j.pool;
      u.chip_type = j.chip_type;
      u.chips = j.chips;
      u.started_at = j.started_at;
      u.chip_hours = j.used_chip_hours;  // earlier runs; the current one counts from its times
    } else if (!j.outcome.result.empty()) {
      // The last run's placement is gone from a finished job: its chips from the outcome.
      u.pool = j.pool;
      u.chip_type = j.chip_type;
      u.chips = j.chips > 0 ? j.chips : (j.spec.is_gang() ? j.spec.gang_size_chips : j.spec.min_chips);
      u.started_at = j.outcome.started_at;
      u.ended_at = j.outcome.ended_at;
      u.chip_hours = j.outcome.chip_hours;
    } else {
      continue;
    }
    uses.push_back(u);
  }
  std::vector<TokenReport> reports;
  for (const auto& r : *usage)
    reports.push_back(
        {r.team, r.model, r.pool, r.from, r.to, r.input_tokens, r.output_tokens, r.cached_input_tokens});
  auto m = ReviewUsage(*fleet, uses, reports, f.month, orchestrate::SystemClock().Now());
  if (!m.ok()) return ReportError(m.status());
  std::string out = "fungible review: " + fleet->name + ", " + m->month + " as served (store " +
                    (*opened)->Describe() + ")\n\n";
  out += "  chip-hours used: " + Grouped(m->total_chip_hours, 2) +
         "; output tokens: " + Grouped(static_cast<double>(m->output_tokens)) + "; revenue: $" +
         Grouped(m->revenue_usd, 2) + "\n\n";
  out += "  chip-hours by team, workload, pool, chip type:\n";
  for (const auto& r : m->chip_hours)
    out += "    " + r.team + " / " + (r.workload.empty() ? "-" : r.workload) + " / " + r.pool + " / " +
           r.chip_type + ": " + Grouped(r.chip_hours, 2) + " (" + std::to_string(r.jobs) +
           (r.jobs == 1 ? " job)\n" : " jobs)\n");
  out += "\n  tokens by team and model:\n";
  for (const auto& t : m->tokens)
    out += "    " + t.team + " / " + t.model + ": " + Grouped(static_cast<double>(t.input_tokens)) + " in (" +
           Grouped(static_cast<double>(t.cached_input_tokens)) + " cached), " +
           Grouped(static_cast<double>(t.output_tokens)) + " out, $" + Grouped(t.revenue_usd, 2) + "\n";
  out += "\n  utilization by pool:\n";
  for (const auto& p : m->pools)
    out += "    " + p.pool + " (" + std::to_string(p.chips) + " " + p.chip_type +
           "): " + Grouped(p.used_chip_hours, 2) + " of " + Grouped(p.capacity_chip_hours) + " chip-hours, " +
           Fmt("%.2f%%", 100 * p.utilization()) + "\n";
  if (!f.quiet && f.json_path != "-") std::fputs(out.c_str(), stdout);
  if (!f.json_path.empty()) {
    nlohmann::ordered_json j;
    j["month"] = m->month;
    j["hours"] = m->hours;
    j["source"] = "store";
    j["total_chip_hours"] = m->total_chip_hours;
    j["output_tokens"] = m->output_tokens;
    j["revenue_usd"] = m->revenue_usd;
    j["chip_hours"] = nlohmann::ordered_json::array();
    for (const auto& r : m->chip_hours)
      j["chip_hours"].push_back({{"team", r.team},
                                 {"workload", r.workload},
                                 {"pool", r.pool},
                                 {"chip_type", r.chip_type},
                                 {"jobs", r.jobs},
                                 {"chip_hours", r.chip_hours}});
    j["tokens"] = nlohmann::ordered_json::array();
    for (const auto& t : m->tokens)
      j["tokens"].push_back({{"team", t.team},
                             {"model", t.model},
                             {"input_tokens", t.input_tokens},
                             {"cached_input_tokens", t.cached_input_tokens},
                             {"output_tokens", t.output_tokens},
                             {"revenue_usd", t.revenue_usd}});
    j["pools"] = nlohmann::ordered_json::array();
    for (const auto& p : m->pools)
      j["pools"].push_back({{"pool", p.pool},
                            {"chip_type", p.chip_type},
                            {"chips", p.chips},
                            {"capacity_chip_hours", p.capacity_chip_hours},
                            {"used_chip_hours", p.used_chip_hours},
                            {"utilization", p.utilization()}});
    Status st = WriteTextFile(f.json_path, j.dump(1) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  return kExitOk;
}

int RunReview(const ReviewFlags& f) {
  if (!f.store.empty()) {
    if (!f.run.empty()) return ReportError(Status::Invalid("review: give a RUN or --store, not both"));
    return RunStoreReview(f);
  }
  if (f.run.empty())
    return ReportError(Status::Invalid("review: give a RUN directory (simulated) or --store (served)"));
  std::filesystem::path path = f.run;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) path /= "run.json";
  auto outputs = FilesIn("--csv", f.csv_dir, {"kpis.csv", "bridges.csv", "models.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs({{"the run", path.string()}}, outputs); !st.ok())
    return ReportError(st);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ReportError(Status::NotFound(
        path.string() + ": no run there (give the directory `fungible simulate --out DIR` wrote)"));
  std::ostringstream text;
  text << in.rdbuf();
  auto rec = ParseRunJson(text.str(), path.string());
  if (!rec.ok()) return ReportError(rec.status());
  size_t pi = 0;
  if (!f.policy.empty()) {
    while (pi < rec->policies.size() && rec->policies[pi] != f.policy) ++pi;
    if (pi == rec->policies.size()) {
      std::string have;
      for (const auto& p : rec->policies) have += (have.empty() ? "" : ", ") + p;
      return ReportError(
          Status::Invalid("--policy: the run has no policy \"" + f.policy + "\" (it ran " + have + ")"));
    }
  }
  auto r = ReviewMonth(rec->months[pi], f.month);
  if (!r.ok()) return ReportError(r.status());

  std::string out = "fungible review: " + rec->fleet_name + ", " + r->month + " against " +
                    r->previous_month + " (policy " + rec->policies[pi] + ", scenario " + rec->scenario +
                    ", seed " + std::to_string(rec->seed) + ")\n\nKPIs\n";
  size_t w = 0;
  for (const auto& k : r->kpis) w = std::max(w, k.name.size());
  std::vector<std::string> a, b;
  size_t wa = 0, wb = 0;
  for (const auto& k : r->kpis) {
    a.push_back(Value(k, k.value));
    b.push_back(Value(k, k.previous));
    wa = std::max(wa, a.back().size());
    wb = std::max(wb, b.back().size());
  }
  out += "  " + std::string("") + "KPI" + std::string(w - 3, ' ') + "  " +
         std::string(wa > 5 ? wa - 5 : 0, ' ') + r->month + "  " + std::string(wb > 7 ? wb - 7 : 0, ' ') +
         r->previous_month + "  change\n";
  for (size_t i = 0; i < r->kpis.size(); ++i) {
    const auto& k = r->kpis[i];
    out += "  " + k.name + std::string(w - k.name.size(), ' ') + "  " +
           std::string(std::max(wa, size_t{7}) - a[i].size(), ' ') + a[i] + "  " +
           std::string(std::max(wb, size_t{7}) - b[i].size(), ' ') + b[i] + "  " + Change(k) + "\n";
  }
  out += "\nBridges (the parts add up to the change)\n" + BridgeText(r->revenue) +
         BridgeText(r->compute_cost) + BridgeText(r->utilization) + BridgeText(r->useful_work);
  out += "\nBy model\n";
  for (const auto& m : r->models)
    out += "  " + m.model + ": revenue $" + Grouped(m.revenue_usd) + " (was $" +
           Grouped(m.previous_revenue_usd) + "), " + Grouped(m.served_output_tokens / 1e6) +
           " M tokens at $" + Fmt("%.4f", m.usd_per_million_tokens) + "/M (was $" +
           Fmt("%.4f", m.previous_usd_per_million_tokens) + "/M); price effect $" +
           Grouped(m.price_effect_usd, 2) + ", mix effect $" + Grouped(m.mix_effect_usd, 2) + "\n";
  out += "\nBy contract (compute cost: volume at the old rate, then rate)\n";
  for (const auto& c : r->contracts)
    out += "  " + c.contract + ": $" + Grouped(c.cost_usd) + " (was $" + Grouped(c.previous_cost_usd) +
           "), " + Grouped(c.paid_chip_hours) + " paid chip-hours (was " +
           Grouped(c.previous_paid_chip_hours) + "); volume " + SignedMoney(c.volume_effect_usd) + ", rate " +
           SignedMoney(c.rate_effect_usd) + "\n";
  if (!r->serving.empty()) {
    out += "\nOutput tokens per serving chip-hour (served; what the chips could serve)\n";
    for (const auto& e : r->serving)
      out += "  " + e.model + " on " + e.chip_type + ": " + Grouped(e.output_tokens_per_chip_hour) +
             " (was " + Grouped(e.previous_output_tokens_per_chip_hour) + "); could serve " +
             Grouped(e.capacity_tokens_per_chip_hour) + " (was " +
             Grouped(e.previous_capacity_tokens_per_chip_hour) + "), over " + Grouped(e.chip_hours) +
             " chip-hours\n";
  }
  out += "\nWhat drove it\n";
  for (const auto& p : r->narrative) out += "  " + p + "\n";
  if (f.json_path != "-") std::fwrite(out.data(), 1, out.size(), stdout);

  if (!f.json_path.empty() || !f.csv_dir.empty()) {
    nlohmann::ordered_json j;
    j["month"] = r->month;
    j["previous_month"] = r->previous_month;
    j["policy"] = rec->policies[pi];
    j["kpis"] = nlohmann::ordered_json::array();
    for (const auto& k : r->kpis)
      j["kpis"].push_back({{"name", k.name},
                           {"unit", k.unit},
                           {"value", k.value},
                           {"previous", k.previous},
                           {"change", k.change()},
                           {"change_pct", k.change_pct()}});
    for (const Bridge* b : {&r->revenue, &r->compute_cost, &r->utilization, &r->useful_work}) {
      nlohmann::ordered_json jb = {
          {"unit", b->unit}, {"from", b->from}, {"to", b->to}, {"change", b->total_change}};
      for (const auto& p : b->parts) jb["parts"][p.name] = p.amount;
      j["bridges"][b->name] = jb;
    }
    j["models"] = nlohmann::ordered_json::array();
    for (const auto& m : r->models)
      j["models"].push_back({{"model", m.model},
                             {"revenue_usd", m.revenue_usd},
                             {"previous_revenue_usd", m.previous_revenue_usd},
                             {"served_output_tokens", m.served_output_tokens},
                             {"usd_per_million_tokens", m.usd_per_million_tokens},
                             {"previous_usd_per_million_tokens", m.previous_usd_per_million_tokens},
                             {"demand_output_tokens", m.demand_output_tokens},
                             {"unserved_revenue_usd", m.unserved_revenue_usd},
                             {"price_effect_usd", m.price_effect_usd},
                             {"mix_effect_usd", m.mix_effect_usd},
                             {"efficiency_effect_usd", m.efficiency_effect_usd}});
    j["contracts"] = nlohmann::ordered_json::array();
    for (const auto& c : r->contracts)
      j["contracts"].push_back({{"contract", c.contract},
                                {"cost_usd", c.cost_usd},
                                {"previous_cost_usd", c.previous_cost_usd},
                                {"paid_chip_hours", c.paid_chip_hours},
                                {"previous_paid_chip_hours", c.previous_paid_chip_hours},
                                {"volume_effect_usd", c.volume_effect_usd},
                                {"rate_effect_usd", c.rate_effect_usd}});
    j["serving"] = nlohmann::ordered_json::array();
    for (const auto& e : r->serving)
      j["serving"].push_back(
          {{"model", e.model},
           {"chip_type", e.chip_type},
           {"chip_hours", e.chip_hours},
           {"output_tokens_per_chip_hour", e.output_tokens_per_chip_hour},
           {"previous_output_tokens_per_chip_hour", e.previous_output_tokens_per_chip_hour},
           {"capacity_tokens_per_chip_hour", e.capacity_tokens_per_chip_hour},
           {"previous_capacity_tokens_per_chip_hour", e.previous_capacity_tokens_per_chip_hour}});
    j["narrative"] = r->narrative;
    Status st = f.json_path.empty() ? Status::Ok() : WriteTextFile(f.json_path, j.dump(1) + "\n");
    if (st.ok() && !f.csv_dir.empty()) {
      // bridges.csv: one row per part of each bridge.
      nlohmann::ordered_json parts = nlohmann::ordered_json::array();
      for (const auto& [name, b] : j["bridges"].items())
        for (const auto& [part, amount] : b["parts"].items())
          parts.push_back({{"bridge", name}, {"unit", b["unit"]}, {"part", part}, {"amount", amount}});
      st = MakeDirectory(f.csv_dir);
      if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/kpis.csv", j["kpis"]);
      if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/bridges.csv", parts);
      if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/models.csv", j["models"]);
    }
    if (!st.ok()) return ReportError(st);
  }
  return kExitOk;
}

}  // namespace

void AddReviewCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ReviewFlags>();
  CLI::App* cmd = app.add_subcommand(
      "review",
      "Monthly financial review of a simulated run: KPIs, variance bridges and the drivers in words");
  cmd->add_option("run", f->run, "Run directory written by `fungible simulate --out` (or its run.json)");
  cmd->add_option("--store", f->store,
                  "Review the month `fungible serve` really ran: its SQLite file or postgresql:// URL");
  cmd->add_option("--spec", f->spec, "Fleet spec (pools and model prices; with --store)");
  cmd->add_option("--month", f->month, "Month to review, YYYY-MM (compared with the month before)")
      ->required();
  cmd->add_option("--policy", f->policy, "Policy of the run to review (default: the first it ran)");
  AddJsonOption(cmd, f->json_path, "the review");
  AddCsvOption(cmd, f->csv_dir, "kpis.csv, bridges.csv (one row per part) and models.csv");
  AddQuietFlag(cmd, f->quiet);
  cmd->callback([f, &exit_code] { exit_code = RunReview(*f); });
}

}  // namespace fungible::cli

// `fungible review RUN --month YYYY-MM [--policy NAME] [--json FILE|-] [--csv DIR]`: the
// monthly financial review of a simulated run (RUN = the directory
// `fungible simulate --out` wrote, or its run.json): KPIs against the month
// before, the revenue, cost, utilization and useful-work bridges, and the
// drivers in words.
// Exit codes: 0 done, 2 no such run, a month outside it, or an unknown policy.
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
#include "simulate/output.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct ReviewFlags {
  std::string run;
  std::string month;
  std::string policy;
  std::string json_path;
  std::string csv_dir;
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

int RunReview(const ReviewFlags& f) {
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
  cmd->add_option("run", f->run, "Run directory written by `fungible simulate --out` (or its run.json)")
      ->required();
  cmd->add_option("--month", f->month, "Month to review, YYYY-MM (compared with the month before)")
      ->required();
  cmd->add_option("--policy", f->policy, "Policy of the run to review (default: the first it ran)");
  AddJsonOption(cmd, f->json_path, "the review");
  AddCsvOption(cmd, f->csv_dir, "kpis.csv, bridges.csv (one row per part) and models.csv");
  AddQuietFlag(cmd, f->quiet);
  cmd->callback([f, &exit_code] { exit_code = RunReview(*f); });
}

}  // namespace fungible::cli

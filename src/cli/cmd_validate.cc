// `fungible validate spec.yaml [--json FILE|-] [--csv DIR]`: reads a fleet spec and reports every
// problem as `file:line:column: field.path: expected ..., got ...` (exit 2), or
// a one-screen summary of what the spec holds (exit 0).
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "economics/unit_economics.h"
#include "economics/unit_economics_json.h"
#include "spec/spec.h"
#include "util/text.h"

namespace fungible::cli {
namespace {

struct ValidateOptions {
  std::string spec;
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;  // accepted everywhere; validate shows no progress
};

// "a, b, c, ... (12)" for long lists.
std::string IdList(const std::vector<std::string>& ids) {
  constexpr size_t kShown = 6;
  std::string out;
  for (size_t i = 0; i < ids.size() && i < kShown; ++i) out += (i > 0 ? ", " : "") + ids[i];
  if (ids.size() > kShown) out += ", ... (" + std::to_string(ids.size() - kShown) + " more)";
  return out;
}

template <typename Map>
std::string Counts(const Map& counts) {
  std::string out;
  for (const auto& [name, n] : counts) out += (out.empty() ? "" : ", ") + name + " " + std::to_string(n);
  return out;
}

std::string Row(const std::string& label, const std::string& value, size_t width = 15) {
  std::string out = label;
  out.resize(width, ' ');
  return out + value + "\n";
}

std::string Counted(size_t n, const std::string& detail) {
  return std::to_string(n) + (detail.empty() ? "" : ": " + detail);
}

std::string FormatSummary(const std::string& path, const Fleet& fleet) {
  const FleetSummary s = SummarizeFleet(fleet);
  std::string out = "fleet spec \"" + s.name + "\" is valid (" + path + ")\n";
  out += Row("chip types", Counted(s.chip_type_ids.size(), IdList(s.chip_type_ids)));
  out += Row("pools", std::to_string(s.pools) + ", " + std::to_string(s.chips) + " chips" +
                          (s.chips_per_platform.empty() ? "" : ": " + Counts(s.chips_per_platform)));
  out += Row("contracts", Counted(static_cast<size_t>(s.contracts), Counts(s.contracts_per_kind)));
  out += Row("models", Counted(s.model_ids.size(), IdList(s.model_ids)));
  out += Row("workloads", Counted(static_cast<size_t>(s.workloads), Counts(s.workloads_per_kind)));
  out += Row("demand series", Counted(s.demand_models.size(), IdList(s.demand_models)));
  out += Row("class growth", std::to_string(s.class_growth));
  const ForecastSettings& f = fleet.forecast;
  out += Row("forecast", std::to_string(f.scenarios) + " scenarios, " + std::to_string(f.horizon_months) +
                             " months" + (f.start != 0 ? " from " + FormatMonth(f.start) : std::string()) +
                             ", seed " + std::to_string(f.seed));
  return out;
}

// Per model x chip type, then the fleet at its start month (docs/economics.md).
std::string FormatEconomics(const economics::UnitEconomics& ue) {
  const economics::FleetEconomics& f = ue.fleet;
  std::string out = "\nunit economics at " + FormatMonth(f.at) + " (list prices; docs/economics.md)\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& u : ue.units)
    rows.push_back({u.model, u.chip_type, Grouped(u.output_tokens_per_s_per_chip),
                    u.measured ? "spec" : "estimate",
                    u.measured && u.estimated_output_tokens_per_s_per_chip
                        ? Grouped(*u.estimated_output_tokens_per_s_per_chip)
                        : "-",
                    "$" + Fixed(u.usd_revenue_per_chip_hour, 2), "$" + Fixed(u.usd_cost_per_chip_hour, 2),
                    Percent(u.gross_margin, 0)});
  out += Table(
      {"model", "chip type", "out tok/s/chip", "from", "estimate", "revenue/chip-h", "cost/chip-h", "margin"},
      rows);
  out += "fleet at " + FormatMonth(f.at) + " (mean demand)\n";
  std::vector<std::vector<std::string>> fleet_rows = {
      {"chips landed", Grouped(f.chips_landed) + " (" +
                           (f.facility_megawatts >= 1000 ? Fixed(f.facility_megawatts / 1000, 2) + " GW"
                                                         : Fixed(f.facility_megawatts, 1) + " MW") +
                           " of facility power: all-in power per chip x PUE)"},
      {"token revenue / year", Money(f.usd_token_revenue_per_year) + " (mean demand at list prices)"},
      {"compute cost / year", Money(f.usd_compute_cost_per_year) + " (landed chips x contract rates)"},
      {"revenue / compute cost", Fixed(f.revenue_to_compute_cost, 2) + "x"},
      {"revenue per chip-year", Money(f.usd_revenue_per_chip_year)},
      {"serving chips", Grouped(f.serving_chips_at_mean_demand) + " at mean demand (" +
                            Percent(f.serving_share_of_chips, 0) + " of landed), " +
                            Grouped(f.serving_chips_at_peak_hour) + " at the peak hour"},
      {"inference gross margin",
       Percent(f.inference_gross_margin, 0) + " with serving chips sized for the peak hour; " +
           Percent(f.inference_gross_margin_fungible, 0) + " when the trough goes to training"},
      {"model-dev floor", Percent(f.model_development_floor_share, 0) + " of the fleet's H100-equivalents"},
  };
  for (const auto& row : fleet_rows) out += Row("  " + row[0], row[1], 26);
  return out;
}

nlohmann::ordered_json SummaryJson(const Fleet& fleet) {
  const FleetSummary s = SummarizeFleet(fleet);
  return {{"name", s.name},
          {"chip_types", s.chip_type_ids},
          {"pools", s.pools},
          {"chips", s.chips},
          {"chips_per_platform", s.chips_per_platform},
          {"contracts", s.contracts},
          {"contracts_per_kind", s.contracts_per_kind},
          {"models", s.model_ids},
          {"workloads", s.workloads},
          {"workloads_per_kind", s.workloads_per_kind},
          {"demand_series", s.demand_models},
          {"class_growth", s.class_growth},
          {"forecast",
           {{"scenarios", fleet.forecast.scenarios},
            {"horizon_months", fleet.forecast.horizon_months},
            {"seed", fleet.forecast.seed},
            {"start", fleet.forecast.start != 0 ? FormatDate(fleet.forecast.start) : ""}}}};
}

nlohmann::ordered_json ErrorsJson(const std::string& path, const Status& st) {
  nlohmann::ordered_json errors = nlohmann::ordered_json::array();
  for (const Diagnostic& d : st.diagnostics())
    errors.push_back({{"file", d.file},
                      {"line", d.line},
                      {"column", d.column},
                      {"field", d.field},
                      {"message", d.message}});
  if (st.diagnostics().empty())  // e.g. a missing file: no location in it
    errors.push_back({{"file", path}, {"line", 0}, {"column", 0}, {"field", ""}, {"message", st.message()}});
  return errors;
}

int RunValidate(const ValidateOptions& opts) {
  auto outs = FilesIn("--csv", opts.csv_dir, {"economics.csv"});
  outs.emplace_back("--json", opts.json_path);
  Status outputs = CheckOutputsAreNotInputs({{"the spec", opts.spec}}, outs);
  if (!outputs.ok()) return ReportError(outputs);
  StatusOr<Fleet> fleet = LoadFleetSpec(opts.spec);
  std::optional<economics::UnitEconomics> ue;
  if (fleet.ok()) ue = economics::ComputeUnitEconomics(*fleet);
  if (!opts.json_path.empty()) {
    nlohmann::ordered_json doc = {
        {"ok", fleet.ok()},
        {"file", opts.spec},
        {"errors", fleet.ok() ? nlohmann::ordered_json::array() : ErrorsJson(opts.spec, fleet.status())},
        {"summary", fleet.ok() ? SummaryJson(*fleet) : nlohmann::ordered_json(nullptr)},
        {"economics", ue ? economics::UnitEconomicsJson(*ue) : nlohmann::ordered_json(nullptr)}};
    Status st = WriteTextFile(opts.json_path, doc.dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (!fleet.ok()) return ReportError(fleet.status());
  if (!opts.csv_dir.empty()) {
    Status st = MakeDirectory(opts.csv_dir);
    if (st.ok())
      st = WriteJsonRowsCsv(opts.csv_dir + "/economics.csv", economics::UnitEconomicsJson(*ue)["units"]);
    if (!st.ok()) return ReportError(st);
  }
  if (opts.json_path != "-") {
    Status st = WriteTextFile("-", FormatSummary(opts.spec, *fleet) + FormatEconomics(*ue));
    if (!st.ok()) return ReportError(st);
  }
  for (const auto& w : ue->warnings)
    std::fprintf(stderr, "fungible validate: warning: %s: %s\n", w.field.c_str(), w.message.c_str());
  return kExitOk;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd = app.add_subcommand("validate",
                                     "Check a fleet spec: every error as file:line:column: field: expected "
                                     "..., got ...; a summary when valid");
  auto opts = std::make_shared<ValidateOptions>();
  cmd->add_option("spec", opts->spec, "Fleet spec (YAML), see docs/fleet-spec.md")->required();
  AddJsonOption(cmd, opts->json_path,
                "{\"ok\", \"file\", \"errors\": [{file, line, column, field, message}], \"summary\", "
                "\"economics\" (docs/economics.md)}");
  AddCsvOption(cmd, opts->csv_dir, "economics.csv (the unit economics per model x chip type)");
  AddQuietFlag(cmd, opts->quiet);
  cmd->callback([opts, &exit_code] { exit_code = RunValidate(*opts); });
}

}  // namespace fungible::cli

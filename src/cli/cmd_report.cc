// `fungible report [SPEC] [--actuals CSV] [--run DIR] [--plan F] [--evaluate F]
//                  [--allocate F] [--review F] -o report.html [--json F|-] [--quiet]`:
// one self-contained HTML file (Apache ECharts and the page inlined, the
// figures as one JSON object) with a view for each input given: from the spec
// the cone, the layer cake and the unit economics; from the other commands'
// JSON the plan, one offer, a window of allocation, a simulate run and a
// monthly review (docs/report.md).
// Exit codes: 0 written, 2 bad flag or input (a spec error located
// file:line:column; a JSON input that does not parse or lacks a field the
// view needs, named with the file; an output that is one of the inputs).
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "economics/unit_economics.h"
#include "economics/unit_economics_json.h"
#include "forecast/forecast.h"
#include "forecast/report.h"
#include "report/figures.h"
#include "report/page.h"
#include "spec/spec.h"

namespace fungible::cli {
namespace {

using report::Json;

struct ReportFlags {
  std::string spec;
  std::string actuals;
  std::string run;
  std::string plan;
  std::string evaluate;
  std::string allocate;
  std::string review;
  std::string out;
  std::string figures_path;
  bool quiet = false;
  std::string title;
};

StatusOr<Json> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot read the file");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return Json::parse(ss.str());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::Invalid(path + ": not JSON: " + e.what());
  }
}

bool SameFile(const std::string& a, const std::string& b) {
  std::error_code ec;
  return std::filesystem::exists(b, ec) && std::filesystem::equivalent(a, b, ec);
}

StatusOr<Json> BuildFigures(const ReportFlags& f) {
  Json fig;
  fig["fungible_report"] = report::kFiguresFormat;
  Json inputs = Json::object();
  std::optional<Fleet> fleet;
  if (!f.spec.empty()) {
    auto loaded = LoadFleetSpec(f.spec);
    if (!loaded.ok()) return loaded.status();
    fleet = std::move(*loaded);
    inputs["spec"] = f.spec;
    fig["fleet"] = fleet->name;
    RunForecastOptions o;
    o.forecast = ForecastOptionsFromSpec(*fleet);
    o.actuals_path = f.actuals;
    auto run = RunForecast(*fleet, o);
    if (!run.ok()) return run.status();
    auto cone = report::ConeFigures(Json::parse(ForecastJson(*run)));
    if (!cone.ok()) return cone.status();
    fig["cone"] = *cone;
    if (!f.actuals.empty()) inputs["actuals"] = f.actuals;
    fig["economics"] = economics::UnitEconomicsJson(economics::ComputeUnitEconomics(*fleet));
  } else if (!f.actuals.empty()) {
    return Status::Invalid("--actuals: needs the spec (the cone is drawn from it)");
  }
  std::optional<Json> plan;
  if (!f.plan.empty()) {
    auto j = ReadJson(f.plan);
    if (!j.ok()) return j.status();
    auto p = report::PlanFigures(*j);
    if (!p.ok()) return p.status().WithContext(f.plan);
    fig["plan"] = *p;
    plan = std::move(*j);
    inputs["plan"] = f.plan;
  }
  if (fleet) {
    auto cake = report::LayerCakeFigures(*fleet, fig["cone"], plan ? &*plan : nullptr);
    if (!cake.ok()) return cake.status().WithContext(f.plan.empty() ? f.spec : f.plan);
    fig["layer_cake"] = *cake;
  }
  struct JsonInput {
    const std::string& path;
    const char* key;
    StatusOr<Json> (*build)(const Json&);
  };
  const std::string run_json = f.run.empty() || !std::filesystem::is_directory(f.run)
                                   ? f.run
                                   : (std::filesystem::path(f.run) / "run.json").string();
  for (const JsonInput& in : {JsonInput{f.evaluate, "evaluate", report::EvaluateFigures},
                              JsonInput{run_json, "run", report::RunFigures},
                              JsonInput{f.review, "review", report::ReviewFigures}}) {
    if (in.path.empty()) continue;
    auto j = ReadJson(in.path);
    if (!j.ok()) return j.status();
    auto s = in.build(*j);
    if (!s.ok()) return s.status().WithContext(in.path);
    fig[in.key] = *s;
    inputs[in.key] = in.path;
  }
  if (!f.allocate.empty()) {
    auto j = ReadJson(f.allocate);
    if (!j.ok()) return j.status();
    auto s = report::AllocationFigures(*j, fleet ? &*fleet : nullptr);
    if (!s.ok()) return s.status().WithContext(f.allocate);
    fig["allocation"] = *s;
    inputs["allocate"] = f.allocate;
  }
  if (inputs.empty())
    return Status::Invalid(
        "nothing to report: give a spec and/or --run, --plan, --evaluate, --allocate, --review");
  fig["inputs"] = inputs;
  return fig;
}

int RunReport(const ReportFlags& f) {
  for (const std::string* in : {&f.spec, &f.actuals, &f.run, &f.plan, &f.evaluate, &f.allocate, &f.review})
    for (const std::string* out : {&f.out, &f.figures_path})
      if (!in->empty() && !out->empty() && *out != "-" && SameFile(*in, *out))
        return ReportError(Status::Invalid(*out + ": is an input of this report; refusing to write over it"));
  auto fig = BuildFigures(f);
  if (!fig.ok()) return ReportError(fig.status());
  std::string title = f.title;
  if (title.empty())
    title = "fungible report" + (fig->contains("fleet") ? ": " + (*fig)["fleet"].get<std::string>() : "");
  if (!f.figures_path.empty())
    if (Status st = WriteTextFile(f.figures_path, fig->dump(1) + "\n"); !st.ok()) return ReportError(st);
  if (Status st = WriteTextFile(f.out, report::RenderReportHtml(*fig, title)); !st.ok())
    return ReportError(st);
  if (!f.quiet && f.out != "-" && f.figures_path != "-") {
    std::string views;
    for (const char* k :
         {"cone", "layer_cake", "plan", "evaluate", "allocation", "run", "review", "economics"})
      if (fig->contains(k)) views += std::string(views.empty() ? "" : ", ") + k;
    std::fprintf(stdout, "fungible report: wrote %s (%s)\n", f.out.c_str(), views.c_str());
  }
  return kExitOk;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  auto f = std::make_shared<ReportFlags>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "One self-contained HTML report (charts and tables) of a spec and the other commands' outputs");
  cmd->add_option("spec", f->spec, "Fleet spec: the cone, the layer cake and the unit economics");
  cmd->add_option("--actuals", f->actuals, "Observed months (as for `forecast --actuals`): the updated cone");
  cmd->add_option("--run", f->run, "Run directory of `simulate --out` (or its run.json)");
  cmd->add_option("--plan", f->plan, "JSON of `plan --json`");
  cmd->add_option("--evaluate", f->evaluate, "JSON of `evaluate --json`");
  cmd->add_option("--allocate", f->allocate, "JSON of `allocate --json`");
  cmd->add_option("--review", f->review, "JSON of `review --json`");
  cmd->add_option("-o,--out", f->out, "HTML file to write ('-' = stdout)")->required();
  AddJsonOption(cmd, f->figures_path, "the figures document (what the page draws)");
  AddQuietFlag(cmd, f->quiet);
  cmd->add_option("--title", f->title, "Page title (default: fungible report: FLEET)");
  cmd->callback([f, &exit_code] { exit_code = RunReport(*f); });
}

}  // namespace fungible::cli

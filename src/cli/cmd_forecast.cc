// The cone of uncertainty on the command line:
//   fungible forecast SPEC [--actuals CSV] [--reduce K] [--hourly [--no-recalibration]] [--json F] [--csv F]
//   fungible fit-profile TRACE.csv... [--model M] [--utc-offset-hours H] [--first-weekday D] [--json F]
//   fungible backtest [SPEC] [--trace CSV] [--truths R] [--json F]
// Every output names its seed; the same seed gives the same bytes whatever
// --threads says.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "forecast/backtest.h"
#include "forecast/forecast.h"
#include "forecast/profile.h"
#include "forecast/report.h"
#include "spec/spec.h"

namespace fungible::cli {
namespace {

struct ForecastFlags {
  std::string spec;
  std::optional<int> scenarios;
  std::optional<int> horizon_months;
  std::optional<std::uint64_t> seed;
  int threads = 0;
  std::string actuals;
  int reduce = 0;
  int max_candidates = 1000;
  bool hourly = false;
  bool no_recalibration = false;
  std::string json_path;
  std::string csv_path;
  int rows = 12;
};

// Writes `text` to `path` when one is given; true when it went to stdout.
Status MaybeWrite(const std::string& path, const std::string& text, bool& to_stdout) {
  if (path.empty()) return Status::Ok();
  if (path == "-") to_stdout = true;
  return WriteTextFile(path, text);
}

int RunForecastCommand(const ForecastFlags& f) {
  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return ReportError(fleet.status());
  RunForecastOptions o;
  o.forecast = ForecastOptionsFromSpec(*fleet);
  if (f.scenarios) o.forecast.scenarios = *f.scenarios;
  if (f.horizon_months) o.forecast.horizon_months = *f.horizon_months;
  if (f.seed) o.forecast.seed = *f.seed;
  o.forecast.threads = f.threads;
  o.actuals_path = f.actuals;
  o.reduce_k = f.reduce;
  o.reduce.max_candidates = f.max_candidates;
  o.hourly_peaks = f.hourly;
  o.recalibrate_hourly = !f.no_recalibration;
  auto run = RunForecast(*fleet, o);
  if (!run.ok()) return ReportError(run.status());
  bool to_stdout = false;
  if (Status st = MaybeWrite(f.json_path, ForecastJson(*run), to_stdout); !st.ok()) return ReportError(st);
  if (Status st = MaybeWrite(f.csv_path, ForecastCsv(*run), to_stdout); !st.ok()) return ReportError(st);
  if (!to_stdout) std::fputs(ForecastText(*run, f.rows).c_str(), stdout);
  return kExitOk;
}

struct ProfileFlags {
  std::vector<std::string> traces;
  std::vector<std::string> models;
  int utc_offset_hours = 0;
  std::string first_weekday;
  std::string json_path;
};

// "mon", "Monday", "0" -> 0 .. 6.
std::optional<int> ParseWeekday(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  static const char* kDays[] = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"};
  for (int d = 0; d < 7; ++d) {
    const std::string full = kDays[d];
    if (s == full || (s.size() >= 3 && full.rfind(s, 0) == 0) || s == std::to_string(d)) return d;
  }
  return std::nullopt;
}

int RunFitProfile(const ProfileFlags& f) {
  ProfileFitOptions o;
  o.utc_offset_hours = f.utc_offset_hours;
  if (!f.first_weekday.empty()) {
    o.first_weekday = ParseWeekday(f.first_weekday);
    if (!o.first_weekday)
      return ReportError(
          Status::Invalid("--first-weekday: expected a weekday such as mon or Monday (or 0..6 from "
                          "Monday), got \"" +
                          f.first_weekday + "\""));
  }
  if (f.utc_offset_hours < -12 || f.utc_offset_hours > 14)
    return ReportError(
        Status::Invalid("--utc-offset-hours: expected -12..14, got " + std::to_string(f.utc_offset_hours)));
  ProfileReport report;
  std::vector<std::string> models_seen;
  for (const std::string& path : f.traces) {
    auto is_requests = IsRequestTrace(path);
    if (!is_requests.ok()) return ReportError(is_requests.status());
    if (*is_requests) {
      auto mix = ReadTokenMix(path);
      if (!mix.ok()) return ReportError(mix.status());
      report.mixes.push_back(std::move(mix).value());
      continue;
    }
    auto traces = ReadRateTraces(path);
    if (!traces.ok()) return ReportError(traces.status());
    for (const RateTrace& t : *traces) {
      models_seen.push_back(t.name);
      if (!f.models.empty() && std::find(f.models.begin(), f.models.end(), t.name) == f.models.end())
        continue;
      auto fit = FitProfile(t, o);
      if (!fit.ok()) {
        // With no --model, a trace too short to fit is noted, not fatal.
        if (!f.models.empty()) return ReportError(fit.status());
        report.skipped.push_back(t.name + ": " + fit.status().message());
        continue;
      }
      report.fits.push_back(std::move(fit).value());
      // The noise's recalibration, from a rolling backtest (traces over a week).
      std::optional<NoiseCalibration> calibration;
      TraceBacktestOptions to;
      to.fit = o;
      if (auto c = CalibrateHourlyNoise(t, to); c.ok()) calibration = std::move(c).value();
      report.noise_calibration.push_back(std::move(calibration));
    }
  }
  for (const std::string& m : f.models)
    if (std::find(models_seen.begin(), models_seen.end(), m) == models_seen.end()) {
      std::string known;
      for (const auto& s : models_seen) known += (known.empty() ? "" : ", ") + s;
      return ReportError(Status::Invalid("--model: no trace named \"" + m +
                                         "\" (traces: " + (known.empty() ? "none" : known) + ")"));
    }
  if (report.fits.empty() && report.mixes.empty())
    return ReportError(Status::Invalid("fit-profile: nothing could be fitted"));
  bool to_stdout = false;
  if (Status st = MaybeWrite(f.json_path, ProfileJson(report), to_stdout); !st.ok()) return ReportError(st);
  if (!to_stdout) std::fputs(ProfileYaml(report).c_str(), stdout);
  return kExitOk;
}

struct BacktestFlags {
  std::string spec;
  std::string trace;
  std::vector<std::string> models;
  std::optional<int> scenarios;
  std::optional<std::uint64_t> seed;
  int truths = 200;
  int threads = 0;
  int utc_offset_hours = 0;
  std::vector<std::string> horizons = {"1", "7", "max"};
  std::string noise = "day-t";
  double adaptive_step = TraceBacktestOptions{}.adaptive_step;
  std::string json_path;
};

int RunBacktest(const BacktestFlags& f) {
  if (f.spec.empty() && f.trace.empty())
    return ReportError(
        Status::Invalid("backtest: give a spec (synthetic truth) and/or --trace (real traffic)"));
  BacktestReport report;
  report.truths = f.truths;
  report.seed = f.seed.value_or(1);
  if (!f.spec.empty()) {
    auto fleet = LoadFleetSpec(f.spec);
    if (!fleet.ok()) return ReportError(fleet.status());
    ForecastOptions o = ForecastOptionsFromSpec(*fleet);
    if (f.scenarios) o.scenarios = *f.scenarios;
    if (f.seed) o.seed = *f.seed;
    o.threads = f.threads;
    auto model = BuildDemandModel(*fleet, o);
    if (!model.ok()) return ReportError(model.status());
    const ScenarioSet set = GenerateScenarios(*model, o);
    SyntheticBacktestOptions so;
    so.truths = f.truths;
    so.threads = f.threads;
    report.synthetic = BacktestSynthetic(*model, set, so);
    report.seed = o.seed;
    report.scenarios = o.scenarios;
    report.spec_file = f.spec;
  }
  if (!f.trace.empty()) {
    auto traces = ReadRateTraces(f.trace);
    if (!traces.ok()) return ReportError(traces.status());
    report.trace_file = f.trace;
    TraceBacktestOptions to;
    to.seed = report.seed;
    if (f.scenarios) to.samples = *f.scenarios;
    to.fit.utc_offset_hours = f.utc_offset_hours;
    if (!(f.adaptive_step >= 0 && f.adaptive_step <= 10))
      return ReportError(
          Status::Invalid("--adaptive-step: expected 0..10, got " + std::to_string(f.adaptive_step)));
    to.adaptive_step = f.adaptive_step;
    if (f.noise == "ar1") {
      to.noise = TraceNoiseModel::kHourlyAr1;
    } else if (f.noise != "day-t") {
      return ReportError(Status::Invalid("--noise: expected day-t or ar1, got \"" + f.noise + "\""));
    }
    to.horizons_days.clear();
    for (const std::string& h : f.horizons) {
      if (h == "max") {
        to.horizons_days.push_back(0);
        continue;
      }
      int v = 0;
      try {
        size_t used = 0;
        v = std::stoi(h, &used);
        if (used != h.size()) v = 0;
      } catch (const std::exception&) {
        v = 0;
      }
      if (v < 1)
        return ReportError(
            Status::Invalid("--horizon-days: expected whole days >= 1 or max, got \"" + h + "\""));
      to.horizons_days.push_back(v);
    }
    for (const RateTrace& t : *traces) {
      if (!f.models.empty() && std::find(f.models.begin(), f.models.end(), t.name) == f.models.end())
        continue;
      auto bt = BacktestTraceHorizons(t, to);
      if (!bt.ok()) {
        if (!f.models.empty()) return ReportError(bt.status());
        continue;  // too short for a one-day-ahead backtest
      }
      report.traces.push_back(std::move(bt).value());
    }
    if (report.traces.empty())
      return ReportError(Status::Invalid(f.trace + ": no trace long enough to backtest"));
  }
  bool to_stdout = false;
  if (Status st = MaybeWrite(f.json_path, BacktestJson(report), to_stdout); !st.ok()) return ReportError(st);
  if (!to_stdout) std::fputs(BacktestText(report).c_str(), stdout);
  return kExitOk;
}

}  // namespace

void AddForecastCommands(CLI::App& app, int& exit_code) {
  {
    auto f = std::make_shared<ForecastFlags>();
    CLI::App* cmd = app.add_subcommand(
        "forecast",
        "The cone of demand and revenue per tier: Monte Carlo scenarios, quantiles, compounding, "
        "update from actuals, scenario reduction");
    cmd->add_option("spec", f->spec, "Fleet spec (YAML) with demand[].growth")->required();
    cmd->add_option("--scenarios", f->scenarios,
                    "Scenarios to draw (default: the spec's forecast.scenarios)");
    cmd->add_option("--horizon-months", f->horizon_months,
                    "Months after the start month (default: the spec's)");
    cmd->add_option("--seed", f->seed, "Random seed (default: the spec's forecast.seed)");
    cmd->add_option("--threads", f->threads, "Threads (0 = all); never changes the output")
        ->capture_default_str();
    cmd->add_option("--actuals", f->actuals,
                    "CSV month,model,output_tokens: update the cone from observed months");
    cmd->add_option("--reduce", f->reduce, "Reduce to K weighted representative scenarios");
    cmd->add_option("--candidates", f->max_candidates, "Scenarios considered as representatives")
        ->capture_default_str();
    cmd->add_flag("--hourly", f->hourly, "Expand every scenario to hours and report peak-hour demand");
    cmd->add_flag("--no-recalibration", f->no_recalibration,
                  "With --hourly: draw the fitted hourly noise without the spec's hourly_band_factors "
                  "(for comparison)");
    cmd->add_option("--json", f->json_path, "Write the cone as JSON to FILE ('-' = stdout)");
    cmd->add_option("--csv", f->csv_path, "Write the quantiles as CSV to FILE ('-' = stdout)");
    cmd->add_option("--rows", f->rows, "Months shown per table")->capture_default_str();
    cmd->callback([f, &exit_code] { exit_code = RunForecastCommand(*f); });
  }
  {
    auto f = std::make_shared<ProfileFlags>();
    CLI::App* cmd = app.add_subcommand(
        "fit-profile",
        "Fit diurnal and weekly shapes and hourly noise from request-rate traces, and the token mix "
        "from request traces, as spec YAML");
    cmd->add_option("traces", f->traces,
                    "Rate traces (ServeGen rate_10min_by_model.csv or time_s,rate) and/or "
                    "request traces (Azure: ContextTokens,GeneratedTokens)")
        ->required();
    cmd->add_option("--model", f->models, "Fit only these traces of a multi-model file");
    cmd->add_option("--utc-offset-hours", f->utc_offset_hours,
                    "The trace's clock is UTC plus this many hours")
        ->capture_default_str();
    cmd->add_option("--first-weekday", f->first_weekday, "Weekday of the trace's day 0 (default: inferred)");
    cmd->add_option("--json", f->json_path, "Write the fits as JSON to FILE ('-' = stdout)");
    cmd->callback([f, &exit_code] { exit_code = RunFitProfile(*f); });
  }
  {
    auto f = std::make_shared<BacktestFlags>();
    CLI::App* cmd = app.add_subcommand(
        "backtest",
        "Calibration of the cone: P10-P90 coverage, pinball loss and CRPS on synthetic truth and on a "
        "real trace");
    cmd->add_option("spec", f->spec, "Fleet spec (YAML): synthetic truth from its demand model");
    cmd->add_option("--trace", f->trace, "Rate trace for a one-day-ahead hourly backtest");
    cmd->add_option("--model", f->models, "Backtest only these traces of a multi-model file");
    cmd->add_option("--truths", f->truths, "Synthetic truths to score")->capture_default_str();
    cmd->add_option("--scenarios", f->scenarios,
                    "Scenarios of the cone (default: the spec's) and Monte Carlo paths per trace origin "
                    "(default 2000)");
    cmd->add_option("--seed", f->seed, "Random seed (default: the spec's, else 1)");
    cmd->add_option("--threads", f->threads, "Threads (0 = all); never changes the output")
        ->capture_default_str();
    cmd->add_option("--utc-offset-hours", f->utc_offset_hours,
                    "The trace's clock is UTC plus this many hours")
        ->capture_default_str();
    cmd->add_option("--horizon-days", f->horizons,
                    "Trace horizons in days ahead (max = the longest the trace allows)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--noise", f->noise,
                    "Trace noise model: day-t (day level + Student-t hours) or ar1 (hourly AR(1), "
                    "as before issue 16)")
        ->capture_default_str();
    cmd->add_option("--adaptive-step", f->adaptive_step,
                    "Step of the adaptive conformal level after each day (0 = plain split-conformal)")
        ->capture_default_str();
    cmd->add_option("--json", f->json_path, "Write the scores as JSON to FILE ('-' = stdout)");
    cmd->callback([f, &exit_code] { exit_code = RunBacktest(*f); });
  }
}

}  // namespace fungible::cli

// The cone of uncertainty on the command line:
//   fungible forecast SPEC [--actuals CSV] [--reduce K] [--hourly [--no-recalibration]] [--json F|-] [--csv
//   DIR] fungible fit-profile TRACE.csv... [--model M] [--utc-offset-hours H] [--first-weekday D] [--json
//   F|-]
//   [--csv DIR] fungible backtest [SPEC] [--trace CSV] [--monthly CSV [--series S]] [--truths R]
//   [--horizons 1d,7d,max] [--json F|-]
//   [--csv DIR]
// Every output names its seed; the same seed gives the same bytes whatever
// --threads says.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "forecast/backtest.h"
#include "forecast/forecast.h"
#include "forecast/monthly_backtest.h"
#include "forecast/profile.h"
#include "forecast/report.h"
#include "spec/fields.h"
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
  std::string csv_dir;
  bool quiet = false;
  int rows = 12;
};

// A flag that overrides a spec key (--scenarios for forecast.scenarios,
// --horizon-months for forecast.horizon_months) takes the key's bounds from
// the key table that drives `validate`, the JSON Schema and the docs: one
// validator, the same words.
Status CheckFlagAsKey(const std::string& flag, std::string_view key, const std::optional<int>& value) {
  if (!value) return Status::Ok();
  using namespace spec_internal;
  const FieldDef* forecast = RootDef().Find("forecast");
  const FieldDef* f = forecast && forecast->object ? forecast->object->Find(key) : nullptr;
  if (f == nullptr || InBounds(*f, *value)) return Status::Ok();
  return Status::Invalid(flag + ": expected " + CappedText(*f) + " (as forecast." + std::string(key) +
                         " in a spec), got " + std::to_string(*value));
}

// Writes `text` to `path` when one is given.
Status MaybeWrite(const std::string& path, const std::string& text) {
  if (path.empty()) return Status::Ok();
  return WriteTextFile(path, text);
}

// Writes the arrays `tables` of the JSON report `json` as DIR/<name>.csv.
Status WriteCsvTables(const std::string& dir, const std::string& json,
                      const std::vector<std::pair<std::string, std::string>>& tables) {
  if (dir.empty()) return Status::Ok();
  FUNGIBLE_RETURN_IF_ERROR(MakeDirectory(dir));
  const auto doc = nlohmann::ordered_json::parse(json);
  for (const auto& [key, file] : tables)
    FUNGIBLE_RETURN_IF_ERROR(WriteJsonRowsCsv(dir + "/" + file, doc[key]));
  return Status::Ok();
}

int RunForecastCommand(const ForecastFlags& f) {
  auto outputs = FilesIn("--csv", f.csv_dir, {"cone.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs({{"the spec", f.spec}, {"--actuals", f.actuals}}, outputs);
      !st.ok())
    return ReportError(st);
  for (const Status& st : {CheckFlagAsKey("--scenarios", "scenarios", f.scenarios),
                           CheckFlagAsKey("--horizon-months", "horizon_months", f.horizon_months)})
    if (!st.ok()) return ReportError(st);
  Progress progress("forecast", f.quiet);
  progress.Show("reading " + f.spec + "...");
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
  progress.Show("drawing " + std::to_string(o.forecast.scenarios) + " scenarios over " +
                std::to_string(o.forecast.horizon_months) + " months" + (f.reduce > 0 ? ", reducing" : "") +
                (f.hourly ? ", hourly peaks" : "") + "...");
  auto run = RunForecast(*fleet, o);
  progress.Clear();
  if (!run.ok()) return ReportError(run.status());
  if (Status st = MaybeWrite(f.json_path, ForecastJson(*run)); !st.ok()) return ReportError(st);
  if (!f.csv_dir.empty()) {
    Status st = MakeDirectory(f.csv_dir);
    if (st.ok()) st = WriteTextFile(f.csv_dir + "/cone.csv", ForecastCsv(*run));
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") std::fputs(ForecastText(*run, f.rows).c_str(), stdout);
  return kExitOk;
}

struct ProfileFlags {
  std::vector<std::string> traces;
  std::vector<std::string> models;
  int utc_offset_hours = 0;
  std::string first_weekday;
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;  // accepted everywhere; fitting takes well under a second
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
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto& t : f.traces) inputs.emplace_back("a trace", t);
  auto outputs = FilesIn("--csv", f.csv_dir, {"profiles.csv", "token_mix.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs(inputs, outputs); !st.ok()) return ReportError(st);
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
  const std::string json = ProfileJson(report);
  if (Status st = MaybeWrite(f.json_path, json); !st.ok()) return ReportError(st);
  if (Status st =
          WriteCsvTables(f.csv_dir, json, {{"profiles", "profiles.csv"}, {"token_mix", "token_mix.csv"}});
      !st.ok())
    return ReportError(st);
  if (f.json_path != "-") std::fputs(ProfileYaml(report).c_str(), stdout);
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
  std::vector<std::string> horizons = {"1d", "7d", "max"};
  std::string noise = "day-t";
  std::string monthly;
  std::vector<std::string> series;
  std::vector<double> monthly_growth;  // mean,sd
  std::optional<double> monthly_volatility;
  std::optional<double> monthly_growth_drift;
  bool monthly_fit = false;
  std::optional<int> monthly_fit_min_increments;
  double adaptive_step = TraceBacktestOptions{}.adaptive_step;
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;
};

int RunBacktest(const BacktestFlags& f) {
  if (f.spec.empty() && f.trace.empty() && f.monthly.empty())
    return ReportError(
        Status::Invalid("backtest: give a spec (synthetic truth), --trace (real traffic) and/or --monthly "
                        "(published points)"));
  if ((!f.series.empty() || !f.monthly_growth.empty() || f.monthly_volatility || f.monthly_growth_drift ||
       f.monthly_fit) &&
      f.monthly.empty())
    return ReportError(
        Status::Invalid("--series, --monthly-growth, --monthly-volatility, --monthly-growth-drift and "
                        "--monthly-fit: only with --monthly"));
  auto outputs = FilesIn("--csv", f.csv_dir, {"synthetic.csv", "traces.csv", "monthly.csv"});
  outputs.emplace_back("--json", f.json_path);
  if (Status st = CheckOutputsAreNotInputs(
          {{"the spec", f.spec}, {"--trace", f.trace}, {"--monthly", f.monthly}}, outputs);
      !st.ok())
    return ReportError(st);
  if (Status st = CheckFlagAsKey("--scenarios", "scenarios", f.scenarios); !st.ok()) return ReportError(st);
  Progress progress("backtest", f.quiet);
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
    progress.Show("scoring the cone against " + std::to_string(f.truths) + " synthetic truths...");
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
      StatusOr<int> hours = DurationHours("--horizons", h);
      if (!hours.ok() || *hours % 24 != 0)
        return ReportError(
            Status::Invalid("--horizons: expected whole days (1d, 7d, 2w) or max, got \"" + h + "\""));
      to.horizons_days.push_back(*hours / 24);
    }
    for (const RateTrace& t : *traces) {
      if (!f.models.empty() && std::find(f.models.begin(), f.models.end(), t.name) == f.models.end())
        continue;
      progress.Show("backtesting " + t.name + " one day ahead and beyond...");
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
  if (!f.monthly.empty()) {
    auto series = ReadPublishedSeries(f.monthly);
    if (!series.ok()) return ReportError(series.status());
    report.monthly_file = f.monthly;
    if (!f.monthly_growth.empty()) {
      if (f.monthly_growth.size() != 2 || !(f.monthly_growth[1] > 0) ||
          !(std::fabs(f.monthly_growth[0]) <= 1) || !(f.monthly_growth[1] <= 1))
        return ReportError(
            Status::Invalid("--monthly-growth: expected MEAN,SD of monthly log growth (e.g. 0.06,0.03; "
                            "|MEAN| <= 1, 0 < SD <= 1)"));
      report.monthly_options.growth_mean = f.monthly_growth[0];
      report.monthly_options.growth_sd = f.monthly_growth[1];
    }
    if (f.monthly_volatility) {
      if (!(*f.monthly_volatility >= 0 && *f.monthly_volatility <= 1))
        return ReportError(
            Status::Invalid("--monthly-volatility: expected 0..1 (log a month, e.g. 0.05), got " +
                            std::to_string(*f.monthly_volatility)));
      report.monthly_options.volatility = *f.monthly_volatility;
    }
    if (f.monthly_growth_drift) {
      if (!(*f.monthly_growth_drift >= 0 && *f.monthly_growth_drift <= 1))
        return ReportError(Status::Invalid(
            "--monthly-growth-drift: expected 0..1 (the growth rate's monthly step, log a month per month, "
            "as monthly_growth_drift_sd in a spec), got " +
            std::to_string(*f.monthly_growth_drift)));
      report.monthly_options.growth_drift_sd = *f.monthly_growth_drift;
    }
    report.monthly_options.fit = f.monthly_fit;
    if (f.monthly_fit_min_increments) {
      if (!f.monthly_fit || !(*f.monthly_fit_min_increments >= 1 && *f.monthly_fit_min_increments <= 1000))
        return ReportError(
            Status::Invalid("--monthly-fit-min-increments: expected 1..1000, with --monthly-fit, got " +
                            std::to_string(*f.monthly_fit_min_increments)));
      report.monthly_options.min_fit_increments = *f.monthly_fit_min_increments;
    }
    for (const std::string& name : f.series)
      if (std::none_of(series->begin(), series->end(),
                       [&](const PublishedSeries& s) { return s.name == name; })) {
        std::string names;
        for (const PublishedSeries& s : *series) names += (names.empty() ? "" : ", ") + s.name;
        return ReportError(Status::Invalid("--series: " + f.monthly + " has no series \"" + name +
                                           "\" (it has " + names + ")"));
      }
    std::vector<PublishedSeries> chosen;
    for (const PublishedSeries& s : *series)
      if (f.series.empty() || std::find(f.series.begin(), f.series.end(), s.name) != f.series.end())
        chosen.push_back(s);
    auto bt = BacktestMonthlySeries(chosen, report.monthly_options);
    if (!bt.ok()) return ReportError(Status::Invalid(f.monthly + ": " + bt.status().message()));
    report.monthly = std::move(bt->series);
    if (report.monthly.size() > 1) report.monthly_all = std::move(bt->all);
    report.monthly_skipped = std::move(bt->skipped);
    report.monthly_pooled_fit = std::move(bt->pooled_fit);
    report.monthly_series_fit = std::move(bt->series_fit);
  }
  progress.Clear();
  const std::string json = BacktestJson(report);
  if (Status st = MaybeWrite(f.json_path, json); !st.ok()) return ReportError(st);
  if (!f.csv_dir.empty()) {
    // One row per trace and horizon: the trace's fields, then the horizon's.
    nlohmann::ordered_json horizons = nlohmann::ordered_json::array();
    const auto doc = nlohmann::ordered_json::parse(json);
    for (const auto& t : doc["traces"])
      for (const auto& h : t["horizons"])
        horizons.push_back(
            {{"trace", t["name"]}, {"days", t["days"]}, {"noise", t["noise"]}, {"horizon", h}});
    // One row per series and horizon bucket.
    nlohmann::ordered_json monthly = nlohmann::ordered_json::array();
    for (const auto& m : doc["monthly"])
      for (const auto& h : m["horizons"])
        monthly.push_back(
            {{"series", m["series"]}, {"unit", m["unit"]}, {"points", m["points"]}, {"horizon", h}});
    Status st = WriteCsvTables(f.csv_dir, json, {{"synthetic", "synthetic.csv"}});
    if (st.ok()) st = WriteJsonRowsCsv(f.csv_dir + "/traces.csv", horizons);
    if (st.ok() && !f.monthly.empty()) st = WriteJsonRowsCsv(f.csv_dir + "/monthly.csv", monthly);
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") std::fputs(BacktestText(report).c_str(), stdout);
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
    AddJsonOption(cmd, f->json_path, "the cone");
    AddCsvOption(cmd, f->csv_dir, "cone.csv (the quantiles, long: one row per cone, tier, quantity, month)");
    AddQuietFlag(cmd, f->quiet);
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
    AddJsonOption(cmd, f->json_path, "the fits");
    AddCsvOption(cmd, f->csv_dir, "profiles.csv and token_mix.csv");
    AddQuietFlag(cmd, f->quiet);
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
    cmd->add_option("--horizons", f->horizons,
                    "Trace horizons ahead, whole days (1d, 7d, 2w; max = the longest the trace allows)")
        ->delimiter(',')
        ->capture_default_str();
    cmd->add_option("--noise", f->noise,
                    "Trace noise model: day-t (day level + Student-t hours) or ar1 (hourly AR(1), "
                    "as before issue 16)")
        ->capture_default_str();
    cmd->add_option("--monthly", f->monthly,
                    "Published monthly points (series,month,value,unit,...; e.g. "
                    "data/published-ai-demand/points.csv): rolling-origin backtest of the monthly cone");
    cmd->add_option("--series", f->series, "With --monthly: backtest only these series");
    cmd->add_option("--monthly-growth", f->monthly_growth,
                    "With --monthly: the growth prior MEAN,SD (monthly log; default 0.06,0.03)")
        ->delimiter(',');
    cmd->add_option("--monthly-volatility", f->monthly_volatility,
                    "With --monthly: the monthly volatility (log; default 0.05)");
    cmd->add_option("--monthly-growth-drift", f->monthly_growth_drift,
                    "With --monthly: the growth rate's own monthly random-walk step (log a month per "
                    "month; default 0: growth fixed per scenario)");
    cmd->add_flag("--monthly-fit", f->monthly_fit,
                  "With --monthly: fit the volatility and growth drift by maximum likelihood at every "
                  "origin on the points known then, and print the fits on every point");
    cmd->add_option("--monthly-fit-min-increments", f->monthly_fit_min_increments,
                    "With --monthly-fit: increments beyond each series' first a fit needs (default 2; "
                    "fewer known: the --monthly-volatility and --monthly-growth-drift values)");
    cmd->add_option("--adaptive-step", f->adaptive_step,
                    "Step of the adaptive conformal level after each day (0 = plain split-conformal)")
        ->capture_default_str();
    AddJsonOption(cmd, f->json_path, "the scores");
    AddCsvOption(cmd, f->csv_dir,
                 "synthetic.csv, traces.csv (one row per trace and horizon) and, with --monthly, monthly.csv "
                 "(one row per series and horizon bucket)");
    AddQuietFlag(cmd, f->quiet);
    cmd->callback([f, &exit_code] { exit_code = RunBacktest(*f); });
  }
}

}  // namespace fungible::cli

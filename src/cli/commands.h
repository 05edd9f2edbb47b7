// Each subcommand lives in its own cmd_*.cc and registers itself on the app.
// A command's callback stores its exit code in `exit_code`; main() returns it.
// Commands print; the stage code they call never does.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace fungible::cli {

void AddValidateCommand(CLI::App& app, int& exit_code);
void AddCatalogCommand(CLI::App& app, int& exit_code);
void AddAllocateCommand(CLI::App& app, int& exit_code);
void AddForecastCommands(CLI::App& app, int& exit_code);  // forecast, fit-profile, backtest
void AddServeCommand(CLI::App& app, int& exit_code);      // serve, token
void AddClientCommands(CLI::App& app, int& exit_code);    // submit, jobs, describe (explain), cancel, logs
void AddExportCommand(CLI::App& app, int& exit_code);     // export kueue
void AddPlanCommand(CLI::App& app, int& exit_code);       // plan
void AddEvaluateCommand(CLI::App& app, int& exit_code);   // evaluate
void AddSimulateCommand(CLI::App& app, int& exit_code);   // simulate
void AddReviewCommand(CLI::App& app, int& exit_code);     // review
void AddReportCommand(CLI::App& app, int& exit_code);     // report (HTML)

// Prints a failed status to stderr as "fungible: <diagnostics>" and returns
// its exit code.
int ReportError(const Status& st);

// Writes `text` to `path` ("-" = stdout). Errors name the path.
Status WriteTextFile(const std::string& path, const std::string& text);

// Before CLI11 parses: an unknown subcommand or option is named with the
// nearest valid one ("unknown command 'valdate'; did you mean 'validate'?"),
// and a renamed option with its new name. Returns the exit code (kExitUsage)
// after printing the message, or nullopt when the words are all known.
std::optional<int> CheckWords(CLI::App& app, int argc, const char* const* argv);

// The output options every command with results has, spelled and explained
// the same everywhere: --json FILE|- (with '-', stdout holds only the JSON),
// --csv DIR, --quiet (no progress on stderr).
CLI::Option* AddJsonOption(CLI::App* cmd, std::string& path, const std::string& what);
CLI::Option* AddCsvOption(CLI::App* cmd, std::string& dir, const std::string& files);
CLI::Option* AddQuietFlag(CLI::App* cmd, bool& quiet);

// An output (flag, path) that is one of the command's input files — the same
// file by canonical path, "-" aside — is refused before anything is written:
// "--json spec.yaml: is an input of this command (spec); refusing to write over it".
Status CheckOutputsAreNotInputs(const std::vector<std::pair<std::string, std::string>>& inputs,
                                const std::vector<std::pair<std::string, std::string>>& outputs);
// The files `names` in `dir`, as outputs named by `flag` for the check above.
std::vector<std::pair<std::string, std::string>> FilesIn(const std::string& flag, const std::string& dir,
                                                         const std::vector<std::string>& names);

// Writes `rows` (an array of objects, e.g. a JSON report's "offers") as the
// CSV file `path`: a header of the keys in order of first use, one record per
// object, a nested object's fields as "key.field", numbers and arrays as JSON
// writes them, null as an empty field.
Status WriteJsonRowsCsv(const std::string& path, const nlohmann::ordered_json& rows);

// A job file (YAML, or JSON when it ends in .json): one object, the body of
// POST /v1/jobs (`fungible submit -f`, `fungible export kueue --job`).
StatusOr<nlohmann::json> ReadJobFile(const std::string& path);

// Creates `dir` (and its parents) for --csv DIR; the error names it.
Status MakeDirectory(const std::string& dir);

// A duration flag ("4h", "1d", "90m") in whole hours; the error names the flag.
StatusOr<int> DurationHours(const std::string& flag, const std::string& text);

// One progress line on stderr, shown only when stderr is a terminal and the
// command is not --quiet; replaced by each Show and erased at the end.
class Progress {
 public:
  Progress(std::string command, bool quiet);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  bool on() const { return on_; }
  void Show(const std::string& what);  // "fungible COMMAND: WHAT..."
  void Clear();

 private:
  std::string command_;
  bool on_;
  bool shown_ = false;
};

}  // namespace fungible::cli

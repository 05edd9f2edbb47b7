// Each subcommand lives in its own cmd_*.cc and registers itself on the app.
// A command's callback stores its exit code in `exit_code`; main() returns it.
// Commands print; the engine they call never does.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "util/status.h"

namespace fungible::cli {

void AddValidateCommand(CLI::App& app, int& exit_code);
void AddCatalogCommand(CLI::App& app, int& exit_code);
void AddAllocateCommand(CLI::App& app, int& exit_code);
void AddForecastCommands(CLI::App& app, int& exit_code);  // forecast, fit-profile, backtest
void AddServeCommand(CLI::App& app, int& exit_code);      // serve, token add, explain
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

// Progress is shown only when stderr is a terminal.
bool StderrIsTerminal();

// Replaces the progress line on stderr with `line` (no newline; "" erases it).
void ShowProgress(const std::string& line);

}  // namespace fungible::cli

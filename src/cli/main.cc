// fungible: plan, buy and run a heterogeneous AI compute fleet.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace {

int Run(int argc, char** argv) {
  using namespace fungible::cli;
  CLI::App app{
      "fungible: plan, buy and run a heterogeneous AI compute fleet by return on compute.\n"
      "Exit codes: 0 ok, 1 internal error, 2 usage or input error, 3 infeasible,\n"
      "4 service unavailable, 5 authentication or permission refused,\n"
      "6 the job ended without succeeding (submit --wait)."};
  app.set_version_flag("--version", "fungible 0.1.0");
  app.require_subcommand(1);
  int exit_code = kExitOk;
  AddValidateCommand(app, exit_code);
  AddCatalogCommand(app, exit_code);
  AddAllocateCommand(app, exit_code);
  AddForecastCommands(app, exit_code);
  AddServeCommand(app, exit_code);
  AddClientCommands(app, exit_code);
  AddExportCommand(app, exit_code);
  AddPlanCommand(app, exit_code);
  AddEvaluateCommand(app, exit_code);
  AddSimulateCommand(app, exit_code);
  AddReviewCommand(app, exit_code);
  AddReportCommand(app, exit_code);
  if (auto rc = CheckWords(app, argc, argv)) return *rc;
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

}  // namespace

// Errors travel as Status; an exception that still gets here is a bug, and
// exits with the documented internal-error code rather than std::terminate.
int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    return fungible::cli::ReportError(fungible::Status::Internal(std::string("internal error: ") + e.what()));
  } catch (...) {
    return fungible::cli::ReportError(fungible::Status::Internal("internal error: unknown exception"));
  }
}

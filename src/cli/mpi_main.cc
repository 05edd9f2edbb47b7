// fungible-mpi: `fungible plan` and `fungible evaluate` with their scenario
// subproblems spread over MPI ranks (mpirun -n 4 fungible-mpi plan SPEC).
// Every rank runs the same command; rank 0 prints. Other commands live in
// the fungible binary, which does not link MPI.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "plan/mpi/mpi_comm.h"

// Left to std::terminate: an exception on one rank must abort them all
// (mpirun tears the job down); returning would hang the others in MPI.
int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape)
  using namespace fungible::cli;
  // MPI lives for the whole run; the commands' communicators join it.
  fungible::MpiComm world;
  CLI::App app{
      "fungible-mpi: fungible plan and evaluate across MPI ranks (rank 0 prints).\n"
      "Exit codes: 0 ok, 1 internal error, 2 usage or input error, 3 infeasible."};
  app.set_version_flag("--version", "fungible-mpi 0.1.0");
  app.require_subcommand(1);
  int exit_code = kExitOk;
  AddPlanCommand(app, exit_code);
  AddEvaluateCommand(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = world.rank() == 0 ? app.exit(e) : (e.get_exit_code() == 0 ? 0 : 1);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  return exit_code;
}

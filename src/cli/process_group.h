// The process group `fungible plan` and `fungible evaluate` run their
// scenario work on: MPI_COMM_WORLD in the fungible-mpi binary (built with
// FUNGIBLE_WITH_MPI, see src/cli/CMakeLists.txt), this process alone in
// fungible.
#pragma once

#include <memory>

#include "plan/solve.h"

namespace fungible::cli {

// The processes the plan runs on: MPI_COMM_WORLD in fungible-mpi, this
// process alone otherwise.
std::unique_ptr<PlanComm> MakeComm();
// True in a process of the MPI-less binary that mpirun started as a rank
// other than 0: it computes, but keeps quiet (rank 0 prints a warning).
bool QuietRank();

}  // namespace fungible::cli

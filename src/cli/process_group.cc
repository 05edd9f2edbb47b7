#include "cli/process_group.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#ifdef FUNGIBLE_WITH_MPI
#include "plan/mpi/mpi_comm.h"
#endif

namespace fungible::cli {

std::unique_ptr<PlanComm> MakeComm() {
#ifdef FUNGIBLE_WITH_MPI
  return std::make_unique<MpiComm>();
#else
  return std::make_unique<PlanComm>();
#endif
}

bool QuietRank() {
#ifdef FUNGIBLE_WITH_MPI
  return false;
#else
  // Started by mpirun without MPI support: every process computes the whole
  // plan alone; only the first prints, and says so.
  const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
  if (rank == nullptr) rank = std::getenv("PMI_RANK");
  if (rank == nullptr) return false;
  if (std::string(rank) != "0") return true;
  std::fprintf(
      stderr,
      "fungible: started by mpirun, but this binary has no MPI: each rank solves the whole plan alone "
      "(use fungible-mpi to share the scenarios)\n");
  return false;
#endif
}

}  // namespace fungible::cli

#include "plan/mpi/mpi_comm.h"

#include <mpi.h>

namespace fungible {

MpiComm::MpiComm() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    owns_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

MpiComm::~MpiComm() {
  if (!owns_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void MpiComm::Broadcast(std::vector<double>& data) const {
  long long n = static_cast<long long>(data.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD);
  data.resize(static_cast<size_t>(n));
  if (n > 0) MPI_Bcast(data.data(), static_cast<int>(n), MPI_DOUBLE, 0, MPI_COMM_WORLD);
}

std::vector<double> MpiComm::AllGather(const std::vector<double>& mine) const {
  int n = static_cast<int>(mine.size());
  std::vector<int> counts(static_cast<size_t>(size_)), displs(static_cast<size_t>(size_));
  MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    displs[r] = total;
    total += counts[r];
  }
  std::vector<double> all(static_cast<size_t>(total));
  MPI_Allgatherv(mine.data(), n, MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE,
                 MPI_COMM_WORLD);
  return all;
}

}  // namespace fungible

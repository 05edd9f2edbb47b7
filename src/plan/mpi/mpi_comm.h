// PlanComm over MPI_COMM_WORLD, for the fungible-mpi binary. Only this
// directory includes mpi.h: the plan stage and the default fungible binary
// do not depend on MPI. Collective calls are made from the main thread only
// (MPI_THREAD_FUNNELED); scenario subproblems run on threads inside a rank.
#pragma once

#include <vector>

#include "plan/solve.h"

namespace fungible {

class MpiComm : public PlanComm {
 public:
  // Initialises MPI unless it already is; finalises it on destruction if it
  // initialised it.
  MpiComm();
  ~MpiComm() override;
  MpiComm(const MpiComm&) = delete;
  MpiComm& operator=(const MpiComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void Broadcast(std::vector<double>& data) const override;
  std::vector<double> AllGather(const std::vector<double>& mine) const override;

 private:
  bool owns_ = false;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace fungible

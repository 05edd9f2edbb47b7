// Scenario subproblems for decomposition and for evaluating a fixed first
// stage: one LP (a scenario block whose links are fixed columns) shared by
// every scenario, re-bounded per scenario and solved (lp/solve.h's LpSolver) by the dual simplex
// from that scenario's own last basis. Because each scenario starts from its
// own basis on a fresh copy of the same model, its solution depends only on
// its data and the first-stage values it has seen, never on which thread or
// process solved it, nor on what that thread solved before.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "lp/model.h"
#include "lp/solve.h"
#include "plan/block.h"
#include "plan/problem.h"
#include "util/status.h"

namespace fungible {

class Subproblems {
 public:
  // Builds the shared LP from problem.scenarios (the envelope of them all).
  // `problem` must outlive this object.
  static StatusOr<std::unique_ptr<Subproblems>> Build(const PlanProblem& problem);
  ~Subproblems();

  int num_scenarios() const { return static_cast<int>(bases_.size()); }
  int rows() const { return lp_.num_rows(); }
  int columns() const { return lp_.num_columns(); }

  // Solves scenario s with the links fixed at `links` (problem.num_links()
  // values: chips per take-or-pay offer, then eta in millions of USD). Fills
  // `out` (objective V_s in millions of USD per unit probability, the
  // gradient of V_s in the links, and, when `full`, the whole outcome).
  // Scenarios may be solved concurrently on different threads as long as no
  // two threads solve the same scenario at once.
  Status Solve(int s, const std::vector<double>& links, bool full, ScenarioOutcome& out);

  // Solves the mean scenario at `links` from scratch and keeps its basis
  // as the starting basis of every scenario not solved yet. Deterministic,
  // so every process that calls it with the same links starts alike.
  Status Seed(const std::vector<double>& links);

  // Every scenario's last optimal basis ([s], empty before its first
  // solve): taken from and given back to a ScenarioBases between calls.
  std::vector<std::vector<unsigned char>>& bases() { return bases_; }

  // Scenario s's objective coefficients of the links (millions of USD per
  // chip, or per million USD for eta).
  std::vector<double> LinkObjective(int s) const;

 private:
  explicit Subproblems(const PlanProblem& problem);
  // A copy of the pristine LP with the scenario's bounds and the links fixed.
  LpSolver Bounded(const ScenarioBounds& bounds, const std::vector<double>& links) const;
  const PlanProblem& problem_;
  LpModel lp_{false};
  BlockIndex block_;
  std::unique_ptr<LpSolver> pristine_;
  std::vector<ScenarioBounds> bounds_;             // [s]
  std::vector<std::vector<unsigned char>> bases_;  // [s]: last optimal basis, empty before the first solve
  std::vector<unsigned char> seed_;                // starting basis for a first solve; empty = none
};

// Runs fn(s) for s in [begin, end) on `threads` threads (contiguous chunks);
// returns the first error.
Status ForScenarios(int begin, int end, int threads, const std::function<Status(int)>& fn);

}  // namespace fungible

#include "plan/subproblem.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <mutex>
#include <numeric>

#include "util/parallel.h"

namespace fungible {

Subproblems::Subproblems(const PlanProblem& problem) : problem_(problem) {}
Subproblems::~Subproblems() = default;

StatusOr<std::unique_ptr<Subproblems>> Subproblems::Build(const PlanProblem& problem) {
  if (problem.scenarios.empty()) return Status::Invalid("plan: no scenarios to solve");
  std::unique_ptr<Subproblems> sp(new Subproblems(problem));
  const int n = problem.num_links();
  std::vector<int> links;
  links.reserve(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) links.push_back(sp->lp_.AddColumn("", 0.0, 0.0, 0.0));
  sp->block_ = AppendScenarioBlock(problem, ScenarioEnvelope(problem), 1.0, links, sp->lp_, "");
  FUNGIBLE_ASSIGN_OR_RETURN(LpSolver pristine, LpSolver::Load(sp->lp_));
  sp->pristine_ = std::make_unique<LpSolver>(std::move(pristine));
  for (const auto& s : problem.scenarios) sp->bounds_.push_back(BoundsFor(problem, s, sp->block_));
  sp->bases_.resize(problem.scenarios.size());
  return sp;
}

LpSolver Subproblems::Bounded(const ScenarioBounds& bounds, const std::vector<double>& links) const {
  LpSolver lp(*pristine_);
  for (const auto& [row, v] : bounds.row_upper) lp.SetRowUpper(row, v);
  for (const auto& [col, v] : bounds.col_upper) lp.SetColumnUpper(col, v);
  for (const auto& [col, v] : bounds.col_objective) lp.SetObjective(col, v);
  for (const auto& c : bounds.coefficients) lp.SetCoefficient(c.row, c.col, c.value);
  for (size_t j = 0; j < links.size(); ++j) lp.SetColumnBounds(block_.link_col[j], links[j], links[j]);
  return lp;
}

Status Subproblems::Solve(int s, const std::vector<double>& links, bool full, ScenarioOutcome& out) {
  LpSolver lp = Bounded(bounds_[s], links);
  auto& basis = bases_[s];
  const std::vector<unsigned char>& start = basis.empty() ? seed_ : basis;
  FUNGIBLE_ASSIGN_OR_RETURN(LpStatus status, start.empty() ? lp.SolveFromScratch() : lp.SolveWarm(&start));
  if (status != LpStatus::kOptimal) {
    // Numerical trouble from a warm start: once more from scratch.
    lp = Bounded(bounds_[s], links);
    FUNGIBLE_ASSIGN_OR_RETURN(status, lp.SolveFromScratch());
    if (status != LpStatus::kOptimal)
      return Status::Internal("plan: scenario " + problem_.scenarios[s].name + ": Clp stopped " +
                              LpStatusName(status) +
                              " (the second stage always has a solution; "
                              "this is numerical trouble)");
  }
  basis = lp.basis();
  if (full) {
    const auto x = lp.x();
    out = ReadOutcome(problem_, problem_.scenarios[s], block_, std::vector<double>(x.begin(), x.end()));
  }
  out.objective = lp.objective();
  out.link_gradient.assign(links.size(), 0.0);
  const auto dj = lp.reduced_costs();
  for (size_t j = 0; j < links.size(); ++j) out.link_gradient[j] = dj[block_.link_col[j]];
  out.terminal_gradient.assign(block_.terminal_probe_col.size(), 0.0);
  for (size_t o = 0; o < block_.terminal_probe_col.size(); ++o)
    if (block_.terminal_probe_col[o] >= 0) out.terminal_gradient[o] = dj[block_.terminal_probe_col[o]];
  return Status::Ok();
}

Status Subproblems::Seed(const std::vector<double>& links) {
  // The mean scenario is the one closest to all the others.
  LpSolver lp = Bounded(BoundsFor(problem_, MeanScenario(problem_, problem_.scenarios), block_), links);
  FUNGIBLE_ASSIGN_OR_RETURN(LpStatus status, lp.SolveFromScratch());
  if (status != LpStatus::kOptimal) return Status::Ok();  // no seed: every scenario starts cold
  seed_ = lp.basis();
  return Status::Ok();
}

std::vector<double> Subproblems::LinkObjective(int s) const {
  std::vector<double> c;
  for (int col : block_.link_col) {
    double v = lp_.columns[col].obj;
    for (const auto& [j, o] : bounds_[s].col_objective)
      if (j == col) v = o;
    c.push_back(v);
  }
  return c;
}

Status ForScenarios(int begin, int end, int threads, const std::function<Status(int)>& fn) {
  std::mutex mu;
  Status first;
  ParallelForEach(end - begin, ResolveThreads(threads), [&](std::int64_t i) {
    Status st = fn(begin + static_cast<int>(i));
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(mu);
      if (first.ok()) first = st;
    }
  });
  return first;
}

}  // namespace fungible

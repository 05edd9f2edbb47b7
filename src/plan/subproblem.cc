#include "plan/subproblem.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <coin/ClpSimplex.hpp>
#include <coin/CoinError.hpp>
#include <coin/CoinFinite.hpp>
#include <coin/CoinMessageHandler.hpp>
#include <functional>
#include <mutex>
#include <numeric>
#include <thread>

namespace fungible {
namespace {

double ToCoin(double v) {
  if (v == kLpInfinity) return COIN_DBL_MAX;
  if (v == -kLpInfinity) return -COIN_DBL_MAX;
  return v;
}

// Loads `lp` into `clp` (duplicates summed).
void Load(const LpModel& lp, ClpSimplex& clp) {
  const int nc = lp.num_columns(), nr = lp.num_rows();
  const size_t nnz = lp.num_coefficients();
  std::vector<size_t> order(nnz);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return lp.coef_col[a] != lp.coef_col[b] ? lp.coef_col[a] < lp.coef_col[b]
                                            : lp.coef_row[a] < lp.coef_row[b];
  });
  std::vector<CoinBigIndex> start(static_cast<size_t>(nc) + 1, 0);
  std::vector<int> index;
  std::vector<double> value;
  index.reserve(nnz);
  value.reserve(nnz);
  size_t k = 0;
  for (int c = 0; c < nc; ++c) {
    start[c] = static_cast<CoinBigIndex>(index.size());
    while (k < nnz && lp.coef_col[order[k]] == c) {
      const int r = lp.coef_row[order[k]];
      double v = 0;
      while (k < nnz && lp.coef_col[order[k]] == c && lp.coef_row[order[k]] == r)
        v += lp.coef_value[order[k++]];
      if (v != 0) {
        index.push_back(r);
        value.push_back(v);
      }
    }
  }
  start[nc] = static_cast<CoinBigIndex>(index.size());
  std::vector<double> collb(nc), colub(nc), obj(nc), rowlb(nr), rowub(nr);
  for (int j = 0; j < nc; ++j) {
    collb[j] = ToCoin(lp.columns[j].lb);
    colub[j] = ToCoin(lp.columns[j].ub);
    obj[j] = lp.columns[j].obj;
  }
  for (int i = 0; i < nr; ++i) {
    rowlb[i] = ToCoin(lp.rows[i].lb);
    rowub[i] = ToCoin(lp.rows[i].ub);
  }
  clp.loadProblem(nc, nr, start.data(), index.data(), value.data(), collb.data(), colub.data(), obj.data(),
                  rowlb.data(), rowub.data());
}

void Quiet(ClpSimplex& clp) {
  clp.setLogLevel(0);
  clp.messageHandler()->setLogLevel(0);
}

}  // namespace

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
  try {
    sp->pristine_ = std::make_unique<ClpSimplex>();
    Quiet(*sp->pristine_);
    Load(sp->lp_, *sp->pristine_);
  } catch (const CoinError& e) {
    return Status::Internal("COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
  for (const auto& s : problem.scenarios) sp->bounds_.push_back(BoundsFor(problem, s, sp->block_));
  sp->bases_.resize(problem.scenarios.size());
  return sp;
}

Status Subproblems::Solve(int s, const std::vector<double>& links, bool full, ScenarioOutcome& out) {
  try {
    ClpSimplex clp(*pristine_);
    Quiet(clp);
    for (const auto& [row, v] : bounds_[s].row_upper) clp.setRowUpper(row, v);
    for (const auto& [col, v] : bounds_[s].col_upper) clp.setColumnUpper(col, v);
    for (size_t j = 0; j < links.size(); ++j) {
      clp.setColumnLower(block_.link_col[j], links[j]);
      clp.setColumnUpper(block_.link_col[j], links[j]);
    }
    auto& basis = bases_[s];
    const std::vector<unsigned char>& start = basis.empty() ? seed_ : basis;
    if (start.empty()) {
      clp.initialSolve();
    } else {
      clp.copyinStatus(start.data());
      clp.dual(0);
    }
    if (clp.status() != 0) {
      // Numerical trouble from a warm start: once more from scratch.
      ClpSimplex fresh(*pristine_);
      Quiet(fresh);
      for (const auto& [row, v] : bounds_[s].row_upper) fresh.setRowUpper(row, v);
      for (const auto& [col, v] : bounds_[s].col_upper) fresh.setColumnUpper(col, v);
      for (size_t j = 0; j < links.size(); ++j) {
        fresh.setColumnLower(block_.link_col[j], links[j]);
        fresh.setColumnUpper(block_.link_col[j], links[j]);
      }
      fresh.initialSolve();
      if (fresh.status() != 0)
        return Status::Internal("plan: scenario " + problem_.scenarios[s].name +
                                ": Clp stopped with status " + std::to_string(fresh.status()) +
                                " (the second stage always has a solution; "
                                "this is numerical trouble)");
      clp = fresh;
    }
    const int nc = clp.numberColumns(), nr = clp.numberRows();
    basis.assign(clp.statusArray(), clp.statusArray() + nc + nr);
    if (full) {
      std::vector<double> x(clp.primalColumnSolution(), clp.primalColumnSolution() + nc);
      out = ReadOutcome(problem_, problem_.scenarios[s], block_, x);
    }
    out.objective = clp.objectiveValue();
    out.link_gradient.assign(links.size(), 0.0);
    const double* dj = clp.dualColumnSolution();
    for (size_t j = 0; j < links.size(); ++j) out.link_gradient[j] = dj[block_.link_col[j]];
    return Status::Ok();
  } catch (const CoinError& e) {
    return Status::Internal("COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

Status Subproblems::Seed(const std::vector<double>& links) {
  try {
    ClpSimplex clp(*pristine_);
    Quiet(clp);
    // The mean scenario is the one closest to all the others.
    const ScenarioBounds mean = BoundsFor(problem_, MeanScenario(problem_, problem_.scenarios), block_);
    for (const auto& [row, v] : mean.row_upper) clp.setRowUpper(row, v);
    for (const auto& [col, v] : mean.col_upper) clp.setColumnUpper(col, v);
    for (size_t j = 0; j < links.size(); ++j) {
      clp.setColumnLower(block_.link_col[j], links[j]);
      clp.setColumnUpper(block_.link_col[j], links[j]);
    }
    clp.initialSolve();
    if (clp.status() != 0) return Status::Ok();  // no seed: every scenario starts cold
    seed_.assign(clp.statusArray(), clp.statusArray() + clp.numberColumns() + clp.numberRows());
    return Status::Ok();
  } catch (const CoinError& e) {
    return Status::Internal("COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

Status ForScenarios(int begin, int end, int threads, const std::function<Status(int)>& fn) {
  const int n = end - begin;
  if (n <= 0) return Status::Ok();
  if (threads <= 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, n);
  std::atomic<int> next{begin};
  std::mutex mu;
  Status first;
  auto work = [&] {
    for (;;) {
      const int s = next.fetch_add(1);
      if (s >= end) return;
      Status st = fn(s);
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = st;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return first;
}

}  // namespace fungible

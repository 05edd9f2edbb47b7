#include "allocate/lp_model.h"

#include <chrono>
#include <cmath>
#include <coin/CbcModel.hpp>
#include <coin/ClpSimplex.hpp>
#include <coin/ClpSolve.hpp>
#include <coin/CoinError.hpp>
#include <coin/CoinFinite.hpp>
#include <coin/CoinMessageHandler.hpp>
#include <coin/CoinMpsIO.hpp>
#include <coin/CoinPackedMatrix.hpp>
#include <coin/OsiClpSolverInterface.hpp>
#include <cstdio>
#include <mutex>
#include <string>

namespace fungible {

int LpModel::AddColumn(std::string_view name, double obj, double lb, double ub, bool is_integer) {
  columns.push_back({obj, lb, ub, is_integer});
  if (keep_names) column_names.emplace_back(name);
  return static_cast<int>(columns.size()) - 1;
}

int LpModel::AddRow(std::string_view name, double lb, double ub) {
  rows.push_back({lb, ub});
  if (keep_names) row_names.emplace_back(name);
  return static_cast<int>(rows.size()) - 1;
}

void LpModel::Reserve(size_t num_columns, size_t num_rows, size_t num_coefficients) {
  columns.reserve(num_columns);
  rows.reserve(num_rows);
  if (keep_names) {
    column_names.reserve(num_columns);
    row_names.reserve(num_rows);
  }
  coef_row.reserve(num_coefficients);
  coef_col.reserve(num_coefficients);
  coef_value.reserve(num_coefficients);
}

bool LpModel::has_integers() const {
  for (const auto& c : columns)
    if (c.is_integer) return true;
  return false;
}

std::string LpModel::ColumnName(int j) const {
  if (keep_names && j < static_cast<int>(column_names.size()) && !column_names[j].empty())
    return column_names[j];
  return "C" + std::to_string(j);
}

std::string LpModel::RowName(int i) const {
  if (keep_names && i < static_cast<int>(row_names.size()) && !row_names[i].empty()) return row_names[i];
  return "R" + std::to_string(i);
}

const char* LpStatusName(LpStatus s) {
  switch (s) {
    case LpStatus::kOptimal: return "optimal";
    case LpStatus::kInfeasible: return "infeasible";
    case LpStatus::kUnbounded: return "unbounded";
    case LpStatus::kTimeLimit: return "time_limit";
    case LpStatus::kTimeLimitNoSolution: return "time_limit_no_solution";
  }
  return "unknown";
}

namespace {

// Column-compressed copy of the triplets: rows ascending inside each column,
// duplicates summed. Two counting sorts, O(nnz).
struct Csc {
  std::vector<CoinBigIndex> start;
  std::vector<int> index;
  std::vector<double> value;
};

Status ToCsc(const LpModel& m, Csc& out) {
  const int nc = m.num_columns(), nr = m.num_rows();
  const size_t nnz = m.num_coefficients();
  std::vector<size_t> row_start(static_cast<size_t>(nr) + 1, 0);
  for (size_t k = 0; k < nnz; ++k) {
    int r = m.coef_row[k], c = m.coef_col[k];
    if (r < 0 || r >= nr || c < 0 || c >= nc)
      return Status::Internal("LP coefficient (" + std::to_string(r) + ", " + std::to_string(c) +
                              ") out of range");
    if (!std::isfinite(m.coef_value[k]))
      return Status::Internal("LP coefficient of " + m.RowName(r) + " x " + m.ColumnName(c) +
                              " is not finite");
    ++row_start[static_cast<size_t>(r) + 1];
  }
  for (int r = 0; r < nr; ++r) row_start[r + 1] += row_start[r];
  std::vector<size_t> by_row(nnz);
  {
    std::vector<size_t> next(row_start.begin(), row_start.end() - 1);
    for (size_t k = 0; k < nnz; ++k) by_row[next[m.coef_row[k]]++] = k;
  }
  std::vector<CoinBigIndex> col_count(static_cast<size_t>(nc) + 1, 0);
  for (size_t k = 0; k < nnz; ++k) ++col_count[static_cast<size_t>(m.coef_col[k]) + 1];
  for (int c = 0; c < nc; ++c) col_count[c + 1] += col_count[c];
  std::vector<int> idx(nnz);
  std::vector<double> val(nnz);
  {
    std::vector<CoinBigIndex> next(col_count.begin(), col_count.end() - 1);
    for (size_t k : by_row) {
      CoinBigIndex pos = next[m.coef_col[k]]++;
      idx[pos] = m.coef_row[k];
      val[pos] = m.coef_value[k];
    }
  }
  // Merge duplicates (adjacent after the sort) and drop exact zeros.
  out.start.assign(static_cast<size_t>(nc) + 1, 0);
  out.index.clear();
  out.value.clear();
  out.index.reserve(nnz);
  out.value.reserve(nnz);
  for (int c = 0; c < nc; ++c) {
    for (CoinBigIndex pos = col_count[c]; pos < col_count[c + 1]; ++pos) {
      if (!out.index.empty() && static_cast<CoinBigIndex>(out.index.size()) > out.start[c] &&
          out.index.back() == idx[pos]) {
        out.value.back() += val[pos];
      } else {
        out.index.push_back(idx[pos]);
        out.value.push_back(val[pos]);
      }
    }
    out.start[c + 1] = static_cast<CoinBigIndex>(out.index.size());
  }
  return Status::Ok();
}

double ToCoin(double v) {
  if (v == kLpInfinity) return COIN_DBL_MAX;
  if (v == -kLpInfinity) return -COIN_DBL_MAX;
  return v;
}

struct Bounds {
  std::vector<double> collb, colub, obj, rowlb, rowub;
};

Status ToBounds(const LpModel& m, Bounds& b) {
  const int nc = m.num_columns(), nr = m.num_rows();
  b.collb.resize(nc);
  b.colub.resize(nc);
  b.obj.resize(nc);
  b.rowlb.resize(nr);
  b.rowub.resize(nr);
  for (int j = 0; j < nc; ++j) {
    const auto& c = m.columns[j];
    if (!std::isfinite(c.obj) || std::isnan(c.lb) || std::isnan(c.ub) || c.lb > c.ub)
      return Status::Internal("LP column " + m.ColumnName(j) + " has bad objective or bounds");
    b.collb[j] = ToCoin(c.lb);
    b.colub[j] = ToCoin(c.ub);
    b.obj[j] = c.obj;
  }
  for (int i = 0; i < nr; ++i) {
    const auto& r = m.rows[i];
    if (std::isnan(r.lb) || std::isnan(r.ub))
      return Status::Internal("LP row " + m.RowName(i) + " has NaN bounds");
    b.rowlb[i] = ToCoin(r.lb);
    b.rowub[i] = ToCoin(r.ub);
  }
  return Status::Ok();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

LpSolution Finish(const LpModel& m, ClpSimplex& clp, LpSolution& sol) {
  sol.status = LpStatus::kOptimal;
  sol.objective = clp.objectiveValue();
  sol.best_bound = sol.objective;
  sol.x.assign(clp.primalColumnSolution(), clp.primalColumnSolution() + m.num_columns());
  sol.row_activity.assign(clp.primalRowSolution(), clp.primalRowSolution() + m.num_rows());
  sol.row_dual.assign(clp.dualRowSolution(), clp.dualRowSolution() + m.num_rows());
  const unsigned char* st = clp.statusArray();
  sol.basis.assign(st, st + m.num_columns() + m.num_rows());
  return std::move(sol);
}

StatusOr<LpSolution> SolveWithClp(const LpModel& m, const Csc& csc, const Bounds& b,
                                  const LpSolveOptions& opt) {
  LpSolution sol;
  ClpSimplex clp;
  clp.setLogLevel(0);
  if (opt.dual_tolerance > 0) clp.setDualTolerance(opt.dual_tolerance);
  clp.messageHandler()->setLogLevel(0);
  clp.loadProblem(m.num_columns(), m.num_rows(), csc.start.data(), csc.index.data(), csc.value.data(),
                  b.collb.data(), b.colub.data(), b.obj.data(), b.rowlb.data(), b.rowub.data());
  if (opt.lp_time_limit_s > 0) clp.setMaximumWallSeconds(opt.lp_time_limit_s);
  const size_t status_size = static_cast<size_t>(m.num_columns()) + m.num_rows();
  if (opt.warm_basis != nullptr && opt.warm_basis->size() == status_size) {
    clp.copyinStatus(opt.warm_basis->data());
    clp.dual(0);
    if (clp.status() == 3 && clp.hitMaximumIterations()) {
      sol.status = LpStatus::kTimeLimitNoSolution;
      return sol;
    }
    if (clp.status() == 0) return Finish(m, clp, sol);
    // Anything else (e.g. numerical trouble from that basis): solve afresh.
  }
  ClpSolve how;
  LpMethod method = opt.method;
  if (method == LpMethod::kAuto)
    method = m.num_rows() > kBarrierFromRows ? LpMethod::kBarrier : LpMethod::kDual;
  switch (method) {
    case LpMethod::kDual: how.setSolveType(ClpSolve::useDual); break;
    case LpMethod::kPrimal: how.setSolveType(ClpSolve::usePrimalorSprint); break;
    case LpMethod::kBarrier: how.setSolveType(ClpSolve::useBarrier); break;
    case LpMethod::kAuto: how.setSolveType(ClpSolve::automatic); break;
  }
  how.setPresolveType(opt.presolve ? ClpSolve::presolveOn : ClpSolve::presolveOff);
  clp.initialSolve(how);
  int status = clp.status();
  if (status == 3 && opt.lp_time_limit_s > 0 && clp.hitMaximumIterations()) {
    sol.status = LpStatus::kTimeLimitNoSolution;
    return sol;
  }
  if (status == 1) {
    sol.status = LpStatus::kInfeasible;
    return sol;
  }
  if (status == 2) {
    sol.status = LpStatus::kUnbounded;
    return sol;
  }
  if (status != 0) {
    // Presolve can leave a model "stopped" on numerical difficulty; one more
    // pass without presolve from the current basis usually finishes it.
    clp.primal(1);
    status = clp.status();
    if (status == 1) {
      sol.status = LpStatus::kInfeasible;
      return sol;
    }
    if (status != 0)
      return Status::Internal("Clp stopped without an optimal solution (status " + std::to_string(status) +
                              ", secondary " + std::to_string(clp.secondaryStatus()) + ")");
  }
  return Finish(m, clp, sol);
}

StatusOr<LpSolution> SolveWithCbc(const LpModel& m, const Csc& csc, const Bounds& b,
                                  const LpSolveOptions& opt) {
  LpSolution sol;
  sol.solved_as_mip = true;
  OsiClpSolverInterface osi;
  osi.messageHandler()->setLogLevel(0);
  osi.getModelPtr()->setLogLevel(0);
  osi.loadProblem(m.num_columns(), m.num_rows(), csc.start.data(), csc.index.data(), csc.value.data(),
                  b.collb.data(), b.colub.data(), b.obj.data(), b.rowlb.data(), b.rowub.data());
  for (int j = 0; j < m.num_columns(); ++j)
    if (m.columns[j].is_integer) osi.setInteger(j);
  osi.setHintParam(OsiDoReducePrint, true, OsiHintTry);

  // Cbc's standard driver keeps static parameter tables: one MIP at a time.
  static std::mutex cbc_driver_mutex;
  std::lock_guard<std::mutex> lock(cbc_driver_mutex);
  CbcModel cbc(osi);
  cbc.setLogLevel(0);
  cbc.messageHandler()->setLogLevel(0);
  CbcMain0(cbc);
  cbc.setLogLevel(0);
  cbc.messageHandler()->setLogLevel(0);
  char seconds[32], ratio[32];
  std::snprintf(seconds, sizeof seconds, "%g", std::max(0.01, opt.mip_time_limit_s));
  std::snprintf(ratio, sizeof ratio, "%g", std::max(0.0, opt.mip_relative_gap));
  std::vector<const char*> argv = {"fungible", "-log",  "0",      "-slog", "0",        "-timeMode", "elapsed",
                                   "-sec",     seconds, "-ratio", ratio,   "-threads", "0"};
  char dual_tolerance[32];
  if (opt.dual_tolerance > 0) {
    std::snprintf(dual_tolerance, sizeof dual_tolerance, "%g", opt.dual_tolerance);
    argv.push_back("-dualT");
    argv.push_back(dual_tolerance);
  }
  argv.push_back("-solve");
  argv.push_back("-quit");
  CbcMain1(static_cast<int>(argv.size()), argv.data(), cbc);

  const double* best = cbc.bestSolution();
  if (cbc.isProvenInfeasible() && best == nullptr) {
    sol.status = LpStatus::kInfeasible;
    return sol;
  }
  if (best == nullptr) {
    if (cbc.isSecondsLimitReached()) {
      sol.status = LpStatus::kTimeLimitNoSolution;
      return sol;
    }
    if (cbc.isContinuousUnbounded()) {
      sol.status = LpStatus::kUnbounded;
      return sol;
    }
    // Cbc may return with no solution and no proof flags when the
    // preprocessed model was found infeasible.
    sol.status = LpStatus::kInfeasible;
    return sol;
  }
  sol.status = cbc.isProvenOptimal() ? LpStatus::kOptimal : LpStatus::kTimeLimit;
  sol.x.assign(best, best + m.num_columns());
  // Objective and row activity recomputed from the solution in the model's own
  // terms (independent of Cbc's internal scaling and preprocessing).
  double obj = 0;
  for (int j = 0; j < m.num_columns(); ++j) obj += m.columns[j].obj * sol.x[j];
  sol.objective = obj;
  sol.best_bound = std::min(obj, cbc.getBestPossibleObjValue());
  sol.row_activity.assign(m.num_rows(), 0.0);
  for (int j = 0; j < m.num_columns(); ++j)
    for (CoinBigIndex k = csc.start[j]; k < csc.start[j + 1]; ++k)
      sol.row_activity[csc.index[k]] += csc.value[k] * sol.x[j];
  return sol;
}

}  // namespace

StatusOr<LpSolution> SolveLpModel(const LpModel& model, const LpSolveOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  try {
    Csc csc;
    FUNGIBLE_RETURN_IF_ERROR(ToCsc(model, csc));
    Bounds b;
    FUNGIBLE_RETURN_IF_ERROR(ToBounds(model, b));
    bool mip = !options.relax_integers && model.has_integers();
    StatusOr<LpSolution> sol =
        mip ? SolveWithCbc(model, csc, b, options) : SolveWithClp(model, csc, b, options);
    if (sol.ok()) sol->seconds = Seconds(t0);
    return sol;
  } catch (const CoinError& e) {
    return Status::Internal("COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while solving the LP");
  }
}

Status WriteLpModelMps(const LpModel& model, const std::string& path) {
  try {
    Csc csc;
    FUNGIBLE_RETURN_IF_ERROR(ToCsc(model, csc));
    Bounds b;
    FUNGIBLE_RETURN_IF_ERROR(ToBounds(model, b));
    const int nc = model.num_columns(), nr = model.num_rows();
    std::vector<int> lengths(nc);
    for (int j = 0; j < nc; ++j) lengths[j] = static_cast<int>(csc.start[j + 1] - csc.start[j]);
    CoinPackedMatrix matrix(true, nr, nc, csc.start.back(), csc.value.data(), csc.index.data(),
                            csc.start.data(), lengths.data());
    std::vector<char> integrality(nc, 0);
    for (int j = 0; j < nc; ++j) integrality[j] = model.columns[j].is_integer ? 1 : 0;
    std::vector<std::string> col_names(nc), row_names(nr);
    for (int j = 0; j < nc; ++j) col_names[j] = model.ColumnName(j);
    for (int i = 0; i < nr; ++i) row_names[i] = model.RowName(i);
    CoinMpsIO io;
    io.messageHandler()->setLogLevel(0);
    io.setMpsData(matrix, COIN_DBL_MAX, b.collb.data(), b.colub.data(), b.obj.data(), integrality.data(),
                  b.rowlb.data(), b.rowub.data(), col_names, row_names);
    io.setProblemName("fungible");
    io.setObjectiveName("OBJ");
    int rc = io.writeMps(path.c_str(), 0, 1, 2);
    if (rc != 0) return Status::Invalid(path + ": cannot write MPS file");
    return Status::Ok();
  } catch (const CoinError& e) {
    return Status::Internal(path + ": COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
  }
}

}  // namespace fungible

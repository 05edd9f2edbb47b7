#include "lp/solve.h"

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
#include <new>
#include <string>

#include "util/timer.h"

namespace fungible {

const char* LpStatusName(LpStatus s) {
  switch (s) {
    case LpStatus::kOptimal: return "optimal";
    case LpStatus::kInfeasible: return "infeasible";
    case LpStatus::kUnbounded: return "unbounded";
    case LpStatus::kTimeLimit: return "time_limit";
    case LpStatus::kTimeLimitNoSolution: return "time_limit_no_solution";
    case LpStatus::kStopped: return "stopped";
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

Status ToCsc(const LpModel& m, Csc& out, bool drop_zeros) {
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
  // Merge duplicates (adjacent after the sort); drop_zeros: drop entries
  // whose sum is exactly zero.
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
        if (drop_zeros && static_cast<CoinBigIndex>(out.index.size()) > out.start[c] &&
            out.value.back() == 0) {
          out.index.pop_back();
          out.value.pop_back();
        }
        out.index.push_back(idx[pos]);
        out.value.push_back(val[pos]);
      }
    }
    if (drop_zeros && static_cast<CoinBigIndex>(out.index.size()) > out.start[c] && out.value.back() == 0) {
      out.index.pop_back();
      out.value.pop_back();
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

// The one path from an LpModel into COIN: every solve and write starts here.
struct CoinArrays {
  Csc csc;
  Bounds bounds;
};

Status ToCoinArrays(const LpModel& m, CoinArrays& out, bool drop_zeros = false) {
  FUNGIBLE_RETURN_IF_ERROR(ToCsc(m, out.csc, drop_zeros));
  return ToBounds(m, out.bounds);
}

void LoadInto(const LpModel& m, const CoinArrays& a, ClpSimplex& clp) {
  clp.loadProblem(m.num_columns(), m.num_rows(), a.csc.start.data(), a.csc.index.data(), a.csc.value.data(),
                  a.bounds.collb.data(), a.bounds.colub.data(), a.bounds.obj.data(), a.bounds.rowlb.data(),
                  a.bounds.rowub.data());
}

void LoadInto(const LpModel& m, const CoinArrays& a, OsiClpSolverInterface& osi) {
  osi.loadProblem(m.num_columns(), m.num_rows(), a.csc.start.data(), a.csc.index.data(), a.csc.value.data(),
                  a.bounds.collb.data(), a.bounds.colub.data(), a.bounds.obj.data(), a.bounds.rowlb.data(),
                  a.bounds.rowub.data());
}

void Quiet(ClpSimplex& clp) {
  clp.setLogLevel(0);
  clp.messageHandler()->setLogLevel(0);
}

Status CoinFailure(const CoinError& e) {
  return Status::Internal("COIN-OR " + e.className() + "::" + e.methodName() + ": " + e.message());
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

StatusOr<LpSolution> SolveWithClp(const LpModel& m, const CoinArrays& a, const LpSolveOptions& opt) {
  LpSolution sol;
  ClpSimplex clp;
  clp.setLogLevel(0);
  if (opt.dual_tolerance > 0) clp.setDualTolerance(opt.dual_tolerance);
  clp.messageHandler()->setLogLevel(0);
  LoadInto(m, a, clp);
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

StatusOr<LpSolution> SolveWithCbc(const LpModel& m, const CoinArrays& a, const LpSolveOptions& opt) {
  const Csc& csc = a.csc;
  LpSolution sol;
  sol.solved_as_mip = true;
  OsiClpSolverInterface osi;
  osi.messageHandler()->setLogLevel(0);
  osi.getModelPtr()->setLogLevel(0);
  LoadInto(m, a, osi);
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
    CoinArrays a;
    FUNGIBLE_RETURN_IF_ERROR(ToCoinArrays(model, a));
    bool mip = !options.relax_integers && model.has_integers();
    StatusOr<LpSolution> sol = mip ? SolveWithCbc(model, a, options) : SolveWithClp(model, a, options);
    if (sol.ok()) sol->seconds = SecondsSince(t0);
    return sol;
  } catch (const CoinError& e) {
    return CoinFailure(e);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while solving the LP");
  }
}

Status WriteLpModelMps(const LpModel& model, const std::string& path) {
  try {
    CoinArrays a;
    FUNGIBLE_RETURN_IF_ERROR(ToCoinArrays(model, a));
    const Csc& csc = a.csc;
    const Bounds& b = a.bounds;
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

// ---- LpSolver ----

namespace {

LpStatus FromClpStatus(const ClpSimplex& clp) {
  switch (clp.status()) {
    case 0: return LpStatus::kOptimal;
    case 1: return LpStatus::kInfeasible;
    case 2: return LpStatus::kUnbounded;
    case 3:
      return clp.hitMaximumIterations() && clp.maximumSeconds() > 0 ? LpStatus::kTimeLimitNoSolution
                                                                    : LpStatus::kStopped;
    default: return LpStatus::kStopped;
  }
}

}  // namespace

LpSolver::LpSolver() = default;
LpSolver::~LpSolver() = default;
LpSolver::LpSolver(LpSolver&&) noexcept = default;
LpSolver& LpSolver::operator=(LpSolver&&) noexcept = default;

LpSolver::LpSolver(const LpSolver& other) {
  if (other.clp_) {
    clp_ = std::make_unique<ClpSimplex>(*other.clp_);
    Quiet(*clp_);
  }
}

LpSolver& LpSolver::operator=(const LpSolver& other) {
  if (this != &other) *this = LpSolver(other);
  return *this;
}

StatusOr<LpSolver> LpSolver::Load(const LpModel& model) {
  try {
    CoinArrays a;
    FUNGIBLE_RETURN_IF_ERROR(ToCoinArrays(model, a, /*drop_zeros=*/true));
    LpSolver s;
    s.clp_ = std::make_unique<ClpSimplex>();
    Quiet(*s.clp_);
    LoadInto(model, a, *s.clp_);
    return s;
  } catch (const CoinError& e) {
    return CoinFailure(e);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while loading the LP");
  }
}

int LpSolver::num_columns() const { return clp_->numberColumns(); }
int LpSolver::num_rows() const { return clp_->numberRows(); }

void LpSolver::SetColumnBounds(int column, double lb, double ub) {
  clp_->setColumnLower(column, ToCoin(lb));
  clp_->setColumnUpper(column, ToCoin(ub));
}
void LpSolver::SetColumnUpper(int column, double ub) { clp_->setColumnUpper(column, ToCoin(ub)); }
void LpSolver::SetRowUpper(int row, double ub) { clp_->setRowUpper(row, ToCoin(ub)); }

Status LpSolver::AppendRows(const LpModel& model, int first_row) {
  const int nr = model.num_rows();
  if (first_row < 0 || first_row > nr || model.num_columns() != num_columns())
    return Status::Internal("LpSolver::AppendRows: rows from " + std::to_string(first_row) +
                            " of a model with " + std::to_string(model.num_columns()) +
                            " columns, solver has " + std::to_string(num_columns()));
  if (first_row == nr) return Status::Ok();
  std::vector<std::vector<int>> cols(static_cast<size_t>(nr - first_row));
  std::vector<std::vector<double>> vals(cols.size());
  for (size_t k = 0; k < model.num_coefficients(); ++k) {
    const int r = model.coef_row[k];
    if (r < first_row) continue;
    if (r >= nr || model.coef_col[k] < 0 || model.coef_col[k] >= model.num_columns())
      return Status::Internal("LP coefficient (" + std::to_string(r) + ", " +
                              std::to_string(model.coef_col[k]) + ") out of range");
    cols[r - first_row].push_back(model.coef_col[k]);
    vals[r - first_row].push_back(model.coef_value[k]);
  }
  try {
    for (int r = first_row; r < nr; ++r) {
      const auto& c = cols[r - first_row];
      clp_->addRow(static_cast<int>(c.size()), c.data(), vals[r - first_row].data(), ToCoin(model.rows[r].lb),
                   ToCoin(model.rows[r].ub));
    }
    return Status::Ok();
  } catch (const CoinError& e) {
    return CoinFailure(e);
  }
}

StatusOr<LpStatus> LpSolver::SolveFromScratch() {
  try {
    clp_->initialSolve();
    return FromClpStatus(*clp_);
  } catch (const CoinError& e) {
    return CoinFailure(e);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while solving the LP");
  }
}

StatusOr<LpStatus> LpSolver::SolveWarm(const std::vector<unsigned char>* basis, bool primal_fallback) {
  try {
    if (basis != nullptr) {
      const size_t size = static_cast<size_t>(num_columns()) + num_rows();
      if (basis->size() != size)
        return Status::Internal("LpSolver: a basis of " + std::to_string(basis->size()) + " entries for " +
                                std::to_string(size) + " columns and rows");
      clp_->copyinStatus(basis->data());
    }
    clp_->dual(0);
    if (clp_->status() != 0 && primal_fallback) clp_->primal(0);
    return FromClpStatus(*clp_);
  } catch (const CoinError& e) {
    return CoinFailure(e);
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory while solving the LP");
  }
}

double LpSolver::objective() const { return clp_->objectiveValue(); }
std::span<const double> LpSolver::x() const {
  return {clp_->primalColumnSolution(), static_cast<size_t>(num_columns())};
}
std::span<const double> LpSolver::reduced_costs() const {
  return {clp_->dualColumnSolution(), static_cast<size_t>(num_columns())};
}
std::vector<unsigned char> LpSolver::basis() const {
  const unsigned char* st = clp_->statusArray();
  return {st, st + num_columns() + num_rows()};
}

}  // namespace fungible

// The COIN-OR adapter, the only code that talks to COIN: Clp for LPs, Cbc
// over OsiClpSolverInterface for MIPs, CoinMpsIO for MPS files.
//
// Two ways in:
//  * SolveLpModel: one model, one solve (LP, LP relaxation, or MIP), with
//    options (method, presolve, time limits, MIP gap, warm basis).
//  * LpSolver: a model loaded once and re-solved many times, its bounds
//    changed in place and rows appended, each solve continuing from the last
//    basis (Benders' subproblems and master in plan/).
//
// Every call returns its own status (did the call work: Status / StatusOr)
// apart from the model's (LpStatus: optimal, infeasible, unbounded, time
// limit, stopped). Infeasible and unbounded are answers, not errors. COIN
// exceptions never leave this module: they become kInternal errors.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lp/model.h"
#include "util/status.h"

class ClpSimplex;

namespace fungible {

enum class LpStatus {
  kOptimal,
  kInfeasible,           // primal infeasible (or integer infeasible)
  kUnbounded,            // dual infeasible
  kTimeLimit,            // MIP stopped at the time limit with an incumbent in `x`
  kTimeLimitNoSolution,  // stopped at the time limit without a solution (MIP: no integer one)
  kStopped,              // LpSolver only: the simplex stopped short (numerical trouble, iteration limit)
};
const char* LpStatusName(LpStatus s);  // "optimal", ...; "unknown" for a value out of range

// kAuto: dual simplex for models up to kBarrierFromRows rows, else the
// barrier (interior point) with crossover to a basic solution: the
// period-coupled switching rows make large allocation LPs highly degenerate
// for the simplex, and the barrier handles them far better (see
// docs/benchmarks.md).
enum class LpMethod { kDual, kPrimal, kBarrier, kAuto };
inline constexpr int kBarrierFromRows = 20000;

struct LpSolveOptions {
  bool relax_integers = false;  // solve the LP relaxation even when the model has integers
  LpMethod method = LpMethod::kAuto;
  bool presolve = true;
  double mip_time_limit_s = 60;  // wall clock, Cbc only
  double mip_relative_gap = 1e-9;
  // Clp's dual feasibility tolerance (Clp and Cbc's LPs); 0 = Clp's default,
  // 1e-7. Models whose objective coefficients are themselves near 1e-7 (a
  // scenario's weight times small costs) need a tighter one, or the simplex
  // stops short of the optimum and Cbc "proves" a wrong bound.
  double dual_tolerance = 0;
  // Wall-clock limit of an LP solve (Clp), 0 = none. An LP stopped by it is
  // reported as kTimeLimitNoSolution.
  double lp_time_limit_s = 0;
  // Warm start (LP solves): Clp's status array (one byte per column, then
  // per row) of a model with the same columns and rows, e.g. LpSolution::basis
  // of the previous solve. The solve then skips presolve and continues with
  // the dual simplex from that basis. Ignored when the sizes differ.
  const std::vector<unsigned char>* warm_basis = nullptr;
};

struct LpSolution {
  LpStatus status = LpStatus::kOptimal;
  double objective = 0;              // of the minimisation, at `x`
  double best_bound = 0;             // MIP: best lower bound; LP: = objective
  std::vector<double> x;             // per column (empty when no solution)
  std::vector<double> row_activity;  // per row
  std::vector<double> row_dual;      // per row; LP solves only (empty for MIPs)
  std::vector<unsigned char> basis;  // LP solves: Clp's final status array (for warm_basis)
  bool solved_as_mip = false;
  double seconds = 0;  // wall time inside COIN (load + solve)
};

// Thread safety: LP solves (Clp) run concurrently on separate models; MIP
// solves go through Cbc's standard driver (CbcMain0/CbcMain1), which keeps
// static state, so they are serialised by a process-wide mutex.
// Solves `model` with Clp (LP, or the LP relaxation) or Cbc (MIP). Infeasible
// and unbounded models are successful calls with that status; errors mean the
// solver failed (numerical trouble, iteration limit, COIN exception) or the
// model is malformed (an index out of range, a NaN).
StatusOr<LpSolution> SolveLpModel(const LpModel& model, const LpSolveOptions& options = {});

// Writes `model` as MPS (free format when names are long), with the objective
// row "OBJ" as a minimisation and integer columns as BV / UI bounds. Extra
// accuracy so another solver reproduces the optimum to ~1e-12.
Status WriteLpModelMps(const LpModel& model, const std::string& path);

// An LP (integrality ignored) loaded into Clp once and re-solved: bounds
// changed in place, rows appended, each solve starting from a basis. Copies
// are deep (a copy of a loaded solver is far cheaper than a load), so one
// pristine solver can serve many threads, each solving its own copy.
// Not thread-safe itself.
class LpSolver {
 public:
  static StatusOr<LpSolver> Load(const LpModel& model);
  LpSolver(const LpSolver& other);
  LpSolver& operator=(const LpSolver& other);
  LpSolver(LpSolver&&) noexcept;
  LpSolver& operator=(LpSolver&&) noexcept;
  ~LpSolver();

  int num_columns() const;
  int num_rows() const;

  // Bounds (+-kLpInfinity allowed). REQUIRES: a valid index.
  void SetColumnBounds(int column, double lb, double ub);
  void SetColumnUpper(int column, double ub);
  void SetRowUpper(int row, double ub);
  // An objective coefficient, and a matrix coefficient (inserted when absent).
  void SetObjective(int column, double c);
  void SetCoefficient(int row, int column, double value);
  // Appends rows [first_row, model.num_rows()) of `model` (a model whose
  // columns are this solver's), coefficients in the order they were added.
  Status AppendRows(const LpModel& model, int first_row);

  // Clp's default initial solve (presolve, automatic method), from scratch.
  StatusOr<LpStatus> SolveFromScratch();
  // The dual simplex from `basis` (a status array of num_columns() +
  // num_rows() bytes, e.g. basis() of an earlier solve), or, when it is null,
  // from this solver's current state. primal_fallback: when the dual simplex
  // stops short, the primal simplex continues from where it stopped.
  StatusOr<LpStatus> SolveWarm(const std::vector<unsigned char>* basis, bool primal_fallback = false);

  // The last solve's results (valid after kOptimal).
  double objective() const;
  std::span<const double> x() const;              // per column
  std::span<const double> reduced_costs() const;  // per column
  std::vector<unsigned char> basis() const;       // status array for SolveWarm

 private:
  LpSolver();
  std::unique_ptr<ClpSimplex> clp_;
};

}  // namespace fungible

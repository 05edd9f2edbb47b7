// A small sparse LP/MIP container, its COIN-OR adapter (Clp for LPs, Cbc over
// OsiClpSolverInterface for MIPs, CoinMpsIO for MPS files), and the allocation
// model as reusable building blocks.
//
// Every stage that needs the allocation LP (allocate, the two-stage procurement
// program, the simulator) builds it with AppendAllocationLp() into an LpModel
// and adds its own columns and coefficients; nobody copies the model.
//
// Conventions:
//  * An LpModel is a MINIMISATION: objective = sum obj[j] * x[j]. Stages that
//    maximise value store -value (AppendAllocationLp does, see below).
//  * Infinite bounds are +-kLpInfinity (IEEE infinity); the adapter maps them
//    to COIN's infinity.
//  * Coefficients are triplets; several for the same (row, column) are summed
//    when the model is loaded or written.
//  * COIN exceptions never leave this module: they become Status errors.
#pragma once

#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "allocate/allocate.h"
#include "util/status.h"

namespace fungible {

inline constexpr double kLpInfinity = std::numeric_limits<double>::infinity();

struct LpModel {
  struct Column {
    double obj = 0;
    double lb = 0;
    double ub = kLpInfinity;
    bool is_integer = false;
  };
  struct Row {
    double lb = -kLpInfinity;
    double ub = kLpInfinity;
  };

  // keep_names = false skips storing names (faster builds for solve-only use);
  // names are then generated ("C12", "R7") when written.
  explicit LpModel(bool keep_names = true) : keep_names(keep_names) {}

  bool keep_names = true;
  std::vector<Column> columns;
  std::vector<Row> rows;
  std::vector<std::string> column_names;  // empty unless keep_names
  std::vector<std::string> row_names;     // empty unless keep_names
  std::vector<int> coef_row;              // triplets
  std::vector<int> coef_col;
  std::vector<double> coef_value;

  int AddColumn(std::string_view name, double obj, double lb, double ub, bool is_integer = false);
  int AddRow(std::string_view name, double lb, double ub);
  void AddCoefficient(int row, int col, double value) {
    coef_row.push_back(row);
    coef_col.push_back(col);
    coef_value.push_back(value);
  }
  void Reserve(size_t num_columns, size_t num_rows, size_t num_coefficients);

  int num_columns() const { return static_cast<int>(columns.size()); }
  int num_rows() const { return static_cast<int>(rows.size()); }
  size_t num_coefficients() const { return coef_value.size(); }
  bool has_integers() const;
  std::string ColumnName(int j) const;
  std::string RowName(int i) const;
};

enum class LpStatus {
  kOptimal,
  kInfeasible,          // primal infeasible (or integer infeasible)
  kUnbounded,           // dual infeasible
  kTimeLimit,           // MIP stopped at the time limit with an incumbent in `x`
  kTimeLimitNoSolution  // stopped at the time limit without a solution (MIP: no integer one)
};
const char* LpStatusName(LpStatus s);

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
// solver failed (numerical trouble, iteration limit, COIN exception).
StatusOr<LpSolution> SolveLpModel(const LpModel& model, const LpSolveOptions& options = {});

// Writes `model` as MPS (free format when names are long), with the objective
// row "OBJ" as a minimisation and integer columns as BV / UI bounds. Extra
// accuracy so another solver reproduces the optimum to ~1e-12.
Status WriteLpModelMps(const LpModel& model, const std::string& path);

// ---- The allocation model as a building block ----

// Where AppendAllocationLp put things. Indices into the LpModel; -1 = absent.
struct AllocationLpIndex {
  int first_column = 0;  // columns [first_column, end_column) and rows
  int end_column = 0;    // [first_row, end_row) belong to this instance
  int first_row = 0;
  int end_row = 0;

  // sum_w chips_per_unit[p][w] * x_col[p][w][t] <= capacity_chips[p][t].
  // Callers may add their own columns with negative coefficients (capacity
  // bought elsewhere) and move the right-hand side. Dual / (-weight * hours)
  // is the price of one chip-hour.
  std::vector<std::vector<int>> capacity_row;  // [p][t]
  // Chips of pool p on workload w in period t are chips_per_unit[p][w] times
  // the value of x_col[p][w][t]. chips_per_unit is 1 for elastic workloads; for
  // gang workloads the column counts gangs (integer unless relaxed) and
  // chips_per_unit is the chips one gang consumes on that pool.
  std::vector<std::vector<std::vector<int>>> x_col;  // [p][w][t]
  std::vector<std::vector<double>> chips_per_unit;   // [p][w]
  std::vector<std::vector<bool>> is_gang;            // [p][w]
  // Served tokens of model m in t, in MILLIONS of output tokens, <= demand.
  std::vector<std::vector<int>> demand_row;  // [m][t]
  // sum_k bid_col[w][k][t] - sum_p eff*chips <= 0 (effective chips per hour).
  std::vector<std::vector<int>> bid_row;               // [w][t]
  std::vector<std::vector<std::vector<int>>> bid_col;  // [w][k][t]
  // Floors: sum_{t in window} sum_p eff*h_t*chips >= required (effective
  // chip-hours). A caller may add a shortfall column to relax one.
  struct FloorRow {
    int workload = 0;
    int first_period = 0;
    int last_period = 0;
    double required_effective_chip_hours = 0;
    int row = -1;
  };
  std::vector<FloorRow> floor_rows;
  // Switching: chips_moved_in[p][w][t] >= chips[p][w][t] - chips[p][w][t-1].
  std::vector<std::vector<std::vector<int>>> switch_col;  // [p][w][t], t >= 1
  std::vector<std::vector<std::vector<int>>> switch_row;  // [p][w][t], t >= 1
  // kPerGroup: the same per pool and workload group (0 serving, 1 the rest).
  std::vector<std::vector<std::vector<int>>> group_switch_col;  // [p][g][t], t >= 1
  std::vector<std::vector<std::vector<int>>> group_switch_row;  // [p][g][t], t >= 1
  // Interconnect domains used by gangs <= whole domains in the pool.
  std::vector<std::vector<int>> domain_row;               // [p][t]
  std::vector<std::vector<std::vector<int>>> domain_col;  // [p][w][t] domains reserved for w (rare)
};

// How AppendAllocationLp prices switching (when the switch cost is > 0).
//  * kPerClass: the full model: chips moved into each class on each pool,
//    y[p,w,t] >= chips[p,w,t] - chips[p,w,t-1]. One row per pool, class and
//    period, chained through time: exact, but the LP fills in at fleet scale.
//  * kPerGroup: chips moved into each workload group (serving, everything
//    else) on each pool, Y[p,G,t] >= sum_{w in G} (chips[p,w,t] -
//    chips[p,w,t-1]). Since sum_G max(0, sum_{w in G} d_w) <= sum_w max(0, d_w),
//    this never charges more than the full model: its optimum is an upper
//    bound on the full model's, with far fewer chained rows.
//  * kNone: no switching rows (also an upper bound, looser).
enum class SwitchingRows { kPerClass, kPerGroup, kNone };

struct AllocationLpOptions {
  bool integer_gangs = true;  // gang columns integer (else continuous)
  SwitchingRows switching = SwitchingRows::kPerClass;
  // Upper bounds on gang columns from the whole domains in the instance's
  // capacity (they tighten the MIP; elastic chip columns have no upper bound
  // of their own, the capacity row bounds them, which keeps its dual unique). A caller that adds capacity
  // through its own columns in the capacity rows must set this to false, and move domain_row bounds itself.
  bool bound_columns_by_capacity = true;
  // A tiny cost per allocated chip-hour so that chips which add no value stay
  // idle instead of sitting on an arbitrary workload at a degenerate optimum.
  // It lowers the objective by at most this much per allocated chip-hour and
  // shadow prices by at most this much per chip-hour.
  double idle_preference_usd_per_chip_hour = 1e-6;
  // Per class: give it variables whether or not it can earn value in this
  // instance (empty = HasValue). Models cut from a longer horizon pass the
  // horizon's answer so that every cut has the same columns and rows.
  std::vector<char> classes_with_value;
};

// How one gang of workload w sits on pool p: a gang larger than the domain
// takes ceil(G/D) whole domains (and all their chips); a smaller one lives in a
// single domain, floor(D/G) of them per domain.
struct GangFit {
  bool is_gang = false;
  double chips_per_gang = 1;  // chips consumed by one gang on this pool
  int domains_per_gang = 0;   // G > D: ceil(G/D); else 0
  int gangs_per_domain = 0;   // G <= D: floor(D/G); else 0
};
GangFit GangFitOn(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p);
// H100-equivalent work per chip of pool p allocated to w: the efficiency
// (1.0 for a serving class without one), times G / chips_per_gang for a gang
// that strands part of its last domain (a 12-chip gang on 8-chip domains holds
// 16 chips and does 12 chips of work).
double EffectivePerChip(const AllocationInstance& instance, int w, int p);
// Most gangs of w that pool p could host in period t on whole domains alone.
int MaxGangs(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p, int t);
// Whether w may use pool p at all (eligible, and for serving, throughput > 0).
bool IsEligible(const AllocationInstance& instance, int w, int p);
// Whether a variable for w is worth creating: it serves a model, bids, or has a floor.
bool HasValue(const AllocationInstance& instance, int w);

// The workload group kPerGroup switching prices moves between: 0 for a class
// that serves a model, 1 for every other class (training, RL, research).
inline constexpr int kWorkloadGroups = 2;
int WorkloadGroup(const AllocationInstance& instance, int w);

// Checks sizes and values of `instance` (vectors per period/pool, indices).
Status ValidateInstance(const AllocationInstance& instance);

// Appends the allocation model of `instance` (see allocate.h) to `lp`, with
// objective coefficients -objective_weight * value (so that minimising `lp`
// maximises weight * (token revenue + bid value - switch cost)). Every name is
// prefixed with `name_prefix` (e.g. "s3_" for scenario 3). REQUIRES:
// ValidateInstance(instance).ok().
AllocationLpIndex AppendAllocationLp(const AllocationInstance& instance, LpModel& lp, double objective_weight,
                                     const std::string& name_prefix, const AllocationLpOptions& options = {});

}  // namespace fungible

// The allocation model as a reusable building block of an LpModel.
//
// Every stage that needs the allocation LP (allocate, the two-stage procurement
// program, the simulator) builds it with AppendAllocationLp() into an LpModel
// (lp/model.h) and adds its own columns and coefficients; nobody copies the
// model. The objective is a minimisation: AppendAllocationLp stores -value.
#pragma once

#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "allocate/instance.h"
#include "lp/model.h"

namespace fungible {

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
    int workload = 0;  // -1 for a shared floor
    int shared = -1;   // index into instance.shared_floors, or -1
    int first_period = 0;
    int last_period = 0;
    double required_effective_chip_hours = 0;
    int row = -1;
  };
  std::vector<FloorRow> floor_rows;
  // Shared floors: the same with the sum over the floor's member classes.
  std::vector<FloorRow> shared_floor_rows;
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

// Appends the allocation model of `instance` (see allocate.h) to `lp`, with
// objective coefficients -objective_weight * value (so that minimising `lp`
// maximises weight * (token revenue + bid value - switch cost)). Every name is
// prefixed with `name_prefix` (e.g. "s3_" for scenario 3). REQUIRES:
// ValidateInstance(instance).ok().
AllocationLpIndex AppendAllocationLp(const AllocationInstance& instance, LpModel& lp, double objective_weight,
                                     const std::string& name_prefix, const AllocationLpOptions& options = {});

}  // namespace fungible

// Solving the two-stage program: the extensive form (every scenario block in
// one LP/MIP, Cbc when offers are all-or-nothing or have a minimum), or
// multi-cut Benders decomposition (L-shaped) whose scenario subproblems run on
// threads and, through PlanComm, across MPI ranks. Both return the same
// first stage (within the gap) and report every scenario from the same
// subproblem evaluation, so figures do not depend on the method.
//
// Program (minimisation, millions of USD):
//   min  lambda * eta + sum_s p_s V_s(q, eta)
//   s.t. 0 <= q_o <= max_o ; q_o in {0} u [min_o, max_o] (binary y_o) ; q_o = max_o y_o (all-or-nothing)
// where V_s is the optimum of scenario s's block (block.h) at the first stage.
// Benders: master  min lambda*eta + sum_s p_s theta_s  with cuts
//   theta_s >= V_s(x^) + g_s . (x - x^)   (g_s: reduced costs of the fixed links)
// first over the LP relaxation of the binaries, then with them integer (Cbc),
// until (upper - lower) <= relative_gap * |upper|.
// Cut groups: the scenarios may be aggregated into K contiguous groups with
// one theta_g and one cut per group per iteration,
//   theta_g >= sum_{s in g} (p_s / P_g) (V_s(x^) + g_s . (x - x^)),  objective P_g theta_g,
// so the master keeps K columns however many scenarios there are (K = S is
// multi-cut, K = 1 single-cut). The groups depend on S and K only, never on
// threads or ranks; every K converges to the same optimum within the gap.
// Stabilised (SolveOptions::stabilise): the start is the plan of every 10th
// scenario, and while the master is the LP relaxation each next point
// minimises the master within |x_j - x^_j| <= delta_j around the incumbent
// x^ (delta doubled after a step that gained at least half of what the master
// predicted and hit the box, halved after a step that lost); the whole
// master is solved too, for the lower bound and the stopping test. Each pass
// over the scenarios then moves the plan little (fewer simplex pivots per
// subproblem) and the cuts gather where the optimum is (fewer passes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/block.h"
#include "plan/problem.h"
#include "util/status.h"

namespace fungible {

// How scenario work is shared between processes. The default is one process.
class PlanComm {
 public:
  virtual ~PlanComm() = default;
  virtual int rank() const { return 0; }
  virtual int size() const { return 1; }
  // Replaces every rank's `data` by rank 0's.
  virtual void Broadcast(std::vector<double>& data) const {}
  // Every rank's `mine`, concatenated in rank order, on every rank.
  virtual std::vector<double> AllGather(const std::vector<double>& mine) const { return mine; }
};

// Every scenario subproblem's last optimal basis, carried from one
// SolveProgram call to the next on the same scenarios (the passes of one
// `fungible plan` run: the plan, the terminal values' fixed plans, the final
// plan, VSS): each scenario then starts from its own last basis, not from
// the seed. A basis is only a starting point, so results do not depend on
// it beyond the solver's tolerances; each process keeps the bases of the
// scenarios it solves, and a scenario's bases depend only on the first
// stages it has seen, so never on threads or ranks. Reused only while the
// scenario count and the subproblem's shape are the same.
struct ScenarioBases {
  int rows = 0, columns = 0;
  std::vector<std::vector<unsigned char>> basis;  // [s]; empty = none yet
};

// Benders cuts of one SolveProgram call, for a later call on the same
// scenarios whose subproblems differ only in the links' terms: the terminal
// net per chip that `fungible plan` adds after its first solve changes each
// offer link's objective and value-row coefficient by the same delta_s. The
// value row gives the loss the CVaR row sees, e_s >= -value_s - eta, so
//   V'_s(x, eta) = delta_s . x + V_s(x, eta - delta_s . x),
// a linear change of variables: each scenario's cut
//   V_s(^) + g_s . (x - ^x) + g_eta,s (eta - ^eta)
// becomes the valid cut of the new program
//   V_s(^) + (1 - g_eta,s) delta_s . ^x + (g_s + (1 - g_eta,s) delta_s) . (x - ^x) + g_eta,s (eta - ^eta)
// (without CVaR g_eta = 0: the shift is delta_s . x). A group's cut is the
// weighted sum of its scenarios', so each cut keeps its scenarios' g_eta.
// The later solve thus starts from the earlier one's model of V; any valid
// cut leaves its plan what it is within the gap. An offer valued by a
// terminal curve (problem.h: TerminalCurve) adds -TV_s(x) to its scenario's
// value function instead of a linear delta_s . x: convex (TV_s is concave)
// and 1 - g_eta,s >= 0, so its tangent at ^x, the curve's value and the
// slope above ^x there, is shifted in the same way and the cut stays valid.
// Cuts made under curves are carried only to a program with the same curves
// (then only the links' linear terms differ). Kept on rank 0 (the master's);
// millions of USD like V.
struct BendersCuts {
  int groups = 0;                                   // K of the call that made them
  std::vector<int> group;                           // [cut]
  std::vector<double> value;                        // [cut]: the group's value at `at`
  std::vector<std::vector<double>> gradient, at;    // [cut][link]
  std::vector<std::vector<double>> eta_gradient;    // [cut][i]: g_eta of the group's i-th scenario (CVaR)
  std::vector<std::vector<double>> link_objective;  // [s][link]: c_s of the call that made them
  std::vector<std::vector<TerminalCurve>> terminal_curve;  // [s]: the scenarios' curves of that call
};

enum class PlanMethod { kAuto, kExtensive, kDecomposition };
const char* PlanMethodName(PlanMethod m);  // "auto", "extensive", "decomposition"

struct SolveOptions {
  PlanMethod method = PlanMethod::kAuto;
  int threads = 0;  // 0 = all hardware threads; results never depend on it
  double relative_gap = 1e-6;
  int max_iterations = 1000;
  double mip_time_limit_s = 300;
  const PlanComm* comm = nullptr;  // nullptr = this process alone
  // kAuto picks the extensive form up to this many LP columns.
  int extensive_max_columns = 20000;
  // Benders cut groups K: 0 = auto (multi-cut, K = S, up to 2,000 scenarios;
  // 1,000 groups above), otherwise min(K, S) groups (1 = single-cut).
  int cut_groups = 0;
  // Stabilised Benders: start from the plan of a deterministic sample of the
  // scenarios (every 10th, solved first the same way) and keep each master
  // step of the LP phase within a box around the best plan so far (a trust
  // region); the lower bound and the stopping test still come from the whole
  // master, so the plan is optimal within the gap either way. 0 = auto (on
  // from 100 scenarios), 1 = on, -1 = off (plain Benders).
  int stabilise = 0;
  // Called on rank 0 after each Benders iteration with the best plan's value
  // and the master's lower bound (millions of USD, minimised): progress for
  // the CLI. Never changes the result.
  std::function<void(int iteration, double upper_musd, double lower_musd)> on_iteration;
  // When set: scenario bases to start from and to leave for the next call
  // (see ScenarioBases). Only for calls on the same scenarios and ranks.
  ScenarioBases* bases = nullptr;
  // When set: Benders cuts to start from and to leave for the next call
  // (see BendersCuts: only between programs that differ in the offer
  // links' terms alone; ignored for another number of scenarios or groups).
  // The plan is the same within relative_gap.
  BendersCuts* cuts = nullptr;
};

// Limits on the first stage: chips of offer o in [lo[o], hi[o]] (equal =
// fixed; empty vectors = the offer's own limits), eta fixed when set.
struct FirstStageBounds {
  std::vector<double> lo, hi;
  std::optional<double> eta_musd;
};

struct ProgramSolution {
  // kInfeasible: `bounds` admit no first stage (e.g. an all-or-nothing offer
  // forced to a partial quantity); `infeasibility` says why in the offers'
  // words and nothing else is set. The second stage always has a solution.
  SolveStatus status = SolveStatus::kOptimal;
  std::string infeasibility;
  std::vector<double> chips;  // [offer]: signed chips (0 for on-demand offers)
  double eta_musd = 0;        // CVaR threshold chosen (millions of USD of loss)
  double objective_musd = 0;  // lambda * eta + sum_s p_s V_s at the solution (minimised)
  double lower_bound_musd = 0;
  std::vector<ScenarioOutcome> outcomes;  // [s], with link gradients
  PlanMethod method = PlanMethod::kExtensive;
  int iterations = 0;               // Benders iterations (1 for the extensive form)
  int cut_groups = 0;               // Benders: groups of scenarios with one cut each (= S: multi-cut)
  int lp_rows = 0, lp_columns = 0;  // of the extensive form, or of one subproblem
  bool mip = false;
  double seconds = 0;
  bool converged = true;          // false: Benders stopped at max_iterations before reaching the gap
  double subproblem_seconds = 0;  // wall time evaluating scenarios (all iterations and the final pass)
  double master_seconds = 0;      // wall time in the Benders master (or the extensive form's solver)
};

// Solves `problem` (its scenarios) within `bounds`. Every rank of
// options.comm must call it with the same arguments; every rank gets the
// whole solution. Bounds that admit no first stage are an answer (status
// kInfeasible, see ProgramSolution); errors are solver failures.
StatusOr<ProgramSolution> SolveProgram(const PlanProblem& problem, const FirstStageBounds& bounds,
                                       const SolveOptions& options);

// Objective in USD to maximise: expected profit - expected penalties -
// lambda * CVaR of loss, from the outcomes. It is what SolveProgram
// minimised, sign flipped, with the committed cost the LP leaves out and
// without the cent per allocated chip-hour the LP charges to keep idle
// chips idle.
double ObjectiveUsd(const PlanProblem& problem, const ProgramSolution& solution);

// CVaR at level alpha of the loss (-profit) under the scenario probabilities, USD.
double CvarOfLossUsd(const std::vector<double>& value_usd, const std::vector<double>& probability,
                     double alpha);

}  // namespace fungible

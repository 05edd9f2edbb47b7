// Scenario reduction: K weighted representatives of N scenarios for the
// procurement planner, chosen by greedy forward selection on the Kantorovich
// (Wasserstein-1) distance (Heitsch & Roemisch, 2003).
//
// The distance between the N-point empirical distribution P (probabilities
// p_i) and a distribution Q on K of its points, with each point's mass moved
// to its nearest representative (the optimal redistribution for a given
// support), is  D = sum_i p_i min_k ||f_i - f_rk||  (Euclidean ground cost on
// the feature vectors f). Forward selection adds, one at a time, the
// candidate that lowers D most; the selections are nested, so D never rises
// with K.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "forecast/demand_model.h"
#include "forecast/scenarios.h"
#include "util/status.h"

namespace fungible {

// N feature vectors of dimension `dims`, row-major.
struct ScenarioMatrix {
  int rows = 0;
  int dims = 0;
  std::vector<double> values;  // [i * dims + d]
  const double* Row(int i) const { return values.data() + static_cast<size_t>(i) * dims; }
};

struct ReduceOptions {
  // Candidates considered for selection: every scenario when N is at most
  // this, else this many drawn without replacement (stream kReduce of
  // `seed`). The distance is always measured on all N scenarios.
  int max_candidates = 1000;
  std::uint64_t seed = 1;
  int threads = 0;  // 0 = all hardware threads; results never depend on it
};

struct ReducedScenarios {
  std::vector<int> indices;     // representative scenario indices, in order of selection
  std::vector<double> weights;  // probability mass of each representative; sums to 1
  double distance = 0;          // Kantorovich distance D kept by this reduction
  double distance_one = 0;      // D of the best single representative (for scale)
  // Each scenario's representative (index into `indices`).
  std::vector<int> assignment;
};

// Reduces the rows of `features` with probabilities `probabilities` (empty =
// equal) to k representatives.
// Errors: k < 1 or k > rows, probabilities of the wrong size, negative, or
// not summing to a positive total.
StatusOr<ReducedScenarios> ReduceScenarios(const ScenarioMatrix& features,
                                           std::span<const double> probabilities, int k,
                                           const ReduceOptions& options);

// Features of a scenario set for reduction: each tier's log demand multiple
// in every month (dims = tiers x months), so the distance is in log points
// and treats a 10% miss alike in a small and a large tier.
ScenarioMatrix LogDemandFeatures(const ScenarioSet& set);

// The reduction the planner uses: LogDemandFeatures, equal probabilities.
StatusOr<ReducedScenarios> ReduceScenarios(const ScenarioSet& set, int k, const ReduceOptions& options);

}  // namespace fungible

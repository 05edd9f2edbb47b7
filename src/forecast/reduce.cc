#include "forecast/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "forecast/random.h"
#include "util/parallel.h"

namespace fungible {
namespace {

double Distance(const double* a, const double* b, int dims) {
  // Four partial sums: independent chains the CPU can overlap.
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int d = 0;
  for (; d + 4 <= dims; d += 4) {
    const double e0 = a[d] - b[d], e1 = a[d + 1] - b[d + 1], e2 = a[d + 2] - b[d + 2],
                 e3 = a[d + 3] - b[d + 3];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  for (; d < dims; ++d) s0 += (a[d] - b[d]) * (a[d] - b[d]);
  return std::sqrt((s0 + s1) + (s2 + s3));
}

// Candidate scenario indices: all, or a seeded sample (partial Fisher-Yates),
// sorted for a stable order.
std::vector<int> Candidates(int n, const ReduceOptions& o) {
  std::vector<int> all(static_cast<size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  if (o.max_candidates <= 0 || n <= o.max_candidates) return all;
  Rng rng(o.seed, StreamPurpose::kReduce, 0);
  for (int j = 0; j < o.max_candidates; ++j) {
    const int pick = j + static_cast<int>(rng.Uniform() * (n - j));
    std::swap(all[static_cast<size_t>(j)], all[static_cast<size_t>(pick)]);
  }
  all.resize(static_cast<size_t>(o.max_candidates));
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace

StatusOr<ReducedScenarios> ReduceScenarios(const ScenarioMatrix& features,
                                           std::span<const double> probabilities, int k,
                                           const ReduceOptions& options) {
  const int n = features.rows;
  if (n < 1) return Status::Invalid("scenario reduction: no scenarios to reduce");
  if (k < 1 || k > n)
    return Status::Invalid("scenario reduction: expected between 1 and " + std::to_string(n) +
                           " representatives, got " + std::to_string(k));
  std::vector<double> p(static_cast<size_t>(n), 1.0 / n);
  if (!probabilities.empty()) {
    if (static_cast<int>(probabilities.size()) != n)
      return Status::Invalid("scenario reduction: " + std::to_string(probabilities.size()) +
                             " probabilities for " + std::to_string(n) + " scenarios");
    double total = 0;
    for (double q : probabilities) {
      if (!(q >= 0 && std::isfinite(q)))
        return Status::Invalid("scenario reduction: probabilities must be finite and >= 0");
      total += q;
    }
    if (!(total > 0)) return Status::Invalid("scenario reduction: probabilities sum to 0");
    for (int i = 0; i < n; ++i) p[static_cast<size_t>(i)] = probabilities[static_cast<size_t>(i)] / total;
  }
  const int threads = ResolveThreads(options.threads);
  const std::vector<int> cand = Candidates(n, options);
  const int c = static_cast<int>(cand.size());
  const int dims = features.dims;

  // Cost of every scenario to every candidate, candidate-major (float halves
  // the memory; the final distance is recomputed in double).
  std::vector<float> cost(static_cast<size_t>(c) * n);
  ParallelFor(c, threads, 1, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t u = b; u < e; ++u) {
      const double* fu = features.Row(cand[static_cast<size_t>(u)]);
      float* row = cost.data() + static_cast<size_t>(u) * n;
      for (int i = 0; i < n; ++i) row[i] = static_cast<float>(Distance(features.Row(i), fu, dims));
    }
  });

  // Greedy forward selection. `nearest[i]` is scenario i's distance to the
  // selected set (infinity before the first pick).
  std::vector<double> nearest(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
  std::vector<char> taken(static_cast<size_t>(c), 0);
  std::vector<double> score(static_cast<size_t>(c));
  ReducedScenarios out;
  std::vector<int> chosen;  // candidate positions
  for (int step = 0; step < k; ++step) {
    ParallelFor(c, threads, 16, [&](std::int64_t b, std::int64_t e) {
      for (std::int64_t u = b; u < e; ++u) {
        if (taken[static_cast<size_t>(u)]) continue;
        const float* row = cost.data() + static_cast<size_t>(u) * n;
        double s = 0;
        for (int i = 0; i < n; ++i)
          s += p[static_cast<size_t>(i)] * std::min<double>(nearest[static_cast<size_t>(i)], row[i]);
        score[static_cast<size_t>(u)] = s;
      }
    });
    int best = -1;
    for (int u = 0; u < c; ++u)
      if (!taken[static_cast<size_t>(u)] &&
          (best < 0 || score[static_cast<size_t>(u)] < score[static_cast<size_t>(best)]))
        best = u;
    if (best < 0) break;  // fewer candidates than k
    taken[static_cast<size_t>(best)] = 1;
    chosen.push_back(best);
    const float* row = cost.data() + static_cast<size_t>(best) * n;
    for (int i = 0; i < n; ++i)
      nearest[static_cast<size_t>(i)] = std::min<double>(nearest[static_cast<size_t>(i)], row[i]);
    if (step == 0) out.distance_one = score[static_cast<size_t>(best)];
  }

  // Redistribute every scenario's mass to its nearest representative, in
  // double precision (ties to the earlier pick).
  const int kk = static_cast<int>(chosen.size());
  for (int r : chosen) out.indices.push_back(cand[static_cast<size_t>(r)]);
  out.weights.assign(static_cast<size_t>(kk), 0.0);
  out.assignment.assign(static_cast<size_t>(n), 0);
  std::vector<double> dist(static_cast<size_t>(n));
  ParallelFor(n, threads, 64, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      double best = std::numeric_limits<double>::infinity();
      int arg = 0;
      for (int r = 0; r < kk; ++r) {
        const double d = Distance(features.Row(static_cast<int>(i)),
                                  features.Row(out.indices[static_cast<size_t>(r)]), dims);
        if (d < best) best = d, arg = r;
      }
      dist[static_cast<size_t>(i)] = best;
      out.assignment[static_cast<size_t>(i)] = arg;
    }
  });
  out.distance = 0;
  for (int i = 0; i < n; ++i) {
    out.weights[static_cast<size_t>(out.assignment[static_cast<size_t>(i)])] += p[static_cast<size_t>(i)];
    out.distance += p[static_cast<size_t>(i)] * dist[static_cast<size_t>(i)];
  }
  // Exact sum 1 up to rounding: put the residue on the heaviest representative.
  double total = 0;
  for (double w : out.weights) total += w;
  const auto heaviest = std::max_element(out.weights.begin(), out.weights.end()) - out.weights.begin();
  out.weights[static_cast<size_t>(heaviest)] += 1.0 - total;
  return out;
}

ScenarioMatrix LogDemandFeatures(const ScenarioSet& set) {
  ScenarioMatrix m;
  m.rows = set.scenarios;
  m.dims = set.num_tiers * set.horizon_months;
  m.values.resize(static_cast<size_t>(m.rows) * m.dims);
  for (int s = 0; s < set.num_tiers; ++s)
    for (int t = 1; t <= set.horizon_months; ++t) {
      const double* col = set.Column(s, t);
      const int d = s * set.horizon_months + (t - 1);
      for (int i = 0; i < set.scenarios; ++i) m.values[static_cast<size_t>(i) * m.dims + d] = col[i];
    }
  return m;
}

StatusOr<ReducedScenarios> ReduceScenarios(const ScenarioSet& set, int k, const ReduceOptions& options) {
  return ReduceScenarios(LogDemandFeatures(set), {}, k, options);
}

}  // namespace fungible

#include "forecast/reduce.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "forecast/internal/test_util.h"
#include "forecast/random.h"

namespace fungible {
namespace {

ScenarioSet Scenarios(int n, int threads = 2) {
  Fleet f = forecast_testing::TieredFleet(3, n, 12);
  ForecastOptions o = ForecastOptionsFromSpec(f);
  o.threads = threads;
  return GenerateScenarios(BuildDemandModel(f, o).value(), o);
}

TEST(Reduce, WeightsSumToOneAndDistanceFallsWithK) {
  const ScenarioSet set = Scenarios(1500);
  ReduceOptions o;
  o.max_candidates = 400;
  double previous = std::numeric_limits<double>::infinity();
  for (int k : {1, 2, 5, 10, 20, 40}) {
    auto r = ReduceScenarios(set, k, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->indices.size(), static_cast<size_t>(k));
    ASSERT_EQ(r->weights.size(), static_cast<size_t>(k));
    double total = 0;
    for (double w : r->weights) {
      EXPECT_GT(w, 0.0);
      total += w;
    }
    EXPECT_NEAR(total, 1.0, 1e-12);
    EXPECT_EQ(std::set<int>(r->indices.begin(), r->indices.end()).size(), static_cast<size_t>(k));
    EXPECT_LT(r->distance, previous) << "k=" << k;
    previous = r->distance;
    if (k == 1) {
      EXPECT_NEAR(r->distance, r->distance_one, 1e-4 * r->distance);
    }
  }
}

TEST(Reduce, SelectionsAreNestedAcrossK) {
  const ScenarioSet set = Scenarios(800);
  ReduceOptions o;
  auto small = ReduceScenarios(set, 5, o), large = ReduceScenarios(set, 12, o);
  ASSERT_TRUE(small.ok() && large.ok());
  for (size_t j = 0; j < 5; ++j) EXPECT_EQ(small->indices[j], large->indices[j]);
}

TEST(Reduce, KeepingEveryScenarioCostsNothing) {
  const ScenarioSet set = Scenarios(60);
  auto r = ReduceScenarios(set, 60, ReduceOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->distance, 0.0);
  for (double w : r->weights) EXPECT_NEAR(w, 1.0 / 60, 1e-12);
}

TEST(Reduce, FindsWellSeparatedClustersWithTheirMass) {
  // Three clusters around 0, 10 and 20 in 4 dimensions with masses 0.5,
  // 0.3, 0.2 (by count); K = 3 takes one from each.
  ScenarioMatrix m;
  m.rows = 1000;
  m.dims = 4;
  Rng rng(9, StreamPurpose::kTest, 0);
  std::vector<int> cluster;
  for (int i = 0; i < m.rows; ++i) {
    const int c = i < 500 ? 0 : i < 800 ? 1 : 2;
    cluster.push_back(c);
    for (int d = 0; d < m.dims; ++d) m.values.push_back(10.0 * c + 0.5 * rng.Normal());
  }
  auto r = ReduceScenarios(m, {}, 3, ReduceOptions{});
  ASSERT_TRUE(r.ok());
  std::vector<double> mass(3, 0.0);
  for (int j = 0; j < 3; ++j)
    mass[static_cast<size_t>(cluster[static_cast<size_t>(r->indices[static_cast<size_t>(j)])])] +=
        r->weights[static_cast<size_t>(j)];
  EXPECT_NEAR(mass[0], 0.5, 1e-12);
  EXPECT_NEAR(mass[1], 0.3, 1e-12);
  EXPECT_NEAR(mass[2], 0.2, 1e-12);
  // Within-cluster spread: about E||0.5 z|| in 4-d ~ 0.94, so D is near 1.
  EXPECT_LT(r->distance, 1.5);
}

TEST(Reduce, ProbabilitiesMoveTheRepresentatives) {
  ScenarioMatrix m;
  m.rows = 3;
  m.dims = 1;
  m.values = {0.0, 1.0, 10.0};
  const std::vector<double> p = {0.1, 0.1, 0.8};
  auto r = ReduceScenarios(m, p, 1, ReduceOptions{});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->indices[0], 2);
  EXPECT_NEAR(r->distance, 0.1 * 10 + 0.1 * 9, 1e-12);
}

TEST(Reduce, SameResultForAnyThreadCount) {
  const ScenarioSet set = Scenarios(700);
  ReduceOptions o;
  o.max_candidates = 300;
  o.threads = 1;
  auto a = ReduceScenarios(set, 8, o);
  o.threads = 3;
  auto b = ReduceScenarios(set, 8, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->indices, b->indices);
  EXPECT_EQ(a->weights, b->weights);
  EXPECT_EQ(a->distance, b->distance);
}

TEST(Reduce, RejectsBadArguments) {
  const ScenarioSet set = Scenarios(20);
  EXPECT_EQ(ReduceScenarios(set, 0, ReduceOptions{}).status().code(), StatusCode::kInvalidArgument);
  auto too_many = ReduceScenarios(set, 21, ReduceOptions{});
  EXPECT_EQ(too_many.status().message(),
            "scenario reduction: expected between 1 and 20 representatives, got 21");
  const std::vector<double> p(19, 1.0);
  EXPECT_EQ(ReduceScenarios(LogDemandFeatures(set), p, 2, ReduceOptions{}).status().message(),
            "scenario reduction: 19 probabilities for 20 scenarios");
}

}  // namespace
}  // namespace fungible

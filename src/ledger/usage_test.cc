// The month as served, from the service's store: a known-answer case, and a
// month run through the scheduler on the sim backend and a SQLite store whose
// review agrees with the store's own records.
#include "ledger/usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "orchestrate/scheduler.h"
#include "orchestrate/sim_backend.h"
#include "store/store.h"

namespace fungible {
namespace {

Fleet TwoPools() {
  Fleet f;
  f.name = "test";
  Pool a;
  a.id = "h100";
  a.chip_type = "h100-sxm";
  a.chips = 16;
  Pool b;
  b.id = "v6e";
  b.chip_type = "tpu-v6e";
  b.chips = 8;
  f.pools = {a, b};
  ServedModel m;
  m.id = "llama-70b";
  m.usd_per_million_input_tokens = 1.0;
  m.usd_per_million_output_tokens = 4.0;
  m.usd_per_million_cached_input_tokens = 0.25;
  f.models = {m};
  return f;
}

TEST(UsageReview, KnownAnswer) {
  const UtcSeconds jan = *ParseUtc("2027-01-01"), feb = *ParseUtc("2027-02-01");
  std::vector<JobUse> jobs = {
      // 8 chips for 10 h inside January: 80 chip-hours.
      {"j1", "research", "train", "h100", "h100-sxm", 8, jan + 3600, jan + 11 * 3600, 80},
      // Straddles the month end: 2 h in January of 4 h, 8 chips -> 16.
      {"j2", "research", "train", "h100", "h100-sxm", 8, feb - 2 * 3600, feb + 2 * 3600, 32},
      // Requeued once: 5 chip-hours of earlier runs counted with its last run (4 chips x 1 h).
      {"j3", "product", "", "v6e", "tpu-v6e", 4, jan + 86400, jan + 86400 + 3600, 9},
      // December only.
      {"j4", "product", "", "v6e", "tpu-v6e", 8, jan - 7200, jan - 3600, 8}};
  std::vector<TokenReport> tokens = {
      {"product", "llama-70b", "", jan, jan + 3600, 2'000'000, 1'000'000, 1'000'000},
      {"product", "llama-70b", "", jan + 3600, jan + 7200, 0, 500'000, 0},
      {"product", "other", "", jan, jan + 3600, 10, 10, 0},
      {"product", "llama-70b", "", feb, feb + 3600, 9, 9, 0}};
  auto m = ReviewUsage(TwoPools(), jobs, tokens, "2027-01", feb + 86400);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->hours, 31 * 24);
  EXPECT_DOUBLE_EQ(m->total_chip_hours, 80 + 16 + 9);
  ASSERT_EQ(m->chip_hours.size(), 2u);
  EXPECT_EQ(m->chip_hours[0].team, "product");
  EXPECT_DOUBLE_EQ(m->chip_hours[0].chip_hours, 9);
  EXPECT_EQ(m->chip_hours[1].jobs, 2);
  EXPECT_DOUBLE_EQ(m->chip_hours[1].chip_hours, 96);
  ASSERT_EQ(m->tokens.size(), 2u);
  EXPECT_EQ(m->tokens[0].model, "llama-70b");
  EXPECT_EQ(m->tokens[0].output_tokens, 1'500'000);
  // 1M uncached input at $1 + 1M cached at $0.25 + 1.5M output at $4.
  EXPECT_NEAR(m->tokens[0].revenue_usd, 1.0 + 0.25 + 6.0, 1e-9);
  EXPECT_EQ(m->tokens[1].revenue_usd, 0);  // not in the spec: no price
  ASSERT_EQ(m->pools.size(), 2u);
  EXPECT_NEAR(m->pools[0].utilization(), 96.0 / (16 * 744), 1e-12);
  EXPECT_NEAR(m->pools[1].utilization(), 9.0 / (8 * 744), 1e-12);
  EXPECT_EQ(ReviewUsage(TwoPools(), {}, {}, "2027-13", 0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ReviewUsage(TwoPools(), {}, {}, "Jan", 0).status().message().find("--month"), std::string::npos);
}

// A month served: jobs through the scheduler (sim backend, virtual clock), every
// change committed to a SQLite store as `fungible serve` does, tokens
// reported; the review built from the store agrees with the store's records.
TEST(UsageReview, AMonthServedAgreesWithTheStore) {
  using namespace orchestrate;
  const UtcSeconds jan = *ParseUtc("2027-01-01");
  VirtualClock clock(jan);
  SimBackend backend(clock);
  ClusterInfo cluster;
  cluster.pools = {{"h100", "h100-sxm", "nvidia", "hopper", 16, 8},
                   {"v6e", "tpu-v6e", "google", "v6e", 8, 8}};
  QuotaPlan plan;
  plan.period_starts = {jan};
  plan.period_hours = {31 * 24};
  plan.quota_chips["research"]["h100-sxm"] = {16};
  plan.quota_chips["product"]["tpu-v6e"] = {8};
  Scheduler scheduler(cluster, plan, backend, clock);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("fungible-usage-" + std::to_string(getpid()) + ".db"))
          .string();
  std::filesystem::remove(path);
  auto store = store::OpenStore(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto commit = [&] {
    auto c = scheduler.TakeChanges();
    store::Batch b;
    b.jobs = std::move(c.jobs);
    b.decisions = std::move(c.decisions);
    ASSERT_TRUE((*store)->Commit(b).ok());
  };
  for (int i = 0; i < 6; ++i) {
    JobSpec s;
    s.team = i % 2 ? "product" : "research";
    s.chip_types = {i % 2 ? "tpu-v6e" : "h100-sxm"};
    s.gang_size_chips = s.min_chips = s.max_chips = 8;
    s.expected_duration_s = 3600 * (i + 1);
    ASSERT_TRUE(scheduler.Submit(s).ok());
  }
  for (int step = 0; step < 40; ++step) {
    ASSERT_TRUE(scheduler.Schedule().ok());
    commit();
    clock.Advance(1800);
  }
  store::Batch usage;
  for (int h = 0; h < 5; ++h)
    usage.usage.push_back({"product", "llama-70b", "v6e", jan + h * 3600, jan + (h + 1) * 3600,
                           1000 * (h + 1), 400 * (h + 1), 100, "gateway", jan});
  ASSERT_TRUE((*store)->Commit(usage).ok());

  // The review, as `fungible review --store` builds it.
  auto jobs = (*store)->LoadJobs();
  ASSERT_TRUE(jobs.ok());
  std::vector<JobUse> uses;
  std::map<std::string, double> team_hours;
  double total = 0;
  for (const auto& j : *jobs) {
    ASSERT_EQ(j.state, JobState::kSucceeded) << j.id;
    ASSERT_EQ(j.outcome.result, "completed");
    uses.push_back({j.id, j.spec.team, j.spec.workload, j.pool, j.chip_type, j.chips, j.outcome.started_at,
                    j.outcome.ended_at, j.outcome.chip_hours});
    team_hours[j.spec.team] += j.outcome.chip_hours;
    total += j.outcome.chip_hours;
  }
  auto reports = (*store)->LoadTokenUsage(jan, jan + 31 * 86400);
  ASSERT_TRUE(reports.ok());
  std::vector<TokenReport> tokens;
  std::int64_t out_tokens = 0;
  for (const auto& r : *reports) {
    tokens.push_back(
        {r.team, r.model, r.pool, r.from, r.to, r.input_tokens, r.output_tokens, r.cached_input_tokens});
    out_tokens += r.output_tokens;
  }
  auto m = ReviewUsage(TwoPools(), uses, tokens, "2027-01", clock.Now());
  ASSERT_TRUE(m.ok());
  // Jobs of 1..6 hours on 8 chips each: 8 x 21 chip-hours, all recorded in the store.
  EXPECT_NEAR(total, 8 * 21, 1e-9);
  EXPECT_NEAR(m->total_chip_hours, total, 1e-9);
  for (const auto& row : m->chip_hours) team_hours[row.team] -= row.chip_hours;
  for (const auto& [team, left] : team_hours) EXPECT_NEAR(left, 0, 1e-9) << team;
  EXPECT_EQ(m->output_tokens, out_tokens);
  EXPECT_EQ(out_tokens, 400 * 15);
  double pool_hours = 0;
  for (const auto& p : m->pools) pool_hours += p.used_chip_hours;
  EXPECT_NEAR(pool_hours, total, 1e-9);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fungible

#include "orchestrate/quota.h"

#include <gtest/gtest.h>

namespace fungible::orchestrate {
namespace {

Fleet TwoTeamFleet() {
  Fleet f;
  ChipType h100;
  h100.id = "h100-sxm";
  h100.platform = Platform::kNvidia;
  h100.generation = "hopper";
  h100.interconnect_domain_chips = 8;
  ChipType v6e;
  v6e.id = "tpu-v6e";
  v6e.platform = Platform::kGoogle;
  v6e.generation = "v6e";
  v6e.interconnect_domain_chips = 256;
  f.chip_types = {h100, v6e};
  Pool a;
  a.id = "h100-east";
  a.chip_type = "h100-sxm";
  a.chips = 512;
  Pool b = a;
  b.id = "h100-west";
  b.chips = 256;
  Pool c;
  c.id = "tpu";
  c.chip_type = "tpu-v6e";
  c.chips = 1024;
  f.pools = {a, b, c};
  WorkloadClass serve;
  serve.id = "serve-chat";
  serve.kind = WorkloadKind::kServe;
  serve.team = "product";
  serve.eligible = {{"tpu-v6e", 0.8}, {"h100-sxm", 1.0}};
  WorkloadClass pre;
  pre.id = "pretrain";
  pre.kind = WorkloadKind::kPretrain;
  pre.team = "frontier";
  WorkloadClass rl = pre;
  rl.id = "rl";
  f.workloads = {serve, pre, rl};
  return f;
}

TEST(Quotas, SumTeamWorkloadsOverPoolsOfEachChipType) {
  AllocationResult r;
  r.periods = {{1000, 1.0}, {4600, 2.0}};
  r.pool_ids = {"h100-east", "h100-west", "tpu"};
  r.workload_ids = {"serve-chat", "pretrain", "rl"};
  // chips[p][w][t]
  r.chips = {{{100, 50}, {300, 400}, {10, 20}}, {{200, 10}, {0, 100}, {5, 5}}, {{512, 0}, {0, 512}, {0, 0}}};
  auto plan = QuotasFromAllocation(r, TwoTeamFleet());
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(plan->Quota("product", "h100-sxm", 0), 300);
  EXPECT_EQ(plan->Quota("product", "h100-sxm", 1), 60);
  EXPECT_EQ(plan->Quota("frontier", "h100-sxm", 0), 315);  // pretrain + rl, both pools
  EXPECT_EQ(plan->Quota("frontier", "h100-sxm", 1), 525);
  EXPECT_EQ(plan->Quota("frontier", "tpu-v6e", 1), 512);
  EXPECT_EQ(plan->Quota("product", "tpu-v6e", 0), 512);
  EXPECT_EQ(plan->Quota("nobody", "tpu-v6e", 0), 0);
  EXPECT_EQ(plan->PeriodAt(999), -1);
  EXPECT_EQ(plan->PeriodAt(1000), 0);
  EXPECT_EQ(plan->PeriodAt(4599), 0);
  EXPECT_EQ(plan->PeriodAt(4600), 1);
  EXPECT_EQ(plan->PeriodAt(4600 + 7199), 1);
  EXPECT_EQ(plan->PeriodAt(4600 + 7200), -1);
  EXPECT_EQ(plan->Teams(), (std::vector<std::string>{"frontier", "product"}));
}

TEST(Quotas, UnknownPoolOrMismatchedShapeIsAnError) {
  AllocationResult r;
  r.periods = {{0, 1.0}};
  r.pool_ids = {"mars"};
  r.workload_ids = {"rl"};
  r.chips = {{{1}}};
  EXPECT_EQ(QuotasFromAllocation(r, TwoTeamFleet()).status().code(), StatusCode::kNotFound);
  r.pool_ids = {"tpu"};
  r.chips = {{{1, 2}}};
  auto st = QuotasFromAllocation(r, TwoTeamFleet()).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("expected 1"), std::string::npos) << st.message();
}

TEST(Quotas, ClusterFromFleetSplitsDomainsAndOrdersEligibility) {
  ClusterInfo c = ClusterFromFleet(TwoTeamFleet());
  ASSERT_EQ(c.pools.size(), 3u);
  EXPECT_EQ(c.pools[0].domain_chips, 8);
  EXPECT_EQ(c.pools[0].platform, "nvidia");
  EXPECT_EQ(c.pools[2].domain_chips, 256);
  ASSERT_EQ(c.workloads.size(), 3u);
  EXPECT_EQ(c.workloads[0].eligible_chip_types, (std::vector<std::string>{"h100-sxm", "tpu-v6e"}));
}

TEST(Quotas, JsonRoundTripAndStrictErrors) {
  QuotaPlan plan;
  plan.period_starts = {1798761600, 1798761600 + 43200};
  plan.period_hours = {12, 12};
  plan.quota_chips["t"]["h100-sxm"] = {8, 16};
  auto back = QuotaPlanFromJson(QuotaPlanToJson(plan));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->quota_chips, plan.quota_chips);
  EXPECT_EQ(back->period_starts, plan.period_starts);
  auto j = QuotaPlanToJson(plan);
  j["quota_chips"]["t"]["h100-sxm"] = {8};
  EXPECT_EQ(QuotaPlanFromJson(j).status().message(),
            "plan.quota_chips.t.h100-sxm: expected an array of 2 non-negative integers");
  j = QuotaPlanToJson(plan);
  j["extra"] = 1;
  EXPECT_EQ(QuotaPlanFromJson(j).status().message(), "plan.extra: unknown field");
}

}  // namespace
}  // namespace fungible::orchestrate

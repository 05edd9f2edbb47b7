#include "simulate/simulate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "spec/spec.h"

namespace fungible {
namespace {

std::string Root() { return FUNGIBLE_SOURCE_DIR; }

Fleet SmallLab() {
  auto f = LoadFleetSpec(Root() + "/examples/small-lab.yaml");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return *f;
}

TEST(Simulate, Smoke) {
  Fleet fleet = SmallLab();
  SimulateOptions o;
  o.hours = 24 * 14;
  o.scenario = *ParseScenarioChoice("random:3");
  o.policies = *ParsePolicies("all");
  if (getenv("LPONLY")) o.integer_gangs = false;
  auto t0 = std::chrono::steady_clock::now();
  auto r = Simulate(fleet, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::printf("%.2f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  for (const auto& run : r->runs) {
    const auto& s = run.summary;
    std::printf("%-13s rev %.0f unserved %.3f floor %.3f (%d/%d) util %.3f switched %.0f cost %.0f roc %.3f/%.3f/%.3f solve %.2fs build %.2fs apply %.2fs rows %d cols %d\n",
                PolicyName(run.policy), s.revenue_usd, s.unserved_share, s.floor_attainment, s.floor_windows_met,
                s.floor_windows, s.utilization, s.chips_switched, s.contract_cost_usd, s.roc_now, s.roc_within,
                s.roc_all_up, run.profile.solve_seconds, run.profile.build_seconds, run.profile.apply_seconds,
                run.profile.lp_rows_max, run.profile.lp_columns_max);
  }
  for (const auto& e : r->runs[0].events) if (e.kind != "resolve") std::printf("%s %s %s %s\n", FormatUtc(e.at).c_str(), e.kind.c_str(), e.subject.c_str(), e.detail.c_str());
}

}  // namespace
}  // namespace fungible

// Small procurement cases with answers known on paper, shared by the plan
// tests. One chip type (H100), one served model earning $9 per chip-hour
// (1000 output tokens/s x 3600 s x $2.5 per million), demand stated in
// "chips' worth" of tokens per month.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "plan/problem.h"
#include "plan/solve.h"
#include "spec/spec.h"

namespace fungible::plan_test {

inline constexpr double kRevenuePerChipHour = 9.0;
inline constexpr double kTokensPerChipHour = 3.6e6;

// A spec with one model, one serving class and `offers_yaml` (a YAML list
// under `offers:`), planning `months` months from 2027-01.
inline std::string Spec(const std::string& offers_yaml, int months = 1, const std::string& plan_extra = "",
                        const std::string& extra = "") {
  return R"(name: newsvendor
chip_types:
  - catalog: h100-sxm
models:
  - id: m
    tier: medium
    launch: 2026-01-01
    usd_per_million_input_tokens: 0
    usd_per_million_output_tokens: 2.5
    output_tokens_per_s_per_chip: {h100-sxm: 1000}
workloads:
  - {id: serve, kind: serve, model: m}
)" + extra +
         (offers_yaml.empty() ? "offers: []\n" : "offers:\n" + offers_yaml) +
         "plan:\n  start: 2027-01-01\n  horizon_months: " + std::to_string(months) + "\n" + plan_extra;
}

inline Fleet ParseOrDie(const std::string& yaml) {
  auto f = ParseFleetSpec(yaml, "test.yaml");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? *f : Fleet{};
}

// A scenario demanding `chips[t]` chips' worth of tokens in month t.
inline PlanScenario ChipsScenario(const PlanProblem& pr, const std::string& name, double p,
                                  const std::vector<double>& chips) {
  PlanScenario s;
  s.name = name;
  s.probability = p;
  s.demand_output_tokens.assign(pr.instance.models.size(), std::vector<double>(pr.months, 0.0));
  for (int t = 0; t < pr.months; ++t)
    s.demand_output_tokens[0][t] = chips[static_cast<size_t>(t)] * kTokensPerChipHour * pr.hours[t];
  s.bid_multiple.assign(pr.instance.workloads.size(), std::vector<double>(pr.months, 1.0));
  return s;
}

inline PlanProblem Problem(const Fleet& fleet, std::vector<PlanScenario> (*make)(const PlanProblem&)) {
  auto pr = BuildPlanProblem(fleet);
  EXPECT_TRUE(pr.ok()) << pr.status().ToString();
  PlanProblem p = *pr;
  p.scenarios = make(p);
  return p;
}

inline ProgramSolution SolveOrDie(const PlanProblem& pr, PlanMethod method, const FirstStageBounds& b = {},
                                  int threads = 1) {
  SolveOptions o;
  o.method = method;
  o.threads = threads;
  o.relative_gap = 1e-7;
  auto s = SolveProgram(pr, b, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : ProgramSolution{};
}

}  // namespace fungible::plan_test

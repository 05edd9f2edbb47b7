// BuildInstance: from a Fleet (built in code, no YAML) to the solver's
// instance: periods, whole-chip capacity after ramps and availability, demand
// from the hourly shape, efficiencies, floors' windows, errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "allocate/allocate.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

constexpr UtcSeconds kMonday = 1799020800;  // 2027-01-04T00:00Z

Fleet SmallFleet() {
  Fleet f;
  f.name = "test-fleet";
  ChipType h100;
  h100.id = "h100-sxm";
  h100.interconnect_domain_chips = 8;
  ChipType b200;
  b200.id = "b200";
  b200.interconnect_domain_chips = 8;
  f.chip_types = {h100, b200};
  Contract c;
  c.id = "c1";
  c.start = kMonday - 30 * kSecondsPerDay;
  c.end = kMonday + 2 * kSecondsPerDay;  // ends after two days
  c.usd_per_chip_hour = 2.0;
  f.contracts = {c};
  Pool a;
  a.id = "h100-a";
  a.chip_type = "h100-sxm";
  a.chips = 100;
  a.contract = "c1";
  a.availability = 0.97;
  Pool b;
  b.id = "b200-b";
  b.chip_type = "b200";
  b.chips = 64;
  b.contract = "c1";
  b.landing_ramp = {{kMonday + 2 * kSecondsPerHour, 0.5}, {kMonday + 4 * kSecondsPerHour, 1.0}};
  f.pools = {a, b};
  ServedModel m;
  m.id = "chat";
  m.launch = kMonday + kSecondsPerHour;  // launches at 01:00
  m.usd_per_million_output_tokens = 2.0;
  m.usd_per_million_input_tokens = 0.5;
  m.input_tokens_per_output_token = 4;
  m.output_tokens_per_s_per_chip = {{"h100-sxm", 2500}, {"b200", 6000}};
  f.models = {m};
  WorkloadClass serve;
  serve.id = "serve-chat";
  serve.kind = WorkloadKind::kServe;
  serve.model = "chat";
  WorkloadClass pre;
  pre.id = "pretrain";
  pre.kind = WorkloadKind::kPretrain;
  pre.eligible = {{"b200", 2.2}};
  pre.floor_effective_chips = 10;
  pre.floor_window_hours = 24;
  pre.gang_size_chips = 16;
  f.workloads = {serve, pre};
  ServingDemand d;
  d.model = "chat";
  d.output_tokens_per_hour = 1e9;
  d.diurnal_shape.assign(24, 1.0);
  d.diurnal_shape[2] = 2.0;  // 02:00 UTC doubles
  f.demand = {d};
  f.allocation.switch_cost_usd_per_chip = 1.5;
  return f;
}

TEST(BuildInstance, CapacityDemandAndEfficiency) {
  Fleet f = SmallFleet();
  AllocateOptions o;
  o.from = kMonday;
  o.hours = 6;
  o.period_hours = 2;
  StatusOr<AllocationInstance> inst = BuildInstance(f, o);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  ASSERT_EQ(inst->periods.size(), 3u);
  EXPECT_EQ(inst->periods[1].start, kMonday + 2 * kSecondsPerHour);
  EXPECT_EQ(inst->periods[1].hours, 2.0);
  // 100 x 0.97 = 97 whole chips; the B200 pool lands 0 / 32 / 64 chips.
  EXPECT_EQ(inst->pools[0].capacity_chips, (std::vector<double>{97, 97, 97}));
  EXPECT_EQ(inst->pools[1].capacity_chips, (std::vector<double>{0, 32, 64}));
  EXPECT_EQ(inst->pools[0].interconnect_domain_chips, 8);
  EXPECT_DOUBLE_EQ(inst->pools[0].usd_per_chip_hour, 2.0);
  // Demand: hour 00 before launch (0), hour 01 = 1e9; hours 02 (x2) and 03.
  ASSERT_EQ(inst->models.size(), 1u);
  EXPECT_DOUBLE_EQ(inst->models[0].demand_output_tokens[0], 1e9);
  EXPECT_DOUBLE_EQ(inst->models[0].demand_output_tokens[1], 3e9);
  EXPECT_DOUBLE_EQ(inst->models[0].demand_output_tokens[2], 2e9);
  EXPECT_DOUBLE_EQ(inst->models[0].usd_per_output_token, (2.0 + 4 * 0.5) / 1e6);
  EXPECT_EQ(inst->models[0].output_tokens_per_s_per_chip, (std::vector<double>{2500, 6000}));
  // Serving efficiency: throughput relative to the H100.
  EXPECT_EQ(inst->workloads[0].served_model, 0);
  EXPECT_DOUBLE_EQ(*inst->workloads[0].efficiency[0], 1.0);
  EXPECT_DOUBLE_EQ(*inst->workloads[0].efficiency[1], 2.4);
  EXPECT_FALSE(inst->workloads[1].efficiency[0].has_value());
  EXPECT_DOUBLE_EQ(*inst->workloads[1].efficiency[1], 2.2);
  EXPECT_EQ(inst->workloads[1].floor_window_periods, 12);
  EXPECT_EQ(inst->workloads[1].gang_size_chips, 16);
  EXPECT_DOUBLE_EQ(inst->switch_cost_usd_per_chip, 1.5);
}

TEST(BuildInstance, ContractEndLeavesNoCapacity) {
  Fleet f = SmallFleet();
  AllocateOptions o;
  o.from = kMonday + 47 * kSecondsPerHour;
  o.hours = 2;
  StatusOr<AllocationInstance> inst = BuildInstance(f, o);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ(inst->pools[0].capacity_chips, (std::vector<double>{97, 0}));
}

TEST(BuildInstance, RejectsBadWindows) {
  Fleet f = SmallFleet();
  AllocateOptions o;
  o.from = kMonday;
  o.hours = 7;
  o.period_hours = 2;
  EXPECT_THAT(BuildInstance(f, o),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("does not divide")));
  o.hours = 0;
  EXPECT_THAT(BuildInstance(f, o),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("hours must be between 1 and")));
  o.hours = 8785;
  o.period_hours = 1;
  EXPECT_THAT(BuildInstance(f, o),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr(", got 8785")));
  o.hours = 24;
  o.period_hours = 0;
  EXPECT_THAT(BuildInstance(f, o),
              StatusIs(StatusCode::kInvalidArgument, "period must be at least 1 hour, got 0h"));
}

TEST(BuildInstance, UnknownModelIsAnError) {
  Fleet f = SmallFleet();
  f.workloads[0].model = "nope";
  AllocateOptions o;
  o.from = kMonday;
  o.hours = 2;
  EXPECT_THAT(BuildInstance(f, o),
              StatusIs(StatusCode::kInvalidArgument, "workload serve-chat: unknown model 'nope'"));
}

TEST(BuildInstance, AllocateEndToEnd) {
  Fleet f = SmallFleet();
  AllocateOptions o;
  o.from = kMonday;
  o.hours = 24;
  StatusOr<AllocationResult> r = Allocate(f, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // The contract covers the whole day; the B200s carry the 10 H100-eq floor
  // (240 effective chip-hours a day) in whole 16-chip gangs.
  ASSERT_EQ(r->status, SolveStatus::kOptimal)
      << (r->infeasibility.empty() ? "" : r->infeasibility[0].message);
  ASSERT_EQ(r->floors.size(), 1u);
  EXPECT_GE(r->floors[0].achieved_effective_chip_hours, 240 - 1e-6);
  for (int t = 0; t < 24; ++t) EXPECT_EQ(r->chips[1][1][t] % 16, 0);
}

// The CLI on examples/small-lab.yaml through the real spec reader: JSON
// written, exit 0, floors met, whole chips within capacity.
std::string CliPath() {
  if (const char* env = std::getenv("FUNGIBLE_BIN")) return env;
  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "fungible";
  std::string dir(self, static_cast<size_t>(n));
  return dir.substr(0, dir.rfind('/')) + "/cli/fungible";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(AllocateCli, SmallLabSpec) {
  const std::string bin = CliPath();
  const std::string spec = std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml";
  const std::string dir = "/tmp/fungible-allocate-cli-" + std::to_string(::getpid());
  std::string cmd = "'" + bin + "' allocate '" + spec + "' --from 2027-01-04T00:00Z --window 48h --json '" +
                    dir + ".json' --csv '" + dir + "' --mps '" + dir + ".mps' > '" + dir + ".out' 2>&1";
  int rc = std::system(cmd.c_str());
  const std::string out = ReadFile(dir + ".out");
  ASSERT_EQ(rc, 0) << cmd << "\n" << out;
  EXPECT_NE(out.find("fungible allocate: small-lab"), std::string::npos) << out;
  EXPECT_NE(out.find("pretrain-next"), std::string::npos);
  nlohmann::json j = nlohmann::json::parse(ReadFile(dir + ".json"));
  EXPECT_EQ(j["spec"], "small-lab");
  EXPECT_EQ(j["periods"].size(), 48u);
  EXPECT_TRUE(j["has_integers"].get<bool>());  // pretrain-next runs in 128-chip gangs
  EXPECT_GT(j["objective_usd"].get<double>(), 0);
  EXPECT_LE(j["objective_usd"].get<double>(), j["lp_relaxation_objective_usd"].get<double>() + 1e-6);
  for (const auto& f : j["floors"])
    EXPECT_GE(f["achieved_effective_chip_hours"].get<double>(),
              f["required_effective_chip_hours"].get<double>() - 1e-6);
  // The certificate, in JSON and text: a bound above the plan, and the gap between them.
  const double plan = j["plan_value_usd"].get<double>(), bound = j["bound_usd"].get<double>();
  EXPECT_GE(bound, plan - 1e-6);
  EXPECT_NEAR(j["gap_rel"].get<double>(), (bound - plan) / std::fabs(bound), 1e-12);
  EXPECT_FALSE(j["bound_kind"].get<std::string>().empty());
  EXPECT_NE(out.find("certified gap"), std::string::npos) << out;
  // 512 x 0.97 = 496 chips on h100-east: never exceeded.
  for (const auto& p : j["pools"])
    for (double price : p["shadow_usd_per_chip_hour"]) EXPECT_GE(price, 0);
  EXPECT_NE(ReadFile(dir + "/allocation.csv").find("period_start,pool,workload,chips"), std::string::npos);
  EXPECT_NE(ReadFile(dir + "/prices.csv").find("usd_per_chip_hour"), std::string::npos);
  EXPECT_NE(ReadFile(dir + ".mps").find("cap_h100-east_0"), std::string::npos);
  std::system(("rm -rf '" + dir + "' '" + dir + ".json' '" + dir + ".mps' '" + dir + ".out'").c_str());
}

// The CLI's usage and infeasibility errors (exit codes 2 and 3, their messages) are
// end-to-end cases: tests/cases/allocate/.

}  // namespace
}  // namespace fungible

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
  // Which demand it used: the forecast's P50, said in the JSON and the summary.
  EXPECT_EQ(j["demand"]["source"], "forecast");
  EXPECT_EQ(j["demand"]["point"], "P50");
  EXPECT_NE(out.find("demand: the forecast's P50 path"), std::string::npos) << out;
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

namespace fungible {
namespace {

// A floor that grows on a schedule: 10 H100-eq chips, 20 from 02:00, and
// from 04:00 half of what the fleet could give the class (its only chips are
// the B200 pool: 64 chips x 2.2 = 140.8, so 70.4). The window (the whole
// 6 hours here) requires (10 + 20 + 70.4) x 2 h; the floor is a hard row.
TEST(BuildInstance, FloorScheduleInChipsAndFleetShare) {
  Fleet f = SmallFleet();
  f.workloads[1].floor_schedule = {{kMonday + 2 * kSecondsPerHour, 20, 0},
                                   {kMonday + 4 * kSecondsPerHour, 0, 0.5}};
  AllocateOptions o;
  o.from = kMonday;
  o.hours = 6;
  o.period_hours = 2;
  o.integer_gangs = false;
  EXPECT_DOUBLE_EQ(FloorEffectiveChipsAt(f, f.workloads[1], kMonday), 10);
  EXPECT_DOUBLE_EQ(FloorEffectiveChipsAt(f, f.workloads[1], kMonday + 3 * kSecondsPerHour), 20);
  EXPECT_NEAR(FloorEffectiveChipsAt(f, f.workloads[1], kMonday + 5 * kSecondsPerHour), 70.4, 1e-9);
  auto inst = BuildInstance(f, o);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  ASSERT_EQ(inst->workloads[1].floor_effective_chips_by_period.size(), 3u);
  EXPECT_NEAR(inst->workloads[1].floor_effective_chips_by_period[2], 70.4, 1e-9);
  EXPECT_NEAR(inst->workloads[1].floor_effective_chips, 70.4, 1e-9);
  auto r = Solve(*inst, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, SolveStatus::kOptimal);
  ASSERT_EQ(r->floors.size(), 1u);
  EXPECT_NEAR(r->floors[0].required_effective_chip_hours, (10 + 20 + 70.4) * 2, 1e-9);
  EXPECT_GE(r->floors[0].achieved_effective_chip_hours, r->floors[0].required_effective_chip_hours - 1e-6);

  // A step the fleet cannot give (500 from 04:00): infeasible, and the
  // reason names the window and the shortfall. The B200 pool gives at most
  // (0 + 32 + 64) x 2.2 x 2 h = 422.4 effective chip-hours of 1,060 needed.
  f.workloads[1].floor_schedule[1] = {kMonday + 4 * kSecondsPerHour, 500, 0};
  inst = BuildInstance(f, o);
  ASSERT_TRUE(inst.ok()) << inst.status().ToString();
  r = Solve(*inst, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, SolveStatus::kInfeasible);
  ASSERT_EQ(r->infeasibility.size(), 1u);
  const auto& why = r->infeasibility[0];
  EXPECT_EQ(why.kind, "floor");
  EXPECT_EQ(why.workload, "pretrain");
  EXPECT_NEAR(why.required, 1060, 1e-6);
  EXPECT_NEAR(why.achievable, 422.4, 1e-6);
  EXPECT_NEAR(why.shortfall, 1060 - 422.4, 1e-6);
  EXPECT_NE(why.message.find("floor of pretrain (177 H100-eq chips avg) in 2027-01-04T00:00Z"),
            std::string::npos)
      << why.message;
}

}  // namespace
}  // namespace fungible

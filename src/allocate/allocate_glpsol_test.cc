// Independent cross-check: the model WriteMps exports, solved by GLPK's
// glpsol, has the optimum Solve() reports (within 1e-6 relative), on random
// instances with and without integer gangs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "allocate/allocate.h"
#include "allocate/allocate_test_util.h"
#include "allocate/allocation_lp.h"
#include "lp/solve.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

namespace fs = std::filesystem;

bool HaveGlpsol() { return std::system("command -v glpsol > /dev/null 2>&1") == 0; }

// Runs glpsol on `mps` and returns the objective of its report, or NaN.
double GlpsolObjective(const fs::path& mps, std::string& report_text) {
  fs::path out = mps;
  out.replace_extension(".out");
  std::string cmd = "glpsol --freemps '" + mps.string() + "' -o '" + out.string() + "' > /dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return std::nan("");
  std::ifstream in(out);
  std::stringstream ss;
  ss << in.rdbuf();
  report_text = ss.str();
  // "Objective:  OBJ = -80707.59864 (MINimum)"
  std::smatch m;
  std::regex re(R"(Objective:\s+\S+\s+=\s+([-+0-9.eE]+))");
  if (!std::regex_search(report_text, m, re)) return std::nan("");
  return std::stod(m[1].str());
}

fs::path TempDir() {
  fs::path dir = fs::temp_directory_path() / ("fungible-glpsol-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

TEST(AllocateGlpsol, ObjectiveMatchesOnRandomInstances) {
  if (!HaveGlpsol()) GTEST_SKIP() << "glpsol (Debian glpk-utils) is not installed";
  const fs::path dir = TempDir();
  int compared = 0, mips = 0;
  testing_util::RandomFleetOptions o;
  o.max_periods = 10;
  for (int i = 0; i < 40 && compared < 24; ++i) {
    const std::uint64_t seed = 5000 + i;
    AllocationInstance inst = testing_util::RandomInstance(seed, o);
    AllocateOptions opt;
    opt.mip_relative_gap = 0;  // prove optimality: glpsol does
    StatusOr<AllocationResult> r = Solve(inst, opt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status != SolveStatus::kOptimal) continue;
    const fs::path mps = dir / ("seed" + std::to_string(seed) + ".mps");
    ASSERT_TRUE(WriteMps(inst, opt, mps.string()).ok());
    std::string report;
    const double glp = GlpsolObjective(mps, report);
    ASSERT_FALSE(std::isnan(glp)) << "glpsol failed on " << mps << "\n" << report.substr(0, 400);
    // MPS is a minimisation of -value.
    const double ours = -r->objective_usd;
    EXPECT_NEAR(glp, ours, 1e-6 * std::max(1.0, std::fabs(ours)))
        << "seed " << seed << (r->has_integers ? " (MIP)" : "");
    if (r->has_integers) {
      ++mips;
      EXPECT_NE(report.find("INTEGER OPTIMAL"), std::string::npos) << report.substr(0, 400);
    }
    ++compared;
  }
  EXPECT_GE(compared, 20);
  EXPECT_GE(mips, 3);
  fs::remove_all(dir);
}

// The decomposed method never solves the exported model, but certifies a
// bound on it: glpsol's optimum of the full model lies between the plan's
// value and the bound (up to the idle preference the model charges).
TEST(AllocateGlpsol, DecomposedCertificateHoldsAgainstGlpsol) {
  if (!HaveGlpsol()) GTEST_SKIP() << "glpsol (Debian glpk-utils) is not installed";
  const fs::path dir = TempDir();
  int compared = 0;
  testing_util::RandomFleetOptions o;
  o.max_periods = 10;
  for (int i = 0; i < 30 && compared < 16; ++i) {
    const std::uint64_t seed = 7000 + i;
    AllocationInstance inst = testing_util::RandomInstance(seed, o);
    AllocateOptions opt;
    opt.method = AllocateMethod::kDecomposed;
    StatusOr<AllocationResult> r = Solve(inst, opt);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    if (r->status != SolveStatus::kOptimal) continue;
    const fs::path mps = dir / ("dec" + std::to_string(seed) + ".mps");
    ASSERT_TRUE(WriteMps(inst, opt, mps.string()).ok());
    std::string report;
    const double glp = GlpsolObjective(mps, report);
    ASSERT_FALSE(std::isnan(glp)) << report.substr(0, 400);
    double capacity_chip_hours = 0;
    for (const auto& p : inst.pools)
      for (size_t t = 0; t < inst.periods.size(); ++t)
        capacity_chip_hours += p.capacity_chips[t] * inst.periods[t].hours;
    const double optimum = -glp;  // of value - idle preference x allocated chip-hours
    const double idle = AllocationLpOptions{}.idle_preference_usd_per_chip_hour * capacity_chip_hours;
    const double tol = 1e-6 * std::max(1.0, std::fabs(optimum));
    EXPECT_GE(r->bound_usd, optimum - tol) << "seed " << seed;
    EXPECT_LE(r->plan_value_usd, optimum + idle + tol) << "seed " << seed;
    EXPECT_NEAR(r->gap_rel, (r->bound_usd - r->plan_value_usd) / std::fabs(r->bound_usd), 1e-12);
    ++compared;
  }
  EXPECT_GE(compared, 12);
  fs::remove_all(dir);
}

// The LP-only export (gangs relaxed) matches the relaxed solve.
TEST(AllocateGlpsol, RelaxedModelMatches) {
  if (!HaveGlpsol()) GTEST_SKIP() << "glpsol (Debian glpk-utils) is not installed";
  const fs::path dir = TempDir();
  for (std::uint64_t seed : {6001u, 6002u, 6003u}) {
    AllocationInstance inst = testing_util::RandomInstance(seed);
    AllocateOptions opt;
    opt.integer_gangs = false;
    StatusOr<AllocationResult> r = Solve(inst, opt);
    ASSERT_TRUE(r.ok());
    if (r->status != SolveStatus::kOptimal) continue;
    const fs::path mps = dir / ("relaxed" + std::to_string(seed) + ".mps");
    ASSERT_TRUE(WriteMps(inst, opt, mps.string()).ok());
    std::string report;
    const double glp = GlpsolObjective(mps, report);
    EXPECT_NEAR(glp, -r->objective_usd, 1e-6 * std::max(1.0, std::fabs(r->objective_usd)));
    EXPECT_EQ(report.find("INTEGER"), std::string::npos);
  }
  fs::remove_all(dir);
}

// Names make the exported model readable.
TEST(AllocateMps, NamedRowsAndColumns) {
  AllocationInstance inst = testing_util::Skeleton(2);
  inst.pools.push_back(testing_util::MakePool("h100 east", {8, 8}, 8));
  auto pre = testing_util::MakeWorkload("pretrain-next", WorkloadKind::kPretrain, 1);
  pre.gang_size_chips = 8;
  pre.bids = {{100, 3.0}};
  pre.floor_effective_chips = 4;
  inst.workloads.push_back(pre);
  inst.switch_cost_usd_per_chip = 1;
  const fs::path path = TempDir() / "named.mps";
  ASSERT_TRUE(WriteMps(inst, {}, path.string()).ok());
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  for (const char* name :
       {"cap_h100_east_0", "dom_h100_east_1", "floor_pretrain-next_0", "g_h100_east_pretrain-next_1",
        "b_pretrain-next_0_0", "sw_h100_east_pretrain-next_1", " BV BOUND g_h100_east_pretrain-next_0 1"})
    EXPECT_NE(text.find(name), std::string::npos) << name;
  if (HasFailure()) ADD_FAILURE() << text.substr(0, 3000);
  fs::remove_all(path.parent_path());
}

TEST(AllocateMps, UnwritablePathIsAnError) {
  AllocationInstance inst = testing_util::Skeleton(1);
  // COIN-OR's file writer throws; the adapter reports it as an internal error
  // naming the path (a user's unwritable --mps path: arguably kInvalidArgument).
  EXPECT_THAT(WriteMps(inst, {}, "/nonexistent-dir/x.mps"),
              StatusIs(StatusCode::kInternal, ::testing::HasSubstr("/nonexistent-dir/x.mps: ")));
}

}  // namespace
}  // namespace fungible

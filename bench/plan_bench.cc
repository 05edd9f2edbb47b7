// Procurement at scale: the two-stage program over S scenarios x 36 months x
// 20 offers x 10 workload classes (8 chip types, 5 served models), generated
// from a seed. Times the extensive form and Benders decomposition on the
// same problem, and scaling with scenarios and threads. With --write-spec it
// also writes the spec, so that bench/plan_mpi.sh can time fungible-mpi with
// 1, 2 and 4 ranks on it.
//
//   plan_bench [--scenarios 200] [--threads 1,2] [--methods extensive,decomposition]
//              [--sweep 100,200,400,800] [--write-spec FILE] [--seed 1] [--gap 1e-6]
//              [--cuts auto,multi,200] [--stabilise auto,on,off]
//
// --stabilise: stabilised Benders (SolveOptions::stabilise: a start from a
// sample of the scenarios, a trust region) side by side; auto = the default
// (on from 100 scenarios), off = plain Benders.
// --cuts: Benders cut groups to run side by side (auto = the default, multi =
// one per scenario, K = K groups of scenarios, 1 = single-cut).
// Prints one line per run: method, scenarios, threads, cut groups, wall and CPU
// seconds (this process, all threads), seconds per scenario, iterations,
// objective, first stage (chips per offer, rounded).
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "plan/problem.h"
#include "plan/solve.h"
#include "spec/spec.h"

namespace {

struct Chip {
  const char* id;
  double tps_scale;  // serving throughput relative to an H100
  double train_eff;  // H100-equivalents for training
  double usd;        // committed price per chip-hour
  int committed;     // chips already under contract (0 = none)
};

const Chip kChips[] = {
    {"h100-sxm", 1.0, 1.0, 2.0, 24000}, {"h200", 1.5, 1.0, 2.5, 16000},     {"b200", 4.0, 2.27, 3.2, 16000},
    {"gb200", 4.5, 2.5, 4.2, 0},        {"tpu-v6e", 0.4, 0.96, 1.3, 16000}, {"tpu-v7", 1.9, 2.4, 3.0, 0},
    {"trn2", 0.6, 0.47, 1.4, 24000},    {"trn3", 1.0, 0.6, 2.2, 0},
};
constexpr int kNumChips = sizeof(kChips) / sizeof(kChips[0]);

std::vector<std::string> SplitList(const char* s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

std::vector<int> ParseList(const char* s) {
  std::vector<int> out;
  for (const std::string& item : SplitList(s)) out.push_back(std::atoi(item.c_str()));
  return out;
}

// A frontier-scale spec: committed pools on 5 chip types, 5 served models,
// 10 workload classes, 20 offers (2 on demand, 4 all-or-nothing, 6 with
// options) starting over the 36 months.
std::string GenerateSpec(std::uint64_t seed, int scenarios) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  std::ostringstream y;
  y << "name: bench-procurement\nchip_types:\n";
  for (const auto& c : kChips) y << "  - catalog: " << c.id << "\n";
  y << "contracts:\n";
  for (const auto& c : kChips)
    if (c.committed > 0)
      y << "  - {id: c-" << c.id << ", provider: p, kind: reserved, start: 2026-01-01, end: 2030-01-01, "
        << "usd_per_chip_hour: " << c.usd << "}\n";
  y << "pools:\n";
  for (const auto& c : kChips)
    if (c.committed > 0)
      y << "  - {id: pool-" << c.id << ", chip_type: " << c.id << ", chips: " << c.committed
        << ", contract: c-" << c.id << ", availability: 0.97}\n";
  const char* tiers[] = {"small", "medium", "large", "frontier", "batch"};
  const double out_price[] = {0.6, 2.0, 6.0, 15.0, 0.3};  // USD per million output tokens
  const double h100_tps[] = {1500, 600, 200, 80, 2000};
  y << "models:\n";
  for (int m = 0; m < 5; ++m) {
    y << "  - id: m-" << tiers[m] << "\n    tier: " << tiers[m] << "\n    launch: 2026-06-01\n"
      << "    usd_per_million_input_tokens: 0\n    usd_per_million_output_tokens: " << out_price[m] << "\n"
      << "    output_tokens_per_s_per_chip: {";
    for (int c = 0; c < kNumChips; ++c)
      y << (c ? ", " : "") << kChips[c].id << ": " << std::round(h100_tps[m] * kChips[c].tps_scale);
    y << "}\n";
  }
  y << "workloads:\n";
  for (int m = 0; m < 5; ++m)
    y << "  - {id: serve-" << tiers[m] << ", kind: serve, model: m-" << tiers[m] << "}\n";
  const char* classes[] = {"pretrain", "rl", "research", "internal", "eval"};
  const char* kinds[] = {"pretrain", "rl", "research", "internal", "research"};
  const double floor_chips[] = {30000, 8000, 0, 0, 0};
  const double bid1[] = {6.0, 5.0, 4.0, 7.0, 2.0}, bid2[] = {2.5, 2.0, 1.2, 1.5, 0.6};
  for (int w = 0; w < 5; ++w) {
    y << "  - id: " << classes[w] << "\n    kind: " << kinds[w] << "\n    eligible:\n";
    for (const auto& c : kChips)
      y << "      - {chip_type: " << c.id
        << ", efficiency_h100_equiv: " << (w == 3 ? c.tps_scale : c.train_eff) * (w == 2 ? 0.9 : 1.0)
        << "}\n";
    if (floor_chips[w] > 0) y << "    floor_effective_chips: " << floor_chips[w] << "\n";
    y << "    bids:\n      - {effective_chips: " << 20000 + 10000 * w
      << ", usd_per_effective_chip_hour: " << bid1[w] << "}\n      - {effective_chips: " << 30000
      << ", usd_per_effective_chip_hour: " << bid2[w] << "}\n";
  }
  const double level[] = {4e10, 2.5e10, 8e9, 2e9, 3e10};  // output tokens per hour today
  const double growth[] = {0.03, 0.05, 0.07, 0.10, 0.04};
  y << "demand:\n";
  for (int m = 0; m < 5; ++m)
    y << "  - model: m-" << tiers[m] << "\n    output_tokens_per_hour: " << level[m]
      << "\n    as_of: 2027-01-01\n"
      << "    growth: {monthly_log_growth_mean: " << growth[m] << ", monthly_log_growth_sd: 0.03, "
      << "monthly_volatility: 0.06, shared_factor_loading: 0.7}\n";
  y << "class_growth:\n  - workload: research\n    growth: {monthly_log_growth_mean: 0.04, "
       "monthly_log_growth_sd: 0.02, "
       "monthly_volatility: 0.03}\n  - workload: internal\n    growth: {monthly_log_growth_mean: 0.06, "
       "monthly_log_growth_sd: 0.02, monthly_volatility: 0.03}\n";
  y << "offers:\n";
  for (int o = 0; o < 20; ++o) {
    const Chip& c = kChips[o % kNumChips];
    const bool on_demand = o == 7 || o == 15;
    const bool aon = o % 5 == 2;
    const int start = pick(0, 24);
    const int duration = on_demand ? 36 : pick(9, 48);
    char date[16];
    std::snprintf(date, sizeof date, "%04d-%02d-01", 2027 + start / 12, 1 + start % 12);
    y << "  - id: offer-" << o << "\n    provider: p" << o % 4 << "\n    kind: "
      << (on_demand    ? "on_demand"
          : o % 3 == 0 ? "short_term"
                       : "reserved")
      << "\n    chip_type: " << c.id << "\n    quantity: " << std::round(uni(8000, 60000))
      << "\n    start: " << date << "\n    duration_months: " << duration << "\n    usd_per_chip_hour: "
      << std::round(100 * c.usd * uni(on_demand ? 2.0 : 0.8, on_demand ? 3.0 : 1.4)) / 100 << "\n";
    if (aon) y << "    divisible: false\n";
    if (!on_demand && !aon && o % 3 == 1)
      y << "    options:\n      - {kind: expand, notice_months: " << pick(1, 6) << ", max_fraction: 0.5}\n"
        << "      - {kind: reduce, notice_months: " << pick(2, 9)
        << ", max_fraction: 0.3, fee_usd_per_chip: 500}\n";
  }
  y << "allocation: {pue: 1.2}\n";
  y << "forecast: {scenarios: " << scenarios << ", horizon_months: 36, seed: " << seed
    << ", start: 2027-01-01}\n";
  y << "plan:\n  horizon_months: 36\n  scenarios: " << scenarios
    << "\n  risk_aversion: 0.1\n  cvar_alpha: 0.9\n";
  return y.str();
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  int scenarios = 200;
  std::vector<int> threads = {1, 2};
  std::vector<int> sweep;
  std::string methods = "extensive,decomposition";
  std::string spec_path;
  std::uint64_t seed = 1;
  double gap = 1e-6;
  std::vector<std::string> cuts = {"auto"};
  std::vector<std::string> stabilise = {"auto"};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--scenarios")
      scenarios = std::atoi(argv[i + 1]);
    else if (a == "--threads")
      threads = ParseList(argv[i + 1]);
    else if (a == "--sweep")
      sweep = ParseList(argv[i + 1]);
    else if (a == "--methods")
      methods = argv[i + 1];
    else if (a == "--write-spec")
      spec_path = argv[i + 1];
    else if (a == "--seed")
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--gap")
      gap = std::atof(argv[i + 1]);
    else if (a == "--stabilise")
      stabilise = SplitList(argv[i + 1]);
    else if (a == "--cuts")
      cuts = SplitList(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  if (sweep.empty()) sweep = {scenarios};
  for (int n : sweep) {
    const std::string yaml = GenerateSpec(seed, n);
    if (!spec_path.empty()) std::ofstream(spec_path) << yaml;
    auto fleet = fungible::ParseFleetSpec(yaml, "bench.yaml");
    if (!fleet.ok()) {
      std::fprintf(stderr, "%s\n", fleet.status().ToString().c_str());
      return 1;
    }
    const double t0 = Now();
    auto pr = fungible::BuildPlanProblem(*fleet);
    if (!pr.ok()) return std::fprintf(stderr, "%s\n", pr.status().ToString().c_str()), 1;
    auto cone = fungible::DrawConeScenarios(*fleet, *pr, {}, 0);
    if (!cone.ok()) return std::fprintf(stderr, "%s\n", cone.status().ToString().c_str()), 1;
    pr->scenarios = cone->representatives;
    std::printf("scenarios %d months %d offers %zu classes %zu pools %zu  (scenario draw %.2f s)\n",
                static_cast<int>(pr->scenarios.size()), pr->months, pr->offers.size(),
                pr->instance.workloads.size(), pr->instance.pools.size(), Now() - t0);
    std::fflush(stdout);
    for (const std::string m : {"extensive", "decomposition"}) {
      if (methods.find(m) == std::string::npos) continue;
      for (int th : threads) {
        if (m == "extensive" && th != threads.front()) continue;  // one solver thread either way
        for (const std::string& cut : cuts)
          for (const std::string& stab : stabilise) {
            if (m == "extensive" && (cut != cuts.front() || stab != stabilise.front())) continue;
            fungible::SolveOptions o;
            o.method =
                m == "extensive" ? fungible::PlanMethod::kExtensive : fungible::PlanMethod::kDecomposition;
            o.threads = th;
            o.relative_gap = gap;
            o.mip_time_limit_s = 3600;
            o.cut_groups = cut == "auto" ? 0 : cut == "multi" ? n : std::atoi(cut.c_str());
            o.stabilise = stab == "on" ? 1 : stab == "off" ? -1 : 0;
            const double t1 = Now(), c1 = CpuSeconds();
            auto sol = fungible::SolveProgram(*pr, {}, o);
            const double secs = Now() - t1, cpu = CpuSeconds() - c1;
            if (!sol.ok()) {
              std::printf("%-13s S=%d threads=%d cuts=%s stabilise=%s failed: %s\n", m.c_str(), n, th,
                          cut.c_str(), stab.c_str(), sol.status().ToString().c_str());
              continue;
            }
            std::printf(
                "%-13s S=%-5d threads=%d cuts=%-5s stabilise=%-4s groups=%-5d %8.2f s wall  %8.2f s cpu  "
                "%.4f cpu s/scenario  "
                "(subproblems %.2f, master %.2f)  iterations %3d  rows %d cols %d  objective %.6e  first "
                "stage",
                m.c_str(), n, th, cut.c_str(), stab.c_str(), sol->cut_groups, secs, cpu, cpu / n,
                sol->subproblem_seconds, sol->master_seconds, sol->iterations, sol->lp_rows, sol->lp_columns,
                fungible::ObjectiveUsd(*pr, *sol));
            for (double q : sol->chips) std::printf(" %.0f", q);
            std::printf("  (load %.2f)\n", [] {
              double l[1] = {0};
              return getloadavg(l, 1) == 1 ? l[0] : -1.0;
            }());
            std::fflush(stdout);
          }
      }
    }
  }
  return 0;
}

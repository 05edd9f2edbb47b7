// Week-ahead hourly allocation at fleet scale: 50 pools x 30 workload classes x
// 168 periods, generated from a seed. Measures model build, solve and
// end-to-end Solve() times (median of --repeat runs), and writes the same LP as
// MPS so bench/allocate_compare.sh can time standalone clp and glpsol on it.
//
//   allocate_bench [--seed 1] [--repeat 5] [--mps FILE] [--integer-gangs]
//                  [--pools 50] [--workloads 30] [--periods 168]
//                  [--method auto|exact|decomposed] [--time-limit S]
//                  [--resolve N] [--shift H]
//
// --resolve N times what fungible serve's re-solves do instead: a first
// solve, then N re-solves of the window H hours later each (--shift, default
// 1; 0 = the same window again), each re-solve both cold and warm-started
// from the previous warm solve's bases (AllocateOptions::warm_start), in
// alternating order. Prints one line per re-solve and the medians.
//
// --method exact is the previous formulation (the full model, per-class
// switching rows, as one LP); auto picks the decomposed method at this size.
// Prints one "key value" per line (seconds, sizes, plan value, certified
// bound and gap, peak RSS) for scripts; exits 1 when the solve fails or does
// not finish within --time-limit.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "allocate/allocation_lp.h"
#include "lp/solve.h"

namespace {

using fungible::AllocationInstance;
using fungible::WorkloadKind;

struct Chip {
  const char* id;
  int domain;
  double h100_equiv;  // rough training speed
  double tps_scale;   // serving throughput relative to an H100
  double usd_per_chip_hour;
};

// Public-spec-shaped figures; only their spread matters for the benchmark.
const Chip kChips[] = {
    {"h100-sxm", 8, 1.0, 1.0, 2.1}, {"h200", 8, 1.2, 1.5, 2.6},      {"b200", 8, 2.2, 2.4, 3.2},
    {"gb200", 72, 2.5, 3.0, 4.0},   {"tpu-v5e", 256, 0.5, 0.6, 1.2}, {"tpu-v6e", 256, 1.1, 1.3, 2.0},
    {"trn2", 64, 0.8, 0.9, 1.6},    {"mi300x", 8, 1.1, 1.3, 2.2},
};
constexpr int kNumChips = sizeof(kChips) / sizeof(kChips[0]);

AllocationInstance Generate(std::uint64_t seed, int P, int W, int T, int M) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  AllocationInstance inst;
  const fungible::UtcSeconds from = 1799020800;  // 2027-01-04T00:00Z, a Monday
  for (int t = 0; t < T; ++t) inst.periods.push_back({from + t * 3600LL, 1.0});
  std::vector<int> chip_of(P);
  for (int p = 0; p < P; ++p) {
    chip_of[p] = pick(0, kNumChips - 1);
    const Chip& c = kChips[chip_of[p]];
    AllocationInstance::PoolIn pool;
    pool.id = std::string(c.id) + "-" + std::to_string(p);
    pool.chip_type = c.id;
    pool.interconnect_domain_chips = c.domain;
    pool.usd_per_chip_hour = c.usd_per_chip_hour;
    double chips = std::round(std::exp(uni(std::log(256.0), std::log(8192.0))));
    double availability = uni(0.93, 0.99);
    bool landing = pick(0, 4) == 0;  // a fifth of the pools are still landing this week
    for (int t = 0; t < T; ++t) {
      double landed = landing ? std::min(1.0, 0.5 + 0.5 * t / T + (t >= T / 2 ? 0.25 : 0.0)) : 1.0;
      pool.capacity_chips.push_back(std::floor(chips * landed * availability));
    }
    inst.pools.push_back(std::move(pool));
  }
  // Serving: M models, diurnal demand sized to about 45% of the fleet.
  double fleet_h100 = 0;
  for (int p = 0; p < P; ++p)
    fleet_h100 += inst.pools[p].capacity_chips[T - 1] * kChips[chip_of[p]].tps_scale;
  for (int m = 0; m < M; ++m) {
    AllocationInstance::ModelIn model;
    model.id = "model-" + std::to_string(m);
    double tps_h100 = uni(800, 6000);
    model.usd_per_output_token = uni(0.4, 15.0) * 1e-6;
    for (int p = 0; p < P; ++p) {
      bool can = pick(0, 5) != 0;
      model.output_tokens_per_s_per_chip.push_back(can ? tps_h100 * kChips[chip_of[p]].tps_scale : 0.0);
    }
    double level = fleet_h100 * 0.45 / M * tps_h100 * 3600 * uni(0.5, 1.5);
    double phase = uni(0, 24);
    for (int t = 0; t < T; ++t) {
      double diurnal = 1.0 + 0.45 * std::sin((t % 24 - phase) * 2 * M_PI / 24);
      double weekly = (t / 24) % 7 >= 5 ? 0.8 : 1.05;
      model.demand_output_tokens.push_back(level * diurnal * weekly);
    }
    inst.models.push_back(std::move(model));
  }
  for (int w = 0; w < W; ++w) {
    AllocationInstance::WorkloadIn wl;
    wl.efficiency.assign(P, std::nullopt);
    if (w < 12) {  // serving classes: fast and batch tiers of the 8 models
      wl.id = "serve-" + std::to_string(w);
      wl.kind = WorkloadKind::kServe;
      wl.served_model = w % M;
      for (int p = 0; p < P; ++p) wl.efficiency[p] = kChips[chip_of[p]].tps_scale;
    } else {
      static const WorkloadKind kinds[] = {WorkloadKind::kPretrain, WorkloadKind::kRl,
                                           WorkloadKind::kResearch, WorkloadKind::kInternal};
      wl.kind = kinds[w % 4];
      wl.id = std::string(fungible::WorkloadKindName(wl.kind)) + "-" + std::to_string(w);
      std::vector<bool> chip_ok(kNumChips);
      for (int c = 0; c < kNumChips; ++c) chip_ok[c] = pick(0, 9) < 6;
      double maturity = uni(0.7, 1.0);
      for (int p = 0; p < P; ++p)
        if (chip_ok[chip_of[p]]) wl.efficiency[p] = kChips[chip_of[p]].h100_equiv * maturity;
      int steps = pick(1, 3);
      double value = uni(2.0, 9.0);
      for (int k = 0; k < steps; ++k) {
        wl.bids.push_back({std::round(uni(500, 6000)), value});
        value *= uni(0.35, 0.8);
      }
      if (wl.kind == WorkloadKind::kPretrain) {
        wl.gang_size_chips = 64 * pick(1, 4);
        wl.floor_effective_chips = std::round(uni(500, 2500));
        wl.floor_window_periods = 24;
      }
      if (wl.kind == WorkloadKind::kRl) {
        wl.floor_effective_chips = std::round(uni(200, 1000));
        wl.floor_window_periods = 24;
      }
    }
    inst.workloads.push_back(std::move(wl));
  }
  inst.switch_cost_usd_per_chip = 1.5;
  return inst;
}

// Periods [first, first + T) of `inst`.
AllocationInstance Window(const AllocationInstance& inst, int first, int T) {
  AllocationInstance s = inst;
  s.periods.assign(inst.periods.begin() + first, inst.periods.begin() + first + T);
  for (auto& p : s.pools)
    p.capacity_chips.assign(p.capacity_chips.begin() + first, p.capacity_chips.begin() + first + T);
  for (auto& m : s.models)
    m.demand_output_tokens.assign(m.demand_output_tokens.begin() + first,
                                  m.demand_output_tokens.begin() + first + T);
  return s;
}

double CpuSeconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + 1e-6 * (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 1;
  int repeat = 5, P = 50, W = 30, T = 168;
  std::string mps;
  bool integer_gangs = false;
  double switch_cost = 1.5;
  int models = 12;
  double idle_pref = -1;
  fungible::AllocateMethod method = fungible::AllocateMethod::kAuto;
  double time_limit_s = 0;
  int resolves = 0, shift = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed")
      seed = std::stoull(next());
    else if (a == "--repeat")
      repeat = std::max(0, std::stoi(next()));  // 0: write the MPS only
    else if (a == "--mps")
      mps = next();
    else if (a == "--integer-gangs")
      integer_gangs = true;
    else if (a == "--pools")
      P = std::stoi(next());
    else if (a == "--workloads")
      W = std::stoi(next());
    else if (a == "--periods")
      T = std::stoi(next());
    else if (a == "--switch-cost")
      switch_cost = std::stod(next());
    else if (a == "--models")
      models = std::stoi(next());
    else if (a == "--idle-pref")
      idle_pref = std::stod(next());
    else if (a == "--time-limit")
      time_limit_s = std::stod(next());
    else if (a == "--resolve")
      resolves = std::max(0, std::stoi(next()));
    else if (a == "--shift")
      shift = std::max(0, std::stoi(next()));
    else if (a == "--method") {
      std::string m = next();
      if (m == "exact")
        method = fungible::AllocateMethod::kExact;
      else if (m == "decomposed")
        method = fungible::AllocateMethod::kDecomposed;
      else if (m != "auto") {
        std::fprintf(stderr, "--method: auto, exact or decomposed, got %s\n", m.c_str());
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: allocate_bench [--seed N] [--repeat N] [--mps FILE] [--integer-gangs]\n");
      return 2;
    }
  }
  AllocationInstance inst = Generate(seed, P, W, T + resolves * shift, models);
  inst.switch_cost_usd_per_chip = switch_cost;
  fungible::AllocateOptions opt;
  opt.integer_gangs = integer_gangs;
  opt.method = method;
  opt.time_limit_s = time_limit_s;

  if (resolves > 0) {
    fungible::AllocationWarmStart bases;
    fungible::AllocateOptions warm = opt;
    warm.warm_start = &bases;
    auto first = fungible::Solve(Window(inst, 0, T), warm);
    if (!first.ok()) {
      std::fprintf(stderr, "solve failed: %s\n", first.status().ToString().c_str());
      return 1;
    }
    std::printf("pools %d workloads %d periods %d resolves %d shift_h %d method %s\n", P, W, T, resolves,
                shift, first->method.c_str());
    std::printf("%-3s %9s %9s %9s %9s %7s %7s %5s %5s %16s %16s %16s\n", "k", "cold_s", "warm_s", "cold_cpu",
                "warm_cpu", "wall_x", "cpu_x", "w_lps", "c_lps", "cold_plan_usd", "warm_plan_usd",
                "bound_usd");
    std::vector<double> cold_s, warm_s, cold_cpu, warm_cpu, plan_diff;
    for (int k = 1; k <= resolves; ++k) {
      const AllocationInstance win = Window(inst, k * shift, T);
      fungible::StatusOr<fungible::AllocationResult> rc = fungible::Status::Internal("not run"), rw = rc;
      double wc = 0, ww = 0, cc = 0, cw = 0;
      auto run = [&](bool use_warm) {
        const double c0 = CpuSeconds();
        auto t0 = std::chrono::steady_clock::now();
        auto r = fungible::Solve(win, use_warm ? warm : opt);
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        (use_warm ? ww : wc) = wall;
        (use_warm ? cw : cc) = CpuSeconds() - c0;
        (use_warm ? rw : rc) = std::move(r);
      };
      if (k % 2) {
        run(false);
        run(true);
      } else {
        run(true);
        run(false);
      }
      if (!rc.ok() || !rw.ok()) {
        std::fprintf(stderr, "re-solve %d failed: %s\n", k, (rc.ok() ? rw : rc).status().ToString().c_str());
        return 1;
      }
      std::printf("%-3d %9.3f %9.3f %9.3f %9.3f %7.3f %7.3f %5d %5d %16.2f %16.2f %16.2f\n", k, wc, ww, cc,
                  cw, ww / wc, cw / cc, bases.warm_lps, bases.cold_lps, rc->plan_value_usd,
                  rw->plan_value_usd, rw->bound_usd);
      cold_s.push_back(wc);
      warm_s.push_back(ww);
      cold_cpu.push_back(cc);
      warm_cpu.push_back(cw);
      plan_diff.push_back(std::fabs(rw->plan_value_usd - rc->plan_value_usd) / std::fabs(rc->bound_usd));
    }
    std::printf(
        "median cold_s %.3f warm_s %.3f wall_ratio %.3f cold_cpu_s %.3f warm_cpu_s %.3f cpu_ratio %.3f\n",
        Median(cold_s), Median(warm_s), Median(warm_s) / Median(cold_s), Median(cold_cpu), Median(warm_cpu),
        Median(warm_cpu) / Median(cold_cpu));
    std::printf("largest |warm - cold plan value| / bound %.3g\n",
                *std::max_element(plan_diff.begin(), plan_diff.end()));
    return 0;
  }

  if (!mps.empty()) {
    fungible::Status st;
    if (idle_pref >= 0) {
      fungible::LpModel lp;
      fungible::AllocationLpOptions lo;
      lo.integer_gangs = integer_gangs;
      lo.idle_preference_usd_per_chip_hour = idle_pref;
      fungible::AppendAllocationLp(inst, lp, 1.0, "", lo);
      st = fungible::WriteLpModelMps(lp, mps);
    } else {
      st = fungible::WriteMps(inst, opt, mps);
    }
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
    if (repeat == 0) return 0;
  }
  std::vector<double> build, solve, e2e;
  fungible::AllocationResult last;
  for (int r = 0; r < repeat; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    auto res = fungible::Solve(inst, opt);
    double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!res.ok()) {
      std::fprintf(stderr, "solve failed: %s\n", res.status().ToString().c_str());
      return 1;
    }
    build.push_back(res->build_seconds);
    solve.push_back(res->solve_seconds);
    e2e.push_back(total);
    last = std::move(*res);
  }
  std::printf("pools %d\nworkloads %d\nperiods %d\n", P, W, T);
  std::printf("rows %d\ncolumns %d\ninteger %d\n", last.lp_rows, last.lp_columns, last.has_integers ? 1 : 0);
  std::printf("status %s\n", fungible::SolveStatusName(last.status));
  std::printf("method %s\n", last.method.c_str());
  std::printf("plan_value_usd %.10g\nbound_usd %.10g\ngap_rel %.6g\n", last.plan_value_usd, last.bound_usd,
              last.gap_rel);
  std::printf("objective_usd %.10g\n", last.objective_usd);
  std::printf("objective_min %.10g\n", -last.objective_usd);
  std::printf("utilization %.4f\n", last.utilization);
  std::printf("build_s %.4f\nsolve_s %.4f\nend_to_end_s %.4f\n", Median(build), Median(solve), Median(e2e));
  std::printf("bound_s %.4f\n", last.bound_seconds);
  std::printf("repeat %d\n", repeat);
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("peak_rss_mb %.1f\n", ru.ru_maxrss / 1024.0);
  return 0;
}

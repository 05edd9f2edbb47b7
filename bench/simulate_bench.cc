// A simulated year at fleet scale: 50 pools x 30 workload classes (8 served
// models, pretraining gangs with floors, RL, research, internal use), hourly
// virtual time, the allocation re-solved every 24 h over the next 48 h. The
// fleet is generated from a seed as a spec (YAML) and read by the real parser.
//
//   simulate_bench [--seed 1] [--months 12] [--policy fungible] [--period 1]
//                  [--resolve 24] [--horizon 48] [--pools 50] [--serve 8]
//                  [--scenario random:1] [--threads 0] [--print-spec]
//
// Prints "key value" lines: wall time, simulated hours per second, and where
// the time went (scenario, instance build, solve, apply, ledger), plus LP
// sizes and the run's headline figures.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "simulate/simulate.h"
#include "spec/spec.h"

namespace {

struct Chip {
  const char* id;
  double train_h100_equiv;  // training speed relative to an H100
  double tps_scale;         // serving throughput relative to an H100
  double usd_per_chip_hour;
};

// Catalog chips; only the spread of the figures matters here.
const Chip kChips[] = {
    {"h100-sxm", 1.0, 1.0, 2.1}, {"h200", 1.2, 1.5, 2.6},    {"b200", 2.2, 2.4, 3.2},
    {"gb200", 2.5, 3.0, 4.0},    {"tpu-v5e", 0.5, 0.6, 1.2}, {"mi300x", 1.1, 1.3, 2.2},
};
constexpr int kNumChips = sizeof(kChips) / sizeof(kChips[0]);

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// The fleet spec, as YAML. Serving demand is sized to about 45% of the
// fleet's serving capacity at the start, growing 4% a month.
std::string GenerateSpec(std::uint64_t seed, int pools, int serve) {
  std::mt19937_64 rng(seed);
  auto uni = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
  auto pick = [&](int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng); };
  std::string y = "name: bench-fleet\nchip_types:\n";
  for (const auto& c : kChips) y += "  - catalog: " + std::string(c.id) + "\n";
  y += "contracts:\n";
  for (int k = 0; k < kNumChips; ++k)
    y += "  - {id: c-" + std::string(kChips[k].id) + ", provider: p" + std::to_string(k) +
         ", kind: reserved, start: 2026-01-01, end: 2030-01-01, usd_per_chip_hour: " +
         Num(kChips[k].usd_per_chip_hour) + "}\n";
  y += "pools:\n";
  std::vector<int> chip_of(static_cast<size_t>(pools));
  double fleet_h100_tps = 0;
  for (int p = 0; p < pools; ++p) {
    chip_of[p] = pick(0, kNumChips - 1);
    const Chip& c = kChips[chip_of[p]];
    const int chips =
        static_cast<int>(std::round(std::exp(uni(std::log(256.0), std::log(4096.0))) / 64) * 64);
    y += "  - {id: pool-" + std::to_string(p) + ", chip_type: " + c.id + ", chips: " + std::to_string(chips) +
         ", contract: c-" + c.id + ", availability: " + Num(uni(0.94, 0.99));
    if (pick(0, 3) == 0)
      y += ", mtbf_hours: " + Num(uni(500, 3000)) + ", mttr_hours: " + Num(uni(4, 24)) +
           ", failure_fraction: 0.25";
    if (pick(0, 4) == 0) {
      // A fifth of the pools land during the year.
      const int month = pick(2, 9);
      y += ", landing_ramp: [{at: 2027-" + std::string(month < 10 ? "0" : "") + std::to_string(month) +
           "-01, fraction: 0.5}, {at: 2027-" + std::string(month + 2 < 10 ? "0" : "") +
           std::to_string(month + 2) + "-01, fraction: 1}]";
    } else {
      fleet_h100_tps += chips * c.tps_scale;
    }
    y += "}\n";
  }
  y += "models:\n";
  std::vector<double> tps(static_cast<size_t>(serve));
  for (int m = 0; m < serve; ++m) {
    tps[m] = uni(800, 6000);
    y += "  - id: model-" + std::to_string(m) + "\n    tier: t" + std::to_string(m) +
         "\n    launch: 2026-01-01\n    usd_per_million_input_tokens: " + Num(uni(0.1, 3)) +
         "\n    usd_per_million_output_tokens: " + Num(uni(0.4, 15)) +
         "\n    efficiency_gain_per_month: 0.02\n    output_tokens_per_s_per_chip:\n";
    for (int k = 0; k < kNumChips; ++k)
      if (k == 0 || pick(0, 4) != 0)
        y += "      " + std::string(kChips[k].id) + ": " + Num(tps[m] * kChips[k].tps_scale) + "\n";
  }
  y += "workloads:\n";
  for (int m = 0; m < serve; ++m)
    y += "  - {id: serve-" + std::to_string(m) + ", kind: serve, team: product, model: model-" +
         std::to_string(m) + "}\n";
  auto eligible = [&](double lo, double hi) {
    std::string e = "[";
    bool first = true;
    for (int k = 0; k < kNumChips; ++k) {
      if (k != 0 && pick(0, 2) == 0) continue;
      e += std::string(first ? "" : ", ") + "{chip_type: " + kChips[k].id +
           ", efficiency_h100_equiv: " + Num(kChips[k].train_h100_equiv * uni(lo, hi)) + "}";
      first = false;
    }
    return e + "]";
  };
  const double fleet_h100 = fleet_h100_tps;  // rough training capacity in H100-equivalents
  for (int i = 0; i < 4; ++i)
    y += "  - {id: pretrain-" + std::to_string(i) +
         ", kind: pretrain, team: frontier, gang_size_chips: " + std::to_string(64 << pick(0, 2)) +
         ", eligible: " + eligible(0.8, 1.0) + ", floor_effective_chips: " + Num(fleet_h100 * 0.04) +
         ", bids: [{effective_chips: " + Num(fleet_h100 * 0.06) +
         ", usd_per_effective_chip_hour: " + Num(uni(3, 5)) + "}]}\n";
  for (int i = 0; i < 4; ++i)
    y += "  - {id: rl-" + std::to_string(i) + ", kind: rl, team: frontier, eligible: " + eligible(0.7, 1.0) +
         ", bids: [{effective_chips: " + Num(fleet_h100 * 0.03) +
         ", usd_per_effective_chip_hour: " + Num(uni(2, 4)) +
         "}, {effective_chips: " + Num(fleet_h100 * 0.03) +
         ", usd_per_effective_chip_hour: " + Num(uni(0.5, 1.5)) + "}]}\n";
  for (int i = 0; i < 30 - serve - 8 - 6; ++i)
    y += "  - {id: research-" + std::to_string(i) +
         ", kind: research, team: research, eligible: " + eligible(0.6, 1.0) +
         ", bids: [{effective_chips: " + Num(fleet_h100 * 0.01) +
         ", usd_per_effective_chip_hour: " + Num(uni(1.5, 3)) +
         "}, {effective_chips: " + Num(fleet_h100 * 0.02) +
         ", usd_per_effective_chip_hour: " + Num(uni(0.3, 1)) + "}]}\n";
  for (int i = 0; i < 6; ++i)
    y += "  - {id: internal-" + std::to_string(i) +
         ", kind: internal, team: internal, eligible: " + eligible(0.9, 1.0) +
         ", bids: [{effective_chips: " + Num(fleet_h100 * 0.005) +
         ", usd_per_effective_chip_hour: " + Num(uni(4, 8)) + "}]}\n";
  y += "demand:\n";
  for (int m = 0; m < serve; ++m) {
    const double level = fleet_h100_tps * 0.45 / serve * tps[m] * 3600 * uni(0.6, 1.4);
    y += "  - model: model-" + std::to_string(m) + "\n    output_tokens_per_hour: " + Num(level) +
         "\n    as_of: 2027-01-01\n    diurnal_shape: [0.55, 0.5, 0.45, 0.45, 0.5, 0.6, 0.75, 0.9, 1.05, "
         "1.2, 1.3, "
         "1.4, 1.45, 1.5, 1.5, 1.45, 1.4, 1.3, 1.2, 1.1, 0.95, 0.8, 0.7, 0.6]\n"
         "    weekly_shape: [1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8]\n"
         "    hourly_noise_log_sd: 0.08\n    hourly_noise_autocorrelation: 0.7\n"
         "    growth: {monthly_log_growth_mean: 0.04, monthly_log_growth_sd: 0.02, monthly_volatility: 0.04";
    if (m % 3 == 0)
      y += ", launches: [{date: 2027-" + std::string(m % 9 + 3 < 10 ? "0" : "") + std::to_string(m % 9 + 3) +
           "-15, multiplier_median: 1.4, multiplier_log_sd: 0.2, throughput_multiplier: 1.3}]";
    y += "}\n";
  }
  y += "allocation: {switch_cost_usd_per_chip: 1.0}\nforecast: {scenarios: 501, seed: " +
       std::to_string(seed) + ", start: 2027-01-01}\nsimulate: {start: 2027-01-01}\n";
  return y;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t seed = 1;
  int months = 12, period = 1, resolve = 24, horizon = 48, pools = 50, serve = 8;
  std::string policy = "fungible", scenario = "random:1";
  bool print_spec = false;
  int threads = 0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seed")
      seed = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--months")
      months = std::atoi(next().c_str());
    else if (a == "--period")
      period = std::atoi(next().c_str());
    else if (a == "--resolve")
      resolve = std::atoi(next().c_str());
    else if (a == "--horizon")
      horizon = std::atoi(next().c_str());
    else if (a == "--pools")
      pools = std::atoi(next().c_str());
    else if (a == "--serve")
      serve = std::atoi(next().c_str());
    else if (a == "--policy")
      policy = next();
    else if (a == "--scenario")
      scenario = next();
    else if (a == "--print-spec")
      print_spec = true;
    else if (a == "--threads")
      threads = std::atoi(next().c_str());
    else {
      std::fprintf(stderr, "simulate_bench: unknown flag %s\n", a.c_str());
      return 2;
    }
  }
  const std::string yaml = GenerateSpec(seed, pools, serve);
  if (print_spec) {
    std::fwrite(yaml.data(), 1, yaml.size(), stdout);
    return 0;
  }
  auto fleet = fungible::ParseFleetSpec(yaml, "bench-fleet.yaml");
  if (!fleet.ok()) {
    std::fprintf(stderr, "%s\n", fleet.status().ToString().c_str());
    return 1;
  }
  fungible::SimulateOptions o;
  o.months = months;
  o.demand = *fungible::ParseDemandChoice(scenario);
  auto policies = fungible::ParsePolicies(policy);
  if (!policies.ok()) {
    std::fprintf(stderr, "%s\n", policies.status().ToString().c_str());
    return 2;
  }
  o.policies = *policies;
  o.period_hours = period;
  o.resolve_every_hours = resolve;
  o.horizon_hours = horizon;
  o.threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  auto sim = fungible::Simulate(*fleet, o);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!sim.ok()) {
    std::fprintf(stderr, "%s\n", sim.status().ToString().c_str());
    return 1;
  }
  std::printf("pools %d\nworkload_classes %zu\nmodels %zu\nhours %d\npolicies %zu\n", pools,
              fleet->workloads.size(), fleet->models.size(), sim->hours, sim->runs.size());
  std::printf("resolve_every_hours %d\nhorizon_hours %d\nperiod_hours %d\n", resolve, horizon, period);
  std::printf("wall_seconds %.3f\nsimulated_hours_per_second %.1f\nscenario_seconds %.3f\n", wall,
              sim->hours * static_cast<double>(sim->runs.size()) / wall, sim->scenario_seconds);
  for (const auto& r : sim->runs) {
    const auto& p = r.profile;
    const char* name = fungible::PolicyName(r.policy);
    std::printf("%s.resolve_wall_seconds %.3f\n%s.disaggregate_seconds %.3f\n", name, p.resolve_wall_seconds,
                name, p.disaggregate_seconds);
    std::printf(
        "%s.total_seconds %.3f\n%s.build_seconds %.3f\n%s.solve_seconds %.3f\n%s.greedy_seconds %.3f\n"
        "%s.apply_seconds %.3f\n%s.ledger_seconds %.3f\n%s.resolves %d\n%s.lp_rows_max %d\n"
        "%s.lp_columns_max %d\n%s.revenue_usd %.0f\n%s.unserved_share %.4f\n%s.floor_windows_met %d/%d\n"
        "%s.utilization %.4f\n%s.roc_all_up %.3f\n%s.failures %d\n",
        name, p.total_seconds, name, p.build_seconds, name, p.solve_seconds, name, p.greedy_seconds, name,
        p.apply_seconds, name, p.ledger_seconds, name, r.summary.resolves, name, p.lp_rows_max, name,
        p.lp_columns_max, name, r.summary.revenue_usd, name, r.summary.unserved_share, name,
        r.summary.floor_windows_met, r.summary.floor_windows, name, r.summary.utilization, name,
        r.summary.roc_all_up, name, r.summary.failures);
  }
  return 0;
}

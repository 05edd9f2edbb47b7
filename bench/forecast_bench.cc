// Forecast benchmarks (docs/benchmarks.md, section Forecast):
//   monthly: 10,000 scenarios x 24 months x 5 tiers, paths alone and paths +
//            cone (quantiles of tokens, revenue, total revenue);
//   hourly:  1,000 scenarios x 8,760 hours x 5 tiers, expanded with shape and
//            AR(1) noise, peak hour per month;
// each beside the bare random generator drawing the same number of normals
// (the limit), on 1 and 2 threads. bench/forecast_numpy.py runs the same
// model in NumPy; bench/forecast_compare.py puts them side by side.
#include <benchmark/benchmark.h>

#include <cstdint>

#include "forecast/cone.h"
#include "forecast/hourly.h"
#include "forecast/random.h"
#include "forecast/scenarios.h"
#include "util/parallel.h"

namespace fungible {
namespace {

UtcSeconds Date(const char* s) { return ParseUtc(s).value(); }

// The benchmark fleet; bench/forecast_numpy.py builds the same one.
Fleet BenchFleet(int scenarios, int horizon) {
  Fleet f;
  f.name = "bench";
  f.file = "bench";
  const std::vector<double> diurnal = {0.55, 0.5, 0.45, 0.45, 0.5, 0.6, 0.75, 0.9, 1.05, 1.2, 1.3, 1.4,
                                       1.45, 1.5, 1.5,  1.45, 1.4, 1.3, 1.2,  1.1, 0.95, 0.8, 0.7, 0.6};
  for (int k = 0; k < 5; ++k) {
    ServedModel m;
    m.id = "tier" + std::to_string(k);
    m.usd_per_million_input_tokens = 0.5 * (k + 1);
    m.usd_per_million_output_tokens = 2.0 * (k + 1);
    m.input_tokens_per_output_token = 4.0;
    f.models.push_back(m);
    ServingDemand d;
    d.model = m.id;
    d.output_tokens_per_hour = 1e9 * (k + 1);
    d.as_of = Date("2027-01-01");
    d.diurnal_shape = diurnal;
    d.weekly_shape = {1.08, 1.1, 1.1, 1.08, 1.02, 0.82, 0.8};
    d.hourly_noise_log_sd = 0.15;
    d.hourly_noise_autocorrelation = 0.7;
    d.growth.monthly_log_growth_mean = 0.03 + 0.01 * k;
    d.growth.monthly_log_growth_sd = 0.02;
    d.growth.monthly_volatility = 0.04 + 0.01 * k;
    d.growth.shared_factor_loading = 0.5;
    if (k == 1) d.growth.saturation_multiple = 20.0;
    if (k == 2) d.growth.launches.push_back({Date("2027-07-01"), 1.5, 0.2});  // month 6
    if (k == 3) {
      d.growth.price_elasticity = -1.5;
      d.growth.price_changes.push_back({Date("2027-10-01"), -0.3});  // month 9
    }
    f.demand.push_back(d);
  }
  f.forecast.scenarios = scenarios;
  f.forecast.horizon_months = horizon;
  f.forecast.seed = 42;
  return f;
}

struct Setup {
  DemandModel model;
  ForecastOptions options;
};

Setup Make(int scenarios, int horizon, int threads) {
  const Fleet f = BenchFleet(scenarios, horizon);
  Setup s;
  s.options = ForecastOptionsFromSpec(f);
  s.options.threads = threads;
  s.model = BuildDemandModel(f, s.options).value();
  return s;
}

// Normals a scenario set draws: latents plus (tiers + 1) per month.
std::int64_t NormalsMonthly(const Setup& s) {
  return static_cast<std::int64_t>(s.options.scenarios) *
         (s.model.num_latents() +
          (s.model.horizon_months - s.model.first_month + 1) * (s.model.num_tiers() + 1));
}

// The limit: the same generator drawing `n` normals on `threads` threads,
// one stream per block of work as the model does.
double BareNormals(std::int64_t n, int threads, std::int64_t per_stream) {
  const std::int64_t streams = (n + per_stream - 1) / per_stream;
  std::vector<double> partial(static_cast<size_t>(streams));
  ParallelFor(streams, threads, 64, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) {
      Rng rng(1, StreamPurpose::kTest, static_cast<std::uint64_t>(i));
      double acc = 0;
      const std::int64_t count = std::min(per_stream, n - i * per_stream);
      for (std::int64_t k = 0; k < count; ++k) acc += rng.Normal();
      partial[static_cast<size_t>(i)] = acc;
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

void BM_MonthlyScenarios(benchmark::State& state) {
  const Setup s = Make(10000, 24, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    ScenarioSet set = GenerateScenarios(s.model, s.options);
    benchmark::DoNotOptimize(set.log_multiple.data());
  }
  state.counters["values"] = 10000.0 * 24 * 5;
}

void BM_MonthlyCone(benchmark::State& state) {
  const Setup s = Make(10000, 24, static_cast<int>(state.range(0)));
  for (auto _ : state) {
    ScenarioSet set = GenerateScenarios(s.model, s.options);
    Cone cone = ComputeCone(s.model, set, s.options.threads);
    benchmark::DoNotOptimize(cone.tiers.data());
  }
}

void BM_MonthlyBareGenerator(benchmark::State& state) {
  const Setup s = Make(10000, 24, static_cast<int>(state.range(0)));
  const std::int64_t n = NormalsMonthly(s);
  for (auto _ : state) benchmark::DoNotOptimize(BareNormals(n, s.options.threads, n / s.options.scenarios));
  state.counters["normals"] = static_cast<double>(n);
}

void BM_HourlyPeaks(benchmark::State& state) {
  const Setup s = Make(1000, 12, static_cast<int>(state.range(0)));
  const ScenarioSet set = GenerateScenarios(s.model, s.options);
  for (auto _ : state) {
    HourlyPeaks peaks = ComputeHourlyPeaks(s.model, set, s.options.threads);
    benchmark::DoNotOptimize(peaks.peak_output_tokens_per_hour.data());
  }
  state.counters["hours"] = static_cast<double>(HoursInMonths(s.model, 1, 12));
}

void BM_HourlyBareGenerator(benchmark::State& state) {
  const Setup s = Make(1000, 12, static_cast<int>(state.range(0)));
  const std::int64_t hours = HoursInMonths(s.model, 1, 12);
  const std::int64_t n = hours * 1000 * 5;
  for (auto _ : state) benchmark::DoNotOptimize(BareNormals(n, s.options.threads, hours));
  state.counters["normals"] = static_cast<double>(n);
}

BENCHMARK(BM_MonthlyScenarios)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_MonthlyCone)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_MonthlyBareGenerator)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_HourlyPeaks)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();
BENCHMARK(BM_HourlyBareGenerator)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace fungible

BENCHMARK_MAIN();

#include "simulate/window_demand.h"

#include <algorithm>

#include "util/text.h"

namespace fungible {

void ApplyDemandPaths(const DemandPaths& paths, int h0, int period_hours,
                      const std::function<double(int m, int k)>& hour_demand, AllocationInstance& inst) {
  const int T = static_cast<int>(inst.periods.size());
  for (size_t m = 0; m < inst.models.size(); ++m) {
    auto& mi = inst.models[m];
    mi.usd_per_output_token = paths.usd_per_output_token[m][h0];
    for (auto& tps : mi.output_tokens_per_s_per_chip) tps *= paths.throughput_multiplier[m][h0];
    for (int t = 0; t < T; ++t) {
      double d = 0;
      for (int k = 0; k < period_hours; ++k) d += hour_demand(static_cast<int>(m), t * period_hours + k);
      mi.demand_output_tokens[t] = d;
    }
  }
  for (size_t w = 0; w < inst.workloads.size(); ++w)
    for (auto& b : inst.workloads[w].bids) b.effective_chips *= paths.class_demand_multiple[w][h0];
}

StatusOr<AllocationInstance> BuildForecastInstance(const Fleet& fleet, const AllocateOptions& options,
                                                   const DemandChoice& choice, WindowDemand* demand) {
  auto inst = BuildInstance(fleet, options);
  if (!inst.ok()) return inst.status();
  if (options.from % kSecondsPerHour != 0)
    return Status::Invalid("--from: the forecast's demand is hourly; expected a whole hour, got " +
                           FormatUtc(options.from));
  auto paths = BuildDemandPaths(fleet, choice, options.from, options.hours);
  if (!paths.ok()) return paths.status();
  // The scenario's own hours: for a quantile path its expected hour, for a
  // drawn scenario its noisy one, for a trace the replay.
  ApplyDemandPaths(
      *paths, 0, options.period_hours,
      [&](int m, int k) { return paths->realised_tokens[static_cast<size_t>(m)][static_cast<size_t>(k)]; },
      *inst);
  if (demand != nullptr) {
    WindowDemand& d = *demand;
    d = WindowDemand();
    d.point = choice.text.empty() ? "P50" : choice.text;
    d.seed = choice.kind == DemandChoice::Kind::kRandom ? choice.seed : fleet.forecast.seed;
    if (choice.kind == DemandChoice::Kind::kP50)
      d.scenarios = std::clamp(fleet.forecast.scenarios, 1, kQuantilePathScenarios);
    const UtcSeconds end = options.from + static_cast<UtcSeconds>(options.hours) * kSecondsPerHour;
    for (size_t m = 0; m < fleet.models.size(); ++m) {
      d.model_ids.push_back(fleet.models[m].id);
      d.listed_usd_per_output_token.push_back(fleet.models[m].usd_per_output_token());
      d.usd_per_output_token.push_back(inst->models[m].usd_per_output_token);
      d.throughput_multiplier.push_back(paths->throughput_multiplier[m][0]);
      double total = 0;
      for (double v : inst->models[m].demand_output_tokens) total += v;
      d.demand_output_tokens.push_back(total);
    }
    for (const auto& l : paths->launches)
      if (l.date < end) d.launches.push_back(l);
    switch (choice.kind) {
      case DemandChoice::Kind::kP50:
        d.description = "the forecast's " + d.point + " path (month by month over " +
                        std::to_string(d.scenarios) + " scenarios, seed " + std::to_string(d.seed) +
                        "): growth, launches, price changes with elasticity; prices and tokens per chip-hour "
                        "as at the window's start";
        break;
      case DemandChoice::Kind::kRandom:
        d.description = "one scenario of the forecast, " + d.point +
                        " (its growth, shocks, launches and hourly noise); prices and tokens per chip-hour "
                        "as at the window's start";
        break;
      case DemandChoice::Kind::kTrace:
        d.description = "a replayed trace, " + d.point +
                        ", scaled to the forecast's P50 growth; prices and tokens per chip-hour as at the "
                        "window's start";
        break;
    }
  }
  return inst;
}

}  // namespace fungible

// Fleets for the forecast's unit tests, built in C++ (no YAML). Test-only.
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/time.h"

namespace fungible::forecast_testing {

inline UtcSeconds Date(const char* text) { return ParseUtc(text).value(); }

// A served model `id` at $0.50 / $2.00 per million input / output tokens with
// 4 input tokens per output token.
inline ServedModel Model(const std::string& id, const std::string& tier = "medium") {
  ServedModel m;
  m.id = id;
  m.tier = tier;
  m.usd_per_million_input_tokens = 0.5;
  m.usd_per_million_output_tokens = 2.0;
  m.input_tokens_per_output_token = 4.0;
  return m;
}

// Demand for `model`: `level` output tokens/hour at 2027-01-01 growing at
// `mean` +- `sd` a month with `volatility`.
inline ServingDemand Demand(const std::string& model, double level, double mean, double sd, double volatility,
                            double loading = 0.5) {
  ServingDemand d;
  d.model = model;
  d.output_tokens_per_hour = level;
  d.as_of = Date("2027-01-01");
  d.growth.monthly_log_growth_mean = mean;
  d.growth.monthly_log_growth_sd = sd;
  d.growth.monthly_volatility = volatility;
  d.growth.shared_factor_loading = loading;
  d.loc = {40, 5};
  return d;
}

// A fleet with `tiers` serving tiers tier0..tierN-1 of varied growth.
inline Fleet TieredFleet(int tiers, int scenarios = 2000, int horizon = 24, std::uint64_t seed = 7) {
  Fleet f;
  f.name = "test";
  f.file = "test.yaml";
  for (int k = 0; k < tiers; ++k) {
    const std::string id = "tier" + std::to_string(k);
    f.models.push_back(Model(id));
    f.demand.push_back(Demand(id, 1e9 * (k + 1), 0.03 + 0.01 * k, 0.02, 0.04 + 0.01 * k));
    f.demand.back().loc = {30 + 10 * k, 5};
  }
  f.forecast.scenarios = scenarios;
  f.forecast.horizon_months = horizon;
  f.forecast.seed = seed;
  return f;
}

}  // namespace fungible::forecast_testing

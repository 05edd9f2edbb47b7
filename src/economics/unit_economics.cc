#include "economics/unit_economics.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "util/text.h"

namespace fungible::economics {
namespace {

constexpr double kHoursPerYear = 8760.0;

// Chips of `pool` landed (installed, paid for) at t, before availability.
double LandedChips(const Fleet& fleet, const Pool& pool, UtcSeconds t) {
  if (pool.availability <= 0) return 0.0;
  return fleet.PoolCapacityAt(pool, t) / pool.availability;
}

double MaxOf(const std::vector<double>& v) { return v.empty() ? 1.0 : *std::max_element(v.begin(), v.end()); }

// "inference gross margin 97% lies outside 30%-80%, the band ... (sources)",
// every figure written by `shown`.
template <typename Shown>
std::string Band(const PublicBand& b, double value, Shown shown) {
  return b.what + std::string(" ") + shown(value) + " lies outside " + shown(b.low) + "-" + shown(b.high) +
         ", the band published figures support (" + b.source + ")";
}

}  // namespace

const PublicBand& InferenceGrossMarginBand() {
  static const PublicBand b{
      0.30, 0.80, "inference gross margin (serving fleet sized for its peak hour)",
      "Anthropic's 2025 gross-margin guidance 40% and OpenAI's 2025 46%, The Information, Jan 2026; "
      "Anthropic's inference margin ~70% in 2026, SemiAnalysis"};
  return b;
}

const PublicBand& RevenueToComputeCostBand() {
  static const PublicBand b{
      0.5, 3.0, "token revenue / compute cost",
      "OpenAI 2024: $3.7B revenue on ~$5B of compute (0.7x); inference gross margins of 40-70% put "
      "revenue at 1.7-3.3x the serving compute alone"};
  return b;
}

const PublicBand& RevenuePerChipYearBand() {
  static const PublicBand b{
      5000, 50000, "revenue per chip-year",
      "Anthropic: >$30B run-rate at the end of Q1 2026 (its CFO, 2026) on ~1M Trainium2 (Amazon, Oct 2025) "
      "and up to 1M TPUs (Google, Oct 2025): ~$15k"};
  return b;
}

UtcSeconds EconomicsStart(const Fleet& fleet) {
  if (fleet.forecast.start != 0) return StartOfMonth(fleet.forecast.start);
  UtcSeconds t = 0;
  for (const auto& d : fleet.demand)
    if (t == 0 || d.as_of < t) t = d.as_of;
  return t;
}

UnitEconomics ComputeUnitEconomics(const Fleet& fleet) {
  UnitEconomics out;
  FleetEconomics& f = out.fleet;
  f.at = EconomicsStart(fleet);

  // Landed chips, their cost and their facility power, per chip type.
  std::map<std::string, double> chips_of, usd_per_hour_of;
  for (const auto& pool : fleet.pools) {
    const double chips = LandedChips(fleet, pool, f.at);
    chips_of[pool.chip_type] += chips;
    usd_per_hour_of[pool.chip_type] += chips * fleet.PoolUsdPerChipHour(pool);
    if (const ChipType* chip = fleet.FindChip(pool.chip_type))
      f.facility_megawatts += chips * chip->FacilityMwPerChip(fleet.allocation.pue);
  }
  // Mean contract rate of each chip type: over its landed chips, or over its
  // pools when none has landed yet.
  std::map<std::string, double> rate_of;
  for (const auto& [chip, n] : chips_of) {
    f.chips_landed += n;
    f.usd_compute_cost_per_year += usd_per_hour_of[chip] * kHoursPerYear;
    if (n > 0) {
      rate_of[chip] = usd_per_hour_of[chip] / n;
      continue;
    }
    double sum = 0;
    int pools = 0;
    for (const auto& pool : fleet.pools)
      if (pool.chip_type == chip) sum += fleet.PoolUsdPerChipHour(pool), ++pools;
    rate_of[chip] = sum / pools;  // chips_of has only chip types with pools
  }

  for (const auto& m : fleet.models) {
    for (const auto& [chip, tps] : m.output_tokens_per_s_per_chip) {
      ServingUnit u;
      u.model = m.id;
      u.chip_type = chip;
      u.output_tokens_per_s_per_chip = tps;
      u.measured = m.throughput_from_spec;
      if (auto it = m.estimated_output_tokens_per_s_per_chip.find(chip);
          it != m.estimated_output_tokens_per_s_per_chip.end())
        u.estimated_output_tokens_per_s_per_chip = it->second;
      u.usd_revenue_per_chip_hour = tps * 3600.0 * m.usd_per_output_token();
      u.usd_cost_per_chip_hour = rate_of[chip];
      u.gross_margin = u.usd_revenue_per_chip_hour > 0
                           ? 1.0 - u.usd_cost_per_chip_hour / u.usd_revenue_per_chip_hour
                           : 0.0;
      out.units.push_back(u);
    }
  }

  // Serving at mean demand: each model's traffic spread over its chip types so
  // that every type runs at the same utilisation (traffic in proportion to the
  // tokens each type's landed chips can serve).
  double serving_usd_per_hour = 0, serving_peak_usd_per_hour = 0;
  for (const auto& d : fleet.demand) {
    const ServedModel* m = fleet.FindModel(d.model);
    if (m == nullptr) continue;
    f.usd_token_revenue_per_year += d.output_tokens_per_hour * m->usd_per_output_token() * kHoursPerYear;
    double tokens_per_hour_capacity = 0;
    for (const auto& [chip, tps] : m->output_tokens_per_s_per_chip)
      tokens_per_hour_capacity += chips_of[chip] * tps * 3600;
    if (tokens_per_hour_capacity <= 0) continue;
    const double utilisation = d.output_tokens_per_hour / tokens_per_hour_capacity;
    double chips = 0, usd_per_hour = 0;  // at mean demand
    for (const auto& [chip, tps] : m->output_tokens_per_s_per_chip) {
      chips += utilisation * chips_of[chip];
      usd_per_hour += utilisation * chips_of[chip] * rate_of[chip];
    }
    const double peak = MaxOf(d.diurnal_shape) * MaxOf(d.weekly_shape);
    f.serving_chips_at_mean_demand += chips;
    f.serving_chips_at_peak_hour += peak * chips;
    serving_usd_per_hour += usd_per_hour;
    serving_peak_usd_per_hour += peak * usd_per_hour;
  }
  f.usd_serving_cost_per_year = serving_usd_per_hour * kHoursPerYear;
  f.usd_serving_cost_at_peak_per_year = serving_peak_usd_per_hour * kHoursPerYear;
  if (f.usd_compute_cost_per_year > 0)
    f.revenue_to_compute_cost = f.usd_token_revenue_per_year / f.usd_compute_cost_per_year;
  if (f.chips_landed > 0) {
    f.usd_revenue_per_chip_year = f.usd_token_revenue_per_year / f.chips_landed;
    f.serving_share_of_chips = f.serving_chips_at_mean_demand / f.chips_landed;
  }
  if (f.usd_token_revenue_per_year > 0) {
    f.inference_gross_margin = 1.0 - f.usd_serving_cost_at_peak_per_year / f.usd_token_revenue_per_year;
    f.inference_gross_margin_fungible = 1.0 - f.usd_serving_cost_per_year / f.usd_token_revenue_per_year;
  }

  // The model-development floors against the fleet in H100-equivalents (each
  // chip counted at the best efficiency any floored workload has on it).
  double floor_h100 = 0, fleet_h100 = 0;
  std::map<std::string, double> best_eff;
  for (const auto& w : fleet.workloads) {
    if (!IsModelDevelopment(w.kind) || w.floor_effective_chips <= 0) continue;
    floor_h100 += w.floor_effective_chips;
    for (const auto& e : w.eligible)
      best_eff[e.chip_type] = std::max(best_eff[e.chip_type], e.efficiency_h100_equiv);
  }
  for (const auto& [chip, n] : chips_of) fleet_h100 += n * best_eff[chip];
  if (fleet_h100 > 0) f.model_development_floor_share = floor_h100 / fleet_h100;

  // Warnings against the published bands.
  auto check = [&](const char* field, double value, const PublicBand& band, auto shown) {
    if (value < band.low || value > band.high) out.warnings.push_back({field, Band(band, value, shown)});
  };
  if (f.usd_token_revenue_per_year > 0) {
    check("inference_gross_margin", f.inference_gross_margin, InferenceGrossMarginBand(),
          [](double v) { return Percent(v, 0); });
    check("revenue_to_compute_cost", f.revenue_to_compute_cost, RevenueToComputeCostBand(),
          [](double v) { return Fixed(v, 2) + "x"; });
    check("revenue_per_chip_year", f.usd_revenue_per_chip_year, RevenuePerChipYearBand(),
          [](double v) { return Money(v); });
  }
  if (f.chips_landed > 0 && f.serving_chips_at_peak_hour > f.chips_landed) {
    out.warnings.push_back({"serving_chips_at_peak_hour",
                            "serving the peak hour needs " + Fixed(f.serving_chips_at_peak_hour, 0) +
                                " chips, more than the " + Fixed(f.chips_landed, 0) +
                                " landed: the demand level or the throughputs are off, or revenue is lost"});
  }
  return out;
}

}  // namespace fungible::economics

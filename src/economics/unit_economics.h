// Unit economics of a fleet spec at its start: what one chip-hour of each
// chip type earns serving each model and what it costs, and what the whole
// fleet earns and costs a year at the spec's expected demand. Checked against
// bands that published figures of frontier labs support, so that a spec whose
// numbers no public figure supports says so before anyone plans with it.
//
// Pure arithmetic on the spec (no solver): `fungible validate` prints it. The
// figures are at the start month (forecast.start, else the earliest demand
// as_of), with demand at its mean level and prices at list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/time.h"

namespace fungible::economics {

// A band of plausible values with the public figures it rests on.
struct PublicBand {
  double low = 0;
  double high = 0;
  const char* what = "";    // "inference gross margin"
  const char* source = "";  // the published figures, named
};

// The bands used by the warnings (docs/economics.md gives the sources).
const PublicBand& InferenceGrossMarginBand();
const PublicBand& RevenueToComputeCostBand();
const PublicBand& RevenuePerChipYearBand();

// Serving `model` on `chip_type`, one chip for one hour.
struct ServingUnit {
  std::string model;
  std::string chip_type;
  double output_tokens_per_s_per_chip = 0;  // used: the spec's measured figure, else the estimate
  bool measured = true;                     // the figure comes from the spec's table
  // The first-principles estimate (docs/throughput.md), when the model has an
  // architecture and fits the chip.
  std::optional<double> estimated_output_tokens_per_s_per_chip;
  double usd_revenue_per_chip_hour = 0;  // tokens x blended price per output token
  double usd_cost_per_chip_hour = 0;     // chip-weighted mean contract rate of this chip type's pools
  double gross_margin = 0;               // 1 - cost / revenue (negative: serving loses money)
};

struct FleetEconomics {
  UtcSeconds at = 0;  // the start month
  double chips_landed = 0;
  double facility_megawatts = 0;          // chips x all-in power per chip x PUE
  double usd_token_revenue_per_year = 0;  // mean demand at list prices, x 8,760 h
  double usd_compute_cost_per_year = 0;   // landed chips x contract rate x 8,760 h (take-or-pay)
  double revenue_to_compute_cost = 0;
  double usd_revenue_per_chip_year = 0;
  // Serving at mean demand on the fleet's chip mix (each model's traffic spread
  // over its chip types in proportion to their landed chips):
  double serving_chips_at_mean_demand = 0;
  double serving_chips_at_peak_hour = 0;         // the busiest hour of the diurnal and weekly shapes
  double usd_serving_cost_per_year = 0;          // the chip-hours serving uses, at contract rates
  double usd_serving_cost_at_peak_per_year = 0;  // a serving fleet sized for the peak hour, all hours
  // 1 - serving cost / token revenue. Published margins are those of serving
  // fleets sized for their peak, so the band is checked on that one; the
  // fungible figure charges serving only the chip-hours it uses (the trough
  // goes to training).
  double inference_gross_margin = 0;
  double inference_gross_margin_fungible = 0;
  double serving_share_of_chips = 0;         // serving_chips_at_mean_demand / chips_landed
  double model_development_floor_share = 0;  // floors (pretrain, rl) in H100-eq / fleet H100-eq
};

struct EconomicsWarning {
  std::string field;    // "inference_gross_margin"
  std::string message;  // names the value, the band and its source
};

struct UnitEconomics {
  std::vector<ServingUnit> units;  // by model, then chip type, as in the spec
  FleetEconomics fleet;
  std::vector<EconomicsWarning> warnings;
};

// The start month used by ComputeUnitEconomics.
UtcSeconds EconomicsStart(const Fleet& fleet);

UnitEconomics ComputeUnitEconomics(const Fleet& fleet);

}  // namespace fungible::economics

// Known answers for the unit economics `fungible validate` prints.
#include "economics/unit_economics.h"

#include <gtest/gtest.h>

#include "util/time.h"

namespace fungible::economics {
namespace {

// One H100 pool of 1,000 chips at $2 a chip-hour; one model at $3 / $15 per
// million with 10 input tokens per output token, half of them cached at $0.30.
Fleet OneModelFleet(double output_tokens_per_hour, double tokens_per_s_per_chip) {
  Fleet f;
  ChipType chip;
  chip.id = "h100-sxm";
  chip.power_w = 700;
  f.chip_types.push_back(chip);
  Contract c;
  c.id = "c";
  c.start = *ParseUtc("2026-01-01");
  c.end = *ParseUtc("2028-01-01");
  c.usd_per_chip_hour = 2.0;
  f.contracts.push_back(c);
  Pool p;
  p.id = "p";
  p.chip_type = "h100-sxm";
  p.chips = 1000;
  p.contract = "c";
  p.availability = 0.9;
  f.pools.push_back(p);
  ServedModel m;
  m.id = "m";
  m.usd_per_million_input_tokens = 3;
  m.usd_per_million_cached_input_tokens = 0.3;
  m.cached_input_share = 0.5;
  m.usd_per_million_output_tokens = 15;
  m.input_tokens_per_output_token = 10;
  m.output_tokens_per_s_per_chip["h100-sxm"] = tokens_per_s_per_chip;
  f.models.push_back(m);
  ServingDemand d;
  d.model = "m";
  d.output_tokens_per_hour = output_tokens_per_hour;
  d.as_of = *ParseUtc("2026-04-01");
  d.diurnal_shape = std::vector<double>(24, 1.0);
  d.diurnal_shape[20] = 1.5;
  d.diurnal_shape[8] = 0.5;
  f.demand.push_back(d);
  return f;
}

TEST(UsdPerOutputToken, BlendsCachedAndUncachedInput) {
  const Fleet f = OneModelFleet(1e9, 100);
  // $15 + 10 x (0.5 x $3 + 0.5 x $0.30) = $15 + $16.50 = $31.50 per million.
  EXPECT_NEAR(f.models[0].usd_per_output_token() * 1e6, 31.5, 1e-9);
  ServedModel no_cache = f.models[0];
  no_cache.usd_per_million_cached_input_tokens.reset();  // cached reads at the input price
  EXPECT_NEAR(no_cache.usd_per_output_token() * 1e6, 45.0, 1e-9);
}

TEST(UnitEconomics, KnownAnswerForOneModelOnOnePool) {
  // 1e8 output tokens an hour: $3,150 an hour of revenue. 100 tokens/s per
  // chip = 360,000 an hour per chip, so serving uses 277.8 chips at $2.
  const UnitEconomics ue = ComputeUnitEconomics(OneModelFleet(1e8, 100));
  ASSERT_EQ(ue.units.size(), 1u);
  EXPECT_NEAR(ue.units[0].usd_revenue_per_chip_hour, 360000 * 31.5e-6, 1e-9);  // $11.34
  EXPECT_NEAR(ue.units[0].gross_margin, 1 - 2.0 / 11.34, 1e-9);
  const FleetEconomics& f = ue.fleet;
  EXPECT_EQ(FormatDate(f.at), "2026-04-01");
  EXPECT_NEAR(f.chips_landed, 1000, 1e-9);  // paid for whether up or not
  EXPECT_NEAR(f.usd_token_revenue_per_year, 3150.0 * 8760, 1e-6);
  EXPECT_NEAR(f.usd_compute_cost_per_year, 2000.0 * 8760, 1e-6);
  EXPECT_NEAR(f.revenue_to_compute_cost, 3150.0 / 2000.0, 1e-12);
  EXPECT_NEAR(f.serving_chips_at_mean_demand, 1e8 / 360000.0, 1e-9);
  EXPECT_NEAR(f.serving_chips_at_peak_hour, 1.5 * 1e8 / 360000.0, 1e-9);
  EXPECT_NEAR(f.inference_gross_margin_fungible, 1 - (1e8 / 360000.0 * 2.0) / 3150.0, 1e-12);
  EXPECT_NEAR(f.inference_gross_margin, 1 - (1.5 * 1e8 / 360000.0 * 2.0) / 3150.0,
              1e-12);  // sized for the peak
  EXPECT_NEAR(f.usd_revenue_per_chip_year, 3150.0 * 8760 / 1000, 1e-9);
  // $27.6k a chip-year is inside the band; the margin (74% at the peak) too.
  EXPECT_TRUE(ue.warnings.empty()) << ue.warnings[0].message;
}

TEST(UnitEconomics, OldStyleThroughputsGetTheMarginWarning) {
  // Max-load throughputs of a small open model standing in for a frontier one
  // (the example before recalibration: 1,169 tokens/s per H100 at $31.50):
  // revenue $132 per chip-hour against $2 of cost.
  const UnitEconomics ue = ComputeUnitEconomics(OneModelFleet(3e9, 1169));
  bool margin = false, per_chip = false, ratio = false;
  for (const auto& w : ue.warnings) {
    margin |= w.field == "inference_gross_margin";
    per_chip |= w.field == "revenue_per_chip_year";
    ratio |= w.field == "revenue_to_compute_cost";
  }
  EXPECT_TRUE(margin);
  EXPECT_TRUE(per_chip);
  EXPECT_NE(ue.warnings[0].message.find("The Information"), std::string::npos) << ue.warnings[0].message;
  EXPECT_TRUE(ratio);
}

TEST(UnitEconomics, PeakBeyondTheFleetIsReported) {
  const UnitEconomics ue = ComputeUnitEconomics(OneModelFleet(3e8, 100));  // 1,250 chips at the peak
  bool peak = false;
  for (const auto& w : ue.warnings) peak |= w.field == "serving_chips_at_peak_hour";
  EXPECT_TRUE(peak);
}

}  // namespace
}  // namespace fungible::economics

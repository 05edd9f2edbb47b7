#include "economics/unit_economics_json.h"

namespace fungible::economics {

nlohmann::ordered_json UnitEconomicsJson(const UnitEconomics& ue) {
  using Json = nlohmann::ordered_json;
  Json units = Json::array();
  for (const auto& u : ue.units)
    units.push_back(
        {{"model", u.model},
         {"chip_type", u.chip_type},
         {"output_tokens_per_s_per_chip", u.output_tokens_per_s_per_chip},
         {"throughput_from", u.measured ? "spec" : "estimate"},
         {"estimated_output_tokens_per_s_per_chip", u.estimated_output_tokens_per_s_per_chip
                                                        ? Json(*u.estimated_output_tokens_per_s_per_chip)
                                                        : Json(nullptr)},
         {"usd_revenue_per_chip_hour", u.usd_revenue_per_chip_hour},
         {"usd_cost_per_chip_hour", u.usd_cost_per_chip_hour},
         {"gross_margin", u.gross_margin}});
  const FleetEconomics& f = ue.fleet;
  Json warnings = Json::array();
  for (const auto& w : ue.warnings) warnings.push_back({{"field", w.field}, {"message", w.message}});
  return {{"at", FormatDate(f.at)},
          {"units", units},
          {"fleet",
           {{"chips_landed", f.chips_landed},
            {"facility_megawatts", f.facility_megawatts},
            {"usd_token_revenue_per_year", f.usd_token_revenue_per_year},
            {"usd_compute_cost_per_year", f.usd_compute_cost_per_year},
            {"revenue_to_compute_cost", f.revenue_to_compute_cost},
            {"usd_revenue_per_chip_year", f.usd_revenue_per_chip_year},
            {"serving_chips_at_mean_demand", f.serving_chips_at_mean_demand},
            {"serving_chips_at_peak_hour", f.serving_chips_at_peak_hour},
            {"usd_serving_cost_per_year", f.usd_serving_cost_per_year},
            {"usd_serving_cost_at_peak_per_year", f.usd_serving_cost_at_peak_per_year},
            {"inference_gross_margin", f.inference_gross_margin},
            {"inference_gross_margin_fungible", f.inference_gross_margin_fungible},
            {"serving_share_of_chips", f.serving_share_of_chips},
            {"model_development_floor_share", f.model_development_floor_share}}},
          {"warnings", warnings}};
}

}  // namespace fungible::economics

#include "cli/demand_options.h"

namespace fungible::cli {

void AddDemandOptions(CLI::App* cmd, double& quantile, std::string& scenario) {
  cmd->add_option(
      "--quantile", quantile,
      "Demand of the window at this quantile of the forecast's cone, month by month (default 0.5)");
  cmd->add_option("--scenario", scenario,
                  "Demand choice instead, as simulate: P50 (the median path), random:SEED or SEED (one "
                  "scenario of the cone) or trace:FILE (measured traffic)");
}

StatusOr<DemandChoice> DemandChoiceFromFlags(double quantile, const std::string& scenario) {
  if (quantile != 0 && !scenario.empty())
    return Status::Invalid("--quantile and --scenario: give one of them, not both");
  if (!scenario.empty()) {
    if (scenario.find_first_not_of("0123456789") == std::string::npos)
      return ParseDemandChoice("random:" + scenario);
    return ParseDemandChoice(scenario);
  }
  return QuantileChoice(quantile == 0 ? 0.5 : quantile);
}

}  // namespace fungible::cli

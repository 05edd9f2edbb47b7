// Formatting shared by `fungible plan` and `fungible evaluate`: numbers for
// people, tables, the JSON of a plan report. (The processes they run on:
// cli/process_group.h.)
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "plan/plan.h"
#include "plan/solve.h"
#include "util/status.h"
#include "util/text.h"

namespace fungible::cli {

// Fixed, Grouped, Money, Percent and Table: util/text.h.
std::string QuantityText(double amount, const std::string& unit);  // "1,024 chips", "1,500 MW"
std::string MethodText(const ProgramSolution& s);
// "tpu-5gw 3,200 MW, trn-deal 120,000 chips" or "nothing".
std::string ChipsList(const Fleet& fleet, const std::vector<OfferDecision>& offers,
                      const std::vector<double>& chips);
StatusOr<PlanMethod> ParseMethod(const std::string& text);

nlohmann::json PlanJson(const Fleet& fleet, const PlanReport& report);

}  // namespace fungible::cli

// The unit economics as JSON: the one writer behind `fungible validate --json`
// (its "economics" object, and --csv's economics.csv from "units") and the
// report's economics view, so the two never disagree on a name or a figure.
#pragma once

#include <nlohmann/json.hpp>

#include "economics/unit_economics.h"

namespace fungible::economics {

// {"at": "YYYY-MM-DD", "units": [...], "fleet": {...}, "warnings": [...]};
// names as in docs/economics.md (throughput_from is "spec" or "estimate").
nlohmann::ordered_json UnitEconomicsJson(const UnitEconomics& ue);

}  // namespace fungible::economics

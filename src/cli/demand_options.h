// The demand options of the commands that solve one allocation window
// (allocate, serve's plan, export kueue): which point of the forecast's cone
// the window's demand is taken at. --quantile Q (a quantile path, P50 by
// default) or --scenario S (P50, random:SEED, trace:FILE or a bare SEED), the
// same spellings as `simulate --scenario`.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "simulate/demand.h"
#include "util/status.h"

namespace fungible::cli {

void AddDemandOptions(CLI::App* cmd, double& quantile, std::string& scenario);
// quantile 0 and scenario "" = P50. Both given is a usage error.
StatusOr<DemandChoice> DemandChoiceFromFlags(double quantile, const std::string& scenario);

}  // namespace fungible::cli

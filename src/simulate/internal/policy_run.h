// One policy over the whole run (simulate/ only).
#pragma once

#include "simulate/internal/world.h"

namespace fungible::simulate_internal {

// The hours of the run in order under `policy`: the allocation applied to
// what is realised, the ledger, the floors, the summary and the events.
StatusOr<PolicyRun> RunPolicy(const World& wd, Policy policy);

}  // namespace fungible::simulate_internal

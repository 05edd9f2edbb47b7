// The forecast's names for the one parallel-for (util/parallel.h).
#pragma once

#include "util/parallel.h"

namespace fungible::forecast_internal {

using ::fungible::ParallelFor;
using ::fungible::ResolveThreads;

}  // namespace fungible::forecast_internal

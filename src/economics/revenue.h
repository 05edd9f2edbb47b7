// Revenue per output token from a price list and the request mix.
#pragma once

#include "economics/throughput.h"
#include "util/status.h"

namespace fungible {

// A model's list prices, USD per million tokens.
struct TokenPrices {
  double usd_per_million_input_tokens = 0;         // uncached prompt tokens
  double usd_per_million_cached_input_tokens = 0;  // prompt tokens served from the prefix cache
  double usd_per_million_output_tokens = 0;
};

// Revenue of one output token, USD, with its share of the request's input:
//
//   (uncached x input price + cached x cached price + output x output price)
//     / (1e6 x output tokens per request)
//
// where uncached = input - cached tokens per request. The latency target of
// the mix plays no part.
//
// Returns InvalidArgument for negative prices, output tokens < 1 or cached
// tokens outside [0, input].
StatusOr<double> UsdPerOutputToken(const TokenPrices& prices, const RequestMix& mix);

}  // namespace fungible

#include "economics/revenue.h"

namespace fungible {

StatusOr<double> UsdPerOutputToken(const TokenPrices& prices, const RequestMix& mix) {
  if (prices.usd_per_million_input_tokens < 0 || prices.usd_per_million_cached_input_tokens < 0 ||
      prices.usd_per_million_output_tokens < 0)
    return Status::Invalid("token prices must be >= 0 USD per million tokens");
  if (!(mix.output_tokens_per_request >= 1)) return Status::Invalid("output tokens per request must be >= 1");
  if (mix.input_tokens_per_request < 0 || mix.cached_input_tokens_per_request < 0 ||
      mix.cached_input_tokens_per_request > mix.input_tokens_per_request)
    return Status::Invalid("need 0 <= cached input tokens <= input tokens per request");
  const double uncached = mix.input_tokens_per_request - mix.cached_input_tokens_per_request;
  const double usd_per_request_millions =
      uncached * prices.usd_per_million_input_tokens +
      mix.cached_input_tokens_per_request * prices.usd_per_million_cached_input_tokens +
      mix.output_tokens_per_request * prices.usd_per_million_output_tokens;
  return usd_per_request_millions / 1e6 / mix.output_tokens_per_request;
}

}  // namespace fungible

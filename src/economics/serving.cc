#include "economics/serving.h"

namespace fungible {

RequestMix ServingRequestMix(const ServedModel& model) {
  RequestMix mix;
  mix.output_tokens_per_request = model.output_tokens_per_request;
  mix.input_tokens_per_request = model.input_tokens_per_output_token * model.output_tokens_per_request;
  mix.cached_input_tokens_per_request = model.cached_input_share * mix.input_tokens_per_request;
  mix.min_output_tokens_per_s_per_user = model.min_output_tokens_per_s_per_user;
  return mix;
}

ServingOptions ServingOptionsFor(const ModelArchitecture& architecture) {
  ServingOptions options;
  options.math = architecture.weight_bytes_per_param <= 1.0 ? MathPrecision::kFp8 : MathPrecision::kBf16;
  return options;
}

}  // namespace fungible

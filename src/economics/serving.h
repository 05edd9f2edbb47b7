// The bridge between a spec's served model and the throughput estimate: the
// request mix its traffic implies and the options the estimate runs with.
#pragma once

#include "economics/throughput.h"
#include "model/fleet.h"

namespace fungible {

// Per request: output_tokens_per_request output tokens, input tokens at the
// model's input_tokens_per_output_token, cached_input_share of them cached;
// the latency target is min_output_tokens_per_s_per_user.
RequestMix ServingRequestMix(const ServedModel& model);

// Matmuls at FP8 when the weights are stored in one byte or less, else BF16.
ServingOptions ServingOptionsFor(const ModelArchitecture& architecture);

}  // namespace fungible

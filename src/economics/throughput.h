// Serving throughput from first principles: output tokens per second per chip
// for a model described by its architecture, on a chip described by its catalog
// figures (model::ChipType), under a request mix. Checked against published
// measurements in throughput_validation_test.cc; method and error figures in
// docs/throughput.md.
//
// The model (all times in seconds, one replica of N chips):
//
//   weights read per decode step  W(B) = bytes x (shared + routed x (1 - (1 - k/E)^B))
//                                  (dense models: all weights; MoE: the experts B tokens touch)
//   KV read per decode step       B x (input + output/2) x kv_bytes_per_token
//   decode FLOPs per step         B x (2 x active params + attn x (input + output/2))
//   decode step                   max(bytes / (N x HBM bw), FLOPs / (N x peak)) / eff
//                                   + layers x step_overhead_s_per_layer
//   prefill FLOPs per request     2 x active params x uncached input + attn x uncached x context
//   prefill per request           max(bytes / (N x bw), FLOPs / (N x peak)) / eff
//   output tokens/s per replica   B x output / (B x prefill + output x decode step)
//   per-user tokens/s             replica tokens/s / B (the user's share of prefill included)
//
// where attn = attention FLOPs per token per context token and eff the
// platform's fraction of the roofline reached (SoftwareEfficiency). Memory:
// weights + B x (input + output/2) x kv_bytes_per_token <= usable HBM x N
// (paged KV cache under continuous batching holds, on average, half of each
// sequence's output). The batch is the largest that fits memory, stays under
// the caps (SoftwareEfficiency and ServingOptions) and meets the per-user
// latency target.
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// A served model's architecture. Parameter counts in billions.
struct ModelArchitecture {
  std::string id;                       // "llama-3.3-70b", for messages
  double total_params_b = 0;            // all weights, billions
  double active_params_b = 0;           // weights one token uses, billions (== total for dense)
  int routed_experts = 0;               // routed experts per MoE layer; 0 = dense
  int experts_per_token = 0;            // routed experts each token uses (top-k)
  int layers = 0;                       // transformer blocks (for the per-layer step overhead)
  double weight_bytes_per_param = 2;    // 2 BF16/FP16, 1 FP8/INT8, 0.5625 NVFP4 (4 bits + scales)
  double kv_cache_bytes_per_token = 0;  // all layers: layers x KV heads x head dim x 2 (K, V) x bytes
  // Attention score and value FLOPs per token per token of context:
  // 2 x layers x query heads x (qk head dim + v head dim). 0 = ignored.
  double attention_flops_per_token_per_context_token = 0;
  int max_context_tokens = 0;  // longest input + output the model accepts; 0 = unlimited
};

// The traffic one replica serves.
struct RequestMix {
  double input_tokens_per_request = 0;         // prompt, including the cached part
  double cached_input_tokens_per_request = 0;  // prefix-cache hits: no prefill compute, still KV
  double output_tokens_per_request = 0;        // > 0
  // Latency target: every user receives at least this many output tokens per
  // second (prefill share included). 0 = max-load offline throughput.
  double min_output_tokens_per_s_per_user = 0;
};

// How close the serving software gets to the hardware roofline on a platform.
struct SoftwareEfficiency {
  double roofline_fraction = 1.0;          // (0, 1]: share of peak FLOP/s and HBM bandwidth reached
  double step_overhead_s_per_layer = 0.0;  // fixed cost per layer per forward step (launches, collectives)
  // Concurrent sequences per chip beyond which the stack gains nothing (scheduler,
  // sampling and MoE dispatch costs grow with the batch); the replica's cap is
  // this times its chips.
  int max_batch_sequences_per_chip = 2048;
};

// The efficiency fitted from the bundled measurements for a platform's mature
// serving stack (docs/throughput.md says how). Platforms with no bundled
// measurement get the NVIDIA figures.
SoftwareEfficiency DefaultSoftwareEfficiency(Platform platform);

enum class MathPrecision { kBf16, kFp8 };  // tensor-core rate the matmuls run at

struct ServingOptions {
  MathPrecision math = MathPrecision::kBf16;  // kFp8 falls back to BF16 on chips with no FP8 figure
  int chips_per_replica = 0;    // 0 = choose (see EstimateServingThroughput); else fixed, within the domain
  int batch_sequences = 0;      // 0 = choose the largest feasible; else fixed (a benchmark's batch)
  int max_batch_sequences = 0;  // further cap on concurrent sequences per replica; 0 = none
  double hbm_usable_fraction = 0.9;    // share of HBM for weights + KV (rest: activations, runtime)
  double prefill_chunk_tokens = 8192;  // tokens per prefill forward pass (weights read once per chunk)
};

enum class RooflineBound { kCompute, kMemoryBandwidth, kOverhead };
const char* RooflineBoundName(RooflineBound b);  // "compute", "memory-bandwidth", "overhead"

// Why the batch stopped where it did.
enum class BatchLimit { kMemory, kLatency, kCap, kFixed };
const char* BatchLimitName(BatchLimit b);  // "memory", "latency", "cap", "fixed"

struct ThroughputEstimate {
  double output_tokens_per_s_per_chip = 0;
  double output_tokens_per_s_per_user = 0;
  int chips_per_replica = 0;
  int batch_sequences = 0;
  BatchLimit batch_limit = BatchLimit::kCap;
  RooflineBound prefill_bound = RooflineBound::kCompute;
  RooflineBound decode_bound = RooflineBound::kMemoryBandwidth;
  double prefill_s_per_request = 0;
  double decode_step_s = 0;
  double prefill_time_share = 0;  // of the replica's busy time; decode is 1 - this
  double decode_time_share = 0;
  double weights_gb_per_replica = 0;
  double kv_cache_gb_per_replica = 0;  // at the chosen batch
};

// Output tokens/s per chip of `model` on `chip` under `mix`.
//
// chips per replica: options.chips_per_replica when set; otherwise the smallest
// power of two within chip.interconnect_domain_chips whose usable HBM holds the
// weights at most half full (room for as much KV cache as weights), or, when no
// such power of two exists, the smallest that holds the weights and one
// sequence's KV cache.
//
// Returns:
//   InvalidArgument  non-positive or inconsistent inputs (chip without HBM or
//                    FLOP/s figures, cached > input, context over the model's)
//   Infeasible       the model and one sequence do not fit in the interconnect
//                    domain (or the fixed replica); the fixed batch does not
//                    fit memory; the latency target is unreachable even at
//                    batch 1 (the message says what batch 1 reaches)
StatusOr<ThroughputEstimate> EstimateServingThroughput(const ModelArchitecture& model, const ChipType& chip,
                                                       const RequestMix& mix,
                                                       const SoftwareEfficiency& efficiency,
                                                       const ServingOptions& options = {});

}  // namespace fungible

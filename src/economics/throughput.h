// Serving throughput from first principles: output tokens per second per chip
// for a model described by its architecture, on a chip described by its catalog
// figures (model::ChipType), under a request mix. Checked against published
// measurements in throughput_validation_test.cc; method and error figures in
// docs/throughput.md.
//
// The model (times in seconds; one replica of N chips serving B sequences):
//
//   c                      = input + output / 2 (average context of a decode step)
//   KV(c)                  = kv_bytes x c + windowed kv_bytes x min(c, window)
//   attn(c)                = attn x c + windowed attn x min(c, window)
//   decode bytes per step  = weight bytes x (shared + routed x (1 - (1 - k/E)^B)) + B x KV(c)
//                            (dense: all weights; MoE: the experts B tokens touch)
//   decode FLOPs per step  = B x (2 x (shared active + routed active / xeff) + attn(c))
//   decode step            = max(bytes / (N x HBM bw), FLOPs / (N x peak)) / eff + layers x overhead
//   prefill FLOPs/request  = uncached x (2 x (shared active + routed active / xeff) + attn(cached +
//   uncached/2)) prefill bytes/request  = weight bytes x uncached / chunk + KV(uncached) prefill per request
//   = max(bytes / (N x bw), FLOPs / (N x peak)) / eff + overhead per chunk tokens/s per replica   = B x
//   output / (B x prefill + output x decode step) tokens/s per user      = tokens/s per replica / B (the
//   user's share of prefill included) memory                 : weight bytes + B x KV(c) <= usable HBM x N
//
// eff is the platform's fraction of the roofline reached, xeff the further
// fraction of the compute roofline its expert GEMMs reach, overhead the fixed cost per layer per step
// (SoftwareEfficiency). Paged KV under continuous batching holds, on average,
// half of each sequence's output. The batch is the largest that fits memory,
// stays under the caps (SoftwareEfficiency, ServingOptions) and meets the
// per-user latency target.
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// ModelArchitecture (the served model's architecture) is in model/fleet.h.

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
  // (0, 1]: share of the dense compute-roofline fraction that routed-expert
  // FLOPs reach (grouped GEMMs over few tokens per expert, token dispatch);
  // streaming expert weights is not penalised. 1 = as dense.
  double expert_fraction_of_dense = 1.0;
};

// The efficiency fitted from the bundled measurements for the chip's platform
// and generation on its current serving stack (docs/throughput.md says how):
//   NVIDIA Blackwell (and Blackwell Ultra)  TensorRT-LLM 2025 perf overview, B200 and GB200 rows
//   NVIDIA Hopper                           the same overview, H100 and H200 rows
//   AWS (every Trainium / Inferentia)       Transformers NeuronX on trn1 and inf2
//   anything else (AMD, Google, CPU, older NVIDIA): no bundled measurement, the
//   Hopper figures (the more conservative of the fitted current stacks).
SoftwareEfficiency DefaultSoftwareEfficiency(const ChipType& chip);

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
  // False when the model cannot be served as asked (an answer, not an error):
  // `unservable_reason` says why in domain words, and the figures are zero.
  bool servable = true;
  std::string unservable_reason;
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
// An estimate with servable = false (unservable_reason says why) when the
// model and one sequence do not fit in the interconnect domain (or the fixed
// replica), the fixed batch does not fit memory, or the latency target is
// unreachable even at batch 1 (the reason says what batch 1 reaches).
StatusOr<ThroughputEstimate> EstimateServingThroughput(const ModelArchitecture& model, const ChipType& chip,
                                                       const RequestMix& mix,
                                                       const SoftwareEfficiency& efficiency,
                                                       const ServingOptions& options = {});

}  // namespace fungible

#include "economics/throughput.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace fungible {
namespace {

constexpr double kBillion = 1e9;
constexpr double kGb = 1e9;
constexpr double kTb = 1e12;

// printf into a string, for messages with several numbers.
std::string Printf(const char* format, ...) {
  char buf[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buf, sizeof buf, format, args);
  va_end(args);
  return buf;
}

// Everything that does not depend on the batch, for one replica of N chips.
struct Replica {
  int chips = 0;
  double flops_per_s = 0;          // N x peak x eff
  double bytes_per_s = 0;          // N x bandwidth x eff
  double usable_bytes = 0;         // N x HBM x usable fraction
  double weight_bytes = 0;         // all weights
  double shared_bytes = 0;         // weights every token reads (attention, dense layers, shared experts)
  double routed_bytes = 0;         // routed-expert weights
  double routed_active_share = 0;  // share of active params in routed experts
  double expert_slowdown = 1;      // 1 / SoftwareEfficiency::expert_fraction_of_dense
  double overhead_s = 0;           // per forward step
  double kv_bytes_per_seq = 0;     // average resident KV of one sequence
  double context_tokens = 0;       // average context a decode step attends over
};

struct Step {
  double seconds = 0;
  RooflineBound bound = RooflineBound::kMemoryBandwidth;
};

Step Roofline(double flops, double bytes, double overhead_s, const Replica& r) {
  const double compute_s = flops / r.flops_per_s;
  const double memory_s = bytes / r.bytes_per_s;
  Step s;
  s.seconds = std::max(compute_s, memory_s) + overhead_s;
  s.bound = compute_s >= memory_s ? RooflineBound::kCompute : RooflineBound::kMemoryBandwidth;
  if (overhead_s > std::max(compute_s, memory_s)) s.bound = RooflineBound::kOverhead;
  return s;
}

// Share of routed experts that B tokens touch: 1 - (1 - k/E)^B, assuming
// uniform routing.
double RoutedShareTouched(const ModelArchitecture& m, int batch) {
  if (m.routed_experts <= 0 || m.experts_per_token <= 0) return 1.0;
  const double p = std::min(1.0, static_cast<double>(m.experts_per_token) / m.routed_experts);
  return 1.0 - std::pow(1.0 - p, batch);
}

// Resident KV bytes of one sequence at `context` tokens.
double KvBytes(const ModelArchitecture& m, double context) {
  return m.kv_cache_bytes_per_token * context +
         m.windowed_kv_cache_bytes_per_token * std::min<double>(context, m.attention_window_tokens);
}

// Attention FLOPs of one token attending over `context` tokens.
double AttentionFlops(const ModelArchitecture& m, double context) {
  return m.attention_flops_per_token_per_context_token * context +
         m.windowed_attention_flops_per_token_per_context_token *
             std::min<double>(context, m.attention_window_tokens);
}

struct Evaluation {
  ThroughputEstimate estimate;
  double kv_bytes = 0;
};

Evaluation Evaluate(const ModelArchitecture& m, const RequestMix& mix, const ServingOptions& opt,
                    const Replica& r, int batch) {
  const double active_flops_per_token = 2.0 * m.active_params_b * kBillion;

  // Prefill of one request.
  const double uncached = mix.input_tokens_per_request - mix.cached_input_tokens_per_request;
  // Routed-expert FLOPs count `expert_slowdown` times: grouped expert GEMMs reach
  // less of the compute roofline than dense ones. Streaming expert weights is
  // charged at the dense bandwidth fraction (bandwidth-bound kernels saturate
  // HBM alike).
  const double moe_weight = 1 + r.routed_active_share * (r.expert_slowdown - 1);
  const double prefill_flops =
      uncached * active_flops_per_token * moe_weight +
      uncached * AttentionFlops(m, mix.cached_input_tokens_per_request + uncached / 2);
  const double chunks = uncached / opt.prefill_chunk_tokens;
  const double prefill_bytes = chunks * r.weight_bytes + KvBytes(m, uncached);
  const Step prefill = Roofline(prefill_flops, prefill_bytes, chunks * r.overhead_s, r);

  // One decode step over the batch.
  const double weights_read = r.shared_bytes + r.routed_bytes * RoutedShareTouched(m, batch);
  const double kv_read = batch * r.kv_bytes_per_seq;
  const double decode_flops =
      batch * (active_flops_per_token * moe_weight + AttentionFlops(m, r.context_tokens));
  const Step decode = Roofline(decode_flops, weights_read + kv_read, r.overhead_s, r);

  const double out = mix.output_tokens_per_request;
  const double prefill_total_s = batch * prefill.seconds;
  const double decode_total_s = out * decode.seconds;
  const double busy_s = prefill_total_s + decode_total_s;
  const double replica_tokens_per_s = batch * out / busy_s;

  Evaluation e;
  ThroughputEstimate& t = e.estimate;
  t.output_tokens_per_s_per_chip = replica_tokens_per_s / r.chips;
  t.output_tokens_per_s_per_user = replica_tokens_per_s / batch;
  t.chips_per_replica = r.chips;
  t.batch_sequences = batch;
  t.prefill_bound = prefill.bound;
  t.decode_bound = decode.bound;
  t.prefill_s_per_request = prefill.seconds;
  t.decode_step_s = decode.seconds;
  t.prefill_time_share = prefill_total_s / busy_s;
  t.decode_time_share = decode_total_s / busy_s;
  t.weights_gb_per_replica = r.weight_bytes / kGb;
  e.kv_bytes = batch * r.kv_bytes_per_seq;
  t.kv_cache_gb_per_replica = e.kv_bytes / kGb;
  return e;
}

bool Fits(const Replica& r, int batch) {
  return r.weight_bytes + batch * r.kv_bytes_per_seq <= r.usable_bytes;
}

// The answer when the model cannot be served as asked: not an error.
ThroughputEstimate Unservable(std::string reason) {
  ThroughputEstimate e;
  e.servable = false;
  e.unservable_reason = std::move(reason);
  return e;
}

Status Validate(const ModelArchitecture& m, const ChipType& chip, const RequestMix& mix,
                const SoftwareEfficiency& eff, const ServingOptions& opt) {
  const std::string who = "model '" + m.id + "' on chip '" + chip.id + "': ";
  if (!(m.total_params_b > 0) || !(m.active_params_b > 0) || m.active_params_b > m.total_params_b)
    return Status::Invalid(who + "parameters must satisfy 0 < active <= total");
  if (!(m.weight_bytes_per_param > 0)) return Status::Invalid(who + "weight_bytes_per_param must be > 0");
  if (m.kv_cache_bytes_per_token < 0 || m.attention_flops_per_token_per_context_token < 0 ||
      m.windowed_kv_cache_bytes_per_token < 0 || m.windowed_attention_flops_per_token_per_context_token < 0 ||
      m.attention_window_tokens < 0 || m.layers < 0)
    return Status::Invalid(who + "KV bytes, attention FLOPs, window and layers must be >= 0");
  if ((m.routed_experts > 0) != (m.experts_per_token > 0) || m.experts_per_token > m.routed_experts)
    return Status::Invalid(who + "routed_experts and experts_per_token: both 0 (dense) or 0 < k <= E");
  if (m.routed_experts > 0 && m.experts_per_token == m.routed_experts && m.active_params_b < m.total_params_b)
    return Status::Invalid(who + "every expert active but active < total parameters");
  if (!(chip.hbm_gb > 0) || !(chip.hbm_tb_per_s > 0) || !(chip.bf16_dense_flops > 0))
    return Status::Invalid(who + "the chip needs HBM capacity, HBM bandwidth and BF16 FLOP/s figures");
  if (chip.interconnect_domain_chips < 1)
    return Status::Invalid(who + "interconnect domain must be >= 1 chip");
  if (!(mix.output_tokens_per_request >= 1))
    return Status::Invalid(who + "output tokens per request must be >= 1");
  if (mix.input_tokens_per_request < 0 || mix.cached_input_tokens_per_request < 0 ||
      mix.cached_input_tokens_per_request > mix.input_tokens_per_request)
    return Status::Invalid(who + "need 0 <= cached input tokens <= input tokens");
  if (mix.min_output_tokens_per_s_per_user < 0) return Status::Invalid(who + "latency target must be >= 0");
  if (m.max_context_tokens > 0 &&
      mix.input_tokens_per_request + mix.output_tokens_per_request > m.max_context_tokens)
    return Status::Invalid(who + "input + output tokens " +
                           Printf("%.0f", mix.input_tokens_per_request + mix.output_tokens_per_request) +
                           " exceed the model's context of " + std::to_string(m.max_context_tokens));
  if (!(eff.roofline_fraction > 0) || eff.roofline_fraction > 1 || eff.step_overhead_s_per_layer < 0 ||
      !(eff.expert_fraction_of_dense > 0) || eff.expert_fraction_of_dense > 1)
    return Status::Invalid(who +
                           "efficiency: need 0 < roofline_fraction <= 1, 0 < expert_fraction_of_dense <= 1 "
                           "and overhead >= 0");
  if (eff.max_batch_sequences_per_chip < 1)
    return Status::Invalid(who + "efficiency: batch cap must be >= 1");
  if (opt.chips_per_replica < 0 || opt.batch_sequences < 0 || opt.max_batch_sequences < 0 ||
      !(opt.hbm_usable_fraction > 0) || opt.hbm_usable_fraction > 1 || !(opt.prefill_chunk_tokens >= 1))
    return Status::Invalid(who + "serving options out of range");
  return Status::Ok();
}

Replica MakeReplica(const ModelArchitecture& m, const ChipType& chip, const RequestMix& mix,
                    const SoftwareEfficiency& eff, const ServingOptions& opt, int chips) {
  Replica r;
  r.chips = chips;
  const double peak = opt.math == MathPrecision::kFp8 && chip.fp8_dense_flops > 0 ? chip.fp8_dense_flops
                                                                                  : chip.bf16_dense_flops;
  r.flops_per_s = chips * peak * eff.roofline_fraction;
  r.bytes_per_s = chips * chip.hbm_tb_per_s * kTb * eff.roofline_fraction;
  r.usable_bytes = chips * chip.hbm_gb * kGb * opt.hbm_usable_fraction;
  r.weight_bytes = m.total_params_b * kBillion * m.weight_bytes_per_param;
  double routed_params_b = 0;
  if (m.routed_experts > 0 && m.experts_per_token < m.routed_experts) {
    // total = shared + routed, active = shared + routed x k/E.
    const double p = static_cast<double>(m.experts_per_token) / m.routed_experts;
    routed_params_b = std::clamp((m.total_params_b - m.active_params_b) / (1.0 - p), 0.0, m.total_params_b);
  }
  r.routed_bytes = routed_params_b * kBillion * m.weight_bytes_per_param;
  r.shared_bytes = r.weight_bytes - r.routed_bytes;
  if (m.routed_experts > 0)
    r.routed_active_share = routed_params_b * m.experts_per_token / m.routed_experts / m.active_params_b;
  r.expert_slowdown = 1.0 / eff.expert_fraction_of_dense;
  r.overhead_s = m.layers * eff.step_overhead_s_per_layer;
  r.context_tokens = mix.input_tokens_per_request + mix.output_tokens_per_request / 2;
  r.kv_bytes_per_seq = KvBytes(m, r.context_tokens);
  return r;
}

}  // namespace

const char* RooflineBoundName(RooflineBound b) {
  switch (b) {
    case RooflineBound::kCompute: return "compute";
    case RooflineBound::kMemoryBandwidth: return "memory-bandwidth";
    case RooflineBound::kOverhead: return "overhead";
  }
  return "?";
}

const char* BatchLimitName(BatchLimit b) {
  switch (b) {
    case BatchLimit::kMemory: return "memory";
    case BatchLimit::kLatency: return "latency";
    case BatchLimit::kCap: return "cap";
    case BatchLimit::kFixed: return "fixed";
  }
  return "?";
}

SoftwareEfficiency DefaultSoftwareEfficiency(const ChipType& chip) {
  // Fitted in throughput_validation_test.cc (DefaultEfficiencyIsNearTheFit) by
  // a grid search minimising the mean |log(predicted / measured)| over each
  // group's rows; docs/throughput.md lists the fits and why overheads above
  // 30 us per layer were passed over for NVIDIA.
  const SoftwareEfficiency hopper = {0.45, 0.0, 128, 0.3};
  const SoftwareEfficiency blackwell = {0.55, 30e-6, 512, 0.3};
  switch (chip.platform) {
    case Platform::kNvidia: return chip.generation.rfind("blackwell", 0) == 0 ? blackwell : hopper;
    case Platform::kAws:
      // Dense models at batch <= 8: these rows fix the roofline fraction and the
      // overhead, not the batch cap or the expert fraction (Hopper's).
      return {0.80, 200e-6, hopper.max_batch_sequences_per_chip, hopper.expert_fraction_of_dense};
    default: return hopper;
  }
}

StatusOr<ThroughputEstimate> EstimateServingThroughput(const ModelArchitecture& model, const ChipType& chip,
                                                       const RequestMix& mix,
                                                       const SoftwareEfficiency& efficiency,
                                                       const ServingOptions& options) {
  FUNGIBLE_RETURN_IF_ERROR(Validate(model, chip, mix, efficiency, options));
  const std::string who = "model '" + model.id + "' on chip '" + chip.id + "': ";
  if (options.chips_per_replica > chip.interconnect_domain_chips)
    return Unservable(who + "a replica of " + std::to_string(options.chips_per_replica) +
                      " chips exceeds the interconnect domain of " +
                      std::to_string(chip.interconnect_domain_chips));

  // Chips per replica.
  int chips = options.chips_per_replica;
  if (chips == 0) {
    int fallback = 0;
    for (int n = 1; n <= chip.interconnect_domain_chips; n *= 2) {
      const Replica r = MakeReplica(model, chip, mix, efficiency, options, n);
      if (fallback == 0 && Fits(r, 1)) fallback = n;
      if (r.weight_bytes <= r.usable_bytes / 2) {
        chips = n;
        break;
      }
    }
    if (chips == 0) chips = fallback;
    if (chips == 0)
      return Unservable(
          who +
          Printf("weights (%.0f GB) and one sequence's KV cache do not fit the usable HBM of the largest "
                 "power-of-two replica within the interconnect domain of %d chips",
                 model.total_params_b * model.weight_bytes_per_param, chip.interconnect_domain_chips));
  }
  const Replica r = MakeReplica(model, chip, mix, efficiency, options, chips);
  if (!Fits(r, std::max(1, options.batch_sequences)))
    return Unservable(
        who +
        Printf("weights (%.0f GB) and the KV cache of %d sequence(s) (%.1f GB) exceed the usable HBM of a "
               "%d-chip replica (%.0f GB)",
               r.weight_bytes / kGb, std::max(1, options.batch_sequences),
               std::max(1, options.batch_sequences) * r.kv_bytes_per_seq / kGb, chips, r.usable_bytes / kGb));

  const double target = mix.min_output_tokens_per_s_per_user;
  if (options.batch_sequences > 0) {
    Evaluation e = Evaluate(model, mix, options, r, options.batch_sequences);
    if (target > 0 && e.estimate.output_tokens_per_s_per_user < target)
      return Unservable(who + Printf("at the fixed batch of %d a user gets %.1f output tokens/s, below the "
                                     "target of %.1f",
                                     options.batch_sequences, e.estimate.output_tokens_per_s_per_user,
                                     target));
    e.estimate.batch_limit = BatchLimit::kFixed;
    return e.estimate;
  }

  // Largest batch under the cap that fits memory and meets the latency target.
  // Both are monotone in the batch (memory grows; per-user speed falls as the
  // step lengthens), so bisect on the largest batch that passes both.
  Evaluation best = Evaluate(model, mix, options, r, 1);
  if (target > 0 && best.estimate.output_tokens_per_s_per_user < target)
    return Unservable(who + Printf("latency target unreachable: at batch 1 on %d chip(s) a user gets %.1f "
                                   "output tokens/s, below the target of %.1f",
                                   chips, best.estimate.output_tokens_per_s_per_user, target));
  int cap = efficiency.max_batch_sequences_per_chip * chips;
  if (options.max_batch_sequences > 0) cap = std::min(cap, options.max_batch_sequences);
  auto passes = [&](int b) {
    return Fits(r, b) &&
           (target <= 0 ||
            Evaluate(model, mix, options, r, b).estimate.output_tokens_per_s_per_user >= target);
  };
  int lo = 1, hi = cap;  // passes(lo); find the largest passing batch in [lo, hi]
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (passes(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  best = Evaluate(model, mix, options, r, lo);
  BatchLimit limit = BatchLimit::kCap;
  if (lo < cap) limit = Fits(r, lo + 1) ? BatchLimit::kLatency : BatchLimit::kMemory;
  best.estimate.batch_limit = limit;
  return best.estimate;
}

}  // namespace fungible

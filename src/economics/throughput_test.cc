#include "economics/throughput.h"

#include <gtest/gtest.h>

#include "catalog/catalog.h"

namespace fungible {
namespace {

// A made-up chip with round figures, so the roofline can be worked by hand.
ChipType RoundChip() {
  ChipType c;
  c.id = "round";
  c.platform = Platform::kNvidia;
  c.bf16_dense_flops = 1e15;  // 1 PFLOP/s
  c.fp8_dense_flops = 2e15;
  c.hbm_gb = 100;
  c.hbm_tb_per_s = 1.0;  // 1e12 bytes/s
  c.interconnect_domain_chips = 8;
  return c;
}

// A dense 10 B model, BF16, 100 kB of KV per token, no attention FLOPs.
ModelArchitecture Dense10b() {
  ModelArchitecture m;
  m.id = "dense-10b";
  m.total_params_b = 10;
  m.active_params_b = 10;
  m.layers = 10;
  m.weight_bytes_per_param = 2;
  m.kv_cache_bytes_per_token = 100e3;
  return m;
}

RequestMix Mix(double in, double out) {
  RequestMix mix;
  mix.input_tokens_per_request = in;
  mix.output_tokens_per_request = out;
  return mix;
}

TEST(EstimateServingThroughput, KnownAnswerAtBatchOne) {
  // Batch 1, 1,000 in / 1,000 out, perfect software, one chip:
  //   decode step: bytes 20 GB + 1 x 1,500 x 100 kB = 20.15 GB -> 20.15 ms; FLOPs 20 G -> 0.02 ms:
  //   memory-bound prefill: FLOPs 1,000 x 20 G = 20 TFLOP -> 20 ms; bytes 20 GB x 1000/8192 + 1000 x 100 kB
  //   = 2.54 GB: compute tokens/s = 1,000 / (0.020 + 1,000 x 0.02015) = 49.58
  ServingOptions o;
  o.batch_sequences = 1;
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0}, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->chips_per_replica, 1);
  EXPECT_EQ(e->batch_limit, BatchLimit::kFixed);
  EXPECT_NEAR(e->decode_step_s, 0.02015, 1e-9);
  EXPECT_NEAR(e->prefill_s_per_request, 0.020, 1e-9);
  EXPECT_EQ(e->decode_bound, RooflineBound::kMemoryBandwidth);
  EXPECT_EQ(e->prefill_bound, RooflineBound::kCompute);
  EXPECT_NEAR(e->output_tokens_per_s_per_chip, 1000 / (0.020 + 1000 * 0.02015), 1e-6);
  EXPECT_NEAR(e->prefill_time_share + e->decode_time_share, 1.0, 1e-12);
}

TEST(EstimateServingThroughput, EfficiencyAndOverheadSlowTheStep) {
  ServingOptions o;
  o.batch_sequences = 1;
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {0.5, 100e-6}, o);
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->decode_step_s, 2 * 0.02015 + 10 * 100e-6, 1e-9);
}

TEST(EstimateServingThroughput, MaxLoadBatchStopsAtMemory) {
  // Usable 90 GB - 20 GB weights = 70 GB; 1,500 tokens x 100 kB = 150 MB a sequence -> 466 sequences.
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0, 4096});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->batch_sequences, 466);
  EXPECT_EQ(e->batch_limit, BatchLimit::kMemory);
  EXPECT_LE(e->weights_gb_per_replica + e->kv_cache_gb_per_replica, 90.0 + 1e-9);
}

TEST(EstimateServingThroughput, BatchCapsBind) {
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0, 32});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->batch_sequences, 32);
  EXPECT_EQ(e->batch_limit, BatchLimit::kCap);
  ServingOptions o;
  o.max_batch_sequences = 8;
  e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0, 32}, o);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->batch_sequences, 8);
}

TEST(EstimateServingThroughput, LatencyTargetLowersTheBatchAndThroughput) {
  const auto offline = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0, 4096});
  RequestMix mix = Mix(1000, 1000);
  mix.min_output_tokens_per_s_per_user = 30;
  const auto fast = EstimateServingThroughput(Dense10b(), RoundChip(), mix, {1.0, 0.0, 4096});
  ASSERT_TRUE(offline.ok() && fast.ok());
  EXPECT_EQ(fast->batch_limit, BatchLimit::kLatency);
  EXPECT_GE(fast->output_tokens_per_s_per_user, 30);
  EXPECT_LT(fast->batch_sequences, offline->batch_sequences);
  EXPECT_LT(fast->output_tokens_per_s_per_chip, offline->output_tokens_per_s_per_chip);
}

TEST(EstimateServingThroughput, UnreachableLatencyIsInfeasibleWithReason) {
  RequestMix mix = Mix(1000, 1000);
  mix.min_output_tokens_per_s_per_user = 1000;  // batch 1 reaches about 50
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), mix, {1.0, 0.0});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->servable);
  EXPECT_NE(e->unservable_reason.find("latency target unreachable"), std::string::npos)
      << e->unservable_reason;
}

TEST(EstimateServingThroughput, ReplicaGrowsToFitAndFailsBeyondTheDomain) {
  ModelArchitecture big = Dense10b();
  big.total_params_b = big.active_params_b = 200;  // 400 GB of BF16 weights
  auto e = EstimateServingThroughput(big, RoundChip(), Mix(1000, 1000), {1.0, 0.0});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->chips_per_replica, 8);  // 4 chips hold 360 GB usable: too small; 8 hold 720 GB, weights < half
  big.total_params_b = big.active_params_b = 400;  // 800 GB > 720 GB usable in the 8-chip domain
  e = EstimateServingThroughput(big, RoundChip(), Mix(1000, 1000), {1.0, 0.0});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->servable);
  EXPECT_NE(e->unservable_reason.find("interconnect domain"), std::string::npos) << e->unservable_reason;
}

TEST(EstimateServingThroughput, MoeReadsOnlyTouchedExpertsAtSmallBatch) {
  // 100 B total, 10 B active, 64 experts top-2: routed = 90 / (1 - 1/32) = 92.9 B, shared 7.1 B.
  ModelArchitecture moe = Dense10b();
  moe.total_params_b = 100;
  moe.active_params_b = 10;
  moe.routed_experts = 64;
  moe.experts_per_token = 2;
  moe.kv_cache_bytes_per_token = 0;
  ServingOptions o;
  o.batch_sequences = 1;
  o.chips_per_replica = 4;
  auto e = EstimateServingThroughput(moe, RoundChip(), Mix(0, 100), {1.0, 0.0}, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  // Batch 1 reads the active 10 B params = 20 GB over 4 TB/s = 5 ms.
  EXPECT_NEAR(e->decode_step_s, 0.005, 1e-6);
}

TEST(EstimateServingThroughput, WindowedLayersHoldAtMostTheWindow) {
  // Half the KV in 128-token windowed layers: at a 1,500-token context a sequence holds
  // 50 kB x 1,500 + 50 kB x 128 = 81.4 MB instead of 150 MB.
  ModelArchitecture m = Dense10b();
  m.kv_cache_bytes_per_token = 50e3;
  m.windowed_kv_cache_bytes_per_token = 50e3;
  m.attention_window_tokens = 128;
  ServingOptions o;
  o.batch_sequences = 10;
  auto e = EstimateServingThroughput(m, RoundChip(), Mix(1000, 1000), {1.0, 0.0}, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_NEAR(e->kv_cache_gb_per_replica, 10 * (50e3 * 1500 + 50e3 * 128) / 1e9, 1e-9);
  // Decode step: 20 GB of weights + 0.814 GB of KV over 1 TB/s.
  EXPECT_NEAR(e->decode_step_s, (20e9 + 10 * (50e3 * 1500 + 50e3 * 128)) / 1e12, 1e-9);
}

TEST(EstimateServingThroughput, CachedInputSkipsPrefillCompute) {
  RequestMix mix = Mix(8000, 500);
  ServingOptions o;
  o.batch_sequences = 16;
  auto cold = EstimateServingThroughput(Dense10b(), RoundChip(), mix, {1.0, 0.0}, o);
  mix.cached_input_tokens_per_request = 6000;
  auto warm = EstimateServingThroughput(Dense10b(), RoundChip(), mix, {1.0, 0.0}, o);
  ASSERT_TRUE(cold.ok() && warm.ok());
  EXPECT_NEAR(warm->prefill_s_per_request / cold->prefill_s_per_request, 0.25, 1e-9);
  EXPECT_GT(warm->output_tokens_per_s_per_chip, cold->output_tokens_per_s_per_chip);
}

TEST(EstimateServingThroughput, FixedBatchBeyondMemoryIsInfeasible) {
  ServingOptions o;
  o.batch_sequences = 1000;  // 1,000 x 150 MB = 150 GB of KV > 70 GB free
  auto e = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(1000, 1000), {1.0, 0.0}, o);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(e->servable);
  EXPECT_NE(e->unservable_reason.find("exceed the usable HBM"), std::string::npos) << e->unservable_reason;
}

TEST(EstimateServingThroughput, RejectsBadInputs) {
  ModelArchitecture m = Dense10b();
  m.active_params_b = 20;  // more active than total
  EXPECT_EQ(EstimateServingThroughput(m, RoundChip(), Mix(10, 10), {}).status().code(),
            StatusCode::kInvalidArgument);
  RequestMix mix = Mix(10, 10);
  mix.cached_input_tokens_per_request = 11;
  EXPECT_EQ(EstimateServingThroughput(Dense10b(), RoundChip(), mix, {}).status().code(),
            StatusCode::kInvalidArgument);
  ChipType no_hbm = RoundChip();
  no_hbm.hbm_gb = 0;
  EXPECT_EQ(EstimateServingThroughput(Dense10b(), no_hbm, Mix(10, 10), {}).status().code(),
            StatusCode::kInvalidArgument);
  m = Dense10b();
  m.max_context_tokens = 1000;
  EXPECT_EQ(EstimateServingThroughput(m, RoundChip(), Mix(900, 200), {}).status().code(),
            StatusCode::kInvalidArgument);
  ServingOptions o;
  o.chips_per_replica = 16;  // beyond the 8-chip domain
  const auto beyond = EstimateServingThroughput(Dense10b(), RoundChip(), Mix(10, 10), {}, o);
  ASSERT_TRUE(beyond.ok()) << beyond.status().ToString();
  EXPECT_FALSE(beyond->servable);
  EXPECT_NE(beyond->unservable_reason.find("exceeds the interconnect domain of 8"), std::string::npos)
      << beyond->unservable_reason;
}

TEST(DefaultSoftwareEfficiency, InRangeForEveryCatalogChip) {
  for (const ChipType& chip : BuiltinCatalog()) {
    const SoftwareEfficiency e = DefaultSoftwareEfficiency(chip);
    EXPECT_GT(e.roofline_fraction, 0);
    EXPECT_LE(e.roofline_fraction, 1);
    EXPECT_GE(e.step_overhead_s_per_layer, 0);
    EXPECT_GE(e.max_batch_sequences_per_chip, 1);
  }
}

// The example in docs/throughput.md, end to end with the catalog's H100.
TEST(EstimateServingThroughput, DocsExampleGivesRevenuePerChipHour) {
  ModelArchitecture llama70b{.id = "llama-3.3-70b",
                             .total_params_b = 70.6,
                             .active_params_b = 70.6,
                             .layers = 80,
                             .weight_bytes_per_param = 1,
                             .kv_cache_bytes_per_token = 80 * 8 * 128 * 2 * 1,
                             .attention_flops_per_token_per_context_token = 2 * 80 * 64 * 256};
  RequestMix mix{.input_tokens_per_request = 2000,
                 .cached_input_tokens_per_request = 1000,
                 .output_tokens_per_request = 400,
                 .min_output_tokens_per_s_per_user = 30};
  ServingOptions options{.math = MathPrecision::kFp8};
  const ChipType* h100 = FindBuiltinChip("h100-sxm");
  ASSERT_NE(h100, nullptr);
  auto t = EstimateServingThroughput(llama70b, *h100, mix, DefaultSoftwareEfficiency(*h100), options);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  // Revenue per output token with the request's input (ServedModel, model/fleet.h).
  ServedModel priced;
  priced.usd_per_million_input_tokens = 0.6;
  priced.usd_per_million_cached_input_tokens = 0.15;
  priced.usd_per_million_output_tokens = 0.8;
  priced.input_tokens_per_output_token = mix.input_tokens_per_request / mix.output_tokens_per_request;
  priced.cached_input_share = mix.cached_input_tokens_per_request / mix.input_tokens_per_request;
  const double usd_per_chip_hour = t->output_tokens_per_s_per_chip * 3600 * priced.usd_per_output_token();
  std::cout << "chips " << t->chips_per_replica << ", batch " << t->batch_sequences << " ("
            << BatchLimitName(t->batch_limit) << "), " << t->output_tokens_per_s_per_chip
            << " tokens/s/chip, " << t->output_tokens_per_s_per_user << " per user, USD " << usd_per_chip_hour
            << " per chip-hour\n";
  EXPECT_EQ(t->chips_per_replica, 2);  // 70.6 GB of FP8 weights: more than half of one H100's usable 72 GB
  EXPECT_GE(t->output_tokens_per_s_per_user, 30);
}

}  // namespace
}  // namespace fungible

#include "spec/spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>

#include "catalog/catalog.h"
#include "util/status_matchers.h"

namespace fungible {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/spec/" + name;
}

// "line:column: field: message" for every diagnostic, in order.
std::vector<std::string> Located(const Status& st) {
  std::vector<std::string> out;
  for (const auto& d : st.diagnostics())
    out.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + ": " + d.field + ": " +
                  d.message);
  return out;
}

std::vector<std::string> FixtureErrors(const std::string& name) {
  auto fleet = LoadFleetSpec(Fixture(name));
  if (fleet.ok()) return {"<parsed without errors>"};
  EXPECT_EQ(fleet.status().code(), StatusCode::kInvalidArgument);
  for (const auto& d : fleet.status().diagnostics()) EXPECT_EQ(d.file, Fixture(name));
  return Located(fleet.status());
}

std::vector<std::string> InlineErrors(const std::string& yaml) {
  auto fleet = ParseFleetSpec(yaml, "inline.yaml");
  if (fleet.ok()) return {"<parsed without errors>"};
  return Located(fleet.status());
}

UtcSeconds Utc(const char* text) { return *ParseUtc(text); }

// The smallest valid spec, to which tests append.
const char* kBase = R"(name: t
chip_types:
  - catalog: h100-sxm
contracts:
  - {id: cw, provider: CoreWeave, kind: reserved, start: 2026-01-01, end: 2029-01-01, usd_per_chip_hour: 2.1}
pools:
  - {id: east, chip_type: h100-sxm, chips: 8, contract: cw}
)";

// ---- Valid specs ----

TEST(Spec, ParsesSmallLab) {
  const std::string path = std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml";
  auto fleet = LoadFleetSpec(path);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  const Fleet& f = *fleet;
  EXPECT_EQ(f.name, "small-lab");
  EXPECT_EQ(f.file, path);

  ASSERT_EQ(f.chip_types.size(), 2u);  // only the chips the spec declares
  EXPECT_EQ(f.chip_types[0].id, "h100-sxm");
  EXPECT_TRUE(f.chip_types[0].from_catalog);
  EXPECT_EQ(f.chip_types[0].bf16_dense_flops, FindBuiltinChip("h100-sxm")->bf16_dense_flops);
  EXPECT_EQ(f.chip_types[1].id, "b200");

  ASSERT_EQ(f.contracts.size(), 2u);
  EXPECT_EQ(f.contracts[0].id, "cw-h100-2026");
  EXPECT_EQ(f.contracts[0].provider, "CoreWeave");
  EXPECT_EQ(f.contracts[0].kind, ContractKind::kReserved);
  EXPECT_EQ(f.contracts[0].start, Utc("2026-01-01"));
  EXPECT_EQ(f.contracts[0].end, Utc("2029-01-01"));
  EXPECT_EQ(f.contracts[0].usd_per_chip_hour, 2.10);
  EXPECT_FALSE(f.contracts[0].usd_per_mw_month.has_value());
  EXPECT_EQ(f.contracts[1].kind, ContractKind::kOwned);
  EXPECT_EQ(f.contracts[0].loc.line, 30);
  EXPECT_EQ(f.contracts[0].loc.column, 5);

  ASSERT_EQ(f.pools.size(), 3u);
  EXPECT_EQ(f.pools[0].id, "h100-east");
  EXPECT_EQ(f.pools[0].chip_type, "h100-sxm");
  EXPECT_EQ(f.pools[0].chips, 512);
  EXPECT_EQ(f.pools[0].region, "us-east");
  EXPECT_EQ(f.pools[0].contract, "cw-h100-2026");
  EXPECT_EQ(f.pools[0].availability, 0.97);
  EXPECT_TRUE(f.pools[0].landing_ramp.empty());
  const Pool& b200 = f.pools[2];
  ASSERT_EQ(b200.landing_ramp.size(), 2u);
  EXPECT_EQ(b200.landing_ramp[0].at, Utc("2026-06-01"));
  EXPECT_EQ(b200.landing_ramp[0].fraction, 0.5);
  EXPECT_EQ(b200.landing_ramp[1].at, Utc("2026-09-01"));
  EXPECT_EQ(b200.landing_ramp[1].fraction, 1.0);
  EXPECT_DOUBLE_EQ(f.PoolCapacityAt(b200, Utc("2026-07-01")), 256 * 0.5 * 0.95);

  ASSERT_EQ(f.models.size(), 1u);
  const ServedModel& m = f.models[0];
  EXPECT_EQ(m.tier, "medium");
  EXPECT_EQ(m.launch, Utc("2026-03-01"));
  EXPECT_EQ(m.input_tokens_per_output_token, 4.0);
  EXPECT_EQ(m.output_tokens_per_s_per_chip.at("h100-sxm"), 505);
  EXPECT_EQ(m.output_tokens_per_s_per_chip.at("b200"), 1580);
  EXPECT_DOUBLE_EQ(m.usd_per_output_token(), (0.88 + 4.0 * 0.88) / 1e6);

  ASSERT_EQ(f.workloads.size(), 3u);
  const WorkloadClass& serve = f.workloads[0];
  EXPECT_EQ(serve.kind, WorkloadKind::kServe);
  EXPECT_EQ(serve.model, "chat-medium");
  EXPECT_FALSE(serve.preemptible);
  EXPECT_EQ(serve.latency, LatencyClass::kStandard);
  // Eligible chips come from the model's throughput table, efficiency 1.
  EXPECT_EQ(serve.EfficiencyOn("h100-sxm"), 1.0);
  EXPECT_EQ(serve.EfficiencyOn("b200"), 1.0);
  EXPECT_EQ(serve.eligible.size(), 2u);
  const WorkloadClass& pretrain = f.workloads[1];
  EXPECT_EQ(pretrain.kind, WorkloadKind::kPretrain);
  EXPECT_EQ(pretrain.team, "frontier");
  EXPECT_EQ(pretrain.gang_size_chips, 128);
  EXPECT_EQ(pretrain.EfficiencyOn("b200"), 2.2);
  EXPECT_EQ(pretrain.floor_effective_chips, 300);
  EXPECT_EQ(pretrain.floor_window_hours, 24);
  ASSERT_EQ(pretrain.bids.size(), 1u);
  EXPECT_EQ(pretrain.bids[0].effective_chips, 600);
  EXPECT_EQ(pretrain.bids[0].usd_per_effective_chip_hour, 4.0);
  const WorkloadClass& research = f.workloads[2];
  EXPECT_TRUE(research.preemptible);  // default
  ASSERT_EQ(research.bids.size(), 2u);
  EXPECT_EQ(research.bids[1].usd_per_effective_chip_hour, 1.0);

  ASSERT_EQ(f.demand.size(), 1u);
  const ServingDemand& d = f.demand[0];
  EXPECT_EQ(d.output_tokens_per_hour, 1.0e9);
  EXPECT_EQ(d.as_of, Utc("2027-01-01"));
  ASSERT_EQ(d.diurnal_shape.size(), 24u);
  ASSERT_EQ(d.weekly_shape.size(), 7u);
  // Shapes are normalised to mean 1, keeping their proportions.
  EXPECT_NEAR(std::accumulate(d.diurnal_shape.begin(), d.diurnal_shape.end(), 0.0) / 24, 1.0, 1e-12);
  EXPECT_NEAR(std::accumulate(d.weekly_shape.begin(), d.weekly_shape.end(), 0.0) / 7, 1.0, 1e-12);
  EXPECT_NEAR(d.diurnal_shape[13] / d.diurnal_shape[2], 1.5 / 0.45, 1e-12);
  EXPECT_NEAR(d.weekly_shape[0] / d.weekly_shape[6], 1.08 / 0.8, 1e-12);
  EXPECT_EQ(d.growth.monthly_log_growth_mean, 0.06);
  EXPECT_EQ(d.growth.monthly_log_growth_sd, 0.03);
  EXPECT_EQ(d.growth.monthly_volatility, 0.05);
  EXPECT_EQ(d.growth.shared_factor_loading, 0.5);  // default
  EXPECT_FALSE(d.growth.saturation_multiple.has_value());

  EXPECT_EQ(f.allocation.switch_cost_usd_per_chip, 1.5);
  EXPECT_EQ(f.allocation.pue, 1.2);
  EXPECT_EQ(f.forecast.scenarios, 2000);
  EXPECT_EQ(f.forecast.horizon_months, 24);
  EXPECT_EQ(f.forecast.seed, 7u);
  EXPECT_EQ(f.forecast.start, Utc("2027-01-01"));  // the earliest demand as_of
}

TEST(Spec, EveryKeyFixtureReadsEveryValue) {
  auto fleet = LoadFleetSpec(Fixture("every-key.yaml"));
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  const Fleet& f = *fleet;

  // The plan's cash: operating costs and a raise.
  EXPECT_EQ(f.plan.operating_cost_usd_per_month, 1.0e7);
  EXPECT_EQ(f.plan.operating_cost_monthly_growth, 0.01);
  ASSERT_EQ(f.plan.financing.size(), 1u);
  EXPECT_EQ(f.plan.financing[0].usd, 5.0e8);
  EXPECT_EQ(f.plan.financing[0].note, "series C");
  EXPECT_EQ(f.plan.financing[0].path, "plan.financing[0].date");

  // A catalog chip with overrides keeps the rest of its catalog figures.
  const ChipType* v6e = f.FindChip("tpu-v6e-derated");
  ASSERT_NE(v6e, nullptr);
  EXPECT_TRUE(v6e->from_catalog);
  EXPECT_EQ(v6e->bf16_dense_flops, 8.0e14);
  EXPECT_EQ(v6e->fp8_dense_flops, 0);
  EXPECT_EQ(v6e->power_w, 300);
  EXPECT_EQ(v6e->release_date, "2024-12-11");
  EXPECT_EQ(v6e->source, "catalog figures with BF16 derated by 12%");
  EXPECT_EQ(f.FindChip("tpu-v6e"), nullptr);  // renamed by the override
  const ChipType* trn2 = f.FindChip("trn2-custom");
  ASSERT_NE(trn2, nullptr);
  EXPECT_FALSE(trn2->from_catalog);
  EXPECT_EQ(trn2->platform, Platform::kAws);
  EXPECT_EQ(trn2->all_in_power_w, 800);
  EXPECT_EQ(trn2->AllInPowerW(), 800);
  EXPECT_EQ(v6e->AllInPowerW(), 300 * kAllInOverBoardPower);  // no system figure: 1.5 x board
  EXPECT_EQ(trn2->generation, "trainium2");
  EXPECT_EQ(trn2->fp8_dense_flops, 1.3e15);
  EXPECT_EQ(trn2->hbm_gb, 96);
  EXPECT_EQ(trn2->hbm_tb_per_s, 2.9);
  EXPECT_EQ(trn2->interconnect_domain_chips, 64);

  const Contract* gcp = f.FindContract("gcp-v6e");
  ASSERT_NE(gcp, nullptr);
  EXPECT_EQ(gcp->kind, ContractKind::kShortTerm);
  EXPECT_EQ(gcp->usd_per_mw_month, 1800000);
  EXPECT_FALSE(gcp->usd_per_chip_hour.has_value());
  // The MW price reaches pools through the chip's all-in power (1.5 x board here) and the PUE.
  EXPECT_NEAR(f.PoolUsdPerChipHour(f.pools[1]), 1800000 * (300 * kAllInOverBoardPower * 1.3 / 1e6) / 730,
              1e-9);
  EXPECT_EQ(f.FindContract("aws-trn2")->kind, ContractKind::kOnDemand);

  EXPECT_EQ(f.pools[0].mtbf_hours, 720);
  EXPECT_EQ(f.pools[0].mttr_hours, 4);
  EXPECT_EQ(f.pools[1].availability, 1.0);  // default

  EXPECT_EQ(f.FindModel("chat-small")->input_tokens_per_output_token, 1.0);  // default
  // Prices with the prompt cache, the request mix and the architecture: the
  // measured table is used and the estimate is kept beside it.
  const ServedModel* large_model = f.FindModel("chat-large");
  EXPECT_EQ(large_model->usd_per_million_cached_input_tokens, 0.3);
  EXPECT_EQ(large_model->cached_input_share, 0.5);
  EXPECT_NEAR(large_model->usd_per_output_token() * 1e6, 15.0 + 4.0 * (0.5 * 3.0 + 0.5 * 0.3), 1e-9);
  EXPECT_EQ(large_model->output_tokens_per_request, 500);
  EXPECT_EQ(large_model->min_output_tokens_per_s_per_user, 30);
  ASSERT_TRUE(large_model->architecture.has_value());
  EXPECT_EQ(large_model->architecture->layers, 80);
  EXPECT_EQ(large_model->architecture->kv_cache_bytes_per_token, 163840);
  EXPECT_TRUE(large_model->throughput_from_spec);
  EXPECT_EQ(large_model->output_tokens_per_s_per_chip.at("h100-sxm"), 900);
  EXPECT_GT(large_model->estimated_output_tokens_per_s_per_chip.at("h100-sxm"), 0);
  EXPECT_FALSE(f.FindModel("chat-small")->architecture.has_value());
  EXPECT_TRUE(f.FindModel("chat-small")->estimated_output_tokens_per_s_per_chip.empty());
  const WorkloadClass* large = f.FindWorkload("serve-large");
  EXPECT_EQ(large->latency, LatencyClass::kFast);
  EXPECT_EQ(large->EfficiencyOn("trn2-custom"), 0.8);    // given, not defaulted
  EXPECT_FALSE(large->EfficiencyOn("tpu-v6e-derated"));  // in the model's table but not listed
  EXPECT_EQ(f.FindWorkload("serve-small")->latency, LatencyClass::kBatch);
  EXPECT_EQ(f.FindWorkload("pretrain-next")->floor_window_hours, 48);
  const auto& steps = f.FindWorkload("pretrain-next")->floor_schedule;
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].from, Utc("2026-09-01T00:00Z"));
  EXPECT_EQ(steps[0].effective_chips, 500);
  EXPECT_EQ(steps[1].fleet_share, 0.2);
  EXPECT_TRUE(f.FindWorkload("pretrain-next")->has_floor());

  const GrowthModel& g = f.FindDemand("chat-large")->growth;
  EXPECT_EQ(g.shared_factor_loading, 0.7);
  EXPECT_EQ(g.saturation_multiple, 20);
  EXPECT_EQ(g.price_elasticity, -1.5);
  ASSERT_EQ(g.launches.size(), 2u);
  EXPECT_EQ(g.launches[0].date, Utc("2027-03-01"));  // sorted by date
  EXPECT_EQ(g.launches[0].multiplier_log_sd, 0);     // default
  EXPECT_EQ(g.launches[1].multiplier_log_sd, 0.2);
  ASSERT_EQ(g.price_changes.size(), 1u);
  EXPECT_EQ(g.price_changes[0].price_change_fraction, -0.5);
  // Two-level shapes divided by their means: 1 and 3 (mean 2) become 0.5 and
  // 1.5; five 2s and two 1s (mean 12/7) become 7/6 and 7/12.
  const ServingDemand* d = f.FindDemand("chat-large");
  EXPECT_DOUBLE_EQ(d->diurnal_shape[0], 0.5);
  EXPECT_DOUBLE_EQ(d->diurnal_shape[23], 1.5);
  EXPECT_DOUBLE_EQ(d->weekly_shape[0], 7.0 / 6);
  EXPECT_DOUBLE_EQ(d->weekly_shape[6], 7.0 / 12);
  EXPECT_DOUBLE_EQ(d->ShapeAt(Utc("2027-01-04T13:00Z")), 1.5 * 7.0 / 6);  // a Monday afternoon
  EXPECT_TRUE(f.FindDemand("chat-small")->diurnal_shape.empty());         // flat
  EXPECT_EQ(d->hourly_noise_log_sd, 0.15);
  EXPECT_EQ(d->hourly_noise_autocorrelation, 0.6);
  EXPECT_EQ(f.FindDemand("chat-small")->hourly_noise_log_sd, 0);  // default
  EXPECT_EQ(d->daily_level_log_sd, 0.12);
  EXPECT_EQ(d->daily_level_autocorrelation, 0.7);
  EXPECT_EQ(f.FindDemand("chat-small")->daily_level_log_sd, 0);  // default
  EXPECT_EQ(d->hourly_band_factors, (std::vector<double>{1.2, 1.1, 1.05}));
  EXPECT_EQ(d->hourly_band_factors_source, "an example: fit-profile writes these");
  EXPECT_TRUE(f.FindDemand("chat-small")->hourly_band_factors.empty());  // default: none

  ASSERT_EQ(f.class_growth.size(), 1u);
  EXPECT_EQ(f.class_growth[0].workload, "research");
  EXPECT_EQ(f.class_growth[0].growth.monthly_log_growth_mean, 0.04);
  EXPECT_EQ(f.class_growth[0].loc.line, 196);
  // monthly_growth_drift_sd is read (one demand sets it; the others default to 0).
  int drifting = 0;
  for (const auto& dm : f.demand) drifting += dm.growth.monthly_growth_drift_sd == 0.01;
  EXPECT_EQ(drifting, 1);

  ASSERT_EQ(f.floors.size(), 1u);
  EXPECT_EQ(f.floors[0].name, "model-development");
  EXPECT_EQ(f.floors[0].workloads, (std::vector<std::string>{"pretrain-next", "research"}));
  EXPECT_EQ(f.floors[0].effective_chips, 450);
  EXPECT_EQ(f.floors[0].window_hours, 24);
  ASSERT_EQ(f.floors[0].schedule.size(), 2u);
  EXPECT_EQ(f.floors[0].schedule[0].effective_chips, 550);
  EXPECT_EQ(f.floors[0].schedule[1].fleet_share, 0.25);
  EXPECT_EQ(f.allocation.pue, 1.3);
  EXPECT_EQ(f.forecast.horizon_months, 36);
  EXPECT_EQ(f.forecast.start, Utc("2027-01-01"));  // given, although a demand is older

  // Simulation: failures, efficiency gains and the simulate block.
  EXPECT_EQ(f.pools[0].failure_fraction, 0.25);
  EXPECT_EQ(f.pools[1].failure_fraction, 1.0);  // default: a pool-level failure takes the pool
  EXPECT_EQ(f.FindModel("chat-large")->efficiency_gain_per_month, 0.02);
  EXPECT_EQ(f.FindModel("chat-small")->efficiency_gain_per_month, 0);
  EXPECT_EQ(g.launches[0].throughput_multiplier, 1.4);
  EXPECT_EQ(g.launches[1].throughput_multiplier, 1.0);  // default
  EXPECT_EQ(f.simulate.start, Utc("2027-01-01"));
  EXPECT_EQ(f.simulate.period_hours, 2);
  EXPECT_EQ(f.simulate.checkpoint_interval_hours, 6);
  EXPECT_TRUE(f.simulate.integer_gangs);
  EXPECT_EQ(f.simulate.model_development_value_share, 0.3);
  EXPECT_EQ(f.simulate.model_development_lag_months, 4);
  EXPECT_EQ(f.simulate.model_development_uplift_months, 9);
  EXPECT_EQ(f.simulate.serving_quantile, 0.95);
}

TEST(Spec, DefaultsMatchTheDomainModel) {
  // A spec that leaves everything optional out gets the defaults that
  // model/fleet.h documents.
  auto fleet = ParseFleetSpec(std::string(kBase) + R"(workloads:
  - {id: r, kind: research, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
demand:
  - {model: m, output_tokens_per_hour: 1.0e9, as_of: 2026-05-01}
  - {model: m2, output_tokens_per_hour: 1.0e9, as_of: 2026-04-01}
)",
                              "inline.yaml");
  // m2 is not declared: the only error.
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(
      Located(fleet.status()),
      ElementsAre("15:13: demand[1].model: expected a model declared in models, got \"m2\" (did you mean "
                  "\"m\"?)"));

  fleet = ParseFleetSpec(std::string(kBase) + R"(workloads:
  - {id: r, kind: research, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
  - {id: m2, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
demand:
  - {model: m, output_tokens_per_hour: 1.0e9, as_of: 2026-05-01}
  - {model: m2, output_tokens_per_hour: 1.0e9, as_of: 2026-04-01}
)",
                         "inline.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  const Pool pool_defaults;
  EXPECT_EQ(fleet->pools[0].availability, pool_defaults.availability);
  EXPECT_EQ(fleet->pools[0].mtbf_hours, pool_defaults.mtbf_hours);
  EXPECT_EQ(fleet->pools[0].region, "");
  const WorkloadClass w_defaults;
  const WorkloadClass& w = fleet->workloads[0];
  EXPECT_EQ(w.latency, w_defaults.latency);
  EXPECT_EQ(w.preemptible, w_defaults.preemptible);
  EXPECT_EQ(w.gang_size_chips, w_defaults.gang_size_chips);
  EXPECT_EQ(w.floor_effective_chips, w_defaults.floor_effective_chips);
  EXPECT_EQ(w.floor_window_hours, w_defaults.floor_window_hours);
  EXPECT_EQ(fleet->models[0].input_tokens_per_output_token, ServedModel{}.input_tokens_per_output_token);
  const GrowthModel g_defaults;
  EXPECT_EQ(fleet->demand[0].growth.shared_factor_loading, g_defaults.shared_factor_loading);
  EXPECT_EQ(fleet->demand[0].growth.monthly_log_growth_mean, g_defaults.monthly_log_growth_mean);
  const AllocationSettings a_defaults;
  EXPECT_EQ(fleet->allocation.pue, a_defaults.pue);
  EXPECT_EQ(fleet->allocation.switch_cost_usd_per_chip, a_defaults.switch_cost_usd_per_chip);
  const ForecastSettings f_defaults;
  EXPECT_EQ(fleet->forecast.scenarios, f_defaults.scenarios);
  EXPECT_EQ(fleet->forecast.horizon_months, f_defaults.horizon_months);
  EXPECT_EQ(fleet->forecast.seed, f_defaults.seed);
  EXPECT_EQ(fleet->forecast.start, Utc("2026-04-01"));  // the earliest as_of, not the first listed
}

TEST(Spec, CustomChipTakesTableDefaults) {
  auto fleet = ParseFleetSpec(R"(name: t
chip_types:
  - {id: asic, name: ASIC, platform: other, bf16_dense_flops: 1.0e15, hbm_gb: 64, power_w: 600}
)",
                              "inline.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  const ChipType& c = fleet->chip_types[0];
  EXPECT_FALSE(c.from_catalog);
  EXPECT_EQ(c.platform, Platform::kOther);
  EXPECT_EQ(c.fp8_dense_flops, 0);
  EXPECT_EQ(c.hbm_tb_per_s, 0);
  EXPECT_EQ(c.interconnect_domain_chips, 1);
  EXPECT_EQ(c.release_date, "");
}

// ---- One test per class of bad input: exact line, column, field, message ----

TEST(SpecErrors, MalformedYamlIsOneDiagnosticAtTheParserMark) {
  EXPECT_THAT(FixtureErrors("malformed-yaml.yaml"),
              ElementsAre("9:1: : invalid YAML: end of sequence flow not found"));
  // The message has no field path: "file:9:1: invalid YAML: ...".
  auto fleet = LoadFleetSpec(Fixture("malformed-yaml.yaml"));
  EXPECT_EQ(fleet.status().ToString(),
            Fixture("malformed-yaml.yaml") + ":9:1: invalid YAML: end of sequence flow not found");
  // yaml-cpp counts from 0; the report counts from 1.
  EXPECT_THAT(InlineErrors("name: t\npools:\n\t- id: x\n"),
              ElementsAre("3:2: : invalid YAML: illegal block entry"));
}

TEST(SpecErrors, UnknownKeysSuggestTheClosestValidKey) {
  EXPECT_THAT(
      FixtureErrors("unknown-key.yaml"),
      ElementsAre("17:5: contracts[0].usd_per_gpu_hour: unknown key 'usd_per_gpu_hour' (did you mean "
                  "'usd_per_chip_hour'?)",
                  "23:5: contracts[1].price: unknown key 'price' (did you mean 'usd_per_chip_hour' or "
                  "'usd_per_mw_month'?)",
                  "27:5: pools[0].count: unknown key 'count' (did you mean 'chips'?)",
                  "29:5: pools[0].regoin: unknown key 'regoin' (did you mean 'region'?)",
                  "30:5: pools[0].colour: unknown key 'colour' (expected one of 'id', 'chip_type', "
                  "'chips', 'region', 'contract', 'landing_ramp', 'availability', 'mtbf_hours', "
                  "'mttr_hours', 'failure_fraction')"));
  // At the top level and in nested mappings too.
  EXPECT_THAT(InlineErrors(std::string(kBase) + "alocation: {pue: 1.1}\nforecast: {horizon: 12}\n"),
              ElementsAre("8:1: alocation: unknown key 'alocation' (did you mean 'allocation'?)",
                          "9:12: forecast.horizon: unknown key 'horizon' (did you mean 'horizon_months'?)"));
}

TEST(SpecErrors, WrongTypes) {
  EXPECT_THAT(
      FixtureErrors("wrong-type.yaml"),
      ElementsAre(
          "16:24: contracts[0].usd_per_chip_hour: expected a non-negative number, got \"abc\"",
          "18:3: pools: expected a list, got a mapping",
          "26:35: models[0].usd_per_million_input_tokens: expected a non-negative number, got \"0.50\" (a "
          "quoted string: write numbers without quotes)",
          "28:35: models[0].output_tokens_per_s_per_chip: expected a mapping from chip type id to number, "
          "got a list",
          "32:18: workloads[0].preemptible: expected true or false, got \"yes\"",
          "33:22: workloads[0].gang_size_chips: expected a non-negative integer, got 2.5"));
  EXPECT_THAT(InlineErrors("- name: t\n"), ElementsAre("1:1: : expected a mapping, got a list"));
  EXPECT_THAT(InlineErrors(""), ElementsAre("1:1: : expected a mapping, got nothing"));
  EXPECT_THAT(InlineErrors("name:\n"), ElementsAre("1:1: name: expected a non-empty string, got nothing"));
  EXPECT_THAT(InlineErrors("name: [a]\n"), ElementsAre("1:7: name: expected a non-empty string, got a list"));
  EXPECT_THAT(InlineErrors(std::string(kBase) + "forecast: {seed: 0x1F, scenarios: 1e3}\n"),
              ElementsAre("8:18: forecast.seed: expected a non-negative integer, got \"0x1F\"",
                          "8:35: forecast.scenarios: expected a positive integer, got 1e3"));
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + "forecast: {scenarios: 99999999999}\n"),
      ElementsAre("8:23: forecast.scenarios: expected a positive integer up to 50000000, got 99999999999"));
  EXPECT_THAT(InlineErrors(std::string(kBase) + "allocation: {pue: .inf}\n"),
              ElementsAre("8:19: allocation.pue: expected a number >= 1, got \".inf\""));
}

TEST(SpecErrors, OpenIntervalBounds) {
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + R"(models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
demand:
  - {model: m, output_tokens_per_hour: 1, as_of: 2026-05-01, hourly_noise_autocorrelation: 1}
  - {model: m, output_tokens_per_hour: 1, as_of: 2026-05-01, hourly_noise_log_sd: 3.5}
)"),
      ElementsAre("12:92: demand[0].hourly_noise_autocorrelation: expected a number in (-1, 1), got 1",
                  "13:13: demand[1].model: duplicate demand series for model \"m\", first declared at "
                  "line 12, column 13",
                  "13:83: demand[1].hourly_noise_log_sd: expected a number in [0, 3], got 3.5"));
}

TEST(SpecErrors, NegativeCountNamesFileLineAndColumn) {
  auto fleet = LoadFleetSpec(Fixture("negative-count.yaml"));
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(fleet.status().diagnostics().size(), 1u);
  const Diagnostic& d = fleet.status().diagnostics()[0];
  EXPECT_EQ(d.line, 30);
  EXPECT_EQ(d.column, 12);
  EXPECT_EQ(d.field, "pools[3].chips");
  EXPECT_EQ(d.message, "expected a positive integer, got -8");
  EXPECT_EQ(fleet.status().ToString(),
            Fixture("negative-count.yaml") + ":30:12: pools[3].chips: expected a positive integer, got -8");
}

TEST(SpecErrors, ImpossibleDatesAndTimesWithoutZone) {
  EXPECT_THAT(
      FixtureErrors("impossible-date.yaml"),
      ElementsAre("12:12: contracts[0].start: impossible date \"2027-02-30\"",
                  "13:10: contracts[0].end: time \"2029-01-01T10:00\" has no UTC zone: end it with 'Z' "
                  "(times are UTC)"));
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + "forecast: {start: next week}\n"),
      ElementsAre("8:19: forecast.start: expected a UTC date YYYY-MM-DD or time YYYY-MM-DDTHH:MMZ, got "
                  "\"next week\""));
}

TEST(SpecErrors, EndBeforeStartAndRampOutOfOrder) {
  EXPECT_THAT(
      FixtureErrors("end-before-start.yaml"),
      ElementsAre("14:10: contracts[0].end: expected a time after start 2027-01-01, got 2026-06-01",
                  "23:14: pools[0].landing_ramp[1].at: expected a time after 2027-03-01 (steps are in "
                  "increasing time), got 2027-02-01",
                  "23:36: pools[0].landing_ramp[1].fraction: expected at least 0.5 (landed capacity does "
                  "not shrink), got 0.4"));
}

TEST(SpecErrors, UnknownReferences) {
  EXPECT_THAT(
      FixtureErrors("unknown-reference.yaml"),
      ElementsAre(
          "20:16: pools[0].chip_type: expected a chip type declared in chip_types, got \"h100\" (did you "
          "mean \"h100-sxm\"?)",
          "22:15: pools[0].contract: expected a contract declared in contracts, got \"coreweave-2026\" "
          "(declared: cw)",
          "31:7: models[0].output_tokens_per_s_per_chip.tpu-v6e: expected a chip type declared in "
          "chip_types, got \"tpu-v6e\" (it is in the catalog: add `- catalog: tpu-v6e` to chip_types)",
          "35:12: workloads[0].model: expected a model declared in models, got \"chatt\" (did you mean "
          "\"chat\"?)",
          "39:21: workloads[1].eligible[0].chip_type: expected a chip type declared in chip_types, got "
          "\"mi300x\" (it is in the catalog: add `- catalog: mi300x` to chip_types)",
          "41:12: demand[0].model: expected a model declared in models, got \"code\" (declared: chat)",
          "45:15: class_growth[0].workload: expected a workload declared in workloads, got \"reserch\" "
          "(did you mean \"research\"?)"));
}

TEST(SpecErrors, DuplicateIdsNameTheFirst) {
  EXPECT_THAT(
      FixtureErrors("duplicate-id.yaml"),
      ElementsAre("8:14: chip_types[1].catalog: duplicate chip type \"h100-sxm\", first declared at line "
                  "7, column 14",
                  "21:5: pools[0].chips: duplicate key 'chips', first given at line 19, column 5",
                  "22:9: pools[1].id: duplicate pool \"east\", first declared at line 17, column 9"));
  // Demand series and class growth: one per model / workload.
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + R"(models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100, h100-sxm: 200}}
demand:
  - {model: m, output_tokens_per_hour: 1, as_of: 2026-05-01}
  - {model: m, output_tokens_per_hour: 2, as_of: 2026-05-01}
)"),
      ElementsAre("10:88: models[0].output_tokens_per_s_per_chip.h100-sxm: duplicate key 'h100-sxm', first "
                  "given at line 10, column 73",
                  "13:13: demand[1].model: duplicate demand series for model \"m\", first declared at "
                  "line 12, column 13"));
}

TEST(SpecErrors, BidsMustNotRiseInValue) {
  EXPECT_THAT(
      FixtureErrors("non-concave-bids.yaml"),
      ElementsAre("17:61: workloads[0].bids[2].usd_per_effective_chip_hour: expected at most 2 (the value "
                  "of the step before: a bid curve falls in steps), got 2.5",
                  "18:27: workloads[0].bids[3].effective_chips: expected a positive number, got 0"));
}

TEST(SpecErrors, ShapesHaveTheirLengthAndAPositiveMean) {
  EXPECT_THAT(FixtureErrors("shape-length.yaml"),
              ElementsAre("26:20: demand[0].diurnal_shape: expected a list of 24 numbers, got 23",
                          "28:45: demand[0].weekly_shape[5]: expected a non-negative number, got -0.8",
                          "32:19: demand[1].weekly_shape: expected at least one positive number (shapes are "
                          "normalised to mean 1), got all zeros"));
}

TEST(SpecErrors, ExactlyOnePrice) {
  EXPECT_THAT(
      FixtureErrors("both-prices.yaml"),
      ElementsAre("15:5: contracts[0]: expected exactly one of 'usd_per_chip_hour' or 'usd_per_mw_month', "
                  "got both",
                  "16:5: contracts[1]: expected exactly one of 'usd_per_chip_hour' or 'usd_per_mw_month', "
                  "got neither"));
}

TEST(SpecErrors, ManyErrorsAreAllReportedInFileOrder) {
  EXPECT_THAT(
      FixtureErrors("many-errors.yaml"),
      ElementsAre(
          "10:14: chip_types[1].catalog: expected a chip id from the built-in catalog, got \"h100-pcie\" "
          "(did you "
          "mean \"h100-sxm\"?)",
          "11:5: chip_types[2].power_w: missing key 'power_w' (required when 'catalog' is not given)",
          "13:15: chip_types[2].platform: expected one of nvidia, amd, google, aws, cpu, other, got \"asic\"",
          "19:11: contracts[0].kind: expected one of reserved, on_demand, short_term, owned, got "
          "\"on-demand\" "
          "(did you mean \"on_demand\"?)",
          "22:24: contracts[0].usd_per_chip_hour: expected a non-negative number, got -2.10",
          "28:19: pools[0].availability: expected a number in (0, 1], got 1.5",
          "30:36: pools[0].landing_ramp[0].fraction: expected a number in (0, 1], got 0",
          "37:46: models[0].output_tokens_per_s_per_chip.h100-sxm: expected a positive number, got 0",
          "39:5: workloads[0].eligible: missing key 'eligible' (required when kind is pretrain)",
          "41:5: workloads[0].model: key 'model' is only allowed when kind is serve, not when kind is "
          "pretrain",
          "42:28: workloads[0].floor_effective_chips: expected a non-negative number, got -300",
          "43:14: workloads[0].latency: expected one of fast, standard, batch, got \"slow\"",
          "44:5: workloads[1].model: missing key 'model' (required when kind is serve)",
          "47:8: allocation.pue: expected a number >= 1, got 0.9",
          "50:14: forecast.scenarios: expected a positive integer, got 0",
          "51:19: forecast.horizon_months: expected an integer from 1 to 120, got 240"));
}

TEST(SpecErrors, MissingRequiredKeys) {
  EXPECT_THAT(InlineErrors("chip_types:\n  - catalog: b200\npools:\n  - id: p\n    chips: 8\n"),
              ElementsAre("1:1: name: missing required key 'name'",
                          "4:5: pools[0].chip_type: missing required key 'chip_type'",
                          "4:5: pools[0].contract: missing required key 'contract'"));
}

TEST(SpecErrors, DuplicateTopLevelKeyAndEligibleChip) {
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + R"(  - {id: west, chip_type: b200, chips: 8, contract: cw}
models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
workloads:
  - id: s
    kind: serve
    model: m
    eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}, {chip_type: h100-sxm, efficiency_h100_equiv: 2}]
  - id: s2
    kind: serve
    model: m
    eligible: [{chip_type: b200, efficiency_h100_equiv: 2}]
chip_types:
  - catalog: b200
)"),
      // chip_types given twice: the second is a duplicate key, and b200 is then undeclared.
      ElementsAre("8:27: pools[1].chip_type: expected a chip type declared in chip_types, got \"b200\" (it "
                  "is in the catalog: add `- catalog: b200` to chip_types)",
                  "16:77: workloads[0].eligible[1].chip_type: duplicate chip type \"h100-sxm\" (already in "
                  "workloads[0].eligible[0])",
                  "20:28: workloads[1].eligible[0].chip_type: expected a chip type declared in chip_types, "
                  "got \"b200\" (it is in the catalog: add `- catalog: b200` to chip_types)",
                  "21:1: chip_types: duplicate key 'chip_types', first given at line 2, column 1"));
  EXPECT_THAT(InlineErrors(std::string(kBase) + R"(models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
workloads:
  - {id: s, kind: serve, model: m, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
chip_types: []
)"),
              ElementsAre("13:1: chip_types: duplicate key 'chip_types', first given at line 2, column 1"));
}

TEST(SpecErrors, ServeEligibleOutsideTheModelTable) {
  EXPECT_THAT(
      InlineErrors(R"(name: t
chip_types: [{catalog: h100-sxm}, {catalog: b200}]
models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
workloads:
  - {id: s, kind: serve, model: m, eligible: [{chip_type: b200, efficiency_h100_equiv: 2}]}
)"),
      ElementsAre("7:59: workloads[0].eligible[0].chip_type: expected a chip type with a throughput for "
                  "model \"m\", got \"b200\" (add it to that model's output_tokens_per_s_per_chip)"));
}

TEST(SpecErrors, ClassGrowthIsForResearchOrInternal) {
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + R"(workloads:
  - {id: pt, kind: pretrain, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
  - {id: r, kind: research, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
class_growth:
  - {workload: pt, growth: {monthly_log_growth_mean: 0.01}}
  - {workload: r, growth: {monthly_log_growth_sd: -0.1, shared_factor_loading: 1.5}}
  - {workload: r, growth: {saturation_multiple: 1, launches: [{date: 2027-01-01, multiplier_median: 0}],
                           price_changes: [{date: 2027-01-01, price_change_fraction: -1}]}}
  - {workload: r}
)"),
      ElementsAre(
          "12:16: class_growth[0].workload: expected a research or internal workload, got \"pt\" "
          "(kind pretrain)",
          "13:51: class_growth[1].growth.monthly_log_growth_sd: expected a number in [0, 1], got -0.1",
          "13:80: class_growth[1].growth.shared_factor_loading: expected a number in [0, 1], got 1.5",
          "14:16: class_growth[2].workload: duplicate class growth for workload \"r\", first "
          "declared at line 13, column 16",
          "14:49: class_growth[2].growth.saturation_multiple: expected a number > 1, got 1",
          "14:101: class_growth[2].growth.launches[0].multiplier_median: expected a positive number, "
          "got 0",
          "15:86: class_growth[2].growth.price_changes[0].price_change_fraction: expected a number in (-1, "
          "100], got -1",
          "16:5: class_growth[3].growth: missing required key 'growth'",
          "16:16: class_growth[3].workload: duplicate class growth for workload \"r\", first "
          "declared at line 13, column 16"));
}

TEST(SpecErrors, MwPriceNeedsTheChipPower) {
  // AWS does not publish Trainium1's power; a MW price would make it free.
  EXPECT_THAT(
      InlineErrors(R"(name: t
chip_types: [{catalog: trn1}]
contracts:
  - {id: dc, provider: self, kind: owned, start: 2026-01-01, end: 2030-01-01, usd_per_mw_month: 1.5e6}
pools:
  - {id: p, chip_type: trn1, chips: 16, contract: dc}
)"),
      ElementsAre("6:51: pools[0].contract: contract \"dc\" is priced per MW but chip type \"trn1\" has no "
                  "power_w: set power_w on the chip type"));
  // An override fixes it.
  EXPECT_THAT(InlineErrors(R"(name: t
chip_types: [{catalog: trn1, power_w: 400}]
contracts:
  - {id: dc, provider: self, kind: owned, start: 2026-01-01, end: 2030-01-01, usd_per_mw_month: 1.5e6}
pools:
  - {id: p, chip_type: trn1, chips: 16, contract: dc}
)"),
              ElementsAre("<parsed without errors>"));
}

TEST(SpecErrors, MultipleDocumentsAreRefused) {
  EXPECT_THAT(InlineErrors(std::string(kBase) + "---\nname: other\n"),
              ElementsAre("8:1: : expected one YAML document, got 2 (remove the '---' separator)"));
}

// yaml-cpp 0.7 starts empty documents at a stray ',' without end (24 GB for
// a file holding only ","); the reader refuses it at its place.
TEST(SpecErrors, AStrayCommaIsRefusedAtItsPlace) {
  const std::string msg = "invalid YAML: unexpected ',' (a comma separates items only inside [ ] or { })";
  EXPECT_THAT(InlineErrors(","), ElementsAre("1:1: : " + msg));
  EXPECT_THAT(InlineErrors("[1],"), ElementsAre("1:4: : " + msg));
  EXPECT_THAT(InlineErrors("{name: t}  ,\n"), ElementsAre("1:12: : " + msg));
  // Inside a block mapping yaml-cpp itself stops.
  EXPECT_THAT(InlineErrors(std::string(kBase) + ",\n"),
              ElementsAre("8:1: : invalid YAML: end of map not found"));
}

TEST(SpecErrors, InputIsBoundedInBytesAndValues) {
  // Aliases repeat nodes without copying them; a reader would still visit
  // each: 10^6 here.
  std::string bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n";
  for (char c = 'b'; c <= 'f'; ++c)
    bomb += std::string(1, c) + ": &" + c + " [" + [&] {
      std::string items;
      for (int k = 0; k < 10; ++k) items += std::string(k ? "," : "") + "*" + static_cast<char>(c - 1);
      return items;
    }() + "]\n";
  auto errors = InlineErrors(bomb);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("the document holds more than 200000 values"));
  errors = InlineErrors(std::string((1 << 20) + 1, '#'));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0], HasSubstr("the file has 1048577 bytes, more than the 1048576 a spec may have"));
}

TEST(SpecErrors, IdsKeepToTheirCharacterSet) {
  auto pool = [](const std::string& id) {
    return InlineErrors(std::string(kBase) + "  - {id: " + id +
                        ", chip_type: h100-sxm, chips: 8, contract: cw}\n");
  };
  const std::string expected =
      "8:10: pools[1].id: expected an id (a letter or digit, then up to 63 letters, digits, '.', '_' or "
      "'-'), got ";
  EXPECT_THAT(pool("\"a b\""), ElementsAre(expected + "\"a b\""));
  EXPECT_THAT(pool("\"a\\nb\""), ElementsAre(expected + "\"a\\nb\""));
  EXPECT_THAT(pool("\"a\\0b\""), ElementsAre(expected + "\"a\\x00b\""));
  EXPECT_THAT(pool("\" \""), ElementsAre(expected + "\" \""));
  EXPECT_THAT(pool("-west"), ElementsAre(expected + "\"-west\""));
  EXPECT_THAT(pool(std::string(65, 'w')), ElementsAre(expected + "\"" + std::string(60, 'w') + "...\""));
  EXPECT_THAT(pool("west.2_b-c"), ElementsAre("<parsed without errors>"));
  EXPECT_THAT(pool(std::string(64, 'w')), ElementsAre("<parsed without errors>"));
}

TEST(SpecErrors, PlainValuesYamlReadsAsNumbersOrBooleansAreNotStrings) {
  auto pool = [](const std::string& region) {
    return InlineErrors(std::string(kBase) +
                        "  - {id: w, chip_type: h100-sxm, chips: 8, contract: cw, region: " + region + "}\n");
  };
  EXPECT_THAT(pool("false"),
              ElementsAre("8:66: pools[1].region: expected a non-empty string, got false (YAML reads "
                          "it as a boolean: write it in quotes, \"false\")"));
  EXPECT_THAT(pool("12"),
              ElementsAre("8:66: pools[1].region: expected a non-empty string, got 12 (YAML reads it as "
                          "a number: write it in quotes, \"12\")"));
  for (const char* v : {"0x1F", "0o17", "1e5", "-.5", ".inf", "~", "null", "TRUE"})
    EXPECT_EQ(pool(v).size(), 1u) << v;
  for (const char* v : {"\"false\"", "'12'", "us-east", "1e", "0x", "yes", "1_000", "2026-01-01"})
    EXPECT_THAT(pool(v), ElementsAre("<parsed without errors>")) << v;
}

TEST(SpecErrors, NumbersAreBoundedForTheSolvers) {
  EXPECT_THAT(InlineErrors(std::string(kBase) +
                           "workloads:\n  - {id: r, kind: research, eligible: [{chip_type: h100-sxm, "
                           "efficiency_h100_equiv: 1}], floor_effective_chips: 1e200}\n"),
              ElementsAre("9:113: workloads[0].floor_effective_chips: expected a non-negative number up to "
                          "100000000, got 1e200"));
  EXPECT_THAT(
      InlineErrors(std::string(kBase) + "  - {id: w, chip_type: h100-sxm, chips: 100000001, contract: cw}\n"),
      ElementsAre("8:41: pools[1].chips: expected a positive integer up to 100000000, got 100000001"));
}

// The dates forecast and plan check on the demand model are checked by the
// reader, at the value, with the same words (so validate refuses them too).
TEST(SpecErrors, EventDatesAreCheckedAgainstTheForecastAndThePlan) {
  const std::string models = R"(models:
  - {id: m, tier: small, launch: 2026-01-01, usd_per_million_input_tokens: 0.1,
     usd_per_million_output_tokens: 0.4, output_tokens_per_s_per_chip: {h100-sxm: 100}}
)";
  auto demand = [&](const std::string& growth, const std::string& tail = "") {
    return InlineErrors(std::string(kBase) + models +
                        "demand:\n  - {model: m, output_tokens_per_hour: 1.0e9, as_of: 2026-05-01, growth: " +
                        growth + "}\nforecast: {horizon_months: 12}\n" + tail);
  };
  EXPECT_THAT(
      demand("{launches: [{date: 2026-04-01, multiplier_median: 2}]}"),
      ElementsAre("12:93: demand[0].growth.launches[0].date: 2026-04-01 is not after the demand's as_of "
                  "2026-05-01: the starting level already includes it; drop it or move it after 2026-05-01"));
  EXPECT_THAT(
      demand("{price_changes: [{date: 2027-06-01, price_change_fraction: -0.5}]}"),
      ElementsAre(
          "12:98: demand[0].growth.price_changes[0].date: 2027-06-01 is outside the forecast horizon: "
          "the last month is 2027-05 (horizon_months 12 from 2026-05)"));
  EXPECT_THAT(demand("{price_changes: [{date: 2027-03-01, price_change_fraction: -0.5}]}"),
              ElementsAre("<parsed without errors>"));
  // A spec that plans builds its cone over the plan's months too.
  EXPECT_THAT(
      demand("{price_changes: [{date: 2027-03-01, price_change_fraction: -0.5}]}",
             "plan: {horizon_months: 6}\n"),
      ElementsAre("12:98: demand[0].growth.price_changes[0].date: 2027-03-01 is outside the plan horizon: "
                  "the last month is 2026-10 (horizon_months 6 from 2026-05)"));
  EXPECT_THAT(
      demand("{price_elasticity: -40}"),
      ElementsAre("12:93: demand[0].growth.price_elasticity: expected a number in [-20, 20], got -40"));
  EXPECT_THAT(InlineErrors(std::string(kBase) + "simulate: {start: 2026-01-01T10:30Z}\n"),
              ElementsAre("8:19: simulate.start: expected a whole hour, got 2026-01-01T10:30Z"));
}

TEST(SpecErrors, MissingFileIsNotFound) {
  auto fleet = LoadFleetSpec(Fixture("no-such-spec.yaml"));
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(fleet.status().message(), HasSubstr("no-such-spec.yaml: no such file"));
  auto dir = LoadFleetSpec(std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/spec");
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
}

// The `# stderr:` lines of the fixtures are what the end-to-end runner
// (tests/run_case.sh) expects from `fungible validate`: they must be among
// the parser's diagnostics, so the two kinds of test agree.
TEST(SpecErrors, FixtureHeadersMatchTheParser) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(Fixture(""))) {
    if (entry.path().extension() != ".yaml") continue;
    std::ifstream in(entry.path());
    std::string line, want_exit, run;
    std::vector<std::string> want;
    while (std::getline(in, line)) {
      if (line.rfind("# stderr: ", 0) == 0) want.push_back(line.substr(10));
      if (line.rfind("# exit: ", 0) == 0) want_exit = line.substr(8);
      if (line.rfind("# run: ", 0) == 0) run = line.substr(7);
    }
    if (run.find("validate") == std::string::npos || run.find("{spec}") == std::string::npos)
      continue;  // a case about another file
    auto fleet = LoadFleetSpec(entry.path().string());
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(want_exit, fleet.ok() ? "0" : "2");
    for (const auto& w : want) {
      EXPECT_THAT(fleet.status().ToString(), HasSubstr(w));
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

TEST(Spec, Summary) {
  auto fleet = LoadFleetSpec(Fixture("every-key.yaml"));
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  FleetSummary s = SummarizeFleet(*fleet);
  EXPECT_EQ(s.name, "every-key");
  EXPECT_THAT(s.chip_type_ids, ElementsAre("h100-sxm", "tpu-v6e-derated", "trn2-custom"));
  EXPECT_EQ(s.pools, 3);
  EXPECT_EQ(s.chips, 1024 + 128 + 256);
  EXPECT_EQ(s.chips_per_platform.at("nvidia"), 1024);
  EXPECT_EQ(s.chips_per_platform.at("google"), 128);
  EXPECT_EQ(s.chips_per_platform.at("aws"), 256);
  EXPECT_EQ(s.contracts, 3);
  EXPECT_EQ(s.contracts_per_kind.at("short_term"), 1);
  EXPECT_THAT(s.model_ids, ElementsAre("chat-large", "chat-small"));
  EXPECT_EQ(s.workloads, 4);
  EXPECT_EQ(s.workloads_per_kind.at("serve"), 2);
  EXPECT_THAT(s.demand_models, ElementsAre("chat-large", "chat-small"));
  EXPECT_EQ(s.class_growth, 1);
}

}  // namespace
}  // namespace fungible

namespace fungible {
namespace {

// A floor schedule: steps in increasing time, each in chips or a fleet share
// (exactly one), shares within [0, 1]; every error located.
TEST(Spec, FloorScheduleErrorsAreLocated) {
  auto errors = InlineErrors(std::string(kBase) + R"(workloads:
  - id: r
    kind: research
    eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]
    floor_schedule:
      - {from: 2027-01-01, effective_chips: 4}
      - {from: 2026-06-01, fleet_share: 1.5}
      - {from: 2027-06-01, effective_chips: 4, fleet_share: 0.5}
)");
  EXPECT_THAT(errors,
              ::testing::Contains(HasSubstr("workloads[0].floor_schedule[1].from: expected a time after "
                                            "2027-01-01")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("workloads[0].floor_schedule[1].fleet_share: expected")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("workloads[0].floor_schedule[2]")));
}

// A floor several workloads share: every reference, value and overlap checked
// where it is written.
TEST(Spec, SharedFloorErrorsAreLocated) {
  const std::string workloads = R"(models:
  - {id: m, tier: t, launch: 2026-01-01, usd_per_million_input_tokens: 1, usd_per_million_output_tokens: 1, output_tokens_per_s_per_chip: {h100-sxm: 1}}
workloads:
  - {id: pre, kind: pretrain, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
  - {id: rl, kind: rl, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
  - {id: chat, kind: serve, model: m}
)";
  auto errors = InlineErrors(std::string(kBase) + workloads + R"(floors:
  - {name: dev, workloads: [pre, rlx], effective_chips: 4}
  - {name: dev2, workloads: [pre, chat], effective_chips: -1}
  - {name: dev3, workloads: [pre, pre], window_hours: 0}
  - {name: dev4, workloads: [rl, pre], effective_chips: 2}
  - {name: dev5, workloads: [pre, rl], effective_chips: 3}
  - {name: dev6, workloads: [], schedule: [{from: 2027-01-01, fleet_share: 2}]}
)");
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr(
                          "15:34: floors[0].workloads[1]: expected a workload declared in workloads, "
                          "got \"rlx\"")))
      << ::testing::PrintToString(errors);
  EXPECT_THAT(errors,
              ::testing::Contains(HasSubstr("floors[1].workloads[1]: expected a workload that develops "
                                            "models (pretrain, rl, research or internal), got \"chat\"")));
  EXPECT_THAT(errors,
              ::testing::Contains(HasSubstr("floors[1].effective_chips: expected a non-negative number")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("floors[2].workloads[1]: duplicate \"pre\"")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("floors[2].window_hours: expected")));
  EXPECT_THAT(errors,
              ::testing::Contains(HasSubstr("floors[4].workloads: expected workloads that differ from "
                                            "those of floor \"dev4\"")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("floors[5].workloads: expected at least 1 ids")));
  EXPECT_THAT(errors, ::testing::Contains(HasSubstr("floors[5].schedule[0].fleet_share: expected")));
}

TEST(Spec, SharedFloorParses) {
  auto fleet = ParseFleetSpec(std::string(kBase) + R"(workloads:
  - {id: pre, kind: pretrain, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
  - {id: rl, kind: rl, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1}]}
floors:
  - name: dev
    workloads: [pre, rl]
    effective_chips: 4
    window_hours: 48
    schedule: [{from: 2027-01-01, fleet_share: 0.5}]
)",
                              "inline.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  ASSERT_EQ(fleet->floors.size(), 1u);
  const SharedFloor& f = fleet->floors[0];
  EXPECT_EQ(f.name, "dev");
  EXPECT_EQ(f.workloads, (std::vector<std::string>{"pre", "rl"}));
  EXPECT_EQ(f.effective_chips, 4);
  EXPECT_EQ(f.window_hours, 48);
  ASSERT_EQ(f.schedule.size(), 1u);
  EXPECT_EQ(f.schedule[0].fleet_share, 0.5);
}

// The reproducers of issue 13 (moved from the old in-process fuzz test; the
// short ones are also replayed from fuzz/regressions/spec/ in a capped
// process): each is refused at once, with its place.
TEST(SpecReader, IssueThirteenKillersAreRefusedWithTheirPlace) {
  const std::string alias_bomb =
      "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n";
  const std::vector<std::pair<std::string, std::string>> killers = {
      {",", "killer.yaml:1:1: invalid YAML: unexpected ','"},
      {",\n,", "killer.yaml:1:1: invalid YAML: unexpected ','"},
      {"[1],", "killer.yaml:1:4: invalid YAML: unexpected ','"},
      {"name: x\n,", "killer.yaml:2:1: invalid YAML: end of map not found"},
      {alias_bomb, "killer.yaml:6:8: the document holds more than 200000 values"},
      {std::string(2 << 20, '#'),
       "killer.yaml: the file has 2097152 bytes, more than the 1048576 a spec may have"},
      {std::string(100000, '['), "killer.yaml:1:1: invalid YAML: bad file"}};
  for (const auto& [text, message] : killers)
    EXPECT_THAT(ParseFleetSpec(text, "killer.yaml"),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(message)))
        << text.substr(0, 40);
}

}  // namespace
}  // namespace fungible

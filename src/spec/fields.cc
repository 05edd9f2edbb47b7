#include "spec/fields.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "model/enum_names.h"
#include "util/text.h"

// The table leaves most members of each entry at their defaults on purpose;
// GCC 12 warns about every designated initializer that does.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace fungible::spec_internal {
namespace {

constexpr Bound AtLeast(double v) { return Bound{v, false}; }
constexpr Bound Above(double v) { return Bound{v, true}; }
constexpr Bound AtMost(double v) { return Bound{v, false}; }

using VT = ValueType;

// Common maxima, so that no value the solvers see is out of their range (Clp
// aborts on coefficients near 1e20). Generous: far above any real fleet.
constexpr double kMaxChips = 1e8;           // chips in one pool, offer, floor or bid step
constexpr double kMaxUsdPerChipHour = 1e4;  // price or value of one chip-hour, USD
constexpr double kMaxUsd = 1e15;            // cash amounts, USD

// ---- The table. Leaves first: an object is defined before the objects that
// hold it. Defaults here are the defaults of the spec (the reader applies them),
// and are kept equal to the member initializers in model/fleet.h. ----

const ObjectDef kNodeLabel{
    .name = "NodeLabel",
    .where = "chip_types[].kueue_node_labels[]",
    .description =
        "One Kubernetes node label that the nodes of this chip type carry, for the Kueue "
        "ResourceFlavor of `fungible export kueue` (e.g. key nvidia.com/gpu.product, "
        "value NVIDIA-H100-80GB-HBM3).",
    .fields =
        {
            {.key = "key",
             .type = VT::kString,
             .description = "Label key, e.g. cloud.google.com/gke-tpu-accelerator.",
             .required = true,
             .hints = {"name", "label"}},
            {.key = "value",
             .type = VT::kString,
             .description = "Label value, e.g. tpu-v6e-slice.",
             .required = true},
        },
};

const ObjectDef kChipType{
    .name = "ChipType",
    .where = "chip_types[]",
    .description =
        "A chip type the fleet uses: either `catalog: <id>` (a built-in chip; any other key "
        "overrides its figure) or a custom chip with all its figures. Figures are per chip, "
        "dense (no sparsity).",
    .fields =
        {
            {.key = "catalog",
             .type = VT::kId,
             .description = "Id of a built-in catalog chip (`fungible catalog` lists them), e.g. h100-sxm, "
                            "tpu-v6e, trn2.",
             .hints = {"builtin", "from_catalog", "catalog_id"}},
            {.key = "id",
             .type = VT::kId,
             .description = "Id used by pools, models and workloads; defaults to the catalog id.",
             .hints = {"chip_id", "chip"}},
            {.key = "name",
             .type = VT::kString,
             .description = "Display name, e.g. \"NVIDIA H100 SXM5 80GB\"."},
            {.key = "platform",
             .type = VT::kEnum,
             .description = "Vendor platform.",
             .enum_values = EnumNamesOf(kPlatformNames),
             .hints = {"vendor"}},
            {.key = "generation",
             .type = VT::kString,
             .description = "Generation, e.g. hopper, blackwell, v6e, trainium2.",
             .hints = {"gen", "arch", "architecture"}},
            {.key = "bf16_dense_flops",
             .type = VT::kNumber,
             .description = "Peak dense BF16 throughput per chip, FLOP/s.",
             .min = Above(0),
             .cap = 1e18,
             .hints = {"bf16_flops", "flops", "bf16_tflops", "bf16_dense_tflops"}},
            {.key = "fp8_dense_flops",
             .type = VT::kNumber,
             .description = "Peak dense FP8 throughput per chip, FLOP/s; 0 when the chip has no FP8.",
             .min = AtLeast(0),
             .cap = 1e18,
             .default_value = "0",
             .hints = {"fp8_flops", "fp8_tflops", "fp8_dense_tflops"}},
            {.key = "hbm_gb",
             .type = VT::kNumber,
             .description = "HBM capacity per chip, GB (1e9 bytes).",
             .min = Above(0),
             .cap = 1e5,
             .hints = {"memory_gb", "hbm", "hbm_gib", "memory"}},
            {.key = "hbm_tb_per_s",
             .type = VT::kNumber,
             .description = "HBM bandwidth per chip, TB/s (1e12 bytes/s).",
             .min = AtLeast(0),
             .cap = 1e3,
             .default_value = "0",
             .hints = {"hbm_bandwidth", "memory_bandwidth", "bandwidth", "hbm_tbps"}},
            {.key = "interconnect_domain_chips",
             .type = VT::kInteger,
             .description = "Chips in one scale-up domain (NVLink 8 or 72, TPU slice, Trn2 UltraServer).",
             .min = AtLeast(1),
             .cap = 1e6,
             .default_value = "1",
             .hints = {"nvlink_domain", "domain_size", "interconnect_domain", "scale_up_domain"}},
            {.key = "power_w",
             .type = VT::kNumber,
             .description = "Chip (board) power, W.",
             .min = Above(0),
             .cap = 1e5,
             .hints = {"tdp_w", "tdp", "power", "power_kw", "watts"}},
            {.key = "all_in_power_w",
             .type = VT::kNumber,
             .description = "IT power per chip in a deployed system (its share of hosts, network, fans), W; "
                            "facility power is this x PUE. Absent: the catalog's published system figure, "
                            "else 1.5 x power_w.",
             .min = Above(0),
             .cap = 1e5,
             .hints = {"system_power_w", "it_power_w", "all_in_w"}},
            {.key = "release_date",
             .type = VT::kDate,
             .description = "Release date, YYYY-MM-DD.",
             .hints = {"released", "release"}},
            {.key = "source", .type = VT::kString, .description = "Where the figures come from."},
            {.key = "kueue_node_labels",
             .type = VT::kObjectList,
             .description = "The node labels of this chip type's nodes, for `fungible export kueue`'s "
                            "ResourceFlavor and Job nodeSelector. Absent: the labels real clusters carry "
                            "(nvidia.com/gpu.product; cloud.google.com/gke-tpu-accelerator and "
                            "gke-tpu-topology; node.kubernetes.io/instance-type for Trainium), see "
                            "docs/serve.md.",
             .object = &kNodeLabel,
             .min_items = 1,
             .hints = {"node_labels", "kueue_labels", "labels", "node_selector"}},
        },
    .conditions = {{.key = "catalog",
                    .else_required = {"id", "name", "platform", "bf16_dense_flops", "hbm_gb", "power_w"}}},
};

const ObjectDef kContract{
    .name = "Contract",
    .where = "contracts[]",
    .description =
        "A contract under which pools hold their chips. Give exactly one price: per chip-hour, "
        "or per MW-month of facility power.",
    .fields =
        {
            {.key = "id",
             .type = VT::kId,
             .description = "Contract id, referenced by pools.",
             .required = true},
            {.key = "provider",
             .type = VT::kString,
             .description = "Who supplies the capacity, e.g. CoreWeave, AWS, self.",
             .required = true,
             .hints = {"vendor", "supplier", "cloud"}},
            {.key = "kind",
             .type = VT::kEnum,
             .description = "reserved (take-or-pay), on_demand, short_term (a near-term deal) or owned.",
             .required = true,
             .enum_values = EnumNamesOf(kContractKindNames),
             .hints = {"type", "contract_kind"}},
            {.key = "start",
             .type = VT::kDate,
             .description = "First instant of the contract, UTC.",
             .required = true,
             .hints = {"start_date", "begin", "from"}},
            {.key = "end",
             .type = VT::kDate,
             .description = "End of the contract (exclusive), UTC; after start.",
             .required = true,
             .hints = {"end_date", "until", "to"}},
            {.key = "usd_per_chip_hour",
             .type = VT::kNumber,
             .description = "Price of one chip-hour, USD.",
             .min = AtLeast(0),
             .cap = kMaxUsdPerChipHour,
             .hints = {"price", "usd_per_gpu_hour", "cost", "price_per_hour", "usd_per_hour", "hourly_price",
                       "price_per_chip_hour"}},
            {.key = "usd_per_mw_month",
             .type = VT::kNumber,
             .description = "Price of one MW of facility power for a month, USD; converted per chip through "
                            "the chip's power_w and allocation.pue (a month is 730 hours).",
             .min = AtLeast(0),
             .cap = 1e9,
             .hints = {"price", "usd_per_mw", "price_per_mw_month", "usd_per_kw_month"}},
        },
    .exactly_one_of = {"usd_per_chip_hour", "usd_per_mw_month"},
};

const ObjectDef kRampStep{
    .name = "RampStep",
    .where = "pools[].landing_ramp[], offers[].landing_ramp[]",
    .description = "One step of a landing ramp: from `at` on, `fraction` of the pool's chips are installed.",
    .fields =
        {
            {.key = "at",
             .type = VT::kDate,
             .description = "From this instant on (UTC) the fraction applies.",
             .required = true,
             .hints = {"date", "time", "from", "when"}},
            {.key = "fraction",
             .type = VT::kNumber,
             .description = "Share of the pool's chips installed from `at` on.",
             .required = true,
             .min = Above(0),
             .max = AtMost(1),
             .hints = {"share", "percent", "landed"}},
        },
};

const ObjectDef kPool{
    .name = "Pool",
    .where = "pools[]",
    .description = "A count of one chip type in one location under one contract.",
    .fields =
        {
            {.key = "id", .type = VT::kId, .description = "Pool id.", .required = true},
            {.key = "chip_type",
             .type = VT::kId,
             .description = "Chip type id, declared in chip_types.",
             .required = true,
             .hints = {"chip", "gpu", "gpu_type", "accelerator", "chip_id", "type"}},
            {.key = "chips",
             .type = VT::kInteger,
             .description = "Number of chips in the pool once fully landed.",
             .required = true,
             .min = AtLeast(1),
             .cap = kMaxChips,
             .hints = {"count", "gpus", "num_chips", "quantity", "chip_count", "size", "num_gpus"}},
            {.key = "region",
             .type = VT::kString,
             .description = "Location, e.g. us-east.",
             .hints = {"location", "zone", "site", "datacenter"}},
            {.key = "contract",
             .type = VT::kId,
             .description = "Contract id, declared in contracts.",
             .required = true,
             .hints = {"contract_id"}},
            {.key = "landing_ramp",
             .type = VT::kObjectList,
             .description = "Capacity landing over time: steps in increasing `at`, fractions non-decreasing; "
                            "nothing has landed before the first step. Absent: every chip is there from the "
                            "contract start.",
             .object = &kRampStep,
             .hints = {"ramp", "landing"}},
            {.key = "availability",
             .type = VT::kNumber,
             .description = "Long-run share of chips up (failures, maintenance).",
             .min = Above(0),
             .max = AtMost(1),
             .default_value = "1",
             .hints = {"uptime", "available"}},
            {.key = "mtbf_hours",
             .type = VT::kNumber,
             .description = "Mean time between pool-level failures, hours; 0 = not modelled.",
             .min = AtLeast(0),
             .cap = 1e6,
             .default_value = "0",
             .hints = {"mtbf"}},
            {.key = "mttr_hours",
             .type = VT::kNumber,
             .description = "Mean time to repair a pool-level failure, hours.",
             .min = AtLeast(0),
             .cap = 1e5,
             .default_value = "0",
             .hints = {"mttr"}},
            {.key = "failure_fraction",
             .type = VT::kNumber,
             .description = "Share of the pool's chips one pool-level failure takes down (simulate).",
             .min = Above(0),
             .max = AtMost(1),
             .default_value = "1",
             .hints = {"failure_share", "blast_radius"}},
        },
};

const ObjectDef kArchitecture{
    .name = "Architecture",
    .where = "models[].architecture",
    .description =
        "A served model's architecture, for the first-principles throughput estimate "
        "(docs/throughput.md). Parameter counts in billions.",
    .fields =
        {
            {.key = "total_params_b",
             .type = VT::kNumber,
             .description = "All weights, billions of parameters.",
             .required = true,
             .min = Above(0),
             .max = AtMost(100000),
             .hints = {"params_b", "parameters_b", "total_params"}},
            {.key = "active_params_b",
             .type = VT::kNumber,
             .description = "Weights one token uses, billions (equal to total_params_b for a dense model).",
             .required = true,
             .min = Above(0),
             .max = AtMost(100000),
             .hints = {"active_params", "activated_params_b"}},
            {.key = "routed_experts",
             .type = VT::kInteger,
             .description = "Routed experts per mixture-of-experts layer; 0 = dense.",
             .min = AtLeast(0),
             .max = AtMost(100000),
             .default_value = "0",
             .hints = {"experts", "num_experts"}},
            {.key = "experts_per_token",
             .type = VT::kInteger,
             .description = "Routed experts each token uses (top-k); 0 for a dense model.",
             .min = AtLeast(0),
             .max = AtMost(100000),
             .default_value = "0",
             .hints = {"top_k", "active_experts"}},
            {.key = "layers",
             .type = VT::kInteger,
             .description = "Transformer blocks.",
             .required = true,
             .min = Above(0),
             .max = AtMost(10000),
             .hints = {"num_layers", "n_layers"}},
            {.key = "weight_bytes_per_param",
             .type = VT::kNumber,
             .description = "Bytes per weight: 2 BF16, 1 FP8, 0.5625 FP4 with scales.",
             .min = Above(0),
             .max = AtMost(4),
             .default_value = "2",
             .hints = {"bytes_per_param", "weight_bytes"}},
            {.key = "kv_cache_bytes_per_token",
             .type = VT::kNumber,
             .description = "KV cache per token of context over all layers, bytes (layers x KV heads x head "
                            "dim x 2 x bytes).",
             .required = true,
             .min = Above(0),
             .max = AtMost(1e9),
             .hints = {"kv_bytes_per_token", "kv_cache_bytes"}},
            {.key = "attention_flops_per_token_per_context_token",
             .type = VT::kNumber,
             .description = "Attention FLOPs per token per token of context (2 x layers x query heads x "
                            "(qk + v head dims)); 0 = ignored.",
             .min = AtLeast(0),
             .max = AtMost(1e12),
             .default_value = "0",
             .hints = {"attention_flops"}},
            {.key = "max_context_tokens",
             .type = VT::kInteger,
             .description = "Longest input plus output the model accepts, tokens; 0 = unlimited.",
             .min = AtLeast(0),
             .max = AtMost(100000000),
             .default_value = "0",
             .hints = {"context_length", "context_window", "max_context"}},
        },
};

const ObjectDef kModel{
    .name = "Model",
    .where = "models[]",
    .description = "A model the lab serves, with its token prices and its throughput per chip type.",
    .fields =
        {
            {.key = "id", .type = VT::kId, .description = "Model id.", .required = true},
            {.key = "tier",
             .type = VT::kString,
             .description = "Tier, e.g. small, medium, large, frontier.",
             .required = true},
            {.key = "launch",
             .type = VT::kDate,
             .description = "Launch date, UTC.",
             .required = true,
             .hints = {"launch_date", "release_date", "released"}},
            {.key = "usd_per_million_input_tokens",
             .type = VT::kNumber,
             .description = "List price of input tokens, USD per million.",
             .required = true,
             .min = AtLeast(0),
             .cap = 1e4,
             .hints = {"input_price", "usd_per_input_token", "usd_per_1m_input_tokens", "price_input"}},
            {.key = "usd_per_million_output_tokens",
             .type = VT::kNumber,
             .description = "List price of output tokens, USD per million.",
             .required = true,
             .min = AtLeast(0),
             .cap = 1e4,
             .hints = {"output_price", "usd_per_output_token", "usd_per_1m_output_tokens", "price_output"}},
            {.key = "usd_per_million_cached_input_tokens",
             .type = VT::kNumber,
             .description = "Price of input tokens read from the prompt cache, USD per million (list prices "
                            "are typically a tenth of the input price); absent = the input price.",
             .min = AtLeast(0),
             .cap = 1e4,
             .hints = {"cached_input_price", "usd_per_million_cache_read_tokens", "cache_read_price"}},
            {.key = "cached_input_share",
             .type = VT::kNumber,
             .description = "Share of input tokens served from the prompt cache and billed at the cached "
                            "price, 0..1.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"cache_hit_rate", "cache_hit_share", "cached_share"}},
            {.key = "input_tokens_per_output_token",
             .type = VT::kNumber,
             .description = "Input tokens per output token in the traffic (the token mix).",
             .min = AtLeast(0),
             .cap = 1e4,
             .default_value = "1",
             .hints = {"input_output_ratio", "token_mix"}},
            {.key = "output_tokens_per_s_per_chip",
             .type = VT::kNumberMap,
             .description = "Throughput at the model's latency SLO, output tokens/s per chip, keyed by chip "
                            "type id (declared in chip_types). Required unless `architecture` is given; with "
                            "both, these measured figures are used and the estimate is shown beside them.",
             .min = Above(0),
             .cap = 1e7,
             .min_items = 1,
             .hints = {"throughput", "tokens_per_s", "output_tokens_per_s", "tokens_per_s_per_chip",
                       "tokens_per_second_per_chip"}},
            {.key = "architecture",
             .type = VT::kObject,
             .description =
                 "The model's architecture: fungible estimates output tokens/s per chip from it on "
                 "every chip type the model fits (docs/throughput.md).",
             .object = &kArchitecture,
             .hints = {"arch", "model_architecture"}},
            {.key = "output_tokens_per_request",
             .type = VT::kNumber,
             .description = "Mean output tokens per request (the request mix, with "
                            "input_tokens_per_output_token and cached_input_share).",
             .min = Above(0),
             .max = AtMost(10000000),
             .default_value = "1000",
             .hints = {"output_tokens", "tokens_per_request"}},
            {.key = "min_output_tokens_per_s_per_user",
             .type = VT::kNumber,
             .description = "Latency target of the throughput estimate: every user receives at least this "
                            "many output tokens/s; 0 = offline throughput at full batch.",
             .min = AtLeast(0),
             .max = AtMost(100000),
             .default_value = "0",
             .hints = {"tokens_per_s_per_user", "latency_target", "output_speed"}},
            {.key = "efficiency_gain_per_month",
             .type = VT::kNumber,
             .description = "Continuous throughput gain between launches: tokens per chip grow by this "
                            "fraction a month, compounding, from the demand's as_of (0.02 = 2% a month).",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"efficiency_gain", "throughput_gain_per_month", "monthly_efficiency_gain"}},
        },
    .conditions = {{.key = "architecture", .else_required = {"output_tokens_per_s_per_chip"}}},
};

const ObjectDef kEligibility{
    .name = "Eligibility",
    .where = "workloads[].eligible[]",
    .description = "A chip type a workload can run on, with its efficiency there.",
    .fields =
        {
            {.key = "chip_type",
             .type = VT::kId,
             .description = "Chip type id, declared in chip_types.",
             .required = true,
             .hints = {"chip", "gpu", "gpu_type", "chip_id"}},
            {.key = "efficiency_h100_equiv",
             .type = VT::kNumber,
             .description = "H100-equivalent chips per chip of this type for this workload (hardware speed "
                            "times software maturity); 1.0 = an H100 on a mature stack.",
             .required = true,
             .min = Above(0),
             .cap = 1e3,
             .hints = {"efficiency", "speedup", "h100_equiv"}},
        },
};

const ObjectDef kBid{
    .name = "Bid",
    .where = "workloads[].bids[]",
    .description =
        "One step of a concave value curve: up to `effective_chips` are worth "
        "`usd_per_effective_chip_hour` each. Steps are listed in order of non-increasing value.",
    .fields =
        {
            {.key = "effective_chips",
             .type = VT::kNumber,
             .description = "Size of the step, H100-equivalent chips (held for an hour).",
             .required = true,
             .min = Above(0),
             .cap = kMaxChips,
             .hints = {"chips", "quantity", "amount"}},
            {.key = "usd_per_effective_chip_hour",
             .type = VT::kNumber,
             .description = "Value of each H100-equivalent chip-hour in this step, USD; not above the value "
                            "of the step before.",
             .required = true,
             .min = AtLeast(0),
             .cap = kMaxUsdPerChipHour,
             .hints = {"value", "price", "usd_per_chip_hour", "usd_per_hour", "bid"}},
        },
};

const ObjectDef kFloorStep{
    .name = "FloorStep",
    .where = "workloads[].floor_schedule[]",
    .description =
        "One step of a floor that grows over time: from `from` on, the workload's floor is `effective_chips` "
        "H100-equivalent chips, or `fleet_share` of what the whole fleet's landed chips could give it.",
    .fields =
        {
            {.key = "from",
             .type = VT::kDate,
             .description = "From this instant on (UTC) the step applies; steps in increasing time.",
             .required = true,
             .hints = {"date", "at", "start", "when"}},
            {.key = "effective_chips",
             .type = VT::kNumber,
             .description = "Floor, H100-equivalent chips on average over every floor window.",
             .min = AtLeast(0),
             .cap = kMaxChips,
             .hints = {"chips", "floor", "floor_effective_chips", "h100_equiv_chips"}},
            {.key = "fleet_share",
             .type = VT::kNumber,
             .description = "Floor as a share of the fleet: this fraction of the H100-equivalent chips that "
                            "every pool's landed chips (availability applied) could give the workload.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .hints = {"share", "fraction", "percent"}},
        },
    .exactly_one_of = {"effective_chips", "fleet_share"},
};

const ObjectDef kSharedFloorStep{
    .name = "SharedFloorStep",
    .where = "floors[].schedule[]",
    .description =
        "One step of a shared floor that grows over time: from `from` on, the floor is "
        "`effective_chips` H100-equivalent chips summed over its workloads, or `fleet_share` of the "
        "fleet.",
    .fields =
        {
            {.key = "from",
             .type = VT::kDate,
             .description = "From this instant on (UTC) the step applies; steps in increasing time.",
             .required = true,
             .hints = {"date", "at", "start", "when"}},
            {.key = "effective_chips",
             .type = VT::kNumber,
             .description = "Floor, H100-equivalent chips summed over the floor's workloads, on average over "
                            "every window.",
             .min = AtLeast(0),
             .cap = kMaxChips,
             .hints = {"chips", "floor", "floor_effective_chips", "h100_equiv_chips"}},
            {.key = "fleet_share",
             .type = VT::kNumber,
             .description = "Floor as a share of the fleet: this fraction of the H100-equivalent chips that "
                            "every pool's landed chips (availability applied) could give the floor's "
                            "workloads, each pool at the best efficiency any of them has there.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .hints = {"share", "fraction", "percent"}},
        },
    .exactly_one_of = {"effective_chips", "fleet_share"},
};

const ObjectDef kSharedFloor{
    .name = "SharedFloor",
    .where = "floors[]",
    .description =
        "A floor several workloads share (e.g. pretraining, RL and research together): the sum of "
        "their H100-equivalent chips, each at its own efficiency, must reach it on average over "
        "every window. A hard constraint in allocate, plan and simulate.",
    .fields =
        {
            {.key = "name",
             .type = VT::kId,
             .description = "Name of the floor.",
             .required = true,
             .hints = {"id"}},
            {.key = "workloads",
             .type = VT::kIdList,
             .description = "Workload ids whose sum must meet the floor (declared in workloads, no serve "
                            "workloads, each at most once).",
             .required = true,
             .min_items = 1,
             .hints = {"classes", "members", "workload"}},
            {.key = "effective_chips",
             .type = VT::kNumber,
             .description = "Floor, H100-equivalent chips summed over the workloads, on average over every "
                            "window (before the first schedule step).",
             .min = AtLeast(0),
             .cap = kMaxChips,
             .default_value = "0",
             .hints = {"chips", "floor", "floor_effective_chips"}},
            {.key = "window_hours",
             .type = VT::kInteger,
             .description = "Window over which the floor is averaged, hours.",
             .min = AtLeast(1),
             .cap = 8784,
             .default_value = "24",
             .hints = {"floor_window_hours", "window"}},
            {.key = "schedule",
             .type = VT::kObjectList,
             .description =
                 "A floor that grows over time: steps by date, each in H100-equivalent chips or as a "
                 "share of the fleet; before the first step the floor is effective_chips.",
             .object = &kSharedFloorStep,
             .min_items = 1,
             .hints = {"floor_schedule", "steps"}},
        },
};

const ObjectDef kWorkload{
    .name = "Workload",
    .where = "workloads[]",
    .description = "A workload class: who uses compute for what, on which chips, with which floor and bids.",
    .fields =
        {
            {.key = "id", .type = VT::kId, .description = "Workload id.", .required = true},
            {.key = "kind",
             .type = VT::kEnum,
             .description = "pretrain, rl (reinforcement learning), research, internal (employees' use) or "
                            "serve (customer traffic of one model).",
             .required = true,
             .enum_values = EnumNamesOf(kWorkloadKindNames),
             .hints = {"type", "class"}},
            {.key = "team", .type = VT::kString, .description = "Owning team.", .hints = {"owner", "group"}},
            {.key = "model",
             .type = VT::kId,
             .description = "Served model id, declared in models (serve only, and required there).",
             .hints = {"model_id", "serves"}},
            {.key = "latency",
             .type = VT::kEnum,
             .description = "Latency class.",
             .enum_values = EnumNamesOf(kLatencyClassNames),
             .default_value = "standard",
             .hints = {"latency_class", "slo"}},
            {.key = "eligible",
             .type = VT::kObjectList,
             .description = "Chip types the workload runs on, each with its efficiency. Serve workloads "
                            "default to the chip types of the model's throughput table, efficiency 1.",
             .object = &kEligibility,
             .min_items = 1,
             .hints = {"chips", "chip_types", "eligible_chips", "efficiency"}},
            {.key = "gang_size_chips",
             .type = VT::kInteger,
             .description = "Gang size, chips: > 0 runs as whole gangs inside one pool's interconnect "
                            "domains; 0 = elastic.",
             .min = AtLeast(0),
             .cap = 1e6,
             .default_value = "0",
             .hints = {"gang_size", "gang_chips", "gang"}},
            {.key = "preemptible",
             .type = VT::kBoolean,
             .description = "Whether its chips may be taken away at a period boundary.",
             .default_value = "true",
             .hints = {"preemptable", "interruptible"}},
            {.key = "floor_effective_chips",
             .type = VT::kNumber,
             .description = "Floor: at least this many H100-equivalent chips on average over every floor "
                            "window; 0 = no floor.",
             .min = AtLeast(0),
             .cap = kMaxChips,
             .default_value = "0",
             .hints = {"floor", "floor_chips", "min_chips", "minimum"}},
            {.key = "floor_window_hours",
             .type = VT::kInteger,
             .description = "Window over which the floor is averaged, hours (work may move to the night).",
             .min = AtLeast(1),
             .cap = 8784,
             .default_value = "24",
             .hints = {"floor_window", "window_hours"}},
            {.key = "floor_schedule",
             .type = VT::kObjectList,
             .description = "A floor that grows over time: steps by date, each in H100-equivalent chips or "
                            "as a share of the fleet; before the first step the floor is "
                            "floor_effective_chips.",
             .object = &kFloorStep,
             .min_items = 1,
             .hints = {"floor_steps", "floor_growth", "floors"}},
            {.key = "bids",
             .type = VT::kObjectList,
             .description = "Value curve: steps in order of non-increasing value (concave).",
             .object = &kBid,
             .hints = {"bid", "value_curve", "value"}},
        },
    .conditions = {{.key = "kind",
                    .equals = "serve",
                    .then_required = {"model"},
                    .else_required = {"eligible"},
                    .else_forbidden = {"model"}}},
};

const ObjectDef kLaunch{
    .name = "Launch",
    .where = "growth.launches[]",
    .description = "A model launch that lifts demand from `date` by a random multiplier (log-normal).",
    .fields =
        {
            {.key = "date",
             .type = VT::kDate,
             .description = "Launch date, UTC.",
             .required = true,
             .hints = {"at", "launch", "when"}},
            {.key = "multiplier_median",
             .type = VT::kNumber,
             .description = "Median multiplier on demand from the launch on.",
             .required = true,
             .min = Above(0),
             .cap = 1e3,
             .hints = {"multiplier", "median", "jump"}},
            {.key = "multiplier_log_sd",
             .type = VT::kNumber,
             .description = "Standard deviation of the natural log of the multiplier.",
             .min = AtLeast(0),
             .max = AtMost(5),
             .default_value = "0",
             .hints = {"log_sd", "sd"}},
            {.key = "throughput_multiplier",
             .type = VT::kNumber,
             .description = "Multiplier on the model's output tokens/s per chip from the launch on (the new "
                            "generation is more efficient); 1 = unchanged.",
             .min = Above(0),
             .cap = 1e3,
             .default_value = "1",
             .hints = {"efficiency_multiplier", "tokens_per_chip_multiplier"}},
        },
};

const ObjectDef kPriceChange{
    .name = "PriceChange",
    .where = "growth.price_changes[]",
    .description =
        "A listed price change; demand scales by (1 + price_change_fraction)^price_elasticity "
        "from `date`.",
    .fields =
        {
            {.key = "date",
             .type = VT::kDate,
             .description = "Date of the change, UTC.",
             .required = true,
             .hints = {"at", "when"}},
            {.key = "price_change_fraction",
             .type = VT::kNumber,
             .description = "Relative price change: -0.5 = price halved, 0.1 = 10% dearer.",
             .required = true,
             .min = Above(-1),
             .max = AtMost(100),
             .hints = {"change", "fraction", "price_change", "percent"}},
        },
};

const ObjectDef kGrowth{
    .name = "Growth",
    .where = "demand[].growth, class_growth[].growth",
    .description = "How demand grows and how uncertain that is (the cone). Rates are natural-log per month.",
    .fields =
        {
            {.key = "monthly_log_growth_mean",
             .type = VT::kNumber,
             .description = "Prior mean of each scenario's growth rate, log per month (0.06 is about 6% a "
                            "month).",
             .min = AtLeast(-1),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"growth", "monthly_growth", "growth_rate", "monthly_growth_mean"},
             .above_max_hint =
                 "a monthly log rate such as 0.05 is about 5% a month: is it written in percent?"},
            {.key = "monthly_log_growth_sd",
             .type = VT::kNumber,
             .description = "Spread of the growth rate across scenarios (parameter uncertainty), log per "
                            "month.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"growth_sd", "monthly_growth_sd"},
             .above_max_hint =
                 "a monthly log rate such as 0.05 is about 5% a month: is it written in percent?"},
            {.key = "monthly_volatility",
             .type = VT::kNumber,
             .description = "Month-to-month noise of log-demand (standard deviation), log per month.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"volatility", "monthly_log_volatility"},
             .above_max_hint =
                 "a monthly log rate such as 0.05 is about 5% a month: is it written in percent?"},
            {.key = "monthly_growth_drift_sd",
             .type = VT::kNumber,
             .description = "How far each scenario's growth rate itself moves each month (standard "
                            "deviation of its monthly step, a random walk), log per month per month; 0 = "
                            "the growth rate stays fixed.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"growth_drift", "drift_sd", "growth_drift_sd", "monthly_drift_sd"},
             .above_max_hint =
                 "a monthly log rate such as 0.05 is about 5% a month: is it written in percent?"},
            {.key = "shared_factor_loading",
             .type = VT::kNumber,
             .description = "Loading on the factor shared with other tiers (their correlation), 0 to 1.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0.5",
             .hints = {"correlation", "shared_factor", "factor_loading"}},
            {.key = "saturation_multiple",
             .type = VT::kNumber,
             .description = "Ceiling of demand as a multiple of today's level (logistic); absent = none.",
             .min = Above(1),
             .cap = 1e6,
             .hints = {"saturation", "ceiling", "cap"}},
            {.key = "price_elasticity",
             .type = VT::kNumber,
             .description = "d ln(demand) / d ln(price), e.g. -1.5.",
             .min = AtLeast(-20),
             .max = AtMost(20),
             .default_value = "0",
             .hints = {"elasticity"}},
            {.key = "launches",
             .type = VT::kObjectList,
             .description = "Model launches that lift demand.",
             .object = &kLaunch,
             .hints = {"launch", "jumps"}},
            {.key = "price_changes",
             .type = VT::kObjectList,
             .description = "Listed price changes and the demand response.",
             .object = &kPriceChange,
             .hints = {"prices", "price_cuts"}},
        },
};

const ObjectDef kDemand{
    .name = "Demand",
    .where = "demand[]",
    .description =
        "Serving demand for one model: an hourly level with diurnal and weekly shape, and its "
        "growth. Shapes are normalised to mean 1, so only their relative heights matter.",
    .fields =
        {
            {.key = "model",
             .type = VT::kId,
             .description = "Model id, declared in models.",
             .required = true,
             .hints = {"model_id"}},
            {.key = "output_tokens_per_hour",
             .type = VT::kNumber,
             .description = "Mean demand at as_of, output tokens per hour.",
             .required = true,
             .min = Above(0),
             .cap = 1e18,
             .hints = {"tokens_per_hour", "output_tokens", "level", "tokens_per_h"}},
            {.key = "as_of",
             .type = VT::kDate,
             .description = "Date the level was measured, UTC.",
             .required = true,
             .hints = {"date", "at", "asof"}},
            {.key = "diurnal_shape",
             .type = VT::kNumberList,
             .description = "Multipliers by UTC hour 0..23; normalised to mean 1. Absent: flat.",
             .min = AtLeast(0),
             .cap = 1e6,
             .exact_items = 24,
             .hints = {"diurnal", "daily_shape", "hourly_shape"}},
            {.key = "weekly_shape",
             .type = VT::kNumberList,
             .description = "Multipliers Monday..Sunday; normalised to mean 1. Absent: flat.",
             .min = AtLeast(0),
             .cap = 1e6,
             .exact_items = 7,
             .hints = {"weekly", "day_of_week_shape"}},
            {.key = "hourly_noise_log_sd",
             .type = VT::kNumber,
             .description = "Hour-to-hour noise of demand around its shape: stationary standard deviation of "
                            "an AR(1) process on log-demand, natural-log units; 0 = none (`fungible "
                            "fit-profile` estimates it).",
             .min = AtLeast(0),
             .max = AtMost(3),
             .default_value = "0",
             .hints = {"hourly_noise", "noise_log_sd", "hourly_log_sd"}},
            {.key = "hourly_noise_autocorrelation",
             .type = VT::kNumber,
             .description = "Lag-1 (one hour) autocorrelation of that noise, between -1 and 1 exclusive.",
             .min = Above(-1),
             .max = Bound{1, true},
             .default_value = "0",
             .hints = {"noise_autocorrelation", "autocorrelation", "hourly_autocorrelation"}},
            {.key = "daily_level_log_sd",
             .type = VT::kNumber,
             .description = "Day-level noise: each UTC day's demand moves as a whole by an AR(1) process "
                            "across days on log-demand with this stationary standard deviation, on top of "
                            "the hourly noise; 0 = none (`fungible fit-profile` estimates it).",
             .min = AtLeast(0),
             .max = AtMost(3),
             .default_value = "0",
             .hints = {"daily_noise", "day_level_log_sd", "daily_log_sd"}},
            {.key = "daily_level_autocorrelation",
             .type = VT::kNumber,
             .description = "Day-to-day autocorrelation of the day level, in [0, 1).",
             .min = AtLeast(0),
             .max = Bound{1, true},
             .default_value = "0",
             .hints = {"day_level_autocorrelation", "daily_autocorrelation"}},
            {.key = "hourly_band_factors",
             .type = VT::kNumberList,
             .description =
                 "Recalibration of the hourly noise (day level and hours together): multipliers "
                 "of the half-widths of its P25-P75, P10-P90 and P5-P95 bands, measured by a "
                 "rolling backtest on real traffic (`fungible fit-profile` writes them); applied "
                 "by `forecast --hourly` and `simulate` unless `--no-recalibration`. Absent: none.",
             .min = Above(0),
             .max = AtMost(10),
             .exact_items = 3,
             .hints = {"band_factors", "hourly_factors", "recalibration"}},
            {.key = "hourly_band_factors_source",
             .type = VT::kString,
             .description = "Where hourly_band_factors came from (written by `fungible fit-profile`).",
             .hints = {"band_factors_source"}},
            {.key = "growth",
             .type = VT::kObject,
             .description = "Growth and uncertainty of this demand.",
             .object = &kGrowth,
             .hints = {"growth_model"}},
        },
};

const ObjectDef kClassGrowth{
    .name = "ClassGrowth",
    .where = "class_growth[]",
    .description = "Growth of the demand of a research or internal workload class, used by forecast.",
    .fields =
        {
            {.key = "workload",
             .type = VT::kId,
             .description = "Workload id, declared in workloads (kind research or internal).",
             .required = true,
             .hints = {"workload_id", "class"}},
            {.key = "growth",
             .type = VT::kObject,
             .description = "Growth and uncertainty of this class's demand.",
             .required = true,
             .object = &kGrowth},
        },
};

const ObjectDef kAllocation{
    .name = "Allocation",
    .where = "allocation",
    .description = "Settings of the allocation LP.",
    .fields =
        {
            {.key = "switch_cost_usd_per_chip",
             .type = VT::kNumber,
             .description = "Cost charged when a chip changes workload between periods, USD per chip.",
             .min = AtLeast(0),
             .cap = 1e6,
             .default_value = "0",
             .hints = {"switch_cost", "switching_cost", "switch_cost_usd"}},
            {.key = "pue",
             .type = VT::kNumber,
             .description = "Facility power usage effectiveness (facility power / IT power), used to convert "
                            "MW prices.",
             .min = AtLeast(1),
             .cap = 10,
             .default_value = "1.2",
             .hints = {"power_usage_effectiveness"}},
        },
};

const ObjectDef kForecast{
    .name = "Forecast",
    .where = "forecast",
    .description = "Settings of the demand cone.",
    .fields =
        {
            {.key = "scenarios",
             .type = VT::kInteger,
             .description = "Monte Carlo scenarios.",
             .min = AtLeast(1),
             .cap = 50000000,
             .default_value = "10000",
             .hints = {"paths", "num_scenarios", "samples"}},
            {.key = "horizon_months",
             .type = VT::kInteger,
             .description = "Months the cone covers.",
             .min = AtLeast(1),
             .max = AtMost(120),
             .default_value = "24",
             .hints = {"horizon", "months"}},
            {.key = "seed",
             .type = VT::kInteger,
             .description = "Seed of the random generator; the same seed gives the same figures.",
             .min = AtLeast(0),
             .cap = 9007199254740991,
             .default_value = "1",
             .hints = {"random_seed", "rng_seed"}},
            {.key = "start",
             .type = VT::kDate,
             .description = "First month of the cone, UTC; defaults to the earliest demand as_of.",
             .hints = {"start_date", "from", "as_of"}},
        },
};

const ObjectDef kSimulate{
    .name = "Simulate",
    .where = "simulate",
    .description =
        "Settings of `fungible simulate` (hourly virtual time with a rolling-horizon allocation) and of "
        "the return-on-compute ledger.",
    .fields =
        {
            {.key = "start",
             .type = VT::kDate,
             .description =
                 "First hour simulated, UTC; defaults to the first day of the forecast's start month.",
             .hints = {"from", "start_date"}},
            {.key = "resolve_every_hours",
             .type = VT::kInteger,
             .description = "The allocation is re-solved every this many hours (K).",
             .min = AtLeast(1),
             .max = AtMost(8784),
             .default_value = "24",
             .hints = {"resolve_hours", "reoptimize_every_hours", "k"}},
            {.key = "horizon_hours",
             .type = VT::kInteger,
             .description = "Hours each re-solve looks ahead (H), at least resolve_every_hours.",
             .min = AtLeast(1),
             .max = AtMost(8784),
             .default_value = "48",
             .hints = {"lookahead_hours", "horizon", "h"}},
            {.key = "period_hours",
             .type = VT::kInteger,
             .description =
                 "Length of one LP period inside the horizon, hours; divides resolve_every_hours and "
                 "horizon_hours.",
             .min = AtLeast(1),
             .max = AtMost(168),
             .default_value = "1",
             .hints = {"period", "step_hours"}},
            {.key = "checkpoint_interval_hours",
             .type = VT::kInteger,
             .description =
                 "Training and research jobs checkpoint this often; a failure loses the work since "
                 "the last checkpoint, hours.",
             .min = AtLeast(1),
             .cap = 8784,
             .default_value = "4",
             .hints = {"checkpoint_hours", "checkpoint_interval", "checkpoint_every_hours"}},
            {.key = "integer_gangs",
             .type = VT::kBoolean,
             .description =
                 "true: place gangs by MIP (Cbc) in every re-solve (exact, slow); false: solve the LP "
                 "relaxation and round gangs to whole gangs in whole domains, where capacity is "
                 "cheapest (fast).",
             .default_value = "false",
             .hints = {"integer", "gangs"}},
            {.key = "model_development_value_share",
             .type = VT::kNumber,
             .description =
                 "Share of a launch's revenue uplift credited to the model development that fed it.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0.25",
             .hints = {"model_dev_share", "development_share", "training_value_share"}},
            {.key = "model_development_lag_months",
             .type = VT::kNumber,
             .description = "Months from model development to the launch it feeds: work at t feeds the first "
                            "launch at or after t + lag.",
             .min = AtLeast(0),
             .max = AtMost(60),
             .default_value = "3",
             .hints = {"model_dev_lag", "lag_months", "development_lag_months"}},
            {.key = "model_development_uplift_months",
             .type = VT::kNumber,
             .description = "Months of uplifted revenue a launch is credited with: (demand multiplier - 1) x "
                            "monthly revenue before the launch x these months.",
             .min = Above(0),
             .max = AtMost(120),
             .default_value = "12",
             .hints = {"uplift_months"}},
            {.key = "value_horizon_months",
             .type = VT::kNumber,
             .description = "The ledger's middle horizon: value realised within this many months of the "
                            "chip-hour that earned it.",
             .min = Above(0),
             .max = AtMost(120),
             .default_value = "6",
             .hints = {"mid_horizon_months", "ledger_horizon_months"}},
            {.key = "serving_quantile",
             .type = VT::kNumber,
             .description =
                 "Serving capacity is planned for this quantile of each hour's demand (the forecast's "
                 "error grows with the hours ahead) rather than its mean; 0.5 = the median.",
             .min = AtLeast(0.5),
             .max = AtMost(0.999),
             .default_value = "0.9",
             .hints = {"service_quantile", "demand_quantile", "quantile"}},
        },
};

const ObjectDef kOfferOption{
    .name = "OfferOption",
    .where = "offers[].options[]",
    .description =
        "Flexibility an offer grants: expand, reduce or terminate the signed quantity later. The "
        "planner may exercise it in any month of any scenario; it takes effect notice_months later.",
    .fields =
        {
            {.key = "kind",
             .type = VT::kEnum,
             .description = "expand (add chips at usd_per_chip_hour), reduce (give back up to max_fraction "
                            "of the signed chips) or terminate (end the contract for up to all of them).",
             .required = true,
             .enum_values = EnumNamesOf(kOptionKindNames),
             .hints = {"type", "option", "option_kind"}},
            {.key = "notice_months",
             .type = VT::kInteger,
             .description = "Months between exercising the option and its effect.",
             .required = true,
             .min = AtLeast(0),
             .max = AtMost(60),
             .hints = {"notice", "notice_period", "notice_period_months", "lead_time_months"}},
            {.key = "max_fraction",
             .type = VT::kNumber,
             .description = "expand / reduce: most chips added / removed over the contract, as a share of "
                            "the signed chips (0.5 = half as many again). terminate: always 1.",
             .min = Above(0),
             .max = AtMost(10),
             .default_value = "1",
             .hints = {"fraction", "max_share", "share", "up_to"}},
            {.key = "usd_per_chip_hour",
             .type = VT::kNumber,
             .description = "expand only: price of an added chip-hour, USD; absent = the offer's own price.",
             .min = AtLeast(0),
             .cap = kMaxUsdPerChipHour,
             .hints = {"price", "strike", "strike_price", "usd_per_gpu_hour"}},
            {.key = "fee_usd_per_chip",
             .type = VT::kNumber,
             .description = "One-off fee per chip added or removed, USD, paid in the month the option is "
                            "exercised.",
             .min = AtLeast(0),
             .cap = 1e7,
             .default_value = "0",
             .hints = {"fee", "fee_usd", "penalty", "termination_fee", "exercise_fee"}},
        },
};

const ObjectDef kOffer{
    .name = "Offer",
    .where = "offers[]",
    .description =
        "A contract on the table, not yet signed: `fungible plan` decides whether to sign it and for how "
        "much, `fungible evaluate` values it against the current portfolio. Give exactly one price. "
        "reserved, short_term and owned offers are take-or-pay (every landed chip-hour is paid); "
        "on_demand offers are a fallback paid per used chip-hour.",
    .fields =
        {
            {.key = "id", .type = VT::kId, .description = "Offer id.", .required = true},
            {.key = "provider",
             .type = VT::kString,
             .description = "Who offers the capacity, e.g. Google, AWS, Lambda.",
             .required = true,
             .hints = {"vendor", "supplier", "cloud"}},
            {.key = "kind",
             .type = VT::kEnum,
             .description = "reserved (take-or-pay), short_term (a near-term deal), owned, or on_demand "
                            "(pay per used chip-hour, no commitment).",
             .required = true,
             .enum_values = EnumNamesOf(kContractKindNames),
             .hints = {"type", "contract_kind"}},
            {.key = "chip_type",
             .type = VT::kId,
             .description = "Chip type id, declared in chip_types.",
             .required = true,
             .hints = {"chip", "gpu", "gpu_type", "accelerator", "chip_id"}},
            {.key = "region",
             .type = VT::kString,
             .description = "Location, e.g. us-east.",
             .hints = {"location", "zone", "site", "datacenter"}},
            {.key = "unit",
             .type = VT::kEnum,
             .description = "Unit of quantity and min_quantity: chips, or mw of facility power (converted "
                            "through the chip's power_w and allocation.pue).",
             .enum_values = EnumNamesOf(kQuantityUnitNames),
             .default_value = "chips",
             .hints = {"quantity_unit", "units"}},
            {.key = "quantity",
             .type = VT::kNumber,
             .description = "Most that can be signed (on_demand: most available at once), in `unit`.",
             .required = true,
             .min = Above(0),
             .cap = kMaxChips,
             .hints = {"max_quantity", "chips", "mw", "size", "amount", "max"}},
            {.key = "min_quantity",
             .type = VT::kNumber,
             .description = "Divisible offers: least that can be signed if signed at all, in `unit`.",
             .min = AtLeast(0),
             .cap = kMaxChips,
             .default_value = "0",
             .hints = {"min", "minimum", "min_chips", "min_mw"}},
            {.key = "divisible",
             .type = VT::kBoolean,
             .description = "true: any quantity from min_quantity to quantity (or nothing); false: all or "
                            "nothing.",
             .default_value = "true",
             .hints = {"all_or_nothing", "partial", "splittable"}},
            {.key = "start",
             .type = VT::kDate,
             .description = "Start of the contract, UTC; capacity lands from here (see landing_ramp).",
             .required = true,
             .hints = {"start_date", "begin", "from"}},
            {.key = "duration_months",
             .type = VT::kInteger,
             .description = "Length of the contract, months.",
             .required = true,
             .min = AtLeast(1),
             .max = AtMost(240),
             .hints = {"duration", "months", "term_months", "term"}},
            {.key = "landing_ramp",
             .type = VT::kObjectList,
             .description = "How the capacity lands, in steps; absent = all at start.",
             .object = &kRampStep,
             .hints = {"ramp", "landing", "delivery"}},
            {.key = "availability",
             .type = VT::kNumber,
             .description = "Share of landed chips usable (failures, maintenance).",
             .min = Above(0),
             .max = AtMost(1),
             .default_value = "1",
             .hints = {"uptime", "avail"}},
            {.key = "usd_per_chip_hour",
             .type = VT::kNumber,
             .description = "Price of one chip-hour, USD.",
             .min = AtLeast(0),
             .cap = kMaxUsdPerChipHour,
             .hints = {"price", "usd_per_gpu_hour", "cost", "price_per_hour", "usd_per_hour", "hourly_price",
                       "price_per_chip_hour"}},
            {.key = "usd_per_mw_month",
             .type = VT::kNumber,
             .description = "Price of one MW of facility power for a month, USD; converted per chip through "
                            "the chip's power_w and allocation.pue (a month is 730 hours).",
             .min = AtLeast(0),
             .cap = 1e9,
             .hints = {"price", "usd_per_mw", "price_per_mw_month", "usd_per_kw_month"}},
            {.key = "prepayment_fraction",
             .type = VT::kNumber,
             .description = "Share of the whole contract's price paid at signing (cash timing; not refunded "
                            "by reduce or terminate).",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0",
             .hints = {"prepayment", "prepay", "upfront", "upfront_fraction", "deposit"}},
            {.key = "power_usd_per_mwh",
             .type = VT::kNumber,
             .description = "Power billed on top of the price, USD per MWh of facility power drawn by used "
                            "chips; 0 = power included.",
             .min = AtLeast(0),
             .cap = 1e5,
             .default_value = "0",
             .hints = {"power_price", "usd_per_mwh", "electricity_usd_per_mwh", "power"}},
            {.key = "options",
             .type = VT::kObjectList,
             .description = "Flexibility terms: options to expand, reduce or terminate.",
             .object = &kOfferOption,
             .hints = {"option", "flexibility", "terms"}},
        },
    .exactly_one_of = {"usd_per_chip_hour", "usd_per_mw_month"},
};

const ObjectDef kFinancing{
    .name = "Financing",
    .where = "plan.financing[]",
    .description =
        "Cash that comes in on a date outside token revenue: an equity raise, debt drawn, a "
        "partner's prepayment.",
    .fields =
        {
            {.key = "date",
             .type = VT::kDate,
             .description = "Date the cash arrives, UTC (it counts in that month).",
             .required = true,
             .hints = {"at", "when"}},
            {.key = "usd",
             .type = VT::kNumber,
             .description = "Amount, USD.",
             .required = true,
             .min = Above(0),
             .max = AtMost(kMaxUsd),
             .hints = {"amount", "amount_usd", "usd_amount"}},
            {.key = "note",
             .type = VT::kString,
             .description = "What it is, for the report.",
             .hints = {"name", "description"}},
        },
};

const ObjectDef kPlan{
    .name = "Plan",
    .where = "plan",
    .description =
        "Settings of the procurement plan: a two-stage stochastic program over the reduced scenarios of "
        "the cone (forecast.scenarios drawn, plan.scenarios kept), monthly periods.",
    .fields =
        {
            {.key = "start",
             .type = VT::kDate,
             .description = "First planned month, UTC; defaults to the month of forecast.start.",
             .hints = {"start_date", "from"}},
            {.key = "horizon_months",
             .type = VT::kInteger,
             .description = "Months planned (monthly periods).",
             .min = AtLeast(1),
             .max = AtMost(120),
             .default_value = "24",
             .hints = {"horizon", "months"}},
            {.key = "scenarios",
             .type = VT::kInteger,
             .description = "Weighted representative scenarios kept by scenario reduction (all drawn "
                            "scenarios when forecast.scenarios is not larger).",
             .min = AtLeast(1),
             .max = AtMost(100000),
             .default_value = "20",
             .hints = {"representatives", "reduced_scenarios", "k", "num_scenarios"}},
            {.key = "risk_aversion",
             .type = VT::kNumber,
             .description = "lambda: the objective is expected profit minus lambda x CVaR of loss.",
             .min = AtLeast(0),
             .max = AtMost(100),
             .default_value = "0",
             .hints = {"lambda", "risk_weight", "cvar_weight"}},
            {.key = "cvar_alpha",
             .type = VT::kNumber,
             .description = "CVaR level alpha: CVaR is the mean loss of the worst (1 - alpha) share of "
                            "scenarios.",
             .min = AtLeast(0),
             .max = Bound{1, true},
             .default_value = "0.9",
             .hints = {"alpha", "cvar_level", "confidence"}},
            {.key = "cash_floor_usd",
             .type = VT::kNumber,
             .description = "Cash may not fall below this in any month (the financing line), USD; may be "
                            "negative (a credit line). Absent = no floor.",
             .min = AtLeast(-kMaxUsd),
             .max = AtMost(kMaxUsd),
             .hints = {"cash_floor", "min_cash", "financing_line", "min_cash_usd"}},
            {.key = "initial_cash_usd",
             .type = VT::kNumber,
             .description = "Cash at the start of the first planned month, USD.",
             .min = AtLeast(-kMaxUsd),
             .max = AtMost(kMaxUsd),
             .default_value = "0",
             .hints = {"initial_cash", "cash", "starting_cash", "cash_usd"}},
            {.key = "operating_cost_usd_per_month",
             .type = VT::kNumber,
             .description = "Cash spent each month outside compute (staff, facilities, everything the "
                            "compute cost does not hold), USD; counts in the cash path, not in the value "
                            "the plan maximises.",
             .min = AtLeast(0),
             .max = AtMost(kMaxUsd),
             .default_value = "0",
             .hints = {"opex", "operating_costs", "opex_usd_per_month", "overhead"}},
            {.key = "operating_cost_monthly_growth",
             .type = VT::kNumber,
             .description = "Growth of the operating cost per month, as a fraction (0.03 = 3% a month).",
             .min = AtLeast(-0.5),
             .max = AtMost(0.5),
             .default_value = "0",
             .hints = {"opex_growth", "operating_cost_growth"},
             .above_max_hint = "a monthly fraction such as 0.03 is 3% a month: is it written in percent?"},
            {.key = "financing",
             .type = VT::kObjectList,
             .description = "Cash raised on dates (equity, debt, prepayments): counts in the cash path.",
             .object = &kFinancing,
             .hints = {"raises", "funding", "capital_raises"}},
            {.key = "cash_shortfall_penalty",
             .type = VT::kNumber,
             .description = "Cost in the objective of each USD below the cash floor for a month (emergency "
                            "financing), USD per USD-month.",
             .min = AtLeast(0),
             .cap = 1e3,
             .default_value = "1",
             .hints = {"shortfall_penalty", "cash_penalty"}},
            {.key = "unserved_share_limit",
             .type = VT::kNumber,
             .description = "A scenario fails to serve demand when more than this share of its serving "
                            "demand (output tokens over the horizon) goes unserved; the plan reports the "
                            "probability.",
             .min = AtLeast(0),
             .max = AtMost(1),
             .default_value = "0.05",
             .hints = {"unserved_limit", "max_unserved_share", "service_level"}},
        },
};

const ObjectDef kRoot{
    .name = "FleetSpec",
    .where = "",
    .description =
        "A fleet: its chip types, contracts, pools, served models, workload classes, serving "
        "demand and settings.",
    .fields =
        {
            {.key = "name", .type = VT::kString, .description = "Name of the fleet.", .required = true},
            {.key = "chip_types",
             .type = VT::kObjectList,
             .description = "Chip types the fleet uses (only these are known to the rest of the spec).",
             .object = &kChipType,
             .hints = {"chips", "chip_type", "gpus", "accelerators", "catalog"}},
            {.key = "contracts",
             .type = VT::kObjectList,
             .description = "Contracts under which pools hold chips.",
             .object = &kContract,
             .hints = {"contract", "offers"}},
            {.key = "pools",
             .type = VT::kObjectList,
             .description = "Pools of chips.",
             .object = &kPool,
             .hints = {"pool", "clusters"}},
            {.key = "models",
             .type = VT::kObjectList,
             .description = "Models the lab serves.",
             .object = &kModel,
             .hints = {"model", "served_models"}},
            {.key = "workloads",
             .type = VT::kObjectList,
             .description = "Workload classes.",
             .object = &kWorkload,
             .hints = {"workload", "workload_classes", "classes", "teams"}},
            {.key = "floors",
             .type = VT::kObjectList,
             .description = "Floors several workloads share (model development: pretraining, RL, research).",
             .object = &kSharedFloor,
             .hints = {"shared_floors", "floor", "model_development_floor"}},
            {.key = "demand",
             .type = VT::kObjectList,
             .description = "Serving demand, one series per model.",
             .object = &kDemand,
             .hints = {"demands", "serving_demand", "traffic"}},
            {.key = "class_growth",
             .type = VT::kObjectList,
             .description = "Growth of research and internal workload classes.",
             .object = &kClassGrowth,
             .hints = {"class_growths", "workload_growth"}},
            {.key = "allocation",
             .type = VT::kObject,
             .description = "Allocation settings.",
             .object = &kAllocation,
             .hints = {"allocate"}},
            {.key = "forecast",
             .type = VT::kObject,
             .description = "Forecast settings.",
             .object = &kForecast,
             .hints = {"cone"}},
            {.key = "simulate",
             .type = VT::kObject,
             .description = "Simulation and ledger settings.",
             .object = &kSimulate,
             .hints = {"simulation", "sim"}},
            {.key = "offers",
             .type = VT::kObjectList,
             .description = "Contracts on the table, for `fungible plan` and `fungible evaluate`.",
             .object = &kOffer,
             .hints = {"offer", "deals", "proposals"}},
            {.key = "plan",
             .type = VT::kObject,
             .description = "Procurement plan settings.",
             .object = &kPlan,
             .hints = {"procurement", "planning"}},
        },
};

std::string BoundText(double lo_or_hi) { return FormatNumber(lo_or_hi); }

// "positive", "in (0, 1]", ">= 1", ...: the constraint part of ExpectedText.
std::string Constrained(const FieldDef& f, const std::string& noun, const std::string& article) {
  const auto& lo = f.min;
  const auto& hi = f.max;
  if (!lo && !hi) return article + " " + noun;
  if (lo && !hi && lo->value == 0) return (lo->exclusive ? "a positive " : "a non-negative ") + noun;
  if (lo && !hi && f.type == ValueType::kInteger && lo->value == 1 && !lo->exclusive)
    return "a positive integer";
  if (lo && hi) {
    if (f.type == ValueType::kInteger && !lo->exclusive && !hi->exclusive)
      return "an integer from " + BoundText(lo->value) + " to " + BoundText(hi->value);
    return article + " " + noun + " in " + (lo->exclusive ? "(" : "[") + BoundText(lo->value) + ", " +
           BoundText(hi->value) + (hi->exclusive ? ")" : "]");
  }
  if (lo) return article + " " + noun + (lo->exclusive ? " > " : " >= ") + BoundText(lo->value);
  return article + " " + noun + (hi->exclusive ? " < " : " <= ") + BoundText(hi->value);
}

std::string Join(const std::vector<std::string_view>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += sep;
    out += words[i];
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  for (char& c : out)
    if (c == '-' || c == ' ') c = '_';
  return out;
}

}  // namespace

bool IsValidId(std::string_view s) {
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (s.empty() || s.size() > 64 || !alnum(s[0])) return false;
  for (char c : s)
    if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
  return true;
}

std::string_view PlainScalarType(std::string_view s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return "null";
  if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE")
    return "a boolean";
  auto all = [&](size_t from, auto pred) {
    if (from >= s.size()) return false;
    for (size_t i = from; i < s.size(); ++i)
      if (!pred(s[i])) return false;
    return true;
  };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (s.rfind("0o", 0) == 0 && all(2, [](char c) { return c >= '0' && c <= '7'; })) return "a number";
  if (s.rfind("0x", 0) == 0 && all(2, [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      }))
    return "a number";
  std::string_view t = s;
  if (t[0] == '+' || t[0] == '-') t.remove_prefix(1);
  if (t == ".inf" || t == ".Inf" || t == ".INF" || s == ".nan" || s == ".NaN" || s == ".NAN")
    return "a number";
  // [0-9]+(\.[0-9]*)? or \.[0-9]+, then an optional exponent.
  size_t i = 0, digits = 0;
  while (i < t.size() && digit(t[i])) ++i, ++digits;
  if (i < t.size() && t[i] == '.') {
    ++i;
    while (i < t.size() && digit(t[i])) ++i, ++digits;
  }
  if (digits == 0) return "";
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    size_t e = 0;
    while (i < t.size() && digit(t[i])) ++i, ++e;
    if (e == 0) return "";
  }
  return i == t.size() ? "a number" : "";
}

const FieldDef* ObjectDef::Find(std::string_view key) const {
  for (const auto& f : fields)
    if (f.key == key) return &f;
  return nullptr;
}

const ObjectDef& RootDef() { return kRoot; }

const ObjectDef& OfferFileDef() {
  static const ObjectDef def{
      .name = "OfferFile",
      .where = "",
      .description = "A file of offers for `fungible evaluate`.",
      .fields = {{.key = "offers",
                  .type = VT::kObjectList,
                  .description = "Offers, each as in a fleet spec's offers.",
                  .required = true,
                  .object = &kOffer}},
  };
  return def;
}

const std::vector<const ObjectDef*>& AllDefs() {
  static const std::vector<const ObjectDef*> defs = {
      &kRoot,         &kChipType, &kNodeLabel,   &kContract,    &kPool,        &kRampStep,        &kModel,
      &kArchitecture, &kWorkload, &kEligibility, &kFloorStep,   &kSharedFloor, &kSharedFloorStep, &kBid,
      &kDemand,       &kGrowth,   &kLaunch,      &kPriceChange, &kClassGrowth, &kAllocation,      &kForecast,
      &kSimulate,     &kOffer,    &kOfferOption, &kFinancing,   &kPlan};
  return defs;
}

std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  // Whole numbers exactly, when ten digits are not (the seed's bound, 2^53 - 1).
  if (std::floor(v) == v && std::strtod(buf, nullptr) != v) std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string ExpectedText(const FieldDef& f) {
  switch (f.type) {
    case ValueType::kString: return "a non-empty string";
    case ValueType::kId: return "an id (a letter or digit, then up to 63 letters, digits, '.', '_' or '-')";
    case ValueType::kNumber:
    case ValueType::kNumberList:
    case ValueType::kNumberMap: return Constrained(f, "number", "a");
    case ValueType::kInteger: return Constrained(f, "integer", "an");
    case ValueType::kBoolean: return "true or false";
    case ValueType::kDate: return "a UTC date YYYY-MM-DD or time YYYY-MM-DDTHH:MMZ";
    case ValueType::kEnum: return "one of " + Join(f.enum_values, ", ");
    case ValueType::kObject: return "a mapping";
    case ValueType::kObjectList: return "a list";
    case ValueType::kIdList: return "a list of ids";
  }
  return "a value";
}

std::string CappedText(const FieldDef& f) {
  return f.cap ? ExpectedText(f) + " up to " + FormatNumber(*f.cap) : ExpectedText(f);
}

bool InBounds(const FieldDef& f, double v) {
  if (f.min && (f.min->exclusive ? v <= f.min->value : v < f.min->value)) return false;
  if (f.max && (f.max->exclusive ? v >= f.max->value : v > f.max->value)) return false;
  return !(f.cap && v > *f.cap);
}

std::string ExpectedContainerText(const FieldDef& f) {
  switch (f.type) {
    case ValueType::kNumberList:
      if (f.exact_items > 0) return "a list of " + std::to_string(f.exact_items) + " numbers";
      return "a list of numbers";
    case ValueType::kNumberMap: return "a mapping from chip type id to number";
    case ValueType::kObjectList: return "a list";
    case ValueType::kIdList: return "a list of ids";
    default: return ExpectedText(f);
  }
}

std::vector<std::string> Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  return SuggestClosest(word, candidates);
}

std::vector<std::string> SuggestKey(std::string_view word, const ObjectDef& def) {
  // A known wrong name first: "price" -> usd_per_chip_hour, usd_per_mw_month.
  const std::string w = Lower(word);
  std::vector<std::string> out;
  for (const auto& f : def.fields)
    for (auto h : f.hints)
      if (h == w) out.emplace_back(f.key);
  if (!out.empty()) return out;
  std::vector<std::string> keys;
  for (const auto& f : def.fields) keys.emplace_back(f.key);
  out = Suggest(word, keys);
  if (!out.empty()) return out;
  // Near a hint: "gpu_count" is near "chip_count", a hint of "chips".
  std::vector<std::string> hints;
  std::vector<std::string> owners;
  for (const auto& f : def.fields)
    for (auto h : f.hints) {
      hints.emplace_back(h);
      owners.emplace_back(f.key);
    }
  for (const auto& h : Suggest(word, hints))
    for (size_t i = 0; i < hints.size(); ++i)
      if (hints[i] == h && std::find(out.begin(), out.end(), owners[i]) == out.end())
        out.push_back(owners[i]);
  return out;
}

}  // namespace fungible::spec_internal

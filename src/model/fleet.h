// The domain model: plain structs that the spec parser fills and every stage
// reads. No behaviour beyond small look-ups. Units are part of every name that
// carries one; money is US dollars, time is UTC (see util/time.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/time.h"

namespace fungible {

// Where a value came from in a spec file, for messages that name file:line:col.
struct SourceLoc {
  int line = 0;    // 1-based, 0 = unknown
  int column = 0;  // 1-based, 0 = unknown
};

enum class Platform { kNvidia, kAmd, kGoogle, kAws, kCpu, kOther };
const char* PlatformName(Platform p);  // "nvidia", "amd", "google", "aws", "cpu", "other"

// One accelerator (or CPU node) type. Figures are per chip, dense (no sparsity).
struct ChipType {
  std::string id;    // stable key used in specs, e.g. "h100-sxm", "tpu-v6e", "trn2"
  std::string name;  // "NVIDIA H100 SXM5 80GB"
  Platform platform = Platform::kOther;
  std::string generation;  // "hopper", "blackwell", "v6e", "trainium2", ...
  double bf16_dense_flops = 0;  // FLOP/s
  double fp8_dense_flops = 0;   // FLOP/s; 0 when the chip has no FP8
  double hbm_gb = 0;            // GB (1e9 bytes)
  double hbm_tb_per_s = 0;      // TB/s (1e12 bytes/s)
  int interconnect_domain_chips = 1;  // chips in one scale-up domain (NVLink 8/72, TPU slice, UltraServer)
  double power_w = 0;                 // board/chip TDP in watts
  std::string release_date;           // YYYY-MM-DD
  std::string source;                 // where the figures come from
  bool from_catalog = false;          // true when taken from the built-in catalog
};

enum class ContractKind { kReserved, kOnDemand, kShortTerm, kOwned };
const char* ContractKindName(ContractKind k);  // "reserved", "on_demand", "short_term", "owned"

struct Contract {
  std::string id;
  std::string provider;
  ContractKind kind = ContractKind::kReserved;
  UtcSeconds start = 0;
  UtcSeconds end = 0;  // exclusive
  // Exactly one price is set by the spec; the parser converts MW prices into
  // usd_per_chip_hour for each pool using the chip's power and the PUE.
  std::optional<double> usd_per_chip_hour;
  std::optional<double> usd_per_mw_month;
  SourceLoc loc;
};

// Capacity that lands over time: from `at` on, `fraction` (0..1] of the pool's
// chips are installed. Steps are sorted by time; before the first step nothing
// has landed. An empty ramp means everything is there from the contract start.
struct RampStep {
  UtcSeconds at = 0;
  double fraction = 1.0;
};

struct Pool {
  std::string id;
  std::string chip_type;  // ChipType::id
  int chips = 0;
  std::string region;
  std::string contract;  // Contract::id
  std::vector<RampStep> landing_ramp;
  double availability = 1.0;  // long-run share of chips up (failures, maintenance), (0, 1]
  double mtbf_hours = 0;      // mean time between pool-level failures; 0 = not modelled
  double mttr_hours = 0;      // mean time to repair
  SourceLoc loc;
};

// A model the lab serves. Throughput is output tokens per second per chip at
// the model's latency SLO, at full batch.
struct ServedModel {
  std::string id;
  std::string tier;  // "small", "medium", "large", "frontier"
  UtcSeconds launch = 0;
  double usd_per_million_input_tokens = 0;
  double usd_per_million_output_tokens = 0;
  double input_tokens_per_output_token = 1.0;  // token mix of the traffic
  std::map<std::string, double> output_tokens_per_s_per_chip;  // chip id -> tokens/s
  SourceLoc loc;

  // Revenue of one output token with its share of input tokens, in USD.
  double usd_per_output_token() const {
    return (usd_per_million_output_tokens + input_tokens_per_output_token * usd_per_million_input_tokens) / 1e6;
  }
};

enum class WorkloadKind { kPretrain, kRl, kResearch, kInternal, kServe };
const char* WorkloadKindName(WorkloadKind k);  // "pretrain", "rl", "research", "internal", "serve"
inline bool IsModelDevelopment(WorkloadKind k) { return k == WorkloadKind::kPretrain || k == WorkloadKind::kRl; }

// A chip type the workload can use, with its efficiency: H100-equivalent chips
// per chip of this type for this workload (hardware speed times software
// maturity on that platform). 1.0 for an H100 on a mature stack.
struct Eligibility {
  std::string chip_type;
  double efficiency_h100_equiv = 1.0;
};

// One step of a concave value curve: up to `effective_chips` (H100-equivalent,
// per hour) are worth `usd_per_effective_chip_hour` each. Steps are listed in
// order of falling value.
struct BidStep {
  double effective_chips = 0;
  double usd_per_effective_chip_hour = 0;
};

enum class LatencyClass { kFast, kStandard, kBatch };

struct WorkloadClass {
  std::string id;
  WorkloadKind kind = WorkloadKind::kResearch;
  std::string team;
  // For kServe: which model it serves; eligible chips default to the model's
  // throughput table. For other kinds: the chip types it can run on.
  std::string model;
  LatencyClass latency = LatencyClass::kStandard;
  std::vector<Eligibility> eligible;
  int gang_size_chips = 0;  // > 0: runs as whole gangs inside one pool's interconnect domains
  bool preemptible = true;
  // Floor: at least this many H100-equivalent chips on average over every
  // window of `floor_window_hours` (so work may move to the night). 0 = none.
  double floor_effective_chips = 0;
  int floor_window_hours = 24;
  std::vector<BidStep> bids;
  SourceLoc loc;

  // Efficiency on `chip_type`, or nullopt when the class cannot run there.
  std::optional<double> EfficiencyOn(const std::string& chip_type) const {
    for (const auto& e : eligible)
      if (e.chip_type == chip_type) return e.efficiency_h100_equiv;
    return std::nullopt;
  }
};

// ---- Demand and its uncertainty (used by allocate for the hourly level, and
// by forecast for the cone). ----

// A model launch that lifts demand by a random multiplier (log-normal).
struct LaunchJump {
  UtcSeconds date = 0;
  double multiplier_median = 1.0;
  double multiplier_log_sd = 0.0;
};

// A listed price change and the demand response through constant elasticity:
// demand scales by (1 + price_change_fraction)^elasticity from `date`.
struct PriceChange {
  UtcSeconds date = 0;
  double price_change_fraction = 0;  // -0.5 = price halved
};

struct GrowthModel {
  double monthly_log_growth_mean = 0;  // prior mean of each scenario's growth rate
  double monthly_log_growth_sd = 0;    // parameter uncertainty across scenarios
  double monthly_volatility = 0;       // month-to-month noise of log-demand
  double shared_factor_loading = 0.5;  // 0..1: correlation with other tiers through a shared factor
  std::optional<double> saturation_multiple;  // ceiling as a multiple of today's level (logistic)
  double price_elasticity = 0;  // d ln(demand) / d ln(price), e.g. -1.5
  std::vector<LaunchJump> launches;
  std::vector<PriceChange> price_changes;
};

// Serving demand for one model: an hourly level with diurnal and weekly shape.
struct ServingDemand {
  std::string model;  // ServedModel::id
  double output_tokens_per_hour = 0;  // mean level at `as_of`
  UtcSeconds as_of = 0;
  std::vector<double> diurnal_shape;  // 24 multipliers by UTC hour, mean 1 (empty = flat)
  std::vector<double> weekly_shape;   // 7 multipliers Monday..Sunday, mean 1 (empty = flat)
  GrowthModel growth;
  SourceLoc loc;
  // Hour-to-hour noise of demand around its shape, for hourly scenarios: an
  // AR(1) process on log-demand with this stationary standard deviation and
  // lag-1 autocorrelation (0 = none). `fungible fit-profile` estimates both.
  double hourly_noise_log_sd = 0;
  double hourly_noise_autocorrelation = 0;  // in (-1, 1)

  // Demand in output tokens for the hour starting at `t`, at level `level`.
  double ShapeAt(UtcSeconds t) const {
    double m = 1.0;
    if (diurnal_shape.size() == 24) m *= diurnal_shape[static_cast<size_t>(HourOfDay(t))];
    if (weekly_shape.size() == 7) m *= weekly_shape[static_cast<size_t>(Weekday(t))];
    return m;
  }
};

// Growth of non-serving demand (research, internal), used by forecast.
struct ClassGrowth {
  std::string workload;  // WorkloadClass::id
  GrowthModel growth;
  SourceLoc loc;
};

struct AllocationSettings {
  double switch_cost_usd_per_chip = 0;  // charged when a chip changes workload between periods
  double pue = 1.2;                     // facility power usage effectiveness (MW price conversion)
};

struct ForecastSettings {
  int scenarios = 10000;
  int horizon_months = 24;
  std::uint64_t seed = 1;
  UtcSeconds start = 0;  // first month of the cone; defaults to the earliest demand as_of
};

struct Fleet {
  std::string name;
  std::string file;  // path the spec was read from, for messages
  std::vector<ChipType> chip_types;  // catalog entries referenced plus custom ones
  std::vector<Contract> contracts;
  std::vector<Pool> pools;
  std::vector<ServedModel> models;
  std::vector<WorkloadClass> workloads;
  std::vector<ServingDemand> demand;
  std::vector<ClassGrowth> class_growth;
  AllocationSettings allocation;
  ForecastSettings forecast;

  const ChipType* FindChip(const std::string& id) const;
  const Contract* FindContract(const std::string& id) const;
  const ServedModel* FindModel(const std::string& id) const;
  const WorkloadClass* FindWorkload(const std::string& id) const;
  const ServingDemand* FindDemand(const std::string& model) const;

  // Chips of `pool` usable in the hour starting at t: chips x landed fraction x
  // availability, and 0 outside its contract. Not rounded.
  double PoolCapacityAt(const Pool& pool, UtcSeconds t) const;
  // Contract price of one chip-hour of `pool` (MW prices converted through the
  // chip's power and the PUE). 0 when the contract is unknown.
  double PoolUsdPerChipHour(const Pool& pool) const;
};

}  // namespace fungible

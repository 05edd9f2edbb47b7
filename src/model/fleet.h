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
  std::string generation;             // "hopper", "blackwell", "v6e", "trainium2", ...
  double bf16_dense_flops = 0;        // FLOP/s
  double fp8_dense_flops = 0;         // FLOP/s; 0 when the chip has no FP8
  double hbm_gb = 0;                  // GB (1e9 bytes)
  double hbm_tb_per_s = 0;            // TB/s (1e12 bytes/s)
  int interconnect_domain_chips = 1;  // chips in one scale-up domain (NVLink 8/72, TPU slice, UltraServer)
  double power_w = 0;                 // board/chip TDP in watts
  // IT load per chip in a deployed system: the chip with its share of hosts,
  // network and fans, in watts (facility power is this x PUE). 0 = not
  // known: AllInPowerW() then takes kAllInOverBoardPower x power_w.
  double all_in_power_w = 0;
  std::string release_date;   // YYYY-MM-DD
  std::string source;         // where the figures come from
  bool from_catalog = false;  // true when taken from the built-in catalog

  // All-in IT power per chip, watts: all_in_power_w, or the board power x
  // kAllInOverBoardPower when no system figure is known.
  double AllInPowerW() const;
  // Facility power per chip at `pue`, MW: what a MW-denominated deal buys.
  double FacilityMwPerChip(double pue) const { return AllInPowerW() * pue / 1e6; }
};

// Without a published system figure, a chip's all-in IT power is taken as 1.5x
// its board power (ASSUMPTION, between the published systems: DGX H100 10.2 kW
// for 8 x 700 W = 1.82x; GB200 NVL72 ~132 kW for 72 x 1,200 W = 1.53x).
inline constexpr double kAllInOverBoardPower = 1.5;

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
  double availability = 1.0;      // long-run share of chips up (failures, maintenance), (0, 1]
  double mtbf_hours = 0;          // mean time between pool-level failures; 0 = not modelled
  double mttr_hours = 0;          // mean time to repair
  double failure_fraction = 1.0;  // share of the pool's chips one failure takes down, (0, 1]
  SourceLoc loc;
};

// A served model's architecture, for the first-principles throughput estimate
// (economics/throughput.h, docs/throughput.md). Parameter counts in billions.
struct ModelArchitecture {
  std::string id;                     // "llama-3.3-70b", for messages
  double total_params_b = 0;          // all weights, billions
  double active_params_b = 0;         // weights one token uses, billions (== total for dense)
  int routed_experts = 0;             // routed experts per MoE layer; 0 = dense
  int experts_per_token = 0;          // routed experts each token uses (top-k)
  int layers = 0;                     // transformer blocks (for the per-layer step overhead)
  double weight_bytes_per_param = 2;  // 2 BF16/FP16, 1 FP8/INT8, 0.5625 NVFP4 (4 bits + scales)
  // Full-attention layers: KV bytes per token of context (layers x KV heads x
  // head dim x 2 (K, V) x bytes; MLA: layers x latent elements x bytes) and
  // attention score and value FLOPs per token per context token (2 x layers x
  // query heads x (qk head dim + v head dim); 0 = ignored).
  double kv_cache_bytes_per_token = 0;
  double attention_flops_per_token_per_context_token = 0;
  // Sliding-window or chunked-attention layers: the same per-token figures, over
  // at most attention_window_tokens of context (GPT-OSS 128, Llama 4 8,192).
  double windowed_kv_cache_bytes_per_token = 0;
  double windowed_attention_flops_per_token_per_context_token = 0;
  int attention_window_tokens = 0;  // 0 = no windowed layers
  int max_context_tokens = 0;       // longest input + output the model accepts; 0 = unlimited
};

// A model the lab serves. Throughput is output tokens per second per chip at
// the model's latency SLO, at full batch.
struct ServedModel {
  std::string id;
  std::string tier;  // "small", "medium", "large", "frontier"
  UtcSeconds launch = 0;
  double usd_per_million_input_tokens = 0;
  double usd_per_million_output_tokens = 0;
  // Input tokens read from the prompt cache are billed at this price (absent:
  // the input price); `cached_input_share` of all input tokens are.
  std::optional<double> usd_per_million_cached_input_tokens;
  double cached_input_share = 0;               // 0..1
  double input_tokens_per_output_token = 1.0;  // token mix of the traffic
  // Throughput used by every command: the spec's measured table when given,
  // else the estimate from `architecture`. chip id -> output tokens/s.
  std::map<std::string, double> output_tokens_per_s_per_chip;
  bool throughput_from_spec = true;  // false: estimated from the architecture
  // The request mix and latency target of the estimate, and the estimate
  // itself on every chip type the model fits (empty without an architecture).
  std::optional<ModelArchitecture> architecture;
  double output_tokens_per_request = 1000;
  double min_output_tokens_per_s_per_user = 0;
  std::map<std::string, double> estimated_output_tokens_per_s_per_chip;
  SourceLoc loc;
  // Continuous throughput gain between launches (serving software, batching,
  // quantisation): tokens per chip grow by this fraction a month, compounding,
  // from the model's demand as_of. 0.02 = 2% a month.
  double efficiency_gain_per_month = 0;

  // Blended price of one input token, USD per million: uncached at the input
  // price, the cached share at the cached price.
  double usd_per_million_blended_input_tokens() const {
    const double cached = usd_per_million_cached_input_tokens.value_or(usd_per_million_input_tokens);
    return (1.0 - cached_input_share) * usd_per_million_input_tokens + cached_input_share * cached;
  }
  // Revenue of one output token with its share of input tokens, in USD.
  double usd_per_output_token() const {
    return (usd_per_million_output_tokens +
            input_tokens_per_output_token * usd_per_million_blended_input_tokens()) /
           1e6;
  }
};

enum class WorkloadKind { kPretrain, kRl, kResearch, kInternal, kServe };
const char* WorkloadKindName(WorkloadKind k);  // "pretrain", "rl", "research", "internal", "serve"
inline bool IsModelDevelopment(WorkloadKind k) {
  return k == WorkloadKind::kPretrain || k == WorkloadKind::kRl;
}

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

// One step of a floor that grows over time: from `from` on, the floor is
// `effective_chips` H100-equivalent chips, or (when fleet_share > 0) that
// share of what the whole fleet's landed chips could give the class
// (sum over pools of its efficiency there x chips up).
struct FloorStep {
  UtcSeconds from = 0;
  double effective_chips = 0;
  double fleet_share = 0;
};

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
  // A floor that follows a schedule (steps by date, in order): before the
  // first step the floor is floor_effective_chips.
  std::vector<FloorStep> floor_schedule;
  std::vector<BidStep> bids;
  SourceLoc loc;

  // Efficiency on `chip_type`, or nullopt when the class cannot run there.
  std::optional<double> EfficiencyOn(const std::string& chip_type) const {
    for (const auto& e : eligible)
      if (e.chip_type == chip_type) return e.efficiency_h100_equiv;
    return std::nullopt;
  }
  bool has_floor() const {
    if (floor_effective_chips > 0) return true;
    for (const auto& s : floor_schedule)
      if (s.effective_chips > 0 || s.fleet_share > 0) return true;
    return false;
  }
};

// A floor several workload classes share (e.g. pretraining, RL and research
// together): the SUM of their H100-equivalent chips must reach it on average
// over every window of `window_hours`, each class at its own efficiency.
struct SharedFloor {
  std::string name;
  std::vector<std::string> workloads;  // member class ids
  double effective_chips = 0;          // before the first schedule step
  int window_hours = 24;
  std::vector<FloorStep> schedule;  // steps by date, as a class's floor_schedule
  SourceLoc loc;
};

// ---- Demand and its uncertainty (used by allocate for the hourly level, and
// by forecast for the cone). ----

// A model launch that lifts demand by a random multiplier (log-normal).
struct LaunchJump {
  UtcSeconds date = 0;
  double multiplier_median = 1.0;
  double multiplier_log_sd = 0.0;
  // The launch's new generation serves more tokens per chip: output tokens/s
  // per chip of the model are multiplied by this from `date` on.
  double throughput_multiplier = 1.0;
};

// A listed price change and the demand response through constant elasticity:
// demand scales by (1 + price_change_fraction)^elasticity from `date`.
struct PriceChange {
  UtcSeconds date = 0;
  double price_change_fraction = 0;  // -0.5 = price halved
};

struct GrowthModel {
  double monthly_log_growth_mean = 0;         // prior mean of each scenario's growth rate
  double monthly_log_growth_sd = 0;           // parameter uncertainty across scenarios
  double monthly_volatility = 0;              // month-to-month noise of log-demand
  double monthly_growth_drift_sd = 0;         // monthly random-walk step of the growth rate itself
  double shared_factor_loading = 0.5;         // 0..1: correlation with other tiers through a shared factor
  std::optional<double> saturation_multiple;  // ceiling as a multiple of today's level (logistic)
  double price_elasticity = 0;                // d ln(demand) / d ln(price), e.g. -1.5
  std::vector<LaunchJump> launches;
  std::vector<PriceChange> price_changes;
};

// Serving demand for one model: an hourly level with diurnal and weekly shape.
struct ServingDemand {
  std::string model;                  // ServedModel::id
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
  // Day-level noise on top: every UTC day's demand moves as a whole by an
  // AR(1) process across days on log-demand (stationary sd, day-to-day
  // autocorrelation); 0 = none. Real traffic has it (`fungible fit-profile`).
  double daily_level_log_sd = 0;
  double daily_level_autocorrelation = 0;  // in [0, 1)
  // Recalibration of that noise (day level and hours together), measured by
  // a rolling backtest on the trace it was fitted on: multipliers of the
  // half-widths of its P25-P75, P10-P90 and P5-P95 bands (empty = none), and
  // where they came from. `fungible fit-profile` writes both.
  std::vector<double> hourly_band_factors;
  std::string hourly_band_factors_source;

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

// Settings of `fungible simulate` (months of operation in virtual time) and
// of the return-on-compute ledger it keeps.
struct SimulateSettings {
  UtcSeconds start = 0;               // first hour simulated; 0 = the month of forecast.start
  int resolve_every_hours = 24;       // K: the allocation is re-solved every K hours
  int horizon_hours = 48;             // H: each re-solve looks H hours ahead (H >= K)
  int period_hours = 1;               // LP period length inside the horizon; divides K and H
  int checkpoint_interval_hours = 4;  // jobs checkpoint this often; a failure loses the work since
  bool integer_gangs = false;         // true: whole gangs by MIP (Cbc) in each re-solve; false: LP
                                      // relaxation, gangs rounded to whole gangs
  // Model development earns this share of the revenue uplift its next launch
  // brings; the launch it feeds is the first at least `lag` after the work.
  double model_development_value_share = 0.25;
  double model_development_lag_months = 3;
  double model_development_uplift_months = 12;  // months of uplifted revenue credited to a launch
  double value_horizon_months = 6;              // the ledger's middle horizon ("within 6 months")
  // Serving capacity is planned for this quantile of each hour's demand (the
  // forecast's error grows with the hours ahead), not its mean: a chip short
  // at the peak loses revenue, one spare loses only a bid.
  double serving_quantile = 0.9;
};

// ---- Procurement: offers on the table and the planner's settings ----

// Flexibility a contract offer grants: change the signed quantity later, with
// notice. Exercised month by month in each scenario of the plan; takes effect
// `notice_months` after the month it is exercised in.
enum class OptionKind { kExpand, kReduce, kTerminate };
const char* OptionKindName(OptionKind k);  // "expand", "reduce", "terminate"

struct OfferOption {
  OptionKind kind = OptionKind::kExpand;
  int notice_months = 0;
  // expand / reduce: at most this share of the signed chips may be added /
  // removed over the whole contract; terminate: 1 (the whole quantity).
  double max_fraction = 1.0;
  // expand: price of an added chip-hour; nullopt = the offer's own price.
  std::optional<double> usd_per_chip_hour;
  double fee_usd_per_chip = 0;  // one-off, per chip added / removed, paid when exercised
  SourceLoc loc;
};

enum class QuantityUnit { kChips, kMw };
const char* QuantityUnitName(QuantityUnit u);  // "chips", "mw"

// A contract on the table (not yet signed). Quantities are in `unit`: chips,
// or MW of facility power (chips = MW x 1e6 / (chip all-in power x allocation.pue)).
// Take-or-pay kinds (reserved, short_term, owned) are paid for every landed
// chip-hour from signing; on_demand offers are a fallback paid per used
// chip-hour, with `quantity` the most that can be had at once.
struct Offer {
  std::string id;
  std::string provider;
  ContractKind kind = ContractKind::kReserved;
  std::string chip_type;  // ChipType::id
  std::string region;
  QuantityUnit unit = QuantityUnit::kChips;
  double quantity = 0;      // the most that can be signed, in `unit`
  double min_quantity = 0;  // divisible: 0 or between this and quantity
  bool divisible = true;    // false: all of `quantity` or nothing
  UtcSeconds start = 0;
  int duration_months = 12;
  std::vector<RampStep> landing_ramp;  // empty = all landed at start
  double availability = 1.0;           // share of landed chips usable, (0, 1]
  // Exactly one price is set by the spec.
  std::optional<double> usd_per_chip_hour;
  std::optional<double> usd_per_mw_month;
  double prepayment_fraction = 0;  // share of the whole contract's price paid at signing
  double power_usd_per_mwh = 0;    // power billed on top, per MWh of facility power of used chips
  std::vector<OfferOption> options;
  SourceLoc loc;
  SourceLoc start_loc;  // where `start` is written, for messages

  UtcSeconds End() const { return AddMonths(start, duration_months) + (start - StartOfMonth(start)); }
};

// Settings of `fungible plan` / `fungible evaluate`: the two-stage program
// over the reduced scenarios of the cone.
struct PlanSettings {
  UtcSeconds start = 0;                  // first planned month; 0 = the forecast's start month
  int horizon_months = 24;               // monthly periods planned
  int scenarios = 20;                    // representatives kept by scenario reduction (K)
  double risk_aversion = 0;              // lambda: weight of CVaR of loss against expected profit
  double cvar_alpha = 0.9;               // CVaR level: mean loss of the worst (1 - alpha) share
  std::optional<double> cash_floor_usd;  // the financing line cash may not fall below
  double initial_cash_usd = 0;
  double operating_cost_usd_per_month = 0;   // cash outside compute, in the first planned month
  double operating_cost_monthly_growth = 0;  // fraction a month
  struct Financing {
    UtcSeconds date = 0;
    double usd = 0;
    std::string note;
    SourceLoc loc;     // of its date
    std::string path;  // "plan.financing[i].date", for messages
  };
  std::vector<Financing> financing;     // by date
  double cash_shortfall_penalty = 1.0;  // objective cost per USD-month below the floor
  double unserved_share_limit = 0.05;   // "failing to serve" = more than this share unserved
  SourceLoc loc;                        // of the `plan` mapping
  SourceLoc cash_floor_loc;             // of cash_floor_usd
};

struct Fleet {
  std::string name;
  std::string file;                  // path the spec was read from, for messages
  std::vector<ChipType> chip_types;  // catalog entries referenced plus custom ones
  std::vector<Contract> contracts;
  std::vector<Pool> pools;
  std::vector<ServedModel> models;
  std::vector<WorkloadClass> workloads;
  std::vector<SharedFloor> floors;  // floors several classes share
  std::vector<ServingDemand> demand;
  std::vector<ClassGrowth> class_growth;
  AllocationSettings allocation;
  ForecastSettings forecast;
  SimulateSettings simulate;
  std::vector<Offer> offers;  // contracts on the table, for `fungible plan`
  PlanSettings plan;

  const ChipType* FindChip(const std::string& id) const;
  const Contract* FindContract(const std::string& id) const;
  const ServedModel* FindModel(const std::string& id) const;
  const WorkloadClass* FindWorkload(const std::string& id) const;
  const ServingDemand* FindDemand(const std::string& model) const;
  const Offer* FindOffer(const std::string& id) const;

  // Chips of `pool` usable in the hour starting at t: chips x landed fraction x
  // availability, and 0 outside its contract. Not rounded.
  double PoolCapacityAt(const Pool& pool, UtcSeconds t) const;
  // Contract price of one chip-hour of `pool` (MW prices converted through the
  // chip's power and the PUE). 0 when the contract is unknown.
  double PoolUsdPerChipHour(const Pool& pool) const;
};

}  // namespace fungible

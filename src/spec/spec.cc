// YAML -> Fleet. Types, bounds, defaults and unknown keys are handled by the
// key table (fields.h) through ObjectReader; this file adds what one value
// cannot say alone: references between lists, unique ids, order (ramps, bids),
// end after start, shapes normalised.
#include "spec/spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <map>

#include "catalog/catalog.h"
#include "economics/serving.h"
#include "model/enum_names.h"
#include "spec/fields.h"
#include "spec/reader.h"
#include "spec/yaml_load.h"

namespace fungible {
namespace {

using spec_internal::FormatNumber;
using spec_internal::ObjectReader;
using spec_internal::ShowTime;
using spec_internal::Suggest;

// Enum values by their names in model/fleet.h's tables (the key table has
// already refused a name outside them; the fallbacks are the defaults).
Platform ToPlatform(const std::string& s) {
  return EnumValueIn(kPlatformNames, s).value_or(Platform::kOther);
}

ContractKind ToContractKind(const std::string& s) {
  return EnumValueIn(kContractKindNames, s).value_or(ContractKind::kReserved);
}

WorkloadKind ToWorkloadKind(const std::string& s) {
  return EnumValueIn(kWorkloadKindNames, s).value_or(WorkloadKind::kResearch);
}

LatencyClass ToLatency(const std::string& s) {
  return EnumValueIn(kLatencyClassNames, s).value_or(LatencyClass::kStandard);
}

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Ids declared in one list, with where each was first declared.
class IdTable {
 public:
  IdTable(std::string noun, std::string list) : noun_(std::move(noun)), list_(std::move(list)) {}

  // Records `id`; a second declaration is an error naming the first.
  void Declare(Diagnostics& diags, const std::string& id, SourceLoc loc, const std::string& path) {
    auto [it, fresh] = first_.emplace(id, loc);
    if (fresh) {
      order_.push_back(id);
      return;
    }
    diags.Add(loc, path,
              "duplicate " + noun_ + " " + Quoted(id) + ", first declared at line " +
                  std::to_string(it->second.line) + ", column " + std::to_string(it->second.column));
  }
  bool Has(const std::string& id) const { return first_.count(id) > 0; }

  // Checks that `id` was declared; the message suggests the nearest ids, or
  // `hint` when given.
  bool Check(Diagnostics& diags, const std::string& id, SourceLoc loc, const std::string& path,
             const std::string& hint = "") const {
    if (Has(id)) return true;
    std::string msg = "expected a " + noun_ + " declared in " + list_ + ", got " + Quoted(id);
    // Fuzzy matching is quadratic over a file of many bad references; past
    // a few hundred ids the list of the first ones says enough.
    std::vector<std::string> near = order_.size() <= 500 ? Suggest(id, order_) : std::vector<std::string>{};
    if (!hint.empty()) {
      msg += " (" + hint + ")";
    } else if (!near.empty()) {
      msg += " (did you mean " + Quoted(near[0]) + "?)";
    } else if (order_.empty()) {
      msg += " (" + list_ + " declares none)";
    } else {
      msg += " (declared: ";
      for (size_t i = 0; i < order_.size() && i < 8; ++i) msg += (i > 0 ? ", " : "") + order_[i];
      msg += order_.size() > 8 ? ", ...)" : ")";
    }
    diags.Add(loc, path, msg);
    return false;
  }

 private:
  std::string noun_;
  std::string list_;
  std::map<std::string, SourceLoc> first_;
  std::vector<std::string> order_;
};

class FleetBuilder {
  // A dated event of a growth block (launch, price change) or a demand's as_of.
  struct Event {
    UtcSeconds date = 0;
    std::optional<UtcSeconds> as_of;  // the demand's as_of; nullopt for a class
    SourceLoc loc;
    std::string path;
  };

 public:
  explicit FleetBuilder(const std::string& file) : diags_(file) { fleet_.file = file; }

  StatusOr<Fleet> Build(const YAML::Node& root) {
    {
      ObjectReader r(diags_, root, spec_internal::RootDef(), "", SourceLoc{1, 1});
      if (r.is_mapping()) {
        if (auto v = r.String("name")) fleet_.name = *v;
        r.ForEach("chip_types", [&](ObjectReader& c, size_t) { ReadChipType(c); });
        r.ForEach("contracts", [&](ObjectReader& c, size_t) { ReadContract(c); });
        r.ForEach("pools", [&](ObjectReader& c, size_t) { ReadPool(c); });
        r.ForEach("models", [&](ObjectReader& c, size_t) { ReadModel(c); });
        r.ForEach("workloads", [&](ObjectReader& c, size_t) { ReadWorkload(c); });
        r.ForEach("floors", [&](ObjectReader& c, size_t) { ReadSharedFloor(c); });
        r.ForEach("demand", [&](ObjectReader& c, size_t) { ReadDemand(c); });
        r.ForEach("class_growth", [&](ObjectReader& c, size_t) { ReadClassGrowth(c); });
        r.WithObject("allocation", [&](ObjectReader& c) { ReadAllocation(c); });
        r.WithObject("forecast", [&](ObjectReader& c) { ReadForecast(c); });
        r.WithObject("simulate", [&](ObjectReader& c) { ReadSimulate(c); });
        r.ForEach("offers", [&](ObjectReader& c, size_t) { ReadOffer(c); });
        has_plan_section_ = r.Has("plan");
        r.WithObject("plan", [&](ObjectReader& c) { ReadPlan(c); });
        CheckOffersAgainstPlan(0);
        CheckEventsAgainstForecast();
      }
    }  // the reader reports unread keys when it goes
    if (!diags_.empty()) return Status::FromDiagnostics(diags_.Sorted());
    return std::move(fleet_);
  }

 private:
  void ReadChipType(ObjectReader& r) {
    ChipType c;
    std::string id;
    SourceLoc id_loc = r.loc();
    std::string id_path = r.PathOf("id");
    const bool from_catalog = r.Has("catalog");
    if (auto cat = r.String("catalog")) {
      id = *cat;
      id_loc = r.ValueLoc("catalog");
      id_path = r.PathOf("catalog");
      if (const ChipType* builtin = FindBuiltinChip(*cat)) {
        c = *builtin;
        c.from_catalog = true;
      } else {
        std::vector<std::string> ids;
        for (const auto& b : BuiltinCatalog()) ids.push_back(b.id);
        std::vector<std::string> near = Suggest(*cat, ids);
        diags_.Add(id_loc, id_path,
                   "expected a chip id from the built-in catalog, got " + Quoted(*cat) +
                       (near.empty() ? " (`fungible catalog` lists them)"
                                     : " (did you mean " + Quoted(near[0]) + "?)"));
      }
    }
    if (auto v = r.String("id")) {
      id = *v;
      id_loc = r.ValueLoc("id");
      id_path = r.PathOf("id");
    }
    c.id = id;
    if (auto v = r.String("name")) c.name = *v;
    if (auto v = r.String("platform")) c.platform = ToPlatform(*v);
    if (auto v = r.String("generation")) c.generation = *v;
    // A catalog chip keeps its figure unless overridden; a custom chip takes
    // the table's default.
    auto number = [&](std::string_view key, double& out) {
      if (auto v = r.Number(key)) {
        out = *v;
      } else if (!from_catalog) {
        if (auto d = r.DefaultNumber(key)) out = *d;
      }
    };
    number("bf16_dense_flops", c.bf16_dense_flops);
    number("fp8_dense_flops", c.fp8_dense_flops);
    number("hbm_gb", c.hbm_gb);
    number("hbm_tb_per_s", c.hbm_tb_per_s);
    number("power_w", c.power_w);
    number("all_in_power_w", c.all_in_power_w);
    if (auto v = r.Integer("interconnect_domain_chips")) {
      c.interconnect_domain_chips = static_cast<int>(*v);
    } else if (!from_catalog) {
      c.interconnect_domain_chips = static_cast<int>(*r.DefaultNumber("interconnect_domain_chips"));
    }
    if (auto v = r.Date("release_date")) c.release_date = FormatDate(*v);
    if (auto v = r.String("source")) c.source = *v;
    // Checked here; `fungible export kueue` reads the labels (cli/cmd_export.cc).
    r.ForEach("kueue_node_labels", [&](ObjectReader& s, size_t) {
      s.String("key");
      s.String("value");
    });
    if (!id.empty()) chips_.Declare(diags_, id, id_loc, id_path);
    fleet_.chip_types.push_back(std::move(c));
  }

  void ReadContract(ObjectReader& r) {
    Contract k;
    k.loc = r.loc();
    if (auto v = r.String("id")) {
      k.id = *v;
      contracts_.Declare(diags_, *v, r.ValueLoc("id"), r.PathOf("id"));
    }
    if (auto v = r.String("provider")) k.provider = *v;
    if (auto v = r.String("kind")) k.kind = ToContractKind(*v);
    auto start = r.Date("start");
    auto end = r.Date("end");
    if (start) k.start = *start;
    if (end) k.end = *end;
    if (start && end && *end <= *start)
      diags_.Add(r.ValueLoc("end"), r.PathOf("end"),
                 "expected a time after start " + ShowTime(*start) + ", got " + ShowTime(*end));
    k.usd_per_chip_hour = r.Number("usd_per_chip_hour");
    k.usd_per_mw_month = r.Number("usd_per_mw_month");
    fleet_.contracts.push_back(std::move(k));
  }

  void ReadPool(ObjectReader& r) {
    Pool p;
    p.loc = r.loc();
    if (auto v = r.String("id")) {
      p.id = *v;
      pools_.Declare(diags_, *v, r.ValueLoc("id"), r.PathOf("id"));
    }
    if (auto v = r.String("chip_type")) {
      p.chip_type = *v;
      CheckChip(*v, r.ValueLoc("chip_type"), r.PathOf("chip_type"));
    }
    if (auto v = r.Integer("chips")) p.chips = static_cast<int>(*v);
    if (auto v = r.String("region")) p.region = *v;
    if (auto v = r.String("contract")) {
      p.contract = *v;
      if (contracts_.Check(diags_, *v, r.ValueLoc("contract"), r.PathOf("contract"))) CheckMwPrice(r, p);
    }
    std::vector<SourceLoc> at_locs, fraction_locs;
    r.ForEach("landing_ramp", [&](ObjectReader& s, size_t i) {
      auto at = s.Date("at");
      auto fraction = s.Number("fraction");
      if (!at || !fraction) return;
      if (!p.landing_ramp.empty() && *at <= p.landing_ramp.back().at)
        diags_.Add(s.ValueLoc("at"), s.PathOf("at"),
                   "expected a time after " + ShowTime(p.landing_ramp.back().at) +
                       " (steps are in increasing time), got " + ShowTime(*at));
      if (!p.landing_ramp.empty() && *fraction < p.landing_ramp.back().fraction)
        diags_.Add(s.ValueLoc("fraction"), s.PathOf("fraction"),
                   "expected at least " + FormatNumber(p.landing_ramp.back().fraction) +
                       " (landed capacity does not shrink), got " + FormatNumber(*fraction));
      p.landing_ramp.push_back(RampStep{*at, *fraction});
    });
    p.availability = r.NumberOr("availability");
    p.mtbf_hours = r.NumberOr("mtbf_hours");
    p.mttr_hours = r.NumberOr("mttr_hours");
    p.failure_fraction = r.NumberOr("failure_fraction");
    fleet_.pools.push_back(std::move(p));
  }

  // A reference to a chip type. A catalog chip the spec forgot to declare is
  // the usual case: say how to declare it.
  bool CheckChip(const std::string& id, SourceLoc loc, const std::string& path) {
    std::string hint;
    if (!chips_.Has(id) && FindBuiltinChip(id) != nullptr)
      hint = "it is in the catalog: add `- catalog: " + id + "` to chip_types";
    return chips_.Check(diags_, id, loc, path, hint);
  }

  // A price per MW needs the chip's power; a catalog chip whose power is not
  // published has 0 and would make the pool free.
  void CheckMwPrice(ObjectReader& r, const Pool& p) {
    const Contract* k = fleet_.FindContract(p.contract);
    const ChipType* c = fleet_.FindChip(p.chip_type);
    if (k == nullptr || c == nullptr || !k->usd_per_mw_month) return;
    if (c->AllInPowerW() <= 0)
      diags_.Add(r.ValueLoc("contract"), r.PathOf("contract"),
                 "contract " + Quoted(k->id) + " is priced per MW but chip type " + Quoted(c->id) +
                     " has no power_w: set power_w on the chip type");
  }

  void ReadModel(ObjectReader& r) {
    ServedModel m;
    m.loc = r.loc();
    if (auto v = r.String("id")) {
      m.id = *v;
      models_.Declare(diags_, *v, r.ValueLoc("id"), r.PathOf("id"));
    }
    if (auto v = r.String("tier")) m.tier = *v;
    if (auto v = r.Date("launch")) m.launch = *v;
    if (auto v = r.Number("usd_per_million_input_tokens")) m.usd_per_million_input_tokens = *v;
    if (auto v = r.Number("usd_per_million_output_tokens")) m.usd_per_million_output_tokens = *v;
    m.usd_per_million_cached_input_tokens = r.Number("usd_per_million_cached_input_tokens");
    m.cached_input_share = r.NumberOr("cached_input_share");
    m.input_tokens_per_output_token = r.NumberOr("input_tokens_per_output_token");
    if (auto table = r.NumberMap("output_tokens_per_s_per_chip")) {
      for (const auto& e : *table) {
        CheckChip(e.key, e.key_loc, e.path);
        m.output_tokens_per_s_per_chip[e.key] = e.value;
      }
    }
    m.efficiency_gain_per_month = r.NumberOr("efficiency_gain_per_month");
    m.output_tokens_per_request = r.NumberOr("output_tokens_per_request");
    m.min_output_tokens_per_s_per_user = r.NumberOr("min_output_tokens_per_s_per_user");
    r.WithObject("architecture", [&](ObjectReader& a) {
      ModelArchitecture arch;
      arch.id = m.id;
      if (auto v = a.Number("total_params_b")) arch.total_params_b = *v;
      if (auto v = a.Number("active_params_b")) arch.active_params_b = *v;
      arch.routed_experts = static_cast<int>(a.IntegerOr("routed_experts"));
      arch.experts_per_token = static_cast<int>(a.IntegerOr("experts_per_token"));
      if (auto v = a.Integer("layers")) arch.layers = static_cast<int>(*v);
      arch.weight_bytes_per_param = a.NumberOr("weight_bytes_per_param");
      if (auto v = a.Number("kv_cache_bytes_per_token")) arch.kv_cache_bytes_per_token = *v;
      arch.attention_flops_per_token_per_context_token =
          a.NumberOr("attention_flops_per_token_per_context_token");
      arch.max_context_tokens = static_cast<int>(a.IntegerOr("max_context_tokens"));
      if (arch.active_params_b > arch.total_params_b)
        diags_.Add(a.ValueLoc("active_params_b"), a.PathOf("active_params_b"),
                   "active_params_b " + FormatNumber(arch.active_params_b) + " exceeds total_params_b " +
                       FormatNumber(arch.total_params_b));
      if ((arch.routed_experts == 0) != (arch.experts_per_token == 0) ||
          arch.experts_per_token > arch.routed_experts)
        diags_.Add(
            a.ValueLoc("experts_per_token"), a.PathOf("experts_per_token"),
            "experts_per_token must be between 1 and routed_experts for a mixture of experts, and both 0 "
            "for a dense model");
      m.architecture = arch;
    });
    m.throughput_from_spec = !m.output_tokens_per_s_per_chip.empty();
    if (m.architecture) EstimateThroughputs(m, r);
    fleet_.models.push_back(std::move(m));
  }

  // The first-principles estimate on every declared chip type; where the spec
  // gives no measured table, the chip types the model fits serve it at the
  // estimate. A model that fits none is an error naming each chip's reason.
  void EstimateThroughputs(ServedModel& m, ObjectReader& r) {
    const RequestMix mix = ServingRequestMix(m);
    std::string reasons;
    for (const ChipType& chip : fleet_.chip_types) {
      StatusOr<ThroughputEstimate> e = EstimateServingThroughput(
          *m.architecture, chip, mix, DefaultSoftwareEfficiency(chip), ServingOptionsFor(*m.architecture));
      if (!e.ok() || !e->servable) {
        reasons += "; " + chip.id + ": " + (e.ok() ? e->unservable_reason : e.status().message());
        continue;
      }
      m.estimated_output_tokens_per_s_per_chip[chip.id] = e->output_tokens_per_s_per_chip;
    }
    if (!m.throughput_from_spec) m.output_tokens_per_s_per_chip = m.estimated_output_tokens_per_s_per_chip;
    if (!m.throughput_from_spec && m.output_tokens_per_s_per_chip.empty())
      diags_.Add(r.KeyLoc("architecture"), r.PathOf("architecture"),
                 "model " + Quoted(m.id) + " cannot be served on any declared chip type" + reasons);
  }

  void ReadWorkload(ObjectReader& r) {
    WorkloadClass w;
    w.loc = r.loc();
    if (auto v = r.String("id")) {
      w.id = *v;
      workloads_.Declare(diags_, *v, r.ValueLoc("id"), r.PathOf("id"));
    }
    auto kind = r.String("kind");
    if (kind) w.kind = ToWorkloadKind(*kind);
    const bool serve = kind && w.kind == WorkloadKind::kServe;
    if (auto v = r.String("team")) w.team = *v;
    // Always read (a non-serve model is reported by the table's condition).
    auto model = r.String("model");
    const ServedModel* served = nullptr;
    if (model && serve) {
      w.model = *model;
      if (models_.Check(diags_, *model, r.ValueLoc("model"), r.PathOf("model")))
        served = fleet_.FindModel(*model);
    }
    w.latency = ToLatency(r.StringOr("latency"));
    std::map<std::string, std::string> eligible_seen;  // chip type -> path of its first entry
    const bool has_eligible = r.ForEach("eligible", [&](ObjectReader& e, size_t i) {
      Eligibility el;
      if (auto v = e.String("chip_type")) {
        el.chip_type = *v;
        SourceLoc loc = e.ValueLoc("chip_type");
        std::string path = e.PathOf("chip_type");
        if (auto [it, fresh] = eligible_seen.emplace(*v, e.path()); !fresh) {
          diags_.Add(loc, path, "duplicate chip type " + Quoted(*v) + " (already in " + it->second + ")");
        } else if (CheckChip(*v, loc, path) && served != nullptr &&
                   served->output_tokens_per_s_per_chip.count(*v) == 0) {
          diags_.Add(loc, path,
                     "expected a chip type with a throughput for model " + Quoted(served->id) + ", got " +
                         Quoted(*v) + " (add it to that model's output_tokens_per_s_per_chip)");
        }
      }
      if (auto v = e.Number("efficiency_h100_equiv")) el.efficiency_h100_equiv = *v;
      w.eligible.push_back(std::move(el));
    });
    if (!has_eligible && served != nullptr)
      for (const auto& [chip, tokens_per_s] : served->output_tokens_per_s_per_chip)
        w.eligible.push_back(Eligibility{chip, 1.0});
    w.gang_size_chips = static_cast<int>(r.IntegerOr("gang_size_chips"));
    w.preemptible = r.BooleanOr("preemptible");
    w.floor_effective_chips = r.NumberOr("floor_effective_chips");
    w.floor_window_hours = static_cast<int>(r.IntegerOr("floor_window_hours"));
    w.floor_schedule = ReadFloorSchedule(r, "floor_schedule");
    r.ForEach("bids", [&](ObjectReader& b, size_t i) {
      auto chips = b.Number("effective_chips");
      auto usd = b.Number("usd_per_effective_chip_hour");
      if (!chips || !usd) return;
      if (!w.bids.empty() && *usd > w.bids.back().usd_per_effective_chip_hour)
        diags_.Add(b.ValueLoc("usd_per_effective_chip_hour"), b.PathOf("usd_per_effective_chip_hour"),
                   "expected at most " + FormatNumber(w.bids.back().usd_per_effective_chip_hour) +
                       " (the value of the step before: a bid curve falls in steps), got " +
                       FormatNumber(*usd));
      w.bids.push_back(BidStep{*chips, *usd});
    });
    if (kind) workload_kinds_[w.id] = w.kind;
    fleet_.workloads.push_back(std::move(w));
  }

  // Divides by the mean so that the shape only moves demand within the day or
  // week; an all-zero shape has no mean to divide by.
  bool Normalise(ObjectReader& r, std::string_view key, std::vector<double>& out) {
    auto list = r.NumberList(key);
    if (!list) return false;
    double sum = 0;
    for (const auto& e : *list) sum += e.value;
    if (sum <= 0) {
      diags_.Add(r.ValueLoc(key), r.PathOf(key),
                 "expected at least one positive number (shapes are normalised to mean 1), got all zeros");
      return false;
    }
    const double mean = sum / static_cast<double>(list->size());
    out.clear();
    for (const auto& e : *list) out.push_back(e.value / mean);
    return true;
  }

  // `as_of`: the demand's as_of; nullopt for a class's growth (its level is
  // the forecast start's).
  GrowthModel ReadGrowth(ObjectReader& r, std::optional<UtcSeconds> as_of) {
    GrowthModel g;
    g.monthly_log_growth_mean = r.NumberOr("monthly_log_growth_mean");
    g.monthly_log_growth_sd = r.NumberOr("monthly_log_growth_sd");
    g.monthly_volatility = r.NumberOr("monthly_volatility");
    g.monthly_growth_drift_sd = r.NumberOr("monthly_growth_drift_sd");
    g.shared_factor_loading = r.NumberOr("shared_factor_loading");
    g.saturation_multiple = r.Number("saturation_multiple");
    g.price_elasticity = r.NumberOr("price_elasticity");
    r.ForEach("launches", [&](ObjectReader& l, size_t) {
      LaunchJump j;
      auto date = l.Date("date");
      auto median = l.Number("multiplier_median");
      j.multiplier_log_sd = l.NumberOr("multiplier_log_sd");
      j.throughput_multiplier = l.NumberOr("throughput_multiplier");
      if (date) events_.push_back(Event{*date, as_of, l.ValueLoc("date"), l.PathOf("date")});
      if (!date || !median) return;
      j.date = *date;
      j.multiplier_median = *median;
      g.launches.push_back(j);
    });
    r.ForEach("price_changes", [&](ObjectReader& p, size_t) {
      auto date = p.Date("date");
      auto change = p.Number("price_change_fraction");
      if (date) events_.push_back(Event{*date, as_of, p.ValueLoc("date"), p.PathOf("date")});
      if (!date || !change) return;
      g.price_changes.push_back(PriceChange{*date, *change});
    });
    // Events are independent of one another; time order is what users of
    // the model expect.
    std::stable_sort(g.launches.begin(), g.launches.end(),
                     [](const LaunchJump& a, const LaunchJump& b) { return a.date < b.date; });
    std::stable_sort(g.price_changes.begin(), g.price_changes.end(),
                     [](const PriceChange& a, const PriceChange& b) { return a.date < b.date; });
    return g;
  }

  void ReadDemand(ObjectReader& r) {
    ServingDemand d;
    d.loc = r.loc();
    if (auto v = r.String("model")) {
      d.model = *v;
      SourceLoc loc = r.ValueLoc("model");
      if (models_.Check(diags_, *v, loc, r.PathOf("model")))
        demand_models_.Declare(diags_, *v, loc, r.PathOf("model"));
    }
    if (auto v = r.Number("output_tokens_per_hour")) d.output_tokens_per_hour = *v;
    if (auto v = r.Date("as_of")) {
      d.as_of = *v;
      as_ofs_.push_back(Event{*v, *v, r.ValueLoc("as_of"), r.PathOf("as_of")});
    }
    Normalise(r, "diurnal_shape", d.diurnal_shape);
    Normalise(r, "weekly_shape", d.weekly_shape);
    d.hourly_noise_log_sd = r.NumberOr("hourly_noise_log_sd");
    d.hourly_noise_autocorrelation = r.NumberOr("hourly_noise_autocorrelation");
    d.daily_level_log_sd = r.NumberOr("daily_level_log_sd");
    d.daily_level_autocorrelation = r.NumberOr("daily_level_autocorrelation");
    if (auto list = r.NumberList("hourly_band_factors"))
      for (const auto& e : *list) d.hourly_band_factors.push_back(e.value);
    if (auto v = r.String("hourly_band_factors_source")) d.hourly_band_factors_source = *v;
    std::optional<UtcSeconds> as_of;
    if (d.as_of != 0) as_of = d.as_of;
    r.WithObject("growth", [&](ObjectReader& g) { d.growth = ReadGrowth(g, as_of); });
    fleet_.demand.push_back(std::move(d));
  }

  void ReadSharedFloor(ObjectReader& r) {
    SharedFloor f;
    f.loc = r.loc();
    if (auto v = r.String("name")) {
      f.name = *v;
      floors_.Declare(diags_, *v, r.ValueLoc("name"), r.PathOf("name"));
    }
    if (auto ids = r.IdList("workloads")) {
      bool all_known = true;
      for (const auto& el : *ids) {
        if (!workloads_.Check(diags_, el.key, el.value_loc, el.path)) {
          all_known = false;
          continue;
        }
        auto kind = workload_kinds_.find(el.key);
        if (kind != workload_kinds_.end() && kind->second == WorkloadKind::kServe) {
          diags_.Add(el.value_loc, el.path,
                     "expected a workload that develops models (pretrain, rl, research or internal), got " +
                         Quoted(el.key) + " (kind serve: serving earns its chips by its demand)");
          all_known = false;
          continue;
        }
        f.workloads.push_back(el.key);
      }
      if (all_known) {
        // Two floors over the same workloads: the lower one says nothing.
        std::vector<std::string> sorted = f.workloads;
        std::sort(sorted.begin(), sorted.end());
        for (const auto& other : fleet_.floors) {
          std::vector<std::string> o = other.workloads;
          std::sort(o.begin(), o.end());
          if (o == sorted)
            diags_.Add(r.ValueLoc("workloads"), r.PathOf("workloads"),
                       "expected workloads that differ from those of floor " + Quoted(other.name) +
                           " (the same set twice: give one floor, with a schedule if it changes over time)");
        }
      }
    }
    f.effective_chips = r.NumberOr("effective_chips");
    f.window_hours = static_cast<int>(r.IntegerOr("window_hours"));
    f.schedule = ReadFloorSchedule(r, "schedule");
    fleet_.floors.push_back(std::move(f));
  }

  // A floor's steps by date (a class's floor_schedule, a shared floor's
  // schedule), in increasing time.
  std::vector<FloorStep> ReadFloorSchedule(ObjectReader& r, std::string_view key) {
    std::vector<FloorStep> steps;
    r.ForEach(key, [&](ObjectReader& s, size_t) {
      auto from = s.Date("from");
      if (!from) return;
      FloorStep step;
      step.from = *from;
      if (auto v = s.Number("effective_chips")) step.effective_chips = *v;
      if (auto v = s.Number("fleet_share")) step.fleet_share = *v;
      if (!steps.empty() && *from <= steps.back().from)
        diags_.Add(s.ValueLoc("from"), s.PathOf("from"),
                   "expected a time after " + ShowTime(steps.back().from) +
                       " (steps are in increasing time), got " + ShowTime(*from));
      steps.push_back(step);
    });
    return steps;
  }

  void ReadClassGrowth(ObjectReader& r) {
    ClassGrowth c;
    c.loc = r.loc();
    if (auto v = r.String("workload")) {
      c.workload = *v;
      SourceLoc loc = r.ValueLoc("workload");
      std::string path = r.PathOf("workload");
      if (workloads_.Check(diags_, *v, loc, path)) {
        auto kind = workload_kinds_.find(*v);
        if (kind != workload_kinds_.end() && kind->second != WorkloadKind::kResearch &&
            kind->second != WorkloadKind::kInternal) {
          diags_.Add(loc, path,
                     "expected a research or internal workload, got " + Quoted(*v) + " (kind " +
                         WorkloadKindName(kind->second) + ")");
        } else {
          growth_workloads_.Declare(diags_, *v, loc, path);
        }
      }
    }
    r.WithObject("growth", [&](ObjectReader& g) { c.growth = ReadGrowth(g, std::nullopt); });
    fleet_.class_growth.push_back(std::move(c));
  }

  void ReadAllocation(ObjectReader& r) {
    fleet_.allocation.switch_cost_usd_per_chip = r.NumberOr("switch_cost_usd_per_chip");
    fleet_.allocation.pue = r.NumberOr("pue");
  }

  void ReadForecast(ObjectReader& r) {
    fleet_.forecast.scenarios = static_cast<int>(r.IntegerOr("scenarios"));
    fleet_.forecast.horizon_months = static_cast<int>(r.IntegerOr("horizon_months"));
    fleet_.forecast.seed = static_cast<std::uint64_t>(r.IntegerOr("seed"));
    if (auto v = r.Date("start")) {
      fleet_.forecast.start = *v;
    } else if (!fleet_.demand.empty()) {
      fleet_.forecast.start = fleet_.demand.front().as_of;
      for (const auto& d : fleet_.demand) fleet_.forecast.start = std::min(fleet_.forecast.start, d.as_of);
    }
  }

  // After ReadForecast (the default start is the forecast's start month).
  void ReadSimulate(ObjectReader& r) {
    SimulateSettings& s = fleet_.simulate;
    s.start = StartOfMonth(fleet_.forecast.start);
    if (auto v = r.Date("start")) {
      s.start = *v;
      // simulate steps in whole hours from here.
      if (*v % kSecondsPerHour != 0)
        diags_.Add(r.ValueLoc("start"), r.PathOf("start"), "expected a whole hour, got " + ShowTime(*v));
    }
    s.resolve_every_hours = static_cast<int>(r.IntegerOr("resolve_every_hours"));
    s.horizon_hours = static_cast<int>(r.IntegerOr("horizon_hours"));
    s.period_hours = static_cast<int>(r.IntegerOr("period_hours"));
    s.checkpoint_interval_hours = static_cast<int>(r.IntegerOr("checkpoint_interval_hours"));
    s.integer_gangs = r.BooleanOr("integer_gangs");
    s.model_development_value_share = r.NumberOr("model_development_value_share");
    s.model_development_lag_months = r.NumberOr("model_development_lag_months");
    s.model_development_uplift_months = r.NumberOr("model_development_uplift_months");
    s.value_horizon_months = r.NumberOr("value_horizon_months");
    s.serving_quantile = r.NumberOr("serving_quantile");
    // A key the user wrote is where a problem is reported (defaults are consistent).
    auto where = [&](std::string_view a, std::string_view b) { return r.Has(a) ? a : b; };
    if (s.horizon_hours < s.resolve_every_hours) {
      auto key = where("horizon_hours", "resolve_every_hours");
      diags_.Add(r.ValueLoc(key), r.PathOf(key),
                 "expected horizon_hours (" + std::to_string(s.horizon_hours) + ") >= resolve_every_hours (" +
                     std::to_string(s.resolve_every_hours) +
                     "): a re-solve must look as far ahead as it is applied");
    }
    if (s.period_hours > 0 &&
        (s.resolve_every_hours % s.period_hours != 0 || s.horizon_hours % s.period_hours != 0)) {
      auto key = where("period_hours",
                       s.resolve_every_hours % s.period_hours != 0 ? "resolve_every_hours" : "horizon_hours");
      diags_.Add(r.ValueLoc(key), r.PathOf(key),
                 "expected period_hours (" + std::to_string(s.period_hours) +
                     ") to divide resolve_every_hours (" + std::to_string(s.resolve_every_hours) +
                     ") and horizon_hours (" + std::to_string(s.horizon_hours) + ")");
    }
  }

  // ---- Offers and plan settings (fungible plan / evaluate) ----

  void ReadOffer(ObjectReader& r) {
    Offer o;
    o.loc = r.loc();
    if (auto v = r.String("id")) {
      o.id = *v;
      offers_.Declare(diags_, *v, r.ValueLoc("id"), r.PathOf("id"));
    }
    offer_id_locs_.push_back(r.ValueLoc("id"));
    if (auto v = r.String("provider")) o.provider = *v;
    auto kind = r.String("kind");
    if (kind) o.kind = ToContractKind(*kind);
    const bool on_demand = kind && o.kind == ContractKind::kOnDemand;
    const ChipType* chip = nullptr;
    if (auto v = r.String("chip_type")) {
      o.chip_type = *v;
      if (CheckChip(*v, r.ValueLoc("chip_type"), r.PathOf("chip_type"))) chip = fleet_.FindChip(*v);
    }
    if (auto v = r.String("region")) o.region = *v;
    o.unit = EnumValueIn(kQuantityUnitNames, r.StringOr("unit")).value_or(QuantityUnit::kChips);
    if (auto v = r.Number("quantity")) o.quantity = *v;
    o.min_quantity = r.NumberOr("min_quantity");
    o.divisible = r.BooleanOr("divisible");
    if (auto v = r.Date("start")) o.start = *v;
    o.start_loc = r.ValueLoc("start");
    if (auto v = r.Integer("duration_months")) o.duration_months = static_cast<int>(*v);
    r.ForEach("landing_ramp", [&](ObjectReader& s, size_t) {
      auto at = s.Date("at");
      auto fraction = s.Number("fraction");
      if (!at || !fraction) return;
      if (!o.landing_ramp.empty() && *at <= o.landing_ramp.back().at)
        diags_.Add(s.ValueLoc("at"), s.PathOf("at"),
                   "expected a time after " + ShowTime(o.landing_ramp.back().at) +
                       " (steps are in increasing time), got " + ShowTime(*at));
      if (!o.landing_ramp.empty() && *fraction < o.landing_ramp.back().fraction)
        diags_.Add(s.ValueLoc("fraction"), s.PathOf("fraction"),
                   "expected at least " + FormatNumber(o.landing_ramp.back().fraction) +
                       " (landed capacity does not shrink), got " + FormatNumber(*fraction));
      o.landing_ramp.push_back(RampStep{*at, *fraction});
      ramp_locs_[o.id].push_back(s.ValueLoc("at"));
    });
    o.availability = r.NumberOr("availability");
    o.usd_per_chip_hour = r.Number("usd_per_chip_hour");
    o.usd_per_mw_month = r.Number("usd_per_mw_month");
    o.prepayment_fraction = r.NumberOr("prepayment_fraction");
    o.power_usd_per_mwh = r.NumberOr("power_usd_per_mwh");
    std::map<OptionKind, std::string> seen;  // kind -> path of its first entry
    r.ForEach("options", [&](ObjectReader& c, size_t) {
      OfferOption opt;
      opt.loc = c.loc();
      auto okind = c.String("kind");
      if (okind) opt.kind = EnumValueIn(kOptionKindNames, *okind).value_or(OptionKind::kExpand);
      if (auto v = c.Integer("notice_months")) opt.notice_months = static_cast<int>(*v);
      opt.max_fraction = c.NumberOr("max_fraction");
      opt.usd_per_chip_hour = c.Number("usd_per_chip_hour");
      opt.fee_usd_per_chip = c.NumberOr("fee_usd_per_chip");
      if (okind) {
        if (auto [it, fresh] = seen.emplace(opt.kind, c.path()); !fresh)
          diags_.Add(c.ValueLoc("kind"), c.PathOf("kind"),
                     "a second " + *okind + " option (already in " + it->second + "); give one per kind");
        if (opt.kind == OptionKind::kTerminate && c.Has("max_fraction"))
          diags_.Add(c.KeyLoc("max_fraction"), c.PathOf("max_fraction"),
                     "max_fraction applies to expand and reduce options; terminate ends the contract for up "
                     "to all of its chips");
        if (opt.kind == OptionKind::kTerminate) opt.max_fraction = 1.0;
        if (opt.kind != OptionKind::kExpand && c.Has("usd_per_chip_hour"))
          diags_.Add(c.KeyLoc("usd_per_chip_hour"), c.PathOf("usd_per_chip_hour"),
                     "usd_per_chip_hour is the price of added chips and applies to expand options only; " +
                         *okind + " takes fee_usd_per_chip");
      }
      o.options.push_back(opt);
    });
    // What one value cannot say alone.
    if (on_demand) {
      if (!o.options.empty())
        diags_.Add(r.KeyLoc("options"), r.PathOf("options"),
                   "an on_demand offer carries no commitment to expand, reduce or terminate: remove options");
      if (r.Has("prepayment_fraction") && o.prepayment_fraction > 0)
        diags_.Add(r.ValueLoc("prepayment_fraction"), r.PathOf("prepayment_fraction"),
                   "an on_demand offer is paid per used chip-hour and has nothing to prepay");
    }
    if (!o.divisible && r.Has("min_quantity"))
      diags_.Add(r.KeyLoc("min_quantity"), r.PathOf("min_quantity"),
                 "min_quantity applies to divisible offers; an all-or-nothing offer (divisible: false) is "
                 "signed for its whole quantity or not at all");
    if (o.quantity > 0 && o.min_quantity > o.quantity)
      diags_.Add(r.ValueLoc("min_quantity"), r.PathOf("min_quantity"),
                 "expected at most quantity (" + FormatNumber(o.quantity) + "), got " +
                     FormatNumber(o.min_quantity));
    const bool per_mw = o.unit == QuantityUnit::kMw || o.usd_per_mw_month.has_value();
    if (chip != nullptr && per_mw && chip->AllInPowerW() <= 0) {
      const char* key = o.unit == QuantityUnit::kMw ? "unit" : "usd_per_mw_month";
      diags_.Add(r.ValueLoc(key), r.PathOf(key),
                 "offer " + Quoted(o.id) + " is in MW but chip type " + Quoted(chip->id) +
                     " has no power_w: set power_w on the chip type");
    }
    if (chip != nullptr && o.power_usd_per_mwh > 0 && chip->AllInPowerW() <= 0)
      diags_.Add(r.ValueLoc("power_usd_per_mwh"), r.PathOf("power_usd_per_mwh"),
                 "power is billed per MWh but chip type " + Quoted(chip->id) + " has no power_w");
    offer_paths_.push_back(r.path());
    fleet_.offers.push_back(std::move(o));
  }

  // After ReadForecast: the default start is the forecast's start month.
  void ReadPlan(ObjectReader& r) {
    PlanSettings& p = fleet_.plan;
    p.loc = r.loc();
    p.start = StartOfMonth(fleet_.forecast.start);
    if (auto v = r.Date("start")) p.start = StartOfMonth(*v);
    p.horizon_months = static_cast<int>(r.IntegerOr("horizon_months"));
    p.scenarios = static_cast<int>(r.IntegerOr("scenarios"));
    p.risk_aversion = r.NumberOr("risk_aversion");
    p.cvar_alpha = r.NumberOr("cvar_alpha");
    p.cash_floor_usd = r.Number("cash_floor_usd");
    p.cash_floor_loc = r.ValueLoc("cash_floor_usd");
    p.initial_cash_usd = r.NumberOr("initial_cash_usd");
    p.operating_cost_usd_per_month = r.NumberOr("operating_cost_usd_per_month");
    p.operating_cost_monthly_growth = r.NumberOr("operating_cost_monthly_growth");
    r.ForEach("financing", [&](ObjectReader& f, size_t) {
      auto date = f.Date("date");
      auto usd = f.Number("usd");
      if (!date || !usd) return;
      p.financing.push_back(
          {*date, *usd, f.String("note").value_or(""), f.ValueLoc("date"), f.PathOf("date")});
    });
    std::stable_sort(p.financing.begin(), p.financing.end(),
                     [](const auto& a, const auto& b) { return a.date < b.date; });
    p.cash_shortfall_penalty = r.NumberOr("cash_shortfall_penalty");
    p.unserved_share_limit = r.NumberOr("unserved_share_limit");
    if (p.cash_floor_usd && *p.cash_floor_usd > p.initial_cash_usd)
      diags_.Add(p.cash_floor_loc, r.PathOf("cash_floor_usd"),
                 "no plan can meet a cash floor of " + FormatNumber(*p.cash_floor_usd) +
                     " USD: cash starts below it (initial_cash_usd is " + FormatNumber(p.initial_cash_usd) +
                     ")");
  }

  // Dates of the demand model against the months the forecast covers: the
  // same checks, and the same words, as BuildDemandModel (forecast, plan),
  // so that validate refuses what those commands would. Needs ReadForecast
  // first. The plan builds its cone over its own months: when the spec plans
  // (offers or a plan section), events must also fall inside those.
  void CheckEventsAgainstForecast() {
    const UtcSeconds start = fleet_.forecast.start;
    if (start == 0) return;  // nothing to forecast
    const UtcSeconds start_month = StartOfMonth(start);
    const int horizon = fleet_.forecast.horizon_months;
    const bool plans = !fleet_.offers.empty() || has_plan_section_;
    const UtcSeconds plan_cone_start = AddMonths(StartOfMonth(fleet_.plan.start), -1);
    for (const Event& e : as_ofs_) {
      if (MonthsBetween(start_month, e.date) > horizon)
        diags_.Add(e.loc, e.path,
                   FormatDate(e.date) + " is after the last forecast month " +
                       FormatMonth(AddMonths(start_month, horizon)));
    }
    for (const Event& e : events_) {
      if (!CheckEvent(e, start_month, horizon, "forecast horizon", start_month) || !plans ||
          fleet_.plan.start == 0)
        continue;
      CheckEvent(e, plan_cone_start, fleet_.plan.horizon_months, "plan horizon",
                 StartOfMonth(fleet_.plan.start));
    }
  }

  // `start_month` is month 0 of the cone (months 1..horizon follow); the
  // message counts the horizon from `shown_from`.
  bool CheckEvent(const Event& e, UtcSeconds start_month, int horizon, const std::string& what,
                  UtcSeconds shown_from) {
    const UtcSeconds as_of = e.as_of ? *e.as_of : start_month;
    const char* what_as_of = e.as_of ? "demand's as_of" : "forecast start";
    const UtcSeconds end = AddMonths(start_month, horizon + 1);
    if (e.date <= as_of) {
      diags_.Add(e.loc, e.path,
                 FormatDate(e.date) + " is not after the " + what_as_of + " " + FormatDate(as_of) +
                     ": the starting level already includes it; drop it or move it after " +
                     FormatDate(as_of));
      return false;
    }
    if (e.date >= end) {
      diags_.Add(e.loc, e.path,
                 FormatDate(e.date) + " is outside the " + what + ": the last month is " +
                     FormatMonth(AddMonths(start_month, horizon)) + " (horizon_months " +
                     std::to_string(horizon) + " from " + FormatMonth(shown_from) + ")");
      return false;
    }
    return true;
  }

  // Offers against the planned months: capacity that lands only after the
  // horizon cannot be valued. Needs ReadPlan first.
  void CheckOffersAgainstPlan(size_t first) {
    const PlanSettings& p = fleet_.plan;
    const UtcSeconds plan_end = AddMonths(p.start, p.horizon_months);
    for (size_t i = first; i < fleet_.offers.size(); ++i) {
      const Offer& o = fleet_.offers[i];
      if (o.start == 0) continue;  // reported already
      UtcSeconds lands = o.start;
      SourceLoc loc = o.start_loc;
      std::string field = offer_paths_[i] + ".start";
      if (!o.landing_ramp.empty() && o.landing_ramp.front().at > lands) {
        lands = o.landing_ramp.front().at;
        auto it = ramp_locs_.find(o.id);
        if (it != ramp_locs_.end() && !it->second.empty()) loc = it->second.front();
        field = offer_paths_[i] + ".landing_ramp[0].at";
      }
      if (lands >= plan_end)
        diags_.Add(loc, field,
                   "offer " + Quoted(o.id) + " lands " + ShowTime(lands) + ", after the plan horizon ends " +
                       ShowTime(plan_end) + " (plan.horizon_months " + std::to_string(p.horizon_months) +
                       " from " + FormatMonth(p.start) + "): lengthen the horizon or drop the offer");
      else if (o.End() <= p.start)
        diags_.Add(o.start_loc, offer_paths_[i] + ".start",
                   "offer " + Quoted(o.id) + " ends " + ShowTime(o.End()) + ", before the plan starts " +
                       ShowTime(p.start));
    }
  }

 public:
  // Offers from a separate file (`fungible evaluate --offer-file`), checked
  // against the fleet this builder was seeded with.
  Status AddOfferFile(const YAML::Node& root, Fleet& fleet) {
    fleet_ = fleet;
    for (const auto& c : fleet_.chip_types) chips_.Declare(diags_, c.id, SourceLoc{}, "chip_types");
    offer_paths_.assign(fleet_.offers.size(), "offers");
    offer_id_locs_.assign(fleet_.offers.size(), SourceLoc{});
    const size_t first = fleet_.offers.size();
    {
      ObjectReader r(diags_, root, spec_internal::OfferFileDef(), "", SourceLoc{1, 1});
      if (r.is_mapping()) r.ForEach("offers", [&](ObjectReader& c, size_t) { ReadOffer(c); });
    }
    for (size_t i = first; i < fleet_.offers.size(); ++i)
      for (size_t k = 0; k < first; ++k)
        if (fleet_.offers[i].id == fleet_.offers[k].id)
          diags_.Add(offer_id_locs_[i], offer_paths_[i] + ".id",
                     "offer " + Quoted(fleet_.offers[i].id) + " is already in " + fleet.file + " (line " +
                         std::to_string(fleet_.offers[k].loc.line) + "): give it another id");
    if (diags_.empty()) CheckOffersAgainstPlan(first);
    if (!diags_.empty()) return Status::FromDiagnostics(diags_.Sorted());
    fleet = std::move(fleet_);
    return Status::Ok();
  }

 private:
  Diagnostics diags_;
  Fleet fleet_;
  IdTable chips_{"chip type", "chip_types"};
  IdTable contracts_{"contract", "contracts"};
  IdTable pools_{"pool", "pools"};
  IdTable models_{"model", "models"};
  IdTable workloads_{"workload", "workloads"};
  IdTable floors_{"floor", "floors"};
  IdTable demand_models_{"demand series for model", "demand"};
  IdTable growth_workloads_{"class growth for workload", "class_growth"};
  IdTable offers_{"offer", "offers"};
  std::vector<std::string> offer_paths_;                     // field path of each offer
  std::vector<SourceLoc> offer_id_locs_;                     // where each offer's id is written
  std::map<std::string, std::vector<SourceLoc>> ramp_locs_;  // offer id -> locations of its ramp steps' `at`
  std::map<std::string, WorkloadKind> workload_kinds_;
  std::vector<Event> events_;
  std::vector<Event> as_ofs_;
  bool has_plan_section_ = false;
};

}  // namespace

StatusOr<Fleet> ParseFleetSpec(const std::string& yaml_text, const std::string& name) {
  StatusOr<YAML::Node> root = spec_internal::LoadOneDocument(yaml_text, name);
  if (!root.ok()) return root.status();
  try {
    return FleetBuilder(name).Build(*root);
  } catch (const YAML::Exception& e) {
    // The reader only walks nodes that exist; this is a bug, not a bad spec.
    return Status::Internal(name + ": reading the spec failed: " + e.what());
  }
}

StatusOr<Fleet> LoadFleetSpec(const std::string& path) {
  std::string text;
  FUNGIBLE_RETURN_IF_ERROR(spec_internal::ReadSpecFile(path, text));
  return ParseFleetSpec(text, path);
}

Status AddOffersFromFile(Fleet& fleet, const std::string& path) {
  std::string text;
  FUNGIBLE_RETURN_IF_ERROR(spec_internal::ReadSpecFile(path, text));
  StatusOr<YAML::Node> root = spec_internal::LoadOneDocument(text, path);
  if (!root.ok()) return root.status();
  try {
    return FleetBuilder(path).AddOfferFile(*root, fleet);
  } catch (const YAML::Exception& e) {
    return Status::Internal(path + ": reading the offers failed: " + e.what());
  }
}

FleetSummary SummarizeFleet(const Fleet& fleet) {
  FleetSummary s;
  s.name = fleet.name;
  for (const auto& c : fleet.chip_types) s.chip_type_ids.push_back(c.id);
  s.pools = static_cast<int>(fleet.pools.size());
  for (const auto& p : fleet.pools) {
    s.chips += p.chips;
    const ChipType* c = fleet.FindChip(p.chip_type);
    s.chips_per_platform[c != nullptr ? PlatformName(c->platform) : "other"] += p.chips;
  }
  s.contracts = static_cast<int>(fleet.contracts.size());
  for (const auto& k : fleet.contracts) ++s.contracts_per_kind[ContractKindName(k.kind)];
  for (const auto& m : fleet.models) s.model_ids.push_back(m.id);
  s.workloads = static_cast<int>(fleet.workloads.size());
  for (const auto& w : fleet.workloads) ++s.workloads_per_kind[WorkloadKindName(w.kind)];
  for (const auto& d : fleet.demand) s.demand_models.push_back(d.model);
  s.class_growth = static_cast<int>(fleet.class_growth.size());
  return s;
}

}  // namespace fungible

#include "plan/problem.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <utility>

#include "allocate/instance.h"
#include "forecast/demand_model.h"
#include "forecast/reduce.h"
#include "forecast/scenarios.h"

namespace fungible {
namespace {

constexpr double kHoursPerMonth = 730.0;  // 8760 / 12, the MW-month convention of the spec
constexpr int kSamplesPerDay = 4;         // capacity and cost are averaged over 6-hour samples

// Calls fn(t, hours) for sample instants spread evenly over [from, to).
template <typename Fn>
void Sample(UtcSeconds from, UtcSeconds to, Fn&& fn) {
  const UtcSeconds step = kSecondsPerDay / kSamplesPerDay;
  const double hours = static_cast<double>(step) / kSecondsPerHour;
  for (UtcSeconds t = from + step / 2; t < to; t += step) fn(t, hours);
}

// The hour-weighted average of value_at(t) over the sample instants of
// [from, to); `none` when no instant falls inside.
template <typename Fn>
double AverageOver(UtcSeconds from, UtcSeconds to, Fn&& value_at, double none) {
  double sum = 0, hours = 0;
  Sample(from, to, [&](UtcSeconds at, double h) {
    sum += value_at(at) * h;
    hours += h;
  });
  return hours > 0 ? sum / hours : none;
}

double RampAt(const std::vector<RampStep>& ramp, UtcSeconds t) {
  double landed = ramp.empty() ? 1.0 : 0.0;
  for (const auto& s : ramp)
    if (s.at <= t) landed = s.fraction;
  return landed;
}

// Landed share of an offer's signed chips at t (0 outside the contract).
double OfferLandedAt(const Offer& o, UtcSeconds t) {
  if (t < o.start || t >= o.End()) return 0.0;
  return RampAt(o.landing_ramp, t);
}

double UsdPerChipHour(const Fleet& fleet, const ChipType& chip, std::optional<double> per_chip_hour,
                      std::optional<double> per_mw_month) {
  if (per_chip_hour) return *per_chip_hour;
  if (per_mw_month) return *per_mw_month * chip.FacilityMwPerChip(fleet.allocation.pue) / kHoursPerMonth;
  return 0.0;
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const double h = (static_cast<double>(v.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(v.size() - 1, lo + 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

}  // namespace

const char* TerminalValueRuleName(TerminalValueRule r) {
  return r == TerminalValueRule::kLastMonth ? "last-month" : "none";
}

StatusOr<TerminalValueRule> ParseTerminalValueRule(const std::string& name) {
  if (name == "last-month") return TerminalValueRule::kLastMonth;
  if (name == "none") return TerminalValueRule::kNone;
  return Status::Invalid("--terminal-value: expected last-month or none, got \"" + name + "\"");
}

double TerminalCurve::Slope(int k) const {
  const double dq = chips[k + 1] - chips[k];
  return dq > 0 ? (value_usd[k + 1] - value_usd[k]) / dq : 0.0;
}

double TerminalCurve::Intercept(int k) const { return value_usd[k] - Slope(k) * chips[k]; }

double TerminalCurve::ValueAt(double q) const {
  if (empty()) return 0.0;
  int k = 0;
  while (k + 1 < segments() && q > chips[k + 1]) ++k;
  return value_usd[k] + Slope(k) * (q - chips[k]);
}

double TerminalCurve::SlopeAbove(double q) const {
  if (empty()) return 0.0;
  const double tol = 1e-9 * std::max(1.0, chips.back());
  int k = 0;
  while (k + 1 < segments() && q >= chips[k + 1] - tol) ++k;
  return Slope(k);
}

double TerminalCurve::SlopeBelow(double q) const {
  if (empty()) return 0.0;
  const double tol = 1e-9 * std::max(1.0, chips.back());
  int k = 0;
  while (k + 1 < segments() && q > chips[k + 1] + tol) ++k;
  return Slope(k);
}

TerminalCurve ConcaveCurve(const std::vector<double>& chips, const std::vector<double>& value_usd) {
  TerminalCurve c;
  c.chips = chips;
  c.value_usd = value_usd;
  for (size_t i = 1; i < c.value_usd.size(); ++i)
    c.value_usd[i] = std::max(c.value_usd[i], c.value_usd[i - 1]);
  // Upper hull (monotone chain over increasing chips), then every point on it.
  std::vector<size_t> hull;
  for (size_t i = 0; i < c.chips.size(); ++i) {
    while (hull.size() >= 2) {
      const size_t a = hull[hull.size() - 2], b = hull.back();
      // b is under the chord from a to i: drop it.
      const double cross = (c.chips[b] - c.chips[a]) * (c.value_usd[i] - c.value_usd[a]) -
                           (c.value_usd[b] - c.value_usd[a]) * (c.chips[i] - c.chips[a]);
      if (cross >= 0)
        hull.pop_back();
      else
        break;
    }
    hull.push_back(i);
  }
  std::vector<double> v = c.value_usd;
  for (size_t h = 0; h + 1 < hull.size(); ++h) {
    const size_t a = hull[h], b = hull[h + 1];
    for (size_t i = a + 1; i < b; ++i)
      v[i] = c.value_usd[a] +
             (c.value_usd[b] - c.value_usd[a]) * (c.chips[i] - c.chips[a]) / (c.chips[b] - c.chips[a]);
  }
  c.value_usd = std::move(v);
  return c;
}

const TerminalCurve* TerminalCurveOf(const PlanProblem& pr, const PlanScenario& s, int o) {
  if (s.terminal_curve.size() != pr.offers.size() || s.terminal_curve[o].empty()) return nullptr;
  return &s.terminal_curve[o];
}

double TerminalValueUsd(const PlanProblem& pr, const PlanScenario& s, int o, double chips) {
  if (const TerminalCurve* c = TerminalCurveOf(pr, s, o)) return c->ValueAt(chips);
  if (s.terminal_usd_per_usable_chip_hour.size() != pr.offers.size()) return 0.0;
  return s.terminal_usd_per_usable_chip_hour[o] * pr.offers[o].terminal_usable_chip_hours_per_chip * chips;
}

double TerminalSlopeUsdPerChip(const PlanProblem& pr, const PlanScenario& s, int o, double chips,
                               bool above) {
  if (const TerminalCurve* c = TerminalCurveOf(pr, s, o))
    return above ? c->SlopeAbove(chips) : c->SlopeBelow(chips);
  if (s.terminal_usd_per_usable_chip_hour.size() != pr.offers.size()) return 0.0;
  return s.terminal_usd_per_usable_chip_hour[o] * pr.offers[o].terminal_usable_chip_hours_per_chip;
}

double TerminalNetUsdPerChip(const PlanProblem& pr, const PlanScenario& s, int o) {
  if (s.terminal_usd_per_usable_chip_hour.size() != pr.offers.size()) return 0.0;
  const PlanOffer& po = pr.offers[o];
  return s.terminal_usd_per_usable_chip_hour[o] * po.terminal_usable_chip_hours_per_chip -
         po.terminal_payment_usd_per_chip;
}

int PlanProblem::num_links() const {
  int n = 0;
  for (const auto& o : offers) n += o.on_demand ? 0 : 1;
  return n + (has_cvar() ? 1 : 0);
}

int PlanProblem::link_of_offer(int o) const {
  if (offers[o].on_demand) return -1;
  int n = 0;
  for (int i = 0; i < o; ++i) n += offers[i].on_demand ? 0 : 1;
  return n;
}

int PlanProblem::eta_link() const { return has_cvar() ? num_links() - 1 : -1; }

StatusOr<PlanProblem> BuildPlanProblem(const Fleet& fleet) {
  const PlanSettings& ps = fleet.plan;
  PlanProblem pr;
  pr.fleet_name = fleet.name;
  pr.file = fleet.file;
  if (ps.start == 0)
    return Status::Invalid(fleet.file + ": plan.start: no start month (set plan.start or forecast.start)");
  if (ps.horizon_months < 1)
    return Status::Invalid(fleet.file + ": plan.horizon_months: expected at least 1");
  const int T = ps.horizon_months;
  pr.months = T;
  const UtcSeconds start = StartOfMonth(ps.start);
  for (int t = 0; t <= T; ++t) pr.month_start.push_back(AddMonths(start, t));
  for (int t = 0; t < T; ++t)
    pr.hours.push_back(static_cast<double>(pr.month_start[t + 1] - pr.month_start[t]) / kSecondsPerHour);
  pr.settings.risk_aversion = ps.risk_aversion;
  pr.settings.cvar_alpha = ps.cvar_alpha;
  pr.settings.cash_floor_usd = ps.cash_floor_usd;
  pr.settings.initial_cash_usd = ps.initial_cash_usd;
  pr.settings.cash_shortfall_penalty = ps.cash_shortfall_penalty;
  pr.settings.unserved_share_limit = ps.unserved_share_limit;
  pr.cash_floor_loc = ps.cash_floor_loc;
  pr.committed_cost_usd.assign(T, 0.0);
  pr.operating_cost_usd.assign(T, 0.0);
  pr.financing_usd.assign(T, 0.0);
  for (int t = 0; t < T; ++t)
    pr.operating_cost_usd[t] =
        ps.operating_cost_usd_per_month * std::pow(1.0 + ps.operating_cost_monthly_growth, t);
  for (const auto& f : ps.financing) {
    if (f.date < pr.month_start.front() || f.date >= pr.month_start.back())
      return Status::FromDiagnostics(
          {{fleet.file, f.loc.line, f.loc.column, f.path,
            FormatDate(f.date) + " is outside the planned months " + FormatMonth(pr.month_start.front()) +
                ".." + FormatMonth(pr.month_start[T - 1]) +
                ": cash raised before them belongs in plan.initial_cash_usd"}});
    int t = 0;
    while (pr.month_start[t + 1] <= f.date) ++t;
    pr.financing_usd[t] += f.usd;
  }

  AllocationInstance& inst = pr.instance;
  for (int t = 0; t < T; ++t) inst.periods.push_back({pr.month_start[t], pr.hours[t]});
  inst.switch_cost_usd_per_chip = 0;  // monthly aggregate: moving chips within a month is free

  // Pools: one per (chip type, per-use rate). Take-or-pay capacity of one
  // chip type is interchangeable at the monthly level, so it is one pool.
  std::map<std::pair<std::string, double>, int> pool_of;
  auto pool_for = [&](const std::string& chip_id, double per_use) -> int {
    auto key = std::make_pair(chip_id, per_use);
    auto it = pool_of.find(key);
    if (it != pool_of.end()) return it->second;
    const ChipType* chip = fleet.FindChip(chip_id);
    AllocationInstance::PoolIn p;
    p.id = chip_id + (per_use > 0 ? "@" + std::to_string(static_cast<int>(pool_of.size())) : "");
    p.chip_type = chip_id;
    p.interconnect_domain_chips = chip != nullptr ? chip->interconnect_domain_chips : 1;
    p.capacity_chips.assign(T, 0.0);
    p.usd_per_chip_hour = per_use;
    inst.pools.push_back(std::move(p));
    pr.pool_chip_type.push_back(chip_id);
    pr.per_use_usd_per_chip_hour.push_back(per_use);
    const int index = static_cast<int>(inst.pools.size()) - 1;
    pool_of[key] = index;
    return index;
  };

  for (const Pool& pool : fleet.pools) {
    const Contract* c = fleet.FindContract(pool.contract);
    const double price = fleet.PoolUsdPerChipHour(pool);
    const bool per_use = c != nullptr && c->kind == ContractKind::kOnDemand;
    const int p = pool_for(pool.chip_type, per_use ? price : 0.0);
    for (int t = 0; t < T; ++t) {
      double chip_hours = 0, landed_chip_hours = 0;
      Sample(pr.month_start[t], pr.month_start[t + 1], [&](UtcSeconds at, double h) {
        const double cap = fleet.PoolCapacityAt(pool, at);
        chip_hours += cap * h;
        landed_chip_hours += (pool.availability > 0 ? cap / pool.availability : 0.0) * h;
      });
      inst.pools[p].capacity_chips[t] += chip_hours / pr.hours[t];
      if (!per_use) pr.committed_cost_usd[t] += price * landed_chip_hours;
    }
  }

  for (size_t i = 0; i < fleet.offers.size(); ++i) {
    const Offer& o = fleet.offers[i];
    const ChipType* chip = fleet.FindChip(o.chip_type);
    if (chip == nullptr)
      return Status::Invalid(fleet.file + ": offers[" + std::to_string(i) +
                             "].chip_type: unknown chip type \"" + o.chip_type + "\"");
    PlanOffer po;
    po.id = o.id;
    po.fleet_index = static_cast<int>(i);
    po.chip_type = o.chip_type;
    po.provider = o.provider;
    po.kind = o.kind;
    po.unit = o.unit;
    po.on_demand = o.kind == ContractKind::kOnDemand;
    const double mw_per_chip = chip->FacilityMwPerChip(fleet.allocation.pue);
    po.chips_per_unit = o.unit == QuantityUnit::kMw ? (mw_per_chip > 0 ? 1.0 / mw_per_chip : 0.0) : 1.0;
    po.max_chips = o.quantity * po.chips_per_unit;
    po.all_or_nothing = !o.divisible;
    po.min_chips = o.divisible ? o.min_quantity * po.chips_per_unit : 0.0;
    po.usd_per_chip_hour = UsdPerChipHour(fleet, *chip, o.usd_per_chip_hour, o.usd_per_mw_month);
    po.availability = o.availability;
    po.prepayment_fraction = o.prepayment_fraction;
    po.per_use_usd_per_chip_hour =
        o.power_usd_per_mwh * mw_per_chip + (po.on_demand ? po.usd_per_chip_hour : 0.0);
    po.landed.assign(T, 0.0);
    po.in_window.assign(T, 0.0);
    for (int t = 0; t < T; ++t) {
      double landed = 0, window = 0;
      Sample(pr.month_start[t], pr.month_start[t + 1], [&](UtcSeconds at, double h) {
        landed += OfferLandedAt(o, at) * h;
        window += (at >= o.start && at < o.End() ? 1.0 : 0.0) * h;
      });
      po.landed[t] = landed / pr.hours[t];
      po.in_window[t] = window / pr.hours[t];
    }
    double contract_landed_hours = 0;
    Sample(o.start, o.End(),
           [&](UtcSeconds at, double h) { contract_landed_hours += OfferLandedAt(o, at) * h; });
    po.prepayment_usd_per_chip =
        po.on_demand ? 0.0 : o.prepayment_fraction * po.usd_per_chip_hour * contract_landed_hours;
    po.contract_months = o.duration_months;
    double horizon_landed_hours = 0;
    for (int t = 0; t < T; ++t) {
      horizon_landed_hours += po.landed[t] * pr.hours[t];
      po.months_in_horizon += po.in_window[t] > 0 ? 1 : 0;
    }
    po.payment_share_in_horizon =
        contract_landed_hours > 0 ? horizon_landed_hours / contract_landed_hours : 1.0;
    if (!po.on_demand)
      for (int k = 0; AddMonths(pr.month_start[T], k) < o.End(); ++k) {
        const UtcSeconds from = AddMonths(pr.month_start[T], k), to = AddMonths(pr.month_start[T], k + 1);
        double landed_hours = 0;
        Sample(from, to, [&](UtcSeconds at, double h) { landed_hours += OfferLandedAt(o, at) * h; });
        if (landed_hours <= 0) continue;
        ++po.terminal_months;
        po.terminal_payment_usd_per_chip += po.usd_per_chip_hour * landed_hours;
        po.terminal_usable_chip_hours_per_chip +=
            po.availability * landed_hours * std::pow(0.5, (k + 0.5) / kTerminalValueHalvingMonths);
      }
    for (const auto& opt : o.options) {
      PlanOffer::Option x;
      x.kind = opt.kind;
      x.notice_months = opt.notice_months;
      x.max_fraction = opt.kind == OptionKind::kTerminate ? 1.0 : opt.max_fraction;
      x.usd_per_chip_hour = opt.usd_per_chip_hour.value_or(po.usd_per_chip_hour);
      x.fee_usd_per_chip = opt.fee_usd_per_chip;
      po.options.push_back(x);
    }
    po.pool = pool_for(o.chip_type, po.per_use_usd_per_chip_hour);
    if (po.on_demand)
      for (int t = 0; t < T; ++t)
        inst.pools[po.pool].capacity_chips[t] += po.availability * po.landed[t] * po.max_chips;
    pr.offers.push_back(std::move(po));
  }

  // Models: listed prices, throughput per pool; demand filled per scenario.
  for (const ServedModel& m : fleet.models) {
    AllocationInstance::ModelIn mi;
    mi.id = m.id;
    mi.usd_per_output_token = m.usd_per_output_token();
    for (const auto& chip : pr.pool_chip_type) {
      auto it = m.output_tokens_per_s_per_chip.find(chip);
      mi.output_tokens_per_s_per_chip.push_back(it == m.output_tokens_per_s_per_chip.end() ? 0.0
                                                                                           : it->second);
    }
    mi.demand_output_tokens.assign(T, 0.0);
    inst.models.push_back(std::move(mi));
    std::vector<double> factor(T, 1.0);
    if (const ServingDemand* d = fleet.FindDemand(m.id))
      for (const auto& c : d->growth.price_changes)
        for (int t = 0; t < T; ++t)
          if (StartOfMonth(c.date) <= pr.month_start[t]) factor[t] *= 1.0 + c.price_change_fraction;
    pr.price_factor.push_back(std::move(factor));
    std::vector<double> speed(T, 1.0);
    for (int t = 0; t < T; ++t)
      speed[t] = AverageOver(
          pr.month_start[t], pr.month_start[t + 1],
          [&](UtcSeconds at) { return ThroughputMultiplierAt(fleet, m, at); }, 1.0);
    pr.throughput_factor.push_back(std::move(speed));
  }

  double max_value_per_chip_hour = 1.0;
  for (size_t m = 0; m < inst.models.size(); ++m) {
    double f = 0;
    for (int t = 0; t < T; ++t) f = std::max(f, pr.price_factor[m][t] * pr.throughput_factor[m][t]);
    for (double tps : inst.models[m].output_tokens_per_s_per_chip)
      max_value_per_chip_hour =
          std::max(max_value_per_chip_hour, inst.models[m].usd_per_output_token * f * tps * 3600);
  }
  double min_floor_efficiency = 1.0;
  for (const WorkloadClass& w : fleet.workloads) {
    AllocationInstance::WorkloadIn wi;
    wi.id = w.id;
    wi.kind = w.kind;
    wi.team = w.team;
    if (w.kind == WorkloadKind::kServe)
      for (size_t m = 0; m < fleet.models.size(); ++m)
        if (fleet.models[m].id == w.model) wi.served_model = static_cast<int>(m);
    for (const auto& chip : pr.pool_chip_type) wi.efficiency.push_back(w.EfficiencyOn(chip));
    wi.gang_size_chips = 0;
    wi.floor_effective_chips = w.floor_effective_chips;
    if (!w.floor_schedule.empty()) {
      // A floor on a schedule: each month requires its average.
      wi.floor_effective_chips = 0;
      for (int t = 0; t < T; ++t) {
        wi.floor_effective_chips_by_period.push_back(AverageOver(
            pr.month_start[t], pr.month_start[t + 1],
            [&](UtcSeconds at) { return FloorEffectiveChipsAt(fleet, w, at); }, 0.0));
        wi.floor_effective_chips =
            std::max(wi.floor_effective_chips, wi.floor_effective_chips_by_period.back());
      }
    }
    wi.floor_window_periods = 1;
    wi.bids = w.bids;
    for (const auto& b : w.bids)
      max_value_per_chip_hour = std::max(max_value_per_chip_hour, b.usd_per_effective_chip_hour * 5.0);
    if (w.has_floor())
      for (const auto& e : w.eligible)
        if (e.efficiency_h100_equiv > 0)
          min_floor_efficiency = std::min(min_floor_efficiency, e.efficiency_h100_equiv);
    inst.workloads.push_back(std::move(wi));
  }
  // Floors several classes share: each month requires its average.
  for (const SharedFloor& f : fleet.floors) {
    AllocationInstance::SharedFloorIn g;
    g.id = f.name;
    for (const auto& id : f.workloads)
      for (size_t w = 0; w < fleet.workloads.size(); ++w)
        if (fleet.workloads[w].id == id) {
          g.workloads.push_back(static_cast<int>(w));
          for (const auto& e : fleet.workloads[w].eligible)
            if (e.efficiency_h100_equiv > 0)
              min_floor_efficiency = std::min(min_floor_efficiency, e.efficiency_h100_equiv);
        }
    for (int t = 0; t < T; ++t)
      g.effective_chips_by_period.push_back(AverageOver(
          pr.month_start[t], pr.month_start[t + 1],
          [&](UtcSeconds at) { return SharedFloorEffectiveChipsAt(fleet, f, at); }, 0.0));
    g.window_periods = 1;
    inst.shared_floors.push_back(std::move(g));
  }
  // The floor is hard: its shortfall must cost more than any chip-hour earns
  // and more than any offer's chip-hour costs, so that the program signs
  // capacity for a floor rather than leave it short whenever it can.
  double max_cost_per_chip_hour = 0;
  for (const auto& o : pr.offers) {
    max_cost_per_chip_hour =
        std::max(max_cost_per_chip_hour, o.usd_per_chip_hour + o.per_use_usd_per_chip_hour);
    for (const auto& opt : o.options)
      max_cost_per_chip_hour =
          std::max(max_cost_per_chip_hour, opt.usd_per_chip_hour + o.per_use_usd_per_chip_hour);
  }
  pr.settings.floor_penalty_usd_per_effective_chip_hour =
      10.0 * std::max(max_value_per_chip_hour, max_cost_per_chip_hour) / min_floor_efficiency;
  FUNGIBLE_RETURN_IF_ERROR(ValidateInstance(inst));
  return pr;
}

namespace {

PlanScenario ScenarioFrom(const DemandModel& dm, const PlanProblem& pr, const std::vector<int>& model_tier,
                          const std::vector<int>& workload_tier,
                          const std::function<double(int, int)>& log_multiple) {
  PlanScenario s;
  const int T = pr.months;
  s.demand_output_tokens.assign(model_tier.size(), std::vector<double>(T, 0.0));
  s.bid_multiple.assign(workload_tier.size(), std::vector<double>(T, 1.0));
  for (size_t m = 0; m < model_tier.size(); ++m)
    if (model_tier[m] >= 0)
      for (int t = 0; t < T; ++t)
        s.demand_output_tokens[m][t] =
            MonthlyOutputTokens(dm, model_tier[m], t + 1, log_multiple(model_tier[m], t + 1));
  for (size_t w = 0; w < workload_tier.size(); ++w)
    if (workload_tier[w] >= 0)
      for (int t = 0; t < T; ++t) s.bid_multiple[w][t] = std::exp(log_multiple(workload_tier[w], t + 1));
  return s;
}

}  // namespace

StatusOr<ConeScenarios> DrawConeScenarios(const Fleet& fleet, const PlanProblem& pr,
                                          const std::vector<double>& quantiles, int threads) {
  ForecastOptions fo = ForecastOptionsFromSpec(fleet);
  fo.horizon_months = pr.months;
  fo.start = AddMonths(pr.month_start[0], -1);  // the cone's month 1 is the first planned month
  fo.threads = threads;
  if (fleet.demand.empty() && fleet.class_growth.empty())
    return Status::Invalid(fleet.file +
                           ": demand: the plan needs serving demand (demand[]) to value capacity");
  auto dm = BuildDemandModel(fleet, fo);
  if (!dm.ok()) return dm.status();
  const ScenarioSet set = GenerateScenarios(*dm, fo);

  std::vector<int> model_tier, workload_tier;
  for (const auto& m : pr.instance.models) model_tier.push_back(dm->FindTier(m.id));
  for (const auto& w : pr.instance.workloads) {
    const int tier = dm->FindTier(w.id);
    workload_tier.push_back(tier >= 0 && dm->tiers[tier].kind == TierKind::kClass ? tier : -1);
  }

  ConeScenarios out;
  out.drawn = set.scenarios;
  const int k = fleet.plan.scenarios;
  std::vector<int> picks;
  std::vector<double> weights;
  if (k >= set.scenarios) {
    for (int i = 0; i < set.scenarios; ++i) {
      picks.push_back(i);
      weights.push_back(1.0 / set.scenarios);
    }
  } else {
    ReduceOptions ro;
    ro.seed = fo.seed;
    ro.threads = threads;
    auto red = ReduceScenarios(set, k, ro);
    if (!red.ok()) return red.status();
    picks = red->indices;
    weights = red->weights;
    out.reduction_distance = red->distance;
  }
  for (size_t r = 0; r < picks.size(); ++r) {
    const int i = picks[r];
    PlanScenario s = ScenarioFrom(*dm, pr, model_tier, workload_tier,
                                  [&](int tier, int month) { return set.LogMultiple(tier, month, i); });
    s.name = "s" + std::to_string(i);
    s.source_index = i;
    s.probability = weights[r];
    out.representatives.push_back(std::move(s));
  }
  // Representatives in the order drawn, so that output reads by scenario number.
  std::stable_sort(
      out.representatives.begin(), out.representatives.end(),
      [](const PlanScenario& a, const PlanScenario& b) { return a.source_index < b.source_index; });
  for (double q : quantiles) {
    std::vector<std::vector<double>> path(static_cast<size_t>(dm->num_tiers()),
                                          std::vector<double>(pr.months + 1, 0));
    for (int tier = 0; tier < dm->num_tiers(); ++tier)
      for (int month = 1; month <= pr.months; ++month) {
        const double* col = set.Column(tier, month);
        path[tier][month] = Quantile(std::vector<double>(col, col + set.scenarios), q);
      }
    PlanScenario s = ScenarioFrom(*dm, pr, model_tier, workload_tier,
                                  [&](int tier, int month) { return path[tier][month]; });
    char name[16];
    std::snprintf(name, sizeof name, "P%.0f", q * 100);
    s.name = name;
    s.probability = 1.0;
    out.quantile_paths.push_back(std::move(s));
  }
  return out;
}

PlanScenario MeanScenario(const PlanProblem& pr, const std::vector<PlanScenario>& scenarios) {
  PlanScenario mean;
  mean.name = "mean";
  mean.probability = 1.0;
  const size_t M = pr.instance.models.size(), W = pr.instance.workloads.size();
  const int T = pr.months;
  mean.demand_output_tokens.assign(M, std::vector<double>(T, 0.0));
  mean.bid_multiple.assign(W, std::vector<double>(T, 0.0));
  double total = 0;
  for (const auto& s : scenarios) total += s.probability;
  for (const auto& s : scenarios) {
    const double p = total > 0 ? s.probability / total : 0.0;
    for (size_t m = 0; m < M; ++m)
      for (int t = 0; t < T; ++t) mean.demand_output_tokens[m][t] += p * s.demand_output_tokens[m][t];
    for (size_t w = 0; w < W; ++w)
      for (int t = 0; t < T; ++t) mean.bid_multiple[w][t] += p * s.bid_multiple[w][t];
    if (s.terminal_usd_per_usable_chip_hour.size() == pr.offers.size()) {
      mean.terminal_usd_per_usable_chip_hour.resize(pr.offers.size(), 0.0);
      for (size_t o = 0; o < pr.offers.size(); ++o)
        mean.terminal_usd_per_usable_chip_hour[o] += p * s.terminal_usd_per_usable_chip_hour[o];
    }
  }
  // Curves: the mean of the scenarios' values (curve or rate) at every
  // point any of them has; a mean of concave curves is concave.
  for (size_t o = 0; o < pr.offers.size(); ++o) {
    std::vector<double> points;
    for (const auto& s : scenarios)
      if (const TerminalCurve* c = TerminalCurveOf(pr, s, static_cast<int>(o)))
        points.insert(points.end(), c->chips.begin(), c->chips.end());
    if (points.empty()) continue;
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    mean.terminal_curve.resize(pr.offers.size());
    TerminalCurve& m = mean.terminal_curve[o];
    m.chips = points;
    m.value_usd.assign(points.size(), 0.0);
    for (const auto& s : scenarios)
      for (size_t i = 0; i < points.size(); ++i)
        m.value_usd[i] += (total > 0 ? s.probability / total : 0.0) *
                          TerminalValueUsd(pr, s, static_cast<int>(o), points[i]);
  }
  return mean;
}

PlanProblem WithScenarios(const PlanProblem& problem, std::vector<PlanScenario> scenarios) {
  PlanProblem out = problem;
  double total = 0;
  for (const auto& s : scenarios) total += s.probability;
  for (auto& s : scenarios) s.probability = total > 0 ? s.probability / total : 1.0 / scenarios.size();
  out.scenarios = std::move(scenarios);
  return out;
}

}  // namespace fungible

// The world of a run: settings, demand, capacity and failures hour by hour,
// the engine's view of pools and workloads, shared events, the ledger.
#include "simulate/internal/world.h"

#include <algorithm>

#include "allocate/allocate.h"
#include "util/parallel.h"
#include "util/text.h"

namespace fungible::simulate_internal {
namespace {

constexpr double kHoursPerMonth = 730.0;

// z with Phi(z) = q, by bisection on erfc (called once per run).
double NormalScore(double q) {
  double lo = -10, hi = 10;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (0.5 * std::erfc(-mid / std::sqrt(2.0)) < q)
      lo = mid;
    else
      hi = mid;
  }
  return 0.5 * (lo + hi);
}

// Chips a contract pays for in the hour at t: landed, under contract
// (availability removed from PoolCapacityAt).
double PaidChips(const Fleet& fleet, const Pool& pool, UtcSeconds t) {
  if (pool.availability > 0) return fleet.PoolCapacityAt(pool, t) / pool.availability;
  Pool all_up = pool;
  all_up.availability = 1.0;
  return fleet.PoolCapacityAt(all_up, t);
}

// Capacity hour by hour for `span` hours; failures kept only where a pool
// has chips.
void BuildCapacity(const Fleet& fleet, int span, World& wd) {
  wd.paid.assign(static_cast<size_t>(wd.num_pools), std::vector<double>(static_cast<size_t>(span)));
  wd.base_cap.assign(static_cast<size_t>(wd.num_pools), std::vector<int>(static_cast<size_t>(span)));
  wd.failed.assign(static_cast<size_t>(wd.num_pools), std::vector<int>(static_cast<size_t>(span), 0));
  for (int p = 0; p < wd.num_pools; ++p)
    for (int h = 0; h < span; ++h) {
      const UtcSeconds t = wd.TimeOf(h);
      wd.paid[p][h] = PaidChips(fleet, fleet.pools[p], t);
      wd.base_cap[p][h] = static_cast<int>(std::floor(fleet.PoolCapacityAt(fleet.pools[p], t) + 1e-9));
    }
  // A pool fails only while it has chips (before its contract starts or
  // after it ends there is nothing to fail).
  {
    std::vector<FailureEvent> kept;
    for (const auto& f : wd.failures)
      if (wd.base_cap[f.pool][f.start_hour] > 0) kept.push_back(f);
    wd.failures = kept;
  }
  for (const auto& f : wd.failures)
    for (int h = f.start_hour; h < f.end_hour; ++h)
      wd.failed[f.pool][h] =
          std::max(wd.failed[f.pool][h], static_cast<int>(std::llround(f.fraction * wd.base_cap[f.pool][h])));
}

// The engine's view of pools and workloads: one pool per chip type, two
// where gangs run on partial domains.
Status BuildEngineView(const Fleet& fleet, World& wd) {
  const UtcSeconds start = wd.start;
  {
    AllocateOptions ao;
    ao.from = start;
    ao.hours = 1;
    auto shape = BuildInstance(fleet, ao);
    if (!shape.ok()) return shape.status();
    wd.shape = std::move(*shape);
  }
  wd.base_tps.assign(static_cast<size_t>(wd.num_models),
                     std::vector<double>(static_cast<size_t>(wd.num_pools), 0.0));
  for (int m = 0; m < wd.num_models; ++m)
    for (int p = 0; p < wd.num_pools; ++p)
      wd.base_tps[m][p] = wd.shape.models[m].output_tokens_per_s_per_chip[p];
  wd.agg_of.assign(static_cast<size_t>(wd.num_pools), -1);
  for (int p = 0; p < wd.num_pools; ++p) {
    for (int a = 0; a < wd.num_aggs && wd.agg_of[p] < 0; ++a)
      if (fleet.pools[wd.agg_members[a].front()].chip_type == fleet.pools[p].chip_type) wd.agg_of[p] = a;
    if (wd.agg_of[p] < 0) {
      wd.agg_of[p] = wd.num_aggs++;
      wd.agg_members.emplace_back();
    }
    wd.agg_members[wd.agg_of[p]].push_back(p);
  }
  wd.eff.assign(static_cast<size_t>(wd.num_workloads),
                std::vector<double>(static_cast<size_t>(wd.num_pools), 0.0));
  wd.fit.assign(static_cast<size_t>(wd.num_workloads),
                std::vector<GangFit>(static_cast<size_t>(wd.num_pools)));
  wd.served_model.assign(static_cast<size_t>(wd.num_workloads), -1);
  for (int w = 0; w < wd.num_workloads; ++w) {
    wd.served_model[w] = wd.shape.workloads[w].served_model;
    for (int p = 0; p < wd.num_pools; ++p) {
      wd.fit[w][p] = GangFitOn(wd.shape.workloads[w], wd.shape.pools[p]);
      if (IsEligible(wd.shape, w, p)) wd.eff[w][p] = EffectivePerChip(wd.shape, w, p);
    }
  }

  // Engine pools: a chip type with domains of several chips that some gang
  // class can use gets a second pool for its partial domains.
  for (int a = 0; a < wd.num_aggs; ++a) {
    const int p0 = wd.agg_members[a].front();
    bool gangs = false;
    for (int w = 0; w < wd.num_workloads; ++w) gangs = gangs || (wd.fit[w][p0].is_gang && wd.eff[w][p0] > 0);
    wd.engine.push_back({a, false});
    if (gangs && wd.shape.pools[p0].interconnect_domain_chips > 1) wd.engine.push_back({a, true});
  }
  wd.num_engine_pools = static_cast<int>(wd.engine.size());
  return Status::Ok();
}

// Shared events: launches, landings and contract ends, failures.
void AddSharedEvents(const Fleet& fleet, World& wd) {
  const UtcSeconds start = wd.start;
  const UtcSeconds end = wd.TimeOf(wd.hours);
  for (const auto& l : wd.paths.launches)
    if (l.date >= start && l.date < end)
      wd.events.push_back({l.date, "launch", l.model,
                           "demand x" + Fmt("%.3f", l.demand_multiplier) + " (median x" +
                               Fmt("%.3f", l.multiplier_median) + "), throughput x" +
                               Fmt("%.3f", l.throughput_multiplier)});
  for (int p = 0; p < wd.num_pools; ++p)
    for (int h = 1; h < wd.hours; ++h) {
      const double a = wd.paid[p][h - 1], b = wd.paid[p][h];
      if (a == b) continue;
      const std::string kind = a == 0   ? "contract_start"
                               : b == 0 ? "contract_end"
                               : b > a  ? "landing"
                                        : "reduction";
      wd.events.push_back(
          {wd.TimeOf(h), kind, fleet.pools[p].id,
           Fmt("%.0f", a) + " -> " + Fmt("%.0f", b) + " chips paid for (" + fleet.pools[p].contract + ")"});
    }
  for (const auto& f : wd.failures) {
    const int down = wd.failed[f.pool][f.start_hour];
    wd.events.push_back(
        {wd.TimeOf(f.start_hour), "failure", fleet.pools[f.pool].id,
         std::to_string(down) + " of " + std::to_string(wd.base_cap[f.pool][f.start_hour]) +
             " chips down for " + std::to_string(f.end_hour - f.start_hour) + "h" +
             (f.injected ? " (injected)" : " (MTBF " + Fmt("%.0f", fleet.pools[f.pool].mtbf_hours) + "h)")});
    if (f.end_hour < wd.hours)
      wd.events.push_back({wd.TimeOf(f.end_hour), "repair", fleet.pools[f.pool].id, "back up"});
  }
  std::stable_sort(wd.events.begin(), wd.events.end(),
                   [](const SimEvent& a, const SimEvent& b) { return a.at < b.at; });
}

// The ledger: launches credited to model development.
void SetLedger(const Fleet& fleet, World& wd) {
  const auto& st = wd.st;
  const UtcSeconds start = wd.start;
  wd.layout = LedgerLayoutFromFleet(fleet);
  wd.ledger_options.start = start;
  wd.ledger_options.hours = wd.hours;
  wd.ledger_options.model_development_lag_hours = st.model_development_lag_months * kHoursPerMonth;
  wd.ledger_options.value_horizon_hours = st.value_horizon_months * kHoursPerMonth;
  for (const auto& l : wd.paths.launches) {
    LaunchCredit c;
    c.date = l.date;
    c.model = l.model;
    c.demand_multiplier = l.demand_multiplier;
    // Revenue without the launch x (multiplier - 1), for the months credited.
    const double uplift = std::max(0.0, l.demand_multiplier - 1.0) / l.demand_multiplier *
                          l.month_revenue_usd * st.model_development_uplift_months;
    c.credit_usd = st.model_development_value_share * uplift;
    wd.ledger_options.launches.push_back(c);
  }
}

}  // namespace

Status SetUpWorld(const Fleet& fleet, const SimulateOptions& o, World& wd) {
  wd.fleet = &fleet;
  wd.st = fleet.simulate;
  if (o.resolve_every_hours) wd.st.resolve_every_hours = *o.resolve_every_hours;
  if (o.horizon_hours) wd.st.horizon_hours = *o.horizon_hours;
  if (o.period_hours) wd.st.period_hours = *o.period_hours;
  if (o.integer_gangs) wd.st.integer_gangs = *o.integer_gangs;
  const auto& st = wd.st;
  if (st.resolve_every_hours < 1 || st.period_hours < 1 || st.horizon_hours < st.resolve_every_hours ||
      st.resolve_every_hours % st.period_hours != 0 || st.horizon_hours % st.period_hours != 0)
    return Status::Invalid("simulate: expected 1 <= period_hours dividing resolve_every_hours (" +
                           std::to_string(st.resolve_every_hours) + ") and horizon_hours (" +
                           std::to_string(st.horizon_hours) + "), horizon >= resolve; period " +
                           std::to_string(st.period_hours));
  if (o.policies.empty()) return Status::Invalid("simulate: no policy to run");
  wd.mip_time_limit_s = o.mip_time_limit_s;
  if (!(st.serving_quantile >= 0.5 && st.serving_quantile < 1))
    return Status::Invalid("simulate.serving_quantile: expected a quantile in [0.5, 1), got " +
                           std::to_string(st.serving_quantile));
  wd.serving_z = NormalScore(st.serving_quantile);
  wd.on_resolve = o.on_resolve;
  wd.threads = ResolveThreads(o.threads);
  UtcSeconds start = o.start != 0 ? o.start : fleet.simulate.start;
  if (start == 0) start = StartOfMonth(fleet.forecast.start);
  if (start == 0 && !fleet.demand.empty()) start = StartOfMonth(fleet.demand.front().as_of);
  if (start % kSecondsPerHour != 0)
    return Status::Invalid("simulate: the start must be a whole hour, got " + FormatUtc(start));
  wd.start = start;
  if (o.hours > 0) {
    wd.hours = o.hours;
  } else {
    if (o.months < 1 || o.months > 120)
      return Status::Invalid("--months: expected 1 to 120 months, got " + std::to_string(o.months));
    wd.hours =
        static_cast<int>((AddMonths(StartOfMonth(start), o.months) - StartOfMonth(start)) / kSecondsPerHour);
    wd.hours -= static_cast<int>((start - StartOfMonth(start)) / kSecondsPerHour);
  }
  wd.num_pools = static_cast<int>(fleet.pools.size());
  wd.num_workloads = static_cast<int>(fleet.workloads.size());
  wd.num_models = static_cast<int>(fleet.models.size());
  if (wd.num_pools == 0) return Status::Invalid(fleet.file + ": the fleet has no pools to simulate");
  return Status::Ok();
}

Status BuildWorld(const Fleet& fleet, const SimulateOptions& o, World& wd, SimulationResult& res) {
  const auto& st = wd.st;
  const UtcSeconds start = wd.start;
  const int ahead = std::max(st.horizon_hours, st.resolve_every_hours);
  const int span = wd.hours + ahead;
  auto t0 = SteadyClock::now();
  auto paths = BuildDemandPaths(fleet, o.demand, start, span, o.token_mix_file);
  if (!paths.ok()) return paths.status();
  wd.paths = std::move(*paths);
  res.scenario_seconds = SecondsSince(t0);
  res.model_ids = wd.paths.model_ids;
  res.launches = wd.paths.launches;
  res.hourly_recalibration = wd.paths.hourly_recalibration;
  // What the planner's quantile becomes on each recalibrated noise.
  for (auto& r : res.hourly_recalibration) {
    const auto at = std::find(wd.paths.model_ids.begin(), wd.paths.model_ids.end(), r.model);
    r.planning_quantile = st.serving_quantile;
    r.planning_band_factor =
        wd.paths.PlanningBandFactor(static_cast<int>(at - wd.paths.model_ids.begin()), wd.serving_z);
  }
  res.trace = wd.paths.trace;

  auto failures = ScheduleFailures(fleet, start, wd.hours, res.seed, o.injected_failures);
  if (!failures.ok()) return failures.status();
  if (!o.random_failures) {
    std::vector<FailureEvent> kept;
    for (const auto& f : *failures)
      if (f.injected) kept.push_back(f);
    *failures = kept;
  }
  wd.failures = *failures;
  BuildCapacity(fleet, span, wd);
  res.failures = wd.failures;
  FUNGIBLE_RETURN_IF_ERROR(BuildEngineView(fleet, wd));
  AddSharedEvents(fleet, wd);
  SetLedger(fleet, wd);
  return Status::Ok();
}

}  // namespace fungible::simulate_internal

// The hourly loop, the four policies and the summary. The allocation is
// always the engine's own: BuildInstance() for the window, adjusted to what
// the simulator knows at that hour, then Solve().
#include "simulate/simulate.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "allocate/allocate.h"
#include "allocate/instance.h"
#include "simulate/window_demand.h"
#include "util/text.h"

namespace fungible {
namespace {

using Clock = std::chrono::steady_clock;
double Since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A floor the LP cannot meet becomes a bid worth more than any chip-hour
// earns elsewhere, so the re-solve still gives it all it can.
constexpr double kFloorAsBidUsdPerEffectiveChipHour = 1e4;
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

bool LosesWorkOnFailure(WorkloadKind k) {
  return k == WorkloadKind::kPretrain || k == WorkloadKind::kRl || k == WorkloadKind::kResearch;
}

// Chips a contract pays for in the hour at t: landed, under contract
// (availability removed from PoolCapacityAt).
double PaidChips(const Fleet& fleet, const Pool& pool, UtcSeconds t) {
  if (pool.availability > 0) return fleet.PoolCapacityAt(pool, t) / pool.availability;
  Pool all_up = pool;
  all_up.availability = 1.0;
  return fleet.PoolCapacityAt(all_up, t);
}

// Everything the policies share: the scenario, capacity and failures hour by
// hour, throughput per pool, efficiencies.
struct World {
  const Fleet* fleet = nullptr;
  SimulateSettings st;
  UtcSeconds start = 0;
  int hours = 0;  // run
  int num_pools = 0, num_workloads = 0, num_models = 0;
  double mip_time_limit_s = 20;
  int threads = 1;
  std::function<void(Policy, int, int)> on_resolve;  // progress (SimulateOptions::on_resolve)
  double serving_z = 0;                              // standard-normal score of settings.serving_quantile
  ScenarioPaths paths;                               // hours + horizon
  std::vector<FailureEvent> failures;
  std::vector<std::vector<double>> paid;      // [p][h], h < hours + horizon
  std::vector<std::vector<int>> base_cap;     // [p][h]: floor(PoolCapacityAt)
  std::vector<std::vector<int>> failed;       // [p][h]: chips down by failures (realised)
  std::vector<std::vector<double>> base_tps;  // [m][p]: spec tokens/s per chip (0 = cannot serve)
  AllocationInstance shape;                   // the engine's view of pools and workloads (efficiency, gangs)
  std::vector<std::vector<double>> eff;       // [w][p]: effective H100-eq per chip (0 = ineligible)
  std::vector<std::vector<GangFit>> fit;      // [w][p]
  std::vector<int> served_model;              // [w]: model index or -1
  // The engine sees one pool per chip type (pools of a type are
  // interchangeable to the LP); plans are spread back over pools stably.
  std::vector<int> agg_of;                    // [p]: aggregate index
  std::vector<std::vector<int>> agg_members;  // [a]: pools, in spec order
  int num_aggs = 0;
  // The engine's pools: per chip type, its whole interconnect domains (pool
  // by pool) and, where gangs run on that type, the chips left over in
  // partial domains as a second pool gangs cannot use. So the LP counts the
  // domains the pools really have, not those of their sum.
  struct EnginePool {
    int agg = 0;
    bool partial_domains = false;
  };
  std::vector<EnginePool> engine;
  int num_engine_pools = 0;
  std::vector<SimEvent> events;  // shared, by time
  LedgerLayout layout;
  LedgerOptions ledger_options;

  UtcSeconds TimeOf(int h) const { return start + static_cast<UtcSeconds>(h) * kSecondsPerHour; }
  int Up(int p, int h) const { return std::max(0, base_cap[p][h] - failed[p][h]); }
  // Up as known at hour h0: failures that began by h0 are known with their
  // repair time; later ones are not.
  int KnownUp(int p, int h, int h0) const {
    int down = 0;
    for (const auto& f : failures) {
      if (f.pool != p || f.start_hour > h0 || f.end_hour <= h) continue;
      if (f.start_hour > h) continue;
      down = std::max(down, static_cast<int>(std::llround(f.fraction * base_cap[p][h])));
    }
    return std::max(0, base_cap[p][h] - down);
  }
};

// ---- Instances for the engine ----

// The engine's instance for [h0, h0 + hours) in periods of `period` hours,
// adjusted to what is known at h0.
StatusOr<AllocationInstance> InstanceAt(const World& wd, int h0, int hours, int period) {
  AllocateOptions ao;
  ao.from = wd.TimeOf(h0);
  ao.hours = hours;
  ao.period_hours = period;
  auto inst = BuildInstance(*wd.fleet, ao);
  if (!inst.ok()) return inst.status();
  const int T = hours / period;
  for (int p = 0; p < wd.num_pools; ++p)
    for (int t = 0; t < T; ++t) {
      int cap = wd.KnownUp(p, h0 + t * period, h0);
      for (int k = 1; k < period; ++k) cap = std::min(cap, wd.KnownUp(p, h0 + t * period + k, h0));
      inst->pools[p].capacity_chips[t] = cap;
    }
  // Demand, prices, throughput and bids: the scenario's, as the forecast
  // known at h0 has them (the same code path as allocate's window demand).
  for (int m = 0; m < wd.num_models; ++m)
    for (int p = 0; p < wd.num_pools; ++p)
      inst->models[m].output_tokens_per_s_per_chip[p] = wd.base_tps[m][p];
  ApplyScenarioPaths(
      wd.paths, h0, period, [&](int m, int k) { return wd.paths.PlanningForecast(m, h0, k, wd.serving_z); },
      *inst);
  // One pool per chip type (two where gangs run: whole domains and partial
  // ones): capacities add up; throughput, efficiency and interconnect domains
  // are the chip type's. Contract prices do not enter the objective (they are
  // sunk), so a mean is enough for reporting.
  AllocationInstance agg = *inst;
  agg.pools.clear();
  for (int e = 0; e < wd.num_engine_pools; ++e) {
    const auto& ep = wd.engine[e];
    const auto& members = wd.agg_members[ep.agg];
    AllocationInstance::PoolIn pi = inst->pools[members.front()];
    const double d = std::max(1, pi.interconnect_domain_chips);
    pi.id = pi.chip_type + (ep.partial_domains ? "/partial-domains" : "");
    std::fill(pi.capacity_chips.begin(), pi.capacity_chips.end(), 0.0);
    double usd = 0;
    const bool split = wd.engine.size() > static_cast<size_t>(e + 1) && wd.engine[e + 1].agg == ep.agg;
    for (int p : members) {
      for (int t = 0; t < T; ++t) {
        const double cap = inst->pools[p].capacity_chips[t];
        const double whole = std::floor(cap / d + 1e-9) * d;
        pi.capacity_chips[t] += ep.partial_domains ? cap - whole : (split ? whole : cap);
      }
      usd += inst->pools[p].usd_per_chip_hour / members.size();
    }
    pi.usd_per_chip_hour = usd;
    agg.pools.push_back(std::move(pi));
  }
  for (auto& m : agg.models) {
    std::vector<double> tps(static_cast<size_t>(wd.num_engine_pools));
    for (int e = 0; e < wd.num_engine_pools; ++e)
      tps[e] = m.output_tokens_per_s_per_chip[wd.agg_members[wd.engine[e].agg].front()];
    m.output_tokens_per_s_per_chip = tps;
  }
  for (auto& w : agg.workloads) {
    std::vector<std::optional<double>> eff(static_cast<size_t>(wd.num_engine_pools));
    for (int e = 0; e < wd.num_engine_pools; ++e)
      if (!(wd.engine[e].partial_domains && w.gang_size_chips > 0))
        eff[e] = w.efficiency[wd.agg_members[wd.engine[e].agg].front()];
    // A serving class without listed chips keeps the engine's default: every
    // chip its model runs on, except that nothing is set.
    const bool any =
        std::any_of(w.efficiency.begin(), w.efficiency.end(), [](const auto& v) { return v.has_value(); });
    if (!any) std::fill(eff.begin(), eff.end(), std::nullopt);
    w.efficiency = eff;
  }
  return agg;
}

// The engine's chips summed per chip type: totals[a][w][t]; `sides` engine
// pool blocks of E (no-repurpose solves serving and the rest side by side).
std::vector<std::vector<std::vector<int>>> Totals(const World& wd, const AllocationResult& r, int sides) {
  const int T = static_cast<int>(r.periods.size());
  std::vector<std::vector<std::vector<int>>> totals(
      static_cast<size_t>(wd.num_aggs),
      std::vector<std::vector<int>>(static_cast<size_t>(wd.num_workloads), std::vector<int>(T, 0)));
  for (int side = 0; side < sides; ++side)
    for (int e = 0; e < wd.num_engine_pools; ++e)
      for (int w = 0; w < wd.num_workloads; ++w)
        for (int t = 0; t < T; ++t)
          totals[wd.engine[e].agg][w][t] += r.chips[side * wd.num_engine_pools + e][w][t];
  return totals;
}

// Spreads the engine's chips per chip type over that type's pools, hour by
// hour, changing as little as possible from the hour before: every class
// first keeps the chips it had on each pool (as far as the new totals and the
// pool's chips up allow), then the rest go to pools with room, in spec order.
// Gangs move as whole gangs. `serve_quota` (no-repurpose: chips of each pool
// reserved for serving, -1 = none) keeps serving and the rest on their sides.
// totals[a][w][t]; plan[(p * W + w) * K + k] for hours h0 .. h0 + K - 1.
// Returns the chip-hours it could not place (whole gangs that fit no pool).
long Disaggregate(const World& wd, const std::vector<std::vector<std::vector<int>>>& totals, int period,
                  int h0, int K, const std::vector<int>& serve_quota, const std::vector<int>& before,
                  std::vector<int>& plan) {
  long unplaced = 0;
  const int P = wd.num_pools, W = wd.num_workloads;
  std::vector<int> prev = before;
  std::vector<int> free0(static_cast<size_t>(P)), free1(static_cast<size_t>(P));
  std::vector<int> left(static_cast<size_t>(W));
  for (int k = 0; k < K; ++k) {
    const int t = k / period;
    for (int p = 0; p < P; ++p) {
      const int up = wd.KnownUp(p, h0 + k, h0);
      const int serve = serve_quota.empty() ? up : std::min(up, serve_quota[p]);
      free0[p] = serve;  // serving side (everything when there are no sides)
      free1[p] = up - serve;
    }
    for (int a = 0; a < wd.num_aggs; ++a) {
      const auto& pools = wd.agg_members[a];
      std::vector<int> saved0, saved1;
      for (int p : pools) saved0.push_back(free0[p]), saved1.push_back(free1[p]);
      // First keeping every class where it was; if some gang then fits
      // nowhere, again with the gangs packed afresh (largest first, best fit).
      for (int attempt = 0; attempt < 2; ++attempt) {
        const bool sticky_gangs = attempt == 0;
        if (attempt == 1) {
          for (size_t i = 0; i < pools.size(); ++i) {
            free0[pools[i]] = saved0[i];
            free1[pools[i]] = saved1[i];
            for (int w = 0; w < W; ++w) plan[(pools[i] * W + w) * K + k] = 0;
          }
        }
        for (int w = 0; w < W; ++w) left[w] = totals[a][w][t];
        auto room = [&](int p, int w) -> int& {
          return serve_quota.empty() || wd.served_model[w] >= 0 ? free0[p] : free1[p];
        };
        auto unit_of = [&](int w, int p) {
          const GangFit& g = wd.fit[w][p];
          return g.is_gang ? std::max(1, static_cast<int>(std::lround(g.chips_per_gang))) : 1;
        };
        // Gang classes first, largest gangs first (they are the hard part of
        // the packing), then elastic classes in spec order.
        std::vector<int> order;
        for (int w = 0; w < W; ++w)
          if (wd.fit[w][pools.front()].is_gang) order.push_back(w);
        std::stable_sort(order.begin(), order.end(),
                         [&](int x, int y) { return unit_of(x, pools.front()) > unit_of(y, pools.front()); });
        const size_t n_gang = order.size();
        for (int w = 0; w < W; ++w)
          if (!wd.fit[w][pools.front()].is_gang) order.push_back(w);
        // Pass 0: keep what each class had on each pool.
        for (int w : order)
          for (int p : pools) {
            if (!sticky_gangs && wd.fit[w][p].is_gang) break;
            if (left[w] <= 0) break;
            const int unit = unit_of(w, p);
            int& r = room(p, w);
            const int n = std::min({prev[p * W + w], left[w], r}) / unit * unit;
            if (n <= 0) continue;
            plan[(p * W + w) * K + k] = n;
            r -= n;
            left[w] -= n;
          }
        // Pass 1: the rest; gangs one at a time into the pool they fit most
        // tightly (best fit), elastic chips wherever there is room.
        for (size_t i = 0; i < order.size(); ++i) {
          const int w = order[i];
          if (i < n_gang) {
            const int unit = unit_of(w, pools.front());
            while (left[w] >= unit) {
              int best = -1;
              for (int p : pools)
                if (room(p, w) >= unit && (best < 0 || room(p, w) < room(best, w))) best = p;
              if (best < 0) break;
              plan[(best * W + w) * K + k] += unit;
              room(best, w) -= unit;
              left[w] -= unit;
            }
            continue;
          }
          for (int p : pools) {
            if (left[w] <= 0) break;
            int& r = room(p, w);
            const int n = std::min(left[w], r);
            if (n <= 0) continue;
            plan[(p * W + w) * K + k] += n;
            r -= n;
            left[w] -= n;
          }
        }
        // A gang that found no pool with room for it whole: make room where
        // elastic chips sit, and move those chips to the room left elsewhere.
        for (int w = 0; w < W; ++w) {
          if (!wd.fit[w][pools.front()].is_gang) continue;
          const int unit = unit_of(w, pools.front());
          while (left[w] >= unit) {
            int best = -1, best_room = -1;
            for (int p : pools) {
              int movable = room(p, w);
              for (int v = 0; v < W; ++v)
                if (!wd.fit[v][p].is_gang && &room(p, v) == &room(p, w)) movable += plan[(p * W + v) * K + k];
              if (movable >= unit && movable > best_room) best = p, best_room = movable;
            }
            if (best < 0) break;
            int& r = room(best, w);
            int evicted = 0;
            std::vector<int> moved(static_cast<size_t>(W), 0);
            for (int v = W - 1; v >= 0 && r + evicted < unit; --v) {
              if (wd.fit[v][best].is_gang || &room(best, v) != &r) continue;
              const int take = std::min(plan[(best * W + v) * K + k], unit - r - evicted);
              plan[(best * W + v) * K + k] -= take;
              moved[v] += take;
              evicted += take;
            }
            r += evicted;
            plan[(best * W + w) * K + k] += unit;
            r -= unit;
            left[w] -= unit;
            for (int v = 0; v < W; ++v)
              for (int p : pools) {
                if (moved[v] <= 0) break;
                if (p == best) continue;
                int& rv = room(p, v);
                const int n = std::min(moved[v], rv);
                plan[(p * W + v) * K + k] += n;
                rv -= n;
                moved[v] -= n;
              }
          }
        }
        bool stuck = false;
        for (int w = 0; w < W; ++w) stuck = stuck || (wd.fit[w][pools.front()].is_gang && left[w] > 0);
        if (!stuck || attempt == 1) break;
      }
      for (int w = 0; w < W; ++w) unplaced += left[w];
    }
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) prev[p * W + w] = plan[(p * W + w) * K + k];
  }
  return unplaced;
}

// Floors the fleet cannot meet become top bids of their size.
void FloorsToBids(AllocationInstance& inst) {
  for (auto& w : inst.workloads) {
    if (w.floor_effective_chips <= 0) continue;
    w.bids.insert(w.bids.begin(), BidStep{w.floor_effective_chips, kFloorAsBidUsdPerEffectiveChipHour});
    w.floor_effective_chips = 0;
    w.floor_effective_chips_by_period.clear();
  }
}

// What a re-solve decided for [h0, h0 + K): chips per chip type, workload
// and period, and for no-repurpose each pool's chips reserved for serving. A
// pure function of what is known at h0 (demand observed so far, capacity with
// the failures under repair), not of earlier decisions, so re-solves can run
// on several threads and still give the same result.
struct Decision {
  Status status;
  std::vector<std::vector<std::vector<int>>> totals;  // [a][w][t]
  int period = 1;
  std::vector<int> serve_quota;  // [p]; empty = none
  std::vector<SimEvent> events;
  SimProfile prof;
  int resolves = 0;
  int infeasible = 0;
};

struct Planner {
  const World* wd;
  Policy policy;
  std::vector<SimEvent>* events;
  SimProfile* prof;
  int resolves = 0;
  int infeasible = 0;
  // For the next solve: whole domains of the member pools behind each of the
  // instance's pools, per period ([pool][t][member]; empty = unknown).
  std::vector<std::vector<std::vector<double>>> member_domains{};

  // Whole domains of each chip type's pools for periods of `period` hours
  // from h0 (the least over the period's hours), for the engine pools `e` of
  // an instance (`sides` = 2: a serving side, which runs no gangs, then the
  // rest, whose pools give `quota` chips to serving).
  void SetMemberDomains(int h0, int T, int period, int sides, const std::vector<int>& quota) {
    member_domains.assign(static_cast<size_t>(sides * wd->num_engine_pools), {});
    for (int side = 0; side < sides; ++side)
      for (int e = 0; e < wd->num_engine_pools; ++e) {
        if (wd->engine[e].partial_domains || (sides == 2 && side == 0)) continue;
        auto& md = member_domains[static_cast<size_t>(side * wd->num_engine_pools + e)];
        md.assign(static_cast<size_t>(T), {});
        for (int t = 0; t < T; ++t)
          for (int p : wd->agg_members[wd->engine[e].agg]) {
            int up = wd->KnownUp(p, h0 + t * period, h0);
            for (int k = 1; k < period; ++k) up = std::min(up, wd->KnownUp(p, h0 + t * period + k, h0));
            if (!quota.empty()) up = std::max(0, up - quota[p]);
            md[t].push_back(std::floor(
                up / static_cast<double>(std::max(1, wd->shape.pools[p].interconnect_domain_chips))));
          }
      }
  }

  // Solve() as configured: the MIP with whole gangs, or (the default) the LP
  // relaxation with its gangs rounded to whole gangs within whole domains.
  StatusOr<AllocationResult> SolveWholeGangs(const AllocationInstance& inst) {
    AllocateOptions ao;
    ao.integer_gangs = wd->st.integer_gangs;
    ao.mip_time_limit_s = wd->mip_time_limit_s;
    auto t0 = Clock::now();
    auto r = Solve(inst, ao);
    prof->solve_seconds += Since(t0);
    if (!r.ok() || ao.integer_gangs || r->status == SolveStatus::kInfeasible) return r;
    const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size());
    const int T = static_cast<int>(inst.periods.size());
    std::vector<int> gangs;
    for (int w = 0; w < W; ++w)
      if (inst.workloads[w].gang_size_chips > 0) gangs.push_back(w);
    if (gangs.empty()) return r;
    // Whole gangs: the relaxation's rounded down, then added one at a time
    // (see below), packed into whole domains of one member pool.
    // Free whole domains of each member pool behind engine pool p in period t
    // (one member holding them all when the caller gave none): a gang of
    // several domains must find them in one pool.
    std::vector<std::vector<std::vector<double>>> free(static_cast<size_t>(P),
                                                       std::vector<std::vector<double>>(T));
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < T; ++t) {
        if (p < static_cast<int>(member_domains.size()) && !member_domains[p].empty()) {
          free[p][t].assign(member_domains[p][t].begin(), member_domains[p][t].end());
        } else {
          free[p][t] = {std::floor(
              inst.pools[p].capacity_chips[t] / std::max(1, inst.pools[p].interconnect_domain_chips) + 1e-9)};
        }
      }
    // Places one gang into the member with the least room that fits it.
    auto place = [&](const GangFit& f, int p, int t) {
      const double need = f.domains_per_gang > 0 ? f.domains_per_gang : 1.0 / std::max(1, f.gangs_per_domain);
      int best = -1;
      auto& members = free[p][t];
      for (int i = 0; i < static_cast<int>(members.size()); ++i)
        if (members[i] >= need - 1e-9 && (best < 0 || members[i] < members[best])) best = i;
      if (best < 0) return false;
      members[best] -= need;
      return true;
    };
    std::vector<std::vector<std::vector<int>>> count(
        gangs.size(), std::vector<std::vector<int>>(static_cast<size_t>(P), std::vector<int>(T, 0)));
    // Largest gangs first: they are the hard part of the packing.
    std::vector<size_t> by_size(gangs.size());
    for (size_t g = 0; g < gangs.size(); ++g) by_size[g] = g;
    std::stable_sort(by_size.begin(), by_size.end(), [&](size_t a, size_t b) {
      return inst.workloads[gangs[a]].gang_size_chips > inst.workloads[gangs[b]].gang_size_chips;
    });
    // What a chip of each elastic class earns on pool p (USD per chip-hour):
    // the chips a gang displaces are the cheapest ones where it lands.
    std::vector<std::vector<double>> value(static_cast<size_t>(P),
                                           std::vector<double>(static_cast<size_t>(W), 0.0));
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) {
        const auto& wl = inst.workloads[w];
        if (wl.gang_size_chips > 0) continue;
        double v = 0;
        if (wl.served_model >= 0)
          v = inst.models[wl.served_model].usd_per_output_token *
              inst.models[wl.served_model].output_tokens_per_s_per_chip[p] * 3600.0;
        for (const auto& b : wl.bids)
          v = std::max(v, b.usd_per_effective_chip_hour * EffectivePerChip(inst, w, p));
        value[p][w] = v;
      }
    // Chips in use per pool and period as gangs are rounded.
    std::vector<std::vector<double>> used(static_cast<size_t>(P), std::vector<double>(T, 0.0));
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < T; ++t)
        for (int w = 0; w < W; ++w) used[p][t] += r->chips[p][w][t];
    // Value lost per hour by `extra` more chips on (p, t): they come from idle
    // chips first, then from the elastic classes earning least.
    std::vector<std::pair<double, int>> sorted;
    auto displaced_usd = [&](int p, int t, double extra) {
      const double cap = inst.pools[p].capacity_chips[t];
      double skip = std::max(0.0, used[p][t] - cap);
      double need = std::max(0.0, used[p][t] + extra - cap) - skip;
      if (need <= 0) return 0.0;
      sorted.clear();
      for (int w = 0; w < W; ++w)
        if (inst.workloads[w].gang_size_chips == 0 && r->chips[p][w][t] > 0)
          sorted.push_back({value[p][w], r->chips[p][w][t]});
      std::sort(sorted.begin(), sorted.end());
      double usd = 0;
      for (const auto& [v, chips] : sorted) {
        double c = chips;
        const double s = std::min(skip, c);
        skip -= s;
        c -= s;
        const double take = std::min(need, c);
        usd += take * v;
        need -= take;
        if (need <= 0) break;
      }
      return usd + need * 1e9;  // nothing left to displace: effectively impossible
    };
    // Value of `more` effective chips for a class holding `have`, per hour,
    // on its concave bid curve.
    auto bid_gain = [](const AllocationInstance::WorkloadIn& wl, double have, double more) {
      double v = 0, lo = 0;
      for (const auto& b : wl.bids) {
        const double hi = lo + b.effective_chips;
        const double a = std::max(lo, have), z = std::min(hi, have + more);
        if (z > a) v += (z - a) * b.usd_per_effective_chip_hour;
        lo = hi;
      }
      return v;
    };
    for (size_t g : by_size) {
      const int w = gangs[g];
      const auto& wl = inst.workloads[w];
      const int len =
          wl.floor_effective_chips > 0 && wl.floor_window_periods > 0 ? wl.floor_window_periods : T;
      std::vector<double> have(static_cast<size_t>(T), 0.0);  // effective chips of w per period
      for (int s0 = 0; s0 < T; s0 += len) {
        const int s1 = std::min(T, s0 + len);
        double floor_need = 0, got = 0;
        std::vector<std::pair<int, int>> cands;  // (p, t)
        if (wl.floor_effective_chips > 0) floor_need = FloorRequiredEffectiveChipHours(inst, w, s0, s1 - 1);
        for (int p = 0; p < P; ++p) {
          const GangFit f = GangFitOn(wl, inst.pools[p]);
          if (!f.is_gang || !IsEligible(inst, w, p)) continue;
          const double e = EffectivePerChip(inst, w, p);
          for (int t = s0; t < s1; ++t) {
            const double relaxed = r->chips[p][w][t] / f.chips_per_gang;
            const int want = static_cast<int>(std::floor(relaxed + 1e-9));
            int n = 0;
            while (n < want && place(f, p, t)) ++n;
            count[g][p][t] = n;
            used[p][t] += n * f.chips_per_gang - r->chips[p][w][t];
            got += n * f.chips_per_gang * e * inst.periods[t].hours;
            have[t] += n * f.chips_per_gang * e;
            cands.push_back({p, t});
          }
        }
        // Whole gangs one at a time: first until the floor window is met,
        // where a gang displaces the least value per effective chip-hour it
        // adds; then wherever its bids are worth more than what it displaces.
        for (int phase = 0; phase < 2; ++phase) {
          while (phase == 1 || got < floor_need - 1e-6 * std::max(1.0, floor_need)) {
            int best = -1;
            double best_score = 0;
            for (size_t i = 0; i < cands.size(); ++i) {
              const auto [p, t] = cands[i];
              const GangFit f = GangFitOn(wl, inst.pools[p]);
              const double e = EffectivePerChip(inst, w, p), h = inst.periods[t].hours;
              const double cost = displaced_usd(p, t, f.chips_per_gang) * h;
              // Phase 0 minimises cost per effective chip-hour; phase 1
              // maximises net value (bids gained less value displaced).
              const double score = phase == 0 ? -cost / (f.chips_per_gang * e * h)
                                              : bid_gain(wl, have[t], f.chips_per_gang * e) * h - cost;
              if (best < 0 || score > best_score) best = static_cast<int>(i), best_score = score;
            }
            if (best < 0 || (phase == 1 && best_score <= 1e-9)) break;
            const auto [p, t] = cands[static_cast<size_t>(best)];
            const GangFit f = GangFitOn(wl, inst.pools[p]);
            if (!place(f, p, t)) {
              cands.erase(cands.begin() + best);  // no whole domains left there
              continue;
            }
            const double e = EffectivePerChip(inst, w, p);
            ++count[g][p][t];
            used[p][t] += f.chips_per_gang;
            got += f.chips_per_gang * e * inst.periods[t].hours;
            have[t] += f.chips_per_gang * e;
          }
        }
      }
    }
    // The relaxation's plan stays for everything else; where the whole gangs
    // took more chips than the relaxation gave them, the classes earning
    // least per chip there give way. (Re-solving the rest around the fixed
    // gangs gained 0.04% revenue on the benchmark fleet for twice the time.)
    std::vector<int> order;
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < T; ++t) {
        double in_use = 0;
        for (int w = 0; w < W; ++w) in_use += r->chips[p][w][t];
        for (size_t g = 0; g < gangs.size(); ++g) {
          const GangFit f = GangFitOn(inst.workloads[gangs[g]], inst.pools[p]);
          const int chips = static_cast<int>(std::lround(count[g][p][t] * f.chips_per_gang));
          in_use += chips - r->chips[p][gangs[g]][t];
          r->chips[p][gangs[g]][t] = chips;
        }
        if (in_use <= inst.pools[p].capacity_chips[t] + 1e-9) continue;
        order.clear();
        for (int w = 0; w < W; ++w)
          if (inst.workloads[w].gang_size_chips == 0 && r->chips[p][w][t] > 0) order.push_back(w);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return value[p][a] < value[p][b]; });
        for (int w : order) {
          if (in_use <= inst.pools[p].capacity_chips[t] + 1e-9) break;
          const int take =
              std::min(r->chips[p][w][t],
                       static_cast<int>(std::ceil(in_use - inst.pools[p].capacity_chips[t] - 1e-9)));
          r->chips[p][w][t] -= take;
          in_use -= take;
        }
      }
    return r;
  }

  // Solves `inst`; an infeasible instance is explained in the events and
  // re-solved with its floors as top bids.
  StatusOr<AllocationResult> SolveLogged(AllocationInstance inst, int h0, const char* what) {
    auto r = SolveWholeGangs(inst);
    if (!r.ok())
      return r.status().WithContext(std::string(PolicyName(policy)) + " re-solve at " +
                                    FormatUtc(wd->TimeOf(h0)));
    ++resolves;
    prof->lp_rows_max = std::max(prof->lp_rows_max, r->lp_rows);
    prof->lp_columns_max = std::max(prof->lp_columns_max, r->lp_columns);
    if (r->status == SolveStatus::kInfeasible) {
      ++infeasible;
      for (const auto& why : r->infeasibility)
        events->push_back({wd->TimeOf(h0), "infeasible", PolicyName(policy), why.message});
      FloorsToBids(inst);
      r = SolveWholeGangs(inst);
      if (!r.ok())
        return r.status().WithContext(std::string(PolicyName(policy)) + " re-solve at " +
                                      FormatUtc(wd->TimeOf(h0)));
      events->push_back({wd->TimeOf(h0), "resolve", PolicyName(policy),
                         std::string(what) + " with floors as top bids: " + SolveStatusName(r->status) +
                             ", " + std::to_string(r->lp_rows) + " rows x " + std::to_string(r->lp_columns) +
                             " columns"});
    } else {
      events->push_back({wd->TimeOf(h0), "resolve", PolicyName(policy),
                         std::string(what) + ": " + SolveStatusName(r->status) + ", objective $" +
                             Fmt("%.0f", r->objective_usd) + ", " + std::to_string(r->lp_rows) + " rows x " +
                             std::to_string(r->lp_columns) + " columns"});
    }
    return r;
  }

  // The static split for [h0, h0 + K): one period; serving valued by its
  // demand curve over the K forecast hours.
  StatusOr<AllocationResult> StaticSplit(int h0, int K) {
    auto t0 = Clock::now();
    auto inst = InstanceAt(*wd, h0, K, K);
    if (!inst.ok()) return inst.status();
    std::vector<int> classes_per_model(static_cast<size_t>(wd->num_models), 0);
    for (int w = 0; w < wd->num_workloads; ++w)
      if (wd->served_model[w] >= 0) ++classes_per_model[wd->served_model[w]];
    for (int w = 0; w < wd->num_workloads; ++w) {
      const int m = wd->served_model[w];
      if (m < 0) continue;
      auto& wl = inst->workloads[w];
      const auto& mi = inst->models[m];
      double ref = 0;
      for (int a = 0; a < wd->num_engine_pools; ++a)
        if (IsEligible(*inst, w, a)) ref = std::max(ref, mi.output_tokens_per_s_per_chip[a]);
      std::vector<std::optional<double>> e(static_cast<size_t>(wd->num_engine_pools));
      for (int a = 0; a < wd->num_engine_pools; ++a)
        if (ref > 0 && IsEligible(*inst, w, a)) e[a] = mi.output_tokens_per_s_per_chip[a] / ref;
      wl.efficiency = e;
      wl.served_model = -1;
      if (ref <= 0) continue;
      // Hour j of K sorted by demand: the slice of capacity between the
      // (j+1)-th and j-th highest hour serves j hours of K.
      std::vector<double> level(static_cast<size_t>(K));
      for (int k = 0; k < K; ++k)
        level[k] =
            wd->paths.PlanningForecast(m, h0, k, wd->serving_z) / classes_per_model[m] / (ref * 3600.0);
      std::sort(level.begin(), level.end(), std::greater<double>());
      std::vector<BidStep> bids;
      const double usd_per_chip_hour = mi.usd_per_output_token * ref * 3600.0;
      for (int j = K; j >= 1; --j) {
        const double q = level[j - 1] - (j < K ? level[j] : 0.0);
        if (q > 0) bids.push_back({q, usd_per_chip_hour * j / K});
      }
      for (const auto& b : wl.bids) bids.push_back(b);
      std::stable_sort(bids.begin(), bids.end(), [](const BidStep& a, const BidStep& b) {
        return a.usd_per_effective_chip_hour > b.usd_per_effective_chip_hour;
      });
      wl.bids = bids;
    }
    prof->build_seconds += Since(t0);
    SetMemberDomains(h0, 1, K, 1, {});
    return SolveLogged(std::move(*inst), h0, "static split");
  }

  // The decision for hours h0 .. h0 + K - 1.
  Status Replan(int h0, int K, Decision& out) {
    const int P = wd->num_pools, W = wd->num_workloads, A = wd->num_aggs, E = wd->num_engine_pools;
    const int H = std::max(K, wd->st.horizon_hours);
    const int period = wd->st.period_hours;
    if (policy == Policy::kStatic) {
      auto r = StaticSplit(h0, K);
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 1);
      out.period = K;
      return Status::Ok();
    }
    std::vector<int> serve_chips(static_cast<size_t>(E), 0);  // per engine pool
    std::vector<int> quota;
    if (policy == Policy::kNoRepurpose) {
      auto r = StaticSplit(h0, K);
      if (!r.ok()) return r.status();
      std::vector<int> serve_type(static_cast<size_t>(A), 0);
      for (int e = 0; e < E; ++e)
        for (int w = 0; w < W; ++w)
          if (wd->served_model[w] >= 0) serve_type[wd->engine[e].agg] += r->chips[e][w][0];
      // The serving chips of each type: in partial domains first (serving is
      // elastic), then whole domains; pool by pool, smallest pools first, so
      // the rest side keeps the large pools whole for gangs.
      for (int e = E - 1; e >= 0; --e) {
        const int a = wd->engine[e].agg;
        double cap = 0;
        for (int p : wd->agg_members[a]) {
          const double up = wd->KnownUp(p, h0, h0);
          const double d = std::max(1, wd->shape.pools[p].interconnect_domain_chips);
          const bool split = wd->engine[e].partial_domains || (e + 1 < E && wd->engine[e + 1].agg == a);
          const double whole = std::floor(up / d + 1e-9) * d;
          cap += wd->engine[e].partial_domains ? up - whole : (split ? whole : up);
        }
        serve_chips[e] = std::min(serve_type[a], static_cast<int>(cap));
        serve_type[a] -= serve_chips[e];
      }
      quota.assign(static_cast<size_t>(P), 0);
      for (int a = 0; a < A; ++a) {
        std::vector<int> order = wd->agg_members[a];
        std::stable_sort(order.begin(), order.end(),
                         [&](int x, int y) { return wd->KnownUp(x, h0, h0) < wd->KnownUp(y, h0, h0); });
        int rest = 0;
        for (int e = 0; e < E; ++e)
          if (wd->engine[e].agg == a) rest += serve_chips[e];
        for (int p : order) {
          quota[p] = std::min(rest, wd->KnownUp(p, h0, h0));
          rest -= quota[p];
        }
      }
    }
    auto t0 = Clock::now();
    auto inst = InstanceAt(*wd, h0, H, period);
    if (!inst.ok()) return inst.status();
    const int T = H / period;
    if (policy == Policy::kNoRepurpose) {
      // Each engine pool becomes a serving side and a rest side; chips never cross.
      AllocationInstance split = *inst;
      split.pools.clear();
      for (int side = 0; side < 2; ++side)
        for (int e = 0; e < E; ++e) {
          AllocationInstance::PoolIn pi = inst->pools[e];
          pi.id += side == 0 ? "/serve" : "/rest";
          for (int t = 0; t < T; ++t) {
            const double cap = inst->pools[e].capacity_chips[t];
            const double serve = std::min<double>(serve_chips[e], cap);
            pi.capacity_chips[t] = side == 0 ? serve : cap - serve;
          }
          split.pools.push_back(std::move(pi));
        }
      for (int w = 0; w < W; ++w) {
        auto& eff = split.workloads[w].efficiency;
        const bool serving = wd->served_model[w] >= 0;
        std::vector<std::optional<double>> both(static_cast<size_t>(2 * E));
        for (int e = 0; e < E; ++e) {
          // A serving class keeps its eligibility on the serving side; the
          // engine's default (no eligibility listed) becomes explicit.
          std::optional<double> v = eff[e];
          if (serving && !v && IsEligible(*inst, w, e)) v = 1.0;
          (serving ? both[e] : both[E + e]) = v;
        }
        eff = both;
      }
      for (auto& mi : split.models) {
        std::vector<double> tps(static_cast<size_t>(2 * E), 0.0);
        for (int e = 0; e < E; ++e) tps[e] = mi.output_tokens_per_s_per_chip[e];
        mi.output_tokens_per_s_per_chip = tps;
      }
      prof->build_seconds += Since(t0);
      SetMemberDomains(h0, T, period, 2, quota);
      auto r = SolveLogged(std::move(split), h0, "hourly within fixed serving split");
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 2);
    } else {
      prof->build_seconds += Since(t0);
      SetMemberDomains(h0, T, period, 1, {});
      auto r = SolveLogged(std::move(*inst), h0, "rolling horizon " + std::to_string(H) + "h");
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 1);
    }
    out.period = period;
    out.serve_quota = std::move(quota);
    return Status::Ok();
  }

  StatusOr<AllocationResult> SolveLogged(AllocationInstance inst, int h0, const std::string& what) {
    return SolveLogged(std::move(inst), h0, what.c_str());
  }

  // Greedy, for the hour h, on the chips up now.
  void Greedy(int h, std::vector<int>& chips) {
    auto t0 = Clock::now();
    const int P = wd->num_pools, W = wd->num_workloads;
    chips.assign(static_cast<size_t>(P * W), 0);
    std::vector<int> avail(static_cast<size_t>(P));
    for (int p = 0; p < P; ++p) avail[p] = wd->Up(p, h);
    // Up to `want` effective chips for w, best chips first; returns what it got.
    auto take = [&](int w, double want) {
      std::vector<int> order;
      for (int p = 0; p < P; ++p)
        if (wd->eff[w][p] > 0) order.push_back(p);
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return wd->eff[w][a] > wd->eff[w][b]; });
      double got = 0;
      for (int p : order) {
        if (got >= want - 1e-9) break;
        const GangFit& f = wd->fit[w][p];
        const int unit = f.is_gang ? static_cast<int>(std::lround(f.chips_per_gang)) : 1;
        const double per_unit = wd->eff[w][p] * unit;
        int units = static_cast<int>(std::ceil((want - got) / per_unit - 1e-9));
        units = std::min(units, avail[p] / unit);
        if (units <= 0) continue;
        chips[p * W + w] += units * unit;
        avail[p] -= units * unit;
        got += units * per_unit;
      }
      return got;
    };
    for (int w = 0; w < W; ++w) {
      const auto& wl = wd->fleet->workloads[w];
      if (wl.has_floor()) take(w, FloorEffectiveChipsAt(*wd->fleet, wl, wd->TimeOf(h)));
    }
    // Serving: dearest tokens first, on the highest throughput.
    std::vector<int> models(static_cast<size_t>(wd->num_models));
    for (int m = 0; m < wd->num_models; ++m) models[m] = m;
    std::stable_sort(models.begin(), models.end(), [&](int a, int b) {
      return wd->paths.usd_per_output_token[a][h] > wd->paths.usd_per_output_token[b][h];
    });
    for (int m : models) {
      double need = wd->paths.PlanningForecast(m, h, 0, wd->serving_z);
      for (int w = 0; w < W && need > 0; ++w) {
        if (wd->served_model[w] != m) continue;
        std::vector<int> order;
        for (int p = 0; p < P; ++p)
          if (wd->eff[w][p] > 0 && wd->base_tps[m][p] > 0) order.push_back(p);
        std::stable_sort(order.begin(), order.end(),
                         [&](int a, int b) { return wd->base_tps[m][a] > wd->base_tps[m][b]; });
        for (int p : order) {
          // Tokens already served by this class's chips here count too.
          const double per_chip = wd->base_tps[m][p] * wd->paths.throughput_multiplier[m][h] * 3600.0;
          need -= chips[p * W + w] * per_chip;
          if (need <= 0) break;
          const int n = std::min(avail[p], static_cast<int>(std::ceil(need / per_chip - 1e-9)));
          chips[p * W + w] += n;
          avail[p] -= n;
          need -= n * per_chip;
        }
      }
    }
    // Bids by value per effective chip-hour.
    struct Step {
      int w;
      double q, v;
    };
    std::vector<Step> steps;
    for (int w = 0; w < W; ++w)
      for (const auto& b : wd->fleet->workloads[w].bids)
        steps.push_back(
            {w, b.effective_chips * wd->paths.class_demand_multiple[w][h], b.usd_per_effective_chip_hour});
    std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.v > b.v; });
    std::vector<double> have(static_cast<size_t>(W), 0.0);
    for (int w = 0; w < W; ++w)
      for (int p = 0; p < P; ++p) have[w] += wd->eff[w][p] * chips[p * W + w];
    std::vector<double> claimed(static_cast<size_t>(W), 0.0);
    for (const auto& s : steps) {
      if (s.v <= 0) continue;
      // Chips held for the floor count against the class's first steps.
      const double covered = std::max(0.0, have[s.w] - claimed[s.w]);
      claimed[s.w] += s.q;
      const double want = s.q - std::min(s.q, covered);
      if (want > 0) have[s.w] += take(s.w, want);
    }
    prof->greedy_seconds += Since(t0);
  }
};

// Sum of a concave bid curve at `effective` chips for one hour.
double BidValue(const std::vector<BidStep>& bids, double scale, double effective) {
  double v = 0;
  for (const auto& b : bids) {
    if (effective <= 0) break;
    const double q = std::min(effective, b.effective_chips * scale);
    v += q * b.usd_per_effective_chip_hour;
    effective -= q;
  }
  return v;
}

StatusOr<PolicyRun> RunPolicy(World& wd, Policy policy) {
  auto t_total = Clock::now();
  PolicyRun run;
  run.policy = policy;
  const int P = wd.num_pools, W = wd.num_workloads, M = wd.num_models, H = wd.hours;
  const int K = wd.st.resolve_every_hours;
  const int C = std::max(1, wd.st.checkpoint_interval_hours);
  std::vector<SimEvent> own;
  Planner planner{&wd, policy, &own, &run.profile};
  // Every re-solve first (in parallel: each depends only on what is known at
  // its hour), then the hours in order.
  std::vector<Decision> decisions;
  if (policy != Policy::kGreedy) {
    const int n = (H + K - 1) / K;
    decisions.resize(static_cast<size_t>(n));
    std::atomic<int> next{0};
    std::mutex progress_mu;
    int done = 0;
    auto worker = [&] {
      for (int i = next++; i < n; i = next++) {
        Decision& d = decisions[static_cast<size_t>(i)];
        Planner pl{&wd, policy, &d.events, &d.prof};
        d.status = pl.Replan(i * K, K, d);
        d.resolves = pl.resolves;
        d.infeasible = pl.infeasible;
        if (wd.on_resolve) {
          std::lock_guard<std::mutex> lock(progress_mu);
          wd.on_resolve(policy, ++done, n);
        }
      }
    };
    auto t_solve = Clock::now();
    const int threads = std::max(1, std::min(wd.threads, n));
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
    run.profile.resolve_wall_seconds = Since(t_solve);
    for (auto& d : decisions) {
      if (!d.status.ok()) return d.status;
      own.insert(own.end(), d.events.begin(), d.events.end());
      planner.resolves += d.resolves;
      planner.infeasible += d.infeasible;
      run.profile.build_seconds += d.prof.build_seconds;
      run.profile.solve_seconds += d.prof.solve_seconds;
      run.profile.lp_rows_max = std::max(run.profile.lp_rows_max, d.prof.lp_rows_max);
      run.profile.lp_columns_max = std::max(run.profile.lp_columns_max, d.prof.lp_columns_max);
    }
  }
  Ledger ledger(wd.layout, wd.ledger_options);
  LedgerHour lh;
  run.demand_output_tokens.assign(M, std::vector<double>(H, 0.0));
  run.served_output_tokens.assign(M, std::vector<double>(H, 0.0));
  run.revenue_usd.assign(M, std::vector<double>(H, 0.0));
  run.chips_switched.assign(H, 0.0);

  // Floor windows from the run start.
  std::vector<int> floor_index(static_cast<size_t>(W), -1);  // current window of each class in run.floors
  std::vector<int> plan, greedy, applied(static_cast<size_t>(P * W), 0), prev(static_cast<size_t>(P * W), 0);
  std::vector<double> last_bid_rate(static_cast<size_t>(W), 0.0);  // usd per effective chip-hour, last hour
  int h0 = 0;
  for (int h = 0; h < H; ++h) {
    if (policy != Policy::kGreedy && h % K == 0) {
      h0 = h;
      const Decision& d = decisions[static_cast<size_t>(h / K)];
      auto t0 = Clock::now();
      plan.assign(static_cast<size_t>(P * W * K), 0);
      run.profile.unplaced_chip_hours +=
          Disaggregate(wd, d.totals, d.period, h0, K, d.serve_quota, prev, plan);
      run.profile.disaggregate_seconds += Since(t0);
    }
    auto t_apply = Clock::now();
    const int* want = nullptr;
    if (policy == Policy::kGreedy) {
      planner.Greedy(h, greedy);
      want = greedy.data();
    }
    lh.Reset(wd.layout);
    for (int p = 0; p < P; ++p) {
      const int up = wd.Up(p, h);
      lh.paid_chips[p] = wd.paid[p][h];
      lh.up_chips[p] = up;
      long total = 0;
      for (int w = 0; w < W; ++w) {
        const int c = want ? want[p * W + w] : plan[(p * W + w) * K + (h - h0)];
        applied[p * W + w] = c;
        total += c;
      }
      if (total > up) {
        // Chips a failure took (or that are not there): every class loses
        // its share; gangs lose whole gangs.
        const double f = static_cast<double>(up) / static_cast<double>(total);
        for (int w = 0; w < W; ++w) {
          int& c = applied[p * W + w];
          const GangFit& g = wd.fit[w][p];
          const int unit = g.is_gang ? std::max(1, static_cast<int>(std::lround(g.chips_per_gang))) : 1;
          c = static_cast<int>(std::floor(c * f / unit + 1e-9)) * unit;
        }
      }
      // Work lost back to the last checkpoint on chips that just failed.
      const int newly = h > 0 ? wd.failed[p][h] - wd.failed[p][h - 1] : wd.failed[p][h];
      if (newly > 0 && h > 0) {
        const int before = std::max(1, wd.Up(p, h - 1));
        const double share = std::min(1.0, static_cast<double>(newly) / before);
        const int since_checkpoint = h % C;
        for (int w = 0; w < W; ++w) {
          if (!LosesWorkOnFailure(wd.fleet->workloads[w].kind)) continue;
          const double lost = prev[p * W + w] * share * wd.eff[w][p] * since_checkpoint;
          lh.lost_effective_chip_hours[p * W + w] = lost;
          lh.lost_bid_value_usd[p * W + w] = lost * last_bid_rate[w];
        }
      }
    }
    // Serving: realised demand, served up to the chips' throughput.
    for (int m = 0; m < M; ++m) {
      const double demand = wd.paths.realised_tokens[m][h];
      double capacity = 0;
      for (int w = 0; w < W; ++w)
        if (wd.served_model[w] == m)
          for (int p = 0; p < P; ++p)
            capacity +=
                wd.base_tps[m][p] * wd.paths.throughput_multiplier[m][h] * 3600.0 * applied[p * W + w];
      const double served = std::min(capacity, demand);
      const double price = wd.paths.usd_per_output_token[m][h];
      run.demand_output_tokens[m][h] = demand;
      run.served_output_tokens[m][h] = served;
      run.revenue_usd[m][h] = served * price;
      if (capacity <= 0) continue;
      for (int w = 0; w < W; ++w)
        if (wd.served_model[w] == m)
          for (int p = 0; p < P; ++p) {
            const double tokens =
                wd.base_tps[m][p] * wd.paths.throughput_multiplier[m][h] * 3600.0 * applied[p * W + w];
            lh.capacity_output_tokens[p * W + w] = tokens;
            lh.served_output_tokens[p * W + w] = served * tokens / capacity;
            lh.revenue_usd[p * W + w] = served * price * tokens / capacity;
          }
    }
    // Effective chips, bids, floors, switches.
    for (int w = 0; w < W; ++w) {
      const auto& wl = wd.fleet->workloads[w];
      double e = 0;
      for (int p = 0; p < P; ++p) {
        lh.chips[p * W + w] = applied[p * W + w];
        lh.effective_chips[p * W + w] = wd.eff[w][p] * applied[p * W + w];
        e += lh.effective_chips[p * W + w];
      }
      const double value = BidValue(wl.bids, wd.paths.class_demand_multiple[w][h], e);
      last_bid_rate[w] = e > 0 ? value / e : 0.0;
      if (e > 0)
        for (int p = 0; p < P; ++p) lh.bid_value_usd[p * W + w] = value * lh.effective_chips[p * W + w] / e;
      if (wl.has_floor()) {
        const int len = std::max(1, wl.floor_window_hours);
        if (h % len == 0) {
          FloorOutcome f;
          f.workload = wl.id;
          f.start = wd.TimeOf(h);
          f.hours = std::min(len, H - h);
          for (int k = 0; k < f.hours; ++k)
            f.required_effective_chip_hours += FloorEffectiveChipsAt(*wd.fleet, wl, wd.TimeOf(h + k));
          floor_index[w] = static_cast<int>(run.floors.size());
          run.floors.push_back(f);
        }
        double lost = 0, up = 0;
        for (int p = 0; p < P; ++p) {
          lost += lh.lost_effective_chip_hours[p * W + w];
          up += wd.eff[w][p] * wd.Up(p, h);
        }
        FloorOutcome& fo = run.floors[floor_index[w]];
        fo.achieved_effective_chip_hours += e - lost;
        fo.lost_effective_chip_hours += lost;
        fo.up_capacity_effective_chip_hours += up;
      }
    }
    double moved = 0;
    for (int i = 0; i < P * W; ++i) moved += std::max(0, applied[i] - prev[i]);
    run.chips_switched[h] = h > 0 ? moved : 0.0;
    prev = applied;
    run.profile.apply_seconds += Since(t_apply);
    auto t_ledger = Clock::now();
    FUNGIBLE_RETURN_IF_ERROR(ledger.Record(h, lh));
    run.profile.ledger_seconds += Since(t_ledger);
  }
  auto t_ledger = Clock::now();
  auto report = ledger.Finish();
  if (!report.ok()) return report.status();
  run.ledger = std::move(*report);
  run.profile.ledger_seconds += Since(t_ledger);

  // Summary.
  PolicySummary& s = run.summary;
  for (int m = 0; m < M; ++m)
    for (int h = 0; h < H; ++h) {
      s.revenue_usd += run.revenue_usd[m][h];
      s.demand_output_tokens += run.demand_output_tokens[m][h];
      s.served_output_tokens += run.served_output_tokens[m][h];
    }
  s.unserved_share = s.demand_output_tokens > 0 ? 1.0 - s.served_output_tokens / s.demand_output_tokens : 0.0;
  double attainment = 0;
  for (const auto& f : run.floors) {
    ++s.floor_windows;
    if (f.met()) ++s.floor_windows_met;
    attainment += f.required_effective_chip_hours > 0
                      ? std::min(1.0, f.achieved_effective_chip_hours / f.required_effective_chip_hours)
                      : 1.0;
  }
  s.floor_attainment = s.floor_windows > 0 ? attainment / s.floor_windows : 1.0;
  for (const auto& t : run.ledger.hours) {
    s.paid_chip_hours += t.paid_chips;
    s.allocated_chip_hours += t.allocated_chips;
  }
  s.utilization = s.paid_chip_hours > 0 ? s.allocated_chip_hours / s.paid_chip_hours : 0.0;
  for (double v : run.chips_switched) s.chips_switched += v;
  s.switch_cost_usd = s.chips_switched * wd.fleet->allocation.switch_cost_usd_per_chip;
  s.lost_effective_chip_hours = run.ledger.Total().lost_effective_chip_hours;
  s.contract_cost_usd = run.ledger.total.cost_usd;
  s.value_now_usd = run.ledger.total.value_now_usd;
  s.value_within_usd = run.ledger.total.value_within_usd;
  s.value_all_up_usd = run.ledger.total.value_all_up_usd;
  s.roc_now = run.ledger.total.roc_now();
  s.roc_within = run.ledger.total.roc_within();
  s.roc_all_up = run.ledger.total.roc_all_up();
  s.resolves = planner.resolves;
  s.infeasible_resolves = planner.infeasible;
  s.failures = static_cast<int>(wd.failures.size());

  // Events: shared ones first at equal times.
  run.events = wd.events;
  run.events.insert(run.events.end(), own.begin(), own.end());
  std::stable_sort(run.events.begin(), run.events.end(),
                   [](const SimEvent& a, const SimEvent& b) { return a.at < b.at; });
  run.profile.total_seconds = Since(t_total);
  return run;
}

}  // namespace

std::string FloorOutcome::cause() const {
  if (met()) return "";
  if (up_capacity_effective_chip_hours < required_effective_chip_hours * (1 - 1e-9)) return "capacity";
  if (lost_effective_chip_hours > 0 &&
      achieved_effective_chip_hours + lost_effective_chip_hours >= required_effective_chip_hours * (1 - 1e-9))
    return "failures";
  return "allocation";
}

std::string FloorOutcome::Explain() const {
  if (met()) return "";
  const std::string c = cause();
  std::string out = "floor of " + workload + " in " + FormatUtc(start) + ".." +
                    FormatUtc(start + static_cast<UtcSeconds>(hours) * kSecondsPerHour) + ": needs " +
                    Grouped(required_effective_chip_hours) + " effective chip-hours, got " +
                    Grouped(achieved_effective_chip_hours) + "; short " + Grouped(shortfall()) + " (" +
                    Fmt("%.1f%%", 100 * (1 - attainment())) + "). ";
  if (c == "capacity")
    out += "Capacity: the chips up in the window (failures realised) could give it at most " +
           Grouped(up_capacity_effective_chip_hours) + ".";
  else if (c == "failures")
    out += "Failures: " + Grouped(lost_effective_chip_hours) +
           " effective chip-hours of its work were lost back to checkpoints.";
  else
    out += "Allocation: the chips up could give it " + Grouped(up_capacity_effective_chip_hours) +
           " but the policy, planning on the forecast of capacity, gave it less" +
           (lost_effective_chip_hours > 0 ? " (and failures took " + Grouped(lost_effective_chip_hours) + ")"
                                          : std::string()) +
           ".";
  return out;
}

const char* PolicyName(Policy p) {
  switch (p) {
    case Policy::kFungible: return "fungible";
    case Policy::kStatic: return "static";
    case Policy::kNoRepurpose: return "no-repurpose";
    case Policy::kGreedy: return "greedy";
  }
  return "fungible";
}

StatusOr<std::vector<Policy>> ParsePolicies(std::string_view text) {
  const std::vector<Policy> all = {Policy::kFungible, Policy::kStatic, Policy::kNoRepurpose, Policy::kGreedy};
  if (text == "all") return all;
  for (Policy p : all)
    if (text == PolicyName(p)) return std::vector<Policy>{p};
  return Status::Invalid("--policy: unknown policy \"" + std::string(text) +
                         "\" (expected fungible, static, no-repurpose, greedy or all)");
}

StatusOr<SimulationResult> Simulate(const Fleet& fleet, const SimulateOptions& o) {
  World wd;
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
  wd.threads = o.threads > 0 ? o.threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
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
  const int ahead = std::max(st.horizon_hours, st.resolve_every_hours);
  const int span = wd.hours + ahead;

  SimulationResult res;
  res.fleet_name = fleet.name;
  res.spec_file = fleet.file;
  res.scenario = o.scenario.text.empty() ? "P50" : o.scenario.text;
  res.seed = o.seed.value_or(fleet.forecast.seed);
  res.start = start;
  res.hours = wd.hours;
  res.settings = st;
  res.settings.start = start;

  auto t0 = Clock::now();
  auto paths = BuildScenarioPaths(fleet, o.scenario, start, span, o.token_mix_file);
  if (!paths.ok()) return paths.status();
  wd.paths = std::move(*paths);
  res.scenario_seconds = Since(t0);
  res.model_ids = wd.paths.model_ids;
  res.launches = wd.paths.launches;
  res.hourly_recalibration = wd.paths.hourly_recalibration;
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
  res.failures = wd.failures;

  // Capacity hour by hour.
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
    res.failures = kept;
  }
  for (const auto& f : wd.failures)
    for (int h = f.start_hour; h < f.end_hour; ++h)
      wd.failed[f.pool][h] =
          std::max(wd.failed[f.pool][h], static_cast<int>(std::llround(f.fraction * wd.base_cap[f.pool][h])));

  // The engine's view of pools and workloads.
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

  // Shared events: launches, landings and contract ends, failures.
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

  // The ledger: launches credited to model development.
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

  for (Policy p : o.policies) {
    auto run = RunPolicy(wd, p);
    if (!run.ok()) return run.status();
    run->profile.scenario_seconds = res.scenario_seconds;
    res.runs.push_back(std::move(*run));
  }
  const PolicyRun* fun = nullptr;
  const PolicyRun* sta = nullptr;
  for (const auto& r : res.runs) {
    if (r.policy == Policy::kFungible) fun = &r;
    if (r.policy == Policy::kStatic) sta = &r;
  }
  if (fun && sta) {
    FungibilityValue v;
    v.revenue_usd = fun->summary.revenue_usd - sta->summary.revenue_usd;
    v.revenue_pct = sta->summary.revenue_usd > 0 ? 100.0 * v.revenue_usd / sta->summary.revenue_usd : 0.0;
    v.value_all_up_usd = fun->summary.value_all_up_usd - sta->summary.value_all_up_usd;
    v.value_all_up_pct =
        sta->summary.value_all_up_usd > 0 ? 100.0 * v.value_all_up_usd / sta->summary.value_all_up_usd : 0.0;
    v.roc_all_up_points = fun->summary.roc_all_up - sta->summary.roc_all_up;
    v.switch_cost_usd = fun->summary.switch_cost_usd - sta->summary.switch_cost_usd;
    v.net_revenue_usd = v.revenue_usd - v.switch_cost_usd;
    res.fungibility = v;
  }
  return res;
}

}  // namespace fungible

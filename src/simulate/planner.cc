// The re-solves: the engine's instance for a window as known at its first
// hour, the solve with whole gangs, and each policy's decision.
#include "simulate/internal/planner.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "allocate/allocate.h"
#include "simulate/window_demand.h"
#include "util/text.h"

namespace fungible::simulate_internal {
namespace {

// A floor the LP cannot meet becomes a bid worth more than any chip-hour
// earns elsewhere, so the re-solve still gives it all it can.
constexpr double kFloorAsBidUsdPerEffectiveChipHour = 1e4;

// ---- Instances for the engine ----

// An event re-solve's floors (FloorCarry): one window over the whole horizon
// when it plans until the next regular re-solve, and what the floor windows
// open at h0 are behind added to their first window, spread over its hours.
void ApplyFloorCarry(const FloorCarry& c, AllocationInstance& inst) {
  const int T = static_cast<int>(inst.periods.size());
  auto first_window_hours = [&](int len) {
    double hours = 0;
    for (int t = 0; t < std::min(T, len > 0 ? len : T); ++t) hours += inst.periods[t].hours;
    return std::max(1.0, hours);
  };
  for (size_t w = 0; w < inst.workloads.size(); ++w) {
    auto& wl = inst.workloads[w];
    if (wl.floor_effective_chips <= 0) continue;
    if (wl.floor_effective_chips_by_period.empty())
      wl.floor_effective_chips_by_period.assign(static_cast<size_t>(T), wl.floor_effective_chips);
    if (c.lp_hours > 0) wl.floor_window_periods = 0;
    const double extra = w < c.class_effective_chip_hours.size() ? c.class_effective_chip_hours[w] : 0.0;
    const int len = wl.floor_window_periods > 0 ? std::min(T, wl.floor_window_periods) : T;
    for (int t = 0; t < len; ++t)
      wl.floor_effective_chips_by_period[t] += extra / first_window_hours(wl.floor_window_periods);
    wl.floor_effective_chips = *std::max_element(wl.floor_effective_chips_by_period.begin(),
                                                 wl.floor_effective_chips_by_period.end());
  }
  for (size_t g = 0; g < inst.shared_floors.size(); ++g) {
    auto& sf = inst.shared_floors[g];
    if (c.lp_hours > 0) sf.window_periods = 0;
    const double extra = g < c.shared_effective_chip_hours.size() ? c.shared_effective_chip_hours[g] : 0.0;
    const int len = sf.window_periods > 0 ? std::min(T, sf.window_periods) : T;
    for (int t = 0; t < len; ++t)
      sf.effective_chips_by_period[t] += extra / first_window_hours(sf.window_periods);
  }
}

// The engine's instance for [h0, h0 + hours) in periods of `period` hours,
// adjusted to what is known at h0 (`carry`: an event re-solve's floors).
StatusOr<AllocationInstance> InstanceAt(const World& wd, int h0, int hours, int period,
                                        const FloorCarry* carry) {
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
  ApplyDemandPaths(
      wd.paths, h0, period, [&](int m, int k) { return wd.paths.PlanningForecast(m, h0, k, wd.serving_z); },
      *inst);
  if (carry != nullptr) ApplyFloorCarry(*carry, *inst);
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

// Floors the fleet cannot meet become top bids of their size.
void FloorsToBids(AllocationInstance& inst) {
  for (auto& w : inst.workloads) {
    if (w.floor_effective_chips <= 0) continue;
    w.bids.insert(w.bids.begin(), BidStep{w.floor_effective_chips, kFloorAsBidUsdPerEffectiveChipHour});
    w.floor_effective_chips = 0;
    w.floor_effective_chips_by_period.clear();
  }
  // Floors several classes share have no bid of their own: dropped here.
  inst.shared_floors.clear();
}

struct Planner {
  const World* wd;
  Policy policy;
  const FloorCarry* carry;
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
    auto t0 = SteadyClock::now();
    auto r = Solve(inst, ao);
    prof->solve_seconds += SecondsSince(t0);
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
    // Classes under a floor of their own or one they share.
    std::vector<char> floored(static_cast<size_t>(W), 0);
    for (int w = 0; w < W; ++w) floored[w] = inst.workloads[w].floor_effective_chips > 0;
    for (const auto& sf : inst.shared_floors)
      for (int w : sf.workloads) floored[w] = 1;
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
    TopUpSharedFloors(inst, value, floored, place, *r);
    return r;
  }

  // Floors several classes share, window by window, after the rounding to
  // whole gangs: where a window falls short, its members get more chips, a
  // batch of an elastic member or one whole gang at a time, wherever an
  // effective chip-hour displaces the least value (idle chips first, then the
  // classes under no floor earning least per chip). Members never give way.
  template <typename Place>
  void TopUpSharedFloors(const AllocationInstance& inst, const std::vector<std::vector<double>>& value,
                         const std::vector<char>& floored, Place&& place, AllocationResult& r) {
    const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size());
    const int T = static_cast<int>(inst.periods.size());
    std::vector<std::pair<double, int>> movable;  // (value per chip, class) of the classes that may give way
    // Chips on (p, t) that may be taken for `extra` more: idle first, then
    // the classes under no floor, cheapest first; their value per hour, or
    // -1 when there are not enough.
    auto cost_of = [&](int p, int t, int extra, bool apply) {
      double in_use = 0;
      for (int w = 0; w < W; ++w) in_use += r.chips[p][w][t];
      int need =
          extra - std::max(0, static_cast<int>(std::floor(inst.pools[p].capacity_chips[t] - in_use + 1e-9)));
      movable.clear();
      for (int w = 0; w < W; ++w)
        if (!floored[w] && inst.workloads[w].gang_size_chips == 0 && r.chips[p][w][t] > 0)
          movable.push_back({value[p][w], w});
      std::sort(movable.begin(), movable.end());
      double usd = 0;
      for (const auto& [v, w] : movable) {
        if (need <= 0) break;
        const int take = std::min(need, r.chips[p][w][t]);
        usd += take * v;
        need -= take;
        if (apply) r.chips[p][w][t] -= take;
      }
      return need > 0 ? -1.0 : usd;
    };
    for (int g = 0; g < static_cast<int>(inst.shared_floors.size()); ++g) {
      const auto& sf = inst.shared_floors[g];
      const int len = sf.window_periods > 0 ? sf.window_periods : T;
      for (int s0 = 0; s0 < T; s0 += len) {
        const int s1 = std::min(T, s0 + len);
        const double need = SharedFloorRequiredEffectiveChipHours(inst, g, s0, s1 - 1);
        double got = 0;
        for (int w : sf.workloads)
          for (int p = 0; p < P; ++p)
            for (int t = s0; t < s1; ++t)
              got += r.chips[p][w][t] * EffectivePerChip(inst, w, p) * inst.periods[t].hours;
        std::vector<char> no_room(static_cast<size_t>(P * T * W), 0);  // gangs that found no whole domains
        while (got < need - 1e-6 * std::max(1.0, need)) {
          int bp = -1, bt = -1, bw = -1, bn = 0;
          double best = 0;
          for (int w : sf.workloads)
            for (int p = 0; p < P; ++p) {
              if (!IsEligible(inst, w, p)) continue;
              const double e = EffectivePerChip(inst, w, p);
              if (e <= 0) continue;
              const GangFit f = GangFitOn(inst.workloads[w], inst.pools[p]);
              for (int t = s0; t < s1; ++t) {
                const double h = inst.periods[t].hours;
                int n = 0;
                if (inst.workloads[w].gang_size_chips > 0) {
                  if (!f.is_gang || no_room[(p * T + t) * W + w]) continue;
                  n = static_cast<int>(std::lround(f.chips_per_gang));
                } else {
                  n = static_cast<int>(std::ceil((need - got) / (e * h) - 1e-9));
                  double in_use = 0;
                  for (int v = 0; v < W; ++v) in_use += r.chips[p][v][t];
                  // Idle chips alone when there are any (they displace
                  // nothing), else with the classes that may give way.
                  const int idle = std::max(
                      0, static_cast<int>(std::floor(inst.pools[p].capacity_chips[t] - in_use + 1e-9)));
                  int room = idle;
                  if (idle == 0)
                    for (int v = 0; v < W; ++v)
                      if (!floored[v] && inst.workloads[v].gang_size_chips == 0) room += r.chips[p][v][t];
                  n = std::min(n, room);
                }
                if (n <= 0) continue;
                const double usd = cost_of(p, t, n, false);
                if (usd < 0) continue;
                // Value lost per effective chip-hour the window still needs.
                const double score = usd * h / std::min(n * e * h, need - got);
                if (bp < 0 || score < best - 1e-12) bp = p, bt = t, bw = w, bn = n, best = score;
              }
            }
          if (bp < 0) break;  // nothing more fits: the re-solve's plan stays short there
          if (inst.workloads[bw].gang_size_chips > 0 &&
              !place(GangFitOn(inst.workloads[bw], inst.pools[bp]), bp, bt)) {
            no_room[(bp * T + bt) * W + bw] = 1;
            continue;
          }
          cost_of(bp, bt, bn, true);
          r.chips[bp][bw][bt] += bn;
          got += bn * EffectivePerChip(inst, bw, bp) * inst.periods[bt].hours;
        }
      }
    }
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
    auto t0 = SteadyClock::now();
    auto inst = InstanceAt(*wd, h0, K, K, carry);
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
    prof->build_seconds += SecondsSince(t0);
    SetMemberDomains(h0, 1, K, 1, {});
    return SolveLogged(std::move(*inst), h0, Why() + "static split");
  }

  // The decision for hours h0 .. h0 + K - 1.
  Status Replan(int h0, int K, Decision& out) {
    const int P = wd->num_pools, W = wd->num_workloads, A = wd->num_aggs, E = wd->num_engine_pools;
    const int H =
        carry != nullptr && carry->lp_hours > 0 ? carry->lp_hours : std::max(K, wd->st.horizon_hours);
    const int period = wd->st.period_hours;
    if (policy == Policy::kStatic) {
      auto r = StaticSplit(h0, K);
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 1);
      out.period = K;
      out.lp_hours = K;
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
    auto t0 = SteadyClock::now();
    auto inst = InstanceAt(*wd, h0, H, period, carry);
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
      prof->build_seconds += SecondsSince(t0);
      SetMemberDomains(h0, T, period, 2, quota);
      auto r = SolveLogged(std::move(split), h0, Why() + "hourly within fixed serving split");
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 2);
    } else {
      prof->build_seconds += SecondsSince(t0);
      SetMemberDomains(h0, T, period, 1, {});
      auto r = SolveLogged(std::move(*inst), h0, Why() + "rolling horizon " + std::to_string(H) + "h");
      if (!r.ok()) return r.status();
      out.totals = Totals(*wd, *r, 1);
    }
    out.period = period;
    out.lp_hours = H;
    out.serve_quota = std::move(quota);
    return Status::Ok();
  }

  std::string Why() const {
    return carry != nullptr && !carry->why.empty() ? carry->why + ": " : std::string();
  }

  StatusOr<AllocationResult> SolveLogged(AllocationInstance inst, int h0, const std::string& what) {
    return SolveLogged(std::move(inst), h0, what.c_str());
  }
};

}  // namespace

Status Replan(const World& wd, Policy policy, int h0, int K, const FloorCarry* carry, Decision& out) {
  Planner pl{&wd, policy, carry, &out.events, &out.prof};
  Status status = pl.Replan(h0, K, out);
  out.resolves = pl.resolves;
  out.infeasible = pl.infeasible;
  return status;
}

}  // namespace fungible::simulate_internal

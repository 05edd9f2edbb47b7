// A policy over the run, hour by hour: the re-solves' decisions (or greedy)
// applied to the capacity realised, serving, floors, the ledger, the summary.
#include "simulate/internal/policy_run.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "allocate/allocate.h"
#include "simulate/internal/planner.h"
#include "util/parallel.h"

namespace fungible::simulate_internal {
namespace {

bool LosesWorkOnFailure(WorkloadKind k) {
  return k == WorkloadKind::kPretrain || k == WorkloadKind::kRl || k == WorkloadKind::kResearch;
}

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

// Greedy, for the hour h, on the chips up now.
void Greedy(const World& wd, int h, std::vector<int>& chips, SimProfile& prof) {
  auto t0 = SteadyClock::now();
  const int P = wd.num_pools, W = wd.num_workloads;
  chips.assign(static_cast<size_t>(P * W), 0);
  std::vector<int> avail(static_cast<size_t>(P));
  for (int p = 0; p < P; ++p) avail[p] = wd.Up(p, h);
  // Up to `want` effective chips for w, best chips first; returns what it got.
  auto take = [&](int w, double want) {
    std::vector<int> order;
    for (int p = 0; p < P; ++p)
      if (wd.eff[w][p] > 0) order.push_back(p);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return wd.eff[w][a] > wd.eff[w][b]; });
    double got = 0;
    for (int p : order) {
      if (got >= want - 1e-9) break;
      const GangFit& f = wd.fit[w][p];
      const int unit = f.is_gang ? static_cast<int>(std::lround(f.chips_per_gang)) : 1;
      const double per_unit = wd.eff[w][p] * unit;
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
    const auto& wl = wd.fleet->workloads[w];
    if (wl.has_floor()) take(w, FloorEffectiveChipsAt(*wd.fleet, wl, wd.TimeOf(h)));
  }
  // Serving: dearest tokens first, on the highest throughput.
  std::vector<int> models(static_cast<size_t>(wd.num_models));
  for (int m = 0; m < wd.num_models; ++m) models[m] = m;
  std::stable_sort(models.begin(), models.end(), [&](int a, int b) {
    return wd.paths.usd_per_output_token[a][h] > wd.paths.usd_per_output_token[b][h];
  });
  for (int m : models) {
    double need = wd.paths.PlanningForecast(m, h, 0, wd.serving_z);
    for (int w = 0; w < W && need > 0; ++w) {
      if (wd.served_model[w] != m) continue;
      std::vector<int> order;
      for (int p = 0; p < P; ++p)
        if (wd.eff[w][p] > 0 && wd.base_tps[m][p] > 0) order.push_back(p);
      std::stable_sort(order.begin(), order.end(),
                       [&](int a, int b) { return wd.base_tps[m][a] > wd.base_tps[m][b]; });
      for (int p : order) {
        // Tokens already served by this class's chips here count too.
        const double per_chip = wd.base_tps[m][p] * wd.paths.throughput_multiplier[m][h] * 3600.0;
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
    for (const auto& b : wd.fleet->workloads[w].bids)
      steps.push_back(
          {w, b.effective_chips * wd.paths.class_demand_multiple[w][h], b.usd_per_effective_chip_hour});
  std::stable_sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) { return a.v > b.v; });
  std::vector<double> have(static_cast<size_t>(W), 0.0);
  for (int w = 0; w < W; ++w)
    for (int p = 0; p < P; ++p) have[w] += wd.eff[w][p] * chips[p * W + w];
  std::vector<double> claimed(static_cast<size_t>(W), 0.0);
  for (const auto& s : steps) {
    if (s.v <= 0) continue;
    // Chips held for the floor count against the class's first steps.
    const double covered = std::max(0.0, have[s.w] - claimed[s.w]);
    claimed[s.w] += s.q;
    const double want = s.q - std::min(s.q, covered);
    if (want > 0) have[s.w] += take(s.w, want);
  }
  prof.greedy_seconds += SecondsSince(t0);
}

// The floor effective chips each class gets from a decision in its hour k
// (from h0), summed over chip types.
double PlannedEffectiveChips(const World& wd, const Decision& d, int w, int k) {
  double e = 0;
  const int t = k / std::max(1, d.period);
  for (int a = 0; a < wd.num_aggs; ++a) e += d.totals[a][w][t] * wd.eff[w][wd.agg_members[a].front()];
  return e;
}

// The re-solves of one block [hb, hb + K) of the regular cadence, in order:
// the regular one at hb, then one in each hour a failure starts (known to
// the policy only from that hour on), each applying until the next. An event
// re-solve plans until the block's end and makes up what the floor windows
// are behind: the hours of the window in this block that the decisions before
// planned short of the floor, and the work the failure takes back to the
// checkpoint. A pure function of the block: the run does not depend on the
// thread count.
std::vector<Decision> ResolveBlock(const World& wd, Policy policy, int hb) {
  const int K = wd.st.resolve_every_hours, H = wd.hours, W = wd.num_workloads;
  const int he = std::min(H, hb + K), period = std::max(1, wd.st.period_hours);
  const int C = std::max(1, wd.st.checkpoint_interval_hours);
  std::vector<int> at{hb};
  for (const auto& f : wd.failures) {
    if (f.start_hour > hb && f.start_hour < he && wd.failed[f.pool][f.start_hour] > 0)
      at.push_back(f.start_hour);
    // The repair too: a split held until the next regular re-solve (static)
    // would otherwise leave the repaired chips idle.
    if (f.end_hour > hb && f.end_hour < he &&
        wd.failed[f.pool][f.end_hour] < wd.failed[f.pool][f.end_hour - 1])
      at.push_back(f.end_hour);
  }
  std::sort(at.begin(), at.end());
  at.erase(std::unique(at.begin(), at.end()), at.end());
  std::vector<Decision> out(at.size());
  // Effective chips the block's decisions planned per class and hour, and
  // chips per chip type and class.
  std::vector<std::vector<double>> planned(static_cast<size_t>(W), std::vector<double>(he - hb, 0.0));
  const auto& shared = wd.fleet->floors;
  for (size_t j = 0; j < at.size(); ++j) {
    const int h0 = at[j], h1 = j + 1 < at.size() ? at[j + 1] : he;
    Decision& d = out[j];
    d.h0 = h0;
    d.hours = h1 - h0;
    if (j == 0) {
      d.status = Replan(wd, policy, h0, K, nullptr, d);
    } else {
      d.event = true;
      FloorCarry c;
      c.lp_hours = (hb + K - h0 + period - 1) / period * period;
      c.class_effective_chip_hours.assign(static_cast<size_t>(W), 0.0);
      c.shared_effective_chip_hours.assign(shared.size(), 0.0);
      // Work the failures starting at h0 take back to the checkpoint, on the
      // chips the decision before planned for the hour before.
      std::vector<double> lost(static_cast<size_t>(W), 0.0);
      const Decision& before = out[j - 1];
      std::string failed, repaired;
      for (int p = 0; p < wd.num_pools; ++p) {
        const int newly = wd.failed[p][h0] - wd.failed[p][h0 - 1];
        if (newly < 0)
          repaired += (repaired.empty() ? "" : ", ") + wd.fleet->pools[p].id + " (" + std::to_string(-newly) +
                      " chips back)";
        if (newly <= 0) continue;
        failed += (failed.empty() ? "" : ", ") + wd.fleet->pools[p].id + " (" + std::to_string(newly) +
                  " chips down)";
        const int a = wd.agg_of[p];
        double up = 0;
        for (int q : wd.agg_members[a]) up += wd.Up(q, h0 - 1);
        if (up <= 0) continue;
        const int t = (h0 - 1 - before.h0) / std::max(1, before.period);
        for (int w = 0; w < W; ++w) {
          if (!LosesWorkOnFailure(wd.fleet->workloads[w].kind)) continue;
          lost[w] += before.totals[a][w][t] * std::min(1.0, newly / up) * wd.eff[w][p] * (h0 % C);
        }
      }
      c.why = (failed.empty() ? "" : "failure of " + failed) +
              (failed.empty() || repaired.empty() ? "" : "; ") +
              (repaired.empty() ? "" : "repair of " + repaired) + ", until " + FormatUtc(wd.TimeOf(h1));
      // How far each floor window open at h0 is behind over its hours in
      // this block before h0.
      auto behind = [&](int len, const std::vector<int>& members, auto&& required_at) {
        const int ws = std::max(hb, h0 - h0 % std::max(1, len));
        double need = 0, got = 0;
        for (int h = ws; h < h0; ++h) {
          need += required_at(wd.TimeOf(h));
          for (int w : members) got += planned[w][h - hb];
        }
        double l = 0;
        for (int w : members) l += lost[w];
        return std::max(0.0, need - got) + l;
      };
      for (int w = 0; w < W; ++w) {
        const auto& wl = wd.fleet->workloads[w];
        if (!wl.has_floor()) continue;
        c.class_effective_chip_hours[w] = behind(wl.floor_window_hours, {w}, [&](UtcSeconds t) {
          return FloorEffectiveChipsAt(*wd.fleet, wl, t);
        });
      }
      for (size_t g = 0; g < shared.size(); ++g) {
        std::vector<int> members;
        for (int w = 0; w < W; ++w)
          if (std::find(shared[g].workloads.begin(), shared[g].workloads.end(), wd.fleet->workloads[w].id) !=
              shared[g].workloads.end())
            members.push_back(w);
        c.shared_effective_chip_hours[g] = behind(shared[g].window_hours, members, [&](UtcSeconds t) {
          return SharedFloorEffectiveChipsAt(*wd.fleet, shared[g], t);
        });
      }
      d.status = Replan(wd, policy, h0, d.hours, &c, d);
    }
    if (!d.status.ok()) break;
    for (int w = 0; w < W; ++w)
      for (int h = h0; h < h1; ++h) planned[w][h - hb] = PlannedEffectiveChips(wd, d, w, h - h0);
  }
  return out;
}

// Every re-solve of the run, in parallel block by block (each depends only
// on what is known in its block), in time order; the wall time goes to
// prof.resolve_wall_seconds.
std::vector<Decision> ResolveAll(const World& wd, Policy policy, SimProfile& prof) {
  const int H = wd.hours, K = wd.st.resolve_every_hours;
  const int n = (H + K - 1) / K;
  std::vector<std::vector<Decision>> blocks(static_cast<size_t>(n));
  std::mutex progress_mu;
  int done = 0;
  auto t_solve = SteadyClock::now();
  ParallelForEach(n, wd.threads, [&](std::int64_t i) {
    blocks[static_cast<size_t>(i)] = ResolveBlock(wd, policy, static_cast<int>(i) * K);
    if (wd.on_resolve) {
      std::lock_guard<std::mutex> lock(progress_mu);
      wd.on_resolve(policy, ++done, n);
    }
  });
  prof.resolve_wall_seconds = SecondsSince(t_solve);
  std::vector<Decision> decisions;
  for (auto& b : blocks)
    for (auto& d : b) decisions.push_back(std::move(d));
  return decisions;
}

// The run's summary from its hours, floors and ledger.
void Summarize(const World& wd, int resolves, int event_resolves, int infeasible, PolicyRun& run) {
  const int M = wd.num_models, H = wd.hours;
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
  s.resolves = resolves;
  s.event_resolves = event_resolves;
  s.infeasible_resolves = infeasible;
  s.failures = static_cast<int>(wd.failures.size());
}

}  // namespace

StatusOr<PolicyRun> RunPolicy(const World& wd, Policy policy) {
  auto t_total = SteadyClock::now();
  PolicyRun run;
  run.policy = policy;
  const int P = wd.num_pools, W = wd.num_workloads, M = wd.num_models, H = wd.hours;
  const int C = std::max(1, wd.st.checkpoint_interval_hours);
  std::vector<SimEvent> own;
  int resolves = 0, event_resolves = 0, infeasible = 0;
  // Every re-solve first (in parallel: each depends only on what is known at
  // its hour), then the hours in order.
  std::vector<Decision> decisions;
  if (policy != Policy::kGreedy) {
    decisions = ResolveAll(wd, policy, run.profile);
    for (auto& d : decisions) {
      if (!d.status.ok()) return d.status;
      own.insert(own.end(), d.events.begin(), d.events.end());
      resolves += d.resolves;
      if (d.event) ++event_resolves;
      infeasible += d.infeasible;
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
  // Floors several classes share: their member classes, and each one's
  // current window in run.floors.
  const auto& shared_floors = wd.fleet->floors;
  std::vector<std::vector<int>> shared_members(shared_floors.size());
  for (size_t g = 0; g < shared_floors.size(); ++g)
    for (int w = 0; w < W; ++w)
      if (std::find(shared_floors[g].workloads.begin(), shared_floors[g].workloads.end(),
                    wd.fleet->workloads[w].id) != shared_floors[g].workloads.end())
        shared_members[g].push_back(w);
  std::vector<int> shared_index(shared_floors.size(), -1);
  std::vector<double> productive(static_cast<size_t>(W), 0.0), lost_work(static_cast<size_t>(W), 0.0);
  // A floor window opening at hour h (`len` hours, cut at the run's end) with
  // the effective chips `required_at` each hour; returns its index in run.floors.
  auto OpenFloorWindow = [&](int h, const std::string& name, int len, auto&& required_at) {
    FloorOutcome f;
    f.workload = name;
    f.start = wd.TimeOf(h);
    f.hours = std::min(len, H - h);
    for (int k = 0; k < f.hours; ++k) f.required_effective_chip_hours += required_at(wd.TimeOf(h + k));
    run.floors.push_back(f);
    return static_cast<int>(run.floors.size()) - 1;
  };
  std::vector<int> plan, greedy, applied(static_cast<size_t>(P * W), 0), prev(static_cast<size_t>(P * W), 0);
  std::vector<double> last_bid_rate(static_cast<size_t>(W), 0.0);  // usd per effective chip-hour, last hour
  int h0 = 0, K = 1;  // the decision in force: its first hour and hours
  size_t next = 0;
  for (int h = 0; h < H; ++h) {
    if (policy != Policy::kGreedy && next < decisions.size() && h == decisions[next].h0) {
      const Decision& d = decisions[next++];
      h0 = h;
      K = d.hours;
      auto t0 = SteadyClock::now();
      plan.assign(static_cast<size_t>(P * W * K), 0);
      run.profile.unplaced_chip_hours +=
          Disaggregate(wd, d.totals, d.period, h0, K, d.serve_quota, prev, plan);
      run.profile.disaggregate_seconds += SecondsSince(t0);
    }
    auto t_apply = SteadyClock::now();
    const int* want = nullptr;
    if (policy == Policy::kGreedy) {
      Greedy(wd, h, greedy, run.profile);
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
      lost_work[w] = 0;
      for (int p = 0; p < P; ++p) lost_work[w] += lh.lost_effective_chip_hours[p * W + w];
      productive[w] = e - lost_work[w];
      if (wl.has_floor()) {
        const int len = std::max(1, wl.floor_window_hours);
        if (h % len == 0)
          floor_index[w] = OpenFloorWindow(
              h, wl.id, len, [&](UtcSeconds at) { return FloorEffectiveChipsAt(*wd.fleet, wl, at); });
        double up = 0;
        for (int p = 0; p < P; ++p) up += wd.eff[w][p] * wd.Up(p, h);
        FloorOutcome& fo = run.floors[floor_index[w]];
        fo.achieved_effective_chip_hours += productive[w];
        fo.lost_effective_chip_hours += lost_work[w];
        fo.up_capacity_effective_chip_hours += up;
      }
    }
    // Shared floors: the sum over their classes, window by window; the chips
    // up could give it, on each pool, what its most efficient class there gets.
    for (size_t g = 0; g < shared_floors.size(); ++g) {
      const SharedFloor& sf = shared_floors[g];
      const int len = std::max(1, sf.window_hours);
      if (h % len == 0)
        shared_index[g] = OpenFloorWindow(
            h, sf.name, len, [&](UtcSeconds at) { return SharedFloorEffectiveChipsAt(*wd.fleet, sf, at); });
      FloorOutcome& fo = run.floors[shared_index[g]];
      for (int w : shared_members[g]) {
        fo.achieved_effective_chip_hours += productive[w];
        fo.lost_effective_chip_hours += lost_work[w];
      }
      for (int p = 0; p < P; ++p) {
        double best = 0;
        for (int w : shared_members[g]) best = std::max(best, wd.eff[w][p]);
        fo.up_capacity_effective_chip_hours += best * wd.Up(p, h);
      }
    }
    double moved = 0;
    for (int i = 0; i < P * W; ++i) moved += std::max(0, applied[i] - prev[i]);
    run.chips_switched[h] = h > 0 ? moved : 0.0;
    prev = applied;
    run.profile.apply_seconds += SecondsSince(t_apply);
    auto t_ledger = SteadyClock::now();
    FUNGIBLE_RETURN_IF_ERROR(ledger.Record(h, lh));
    run.profile.ledger_seconds += SecondsSince(t_ledger);
  }
  auto t_ledger = SteadyClock::now();
  auto report = ledger.Finish();
  if (!report.ok()) return report.status();
  run.ledger = std::move(*report);
  run.profile.ledger_seconds += SecondsSince(t_ledger);

  Summarize(wd, resolves, event_resolves, infeasible, run);

  // Events: shared ones first at equal times.
  run.events = wd.events;
  run.events.insert(run.events.end(), own.begin(), own.end());
  std::stable_sort(run.events.begin(), run.events.end(),
                   [](const SimEvent& a, const SimEvent& b) { return a.at < b.at; });
  run.profile.total_seconds = SecondsSince(t_total);
  return run;
}

}  // namespace fungible::simulate_internal

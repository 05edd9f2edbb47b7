// Solve(): the allocation LP/MIP, the whole-chip plan derived from it, its
// figures, shadow prices, and the explanation when floors cannot be met.
#include "allocate/allocate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "allocate/lp_model.h"

namespace fungible {

const char* SolveStatusName(SolveStatus s) {
  switch (s) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kInfeasible: return "infeasible";
    case SolveStatus::kTimeLimit: return "time_limit";
  }
  return "optimal";
}

namespace {

constexpr int kMaxHoursInWindow = 8784;  // one leap year
constexpr char kH100[] = "h100-sxm";     // the reference chip of "H100-equivalent"

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// "7200", "12.5", "0.25": short, no exponent for ordinary magnitudes.
std::string Num(double v) {
  char buf[64];
  double a = std::fabs(v);
  if (a >= 100 || a == std::floor(a))
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else if (a >= 1)
    std::snprintf(buf, sizeof buf, "%.1f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2g", v);
  return buf;
}

std::string WindowText(const AllocationInstance& inst, int first, int last) {
  UtcSeconds end =
      inst.periods[last].start + static_cast<UtcSeconds>(std::llround(inst.periods[last].hours * 3600));
  return FormatUtc(inst.periods[first].start) + ".." + FormatUtc(end);
}

double Eff(const AllocationInstance& inst, int w, int p) { return EffectivePerChip(inst, w, p); }
double NominalEff(const AllocationInstance& inst, int w, int p) {
  return inst.workloads[w].efficiency[p].value_or(1.0);
}

// Eligible pools of w, most effective first (ties by id for stable output).
std::vector<int> PoolsByEfficiency(const AllocationInstance& inst, int w) {
  std::vector<int> ps;
  for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p)
    if (IsEligible(inst, w, p)) ps.push_back(p);
  std::stable_sort(ps.begin(), ps.end(), [&](int a, int b) {
    double ea = NominalEff(inst, w, a), eb = NominalEff(inst, w, b);
    if (ea != eb) return ea > eb;
    return inst.pools[a].id < inst.pools[b].id;
  });
  return ps;
}

std::string PoolList(const AllocationInstance& inst, int w, const std::vector<int>& ps) {
  if (ps.empty()) return "none: no pool has a chip type it can run on";
  std::string s;
  for (size_t i = 0; i < ps.size(); ++i) {
    if (i > 0) s += ", ";
    double e = NominalEff(inst, w, ps[i]);
    s += inst.pools[ps[i]].id + " (" + Num(e) + (i == 0 ? " H100-eq/chip)" : ")");
  }
  return s;
}

// Most effective chip-hours the fleet could give w in [first, last] if it had
// every eligible chip to itself (whole gangs only when gangs are integer).
double AloneMax(const AllocationInstance& inst, int w, int first, int last, bool integer_gangs) {
  double total = 0;
  const auto& wl = inst.workloads[w];
  for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p) {
    if (!IsEligible(inst, w, p)) continue;
    GangFit f = GangFitOn(wl, inst.pools[p]);
    for (int t = first; t <= last; ++t) {
      double chips = inst.pools[p].capacity_chips[t];
      if (f.is_gang && integer_gangs)
        chips = MaxGangs(wl, inst.pools[p], t) * f.chips_per_gang;
      else if (f.is_gang) {
        // Relaxed gangs: whole domains still bound them (fractional gangs).
        const int d = std::max(1, inst.pools[p].interconnect_domain_chips);
        const double domains = std::floor(chips / d + 1e-9);
        chips = f.domains_per_gang > 0 ? domains * d : domains * f.gangs_per_domain * f.chips_per_gang;
      }
      total += Eff(inst, w, p) * inst.periods[t].hours * chips;
    }
  }
  return total;
}

// Re-solves the model with a shortfall column on every floor row (minimising
// total shortfall) and turns the floors that stay short into reasons.
Status ExplainInfeasibility(const AllocationInstance& inst, const LpModel& lp, const AllocationLpIndex& idx,
                            bool integer, const AllocateOptions& options, AllocationResult& r) {
  LpModel ph = lp;
  for (auto& c : ph.columns) c.obj = 0;
  std::vector<int> short_col(idx.floor_rows.size());
  for (size_t f = 0; f < idx.floor_rows.size(); ++f) {
    short_col[f] = ph.AddColumn("short", 1.0, 0.0, kLpInfinity);
    ph.AddCoefficient(idx.floor_rows[f].row, short_col[f], 1.0);
  }
  LpSolveOptions so;
  so.relax_integers = !integer;
  so.mip_time_limit_s = options.mip_time_limit_s;
  so.mip_relative_gap = options.mip_relative_gap;
  StatusOr<LpSolution> sol = SolveLpModel(ph, so);
  if (!sol.ok()) return sol.status();
  if (sol->x.empty()) {
    // The phase-1 MIP ran out of time: explain with the LP relaxation.
    so.relax_integers = true;
    sol = SolveLpModel(ph, so);
    if (!sol.ok()) return sol.status();
    if (sol->x.empty())
      return Status::Internal("the shortfall model of an infeasible allocation did not solve");
  }
  r.status = SolveStatus::kInfeasible;
  // Which floors share a window and pools, to name competitors.
  for (size_t f = 0; f < idx.floor_rows.size(); ++f) {
    const auto& fr = idx.floor_rows[f];
    const double s = sol->x[short_col[f]];
    if (s <= 1e-6 * std::max(1.0, fr.required_effective_chip_hours)) continue;
    const int w = fr.workload;
    const auto& wl = inst.workloads[w];
    InfeasibilityReason why;
    why.workload = wl.id;
    why.first_period = fr.first_period;
    why.last_period = fr.last_period;
    std::vector<int> ps = PoolsByEfficiency(inst, w);
    for (int p : ps) why.pools_that_could_cover.push_back(inst.pools[p].id);
    const std::string window = WindowText(inst, fr.first_period, fr.last_period);

    bool gang_fits_nowhere = false;
    double largest_whole_domain_chips = 0;
    if (wl.gang_size_chips > 0 && integer) {
      gang_fits_nowhere = true;
      for (int p : ps) {
        const int d = std::max(1, inst.pools[p].interconnect_domain_chips);
        for (int t = fr.first_period; t <= fr.last_period; ++t) {
          if (MaxGangs(wl, inst.pools[p], t) > 0) gang_fits_nowhere = false;
          largest_whole_domain_chips = std::max(largest_whole_domain_chips,
                                                std::floor(inst.pools[p].capacity_chips[t] / d + 1e-9) * d);
        }
      }
    }
    if (gang_fits_nowhere) {
      why.kind = "gang";
      why.required = wl.gang_size_chips;
      why.achievable = largest_whole_domain_chips;
      why.shortfall = std::max(0.0, why.required - why.achievable);
      why.message = "gang of " + wl.id + " (" + Num(why.required) +
                    " chips in whole interconnect domains of one pool) fits no eligible pool in " + window +
                    ": the largest offers " + Num(why.achievable) + " chips in whole domains; short " +
                    Num(why.shortfall) + " chips, so its floor of " + Num(wl.floor_effective_chips) +
                    " H100-eq chips avg cannot be met. Pools that could cover it: " + PoolList(inst, w, ps);
    } else {
      why.kind = "floor";
      why.required = fr.required_effective_chip_hours;
      why.shortfall = s;
      why.achievable = std::max(0.0, why.required - s);
      why.message = "floor of " + wl.id + " (" + Num(wl.floor_effective_chips) + " H100-eq chips avg) in " +
                    window + ": needs " + Num(why.required) +
                    " effective chip-hours, the fleet can give at most " + Num(why.achievable) + "; short " +
                    Num(why.shortfall) + ".";
      const double alone = AloneMax(inst, w, fr.first_period, fr.last_period, integer);
      if (alone > why.achievable + 1e-6 * std::max(1.0, why.required)) {
        // It falls short only because other floors claim the same chips.
        std::vector<std::string> rivals;
        for (const auto& other : idx.floor_rows) {
          if (other.workload == w || other.last_period < fr.first_period ||
              other.first_period > fr.last_period)
            continue;
          bool shares = false;
          for (int p : ps) shares = shares || IsEligible(inst, other.workload, p);
          const std::string& id = inst.workloads[other.workload].id;
          if (shares && std::find(rivals.begin(), rivals.end(), id) == rivals.end()) rivals.push_back(id);
        }
        why.message += " Alone it could get " + Num(alone) + ", but it competes for the same pools";
        if (!rivals.empty()) {
          why.message += " with the floors of ";
          for (size_t i = 0; i < rivals.size(); ++i) why.message += (i ? ", " : "") + rivals[i];
        }
        why.message += ".";
      }
      why.message += " Pools that could cover it: " + PoolList(inst, w, ps);
    }
    r.infeasibility.push_back(std::move(why));
  }
  if (r.infeasibility.empty()) {
    InfeasibilityReason why;
    why.kind = "floor";
    why.message =
        "the floors cannot all be met together, but no single floor window stays short once they are "
        "relaxed; check floors that share pools";
    r.infeasibility.push_back(why);
  }
  return Status::Ok();
}

// Whole chips from the solver's values: gangs as whole gangs, the rest by
// largest remainder within each pool and period, never above capacity.
void RoundPlan(const AllocationInstance& inst, const AllocationLpIndex& idx, const std::vector<double>& x,
               bool integer_gangs, AllocationResult& r) {
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size()),
            T = static_cast<int>(inst.periods.size());
  r.chips.assign(P, std::vector<std::vector<int>>(W, std::vector<int>(T, 0)));
  std::vector<std::pair<double, int>> fracs;
  for (int p = 0; p < P; ++p) {
    for (int t = 0; t < T; ++t) {
      const long cap = std::lround(std::floor(inst.pools[p].capacity_chips[t] + 1e-9));
      long used = 0;
      double continuous_sum = 0;
      fracs.clear();
      for (int w = 0; w < W; ++w) {
        if (idx.x_col[p][w].empty()) continue;
        double v = std::max(0.0, x[idx.x_col[p][w][t]]);
        const double c = idx.chips_per_unit[p][w];
        if (idx.is_gang[p][w] && integer_gangs) {
          r.chips[p][w][t] = static_cast<int>(std::lround(v) * static_cast<long>(std::lround(c)));
          used += r.chips[p][w][t];
        } else {
          double chips = v * c;
          int fl = static_cast<int>(std::floor(chips + 1e-6));
          r.chips[p][w][t] = fl;
          used += fl;
          continuous_sum += chips;
          fracs.push_back({chips - fl, w});
        }
      }
      // Continuous share rounded to the nearest whole total, capped by what is left.
      long floors_total = 0;
      for (auto& fw : fracs) floors_total += r.chips[p][fw.second][t];
      long target = std::lround(continuous_sum);
      target = std::min(target, cap - (used - floors_total));
      long extra = target - floors_total;
      std::stable_sort(fracs.begin(), fracs.end(), [](auto& a, auto& b) { return a.first > b.first; });
      for (auto& fw : fracs) {
        if (extra <= 0) break;
        if (fw.first <= 1e-9) break;
        ++r.chips[p][fw.second][t];
        ++used;
        --extra;
      }
      // Defensive: solver tolerance can never push a pool over its capacity.
      for (int w = W - 1; w >= 0 && used > cap; --w) {
        if (idx.x_col[p][w].empty() || (idx.is_gang[p][w] && integer_gangs)) continue;
        int take = static_cast<int>(std::min<long>(used - cap, r.chips[p][w][t]));
        r.chips[p][w][t] -= take;
        used -= take;
      }
    }
  }
}

// Rounding can leave a floor window a fraction of a chip-hour short; top it up
// with idle chips first, then with chips of classes that can spare them
// (no floor, or a floor still met without that chip). Gangs are never split.
void RepairFloors(const AllocationInstance& inst, const AllocationLpIndex& idx, bool integer_gangs,
                  AllocationResult& r) {
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size());
  const int T = static_cast<int>(inst.periods.size());
  const size_t F = idx.floor_rows.size();
  if (F == 0) return;
  std::vector<std::vector<int>> window_of(W);  // [w][t] -> floor index
  std::vector<double> got(F, 0.0);
  for (size_t f = 0; f < F; ++f) {
    const auto& fr = idx.floor_rows[f];
    if (window_of[fr.workload].empty()) window_of[fr.workload].assign(T, -1);
    for (int t = fr.first_period; t <= fr.last_period; ++t) {
      window_of[fr.workload][t] = static_cast<int>(f);
      for (int p = 0; p < P; ++p)
        got[f] += Eff(inst, fr.workload, p) * inst.periods[t].hours * r.chips[p][fr.workload][t];
    }
  }
  auto tol = [&](size_t f) { return 1e-7 * std::max(1.0, idx.floor_rows[f].required_effective_chip_hours); };
  for (size_t f = 0; f < F; ++f) {
    const auto& fr = idx.floor_rows[f];
    const int w = fr.workload;
    if (fr.required_effective_chip_hours - got[f] <= tol(f)) continue;
    for (int p : PoolsByEfficiency(inst, w)) {
      if (idx.x_col[p][w].empty() || (idx.is_gang[p][w] && integer_gangs)) continue;
      for (int t = fr.first_period; t <= fr.last_period; ++t) {
        const double h = inst.periods[t].hours;
        const long cap = std::lround(std::floor(inst.pools[p].capacity_chips[t] + 1e-9));
        while (fr.required_effective_chip_hours - got[f] > tol(f)) {
          long used = 0;
          for (int v = 0; v < W; ++v) used += r.chips[p][v][t];
          if (used >= cap) {
            int donor = -1;
            for (int v = 0; v < W && donor < 0; ++v) {
              if (v == w || r.chips[p][v][t] <= 0 || (idx.is_gang[p][v] && integer_gangs)) continue;
              const int g = window_of[v].empty() ? -1 : window_of[v][t];
              if (g < 0 ||
                  got[g] - Eff(inst, v, p) * h >= idx.floor_rows[g].required_effective_chip_hours + tol(g))
                donor = v;
            }
            if (donor < 0) break;
            --r.chips[p][donor][t];
            const int g = window_of[donor].empty() ? -1 : window_of[donor][t];
            if (g >= 0) got[g] -= Eff(inst, donor, p) * h;
          }
          ++r.chips[p][w][t];
          got[f] += Eff(inst, w, p) * h;
        }
      }
    }
  }
}

void ComputeFigures(const AllocationInstance& inst, const AllocationLpIndex* idx, AllocationResult& r) {
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size()),
            T = static_cast<int>(inst.periods.size()), M = static_cast<int>(inst.models.size());
  r.served_output_tokens.assign(M, std::vector<double>(T, 0.0));
  r.workload_value_usd.assign(W, 0.0);
  r.revenue_usd = 0;
  std::vector<double> class_tokens(W);
  for (int m = 0; m < M; ++m)
    for (int t = 0; t < T; ++t) {
      double tokens = 0;
      for (int w = 0; w < W; ++w) {
        class_tokens[w] = 0;
        if (inst.workloads[w].served_model != m) continue;
        for (int p = 0; p < P; ++p)
          class_tokens[w] += inst.models[m].output_tokens_per_s_per_chip[p] * 3600.0 * inst.periods[t].hours *
                             r.chips[p][w][t];
        tokens += class_tokens[w];
      }
      r.served_output_tokens[m][t] = std::min(tokens, inst.models[m].demand_output_tokens[t]);
      const double revenue = r.served_output_tokens[m][t] * inst.models[m].usd_per_output_token;
      r.revenue_usd += revenue;
      if (tokens > 0)
        for (int w = 0; w < W; ++w) r.workload_value_usd[w] += revenue * class_tokens[w] / tokens;
    }

  r.workload_chip_hours.assign(W, 0.0);
  r.workload_effective_chip_hours.assign(W, 0.0);
  r.bid_value_usd = 0;
  double allocated = 0, capacity = 0;
  for (int w = 0; w < W; ++w) {
    std::vector<BidStep> bids = inst.workloads[w].bids;
    std::stable_sort(bids.begin(), bids.end(), [](auto& a, auto& b) {
      return a.usd_per_effective_chip_hour > b.usd_per_effective_chip_hour;
    });
    for (int t = 0; t < T; ++t) {
      double eff_chips = 0;
      for (int p = 0; p < P; ++p) {
        const double h = inst.periods[t].hours;
        r.workload_chip_hours[w] += r.chips[p][w][t] * h;
        r.workload_effective_chip_hours[w] += Eff(inst, w, p) * r.chips[p][w][t] * h;
        eff_chips += Eff(inst, w, p) * r.chips[p][w][t];
      }
      for (const auto& b : bids) {
        if (eff_chips <= 0 || b.usd_per_effective_chip_hour <= 0) break;
        double q = std::min(eff_chips, b.effective_chips);
        r.bid_value_usd += q * b.usd_per_effective_chip_hour * inst.periods[t].hours;
        r.workload_value_usd[w] += q * b.usd_per_effective_chip_hour * inst.periods[t].hours;
        eff_chips -= q;
      }
    }
    allocated += r.workload_chip_hours[w];
  }
  r.contract_cost_usd = 0;
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < T; ++t) {
      capacity += inst.pools[p].capacity_chips[t] * inst.periods[t].hours;
      r.contract_cost_usd +=
          inst.pools[p].capacity_chips[t] * inst.pools[p].usd_per_chip_hour * inst.periods[t].hours;
    }
  r.utilization = capacity > 0 ? allocated / capacity : 0.0;

  // Switches: chips moving into a workload at the start of a period, matched
  // to the workloads (or idle capacity) they came from, largest first.
  r.switches.clear();
  long moved_in = 0;
  for (int p = 0; p < P; ++p)
    for (int t = 1; t < T; ++t) {
      std::vector<std::pair<int, int>> ins, outs;  // (chips, workload; -1 = idle)
      long in_total = 0, out_total = 0;
      for (int w = 0; w < W; ++w) {
        int d = r.chips[p][w][t] - r.chips[p][w][t - 1];
        if (d > 0) ins.push_back({d, w}), in_total += d;
        if (d < 0) outs.push_back({-d, w}), out_total += -d;
      }
      if (in_total == 0) continue;
      moved_in += in_total;
      if (in_total > out_total) outs.push_back({static_cast<int>(in_total - out_total), -1});
      auto desc = [](auto& a, auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
      };
      std::sort(ins.begin(), ins.end(), desc);
      std::sort(outs.begin(), outs.end(), desc);
      size_t o = 0;
      for (auto& in : ins) {
        int need = in.first;
        while (need > 0 && o < outs.size()) {
          int take = std::min(need, outs[o].first);
          SwitchEvent e;
          e.period = t;
          e.pool = inst.pools[p].id;
          e.from_workload = outs[o].second >= 0 ? inst.workloads[outs[o].second].id : "";
          e.to_workload = inst.workloads[in.second].id;
          e.chips = take;
          r.switches.push_back(std::move(e));
          need -= take;
          outs[o].first -= take;
          if (outs[o].first == 0) ++o;
        }
      }
    }
  r.switch_cost_usd = inst.switch_cost_usd_per_chip * static_cast<double>(moved_in);
  r.plan_value_usd = r.revenue_usd + r.bid_value_usd - r.switch_cost_usd;

  r.floors.clear();
  if (idx != nullptr)
    for (const auto& fr : idx->floor_rows) {
      FloorWindow f;
      f.workload = inst.workloads[fr.workload].id;
      f.first_period = fr.first_period;
      f.last_period = fr.last_period;
      f.required_effective_chip_hours = fr.required_effective_chip_hours;
      for (int p = 0; p < P; ++p)
        for (int t = fr.first_period; t <= fr.last_period; ++t)
          f.achieved_effective_chip_hours +=
              Eff(inst, fr.workload, p) * inst.periods[t].hours * r.chips[p][fr.workload][t];
      r.floors.push_back(std::move(f));
    }
}

void EchoInstance(const AllocationInstance& inst, AllocationResult& r) {
  r.periods = inst.periods;
  for (const auto& p : inst.pools) {
    r.pool_ids.push_back(p.id);
    r.capacity_chips.push_back(p.capacity_chips);
  }
  for (const auto& w : inst.workloads) r.workload_ids.push_back(w.id);
  for (const auto& m : inst.models) {
    r.model_ids.push_back(m.id);
    r.demand_output_tokens.push_back(m.demand_output_tokens);
  }
  const size_t P = inst.pools.size(), W = inst.workloads.size(), T = inst.periods.size();
  r.chips.assign(P, std::vector<std::vector<int>>(W, std::vector<int>(T, 0)));
  r.shadow_usd_per_chip_hour.assign(P, std::vector<double>(T, 0.0));
}

// Rounds the integer columns of `relaxed_x` down, to nearest, then up, and
// returns the first rounding whose LP (integers fixed) is feasible, with
// status kTimeLimit so callers report it as a heuristic incumbent. Returns a
// solution with status kInfeasible when no rounding is feasible.
StatusOr<LpSolution> RoundGangsFromRelaxation(const AllocationInstance& inst, const AllocationLpIndex& idx,
                                              const LpModel& lp, const std::vector<double>& relaxed_x,
                                              LpSolveOptions so) {
  so.relax_integers = true;
  LpSolution last;
  last.status = LpStatus::kInfeasible;
  for (int mode = 0; mode < 3; ++mode) {
    LpModel fixed = lp;
    auto fix = [&fixed](int j, double v) {
      v = std::clamp(v, fixed.columns[j].lb, fixed.columns[j].ub);
      fixed.columns[j].lb = fixed.columns[j].ub = v;
      fixed.columns[j].is_integer = false;
    };
    for (size_t p = 0; p < idx.x_col.size(); ++p)
      for (size_t w = 0; w < idx.x_col[p].size(); ++w) {
        if (!idx.is_gang[p][w]) continue;
        GangFit f = GangFitOn(inst.workloads[w], inst.pools[p]);
        for (size_t t = 0; t < idx.x_col[p][w].size(); ++t) {
          int j = idx.x_col[p][w][t];
          if (j < 0) continue;
          double v = relaxed_x[j];
          v = mode == 0 ? std::floor(v + 1e-6) : mode == 1 ? std::round(v) : std::ceil(v - 1e-6);
          fix(j, v);
          // Domains reserved for the class: just enough for its whole gangs.
          if (!idx.domain_col[p][w].empty() && idx.domain_col[p][w][t] >= 0 && f.gangs_per_domain > 0)
            fix(idx.domain_col[p][w][t], std::ceil(fixed.columns[j].lb / f.gangs_per_domain - 1e-9));
        }
      }
    for (int j = 0; j < fixed.num_columns(); ++j)
      if (fixed.columns[j].is_integer) fix(j, std::round(relaxed_x[j]));
    StatusOr<LpSolution> sol = SolveLpModel(fixed, so);
    if (!sol.ok()) return sol.status().WithContext("allocation LP with rounded gangs");
    if (sol->status == LpStatus::kOptimal) {
      sol->status = LpStatus::kTimeLimit;
      return sol;
    }
  }
  return last;
}

}  // namespace

StatusOr<AllocationInstance> BuildInstance(const Fleet& fleet, const AllocateOptions& o) {
  if (o.period_hours <= 0)
    return Status::Invalid("period must be at least 1 hour, got " + std::to_string(o.period_hours) + "h");
  if (o.hours <= 0 || o.hours > kMaxHoursInWindow)
    return Status::Invalid("hours must be between 1 and " + std::to_string(kMaxHoursInWindow) + ", got " +
                           std::to_string(o.hours));
  if (o.hours % o.period_hours != 0)
    return Status::Invalid("the period (" + std::to_string(o.period_hours) +
                           "h) does not divide the window (" + std::to_string(o.hours) + "h)");
  AllocationInstance inst;
  const int T = o.hours / o.period_hours;
  for (int t = 0; t < T; ++t)
    inst.periods.push_back({o.from + static_cast<UtcSeconds>(t) * o.period_hours * kSecondsPerHour,
                            static_cast<double>(o.period_hours)});
  for (const auto& pool : fleet.pools) {
    const ChipType* chip = fleet.FindChip(pool.chip_type);
    if (chip == nullptr)
      return Status::Invalid("pool " + pool.id + ": unknown chip type '" + pool.chip_type + "'");
    AllocationInstance::PoolIn p;
    p.id = pool.id;
    p.chip_type = pool.chip_type;
    p.interconnect_domain_chips = std::max(1, chip->interconnect_domain_chips);
    p.usd_per_chip_hour = fleet.PoolUsdPerChipHour(pool);
    for (const auto& per : inst.periods)
      p.capacity_chips.push_back(std::floor(fleet.PoolCapacityAt(pool, per.start) + 1e-9));
    inst.pools.push_back(std::move(p));
  }
  for (const auto& model : fleet.models) {
    AllocationInstance::ModelIn m;
    m.id = model.id;
    m.usd_per_output_token = model.usd_per_output_token();
    for (const auto& pool : fleet.pools) {
      auto it = model.output_tokens_per_s_per_chip.find(pool.chip_type);
      m.output_tokens_per_s_per_chip.push_back(it == model.output_tokens_per_s_per_chip.end() ? 0.0
                                                                                              : it->second);
    }
    const ServingDemand* d = fleet.FindDemand(model.id);
    for (const auto& per : inst.periods) {
      double tokens = 0;
      if (d != nullptr)
        for (int k = 0; k < o.period_hours; ++k) {
          UtcSeconds hour = per.start + static_cast<UtcSeconds>(k) * kSecondsPerHour;
          if (hour >= model.launch) tokens += d->output_tokens_per_hour * d->ShapeAt(hour);
        }
      m.demand_output_tokens.push_back(tokens);
    }
    inst.models.push_back(std::move(m));
  }
  for (const auto& wc : fleet.workloads) {
    AllocationInstance::WorkloadIn w;
    w.id = wc.id;
    w.kind = wc.kind;
    w.team = wc.team;
    w.gang_size_chips = wc.gang_size_chips;
    w.floor_effective_chips = wc.floor_effective_chips;
    w.floor_window_periods =
        wc.floor_window_hours <= 0 ? 0 : std::max(1, wc.floor_window_hours / o.period_hours);
    w.bids = wc.bids;
    const ServedModel* model = nullptr;
    if (wc.kind == WorkloadKind::kServe || !wc.model.empty()) {
      for (size_t m = 0; m < fleet.models.size(); ++m)
        if (fleet.models[m].id == wc.model) {
          w.served_model = static_cast<int>(m);
          model = &fleet.models[m];
        }
      if (model == nullptr)
        return Status::Invalid("workload " + wc.id + ": unknown model '" + wc.model + "'");
    }
    for (const auto& pool : fleet.pools) {
      if (model != nullptr && wc.eligible.empty()) {
        // Serving defaults to the model's throughput table; its efficiency is
        // the throughput relative to an H100 when the table has one.
        auto it = model->output_tokens_per_s_per_chip.find(pool.chip_type);
        if (it == model->output_tokens_per_s_per_chip.end() || it->second <= 0) {
          w.efficiency.push_back(std::nullopt);
          continue;
        }
        auto ref = model->output_tokens_per_s_per_chip.find(kH100);
        bool has_ref = ref != model->output_tokens_per_s_per_chip.end() && ref->second > 0;
        w.efficiency.push_back(has_ref ? it->second / ref->second : 1.0);
      } else {
        w.efficiency.push_back(wc.EfficiencyOn(pool.chip_type));
      }
    }
    inst.workloads.push_back(std::move(w));
  }
  inst.switch_cost_usd_per_chip = fleet.allocation.switch_cost_usd_per_chip;
  return inst;
}

StatusOr<AllocationResult> Solve(const AllocationInstance& inst, const AllocateOptions& options) {
  FUNGIBLE_RETURN_IF_ERROR(ValidateInstance(inst));
  AllocationResult r;
  EchoInstance(inst, r);

  auto t_build = std::chrono::steady_clock::now();
  LpModel lp(/*keep_names=*/false);
  AllocationLpOptions lo;
  lo.integer_gangs = options.integer_gangs;
  AllocationLpIndex idx = AppendAllocationLp(inst, lp, 1.0, "", lo);
  r.build_seconds = SecondsSince(t_build);
  r.lp_rows = lp.num_rows();
  r.lp_columns = lp.num_columns();
  r.has_integers = lp.has_integers();

  auto t_solve = std::chrono::steady_clock::now();
  LpSolveOptions so;
  so.relax_integers = true;
  so.mip_time_limit_s = options.mip_time_limit_s;
  so.mip_relative_gap = options.mip_relative_gap;
  StatusOr<LpSolution> relax = SolveLpModel(lp, so);
  if (!relax.ok()) return relax.status().WithContext("allocation LP");
  if (relax->status == LpStatus::kUnbounded)
    return Status::Internal("allocation LP is unbounded (a bid or price without a capacity limit)");
  if (relax->status == LpStatus::kInfeasible) {
    FUNGIBLE_RETURN_IF_ERROR(ExplainInfeasibility(inst, lp, idx, r.has_integers, options, r));
    ComputeFigures(inst, &idx, r);
    r.solve_seconds = SecondsSince(t_solve);
    return r;
  }
  r.lp_relaxation_objective_usd = -relax->objective;
  LpSolution final_lp = std::move(*relax);

  if (r.has_integers) {
    so.relax_integers = false;
    StatusOr<LpSolution> mip = SolveLpModel(lp, so);
    if (!mip.ok()) return mip.status().WithContext("allocation MIP");
    if (mip->status == LpStatus::kInfeasible) {
      FUNGIBLE_RETURN_IF_ERROR(ExplainInfeasibility(inst, lp, idx, true, options, r));
      ComputeFigures(inst, &idx, r);
      r.solve_seconds = SecondsSince(t_solve);
      return r;
    }
    if (mip->status == LpStatus::kTimeLimitNoSolution) {
      // Cbc found no incumbent in time: dive from the LP relaxation instead
      // (gang counts rounded down, to nearest, then up; the first rounding
      // whose fixed LP is feasible is the plan). The result is reported as
      // kTimeLimit with its gap to the LP bound, never as optimal.
      StatusOr<LpSolution> dive = RoundGangsFromRelaxation(inst, idx, lp, final_lp.x, so);
      if (!dive.ok()) return dive.status();
      if (dive->status != LpStatus::kTimeLimit)
        return Status::Internal("Cbc found no whole-gang allocation within " + Num(options.mip_time_limit_s) +
                                " s and rounding the LP relaxation found none either; allow more time "
                                "(--time-limit) or solve the LP relaxation only (--lp-only)");
      dive->best_bound = -r.lp_relaxation_objective_usd;  // the LP relaxation bounds it
      mip = std::move(dive);
    }
    if (mip->status == LpStatus::kTimeLimit) r.status = SolveStatus::kTimeLimit;
    // Shadow prices and the continuous part from the LP with gangs fixed.
    LpModel fixed = lp;
    for (int j = 0; j < fixed.num_columns(); ++j)
      if (fixed.columns[j].is_integer) {
        double v = std::round(mip->x[j]);
        fixed.columns[j].lb = fixed.columns[j].ub = v;
        fixed.columns[j].is_integer = false;
      }
    so.relax_integers = true;
    StatusOr<LpSolution> fx = SolveLpModel(fixed, so);
    if (!fx.ok()) return fx.status().WithContext("allocation LP with gangs fixed");
    if (fx->status != LpStatus::kOptimal)
      return Status::Internal(std::string("allocation LP with gangs fixed ended ") +
                              LpStatusName(fx->status));
    r.mip_best_bound_usd = -mip->best_bound;
    final_lp = std::move(*fx);
    r.objective_usd = -final_lp.objective;
    double lp_abs = std::fabs(r.lp_relaxation_objective_usd);
    r.integer_gap_rel =
        lp_abs > 1e-9 ? std::max(0.0, r.lp_relaxation_objective_usd - r.objective_usd) / lp_abs : 0.0;
  } else {
    r.objective_usd = r.lp_relaxation_objective_usd;
    r.mip_best_bound_usd = r.objective_usd;
  }
  r.solve_seconds = SecondsSince(t_solve);

  const int P = static_cast<int>(inst.pools.size()), T = static_cast<int>(inst.periods.size());
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < T; ++t) {
      // Minimisation of -value: a binding <= row has a dual <= 0.
      double d = -final_lp.row_dual[idx.capacity_row[p][t]] / inst.periods[t].hours;
      r.shadow_usd_per_chip_hour[p][t] = d > 0 ? d : 0.0;
    }
  RoundPlan(inst, idx, final_lp.x, options.integer_gangs, r);
  RepairFloors(inst, idx, options.integer_gangs, r);
  ComputeFigures(inst, &idx, r);
  return r;
}

Status WriteMps(const AllocationInstance& inst, const AllocateOptions& options, const std::string& path) {
  FUNGIBLE_RETURN_IF_ERROR(ValidateInstance(inst));
  LpModel lp(/*keep_names=*/true);
  AllocationLpOptions lo;
  lo.integer_gangs = options.integer_gangs;
  AppendAllocationLp(inst, lp, 1.0, "", lo);
  return WriteLpModelMps(lp, path);
}

StatusOr<AllocationResult> Allocate(const Fleet& fleet, const AllocateOptions& options) {
  StatusOr<AllocationInstance> inst = BuildInstance(fleet, options);
  if (!inst.ok()) return inst.status();
  return Solve(*inst, options);
}

}  // namespace fungible

// Solve(): the allocation LP/MIP, the whole-chip plan derived from it, its
// figures, shadow prices, and the explanation when floors cannot be met.
#include "allocate/allocate.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <optional>

#include "allocate/allocation_lp.h"
#include "lp/solve.h"
#include "util/parallel.h"
#include "util/timer.h"

namespace fungible {

const char* SolveStatusName(SolveStatus s) {
  switch (s) {
    case SolveStatus::kOptimal: return "optimal";
    case SolveStatus::kInfeasible: return "infeasible";
    case SolveStatus::kTimeLimit: return "time_limit";
  }
  return "unknown";
}

namespace {

constexpr int kMaxHoursInWindow = 8784;  // one leap year
constexpr char kH100[] = "h100-sxm";     // the reference chip of "H100-equivalent"

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

// The window's floor on average, H100-eq chips (a schedule may vary within it).
double FloorAvg(const AllocationInstance& inst, const AllocationLpIndex::FloorRow& fr) {
  double hours = 0;
  for (int t = fr.first_period; t <= fr.last_period; ++t) hours += inst.periods[t].hours;
  return hours > 0 ? fr.required_effective_chip_hours / hours : 0.0;
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
double AloneMaxOn(const AllocationInstance& inst, int w, int p, int first, int last, bool integer_gangs) {
  double total = 0;
  const auto& wl = inst.workloads[w];
  {
    if (!IsEligible(inst, w, p)) return 0;
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
double AloneMax(const AllocationInstance& inst, int w, int first, int last, bool integer_gangs) {
  double total = 0;
  for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p)
    total += AloneMaxOn(inst, w, p, first, last, integer_gangs);
  return total;
}
// The same for shared floor g: every chip of a pool on the member that does
// the most work there.
double SharedAloneMax(const AllocationInstance& inst, int g, int first, int last, bool integer_gangs) {
  double total = 0;
  for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p) {
    double best = 0;
    for (int w : inst.shared_floors[g].workloads)
      best = std::max(best, AloneMaxOn(inst, w, p, first, last, integer_gangs));
    total += best;
  }
  return total;
}

std::string MemberList(const AllocationInstance& inst, int g) {
  std::string s;
  for (int w : inst.shared_floors[g].workloads) s += (s.empty() ? "" : ", ") + inst.workloads[w].id;
  return s;
}

// Pools any member of shared floor g can use, by id.
std::string SharedPoolList(const AllocationInstance& inst, int g, std::vector<std::string>* ids) {
  std::string s;
  for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p) {
    bool any = false;
    for (int w : inst.shared_floors[g].workloads) any = any || IsEligible(inst, w, p);
    if (!any) continue;
    s += (s.empty() ? "" : ", ") + inst.pools[p].id;
    if (ids != nullptr) ids->push_back(inst.pools[p].id);
  }
  return s.empty() ? "none: no pool has a chip type its classes can run on" : s;
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
  std::vector<int> shared_short_col(idx.shared_floor_rows.size());
  for (size_t f = 0; f < idx.shared_floor_rows.size(); ++f) {
    shared_short_col[f] = ph.AddColumn("short", 1.0, 0.0, kLpInfinity);
    ph.AddCoefficient(idx.shared_floor_rows[f].row, shared_short_col[f], 1.0);
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
                    Num(why.shortfall) + " chips, so its floor of " + Num(FloorAvg(inst, fr)) +
                    " H100-eq chips avg cannot be met. Pools that could cover it: " + PoolList(inst, w, ps);
    } else {
      why.kind = "floor";
      why.required = fr.required_effective_chip_hours;
      why.shortfall = s;
      why.achievable = std::max(0.0, why.required - s);
      why.message = "floor of " + wl.id + " (" + Num(FloorAvg(inst, fr)) + " H100-eq chips avg) in " +
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
  for (size_t f = 0; f < idx.shared_floor_rows.size(); ++f) {
    const auto& fr = idx.shared_floor_rows[f];
    const double s = sol->x[shared_short_col[f]];
    if (s <= 1e-6 * std::max(1.0, fr.required_effective_chip_hours)) continue;
    const int g = fr.shared;
    InfeasibilityReason why;
    why.kind = "shared_floor";
    why.workload = inst.shared_floors[g].id;
    for (int w : inst.shared_floors[g].workloads) why.members.push_back(inst.workloads[w].id);
    why.first_period = fr.first_period;
    why.last_period = fr.last_period;
    why.required = fr.required_effective_chip_hours;
    why.shortfall = s;
    why.achievable = std::max(0.0, why.required - s);
    const std::string pools = SharedPoolList(inst, g, &why.pools_that_could_cover);
    why.message = "floor " + why.workload + " (the sum of " + MemberList(inst, g) + ", " +
                  Num(FloorAvg(inst, fr)) + " H100-eq chips avg) in " +
                  WindowText(inst, fr.first_period, fr.last_period) + ": needs " + Num(why.required) +
                  " effective chip-hours, the fleet can give at most " + Num(why.achievable) + "; short " +
                  Num(why.shortfall) + ".";
    const double alone = SharedAloneMax(inst, g, fr.first_period, fr.last_period, integer);
    if (alone > why.achievable + 1e-6 * std::max(1.0, why.required))
      why.message += " Alone its classes could get " + Num(alone) +
                     ", but other floors claim the same pools in that window.";
    else
      why.message +=
          " Capacity: every chip up in the pools its classes can use (after landing and "
          "availability) gives at most " +
          Num(std::max(alone, why.achievable)) + ".";
    why.message += " Pools that could cover it: " + pools;
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

// How RoundPoolPeriod treats gang classes: their values are whole gangs
// (rounded to nearest), fractional gangs to round down, or plain chips (gangs
// relaxed).
enum class GangRounding { kWhole, kDown, kAsChips };

// Whole chips of pool p in period t from continuous chips[w]: gangs as
// `gangs` says, the rest by largest remainder to the nearest whole total,
// never above capacity.
void RoundPoolPeriod(const AllocationInstance& inst, const AllocationLpIndex& idx, int p, int t,
                     const std::vector<double>& chips, GangRounding gangs, AllocationResult& r) {
  const int W = static_cast<int>(inst.workloads.size());
  const long cap = std::lround(std::floor(inst.pools[p].capacity_chips[t] + 1e-9));
  long used = 0;
  double continuous_sum = 0;
  std::vector<std::pair<double, int>> fracs;
  for (int w = 0; w < W; ++w) {
    r.chips[p][w][t] = 0;
    if (idx.x_col[p][w].empty()) continue;
    const double v = std::max(0.0, chips[w]);
    if (idx.is_gang[p][w] && gangs != GangRounding::kAsChips) {
      const double c = idx.chips_per_unit[p][w];
      const long g =
          gangs == GangRounding::kWhole ? std::lround(v / c) : static_cast<long>(std::floor(v / c + 1e-6));
      r.chips[p][w][t] = static_cast<int>(g * std::lround(c));
      used += r.chips[p][w][t];
    } else {
      const int fl = static_cast<int>(std::floor(v + 1e-6));
      r.chips[p][w][t] = fl;
      used += fl;
      continuous_sum += v;
      fracs.push_back({v - fl, w});
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
    if (extra <= 0 || fw.first <= 1e-9) break;
    ++r.chips[p][fw.second][t];
    ++used;
    --extra;
  }
  // Defensive: solver tolerance can never push a pool over its capacity.
  for (int w = W - 1; w >= 0 && used > cap; --w) {
    if (idx.x_col[p][w].empty() || (idx.is_gang[p][w] && gangs != GangRounding::kAsChips)) continue;
    int take = static_cast<int>(std::min<long>(used - cap, r.chips[p][w][t]));
    r.chips[p][w][t] -= take;
    used -= take;
  }
}

// Whole chips from the solver's values over the horizon.
void RoundPlan(const AllocationInstance& inst, const AllocationLpIndex& idx, const std::vector<double>& x,
               bool integer_gangs, AllocationResult& r) {
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size()),
            T = static_cast<int>(inst.periods.size());
  r.chips.assign(P, std::vector<std::vector<int>>(W, std::vector<int>(T, 0)));
  std::vector<double> chips(W);
  for (int p = 0; p < P; ++p)
    for (int t = 0; t < T; ++t) {
      for (int w = 0; w < W; ++w)
        chips[w] = idx.x_col[p][w].empty() ? 0.0 : x[idx.x_col[p][w][t]] * idx.chips_per_unit[p][w];
      RoundPoolPeriod(inst, idx, p, t, chips, integer_gangs ? GangRounding::kWhole : GangRounding::kAsChips,
                      r);
    }
}

// Rounding can leave a shared floor's window a fraction of a chip-hour short:
// top it up with idle chips, then with chips of classes under no floor at all,
// on the member that does the most work per chip. Gangs are never split.
void RepairSharedFloors(const AllocationInstance& inst, const AllocationLpIndex& idx, bool integer_gangs,
                        AllocationResult& r) {
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size());
  std::vector<char> floored(W, 0);
  for (int w = 0; w < W; ++w) floored[w] = inst.workloads[w].floor_effective_chips > 0;
  for (const auto& g : inst.shared_floors)
    for (int w : g.workloads) floored[w] = 1;
  for (const auto& fr : idx.shared_floor_rows) {
    const auto& members = inst.shared_floors[fr.shared].workloads;
    const double tol = 1e-7 * std::max(1.0, fr.required_effective_chip_hours);
    double got = 0;
    for (int w : members)
      for (int p = 0; p < P; ++p)
        for (int t = fr.first_period; t <= fr.last_period; ++t)
          got += Eff(inst, w, p) * inst.periods[t].hours * r.chips[p][w][t];
    for (int w : members)
      for (int p : PoolsByEfficiency(inst, w)) {
        if (idx.x_col[p][w].empty() || (idx.is_gang[p][w] && integer_gangs)) continue;
        for (int t = fr.first_period; t <= fr.last_period; ++t) {
          const double h = inst.periods[t].hours;
          const long cap = std::lround(std::floor(inst.pools[p].capacity_chips[t] + 1e-9));
          while (fr.required_effective_chip_hours - got > tol) {
            long used = 0;
            for (int v = 0; v < W; ++v) used += r.chips[p][v][t];
            if (used >= cap) {
              int donor = -1;
              for (int v = 0; v < W && donor < 0; ++v)
                if (!floored[v] && r.chips[p][v][t] > 0 && !(idx.is_gang[p][v] && integer_gangs)) donor = v;
              if (donor < 0) break;
              --r.chips[p][donor][t];
            }
            ++r.chips[p][w][t];
            got += Eff(inst, w, p) * h;
          }
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
  // Members of shared floors never give chips away here.
  std::vector<char> shared_member(W, 0);
  for (const auto& g : inst.shared_floors)
    for (int w : g.workloads) shared_member[w] = 1;
  RepairSharedFloors(inst, idx, integer_gangs, r);
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
              if (v == w || r.chips[p][v][t] <= 0 || (idx.is_gang[p][v] && integer_gangs) || shared_member[v])
                continue;
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
  if (idx != nullptr)
    for (const auto& fr : idx->shared_floor_rows) {
      const auto& g = inst.shared_floors[fr.shared];
      FloorWindow f;
      f.workload = g.id;
      for (int w : g.workloads) f.members.push_back(inst.workloads[w].id);
      f.first_period = fr.first_period;
      f.last_period = fr.last_period;
      f.required_effective_chip_hours = fr.required_effective_chip_hours;
      for (int w : g.workloads)
        for (int p = 0; p < P; ++p)
          for (int t = fr.first_period; t <= fr.last_period; ++t)
            f.achieved_effective_chip_hours += Eff(inst, w, p) * inst.periods[t].hours * r.chips[p][w][t];
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

// Fixes column j at v (clamped to its bounds) as a continuous column: how
// both gang roundings pin a rounded gang count before re-solving the rest.
void FixColumn(LpModel& lp, int j, double v) {
  v = std::clamp(v, lp.columns[j].lb, lp.columns[j].ub);
  lp.columns[j].lb = lp.columns[j].ub = v;
  lp.columns[j].is_integer = false;
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
    auto fix = [&fixed](int j, double v) { FixColumn(fixed, j, v); };
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

// The wall clock of one Solve(): Cap(s) is what a solver call may take.
class Deadline {
 public:
  explicit Deadline(double seconds)
      : unlimited_(!(seconds > 0)),
        end_(std::chrono::steady_clock::now() +
             std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                 std::chrono::duration<double>(unlimited_ ? 0.0 : seconds))) {}
  double Remaining() const {
    return unlimited_ ? std::numeric_limits<double>::infinity()
                      : std::chrono::duration<double>(end_ - std::chrono::steady_clock::now()).count();
  }
  bool Passed() const { return Remaining() <= 0; }
  // `limit` (0 = none) capped by the time left; at least a millisecond, so a
  // solver told "0" never reads it as "no limit".
  double Cap(double limit) const {
    if (unlimited_) return limit;
    const double left = std::max(1e-3, Remaining());
    return limit > 0 ? std::min(limit, left) : left;
  }

 private:
  bool unlimited_;
  std::chrono::steady_clock::time_point end_;
};

// Rows of the full model (per-class switching), counted without building it.
long FullModelRows(const AllocationInstance& inst) {
  const long T = static_cast<long>(inst.periods.size());
  long active = 0;
  for (int w = 0; w < static_cast<int>(inst.workloads.size()); ++w)
    if (HasValue(inst, w))
      for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p) active += IsEligible(inst, w, p) ? 1 : 0;
  const long switching = inst.switch_cost_usd_per_chip > 0 ? active * (T - 1) : 0;
  return T * static_cast<long>(inst.pools.size() * 2 + inst.models.size() + inst.workloads.size()) +
         switching;
}

// bound_usd, bound_kind's value, and the gap of the plan. `model_bound` is a
// bound on the LP/MIP objective, which charges the idle preference on every
// allocated chip-hour: adding it back for all capacity bounds the plain value.
void Certify(const AllocationInstance& inst, double model_bound, AllocationResult& r) {
  double capacity_chip_hours = 0;
  for (const auto& p : inst.pools)
    for (size_t t = 0; t < inst.periods.size(); ++t)
      capacity_chip_hours += p.capacity_chips[t] * inst.periods[t].hours;
  r.bound_usd = model_bound + AllocationLpOptions{}.idle_preference_usd_per_chip_hour * capacity_chip_hours;
  const double scale = std::fabs(r.bound_usd);
  r.gap_rel = scale > 0 ? std::max(0.0, r.bound_usd - r.plan_value_usd) / scale : 0.0;
}

}  // namespace

namespace {
// The step of a floor schedule in effect at t (nullptr before the first).
const FloorStep* FloorStepAt(const std::vector<FloorStep>& schedule, UtcSeconds t) {
  const FloorStep* step = nullptr;
  for (const auto& s : schedule)
    if (s.from <= t) step = &s;
  return step;
}
}  // namespace

double FloorEffectiveChipsAt(const Fleet& fleet, const WorkloadClass& w, UtcSeconds t) {
  const FloorStep* step = FloorStepAt(w.floor_schedule, t);
  if (step == nullptr) return w.floor_effective_chips;
  if (step->fleet_share <= 0) return step->effective_chips;
  double fleet_effective = 0;
  for (const auto& pool : fleet.pools)
    if (auto eff = w.EfficiencyOn(pool.chip_type)) fleet_effective += *eff * fleet.PoolCapacityAt(pool, t);
  return step->fleet_share * fleet_effective;
}

double SharedFloorEffectiveChipsAt(const Fleet& fleet, const SharedFloor& f, UtcSeconds t) {
  const FloorStep* step = FloorStepAt(f.schedule, t);
  if (step == nullptr) return f.effective_chips;
  if (step->fleet_share <= 0) return step->effective_chips;
  double fleet_effective = 0;
  for (const auto& pool : fleet.pools) {
    double best = 0;
    for (const auto& id : f.workloads)
      if (const WorkloadClass* w = fleet.FindWorkload(id))
        if (auto eff = w->EfficiencyOn(pool.chip_type)) best = std::max(best, *eff);
    fleet_effective += best * fleet.PoolCapacityAt(pool, t);
  }
  return step->fleet_share * fleet_effective;
}

double SharedFloorRequiredEffectiveChipHours(const AllocationInstance& inst, int g, int first, int last) {
  double need = 0;
  for (int t = first; t <= last; ++t)
    need += inst.shared_floors[g].effective_chips_by_period[t] * inst.periods[t].hours;
  return need;
}

double FloorRequiredEffectiveChipHours(const AllocationInstance& inst, int w, int first, int last) {
  double need = 0;
  for (int t = first; t <= last; ++t) need += inst.workloads[w].FloorIn(t) * inst.periods[t].hours;
  return need;
}

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
    if (!wc.floor_schedule.empty()) {
      w.floor_effective_chips = 0;
      for (const auto& per : inst.periods) {
        const double f = FloorEffectiveChipsAt(fleet, wc, per.start);
        w.floor_effective_chips_by_period.push_back(f);
        w.floor_effective_chips = std::max(w.floor_effective_chips, f);
      }
    }
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
  for (const auto& sf : fleet.floors) {
    AllocationInstance::SharedFloorIn g;
    g.id = sf.name;
    for (const auto& id : sf.workloads)
      for (size_t w = 0; w < fleet.workloads.size(); ++w)
        if (fleet.workloads[w].id == id) g.workloads.push_back(static_cast<int>(w));
    if (g.workloads.size() != sf.workloads.size())
      return Status::Invalid("floor " + sf.name + ": unknown workload");
    for (const auto& per : inst.periods)
      g.effective_chips_by_period.push_back(SharedFloorEffectiveChipsAt(fleet, sf, per.start));
    g.window_periods = sf.window_hours <= 0 ? 0 : std::max(1, sf.window_hours / o.period_hours);
    inst.shared_floors.push_back(std::move(g));
  }
  inst.switch_cost_usd_per_chip = fleet.allocation.switch_cost_usd_per_chip;
  return inst;
}

namespace {

StatusOr<AllocationResult> SolveExact(const AllocationInstance& inst, const AllocateOptions& options,
                                      const Deadline& deadline) {
  AllocationResult r;
  EchoInstance(inst, r);
  r.method = "exact";

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
  so.mip_time_limit_s = deadline.Cap(options.mip_time_limit_s);
  so.lp_time_limit_s = deadline.Cap(0);
  so.mip_relative_gap = options.mip_relative_gap;
  StatusOr<LpSolution> relax = SolveLpModel(lp, so);
  if (relax.ok() && relax->status == LpStatus::kTimeLimitNoSolution)
    return Status::Internal("the allocation LP did not finish within the time limit of " +
                            Num(options.time_limit_s) + " s; allow more time (--time-limit)");
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
    so.mip_time_limit_s = deadline.Cap(options.mip_time_limit_s);
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
    so.lp_time_limit_s = 0;  // a small LP (gangs fixed); the plan needs it
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
  // The best bound on the full model: the LP optimum, or Cbc's bound on the
  // MIP (the LP relaxation's when rounding found the plan).
  r.bound_kind = r.has_integers ? "Cbc's bound on the full MIP" : "optimum of the full LP";
  Certify(inst, r.has_integers ? r.mip_best_bound_usd : r.objective_usd, r);
  return r;
}

// ---- The decomposed method ----

// Periods that floor windows tie together: without switching rows, the model
// separates exactly into these blocks.
std::vector<std::pair<int, int>> FloorBlocks(const AllocationInstance& inst) {
  const int T = static_cast<int>(inst.periods.size());
  std::vector<char> tied(T, 0);  // tied[t]: t and t + 1 share a floor window
  for (const auto& w : inst.workloads) {
    if (w.floor_effective_chips <= 0) continue;
    const int len = w.floor_window_periods > 0 ? w.floor_window_periods : T;
    for (int t = 0; t + 1 < T; ++t)
      if ((t + 1) % len != 0) tied[t] = 1;
  }
  for (const auto& g : inst.shared_floors) {
    const int len = g.window_periods > 0 ? g.window_periods : T;
    for (int t = 0; t + 1 < T; ++t)
      if ((t + 1) % len != 0) tied[t] = 1;
  }
  std::vector<std::pair<int, int>> blocks;
  for (int s = 0; s < T;) {
    int e = s;
    while (e + 1 < T && tied[e]) ++e;
    blocks.push_back({s, e});
    s = e + 1;
  }
  return blocks;
}

// Periods [first, last] of `inst` as an instance of their own. Floor windows
// keep their length (blocks start where every window starts) unless
// `one_window` makes the slice one window.
AllocationInstance Slice(const AllocationInstance& inst, int first, int last, bool one_window) {
  AllocationInstance s;
  s.switch_cost_usd_per_chip = inst.switch_cost_usd_per_chip;
  s.periods.assign(inst.periods.begin() + first, inst.periods.begin() + last + 1);
  s.pools = inst.pools;
  for (auto& p : s.pools)
    p.capacity_chips.assign(p.capacity_chips.begin() + first, p.capacity_chips.begin() + last + 1);
  s.models = inst.models;
  for (auto& m : s.models)
    m.demand_output_tokens.assign(m.demand_output_tokens.begin() + first,
                                  m.demand_output_tokens.begin() + last + 1);
  s.workloads = inst.workloads;
  for (auto& w : s.workloads)
    if (!w.floor_effective_chips_by_period.empty())
      w.floor_effective_chips_by_period.assign(w.floor_effective_chips_by_period.begin() + first,
                                               w.floor_effective_chips_by_period.begin() + last + 1);
  s.shared_floors = inst.shared_floors;
  for (auto& g : s.shared_floors) {
    g.effective_chips_by_period.assign(g.effective_chips_by_period.begin() + first,
                                       g.effective_chips_by_period.begin() + last + 1);
    if (one_window) g.window_periods = 0;
  }
  if (one_window)
    for (auto& w : s.workloads) w.floor_window_periods = 0;
  return s;
}

// Where every class may run and its floor windows, without building a model.
AllocationLpIndex Layout(const AllocationInstance& inst, bool integer_gangs) {
  LpModel empty(false);
  AllocationInstance one = Slice(inst, 0, 0, true);
  AllocationLpOptions lo;
  lo.integer_gangs = integer_gangs;
  lo.switching = SwitchingRows::kNone;
  const int W = static_cast<int>(inst.workloads.size()), T = static_cast<int>(inst.periods.size());
  for (int w = 0; w < W; ++w) lo.classes_with_value.push_back(HasValue(inst, w) ? 1 : 0);
  AllocationLpIndex idx = AppendAllocationLp(one, empty, 1.0, "", lo);
  for (auto& per_pool : idx.x_col)
    for (auto& cols : per_pool)
      if (!cols.empty()) cols.assign(T, -1);
  idx.floor_rows.clear();
  for (int w = 0; w < W; ++w) {
    const auto& wl = inst.workloads[w];
    if (wl.floor_effective_chips <= 0) continue;
    const int len = wl.floor_window_periods > 0 ? wl.floor_window_periods : T;
    for (int s = 0; s < T; s += len) {
      AllocationLpIndex::FloorRow fr;
      fr.workload = w;
      fr.first_period = s;
      fr.last_period = std::min(T, s + len) - 1;
      fr.required_effective_chip_hours = FloorRequiredEffectiveChipHours(inst, w, s, fr.last_period);
      idx.floor_rows.push_back(fr);
    }
  }
  idx.shared_floor_rows.clear();
  for (int g = 0; g < static_cast<int>(inst.shared_floors.size()); ++g) {
    const auto& sf = inst.shared_floors[g];
    const int len = sf.window_periods > 0 ? sf.window_periods : T;
    for (int s = 0; s < T; s += len) {
      AllocationLpIndex::FloorRow fr;
      fr.workload = -1;
      fr.shared = g;
      fr.first_period = s;
      fr.last_period = std::min(T, s + len) - 1;
      fr.required_effective_chip_hours = SharedFloorRequiredEffectiveChipHours(inst, g, s, fr.last_period);
      idx.shared_floor_rows.push_back(fr);
    }
  }
  return idx;
}

struct BlockSolution {
  int first = 0, last = 0;
  AllocationLpIndex idx;
  LpSolution sol;
  int rows = 0, columns = 0;
  Status status;
  bool warm = false;  // started from a basis kept from an earlier Solve()
};

// What decides the shape of the decomposed method's models apart from their
// sizes: a kept basis is only offered to an instance with the same one.
std::string WarmStructure(const AllocationInstance& inst, const AllocateOptions& options) {
  std::string k = options.integer_gangs ? "g1" : "g0";
  auto add = [&k](const std::string& s) { k += '|' + s; };
  for (const auto& per : inst.periods) add(Num(per.hours));
  for (const auto& p : inst.pools)
    add(p.id + ':' + p.chip_type + ':' + std::to_string(p.interconnect_domain_chips));
  for (const auto& m : inst.models) {
    std::string on;
    for (double v : m.output_tokens_per_s_per_chip) on += v > 0 ? '1' : '0';
    add(m.id + ':' + on);
  }
  for (int w = 0; w < static_cast<int>(inst.workloads.size()); ++w) {
    const auto& wl = inst.workloads[w];
    std::string on;
    for (const auto& e : wl.efficiency) on += e ? '1' : '0';
    add(wl.id + ':' + on + ':' + std::to_string(wl.served_model) + ':' + std::to_string(wl.gang_size_chips) +
        ':' + (wl.floor_effective_chips > 0 ? std::to_string(wl.floor_window_periods) : "-") + ':' +
        std::to_string(wl.bids.size()) + ':' + (HasValue(inst, w) ? 'v' : '-'));
  }
  return k;
}

// Stage 1: the model without switching (gangs relaxed), block by block. Two
// threads take a contiguous half each; within a half every block after the
// first starts from the optimal basis of the one before (blocks of equal
// length have the same columns and rows, and consecutive days look alike).
// With `kept` (bases of an earlier Solve() of the same structure), a block
// whose position, periods and size match its kept one starts from that basis.
void SolveBlocks(const AllocationInstance& inst, const std::vector<std::pair<int, int>>& blocks,
                 const Deadline& deadline, const AllocationWarmStart* kept, std::vector<BlockSolution>& out) {
  out.assign(blocks.size(), {});
  auto work = [&](size_t from, size_t to) {
    std::vector<unsigned char> basis;
    for (size_t b = from; b < to; ++b) {
      BlockSolution& bs = out[b];
      bs.first = blocks[b].first;
      bs.last = blocks[b].second;
      AllocationInstance slice = Slice(inst, bs.first, bs.last, false);
      LpModel lp(false);
      AllocationLpOptions lo;
      lo.integer_gangs = false;
      lo.switching = SwitchingRows::kNone;
      bs.idx = AppendAllocationLp(slice, lp, 1.0, "", lo);
      bs.rows = lp.num_rows();
      bs.columns = lp.num_columns();
      LpSolveOptions so;
      so.relax_integers = true;
      so.lp_time_limit_s = deadline.Cap(0);
      // The primal simplex (Clp's "sprint" on wide models) beat the dual and
      // the barrier on these blocks (docs/benchmarks.md).
      so.method = LpMethod::kPrimal;
      so.warm_basis = &basis;
      if (kept) {
        const AllocationWarmStart::Block here{
            inst.periods[bs.first].start, bs.last - bs.first + 1, bs.rows, bs.columns, {}};
        const AllocationWarmStart::Block* k = nullptr;
        for (const auto& c : kept->blocks)
          if (c.start == here.start && c.Fits(here)) k = &c;
        if (!k && b < kept->blocks.size() && kept->blocks[b].Fits(here)) k = &kept->blocks[b];
        if (k) {
          so.warm_basis = &k->basis;
          bs.warm = true;
        }
      }
      StatusOr<LpSolution> sol = SolveLpModel(lp, so);
      if (!sol.ok()) {
        bs.status = sol.status();
        continue;
      }
      bs.sol = std::move(*sol);
      basis = bs.sol.basis;
    }
  };
  // Two chains of warm starts, [0, (n + 1) / 2) and the rest.
  ParallelFor(static_cast<std::int64_t>(blocks.size()), 2, 1, [&](std::int64_t from, std::int64_t to) {
    work(static_cast<size_t>(from), static_cast<size_t>(to));
  });
}

// The model of one period for stage 2: the period's own rows (capacity,
// demand, bids, domains), one floor row per floored class (its lower bound
// set per period), and for every chip column a twin that holds the chips
// moved in (priced at the switch cost) while the original keeps at most the
// chips the class had in the period before.
struct PeriodModel {
  LpModel lp{false};
  AllocationLpIndex idx;
  std::vector<std::vector<int>> twin;  // [p][w] column of chips moved in (-1 = none)
  std::vector<int> floor_row;          // [w] (-1 = no floor)
  std::vector<int> shortfall_col;      // [w]
  std::vector<int> shared_floor_row;   // [g] of instance.shared_floors
  std::vector<char> floored;           // [w]: under its own floor or a shared one
};

// The share of a move's cost a period model charges. It sees one period,
// while a move keeps paying in the hours after it: charged in full, a move
// worth a little per hour for many hours is never made. Measured on the
// frontier week and the 50 x 30 x 168 benchmark (docs/allocate.md): 1/4 gave
// the best plans of 1, 1/2, 1/4 and 1/10. Plans are valued, and the gap
// certified, at the full cost.
constexpr double kPeriodSwitchShare = 0.25;

PeriodModel BuildPeriodModel(const AllocationInstance& inst, int t, const std::vector<char>& valued,
                             bool integer_gangs, double shortfall_usd) {
  PeriodModel pm;
  AllocationInstance one = Slice(inst, t, t, true);
  AllocationLpOptions lo;
  lo.integer_gangs = integer_gangs;
  lo.switching = SwitchingRows::kNone;
  lo.classes_with_value = valued;
  pm.idx = AppendAllocationLp(one, pm.lp, 1.0, "", lo);
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size());
  std::vector<int> twin_of(pm.lp.num_columns(), -1);
  pm.twin.assign(P, std::vector<int>(W, -1));
  for (int p = 0; p < P; ++p)
    for (int w = 0; w < W; ++w) {
      if (pm.idx.x_col[p][w].empty()) continue;
      const int j = pm.idx.x_col[p][w][0];
      const auto c = pm.lp.columns[j];
      const int k = pm.lp.AddColumn(
          "", c.obj + kPeriodSwitchShare * inst.switch_cost_usd_per_chip * pm.idx.chips_per_unit[p][w], c.lb,
          c.ub, c.is_integer);
      twin_of[j] = k;
      pm.twin[p][w] = k;
    }
  const size_t nnz = pm.lp.num_coefficients();
  for (size_t e = 0; e < nnz; ++e) {
    const int k = twin_of[pm.lp.coef_col[e]];
    if (k >= 0) pm.lp.AddCoefficient(pm.lp.coef_row[e], k, pm.lp.coef_value[e]);
  }
  pm.floor_row.assign(W, -1);
  pm.shortfall_col.assign(W, -1);
  for (const auto& fr : pm.idx.floor_rows) {
    pm.floor_row[fr.workload] = fr.row;
    const int k = pm.lp.AddColumn("", shortfall_usd, 0.0, kLpInfinity);
    pm.lp.AddCoefficient(fr.row, k, 1.0);
    pm.shortfall_col[fr.workload] = k;
  }
  pm.shared_floor_row.assign(inst.shared_floors.size(), -1);
  for (const auto& fr : pm.idx.shared_floor_rows) {
    pm.shared_floor_row[fr.shared] = fr.row;
    const int k = pm.lp.AddColumn("", shortfall_usd, 0.0, kLpInfinity);
    pm.lp.AddCoefficient(fr.row, k, 1.0);
  }
  pm.floored.assign(W, 0);
  for (int w = 0; w < W; ++w) pm.floored[w] = pm.floor_row[w] >= 0;
  for (const auto& g : inst.shared_floors)
    for (int w : g.workloads) pm.floored[w] = 1;
  return pm;
}

// Whole gangs for one period from its relaxation: every gang class's count
// (chips kept plus moved in) rounded up for classes with a floor and to
// nearest for the rest, else the rest down, else all down (always feasible:
// floors give way through their shortfall columns),
// then the elastic classes re-optimised around them from the same basis.
// Gang counts in a period are small integers next to a fleet's chips, so
// this loses little; the certified gap counts whatever it does lose.
StatusOr<LpSolution> WholeGangs(const AllocationInstance& inst, const PeriodModel& pm,
                                const std::vector<double>& relaxed, LpSolveOptions so) {
  LpSolution last;
  last.status = LpStatus::kInfeasible;
  for (int mode = 0; mode < 3; ++mode) {
    LpModel fixed = pm.lp;
    auto fix = [&fixed](int j, double v) { FixColumn(fixed, j, v); };
    for (size_t p = 0; p < pm.twin.size(); ++p)
      for (size_t w = 0; w < pm.twin[p].size(); ++w) {
        if (pm.twin[p][w] < 0 || !pm.idx.is_gang[p][w]) continue;
        const int keep = pm.idx.x_col[p][w][0], moved = pm.twin[p][w];
        const double g = relaxed[keep] + relaxed[moved];
        // Floor classes round up first (their windows cannot catch up after
        // the last period), the others to nearest, then down.
        const bool up = pm.floored[w] && mode < 2;
        double v = up ? std::ceil(g - 1e-6) : mode == 0 ? std::round(g) : std::floor(g + 1e-6);
        v = std::min(v, fixed.columns[keep].ub + fixed.columns[moved].ub);
        const double kept = std::min(v, fixed.columns[keep].ub);
        fix(keep, kept);
        fix(moved, v - kept);
        // Domains reserved for the class: just enough for its whole gangs.
        const GangFit f = GangFitOn(inst.workloads[w], inst.pools[p]);
        if (!pm.idx.domain_col[p][w].empty() && pm.idx.domain_col[p][w][0] >= 0 && f.gangs_per_domain > 0)
          fix(pm.idx.domain_col[p][w][0], std::ceil(v / f.gangs_per_domain - 1e-9));
      }
    for (int j = 0; j < fixed.num_columns(); ++j)
      if (fixed.columns[j].is_integer)
        fix(j, mode == 0 ? std::ceil(relaxed[j] - 1e-6) : std::round(relaxed[j]));
    StatusOr<LpSolution> sol = SolveLpModel(fixed, so);
    if (!sol.ok() || sol->status == LpStatus::kOptimal || sol->status == LpStatus::kTimeLimitNoSolution)
      return sol;
  }
  return last;
}

// USD per effective chip-hour of floor shortfall in stage 2: far above
// anything a chip-hour can earn, so a floor gives way only when it must.
double ShortfallPenalty(const AllocationInstance& inst) {
  double most = inst.switch_cost_usd_per_chip + 1.0;
  for (const auto& m : inst.models)
    for (double tps : m.output_tokens_per_s_per_chip)
      most = std::max(most, m.usd_per_output_token * tps * 3600);
  for (const auto& w : inst.workloads)
    for (const auto& b : w.bids) most = std::max(most, b.usd_per_effective_chip_hour);
  double least_eff = 1.0;
  for (int w = 0; w < static_cast<int>(inst.workloads.size()); ++w)
    for (int p = 0; p < static_cast<int>(inst.pools.size()); ++p)
      if (IsEligible(inst, w, p)) least_eff = std::min(least_eff, EffectivePerChip(inst, w, p));
  return 100.0 * most / std::max(least_eff, 1e-3);
}

StatusOr<AllocationResult> SolveDecomposed(const AllocationInstance& inst, const AllocateOptions& options,
                                           const Deadline& deadline) {
  AllocationResult r;
  EchoInstance(inst, r);
  r.method = "decomposed";
  const int P = static_cast<int>(inst.pools.size()), W = static_cast<int>(inst.workloads.size()),
            T = static_cast<int>(inst.periods.size());
  auto t_build = std::chrono::steady_clock::now();
  const AllocationLpIndex layout = Layout(inst, options.integer_gangs);
  r.build_seconds = SecondsSince(t_build);

  // Stage 1: bound, shadow prices, and each floor's path through its window.
  auto t_solve = std::chrono::steady_clock::now();
  // Bases kept from the solve before, when its instance had this structure.
  AllocationWarmStart* ws = options.warm_start;
  std::string structure;
  const AllocationWarmStart* kept = nullptr;
  AllocationWarmStart next;
  if (ws) {
    structure = WarmStructure(inst, options);
    if (ws->structure == structure) kept = ws;
  }
  std::vector<BlockSolution> blocks;
  SolveBlocks(inst, FloorBlocks(inst), deadline, kept, blocks);
  if (ws) {
    next.structure = structure;
    for (const auto& b : blocks) {
      (b.warm ? next.warm_lps : next.cold_lps) += 1;
      next.blocks.push_back(
          {inst.periods[b.first].start, b.last - b.first + 1, b.rows, b.columns,
           b.status.ok() && b.sol.status == LpStatus::kOptimal ? b.sol.basis : std::vector<unsigned char>{}});
    }
  }
  // Stage 2's kept bases by period start.
  auto kept_period = [&](int t, const LpModel& lp) -> const std::vector<unsigned char>* {
    if (!kept) return nullptr;
    auto it =
        std::lower_bound(kept->periods.begin(), kept->periods.end(), inst.periods[t].start,
                         [](const AllocationWarmStart::Period& k, UtcSeconds s) { return k.start < s; });
    if (it == kept->periods.end() || it->start != inst.periods[t].start || it->rows != lp.num_rows() ||
        it->columns != lp.num_columns() ||
        it->basis.size() != static_cast<size_t>(lp.num_rows() + lp.num_columns()))
      return nullptr;
    return &it->basis;
  };
  bool infeasible = false;
  double model_bound = 0;
  // contribution[w][t]: effective chip-hours stage 1 gives floored class w in t.
  std::vector<std::vector<double>> contribution(W);
  for (int w = 0; w < W; ++w)
    if (inst.workloads[w].floor_effective_chips > 0) contribution[w].assign(T, 0.0);
  // shared_contribution[g][t]: the same summed over shared floor g's members.
  const int G = static_cast<int>(inst.shared_floors.size());
  std::vector<std::vector<double>> shared_contribution(G, std::vector<double>(T, 0.0));
  for (const auto& b : blocks) {
    if (!b.status.ok()) return b.status.WithContext("allocation LP without switching");
    if (b.sol.status == LpStatus::kTimeLimitNoSolution)
      return Status::Internal("the allocation LP without switching did not finish within the time limit of " +
                              Num(options.time_limit_s) + " s; allow more time (--time-limit)");
    if (b.sol.status == LpStatus::kUnbounded)
      return Status::Internal("allocation LP is unbounded (a bid or price without a capacity limit)");
    if (b.sol.status == LpStatus::kInfeasible) {
      infeasible = true;
      continue;
    }
    r.lp_rows += b.rows;
    r.lp_columns += b.columns;
    model_bound += -b.sol.objective;
    for (int p = 0; p < P; ++p)
      for (int t = b.first; t <= b.last; ++t) {
        const double d = -b.sol.row_dual[b.idx.capacity_row[p][t - b.first]] / inst.periods[t].hours;
        r.shadow_usd_per_chip_hour[p][t] = d > 0 ? d : 0.0;
        for (int w = 0; w < W; ++w)
          if (!contribution[w].empty() && !b.idx.x_col[p][w].empty())
            contribution[w][t] += EffectivePerChip(inst, w, p) * inst.periods[t].hours *
                                  b.idx.chips_per_unit[p][w] * b.sol.x[b.idx.x_col[p][w][t - b.first]];
        for (int g = 0; g < G; ++g)
          for (int w : inst.shared_floors[g].workloads)
            if (!b.idx.x_col[p][w].empty())
              shared_contribution[g][t] += EffectivePerChip(inst, w, p) * inst.periods[t].hours *
                                           b.idx.chips_per_unit[p][w] *
                                           b.sol.x[b.idx.x_col[p][w][t - b.first]];
      }
  }
  if (infeasible) {
    // Switching never makes a plan infeasible: explain with the model without it.
    LpModel lp(false);
    AllocationLpOptions lo;
    lo.integer_gangs = options.integer_gangs;
    lo.switching = SwitchingRows::kNone;
    AllocationLpIndex idx = AppendAllocationLp(inst, lp, 1.0, "", lo);
    FUNGIBLE_RETURN_IF_ERROR(ExplainInfeasibility(inst, lp, idx, lp.has_integers(), options, r));
    ComputeFigures(inst, &idx, r);
    r.solve_seconds = SecondsSince(t_solve);
    return r;
  }
  r.lp_relaxation_objective_usd = model_bound;
  r.bound_seconds = SecondsSince(t_solve);

  // Stage 2: period by period.
  std::vector<char> valued(W);
  for (int w = 0; w < W; ++w) valued[w] = HasValue(inst, w) ? 1 : 0;
  const double penalty = ShortfallPenalty(inst);
  std::vector<double> achieved(W, 0.0), target(W, 0.0);  // in the current window, through t - 1 / t
  std::vector<double> shared_achieved(G, 0.0), shared_target(G, 0.0);
  std::vector<unsigned char> basis;
  std::vector<double> chips(W);
  bool stopped = false;
  for (int t = 0; t < T; ++t) {
    PeriodModel pm = BuildPeriodModel(inst, t, valued, options.integer_gangs, penalty);
    r.has_integers = r.has_integers || pm.lp.has_integers();
    for (int w = 0; w < W; ++w) {
      if (contribution[w].empty()) continue;
      const int len = inst.workloads[w].floor_window_periods > 0 ? inst.workloads[w].floor_window_periods : T;
      if (t % len == 0) achieved[w] = target[w] = 0;
      target[w] += contribution[w][t];
      if (pm.floor_row[w] >= 0) pm.lp.rows[pm.floor_row[w]].lb = std::max(0.0, target[w] - achieved[w]);
    }
    for (int g = 0; g < G; ++g) {
      const int len = inst.shared_floors[g].window_periods > 0 ? inst.shared_floors[g].window_periods : T;
      if (t % len == 0) shared_achieved[g] = shared_target[g] = 0;
      shared_target[g] += shared_contribution[g][t];
      if (pm.shared_floor_row[g] >= 0)
        pm.lp.rows[pm.shared_floor_row[g]].lb = std::max(0.0, shared_target[g] - shared_achieved[g]);
    }
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) {
        if (pm.twin[p][w] < 0) continue;
        auto& keep = pm.lp.columns[pm.idx.x_col[p][w][0]];
        if (t == 0)
          pm.lp.columns[pm.twin[p][w]].ub = 0;  // nothing moves before the first period
        else
          keep.ub = std::min(keep.ub, r.chips[p][w][t - 1] / pm.idx.chips_per_unit[p][w]);
      }
    std::optional<LpSolution> sol;
    if (!stopped && !deadline.Passed()) {
      LpSolveOptions so;
      so.relax_integers = true;
      so.lp_time_limit_s = deadline.Cap(0);
      so.method = LpMethod::kDual;
      so.warm_basis = &basis;
      if (ws) {
        const std::vector<unsigned char>* k = kept_period(t, pm.lp);
        if (k) so.warm_basis = k;
        (k ? next.warm_lps : next.cold_lps) += 1;
      }
      StatusOr<LpSolution> s = SolveLpModel(pm.lp, so);
      if (!s.ok()) return s.status().WithContext("allocation LP of period " + std::to_string(t));
      if (s->status == LpStatus::kOptimal) basis = s->basis;
      if (ws)
        next.periods.push_back({inst.periods[t].start, pm.lp.num_rows(), pm.lp.num_columns(),
                                s->status == LpStatus::kOptimal ? s->basis : std::vector<unsigned char>{}});
      if (s->status == LpStatus::kOptimal && pm.lp.has_integers()) {
        StatusOr<LpSolution> whole = WholeGangs(inst, pm, s->x, so);
        if (!whole.ok()) return whole.status().WithContext("allocation LP of period " + std::to_string(t));
        s = std::move(whole);
      }
      if (s->status == LpStatus::kOptimal) {
        sol = std::move(*s);
      } else if (s->status == LpStatus::kTimeLimitNoSolution) {
        stopped = true;
      } else {
        return Status::Internal(std::string("allocation LP of period ") + std::to_string(t) + " ended " +
                                LpStatusName(s->status));
      }
    } else {
      stopped = true;
    }
    for (int p = 0; p < P; ++p) {
      for (int w = 0; w < W; ++w) {
        chips[w] = 0;
        if (layout.x_col[p][w].empty()) continue;
        if (sol) {
          const double c = pm.idx.chips_per_unit[p][w];
          chips[w] = (sol->x[pm.idx.x_col[p][w][0]] + sol->x[pm.twin[p][w]]) * c;
        } else {
          // Out of time: stage 1's chips, gangs rounded down to whole ones.
          for (const auto& b : blocks)
            if (t >= b.first && t <= b.last)
              chips[w] = b.sol.x[b.idx.x_col[p][w][t - b.first]] * b.idx.chips_per_unit[p][w];
        }
      }
      const bool whole = sol.has_value() && options.integer_gangs;
      RoundPoolPeriod(inst, layout, p, t, chips,
                      whole ? GangRounding::kWhole
                            : (options.integer_gangs ? GangRounding::kDown : GangRounding::kAsChips),
                      r);
    }
    for (int w = 0; w < W; ++w)
      if (!contribution[w].empty())
        for (int p = 0; p < P; ++p)
          achieved[w] += EffectivePerChip(inst, w, p) * inst.periods[t].hours * r.chips[p][w][t];
    for (int g = 0; g < G; ++g)
      for (int w : inst.shared_floors[g].workloads)
        for (int p = 0; p < P; ++p)
          shared_achieved[g] += EffectivePerChip(inst, w, p) * inst.periods[t].hours * r.chips[p][w][t];
  }
  if (stopped) r.status = SolveStatus::kTimeLimit;
  if (ws) *ws = std::move(next);
  RepairFloors(inst, layout, options.integer_gangs, r);
  ComputeFigures(inst, &layout, r);
  r.solve_seconds = SecondsSince(t_solve);
  r.objective_usd = r.plan_value_usd;
  r.mip_best_bound_usd = model_bound;
  r.bound_kind = "LP without switching costs, gangs relaxed";
  Certify(inst, model_bound, r);
  r.integer_gap_rel = r.gap_rel;
  return r;
}

}  // namespace

StatusOr<AllocationResult> Solve(const AllocationInstance& inst, const AllocateOptions& options) {
  FUNGIBLE_RETURN_IF_ERROR(ValidateInstance(inst));
  const Deadline deadline(options.time_limit_s);
  AllocateMethod method = options.method;
  if (method == AllocateMethod::kAuto)
    method = FullModelRows(inst) <= kExactMaxRows ? AllocateMethod::kExact : AllocateMethod::kDecomposed;
  return method == AllocateMethod::kExact ? SolveExact(inst, options, deadline)
                                          : SolveDecomposed(inst, options, deadline);
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

// AppendAllocationLp: the allocation model of allocate.h as LpModel columns,
// rows and coefficients. Also the small eligibility/gang helpers it shares
// with Solve().
#include "allocate/allocation_lp.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace fungible {

namespace {

constexpr double kTokensPerMillion = 1e6;

// MPS names may not contain blanks; keep ids readable otherwise.
std::string Sanitize(const std::string& id) {
  std::string s = id;
  for (char& c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.';
    if (!ok) c = '_';
  }
  return s;
}

bool IsFiniteNonNegative(double v) { return std::isfinite(v) && v >= 0; }

}  // namespace

bool IsEligible(const AllocationInstance& inst, int w, int p) {
  const auto& wl = inst.workloads[w];
  const auto& eff = wl.efficiency[p];
  if (wl.served_model >= 0) {
    if (inst.models[wl.served_model].output_tokens_per_s_per_chip[p] <= 0) return false;
    bool any_set =
        std::any_of(wl.efficiency.begin(), wl.efficiency.end(), [](const auto& e) { return e.has_value(); });
    return !any_set || (eff.has_value() && *eff > 0);
  }
  return eff.has_value() && *eff > 0;
}

bool HasValue(const AllocationInstance& inst, int w) {
  const auto& wl = inst.workloads[w];
  if (wl.floor_effective_chips > 0) return true;
  for (const auto& g : inst.shared_floors)
    if (std::find(g.workloads.begin(), g.workloads.end(), w) != g.workloads.end())
      for (double f : g.effective_chips_by_period)
        if (f > 0) return true;
  for (const auto& b : wl.bids)
    if (b.effective_chips > 0 && b.usd_per_effective_chip_hour > 0) return true;
  if (wl.served_model >= 0) {
    const auto& m = inst.models[wl.served_model];
    if (m.usd_per_output_token > 0)
      for (double d : m.demand_output_tokens)
        if (d > 0) return true;
  }
  return false;
}

int WorkloadGroup(const AllocationInstance& inst, int w) {
  return inst.workloads[w].served_model >= 0 ? 0 : 1;
}

GangFit GangFitOn(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p) {
  GangFit f;
  if (w.gang_size_chips <= 0) return f;
  f.is_gang = true;
  const int d = std::max(1, p.interconnect_domain_chips);
  const int g = w.gang_size_chips;
  if (g > d) {
    f.domains_per_gang = (g + d - 1) / d;
    f.chips_per_gang = static_cast<double>(f.domains_per_gang) * d;
  } else {
    f.gangs_per_domain = d / g;
    f.chips_per_gang = g;
  }
  return f;
}

double EffectivePerChip(const AllocationInstance& inst, int w, int p) {
  const auto& wl = inst.workloads[w];
  double eff = wl.efficiency[p].value_or(1.0);
  GangFit f = GangFitOn(wl, inst.pools[p]);
  if (f.is_gang) eff *= wl.gang_size_chips / f.chips_per_gang;
  return eff;
}

int MaxGangs(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p, int t) {
  GangFit f = GangFitOn(w, p);
  if (!f.is_gang) return 0;
  const int d = std::max(1, p.interconnect_domain_chips);
  const int domains = static_cast<int>(std::floor(p.capacity_chips[t] / d + 1e-9));
  return f.domains_per_gang > 0 ? domains / f.domains_per_gang : domains * f.gangs_per_domain;
}

Status ValidateInstance(const AllocationInstance& inst) {
  const size_t T = inst.periods.size(), P = inst.pools.size(), M = inst.models.size();
  if (T == 0) return Status::Invalid("allocation instance has no periods");
  for (size_t t = 0; t < T; ++t)
    if (!(inst.periods[t].hours > 0) || !std::isfinite(inst.periods[t].hours))
      return Status::Invalid("period " + std::to_string(t) + " has non-positive length");
  if (!IsFiniteNonNegative(inst.switch_cost_usd_per_chip))
    return Status::Invalid("switch cost must be a non-negative number");
  for (const auto& p : inst.pools) {
    if (p.capacity_chips.size() != T)
      return Status::Invalid("pool " + p.id + ": capacity has " + std::to_string(p.capacity_chips.size()) +
                             " periods, expected " + std::to_string(T));
    for (double c : p.capacity_chips)
      if (!IsFiniteNonNegative(c)) return Status::Invalid("pool " + p.id + ": capacity must be >= 0");
    if (p.interconnect_domain_chips < 1)
      return Status::Invalid("pool " + p.id + ": interconnect domain must be >= 1");
  }
  for (const auto& m : inst.models) {
    if (m.output_tokens_per_s_per_chip.size() != P)
      return Status::Invalid("model " + m.id + ": throughput needs one entry per pool");
    if (m.demand_output_tokens.size() != T)
      return Status::Invalid("model " + m.id + ": demand needs one entry per period");
    if (!IsFiniteNonNegative(m.usd_per_output_token))
      return Status::Invalid("model " + m.id + ": price must be >= 0");
    for (double v : m.output_tokens_per_s_per_chip)
      if (!IsFiniteNonNegative(v)) return Status::Invalid("model " + m.id + ": throughput must be >= 0");
    for (double v : m.demand_output_tokens)
      if (!IsFiniteNonNegative(v)) return Status::Invalid("model " + m.id + ": demand must be >= 0");
  }
  for (const auto& w : inst.workloads) {
    if (w.efficiency.size() != P)
      return Status::Invalid("workload " + w.id + ": efficiency needs one entry per pool");
    for (const auto& e : w.efficiency)
      if (e && !IsFiniteNonNegative(*e))
        return Status::Invalid("workload " + w.id + ": efficiency must be >= 0");
    if (w.served_model < -1 || w.served_model >= static_cast<int>(M))
      return Status::Invalid("workload " + w.id + ": served model index out of range");
    if (w.gang_size_chips < 0) return Status::Invalid("workload " + w.id + ": gang size must be >= 0");
    if (!IsFiniteNonNegative(w.floor_effective_chips))
      return Status::Invalid("workload " + w.id + ": floor must be >= 0");
    if (!w.floor_effective_chips_by_period.empty() && w.floor_effective_chips_by_period.size() != T)
      return Status::Invalid("workload " + w.id + ": floor schedule must have one value per period");
    for (double f : w.floor_effective_chips_by_period)
      if (!IsFiniteNonNegative(f) || f > w.floor_effective_chips)
        return Status::Invalid("workload " + w.id +
                               ": floor schedule values must be in [0, floor_effective_chips]");
    if (w.floor_window_periods < 0)
      return Status::Invalid("workload " + w.id + ": floor window must be >= 0");
    for (const auto& b : w.bids)
      if (!IsFiniteNonNegative(b.effective_chips) || !std::isfinite(b.usd_per_effective_chip_hour))
        return Status::Invalid("workload " + w.id + ": bid steps need a quantity >= 0 and a finite value");
  }
  for (const auto& g : inst.shared_floors) {
    if (g.workloads.empty()) return Status::Invalid("shared floor " + g.id + " has no workloads");
    for (int w : g.workloads)
      if (w < 0 || w >= static_cast<int>(inst.workloads.size()))
        return Status::Invalid("shared floor " + g.id + ": workload index out of range");
    if (g.effective_chips_by_period.size() != T)
      return Status::Invalid("shared floor " + g.id + ": needs one value per period");
    for (double f : g.effective_chips_by_period)
      if (!IsFiniteNonNegative(f)) return Status::Invalid("shared floor " + g.id + ": floor must be >= 0");
    if (g.window_periods < 0) return Status::Invalid("shared floor " + g.id + ": window must be >= 0");
  }
  return Status::Ok();
}

namespace {

// AppendAllocationLp's steps and the state they share: the instance, the
// model being appended to, names, which (pool, class) pairs get columns and
// the rows each column enters. Each step appends one kind of row or column.
struct LpBuilder {
  LpBuilder(const AllocationInstance& inst_in, LpModel& lp_in, double weight_in, const std::string& prefix_in,
            const AllocationLpOptions& options_in)
      : inst(inst_in), lp(lp_in), weight(weight_in), prefix(prefix_in), options(options_in) {}

  const AllocationInstance& inst;
  LpModel& lp;
  const double weight;
  const std::string& prefix;
  const AllocationLpOptions& options;
  const int T = static_cast<int>(inst.periods.size());
  const int P = static_cast<int>(inst.pools.size());
  const int W = static_cast<int>(inst.workloads.size());
  const int M = static_cast<int>(inst.models.size());
  const bool names = lp.keep_names;
  std::vector<std::string> pid, wid, mid;
  std::vector<std::vector<GangFit>> fit;
  std::vector<std::vector<char>> active;
  std::vector<std::vector<char>> needs_domain_col;
  std::vector<std::vector<int>> floor_row_of;                 // [w][t]: row of the window holding t
  std::vector<std::vector<std::vector<int>>> shared_rows_of;  // [w][t]: shared-floor rows holding t
  bool switching = false, group_switching = false;
  AllocationLpIndex idx;

  template <class... Parts>
  std::string nm(const Parts&... parts) const {
    if (!names) return std::string();
    std::string s = prefix;
    (s.append(parts), ...);
    return s;
  }
  static std::string ts(int t) { return std::to_string(t); }

  void ChooseColumns() {
    pid.resize(P);
    wid.resize(W);
    mid.resize(M);
    for (int p = 0; p < P; ++p) pid[p] = Sanitize(inst.pools[p].id);
    for (int w = 0; w < W; ++w) wid[w] = Sanitize(inst.workloads[w].id);
    for (int m = 0; m < M; ++m) mid[m] = Sanitize(inst.models[m].id);
    idx.first_column = lp.num_columns();
    idx.first_row = lp.num_rows();
    // Which (p, w) pairs get variables, and how gangs fit.
    fit.assign(P, std::vector<GangFit>(W));
    active.assign(P, std::vector<char>(W, 0));
    std::vector<char> valued(W);
    size_t n_active = 0;
    for (int w = 0; w < W; ++w)
      valued[w] = options.classes_with_value.empty() ? HasValue(inst, w) : options.classes_with_value[w];
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) {
        fit[p][w] = GangFitOn(inst.workloads[w], inst.pools[p]);
        active[p][w] = valued[w] && IsEligible(inst, w, p);
        n_active += active[p][w];
      }
    const bool priced = inst.switch_cost_usd_per_chip > 0 && T > 1;
    switching = priced && options.switching == SwitchingRows::kPerClass;
    group_switching = priced && options.switching == SwitchingRows::kPerGroup;
    lp.Reserve(lp.columns.size() + n_active * T * (switching ? 2 : 1) + W * 4 * T,
               lp.rows.size() + P * T + M * T + W * T + n_active * T,
               lp.num_coefficients() + n_active * T * (switching ? 8 : 5));
  }

  void AddCapacityRows() {
    idx.capacity_row.assign(P, std::vector<int>(T, -1));
    for (int p = 0; p < P; ++p)
      for (int t = 0; t < T; ++t)
        idx.capacity_row[p][t] =
            lp.AddRow(nm("cap_", pid[p], "_", ts(t)), -kLpInfinity, inst.pools[p].capacity_chips[t]);
  }

  void AddDomainRows() {
    // Interconnect domains: one row per pool and period where a gang class runs.
    // A gang larger than a domain counts its whole domains; a smaller one counts
    // 1/floor(D/G) of a domain. That is exact while at most one class with
    // several gangs per domain shares the pool; beyond that such classes get
    // whole domains of their own (domain_col, integer), so no gang ever
    // straddles two domains.
    idx.domain_row.assign(P, std::vector<int>(T, -1));
    idx.domain_col.assign(P, std::vector<std::vector<int>>(W));
    needs_domain_col.assign(P, std::vector<char>(W, 0));
    for (int p = 0; p < P; ++p) {
      int n_gang = 0, n_shared = 0;
      for (int w = 0; w < W; ++w)
        if (active[p][w] && fit[p][w].is_gang) {
          ++n_gang;
          if (fit[p][w].gangs_per_domain >= 2) ++n_shared;
        }
      if (n_gang == 0) continue;
      const double d = std::max(1, inst.pools[p].interconnect_domain_chips);
      for (int t = 0; t < T; ++t)
        idx.domain_row[p][t] = lp.AddRow(nm("dom_", pid[p], "_", ts(t)), -kLpInfinity,
                                         std::floor(inst.pools[p].capacity_chips[t] / d + 1e-9));
      if (n_shared >= 2)
        for (int w = 0; w < W; ++w)
          if (active[p][w] && fit[p][w].gangs_per_domain >= 2) needs_domain_col[p][w] = 1;
    }
  }

  void AddDemandRows() {
    idx.demand_row.assign(M, std::vector<int>(T, -1));
    for (int m = 0; m < M; ++m) {
      bool served = false;
      for (int w = 0; w < W; ++w)
        if (inst.workloads[w].served_model == m)
          for (int p = 0; p < P; ++p) served = served || active[p][w];
      if (!served) continue;
      for (int t = 0; t < T; ++t)
        idx.demand_row[m][t] = lp.AddRow(nm("dem_", mid[m], "_", ts(t)), -kLpInfinity,
                                         inst.models[m].demand_output_tokens[t] / kTokensPerMillion);
    }
  }

  void AddBidRows() {
    idx.bid_row.assign(W, std::vector<int>(T, -1));
    idx.bid_col.assign(W, {});
    for (int w = 0; w < W; ++w) {
      const auto& bids = inst.workloads[w].bids;
      bool any = false;
      for (const auto& b : bids) any = any || b.effective_chips > 0;
      bool eligible_somewhere = false;
      for (int p = 0; p < P; ++p) eligible_somewhere = eligible_somewhere || active[p][w];
      if (!any || !eligible_somewhere) continue;
      idx.bid_col[w].assign(bids.size(), std::vector<int>(T, -1));
      for (int t = 0; t < T; ++t) {
        int row = lp.AddRow(nm("bid_", wid[w], "_", ts(t)), -kLpInfinity, 0.0);
        idx.bid_row[w][t] = row;
        const double h = inst.periods[t].hours;
        for (size_t k = 0; k < bids.size(); ++k) {
          if (bids[k].effective_chips <= 0) continue;
          int col =
              lp.AddColumn(nm("b_", wid[w], "_", std::to_string(k), "_", ts(t)),
                           -weight * bids[k].usd_per_effective_chip_hour * h, 0.0, bids[k].effective_chips);
          idx.bid_col[w][k][t] = col;
          lp.AddCoefficient(row, col, 1.0);
        }
      }
    }
  }

  void AddFloorRows() {
    // Floor windows; floor_row_of[w][t] = row of the window containing t.
    floor_row_of.assign(W, {});
    for (int w = 0; w < W; ++w) {
      const auto& wl = inst.workloads[w];
      if (wl.floor_effective_chips <= 0) continue;
      floor_row_of[w].assign(T, -1);
      const int len = wl.floor_window_periods > 0 ? wl.floor_window_periods : T;
      for (int s = 0; s < T; s += len) {
        const int e = std::min(T, s + len) - 1;
        AllocationLpIndex::FloorRow fr;
        fr.workload = w;
        fr.first_period = s;
        fr.last_period = e;
        fr.required_effective_chip_hours = FloorRequiredEffectiveChipHours(inst, w, s, e);
        fr.row = lp.AddRow(nm("floor_", wid[w], "_", ts(s)), fr.required_effective_chip_hours, kLpInfinity);
        for (int t = s; t <= e; ++t) floor_row_of[w][t] = fr.row;
        idx.floor_rows.push_back(fr);
      }
    }
  }

  void AddSharedFloorRows() {
    // Shared floors; shared_rows_of[w][t] = rows of the windows containing t
    // of every shared floor w belongs to.
    shared_rows_of.assign(W, {});
    for (int g = 0; g < static_cast<int>(inst.shared_floors.size()); ++g) {
      const auto& sf = inst.shared_floors[g];
      const int len = sf.window_periods > 0 ? sf.window_periods : T;
      for (int w : sf.workloads)
        if (shared_rows_of[w].empty()) shared_rows_of[w].assign(T, {});
      for (int s = 0; s < T; s += len) {
        const int e = std::min(T, s + len) - 1;
        AllocationLpIndex::FloorRow fr;
        fr.workload = -1;
        fr.shared = g;
        fr.first_period = s;
        fr.last_period = e;
        fr.required_effective_chip_hours = SharedFloorRequiredEffectiveChipHours(inst, g, s, e);
        fr.row = lp.AddRow(nm("sfloor_", Sanitize(sf.id), "_", ts(s)), fr.required_effective_chip_hours,
                           kLpInfinity);
        for (int w : sf.workloads)
          for (int t = s; t <= e; ++t) shared_rows_of[w][t].push_back(fr.row);
        idx.shared_floor_rows.push_back(fr);
      }
    }
  }

  // Every active pair's chip columns, and its switching rows when priced per
  // class.
  void AddChipColumns() {
    idx.x_col.assign(P, std::vector<std::vector<int>>(W));
    idx.chips_per_unit.assign(P, std::vector<double>(W, 1.0));
    idx.is_gang.assign(P, std::vector<bool>(W, false));
    idx.switch_col.assign(P, std::vector<std::vector<int>>(W));
    idx.switch_row.assign(P, std::vector<std::vector<int>>(W));
    for (int p = 0; p < P; ++p)
      for (int w = 0; w < W; ++w) {
        if (!active[p][w]) continue;
        AddChipColumns(p, w);
        if (switching) AddSwitchRows(p, w);
      }
  }

  // One column per period for the pair (p, w), entering capacity, demand,
  // bids, floors and domains.
  void AddChipColumns(int p, int w) {
    const auto& pool = inst.pools[p];
    const auto& wl = inst.workloads[w];
    const GangFit& f = fit[p][w];
    const double c = f.chips_per_gang;
    const bool gang = f.is_gang;
    const bool integer = gang && options.integer_gangs;
    const double eff = EffectivePerChip(inst, w, p);
    idx.chips_per_unit[p][w] = c;
    idx.is_gang[p][w] = gang;
    const int m = wl.served_model;
    const double tokens_per_chip_hour =
        m >= 0 ? inst.models[m].output_tokens_per_s_per_chip[p] * 3600.0 : 0.0;
    const double usd_per_token = m >= 0 ? inst.models[m].usd_per_output_token : 0.0;
    const bool has_bids = !idx.bid_col[w].empty();
    auto& xs = idx.x_col[p][w];
    xs.assign(T, -1);
    if (needs_domain_col[p][w]) idx.domain_col[p][w].assign(T, -1);
    const std::string xbase = names ? (gang ? "g_" : "x_") + pid[p] + "_" + wid[w] + "_" : std::string();
    for (int t = 0; t < T; ++t) {
      const double h = inst.periods[t].hours;
      double ub = kLpInfinity;
      // Elastic chips get a bound one chip above capacity: never active (the
      // capacity row binds first, so its dual stays the price), but finite
      // bounds spare the dual simplex its artificial bounds.
      if (options.bound_columns_by_capacity) ub = gang ? MaxGangs(wl, pool, t) : pool.capacity_chips[t] + 1.0;
      const double obj =
          weight * (options.idle_preference_usd_per_chip_hour - usd_per_token * tokens_per_chip_hour) * h * c;
      const int col = lp.AddColumn(names ? prefix + xbase + ts(t) : std::string(), obj, 0.0, ub, integer);
      xs[t] = col;
      lp.AddCoefficient(idx.capacity_row[p][t], col, c);
      if (m >= 0 && idx.demand_row[m][t] >= 0)
        lp.AddCoefficient(idx.demand_row[m][t], col, tokens_per_chip_hour * h * c / kTokensPerMillion);
      if (has_bids) lp.AddCoefficient(idx.bid_row[w][t], col, -eff * c);
      if (!floor_row_of[w].empty()) lp.AddCoefficient(floor_row_of[w][t], col, eff * h * c);
      if (!shared_rows_of[w].empty())
        for (int row : shared_rows_of[w][t]) lp.AddCoefficient(row, col, eff * h * c);
      if (gang) {
        const int drow = idx.domain_row[p][t];
        if (needs_domain_col[p][w]) {
          // Domains reserved for this class; its gangs fill them.
          double dub = options.bound_columns_by_capacity ? lp.rows[drow].ub : kLpInfinity;
          int dcol =
              lp.AddColumn(nm("d_", pid[p], "_", wid[w], "_", ts(t)), 0.0, 0.0, dub, options.integer_gangs);
          idx.domain_col[p][w][t] = dcol;
          lp.AddCoefficient(drow, dcol, 1.0);
          int link = lp.AddRow(nm("gpd_", pid[p], "_", wid[w], "_", ts(t)), -kLpInfinity, 0.0);
          lp.AddCoefficient(link, col, 1.0);
          lp.AddCoefficient(link, dcol, -static_cast<double>(f.gangs_per_domain));
        } else if (f.domains_per_gang > 0) {
          lp.AddCoefficient(drow, col, f.domains_per_gang);
        } else {
          lp.AddCoefficient(drow, col, 1.0 / f.gangs_per_domain);
        }
      }
    }
  }

  // y[p,w,t] >= chips[p,w,t] - chips[p,w,t-1], priced per chip moved.
  void AddSwitchRows(int p, int w) {
    const auto& pool = inst.pools[p];
    const double c = idx.chips_per_unit[p][w];
    const auto& xs = idx.x_col[p][w];
    auto& ys = idx.switch_col[p][w];
    auto& rs = idx.switch_row[p][w];
    ys.assign(T, -1);
    rs.assign(T, -1);
    for (int t = 1; t < T; ++t) {
      const double yub = options.bound_columns_by_capacity ? pool.capacity_chips[t] + 1.0 : kLpInfinity;
      int y = lp.AddColumn(nm("sw_", pid[p], "_", wid[w], "_", ts(t)), weight * inst.switch_cost_usd_per_chip,
                           0.0, yub);
      int r = lp.AddRow(nm("swr_", pid[p], "_", wid[w], "_", ts(t)), -kLpInfinity, 0.0);
      lp.AddCoefficient(r, xs[t], c);
      lp.AddCoefficient(r, xs[t - 1], -c);
      lp.AddCoefficient(r, y, -1.0);
      ys[t] = y;
      rs[t] = r;
    }
  }

  void AddGroupSwitchRows() {
    // Y[p,g,t] >= sum_{w in g} chips[p,w,t] - chips[p,w,t-1]: chips moved into
    // the group, never more than the classes' own moves (see SwitchingRows).
    idx.group_switch_col.assign(P, std::vector<std::vector<int>>(kWorkloadGroups));
    idx.group_switch_row.assign(P, std::vector<std::vector<int>>(kWorkloadGroups));
    for (int p = 0; p < P; ++p)
      for (int g = 0; g < kWorkloadGroups; ++g) {
        bool any = false;
        for (int w = 0; w < W; ++w) any = any || (active[p][w] && WorkloadGroup(inst, w) == g);
        if (!any) continue;
        auto& ys = idx.group_switch_col[p][g];
        auto& rs = idx.group_switch_row[p][g];
        ys.assign(T, -1);
        rs.assign(T, -1);
        for (int t = 1; t < T; ++t) {
          const double yub =
              options.bound_columns_by_capacity ? inst.pools[p].capacity_chips[t] + 1.0 : kLpInfinity;
          ys[t] = lp.AddColumn(nm("gsw_", pid[p], "_", ts(g), "_", ts(t)),
                               weight * inst.switch_cost_usd_per_chip, 0.0, yub);
          rs[t] = lp.AddRow(nm("gswr_", pid[p], "_", ts(g), "_", ts(t)), -kLpInfinity, 0.0);
          lp.AddCoefficient(rs[t], ys[t], -1.0);
          for (int w = 0; w < W; ++w) {
            if (!active[p][w] || WorkloadGroup(inst, w) != g) continue;
            const double c = idx.chips_per_unit[p][w];
            lp.AddCoefficient(rs[t], idx.x_col[p][w][t], c);
            lp.AddCoefficient(rs[t], idx.x_col[p][w][t - 1], -c);
          }
        }
      }
  }
};

}  // namespace

AllocationLpIndex AppendAllocationLp(const AllocationInstance& inst, LpModel& lp, double weight,
                                     const std::string& prefix, const AllocationLpOptions& options) {
  LpBuilder b(inst, lp, weight, prefix, options);
  b.ChooseColumns();
  // ---- Rows ----
  b.AddCapacityRows();
  b.AddDomainRows();
  b.AddDemandRows();
  b.AddBidRows();
  b.AddFloorRows();
  b.AddSharedFloorRows();
  // ---- Chip columns ----
  b.AddChipColumns();
  if (b.group_switching) b.AddGroupSwitchRows();
  b.idx.end_column = lp.num_columns();
  b.idx.end_row = lp.num_rows();
  return b.idx;
}

}  // namespace fungible

#include "ledger/ledger.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace fungible {
namespace {

// Conservation is checked to this many chips (rounding in the caller's sums).
constexpr double kChipTolerance = 1e-6;

bool Finite(double v) { return std::isfinite(v); }

}  // namespace

std::string LedgerLayout::RowName(int row) const {
  if (row == idle_row()) return "idle";
  if (row == down_row()) return "down";
  return workloads[static_cast<size_t>(row)].id;
}

std::string LedgerLayout::RowTeam(int row) const {
  if (row >= num_workloads()) return "";
  return workloads[static_cast<size_t>(row)].team;
}

LedgerLayout LedgerLayoutFromFleet(const Fleet& fleet) {
  LedgerLayout l;
  for (const auto& p : fleet.pools)
    l.pools.push_back({p.id, p.chip_type, fleet.PoolUsdPerChipHour(p), p.contract});
  for (const auto& w : fleet.workloads)
    l.workloads.push_back({w.id, w.kind, w.team, w.kind == WorkloadKind::kServe ? w.model : ""});
  return l;
}

void LedgerHour::Reset(const LedgerLayout& layout) {
  const size_t P = layout.pools.size(), C = P * layout.workloads.size();
  paid_chips.assign(P, 0.0);
  up_chips.assign(P, 0.0);
  for (auto* v : {&chips, &effective_chips, &revenue_usd, &bid_value_usd, &lost_effective_chip_hours,
                  &lost_bid_value_usd, &served_output_tokens, &capacity_output_tokens})
    v->assign(C, 0.0);
}

void LedgerCell::Add(const LedgerCell& o) {
  chip_hours += o.chip_hours;
  effective_chip_hours += o.effective_chip_hours;
  lost_effective_chip_hours += o.lost_effective_chip_hours;
  cost_usd += o.cost_usd;
  revenue_usd += o.revenue_usd;
  bid_value_usd += o.bid_value_usd;
  launch_credit_within_usd += o.launch_credit_within_usd;
  launch_credit_beyond_usd += o.launch_credit_beyond_usd;
  model_development_bid_usd += o.model_development_bid_usd;
  served_output_tokens += o.served_output_tokens;
  capacity_output_tokens += o.capacity_output_tokens;
}

std::vector<LedgerCell> LedgerReport::MonthByRow(size_t m) const {
  const int R = layout.num_rows();
  std::vector<LedgerCell> out(static_cast<size_t>(R));
  const auto& cells = months[m].cells;
  for (int p = 0; p < layout.num_pools(); ++p)
    for (int r = 0; r < R; ++r) out[static_cast<size_t>(r)].Add(cells[static_cast<size_t>(p * R + r)]);
  return out;
}

LedgerCell LedgerReport::Total() const {
  LedgerCell t;
  for (const auto& m : months)
    for (const auto& c : m.cells) t.Add(c);
  return t;
}

Ledger::Ledger(LedgerLayout layout, LedgerOptions options)
    : layout_(std::move(layout)), options_(std::move(options)) {
  // Launch targets: by date, launches on the same instant merged.
  std::vector<LaunchCredit> ls = options_.launches;
  std::stable_sort(ls.begin(), ls.end(), [](const auto& a, const auto& b) { return a.date < b.date; });
  for (const auto& l : ls) {
    if (!targets_.empty() && targets_.back().date == l.date) {
      targets_.back().credit_usd += l.credit_usd;
      targets_.back().model += "+" + l.model;
    } else {
      targets_.push_back(l);
    }
  }
  const size_t R = static_cast<size_t>(layout_.num_rows());
  const size_t P = layout_.pools.size();
  const size_t L = targets_.size();
  hours_.resize(static_cast<size_t>(std::max(0, options_.hours)));
  // Periods: calendar months and UTC days overlapping the run.
  const UtcSeconds end = options_.start + static_cast<UtcSeconds>(options_.hours) * kSecondsPerHour;
  for (UtcSeconds m = StartOfMonth(options_.start); m < end; m = AddMonths(m, 1)) {
    LedgerPeriod p;
    p.start = std::max(m, options_.start);
    const UtcSeconds stop = std::min(AddMonths(m, 1), end);
    p.hours = static_cast<int>((stop - p.start) / kSecondsPerHour);
    p.cells.assign(P * R, LedgerCell{});
    months_.push_back(std::move(p));
  }
  first_midnight_ = options_.start - ((options_.start % kSecondsPerDay) + kSecondsPerDay) % kSecondsPerDay;
  for (UtcSeconds d = first_midnight_; d < end; d += kSecondsPerDay) {
    LedgerPeriod p;
    p.start = std::max(d, options_.start);
    const UtcSeconds stop = std::min(d + kSecondsPerDay, end);
    p.hours = static_cast<int>((stop - p.start) / kSecondsPerHour);
    p.cells.assign(R, LedgerCell{});
    days_.push_back(std::move(p));
  }
  month_feed_within_.assign(months_.size(),
                            std::vector<std::vector<double>>(P * R, std::vector<double>(L, 0.0)));
  month_feed_beyond_ = month_feed_within_;
  day_feed_within_.assign(days_.size(), std::vector<std::vector<double>>(R, std::vector<double>(L, 0.0)));
  day_feed_beyond_ = day_feed_within_;
  target_observed_.assign(L, 0.0);
  target_observed_hours_.assign(L, 0.0);
}

int Ledger::TargetOf(UtcSeconds t) const {
  // The hour's work is done at its end.
  const double need =
      static_cast<double>(t + kSecondsPerHour) + options_.model_development_lag_hours * kSecondsPerHour;
  for (size_t i = 0; i < targets_.size(); ++i)
    if (static_cast<double>(targets_[i].date) >= need) return static_cast<int>(i);
  return -1;
}

Status Ledger::Record(int hour_index, const LedgerHour& h) {
  const int P = layout_.num_pools(), W = layout_.num_workloads(), R = layout_.num_rows();
  if (hour_index != next_hour_ || hour_index >= options_.hours)
    return Status::Internal("ledger: hour " + std::to_string(hour_index) +
                            " recorded out of order (expected " + std::to_string(next_hour_) + " of " +
                            std::to_string(options_.hours) + ")");
  const size_t C = static_cast<size_t>(P) * static_cast<size_t>(W);
  if (h.paid_chips.size() != static_cast<size_t>(P) || h.up_chips.size() != static_cast<size_t>(P) ||
      h.chips.size() != C || h.effective_chips.size() != C || h.revenue_usd.size() != C ||
      h.bid_value_usd.size() != C || h.lost_effective_chip_hours.size() != C ||
      h.lost_bid_value_usd.size() != C || h.served_output_tokens.size() != C ||
      h.capacity_output_tokens.size() != C)
    return Status::Internal("ledger: hour " + std::to_string(hour_index) + " has vectors of the wrong size");
  ++next_hour_;

  const UtcSeconds t = options_.start + static_cast<UtcSeconds>(hour_index) * kSecondsPerHour;
  size_t mi = 0;
  while (mi + 1 < months_.size() && months_[mi + 1].start <= t) ++mi;
  const size_t day = static_cast<size_t>((t - first_midnight_) / kSecondsPerDay);
  const int target = TargetOf(t);
  bool within = false;
  if (target >= 0) {
    within = static_cast<double>(targets_[static_cast<size_t>(target)].date - t) <=
             options_.value_horizon_hours * kSecondsPerHour + 1e-6;
    target_observed_hours_[static_cast<size_t>(target)] += 1.0;
  }

  LedgerHourTotals& tot = hours_[static_cast<size_t>(hour_index)];
  auto& mcells = months_[mi].cells;
  auto& dcells = days_[day].cells;
  for (int p = 0; p < P; ++p) {
    const double paid = h.paid_chips[static_cast<size_t>(p)], up = h.up_chips[static_cast<size_t>(p)];
    const double price = layout_.pools[static_cast<size_t>(p)].usd_per_chip_hour;
    if (!Finite(paid) || !Finite(up) || paid < -kChipTolerance || up < -kChipTolerance ||
        up > paid + kChipTolerance)
      return Status::Internal("ledger: hour " + FormatUtc(t) + ", pool " +
                              layout_.pools[static_cast<size_t>(p)].id + ": chips up (" + std::to_string(up) +
                              ") must be within [0, paid " + std::to_string(paid) + "]");
    double allocated = 0;
    for (int w = 0; w < W; ++w) {
      const size_t c = static_cast<size_t>(p) * static_cast<size_t>(W) + static_cast<size_t>(w);
      const double chips = h.chips[c];
      for (double v :
           {chips, h.effective_chips[c], h.revenue_usd[c], h.bid_value_usd[c], h.lost_effective_chip_hours[c],
            h.lost_bid_value_usd[c], h.served_output_tokens[c], h.capacity_output_tokens[c]})
        if (!Finite(v) || v < -kChipTolerance)
          return Status::Internal("ledger: hour " + FormatUtc(t) + ", pool " +
                                  layout_.pools[static_cast<size_t>(p)].id + ", workload " +
                                  layout_.workloads[static_cast<size_t>(w)].id +
                                  ": negative or non-finite figure");
      allocated += chips;
      LedgerCell cell;
      cell.chip_hours = chips;
      cell.effective_chip_hours = h.effective_chips[c];
      cell.lost_effective_chip_hours = h.lost_effective_chip_hours[c];
      cell.cost_usd = chips * price;
      cell.revenue_usd = h.revenue_usd[c];
      cell.served_output_tokens = h.served_output_tokens[c];
      cell.capacity_output_tokens = h.capacity_output_tokens[c];
      const WorkloadKind kind = layout_.workloads[static_cast<size_t>(w)].kind;
      const double net_bid = h.bid_value_usd[c] - h.lost_bid_value_usd[c];
      const size_t cell_index = static_cast<size_t>(p * R + w);
      if (IsModelDevelopment(kind)) {
        if (target >= 0) {
          const double feed = h.effective_chips[c] - h.lost_effective_chip_hours[c];
          auto& mf = within ? month_feed_within_ : month_feed_beyond_;
          auto& df = within ? day_feed_within_ : day_feed_beyond_;
          mf[mi][cell_index][static_cast<size_t>(target)] += feed;
          df[day][static_cast<size_t>(w)][static_cast<size_t>(target)] += feed;
          target_observed_[static_cast<size_t>(target)] += feed;
        } else {
          cell.model_development_bid_usd = net_bid;
        }
      } else {
        cell.bid_value_usd = net_bid;
      }
      mcells[cell_index].Add(cell);
      dcells[static_cast<size_t>(w)].Add(cell);
      tot.effective_chips += h.effective_chips[c];
      tot.revenue_usd += h.revenue_usd[c];
      tot.bid_value_usd += h.bid_value_usd[c] - h.lost_bid_value_usd[c];
    }
    if (allocated > up + kChipTolerance)
      return Status::Internal("ledger: hour " + FormatUtc(t) + ", pool " +
                              layout_.pools[static_cast<size_t>(p)].id + ": " + std::to_string(allocated) +
                              " chips allocated but only " + std::to_string(up) + " up");
    // Idle and down make the pool's rows add up to what is paid for, exactly.
    const double idle = std::max(0.0, up - allocated);
    const double down = std::max(0.0, paid - up);
    LedgerCell ic, dc;
    ic.chip_hours = idle;
    ic.cost_usd = idle * price;
    dc.chip_hours = down;
    dc.cost_usd = down * price;
    mcells[static_cast<size_t>(p * R + layout_.idle_row())].Add(ic);
    mcells[static_cast<size_t>(p * R + layout_.down_row())].Add(dc);
    dcells[static_cast<size_t>(layout_.idle_row())].Add(ic);
    dcells[static_cast<size_t>(layout_.down_row())].Add(dc);
    tot.paid_chips += paid;
    tot.up_chips += up;
    tot.allocated_chips += allocated;
    tot.idle_chips += idle;
    tot.down_chips += down;
    tot.cost_usd += paid * price;
  }
  return Status::Ok();
}

StatusOr<LedgerReport> Ledger::Finish() {
  if (next_hour_ != options_.hours)
    return Status::Internal("ledger: finished after " + std::to_string(next_hour_) + " of " +
                            std::to_string(options_.hours) + " hours");
  const size_t L = targets_.size();
  const double lag_s = options_.model_development_lag_hours * kSecondsPerHour;
  LedgerReport r;
  // Value per productive effective chip-hour of each launch's window.
  std::vector<double> rate(L, 0.0);
  for (size_t i = 0; i < L; ++i) {
    LaunchCreditResult c;
    c.launch = targets_[i];
    c.window_end = targets_[i].date - static_cast<UtcSeconds>(std::llround(lag_s));
    const UtcSeconds prev = i > 0 ? targets_[i - 1].date : options_.start;
    c.window_start = prev - static_cast<UtcSeconds>(std::llround(lag_s));
    const double window_hours = static_cast<double>(c.window_end - c.window_start) / kSecondsPerHour;
    c.observed_effective_chip_hours = target_observed_[i];
    c.observed_hours = target_observed_hours_[i];
    if (c.observed_hours > 0 && c.observed_effective_chip_hours > 0 && window_hours > 0) {
      const double expected =
          c.observed_effective_chip_hours * std::max(1.0, window_hours / c.observed_hours);
      rate[i] = targets_[i].credit_usd / expected;
      c.usd_per_effective_chip_hour = rate[i];
      c.credited_usd = rate[i] * c.observed_effective_chip_hours;
    }
    r.launch_credits.push_back(std::move(c));
  }
  auto apply = [&](std::vector<LedgerPeriod>& periods,
                   const std::vector<std::vector<std::vector<double>>>& within,
                   const std::vector<std::vector<std::vector<double>>>& beyond) {
    for (size_t m = 0; m < periods.size(); ++m)
      for (size_t c = 0; c < periods[m].cells.size(); ++c)
        for (size_t i = 0; i < L; ++i) {
          periods[m].cells[c].launch_credit_within_usd += within[m][c][i] * rate[i];
          periods[m].cells[c].launch_credit_beyond_usd += beyond[m][c][i] * rate[i];
        }
  };
  apply(months_, month_feed_within_, month_feed_beyond_);
  apply(days_, day_feed_within_, day_feed_beyond_);

  r.layout = layout_;
  r.options = options_;
  r.options.launches = targets_;
  r.hours = std::move(hours_);
  r.days = std::move(days_);
  r.months = std::move(months_);

  // Return on compute by group.
  const int P = layout_.num_pools(), R = layout_.num_rows();
  auto add = [](RocLine& line, const LedgerCell& c) {
    line.chip_hours += c.chip_hours;
    line.cost_usd += c.cost_usd;
    line.value_now_usd += c.value_now_usd();
    line.value_within_usd += c.value_within_usd();
    line.value_all_up_usd += c.value_all_up_usd();
  };
  r.total.key = "all";
  std::map<std::string, size_t> team_at, chip_at;
  std::vector<RocLine> teams, chips;
  r.by_workload.resize(static_cast<size_t>(R));
  for (int row = 0; row < R; ++row) r.by_workload[static_cast<size_t>(row)].key = layout_.RowName(row);
  for (int row = 0; row < layout_.num_workloads(); ++row) {
    std::string team = layout_.RowTeam(row);
    if (team.empty()) team = "(no team)";
    if (team_at.emplace(team, teams.size()).second) teams.push_back(RocLine{team});
  }
  for (const auto& p : layout_.pools)
    if (chip_at.emplace(p.chip_type, chips.size()).second) chips.push_back(RocLine{p.chip_type});
  RocLine idle{"(idle)"}, down{"(down)"};
  for (const auto& m : r.months)
    for (int p = 0; p < P; ++p)
      for (int row = 0; row < R; ++row) {
        const LedgerCell& c = m.cells[static_cast<size_t>(p * R + row)];
        add(r.total, c);
        add(r.by_workload[static_cast<size_t>(row)], c);
        add(chips[chip_at[layout_.pools[static_cast<size_t>(p)].chip_type]], c);
        if (row == layout_.idle_row()) {
          add(idle, c);
        } else if (row == layout_.down_row()) {
          add(down, c);
        } else {
          std::string team = layout_.RowTeam(row);
          add(teams[team_at[team.empty() ? "(no team)" : team]], c);
        }
      }
  teams.push_back(idle);
  teams.push_back(down);
  r.by_team = std::move(teams);
  r.by_chip_type = std::move(chips);
  return r;
}

}  // namespace fungible

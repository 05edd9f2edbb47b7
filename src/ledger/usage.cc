#include "ledger/usage.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <tuple>

namespace fungible {

StatusOr<std::pair<UtcSeconds, UtcSeconds>> MonthBounds(const std::string& month) {
  auto bad = [&] { return Status::Invalid("--month: expected YYYY-MM, got \"" + month + "\""); };
  if (month.size() != 7 || month[4] != '-') return bad();
  auto start = ParseUtc(month + "-01");
  if (!start.ok()) return bad();
  int y = std::stoi(month.substr(0, 4)), m = std::stoi(month.substr(5, 2));
  if (++m > 12) {
    m = 1;
    ++y;
  }
  char next[32];
  std::snprintf(next, sizeof next, "%04d-%02d-01", y, m);
  auto end = ParseUtc(next);
  if (!end.ok()) return bad();
  return std::make_pair(*start, *end);
}

StatusOr<UsageMonth> ReviewUsage(const Fleet& fleet, const std::vector<JobUse>& jobs,
                                 const std::vector<TokenReport>& tokens, const std::string& month,
                                 UtcSeconds now) {
  auto bounds = MonthBounds(month);
  if (!bounds.ok()) return bounds.status();
  const auto [start, end] = *bounds;
  UsageMonth out;
  out.month = month;
  out.hours = static_cast<int>((end - start) / 3600);

  std::map<std::tuple<std::string, std::string, std::string, std::string>, UsageMonth::ChipHours> by_key;
  std::map<std::string, double> by_pool;
  std::map<std::string, std::string> chip_of_pool;
  for (const auto& j : jobs) {
    if (j.started_at <= 0 || j.chips <= 0) continue;
    const UtcSeconds run_end = j.ended_at > 0 ? j.ended_at : now;
    const double last_run =
        static_cast<double>(std::max<UtcSeconds>(0, run_end - j.started_at)) * j.chips / 3600.0;
    const UtcSeconds lo = std::max(start, j.started_at), hi = std::min(end, run_end);
    double h = hi > lo ? static_cast<double>(hi - lo) * j.chips / 3600.0 : 0;
    // Earlier runs (requeued) count where the last one started.
    if (j.started_at >= start && j.started_at < end) h += std::max(0.0, j.chip_hours - last_run);
    if (h <= 0) continue;
    auto& row = by_key[{j.team, j.workload, j.pool, j.chip_type}];
    row.team = j.team;
    row.workload = j.workload;
    row.pool = j.pool;
    row.chip_type = j.chip_type;
    row.jobs += 1;
    row.chip_hours += h;
    by_pool[j.pool] += h;
    chip_of_pool[j.pool] = j.chip_type;
    out.total_chip_hours += h;
  }
  for (auto& [k, row] : by_key) out.chip_hours.push_back(row);

  std::map<std::pair<std::string, std::string>, UsageMonth::Tokens> by_model;
  for (const auto& t : tokens) {
    if (t.from < start || t.from >= end) continue;
    auto& row = by_model[{t.team, t.model}];
    row.team = t.team;
    row.model = t.model;
    row.input_tokens += t.input_tokens;
    row.output_tokens += t.output_tokens;
    row.cached_input_tokens += t.cached_input_tokens;
  }
  for (auto& [k, row] : by_model) {
    if (const ServedModel* m = fleet.FindModel(row.model)) {
      const double cached_price =
          m->usd_per_million_cached_input_tokens.value_or(m->usd_per_million_input_tokens);
      row.revenue_usd =
          (static_cast<double>(row.input_tokens - row.cached_input_tokens) * m->usd_per_million_input_tokens +
           static_cast<double>(row.cached_input_tokens) * cached_price +
           static_cast<double>(row.output_tokens) * m->usd_per_million_output_tokens) /
          1e6;
    }
    out.output_tokens += row.output_tokens;
    out.revenue_usd += row.revenue_usd;
    out.tokens.push_back(row);
  }

  for (const auto& p : fleet.pools) {
    UsageMonth::PoolUse u;
    u.pool = p.id;
    u.chip_type = p.chip_type;
    u.chips = p.chips;
    u.capacity_chip_hours = static_cast<double>(p.chips) * out.hours;
    u.used_chip_hours = by_pool.count(p.id) ? by_pool[p.id] : 0;
    by_pool.erase(p.id);
    out.pools.push_back(u);
  }
  for (const auto& [pool, h] : by_pool) {
    UsageMonth::PoolUse u;
    u.pool = pool;
    u.chip_type = chip_of_pool[pool];
    u.used_chip_hours = h;
    out.pools.push_back(u);
  }
  return out;
}

}  // namespace fungible

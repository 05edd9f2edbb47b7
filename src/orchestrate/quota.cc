#include "orchestrate/quota.h"

#include <algorithm>
#include <set>

namespace fungible::orchestrate {

int QuotaPlan::PeriodAt(UtcSeconds t) const {
  for (int i = periods() - 1; i >= 0; --i) {
    if (t >= period_starts[i]) {
      double end = static_cast<double>(period_starts[i]) + period_hours[i] * kSecondsPerHour;
      return static_cast<double>(t) < end ? i : -1;
    }
  }
  return -1;
}

int QuotaPlan::Quota(const std::string& team, const std::string& chip_type, int t) const {
  if (t < 0) return 0;
  auto team_it = quota_chips.find(team);
  if (team_it == quota_chips.end()) return 0;
  auto chip_it = team_it->second.find(chip_type);
  if (chip_it == team_it->second.end() || t >= static_cast<int>(chip_it->second.size())) return 0;
  return chip_it->second[t];
}

std::vector<std::string> QuotaPlan::Teams() const {
  std::vector<std::string> out;
  for (const auto& [team, _] : quota_chips) out.push_back(team);
  return out;
}

std::vector<std::string> QuotaPlan::ChipTypes() const {
  std::set<std::string> chips;
  for (const auto& [_, by_chip] : quota_chips)
    for (const auto& entry : by_chip) chips.insert(entry.first);
  return {chips.begin(), chips.end()};
}

StatusOr<QuotaPlan> QuotasFromAllocation(const AllocationResult& result, const Fleet& fleet) {
  QuotaPlan plan;
  const size_t periods = result.periods.size();
  for (const auto& p : result.periods) {
    plan.period_starts.push_back(p.start);
    plan.period_hours.push_back(p.hours);
  }
  if (result.chips.size() != result.pool_ids.size())
    return Status::Invalid("allocation: chips has " + std::to_string(result.chips.size()) +
                           " pools, expected " + std::to_string(result.pool_ids.size()));
  // Every team gets an entry (zeros) for every chip type, so the plan lists
  // teams with no chips in some hours too.
  std::vector<std::string> pool_chip(result.pool_ids.size());
  for (size_t p = 0; p < result.pool_ids.size(); ++p) {
    const Pool* pool = nullptr;
    for (const auto& candidate : fleet.pools)
      if (candidate.id == result.pool_ids[p]) pool = &candidate;
    if (!pool)
      return Status::NotFound("allocation names pool \"" + result.pool_ids[p] + "\" not in the fleet");
    pool_chip[p] = pool->chip_type;
  }
  std::vector<std::string> workload_team(result.workload_ids.size());
  for (size_t w = 0; w < result.workload_ids.size(); ++w) {
    const WorkloadClass* wc = fleet.FindWorkload(result.workload_ids[w]);
    if (!wc)
      return Status::NotFound("allocation names workload \"" + result.workload_ids[w] +
                              "\" not in the fleet");
    workload_team[w] = wc->team;
  }
  for (const auto& team : workload_team)
    for (const auto& chip : pool_chip) plan.quota_chips[team][chip].assign(periods, 0);
  for (size_t p = 0; p < result.chips.size(); ++p) {
    if (result.chips[p].size() != result.workload_ids.size())
      return Status::Invalid("allocation: chips[" + std::to_string(p) + "] has " +
                             std::to_string(result.chips[p].size()) + " workloads, expected " +
                             std::to_string(result.workload_ids.size()));
    for (size_t w = 0; w < result.chips[p].size(); ++w) {
      if (result.chips[p][w].size() != periods)
        return Status::Invalid("allocation: chips[" + std::to_string(p) + "][" + std::to_string(w) +
                               "] has " + std::to_string(result.chips[p][w].size()) + " periods, expected " +
                               std::to_string(periods));
      auto& row = plan.quota_chips[workload_team[w]][pool_chip[p]];
      for (size_t t = 0; t < periods; ++t) row[t] += result.chips[p][w][t];
    }
  }
  return plan;
}

nlohmann::json QuotaPlanToJson(const QuotaPlan& plan) {
  nlohmann::json periods = nlohmann::json::array();
  for (int t = 0; t < plan.periods(); ++t)
    periods.push_back({{"start", FormatRfc3339(plan.period_starts[t])}, {"hours", plan.period_hours[t]}});
  return {{"periods", periods}, {"quota_chips", plan.quota_chips}};
}

StatusOr<QuotaPlan> QuotaPlanFromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Status::Invalid("plan: expected a JSON object");
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.key() != "periods" && it.key() != "quota_chips")
      return Status::Invalid("plan." + it.key() + ": unknown field");
  if (!j.contains("periods") || !j["periods"].is_array())
    return Status::Invalid("plan.periods: expected an array");
  QuotaPlan plan;
  for (size_t i = 0; i < j["periods"].size(); ++i) {
    const auto& p = j["periods"][i];
    const std::string where = "plan.periods[" + std::to_string(i) + "]";
    if (!p.is_object() || !p.contains("start") || !p["start"].is_string() || !p.contains("hours") ||
        !p["hours"].is_number() || p["hours"].get<double>() <= 0)
      return Status::Invalid(where + ": expected {\"start\": \"YYYY-MM-DDTHH:MMZ\", \"hours\": > 0}");
    auto start = ParseUtc(p["start"].get<std::string>());
    if (!start.ok()) return start.status().WithContext(where + ".start");
    if (!plan.period_starts.empty() &&
        *start < plan.period_starts.back() + plan.period_hours.back() * kSecondsPerHour)
      return Status::Invalid(where + ".start: overlaps the previous period");
    plan.period_starts.push_back(*start);
    plan.period_hours.push_back(p["hours"].get<double>());
  }
  if (!j.contains("quota_chips") || !j["quota_chips"].is_object())
    return Status::Invalid("plan.quota_chips: expected an object team -> chip type -> [chips per period]");
  for (auto team = j["quota_chips"].begin(); team != j["quota_chips"].end(); ++team) {
    if (!team->is_object()) return Status::Invalid("plan.quota_chips." + team.key() + ": expected an object");
    for (auto chip = team->begin(); chip != team->end(); ++chip) {
      const std::string where = "plan.quota_chips." + team.key() + "." + chip.key();
      if (!chip->is_array() || chip->size() != plan.period_starts.size())
        return Status::Invalid(where + ": expected an array of " + std::to_string(plan.period_starts.size()) +
                               " non-negative integers");
      std::vector<int> row;
      for (const auto& v : *chip) {
        if (!v.is_number_integer() || v.get<long long>() < 0 || v.get<long long>() > (1 << 24))
          return Status::Invalid(where + ": expected non-negative integers");
        row.push_back(v.get<int>());
      }
      plan.quota_chips[team.key()][chip.key()] = row;
    }
  }
  return plan;
}

ClusterInfo ClusterFromFleet(const Fleet& fleet) {
  ClusterInfo info;
  for (const auto& pool : fleet.pools) {
    PoolInfo p;
    p.id = pool.id;
    p.chip_type = pool.chip_type;
    p.chips = pool.chips;
    if (const ChipType* chip = fleet.FindChip(pool.chip_type)) {
      p.platform = PlatformName(chip->platform);
      p.generation = chip->generation;
      p.domain_chips = std::max(1, chip->interconnect_domain_chips);
    }
    info.pools.push_back(p);
  }
  for (const auto& wc : fleet.workloads) {
    WorkloadInfo w;
    w.id = wc.id;
    w.team = wc.team;
    std::vector<Eligibility> eligible = wc.eligible;
    if (wc.kind == WorkloadKind::kServe && eligible.empty()) {
      if (const ServedModel* m = fleet.FindModel(wc.model))
        for (const auto& [chip, tps] : m->output_tokens_per_s_per_chip)
          if (tps > 0) eligible.push_back({chip, tps});
    }
    std::stable_sort(eligible.begin(), eligible.end(), [](const Eligibility& a, const Eligibility& b) {
      return a.efficiency_h100_equiv > b.efficiency_h100_equiv;
    });
    for (const auto& e : eligible) w.eligible_chip_types.push_back(e.chip_type);
    info.workloads.push_back(w);
  }
  return info;
}

}  // namespace fungible::orchestrate

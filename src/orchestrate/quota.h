// The bridge from the allocation plan to admission: team quotas per chip type
// per period (Kueue's ClusterQueue nominal quota, with a time axis), and the
// physical cluster (pools split into interconnect domains) jobs are placed on.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "allocate/allocate.h"
#include "model/fleet.h"
#include "util/status.h"
#include "util/time.h"

namespace fungible::orchestrate {

// quota_chips[team][chip_type][t]: chips the team may hold in period t.
struct QuotaPlan {
  std::vector<UtcSeconds> period_starts;  // sorted, one per period
  std::vector<double> period_hours;       // same length
  std::map<std::string, std::map<std::string, std::vector<int>>> quota_chips;

  int periods() const { return static_cast<int>(period_starts.size()); }
  // Index of the period containing t, or -1 when t is outside the plan.
  int PeriodAt(UtcSeconds t) const;
  // Quota of `team` on `chip_type` in period t; 0 when unknown or t < 0.
  int Quota(const std::string& team, const std::string& chip_type, int t) const;
  // Every team and chip type named in the plan.
  std::vector<std::string> Teams() const;
  std::vector<std::string> ChipTypes() const;
};

// Quota of team T on chip type c in period t = sum of chips[p][w][t] over the
// pools p of chip type c and the workload classes w of team T. Errors when
// the result names a pool or workload the fleet does not have, or its arrays
// do not match its id lists.
StatusOr<QuotaPlan> QuotasFromAllocation(const AllocationResult& result, const Fleet& fleet);

// JSON form of a plan (also the format of `fungible serve --quotas FILE`, `GET /v1/quotas`):
//   {"periods": [{"start": "2027-01-01T00:00:00Z", "hours": 12}, ...],
//    "quota_chips": {"team": {"chip_type": [chips per period, ...]}}}
// Parsing is strict and names the field in errors.
nlohmann::json QuotaPlanToJson(const QuotaPlan& plan);
StatusOr<QuotaPlan> QuotaPlanFromJson(const nlohmann::json& j);

// One pool as the placer sees it: `chips` split into domains of
// `domain_chips` (the last one may be smaller).
struct PoolInfo {
  std::string id;
  std::string chip_type;
  std::string platform;    // "nvidia", "google", "aws", ...
  std::string generation;  // "hopper", "v6e", ...
  int chips = 0;
  int domain_chips = 1;
};

// A workload class as admission needs it: its team and where it may run.
struct WorkloadInfo {
  std::string id;
  std::string team;
  std::vector<std::string> eligible_chip_types;  // most efficient first
};

struct ClusterInfo {
  std::vector<PoolInfo> pools;
  std::vector<WorkloadInfo> workloads;  // empty: jobs may name any workload
};

// Pools (whole chips, interconnect domains from the chip type) and workload
// classes of `fleet`.
ClusterInfo ClusterFromFleet(const Fleet& fleet);

}  // namespace fungible::orchestrate

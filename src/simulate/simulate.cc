// The hourly loop, the four policies and the summary. The allocation is
// always the engine's own: BuildInstance() for the window, adjusted to what
// the simulator knows at that hour, then Solve().
#include "simulate/simulate.h"

#include <algorithm>

#include "simulate/internal/policy_run.h"
#include "simulate/internal/world.h"
#include "util/text.h"

namespace fungible {

using simulate_internal::BuildWorld;
using simulate_internal::RunPolicy;
using simulate_internal::SetUpWorld;
using simulate_internal::World;

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
  FUNGIBLE_RETURN_IF_ERROR(SetUpWorld(fleet, o, wd));
  const auto& st = wd.st;
  const UtcSeconds start = wd.start;

  SimulationResult res;
  res.fleet_name = fleet.name;
  res.spec_file = fleet.file;
  res.scenario = o.demand.text.empty() ? "P50" : o.demand.text;
  res.seed = o.seed.value_or(fleet.forecast.seed);
  res.start = start;
  res.hours = wd.hours;
  res.settings = st;
  res.settings.start = start;

  FUNGIBLE_RETURN_IF_ERROR(BuildWorld(fleet, o, wd, res));

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

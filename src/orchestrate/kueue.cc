#include "orchestrate/kueue.h"

#include <cstdio>
#include <map>
#include <set>

#include "util/text.h"

namespace fungible::orchestrate {

using nlohmann::json;

std::string KueueResourceName(const std::string& platform) {
  if (platform == "nvidia") return "nvidia.com/gpu";
  if (platform == "amd") return "amd.com/gpu";
  if (platform == "google") return "google.com/tpu";
  if (platform == "aws") return "aws.amazon.com/neuron";
  if (platform == "cpu") return "cpu";
  return "fungible.io/accelerator";
}

std::string KubernetesName(const std::string& text) {
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(l)) || l == '-' || l == '.') ? l : '-';
  }
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  if (out.size() > 253) out.resize(253);
  return out.empty() ? "x" : out;
}

StatusOr<json> KueueManifests(const QuotaPlan& plan, const ClusterInfo& cluster, int period,
                              const std::string& cohort) {
  if (period < 0 || period >= plan.periods())
    return Status::Invalid("period " + std::to_string(period) + " is outside the plan (0.." +
                           std::to_string(plan.periods() - 1) + ")");
  const std::string cohort_name = KubernetesName(cohort);
  const std::string period_label = FormatUtc(plan.period_starts[period]);
  // Chip types in pool order, with their platform.
  std::vector<std::string> chips;
  std::map<std::string, std::string> platform_of;
  for (const auto& p : cluster.pools)
    if (!platform_of.count(p.chip_type)) {
      platform_of[p.chip_type] = p.platform;
      chips.push_back(p.chip_type);
    }
  for (const auto& c : plan.ChipTypes())
    if (!platform_of.count(c)) {
      platform_of[c] = "";
      chips.push_back(c);
    }
  auto annotations = [&] {
    return json{{"fungible.io/plan-period", std::to_string(period)},
                {"fungible.io/period-start", period_label},
                {"fungible.io/period-hours", Fmt("%g", plan.period_hours[period])}};
  };
  json docs = json::array();
  for (const auto& chip : chips)
    docs.push_back(
        {{"apiVersion", "kueue.x-k8s.io/v1beta1"},
         {"kind", "ResourceFlavor"},
         {"metadata",
          {{"name", KubernetesName(chip)}, {"labels", {{"app.kubernetes.io/managed-by", "fungible"}}}}},
         {"spec", {{"nodeLabels", {{"fungible.io/chip-type", KubernetesName(chip)}}}}}});
  docs.push_back(
      {{"apiVersion", "kueue.x-k8s.io/v1beta1"},
       {"kind", "Cohort"},
       {"metadata", {{"name", cohort_name}, {"labels", {{"app.kubernetes.io/managed-by", "fungible"}}}}},
       {"spec", json::object()}});
  // Resource groups: one per resource name, listing the flavors that provide it.
  std::map<std::string, std::vector<std::string>> flavors_of_resource;
  std::vector<std::string> resource_order;
  for (const auto& chip : chips) {
    const std::string r = KueueResourceName(platform_of[chip]);
    if (!flavors_of_resource.count(r)) resource_order.push_back(r);
    flavors_of_resource[r].push_back(chip);
  }
  std::map<std::string, int> cohort_total;
  for (const auto& team : plan.Teams())
    for (const auto& chip : chips) cohort_total[chip] += plan.Quota(team, chip, period);
  for (const auto& team : plan.Teams()) {
    json groups = json::array();
    for (const auto& r : resource_order) {
      json flavors = json::array();
      for (const auto& chip : flavors_of_resource[r]) {
        const int q = plan.Quota(team, chip, period);
        flavors.push_back({{"name", KubernetesName(chip)},
                           {"resources", json::array({{{"name", r},
                                                       {"nominalQuota", q},
                                                       {"borrowingLimit", cohort_total[chip] - q},
                                                       {"lendingLimit", q}}})}});
      }
      groups.push_back({{"coveredResources", json::array({r})}, {"flavors", flavors}});
    }
    docs.push_back(
        {{"apiVersion", "kueue.x-k8s.io/v1beta1"},
         {"kind", "ClusterQueue"},
         {"metadata",
          {{"name", KubernetesName("team-" + team)},
           {"labels",
            {{"app.kubernetes.io/managed-by", "fungible"}, {"fungible.io/team", KubernetesName(team)}}},
           {"annotations", annotations()}}},
         {"spec",
          {{"cohort", cohort_name},
           {"namespaceSelector", json::object()},
           {"queueingStrategy", "BestEffortFIFO"},
           {"flavorFungibility", {{"whenCanBorrow", "Borrow"}, {"whenCanPreempt", "TryNextFlavor"}}},
           {"preemption",
            {{"reclaimWithinCohort", "Any"},
             {"withinClusterQueue", "LowerPriority"},
             {"borrowWithinCohort", {{"policy", "Never"}}}}},
           {"resourceGroups", groups}}}});
  }
  return docs;
}

}  // namespace fungible::orchestrate

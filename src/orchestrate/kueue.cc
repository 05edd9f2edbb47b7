#include "orchestrate/kueue.h"

#include <algorithm>
#include <cctype>
#include <cmath>
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

namespace {

constexpr const char* kApi = "kueue.x-k8s.io/v1beta2";

// Published node label values by catalog chip id.
//   nvidia.com/gpu.product: NVIDIA GPU Feature Discovery (GFD) labels a node
//   with the GPU's product name as nvidia-smi prints it, spaces as '-'
//   (github.com/NVIDIA/k8s-device-plugin, docs/gpu-feature-discovery): an
//   H100 SXM5 80GB reports "NVIDIA H100 80GB HBM3".
//   cloud.google.com/gke-tpu-accelerator: GKE's values per TPU version
//   (cloud.google.com/kubernetes-engine/docs/concepts/plan-tpus):
//   tpu-v5-lite-podslice (v5e), tpu-v5p-slice, tpu-v6e-slice, tpu7x.
//   node.kubernetes.io/instance-type: the Kubernetes well-known label
//   (kubernetes.io/docs/reference/labels-annotations-taints) with the EC2
//   instance types of aws.amazon.com/ec2/instance-types/trn1, /trn2, /inf2.
struct Known {
  const char* chip;
  const char* key;
  const char* value;
};
constexpr Known kKnown[] = {
    {"h100-sxm", "nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"},
    {"h200", "nvidia.com/gpu.product", "NVIDIA-H200"},
    {"b200", "nvidia.com/gpu.product", "NVIDIA-B200"},
    {"gb200", "nvidia.com/gpu.product", "NVIDIA-GB200"},
    {"tpu-v5e", "cloud.google.com/gke-tpu-accelerator", "tpu-v5-lite-podslice"},
    {"tpu-v5p", "cloud.google.com/gke-tpu-accelerator", "tpu-v5p-slice"},
    {"tpu-v6e", "cloud.google.com/gke-tpu-accelerator", "tpu-v6e-slice"},
    {"tpu-v7", "cloud.google.com/gke-tpu-accelerator", "tpu7x"},
    {"trn1", "node.kubernetes.io/instance-type", "trn1.32xlarge"},
    {"trn2", "node.kubernetes.io/instance-type", "trn2.48xlarge"},
    {"inf2", "node.kubernetes.io/instance-type", "inf2.48xlarge"},
};

// A TPU slice's topology label for `chips` chips: 2D (v5e, v6e: "2x4") or
// 3D (v5p, v7: "2x2x2"), dimensions powers of two in ascending order, as
// GKE spells them. Empty when `chips` is not a power of two.
std::string TpuTopology(int chips, int dims) {
  if (chips < 1 || (chips & (chips - 1)) != 0) return "";
  int k = 0;
  while ((1 << k) < chips) ++k;
  std::vector<int> e(dims, k / dims);
  for (int i = 0; i < k % dims; ++i) ++e[dims - 1 - i];
  std::string out;
  for (int i = 0; i < dims; ++i) out += (i ? "x" : "") + std::to_string(1 << e[i]);
  return out;
}

json ManagedLabels(const std::string& team = "") {
  json l = {{"app.kubernetes.io/managed-by", "fungible"}};
  if (!team.empty()) l["fungible.io/team"] = KubernetesName(team);
  return l;
}

// A label value: at most 63 characters of [A-Za-z0-9._-], alphanumeric at both ends.
std::string LabelValue(const std::string& text) {
  std::string out;
  for (char c : text)
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '-';
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.back()))) out.pop_back();
  while (!out.empty() && !std::isalnum(static_cast<unsigned char>(out.front()))) out.erase(out.begin());
  return out;
}

}  // namespace

KueueFlavor DefaultKueueFlavor(const std::string& chip_id, const std::string& name,
                               const std::string& platform, int domain_chips) {
  KueueFlavor f;
  for (const auto& k : kKnown)
    if (chip_id == k.chip) f.node_labels.emplace_back(k.key, k.value);
  if (f.node_labels.empty()) {
    f.derived = true;
    const std::string from = name.empty() ? chip_id : name;
    if (platform == "nvidia")
      f.node_labels.emplace_back("nvidia.com/gpu.product", LabelValue(from));
    else if (platform == "amd")
      f.node_labels.emplace_back("amd.com/gpu.product-name", LabelValue(from));
    else if (platform == "google")
      f.node_labels.emplace_back("cloud.google.com/gke-tpu-accelerator", LabelValue(chip_id + "-slice"));
    else if (platform == "aws")
      f.node_labels.emplace_back("node.kubernetes.io/instance-type", LabelValue(chip_id));
    else
      f.node_labels.emplace_back("fungible.io/chip-type", LabelValue(chip_id));
  }
  if (platform == "google") {
    const bool three_d = chip_id == "tpu-v5p" || chip_id == "tpu-v7" || chip_id == "tpu-v4";
    const std::string topology = TpuTopology(domain_chips, three_d ? 3 : 2);
    if (!topology.empty()) f.node_labels.emplace_back("cloud.google.com/gke-tpu-topology", topology);
  }
  return f;
}

int KueueChipsPerNode(const std::string& platform) {
  if (platform == "nvidia" || platform == "amd") return 8;
  if (platform == "google") return 4;
  if (platform == "aws") return 16;
  return 1;
}

StatusOr<json> KueueManifests(const QuotaPlan& plan, const ClusterInfo& cluster, int period,
                              const KueueExportOptions& options) {
  if (period < 0 || period >= plan.periods())
    return Status::Invalid("period " + std::to_string(period) + " is outside the plan (0.." +
                           std::to_string(plan.periods() - 1) + ")");
  const std::string cohort_name = KubernetesName(options.cohort);
  const std::string period_label = FormatUtc(plan.period_starts[period]);
  // Chip types in pool order, with their platform and domain size.
  std::vector<std::string> chips;
  std::map<std::string, std::string> platform_of;
  std::map<std::string, int> domain_of;
  for (const auto& p : cluster.pools)
    if (!platform_of.count(p.chip_type)) {
      platform_of[p.chip_type] = p.platform;
      domain_of[p.chip_type] = p.domain_chips;
      chips.push_back(p.chip_type);
    }
  for (const auto& c : plan.ChipTypes())
    if (!platform_of.count(c)) {
      platform_of[c] = "";
      domain_of[c] = 1;
      chips.push_back(c);
    }
  auto annotations = [&] {
    return json{{"fungible.io/plan-period", std::to_string(period)},
                {"fungible.io/period-start", period_label},
                {"fungible.io/period-hours", Fmt("%g", plan.period_hours[period])}};
  };
  json docs = json::array();
  for (const auto& chip : chips) {
    auto it = options.flavors.find(chip);
    const KueueFlavor flavor = it != options.flavors.end()
                                   ? it->second
                                   : DefaultKueueFlavor(chip, "", platform_of[chip], domain_of[chip]);
    json labels = json::object();
    for (const auto& [k, v] : flavor.node_labels) labels[k] = v;
    json meta = {{"name", KubernetesName(chip)}, {"labels", ManagedLabels()}};
    if (flavor.derived)
      meta["annotations"] = {
          {"fungible.io/node-labels",
           "derived from the chip's name: set chip_types[].kueue_node_labels in the spec to "
           "the labels your nodes carry"}};
    json spec = {{"nodeLabels", labels}};
    // The taints GKE puts on accelerator nodes (google.com/tpu, nvidia.com/gpu),
    // tolerated by the workloads admitted to this flavor.
    const std::string resource = KueueResourceName(platform_of[chip]);
    if (platform_of[chip] == "google" || platform_of[chip] == "nvidia")
      spec["tolerations"] =
          json::array({{{"key", resource}, {"operator", "Exists"}, {"effect", "NoSchedule"}}});
    docs.push_back({{"apiVersion", kApi}, {"kind", "ResourceFlavor"}, {"metadata", meta}, {"spec", spec}});
  }
  docs.push_back({{"apiVersion", kApi},
                  {"kind", "Cohort"},
                  {"metadata", {{"name", cohort_name}, {"labels", ManagedLabels()}}},
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
    const std::string ns = KubernetesName(team);
    docs.push_back(
        {{"apiVersion", kApi},
         {"kind", "ClusterQueue"},
         {"metadata",
          {{"name", KubernetesName("team-" + team)},
           {"labels", ManagedLabels(team)},
           {"annotations", annotations()}}},
         {"spec",
          {{"cohortName", cohort_name},
           // Only the team's namespace (its well-known name label, set by Kubernetes).
           {"namespaceSelector", {{"matchLabels", {{"kubernetes.io/metadata.name", ns}}}}},
           {"queueingStrategy", "BestEffortFIFO"},
           {"flavorFungibility", {{"whenCanBorrow", "MayStopSearch"}, {"whenCanPreempt", "TryNextFlavor"}}},
           {"preemption",
            {{"reclaimWithinCohort", "Any"},
             {"withinClusterQueue", "LowerPriority"},
             {"borrowWithinCohort", {{"policy", "Never"}}}}},
           {"resourceGroups", groups}}}});
  }
  for (const auto& team : plan.Teams())
    docs.push_back({{"apiVersion", kApi},
                    {"kind", "LocalQueue"},
                    {"metadata",
                     {{"name", KubernetesName(team)},
                      {"namespace", KubernetesName(team)},
                      {"labels", ManagedLabels(team)}}},
                    {"spec", {{"clusterQueue", KubernetesName("team-" + team)}}}});
  return docs;
}

StatusOr<json> KueueJobManifest(const json& job, const ClusterInfo& cluster,
                                const KueueExportOptions& options) {
  if (!job.is_object()) return Status::Invalid("job: expected an object");
  auto str = [&](const json& o, const char* key, const std::string& path) -> StatusOr<std::string> {
    if (!o.contains(key) || o[key].is_null()) return std::string();
    if (!o[key].is_string()) return Status::Invalid(path + key + ": expected a string");
    return o[key].get<std::string>();
  };
  auto integer = [&](const json& o, const char* key, const std::string& path,
                     std::int64_t fallback) -> StatusOr<std::int64_t> {
    if (!o.contains(key) || o[key].is_null()) return fallback;
    if (!o[key].is_number_integer() || o[key].get<std::int64_t>() < 0)
      return Status::Invalid(path + key + ": expected a non-negative integer");
    return o[key].get<std::int64_t>();
  };
  auto team = str(job, "team", "");
  if (!team.ok()) return team.status();
  if (team->empty()) return Status::Invalid("team: required");
  auto name = str(job, "name", "");
  if (!name.ok()) return name.status();
  auto gang = integer(job, "gang_size_chips", "", 0);
  if (!gang.ok()) return gang.status();
  auto max_chips = integer(job, "max_chips", "", 1);
  if (!max_chips.ok()) return max_chips.status();
  auto expected = integer(job, "expected_duration_s", "", 3600);
  if (!expected.ok()) return expected.status();
  auto checkpoint = integer(job, "checkpoint_interval_s", "", 0);
  if (!checkpoint.ok()) return checkpoint.status();
  std::vector<std::string> chip_types;
  if (job.contains("chip_types")) {
    if (!job["chip_types"].is_array()) return Status::Invalid("chip_types: expected a list of chip type ids");
    for (const auto& c : job["chip_types"]) {
      if (!c.is_string()) return Status::Invalid("chip_types: expected a list of chip type ids");
      chip_types.push_back(c.get<std::string>());
    }
  }
  const json run = job.value("run", json::object());
  if (!run.is_object()) return Status::Invalid("run: expected an object");
  auto image = str(run, "image", "run.");
  if (!image.ok()) return image.status();
  if (image->empty())
    return Status::Invalid("run.image: required for a Kubernetes Job (the container to run)");
  const bool has_command = run.contains("command"), has_script = run.contains("script");
  if (has_command == has_script) return Status::Invalid("run: give exactly one of command and script");

  // The platform (resource name) from the acceptable chip types, else the fleet's only one.
  std::map<std::string, const PoolInfo*> pool_of_chip;
  for (const auto& p : cluster.pools) pool_of_chip.emplace(p.chip_type, &p);
  std::string platform;
  for (size_t i = 0; i < chip_types.size(); ++i) {
    auto it = pool_of_chip.find(chip_types[i]);
    if (it == pool_of_chip.end())
      return Status::Invalid("chip_types[" + std::to_string(i) + "]: no pool of chip type \"" +
                             chip_types[i] + "\" in the fleet");
    if (!platform.empty() && it->second->platform != platform)
      return Status::Invalid("chip_types: one Job requests one resource; " + chip_types[0] + " and " +
                             chip_types[i] + " are of different platforms");
    platform = it->second->platform;
  }
  if (platform.empty()) {
    for (const auto& p : cluster.pools) {
      if (!platform.empty() && p.platform != platform)
        return Status::Invalid("chip_types: required when the fleet has chips of several platforms");
      platform = p.platform;
    }
  }
  const std::string resource = KueueResourceName(platform);
  const std::int64_t chips = *gang > 0 ? *gang : *max_chips;
  const int per_node = KueueChipsPerNode(platform);
  std::int64_t per_pod = chips, pods = 1;
  if (chips > per_node) {
    if (chips % per_node != 0)
      return Status::Invalid((*gang > 0 ? "gang_size_chips: " : "max_chips: ") + std::to_string(chips) +
                             " chips do not split into whole nodes of " + std::to_string(per_node) + " " +
                             resource);
    per_pod = per_node;
    pods = chips / per_node;
  }

  json container = {{"name", "main"}, {"image", *image}};
  if (has_command) {
    if (!run["command"].is_array() || run["command"].empty())
      return Status::Invalid("run.command: expected a non-empty list of strings");
    for (const auto& a : run["command"])
      if (!a.is_string()) return Status::Invalid("run.command: expected a non-empty list of strings");
    container["command"] = run["command"];
  } else {
    if (!run["script"].is_string()) return Status::Invalid("run.script: expected a string");
    container["command"] = json::array({"/bin/bash", "-c", run["script"]});
  }
  auto workdir = str(run, "workdir", "run.");
  if (!workdir.ok()) return workdir.status();
  if (!workdir->empty()) container["workingDir"] = *workdir;
  json env = json::array();
  if (run.contains("env")) {
    if (!run["env"].is_object()) return Status::Invalid("run.env: expected a mapping of names to strings");
    for (auto it = run["env"].begin(); it != run["env"].end(); ++it) {
      if (!it->is_string()) return Status::Invalid("run.env." + it.key() + ": expected a string");
      env.push_back({{"name", it.key()}, {"value", *it}});
    }
  }
  // The Indexed Job's rank and size, for frameworks that start one process per node.
  env.push_back({{"name", "FUNGIBLE_NODES"}, {"value", std::to_string(pods)}});
  env.push_back({{"name", "FUNGIBLE_CHIPS_PER_NODE"}, {"value", std::to_string(per_pod)}});
  container["env"] = env;
  container["resources"] = {{"limits", {{resource, std::to_string(per_pod)}}},
                            {"requests", {{resource, std::to_string(per_pod)}}}};

  auto time_limit = integer(run, "time_limit_s", "run.", 2 * *expected);
  if (!time_limit.ok()) return time_limit.status();
  auto grace = integer(run, "grace_s", "run.", 30);
  if (!grace.ok()) return grace.status();
  json pod_spec = {{"restartPolicy", "Never"},
                   {"terminationGracePeriodSeconds", *grace},
                   {"containers", json::array({container})}};
  if (chip_types.size() == 1) {
    // One acceptable chip type: only its flavor's nodes.
    auto it = options.flavors.find(chip_types[0]);
    const PoolInfo* p = pool_of_chip.at(chip_types[0]);
    const KueueFlavor flavor = it != options.flavors.end()
                                   ? it->second
                                   : DefaultKueueFlavor(p->chip_type, "", p->platform, p->domain_chips);
    json selector = json::object();
    for (const auto& [k, v] : flavor.node_labels) selector[k] = v;
    pod_spec["nodeSelector"] = selector;
  }
  const std::string ns = KubernetesName(*team);
  json labels = ManagedLabels(*team);
  labels["kueue.x-k8s.io/queue-name"] = KubernetesName(*team);
  json annotations = {{"fungible.io/expected-duration-s", std::to_string(*expected)},
                      {"fungible.io/checkpoint-interval-s", std::to_string(*checkpoint)},
                      {"fungible.io/chips", std::to_string(chips)}};
  if (run.contains("preempt_signal"))
    annotations["fungible.io/preempt-signal"] = run["preempt_signal"].is_string()
                                                    ? run["preempt_signal"].get<std::string>()
                                                    : run["preempt_signal"].dump();
  json meta = {{"namespace", ns}, {"labels", labels}, {"annotations", annotations}};
  if (!name->empty())
    meta["name"] = KubernetesName(*name);
  else
    meta["generateName"] = KubernetesName(*team + "-job") + "-";
  json spec = {{"suspend", true},  // Kueue unsuspends it on admission
               {"completionMode", "Indexed"},
               {"completions", pods},
               {"parallelism", pods},
               {"backoffLimit", 0},
               {"activeDeadlineSeconds", *time_limit},
               {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}};
  return json{{"apiVersion", "batch/v1"}, {"kind", "Job"}, {"metadata", meta}, {"spec", spec}};
}

}  // namespace fungible::orchestrate

// Export of one plan period as Kueue objects, against the storage version of
// Kueue's current release (kueue.x-k8s.io/v1beta2, Kueue v0.19.2; the CRDs
// are bundled in tests/data/kueue with their source): a ResourceFlavor per
// chip type, a Cohort for the fleet, a ClusterQueue per team whose
// nominalQuota is the team's quota in that period, and a LocalQueue in each
// team's namespace. Kueue has no time axis, so the manifests of each period
// are re-applied at its start (docs/serve.md, "Kueue").
//
// Mapping, mirroring the scheduler's rules:
//   chip type      -> ResourceFlavor <chip id>; nodeLabels are the labels real
//                     clusters carry (KueueFlavorFor: nvidia.com/gpu.product,
//                     cloud.google.com/gke-tpu-accelerator and -topology,
//                     node.kubernetes.io/instance-type), overridable per chip
//                     type in the fleet spec (chip_types[].kueue_node_labels)
//   platform       -> resource name: nvidia.com/gpu, amd.com/gpu, google.com/tpu,
//                     aws.amazon.com/neuron, cpu
//   team           -> namespace <team>, LocalQueue <team> there, admitted only
//                     from that namespace (namespaceSelector on its name)
//   team quota     -> nominalQuota; lendingLimit = nominalQuota (all idle quota
//                     may be lent); borrowingLimit = the rest of the cohort's
//                     quota for that flavor
//   reclaim        -> preemption.reclaimWithinCohort: Any,
//                     withinClusterQueue: LowerPriority
//   flavor order   -> flavorFungibility whenCanBorrow: MayStopSearch (was
//                     Borrow), whenCanPreempt: TryNextFlavor
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "orchestrate/quota.h"
#include "util/status.h"

namespace fungible::orchestrate {

// The Kubernetes resource name for chips of `platform` ("nvidia", ...).
std::string KueueResourceName(const std::string& platform);

// A DNS-1123 subdomain made from `text` (lower case; other characters become '-').
std::string KubernetesName(const std::string& text);

// How the nodes of one chip type are labelled in a cluster.
struct KueueFlavor {
  std::vector<std::pair<std::string, std::string>> node_labels;
  // No published label value is known for this chip: the value was derived
  // from its name; set chip_types[].kueue_node_labels in the spec.
  bool derived = false;
};

// The built-in labels of chip type `chip_id` (catalog ids known; others by
// platform, `derived`), `domain_chips` chips per scale-up domain (a TPU
// slice's topology). `name` is the chip's name, for derived values.
KueueFlavor DefaultKueueFlavor(const std::string& chip_id, const std::string& name,
                               const std::string& platform, int domain_chips);

// Chips per node (pod) a Job requests: 8 GPUs per HGX/DGX or MI300X node,
// 4 TPU chips per TPU VM host, 16 Trainium chips per trn1.32xlarge /
// trn2.48xlarge (docs/serve.md gives the sources).
int KueueChipsPerNode(const std::string& platform);

struct KueueExportOptions {
  std::string cohort;
  // Labels per chip type id; a chip type absent here takes DefaultKueueFlavor.
  std::map<std::string, KueueFlavor> flavors;
};

// Manifests for period `period` of `plan`, in apply order (flavors, cohort,
// cluster queues, local queues), as JSON objects. kInvalidArgument when the
// period is out of range.
StatusOr<nlohmann::json> KueueManifests(const QuotaPlan& plan, const ClusterInfo& cluster, int period,
                                        const KueueExportOptions& options);

// A batch/v1 Job for one submitted job (the body of POST /v1/jobs, with its
// `run` object: image and command or script), suspended and labelled for
// its team's LocalQueue so that Kueue admits it: an Indexed Job of
// ceil(chips / chips per node) pods, each requesting its share of the chip
// resource, the run's env, workdir, time limit (activeDeadlineSeconds) and
// grace (terminationGracePeriodSeconds). One acceptable chip type pins the
// flavor with a nodeSelector on its labels. kInvalidArgument naming the
// field when the job cannot be expressed (no image, a gang that does not
// split into whole nodes, an unknown chip type).
StatusOr<nlohmann::json> KueueJobManifest(const nlohmann::json& job, const ClusterInfo& cluster,
                                          const KueueExportOptions& options);

}  // namespace fungible::orchestrate

// Export of one plan period as Kueue objects (kueue.x-k8s.io/v1beta1, as
// served by Kueue v0.19): a ResourceFlavor per chip type, a Cohort for the
// fleet and a ClusterQueue per team whose nominalQuota is the team's quota
// in that period. Kueue has no time axis, so the manifests of each period
// are re-applied at its start (docs/serve.md, "Kueue").
//
// Mapping, mirroring the engine's rules:
//   chip type      -> ResourceFlavor <chip id>, nodeLabels fungible.io/chip-type
//   platform       -> resource name: nvidia.com/gpu, amd.com/gpu, google.com/tpu,
//                     aws.amazon.com/neuron, cpu
//   team quota     -> nominalQuota; lendingLimit = nominalQuota (all idle quota
//                     may be lent); borrowingLimit = the rest of the cohort's
//                     quota for that flavor
//   reclaim        -> preemption.reclaimWithinCohort: Any,
//                     withinClusterQueue: LowerPriority
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "orchestrate/quota.h"
#include "util/status.h"

namespace fungible::orchestrate {

// The Kubernetes resource name for chips of `platform` ("nvidia", ...).
std::string KueueResourceName(const std::string& platform);

// A DNS-1123 subdomain made from `text` (lower case; other characters become '-').
std::string KubernetesName(const std::string& text);

// Manifests for period `period` of `plan`, in apply order (flavors, cohort,
// queues), as JSON objects. kInvalidArgument when the period is out of range.
StatusOr<nlohmann::json> KueueManifests(const QuotaPlan& plan, const ClusterInfo& cluster, int period,
                                        const std::string& cohort);

}  // namespace fungible::orchestrate

// Facts about an AllocationInstance that every stage using the allocation
// model needs (allocate, plan's scenario blocks, simulate's policies): how a
// gang fits a pool, the work a chip does for a class, eligibility, value.
// No LP here: the allocation LP is in allocate/allocation_lp.h.
#pragma once

#include "allocate/allocate.h"
#include "util/status.h"

namespace fungible {

// How one gang of workload w sits on pool p: a gang larger than the domain
// takes ceil(G/D) whole domains (and all their chips); a smaller one lives in a
// single domain, floor(D/G) of them per domain.
struct GangFit {
  bool is_gang = false;
  double chips_per_gang = 1;  // chips consumed by one gang on this pool
  int domains_per_gang = 0;   // G > D: ceil(G/D); else 0
  int gangs_per_domain = 0;   // G <= D: floor(D/G); else 0
};
GangFit GangFitOn(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p);
// H100-equivalent work per chip of pool p allocated to w: the efficiency
// (1.0 for a serving class without one), times G / chips_per_gang for a gang
// that strands part of its last domain (a 12-chip gang on 8-chip domains holds
// 16 chips and does 12 chips of work).
double EffectivePerChip(const AllocationInstance& instance, int w, int p);
// Most gangs of w that pool p could host in period t on whole domains alone.
int MaxGangs(const AllocationInstance::WorkloadIn& w, const AllocationInstance::PoolIn& p, int t);
// Whether w may use pool p at all (eligible, and for serving, throughput > 0).
bool IsEligible(const AllocationInstance& instance, int w, int p);
// Whether a variable for w is worth creating: it serves a model, bids, or has a floor.
bool HasValue(const AllocationInstance& instance, int w);

// The workload group kPerGroup switching prices moves between: 0 for a class
// that serves a model, 1 for every other class (training, RL, research).
inline constexpr int kWorkloadGroups = 2;
int WorkloadGroup(const AllocationInstance& instance, int w);

// Checks sizes and values of `instance` (vectors per period/pool, indices).
Status ValidateInstance(const AllocationInstance& instance);

}  // namespace fungible

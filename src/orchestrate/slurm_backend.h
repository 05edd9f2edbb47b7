// The real execution backend: Slurm through its command-line clients
// (sbatch, scancel, squeue, sinfo), found on PATH and configured by the
// environment (SLURM_CONF). Mapping:
//   pool            -> partition (default: the pool's id)
//   chip type       -> typed generic resource, e.g. h100-sxm -> gpu:h100
//   interconnect    -> node: domain d of a pool is the d-th node of its
//   domain             partition (sorted by name), so a gang stays on the
//                      node(s) the engine chose (-w)
//   run_s           -> the job sleeps run_s seconds (the workload stand-in;
//                      set SlurmOptions::command to run something real)
// Jobs are named <prefix><fungible id>, which is how ListRunning() finds them
// after a restart. Every call runs a client process; errors carry its stderr.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "orchestrate/backend.h"
#include "orchestrate/quota.h"

namespace fungible::orchestrate {

struct SlurmOptions {
  std::map<std::string, std::string> partition_of_pool;  // missing: the pool id
  std::map<std::string, std::string> gres_of_chip;       // missing: derived, e.g. "gpu:h100" from "h100-sxm"
  std::string job_prefix = "fungible-";
  std::string output = "/dev/null";  // sbatch -o
  std::string command;               // "" = sleep run_s

  // From "pool=partition,..." and "chip=gres:type,..." (either may be empty).
  static SlurmOptions FromFlag(const std::string& partitions, const std::string& gres = "");
};

// Runs argv (no shell), returns exit status and captures stdout and stderr.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv);

class SlurmBackend final : public Backend {
 public:
  // Checks that Slurm answers and maps every pool's domains to nodes of its
  // partition. kUnavailable when slurmctld cannot be reached; kInvalidArgument
  // when a partition is missing or has fewer nodes than the pool has domains.
  static StatusOr<std::unique_ptr<SlurmBackend>> Create(const ClusterInfo& cluster, SlurmOptions options);

  std::string Name() const override { return "slurm"; }
  StatusOr<std::string> Launch(const LaunchRequest& request) override;
  Status Stop(const std::string& job_id, const std::string& backend_id) override;
  StatusOr<std::vector<BackendEvent>> Poll() override;
  StatusOr<std::vector<std::string>> ListRunning() override;

  // The node that holds domain `domain` of `pool` ("" when unknown).
  std::string NodeOf(const std::string& pool, int domain) const;
  std::string PartitionOf(const std::string& pool) const;
  std::string GresOf(const std::string& chip_type) const;

 private:
  SlurmBackend(ClusterInfo cluster, SlurmOptions options)
      : cluster_(std::move(cluster)), options_(std::move(options)) {}

  ClusterInfo cluster_;
  SlurmOptions options_;
  std::map<std::string, std::vector<std::string>> nodes_of_pool_;
  std::map<std::string, std::string> tracked_;  // Slurm job id -> fungible job id
  std::map<std::string, bool> partition_up_;    // by pool
};

}  // namespace fungible::orchestrate

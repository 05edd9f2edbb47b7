// The real execution backend: Slurm through its command-line clients
// (sbatch, scancel, squeue, sinfo), found on PATH and configured by the
// environment (SLURM_CONF). Mapping:
//   pool            -> partition (default: the pool's id)
//   chip type       -> typed generic resource, e.g. h100-sxm -> gpu:h100
//   interconnect    -> node: domain d of a pool is the d-th node of its
//   domain             partition (sorted by name), so a gang stays on the
//                      node(s) the scheduler chose (-w)
//   job.run         -> the batch script (or the command, exec'd from a
//                      generated script), its env in sbatch's environment,
//                      -D workdir, -t time limit, --signal=B:<sig>@<grace>,
//                      --requeue, -o/-e; an image needs --container and an
//                      OCI runtime (oci.conf beside slurm.conf), else refused
//   no job.run      -> the job sleeps run_s seconds (the workload stand-in;
//                      set SlurmOptions::command to run something else)
//   gang            -> -N <domains> --ntasks-per-node=1, GRES per node
// Preempt() sends the job's signal (scancel -s SIG --full), waits its grace
// (without blocking: Poll() finishes it) and requeues the Slurm job held
// (scontrol requeuehold); the next Launch() of the same fungible job moves it
// to the new placement and releases it, so the job keeps its Slurm id and
// resumes from whatever checkpoint it wrote (SLURM_RESTART_COUNT counts).
// Poll() follows each job to its end (squeue; then scontrol show job for the
// exit code and times) and reports nodes that turn DRAIN, DOWN or FAIL.
// Jobs are named <prefix><fungible id>, which is how ListRunning() finds them
// after a restart. Every call runs a client process; errors carry its stderr.
#pragma once

#include <map>
#include <memory>
#include <set>
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
// `env` is added to (or overrides) this process's environment.
StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                   const std::vector<std::pair<std::string, std::string>>& env = {});

// What `scontrol show job -o` says about a job (empty state when unknown).
struct SlurmJobRecord {
  std::string state;  // COMPLETED, FAILED, TIMEOUT, NODE_FAIL, CANCELLED, RUNNING, ...
  int exit_code = 0;  // the program's exit status; 128 + signal when killed by one
  UtcSeconds started_at = 0;
  UtcSeconds ended_at = 0;
  int restarts = 0;
};
SlurmJobRecord ParseScontrolJob(const std::string& one_line);

class SlurmBackend final : public Backend {
 public:
  // Checks that Slurm answers and maps every pool's domains to nodes of its
  // partition. kUnavailable when slurmctld cannot be reached; kInvalidArgument
  // when a partition is missing or has fewer nodes than the pool has domains.
  static StatusOr<std::unique_ptr<SlurmBackend>> Create(const ClusterInfo& cluster, SlurmOptions options);

  std::string Name() const override { return "slurm"; }
  StatusOr<std::string> Launch(const LaunchRequest& request) override;
  Status Stop(const std::string& job_id, const std::string& backend_id) override;
  Status Preempt(const std::string& job_id, const std::string& backend_id, const std::string& signal,
                 std::int64_t grace_s) override;
  Status Accepts(const JobSpec& spec) const override;
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
  std::set<std::string> node_down_;             // nodes last seen DRAIN, DOWN or FAIL
  // Preempted Slurm jobs kept to resume, by fungible job id.
  struct Held {
    std::string slurm_id;
    std::string gres;           // --gres it was submitted with (reused only when equal)
    UtcSeconds requeue_at = 0;  // when the grace ends; 0 = already requeued held
  };
  std::map<std::string, Held> held_;
  std::set<std::string> requeueable_;  // Slurm ids submitted with --requeue
  Status RequeueHeld(Held& h);
  StatusOr<std::string> Resume(const LaunchRequest& req, Held& h, const std::string& nodes);
};

}  // namespace fungible::orchestrate

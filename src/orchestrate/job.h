// Jobs as the orchestration layer sees them: what a team asks for (JobSpec),
// what the scheduler decided (Job), and every decision with its reason
// (Decision). Plain structs plus JSON conversion, shared by the scheduler, the
// stores and the HTTP server.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/time.h"

namespace fungible::orchestrate {

// What a job runs (the "run" object of POST /v1/jobs). Exactly one of
// command (an argv, no shell) or script (batch script text). A job without
// one is a placeholder the backend stands in for (the sim backend's timer,
// Slurm's `sleep`).
struct RunSpec {
  std::vector<std::string> command;
  std::string script;
  std::vector<std::pair<std::string, std::string>> env;  // in the order given, keys unique
  std::string workdir;                                   // absolute; "" = the backend's default
  std::string image;                                     // container image; "" = none
  std::int64_t time_limit_s = 0;                         // 0 = 2 x expected_duration_s
  std::string preempt_signal = "TERM";                   // sent before preemption (without SIG)
  std::int64_t grace_s = 60;                             // wait after the signal before requeue
  std::string stdout_path;                               // Slurm-style %j allowed; "" = backend default
  std::string stderr_path;

  bool present() const { return !command.empty() || !script.empty(); }
};

// What a client submits. Exactly one of two shapes:
//   gang:    gang_size_chips > 0; all of them at once, inside one pool's
//            interconnect domain (or whole domains of one pool when larger).
//   elastic: gang_size_chips == 0; anything in [min_chips, max_chips] in one pool.
struct JobSpec {
  std::string idempotency_key;  // unique per team; a retry with the same key returns the same job
  std::string name;             // free text, optional
  std::string team;
  std::string workload;                 // workload class id (optional when the fleet has none)
  std::vector<std::string> chip_types;  // acceptable chip types in order of preference; empty = any
  std::string platform;                 // optional constraint, e.g. "nvidia"
  std::string generation;               // optional constraint, e.g. "hopper"
  int gang_size_chips = 0;
  int min_chips = 1;
  int max_chips = 1;
  int priority = 0;  // higher runs first and may preempt lower within its team
  bool preemptible = true;
  std::int64_t checkpoint_interval_s = 0;  // 0 = never checkpoints: a restart starts over
  std::int64_t expected_duration_s = 3600;
  RunSpec run;  // what to run; absent (not present()) = a placeholder

  // The time limit a run gets: run.time_limit_s, else twice the expected duration.
  std::int64_t time_limit_s() const {
    return run.time_limit_s > 0 ? run.time_limit_s : 2 * expected_duration_s;
  }
  bool is_gang() const { return gang_size_chips > 0; }
  int min_request_chips() const { return is_gang() ? gang_size_chips : min_chips; }
  int max_request_chips() const { return is_gang() ? gang_size_chips : max_chips; }
};

enum class JobState { kQueued, kRunning, kSucceeded, kCancelled, kFailed };
const char* JobStateName(JobState s);  // "queued", "running", "succeeded", "cancelled", "failed"
StatusOr<JobState> ParseJobState(const std::string& text);
inline bool IsTerminal(JobState s) {
  return s == JobState::kSucceeded || s == JobState::kCancelled || s == JobState::kFailed;
}

// Chips a running job holds in one interconnect domain of its pool.
struct DomainSlice {
  int domain = 0;  // index of the domain inside the pool
  int chips = 0;
};

// How a job's last run ended, as the backend reported it (set once terminal).
struct JobOutcome {
  std::string result;  // completed, failed, timeout, node_fail, cancelled, preempted; "" = not yet
  int exit_code = 0;
  UtcSeconds started_at = 0;  // of the last run
  UtcSeconds ended_at = 0;
  double chip_hours = 0;   // every run of the job, requeued ones included
  std::string backend_id;  // of the last run
};

struct Job {
  std::string id;
  JobSpec spec;
  JobState state = JobState::kQueued;
  UtcSeconds submitted_at = 0;
  std::int64_t submit_seq = 0;  // FIFO order among equal priorities

  // Placement, while running.
  std::string pool;
  std::string chip_type;
  std::vector<DomainSlice> slices;
  int chips = 0;           // total chips held
  int borrowed_chips = 0;  // chips beyond the team's nominal quota when admitted
  std::string backend_id;  // id in the backend (sim id, Slurm job id)
  UtcSeconds started_at = 0;
  std::int64_t run_s = 0;  // length of the current run: remaining work plus restart overhead

  // Progress and the price of interruptions.
  std::int64_t done_s = 0;              // durable (checkpointed) work, seconds of expected_duration_s
  std::int64_t restart_overhead_s = 0;  // added to the next run (checkpoint reload)
  int restarts = 0;
  double lost_chip_hours = 0;  // chip time whose work was lost to preemption or failure
  UtcSeconds finished_at = 0;
  std::string wait_reason;  // why it is not running (queued only)

  // Real use: chip-hours of every run so far (finished runs at the backend's
  // times), and the outcome once terminal.
  double used_chip_hours = 0;
  JobOutcome outcome;
};

// One decision of the scheduler about one job (or about the fleet when job_id is
// empty). `reason` is a full sentence a user can read in `fungible explain`.
struct Decision {
  std::int64_t seq = 0;  // global, increasing
  UtcSeconds at = 0;
  std::string job_id;
  std::string action;  // submitted, admitted, waiting, preempted, requeued, completed, cancelled,
                       // failed, period_change, pool_down, pool_up, plan_updated, recovered
  std::string reason;
  std::string pool;
  int chips = 0;
  double lost_chip_hours = 0;
};

// JSON conversion. Spec parsing is strict: unknown fields, wrong types and
// out-of-range values are errors naming the field (for HTTP 400 bodies).
StatusOr<JobSpec> JobSpecFromJson(const nlohmann::json& j);
nlohmann::json JobSpecToJson(const JobSpec& s);
// The "run" object alone (errors are prefixed "run.<field>").
StatusOr<RunSpec> RunSpecFromJson(const nlohmann::json& j);
nlohmann::json RunSpecToJson(const RunSpec& r);
nlohmann::json JobToJson(const Job& job);
StatusOr<Job> JobFromJson(const nlohmann::json& j);
nlohmann::json DecisionToJson(const Decision& d);
StatusOr<Decision> DecisionFromJson(const nlohmann::json& j);

// True when two specs ask for the same thing (idempotent retry detection).
bool SameRequest(const JobSpec& a, const JobSpec& b);

}  // namespace fungible::orchestrate

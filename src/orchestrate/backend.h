// Where admitted jobs actually run. The scheduler decides (quota, placement,
// preemption); a Backend only executes: start a job on the chips the scheduler
// chose, stop it, and report what finished or broke. Implementations:
// SimBackend (in-process, virtual clock) and SlurmBackend (sbatch/scancel/squeue).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "orchestrate/job.h"
#include "util/status.h"
#include "util/time.h"

namespace fungible::orchestrate {

// Time source, injected so tests run on a virtual clock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual UtcSeconds Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UtcSeconds Now() const override;
};

// A clock that moves only when told. Thread-safe.
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(UtcSeconds start) : now_(start) {}
  UtcSeconds Now() const override { return now_.load(); }
  void Advance(std::int64_t seconds) { now_ += seconds; }
  void Set(UtcSeconds t) { now_ = t; }

 private:
  std::atomic<UtcSeconds> now_;
};

// What the scheduler asks a backend to run: `chips` chips of `chip_type` on
// `pool`, split over interconnect domains as `slices`, for `run_s` seconds
// of virtual or real time (the remaining work plus restart overhead).
struct LaunchRequest {
  std::string job_id;
  std::string name;
  std::string team;
  std::string pool;
  std::string chip_type;
  std::vector<DomainSlice> slices;
  int chips = 0;
  std::int64_t run_s = 0;
  RunSpec run;                    // what to run (not present(): a stand-in for run_s)
  std::int64_t time_limit_s = 0;  // the backend ends the run after this long (0 = none)
  int restarts = 0;               // earlier runs of this job
};

// kJobFinished: the run succeeded. kJobFailed: the run ended otherwise;
// `result` says how: "node_fail" or "" (the node, pool or backend lost it:
// the scheduler requeues the job from its checkpoint), or "failed" (its own
// exit code), "timeout", "cancelled" (outside fungible): the job ends so.
// kNodeDown/kNodeUp: one interconnect domain (`domain`) of `pool` left or
// rejoined service (Slurm: a node DRAIN, DOWN or FAIL).
struct BackendEvent {
  enum class Kind { kJobFinished, kJobFailed, kPoolDown, kPoolUp, kNodeDown, kNodeUp };
  Kind kind = Kind::kJobFinished;
  std::string job_id;  // kJobFinished / kJobFailed
  std::string pool;    // kPoolDown / kPoolUp / kNodeDown / kNodeUp
  UtcSeconds at = 0;
  std::string detail;
  int domain = -1;  // kNodeDown / kNodeUp
  // The run's real end, when the backend knows it (kJobFinished / kJobFailed).
  std::string result;
  int exit_code = 0;
  UtcSeconds started_at = 0;  // 0 = unknown (the scheduler's own times serve)
  UtcSeconds ended_at = 0;
  std::string backend_id;

  // An event with what every backend knows: the rest as unknown.
  static BackendEvent Of(Kind kind, std::string job_id, std::string pool, UtcSeconds at, std::string detail) {
    BackendEvent e;
    e.kind = kind;
    e.job_id = std::move(job_id);
    e.pool = std::move(pool);
    e.at = at;
    e.detail = std::move(detail);
    return e;
  }
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string Name() const = 0;
  // Starts the job. Returns the backend's own id for it. On error the job was
  // not started.
  virtual StatusOr<std::string> Launch(const LaunchRequest& request) = 0;
  // Stops a running job (preemption or cancel). Stopping a job the backend no
  // longer knows is not an error.
  virtual Status Stop(const std::string& job_id, const std::string& backend_id) = 0;
  // Stops a running job that will run again (preemption, reclaim, a failed
  // node): a backend that can signals it with `signal`, gives it `grace_s`
  // seconds to checkpoint and keeps it to resume. Default: Stop.
  virtual Status Preempt(const std::string& job_id, const std::string& backend_id, const std::string& signal,
                         std::int64_t grace_s) {
    (void)signal;
    (void)grace_s;
    return Stop(job_id, backend_id);
  }
  // Whether this backend can run `spec` (e.g. a container image); the error
  // names the field. Default: yes.
  virtual Status Accepts(const JobSpec& spec) const {
    (void)spec;
    return Status::Ok();
  }
  // Events since the previous call, oldest first.
  virtual StatusOr<std::vector<BackendEvent>> Poll() = 0;
  // fungible job ids the backend is running now (for recovery after a crash).
  virtual StatusOr<std::vector<std::string>> ListRunning() = 0;
};

}  // namespace fungible::orchestrate

// The scheduler: which queued job runs now, where, and who is preempted for
// it. Named Scheduler, not engine, because deciding when and where each job
// runs is what Kueue and Slurm call scheduling; "engine" means only the
// allocation engine (allocate.h), see docs/glossary.md.
//
// Quotas follow Kueue's ClusterQueue model with a time axis: each team has a
// nominal quota per chip type per plan period; every team is in one cohort,
// so a team may borrow quota others leave idle and is preempted when the
// owner reclaims it.
//
// Rules, in the order Schedule() applies them:
//  1. Backend events: finished jobs release their chips; a failed job or a
//     failed pool requeues its jobs from their last checkpoint.
//  2. Period change: new quotas. Where a chip type's cohort usage exceeds its
//     new total quota, jobs of teams above their nominal quota are preempted,
//     lowest priority first, newest first, until the cohort fits;
//     non-preemptible jobs drain (run to completion, no new admissions).
//  3. Admission, highest priority first then FIFO (best effort: a job that
//     does not fit does not block smaller ones). For each acceptable chip
//     type in order: (a) fit within the idle cohort quota, borrowing beyond
//     the team's nominal when needed; (b) reclaim: when the job fits within
//     its team's nominal quota, preempt preemptible jobs of borrowing teams;
//     (c) preempt the team's own lower-priority preemptible jobs.
//  Placement: a gang of g chips goes in one interconnect domain when g fits
//  one, else in ceil(g / domain) wholly free domains of one pool; elastic jobs
//  get as many chips in [min, max] as quota and one pool allow.
//  Preemption charges the checkpoint-restart cost: work since the last
//  checkpoint is lost (chip-hours recorded) and the next run pays
//  restart_overhead_s.
//
// Every change is recorded as a Decision with a reason. The scheduler never
// prints and is not thread-safe: its owner serialises all calls.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "orchestrate/backend.h"
#include "orchestrate/job.h"
#include "orchestrate/quota.h"
#include "util/status.h"

namespace fungible::orchestrate {

struct SchedulerOptions {
  std::int64_t restart_overhead_s = 300;  // checkpoint reload paid by every restarted run
  bool allow_borrowing = true;            // cohort borrowing of idle quota
};

struct SubmitOutcome {
  enum class Kind { kCreated, kDuplicate, kConflict };
  Kind kind = Kind::kCreated;
  Job job;  // the new job, or the earlier one with the same idempotency key
};

struct JobFilter {
  std::string team;               // empty = any
  std::optional<JobState> state;  // nullopt = any
  std::string pool;               // empty = any
  int limit = 1000;
};

struct SchedulerCounters {
  std::int64_t submitted = 0;
  std::int64_t admitted = 0;
  std::int64_t preempted = 0;
  std::int64_t requeued_on_failure = 0;
  std::int64_t completed = 0;
  std::int64_t cancelled = 0;
  double lost_chip_hours = 0;
};

struct PoolStatus {
  std::string id;
  std::string chip_type;
  int chips = 0;
  int domain_chips = 1;
  int used_chips = 0;
  bool up = true;
  int down_chips = 0;  // chips in domains (nodes) out of service; not placeable
};

class Scheduler {
 public:
  // REQUIRES: `backend` and `clock` outlive the scheduler.
  Scheduler(ClusterInfo cluster, QuotaPlan plan, Backend& backend, const Clock& clock,
            SchedulerOptions options = {});

  // Validates and queues a job (admission happens in Schedule()). A retry
  // with the same (team, idempotency_key) returns the first job (kDuplicate),
  // or kConflict when the request differs. Errors: kInvalidArgument naming
  // the field (unknown team, workload or chip type; a gang no pool can hold).
  StatusOr<SubmitOutcome> Submit(JobSpec spec);

  // Cancels a queued or running job. kNotFound for an unknown id,
  // kInvalidArgument when the job already ended.
  StatusOr<Job> Cancel(const std::string& job_id, const std::string& who);

  // One scheduling pass (rules 1-3 above) at clock.Now().
  Status Schedule();

  // Replaces the plan (a re-solve); quotas apply from the next Schedule().
  void SetPlan(QuotaPlan plan, const std::string& why);

  // Pool failure and repair reported by an operator or a health check.
  // (A single domain's failure arrives from the backend as kNodeDown/kNodeUp.)
  // PoolDown requeues every job on the pool from its last checkpoint.
  Status PoolDown(const std::string& pool, const std::string& why);
  Status PoolUp(const std::string& pool, const std::string& why);

  // Rebuilds state from stored jobs (after a restart), then reconciles with
  // the backend: stored running jobs the backend lost are requeued from
  // their checkpoint; backend jobs with no running record are stopped.
  Status Restore(std::vector<Job> jobs, std::int64_t next_decision_seq);

  // Reads.
  const Job* Find(const std::string& job_id) const;
  std::vector<const Job*> List(const JobFilter& filter) const;
  const QuotaPlan& plan() const { return plan_; }
  int current_period() const { return period_; }
  int Usage(const std::string& team, const std::string& chip_type) const;
  std::vector<PoolStatus> Pools() const;
  const SchedulerCounters& counters() const { return counters_; }
  int queue_depth() const { return static_cast<int>(queue_.size()); }
  std::int64_t next_decision_seq() const { return next_decision_seq_; }
  const Backend& backend() const { return backend_; }

  // Jobs changed and decisions made since the previous call (for the store).
  struct Changes {
    std::vector<Job> jobs;
    std::vector<Decision> decisions;
  };
  Changes TakeChanges();

 private:
  struct PoolState {
    PoolInfo info;
    bool up = true;
    std::vector<int> domain_free;  // free chips per domain (0 while the domain is down)
    std::set<int> down_domains;    // domains out of service (a Slurm node DRAIN, DOWN or FAIL)
    int used = 0;
    int DomainCapacity(int d) const {
      return std::max(0, std::min(info.domain_chips, info.chips - d * info.domain_chips));
    }
  };
  struct Placement {
    int pool = -1;
    std::vector<DomainSlice> slices;
    int chips = 0;
  };
  using QueueKey = std::tuple<int, std::int64_t, std::string>;  // (-priority, submit_seq, id)

  static QueueKey KeyOf(const Job& job) { return {-job.spec.priority, job.submit_seq, job.id}; }
  Status ValidateSpec(const JobSpec& spec) const;
  std::vector<std::string> AcceptableChips(const JobSpec& spec) const;
  const WorkloadInfo* FindWorkload(const std::string& id) const;
  int PoolIndex(const std::string& id) const;
  int CohortQuota(const std::string& chip_type) const;
  int CohortUsage(const std::string& chip_type) const;

  void ApplyEvent(const BackendEvent& event);
  void NodeDown(const std::string& pool, int domain, const std::string& why);
  void NodeUp(const std::string& pool, int domain, const std::string& why);
  // Ends a running job as the backend reported (kJobFinished, or kJobFailed
  // with a result of its own): releases its chips and records the outcome.
  void Finish(Job& job, const BackendEvent& event);
  void ApplyPeriod();
  void AdmitPass();
  bool TryAdmit(Job& job);
  // Returns "" when admitted, else why not on this chip type.
  std::string TryOnChip(Job& job, const std::string& chip_type);
  std::optional<Placement> Place(const std::vector<PoolState>& pools, const std::string& chip_type, int lo,
                                 int hi) const;
  bool Start(Job& job, const std::string& chip_type, const Placement& placement, int borrowed,
             const std::string& reason);
  void Release(Job& job);
  // Stops a running job, charges the checkpoint-restart cost and requeues it.
  void Requeue(Job& job, const std::string& action, const std::string& reason, bool stop_backend);
  void Record(const Job* job, const std::string& action, const std::string& reason, int chips = 0,
              double lost_chip_hours = 0);
  void Touch(const Job& job) { dirty_.insert(job.id); }

  ClusterInfo cluster_;
  QuotaPlan plan_;
  Backend& backend_;
  const Clock& clock_;
  SchedulerOptions options_;

  std::vector<PoolState> pools_;
  std::map<std::string, Job> jobs_;
  std::map<std::pair<std::string, std::string>, std::string> by_key_;  // (team, idempotency key) -> id
  std::set<QueueKey> queue_;
  std::set<std::string> running_;  // ids of running jobs (victim searches scan these, not every job)
  std::map<std::string, std::map<std::string, int>> usage_;  // team -> chip type -> chips held
  std::set<std::string> teams_;
  int period_ = -2;  // -2 = not yet applied
  bool plan_changed_ = false;
  bool released_ = true;           // chips or quota freed since the last full pass
  std::set<std::string> untried_;  // queued jobs not yet tried since the last full pass
  std::int64_t next_submit_seq_ = 1;
  std::int64_t next_decision_seq_ = 1;
  std::set<std::string> dirty_;
  std::vector<Decision> decisions_;
  SchedulerCounters counters_;
};

}  // namespace fungible::orchestrate

#include "orchestrate/scheduler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "util/text.h"

namespace fungible::orchestrate {

namespace {

std::string JobIdFor(std::int64_t seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "j-%08lld", static_cast<long long>(seq));
  return buf;
}

}  // namespace

Scheduler::Scheduler(ClusterInfo cluster, QuotaPlan plan, Backend& backend, const Clock& clock,
                     SchedulerOptions options)
    : cluster_(std::move(cluster)),
      plan_(std::move(plan)),
      backend_(backend),
      clock_(clock),
      options_(options) {
  for (const auto& info : cluster_.pools) {
    PoolState ps;
    ps.info = info;
    ps.info.domain_chips = std::max(1, info.domain_chips);
    int left = std::max(0, info.chips);
    while (left > 0) {
      int d = std::min(left, ps.info.domain_chips);
      ps.domain_free.push_back(d);
      left -= d;
    }
    pools_.push_back(std::move(ps));
  }
  for (const auto& t : plan_.Teams()) teams_.insert(t);
  for (const auto& w : cluster_.workloads) teams_.insert(w.team);
}

// ---- reads ----

const Job* Scheduler::Find(const std::string& job_id) const {
  auto it = jobs_.find(job_id);
  return it == jobs_.end() ? nullptr : &it->second;
}

std::vector<const Job*> Scheduler::List(const JobFilter& filter) const {
  std::vector<const Job*> out;
  for (const auto& [id, job] : jobs_) {
    if (!filter.team.empty() && job.spec.team != filter.team) continue;
    if (filter.state && job.state != *filter.state) continue;
    if (!filter.pool.empty() && job.pool != filter.pool) continue;
    out.push_back(&job);
    if (static_cast<int>(out.size()) >= filter.limit) break;
  }
  return out;
}

int Scheduler::Usage(const std::string& team, const std::string& chip_type) const {
  auto t = usage_.find(team);
  if (t == usage_.end()) return 0;
  auto c = t->second.find(chip_type);
  return c == t->second.end() ? 0 : c->second;
}

std::vector<PoolStatus> Scheduler::Pools() const {
  std::vector<PoolStatus> out;
  for (const auto& p : pools_) {
    int down = 0;
    for (int d : p.down_domains) down += p.DomainCapacity(d);
    out.push_back({p.info.id, p.info.chip_type, p.info.chips, p.info.domain_chips, p.used, p.up, down});
  }
  return out;
}

Scheduler::Changes Scheduler::TakeChanges() {
  Changes c;
  for (const auto& id : dirty_) c.jobs.push_back(jobs_.at(id));
  dirty_.clear();
  c.decisions = std::move(decisions_);
  decisions_.clear();
  return c;
}

const WorkloadInfo* Scheduler::FindWorkload(const std::string& id) const {
  for (const auto& w : cluster_.workloads)
    if (w.id == id) return &w;
  return nullptr;
}

int Scheduler::PoolIndex(const std::string& id) const {
  for (size_t i = 0; i < pools_.size(); ++i)
    if (pools_[i].info.id == id) return static_cast<int>(i);
  return -1;
}

int Scheduler::CohortQuota(const std::string& chip_type) const {
  int total = 0;
  for (const auto& team : teams_) total += plan_.Quota(team, chip_type, period_);
  return total;
}

int Scheduler::CohortUsage(const std::string& chip_type) const {
  int total = 0;
  for (const auto& [team, by_chip] : usage_) {
    auto it = by_chip.find(chip_type);
    if (it != by_chip.end()) total += it->second;
  }
  return total;
}

void Scheduler::Record(const Job* job, const std::string& action, const std::string& reason, int chips,
                       double lost_chip_hours) {
  Decision d;
  d.seq = next_decision_seq_++;
  d.at = clock_.Now();
  d.action = action;
  d.reason = reason;
  d.chips = chips;
  d.lost_chip_hours = lost_chip_hours;
  if (job) {
    d.job_id = job->id;
    d.pool = job->pool;
  }
  decisions_.push_back(std::move(d));
}

// ---- submission ----

std::vector<std::string> Scheduler::AcceptableChips(const JobSpec& spec) const {
  std::vector<std::string> candidates = spec.chip_types;
  if (candidates.empty()) {
    if (const WorkloadInfo* w = FindWorkload(spec.workload)) candidates = w->eligible_chip_types;
  }
  if (candidates.empty()) {
    for (const auto& p : pools_)
      if (std::find(candidates.begin(), candidates.end(), p.info.chip_type) == candidates.end())
        candidates.push_back(p.info.chip_type);
  }
  std::vector<std::string> out;
  for (const auto& chip : candidates) {
    bool matches = false;
    for (const auto& p : pools_) {
      if (p.info.chip_type != chip) continue;
      if (!spec.platform.empty() && p.info.platform != spec.platform) continue;
      if (!spec.generation.empty() && p.info.generation != spec.generation) continue;
      matches = true;
    }
    if (matches && std::find(out.begin(), out.end(), chip) == out.end()) out.push_back(chip);
  }
  return out;
}

Status Scheduler::ValidateSpec(const JobSpec& spec) const {
  if (spec.team.empty()) return Status::Invalid("team: required");
  if (!teams_.count(spec.team)) return Status::Invalid("team: unknown team \"" + spec.team + "\"");
  const WorkloadInfo* w = nullptr;
  if (!cluster_.workloads.empty() && !spec.workload.empty()) {
    w = FindWorkload(spec.workload);
    if (!w) return Status::Invalid("workload: unknown workload class \"" + spec.workload + "\"");
    if (w->team != spec.team)
      return Status::Invalid("workload: \"" + spec.workload + "\" belongs to team \"" + w->team +
                             "\", not \"" + spec.team + "\"");
  }
  for (const auto& chip : spec.chip_types) {
    bool known = std::any_of(pools_.begin(), pools_.end(),
                             [&](const PoolState& p) { return p.info.chip_type == chip; });
    if (!known) return Status::Invalid("chip_types: no pool has chip type \"" + chip + "\"");
    if (w && !w->eligible_chip_types.empty() &&
        std::find(w->eligible_chip_types.begin(), w->eligible_chip_types.end(), chip) ==
            w->eligible_chip_types.end())
      return Status::Invalid("chip_types: workload \"" + w->id + "\" cannot run on \"" + chip + "\"");
  }
  std::vector<std::string> chips = AcceptableChips(spec);
  if (chips.empty())
    return Status::Invalid("chip_types: no pool matches the job's chip types, platform \"" + spec.platform +
                           "\" and generation \"" + spec.generation + "\"");
  int largest = 0;
  for (const auto& p : pools_)
    if (std::find(chips.begin(), chips.end(), p.info.chip_type) != chips.end())
      largest = std::max(largest, p.info.chips);
  if (spec.min_request_chips() > largest)
    return Status::Invalid(
        (spec.is_gang() ? "gang_size_chips: " : "min_chips: ") + std::to_string(spec.min_request_chips()) +
        " chips exceed the largest acceptable pool (" + std::to_string(largest) + " chips)");
  return backend_.Accepts(spec);
}

StatusOr<SubmitOutcome> Scheduler::Submit(JobSpec spec) {
  if (!spec.idempotency_key.empty()) {
    auto it = by_key_.find({spec.team, spec.idempotency_key});
    if (it != by_key_.end()) {
      const Job& earlier = jobs_.at(it->second);
      SubmitOutcome out;
      out.kind =
          SameRequest(earlier.spec, spec) ? SubmitOutcome::Kind::kDuplicate : SubmitOutcome::Kind::kConflict;
      out.job = earlier;
      return out;
    }
  }
  FUNGIBLE_RETURN_IF_ERROR(ValidateSpec(spec));
  Job job;
  job.submit_seq = next_submit_seq_++;
  job.id = JobIdFor(job.submit_seq);
  job.spec = std::move(spec);
  job.submitted_at = clock_.Now();
  job.state = JobState::kQueued;
  job.wait_reason = "not yet considered";
  auto [it, inserted] = jobs_.emplace(job.id, job);
  if (!inserted) return Status::Internal("job id " + job.id + " already in use");
  Job& stored = it->second;
  if (!stored.spec.idempotency_key.empty())
    by_key_[{stored.spec.team, stored.spec.idempotency_key}] = stored.id;
  queue_.insert(KeyOf(stored));
  untried_.insert(stored.id);
  ++counters_.submitted;
  std::string shape = stored.spec.is_gang()
                          ? "gang of " + std::to_string(stored.spec.gang_size_chips) + " chips"
                          : std::to_string(stored.spec.min_chips) + ".." +
                                std::to_string(stored.spec.max_chips) + " chips (elastic)";
  std::string chips;
  for (const auto& c : AcceptableChips(stored.spec)) chips += (chips.empty() ? "" : ", ") + c;
  Record(&stored, "submitted",
         "team " + stored.spec.team + " asks for " + shape + " on " + chips + ", priority " +
             std::to_string(stored.spec.priority) +
             (stored.spec.preemptible ? ", preemptible" : ", not preemptible"));
  Touch(stored);
  return SubmitOutcome{SubmitOutcome::Kind::kCreated, stored};
}

StatusOr<Job> Scheduler::Cancel(const std::string& job_id, const std::string& who) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return Status::NotFound("job " + job_id + " not found");
  Job& job = it->second;
  if (IsTerminal(job.state))
    return Status::Invalid("job " + job_id + " already " + JobStateName(job.state) + "; nothing to cancel");
  if (job.state == JobState::kRunning) {
    Status st = backend_.Stop(job.id, job.backend_id);
    if (!st.ok()) return st.WithContext("cancel " + job_id);
    const UtcSeconds now = clock_.Now();
    job.used_chip_hours +=
        static_cast<double>(std::max<std::int64_t>(0, now - job.started_at)) * job.chips / kSecondsPerHour;
    job.outcome.started_at = job.started_at;
    job.outcome.ended_at = now;
    job.outcome.backend_id = job.backend_id;
    Release(job);
  } else {
    queue_.erase(KeyOf(job));
    untried_.erase(job.id);
    if (job.restarts > 0) (void)backend_.Stop(job.id, "");  // a preempted run the backend keeps to resume
  }
  job.state = JobState::kCancelled;
  job.finished_at = clock_.Now();
  job.wait_reason.clear();
  job.outcome.result = "cancelled";
  job.outcome.chip_hours = job.used_chip_hours;
  ++counters_.cancelled;
  Record(&job, "cancelled", "cancelled by " + who);
  Touch(job);
  return job;
}

// ---- scheduling ----

Status Scheduler::Schedule() {
  auto events = backend_.Poll();
  if (!events.ok()) return events.status().WithContext("backend " + backend_.Name());
  for (const auto& e : *events) ApplyEvent(e);
  ApplyPeriod();
  AdmitPass();
  return Status::Ok();
}

void Scheduler::SetPlan(QuotaPlan plan, const std::string& why) {
  plan_ = std::move(plan);
  for (const auto& t : plan_.Teams()) teams_.insert(t);
  plan_changed_ = true;
  Record(nullptr, "plan_updated",
         "new plan with " + std::to_string(plan_.periods()) + " periods (" + why + ")");
}

void Scheduler::ApplyEvent(const BackendEvent& e) {
  switch (e.kind) {
    case BackendEvent::Kind::kJobFinished: {
      auto it = jobs_.find(e.job_id);
      if (it == jobs_.end() || it->second.state != JobState::kRunning) return;
      Finish(it->second, e);
      return;
    }
    case BackendEvent::Kind::kJobFailed: {
      auto it = jobs_.find(e.job_id);
      if (it == jobs_.end() || it->second.state != JobState::kRunning) return;
      if (e.result == "failed" || e.result == "timeout" || e.result == "cancelled") {
        Finish(it->second, e);
        return;
      }
      ++counters_.requeued_on_failure;
      Requeue(it->second, "requeued", "failed on " + it->second.pool + ": " + e.detail,
              /*stop_backend=*/false);
      return;
    }
    case BackendEvent::Kind::kPoolDown: (void)PoolDown(e.pool, e.detail); return;
    case BackendEvent::Kind::kPoolUp: (void)PoolUp(e.pool, e.detail); return;
    case BackendEvent::Kind::kNodeDown: NodeDown(e.pool, e.domain, e.detail); return;
    case BackendEvent::Kind::kNodeUp: NodeUp(e.pool, e.domain, e.detail); return;
  }
}

void Scheduler::Finish(Job& job, const BackendEvent& e) {
  const UtcSeconds started = e.started_at > 0 ? e.started_at : job.started_at;
  const UtcSeconds ended = e.ended_at > 0 ? e.ended_at : e.at;
  const double used =
      static_cast<double>(std::max<std::int64_t>(0, ended - started)) * job.chips / kSecondsPerHour;
  job.used_chip_hours += used;
  job.outcome.started_at = started;
  job.outcome.ended_at = ended;
  job.outcome.exit_code = e.exit_code;
  job.outcome.backend_id = e.backend_id.empty() ? job.backend_id : e.backend_id;
  job.outcome.chip_hours = job.used_chip_hours;
  const std::string pool = job.pool;
  Release(job);
  job.finished_at = e.at;
  job.wait_reason.clear();
  if (e.kind == BackendEvent::Kind::kJobFinished) {
    job.state = JobState::kSucceeded;
    job.done_s = job.spec.expected_duration_s;
    job.outcome.result = "completed";
    ++counters_.completed;
    Record(&job, "completed", "finished on " + pool + (e.detail.empty() ? "" : " (" + e.detail + ")"));
  } else if (e.result == "cancelled") {
    job.state = JobState::kCancelled;
    job.outcome.result = "cancelled";
    ++counters_.cancelled;
    Record(&job, "cancelled", "cancelled outside fungible on " + pool + " (" + e.detail + ")");
  } else {
    job.state = JobState::kFailed;
    job.outcome.result = e.result;
    Record(&job, "failed",
           (e.result == "timeout" ? "ran past its time limit on " : "its program failed on ") + pool +
               (e.result == "failed" ? " with exit code " + std::to_string(e.exit_code) : "") + " (" +
               e.detail + ")");
  }
  Touch(job);
}

void Scheduler::NodeDown(const std::string& pool, int domain, const std::string& why) {
  int idx = PoolIndex(pool);
  if (idx < 0 || domain < 0 || domain >= static_cast<int>(pools_[idx].domain_free.size())) return;
  PoolState& ps = pools_[idx];
  if (ps.down_domains.count(domain)) return;
  std::vector<std::string> hit;
  for (const auto& id : running_) {
    const Job& job = jobs_.at(id);
    if (job.pool != pool) continue;
    for (const auto& s : job.slices)
      if (s.domain == domain) {
        hit.push_back(id);
        break;
      }
  }
  Record(nullptr, "node_down",
         "pool " + pool + " domain " + std::to_string(domain) + " (" +
             std::to_string(ps.DomainCapacity(domain)) + " chips) out of service: " + why);
  for (const auto& id : hit) {
    ++counters_.requeued_on_failure;
    Requeue(jobs_.at(id), "requeued",
            "domain " + std::to_string(domain) + " of pool " + pool + " left service (" + why + ")",
            /*stop_backend=*/true);
  }
  ps.down_domains.insert(domain);
  ps.domain_free[domain] = 0;
}

void Scheduler::NodeUp(const std::string& pool, int domain, const std::string& why) {
  int idx = PoolIndex(pool);
  if (idx < 0) return;
  PoolState& ps = pools_[idx];
  if (!ps.down_domains.erase(domain)) return;
  ps.domain_free[domain] = ps.DomainCapacity(domain);
  released_ = true;
  Record(nullptr, "node_up",
         "pool " + pool + " domain " + std::to_string(domain) + " back in service: " + why);
}

Status Scheduler::PoolDown(const std::string& pool, const std::string& why) {
  int idx = PoolIndex(pool);
  if (idx < 0) return Status::NotFound("pool " + pool + " not found");
  if (!pools_[idx].up) return Status::Ok();
  pools_[idx].up = false;
  Record(nullptr, "pool_down", "pool " + pool + " down: " + why);
  for (auto& [id, job] : jobs_) {
    if (job.state == JobState::kRunning && job.pool == pool) {
      ++counters_.requeued_on_failure;
      Requeue(job, "requeued", "pool " + pool + " failed (" + why + ")", /*stop_backend=*/true);
    }
  }
  return Status::Ok();
}

Status Scheduler::PoolUp(const std::string& pool, const std::string& why) {
  int idx = PoolIndex(pool);
  if (idx < 0) return Status::NotFound("pool " + pool + " not found");
  if (pools_[idx].up) return Status::Ok();
  pools_[idx].up = true;
  released_ = true;
  Record(nullptr, "pool_up", "pool " + pool + " back up: " + why);
  return Status::Ok();
}

void Scheduler::ApplyPeriod() {
  const int period = plan_.PeriodAt(clock_.Now());
  if (period == period_ && !plan_changed_) return;
  const int before = period_;
  period_ = period;
  plan_changed_ = false;
  released_ = true;
  if (period < 0) {
    Record(nullptr, "period_change",
           "now " + FormatUtc(clock_.Now()) + " is outside the plan: every quota is 0");
  } else {
    std::string text = "period " + std::to_string(period) + " begins at " +
                       FormatUtc(plan_.period_starts[period]) + " (" + Fixed(plan_.period_hours[period], 2) +
                       " h); quotas:";
    for (const auto& team : teams_)
      for (const auto& chip : plan_.ChipTypes()) {
        int q = plan_.Quota(team, chip, period);
        int was = before >= 0 ? plan_.Quota(team, chip, before) : 0;
        if (q != 0 || was != 0)
          text += " " + team + "/" + chip + " " + std::to_string(q) +
                  (before >= 0 && was != q ? " (was " + std::to_string(was) + ")" : "");
      }
    Record(nullptr, "period_change", text);
  }
  // Where a chip type's cohort holds more than its new total quota, preempt
  // jobs of teams above their nominal quota (lowest priority, newest first).
  for (const auto& chip : plan_.ChipTypes()) {
    int excess = CohortUsage(chip) - CohortQuota(chip);
    if (excess <= 0) continue;
    std::vector<Job*> candidates;
    for (auto& [id, job] : jobs_)
      if (job.state == JobState::kRunning && job.chip_type == chip) candidates.push_back(&job);
    std::sort(candidates.begin(), candidates.end(), [](const Job* a, const Job* b) {
      if (a->spec.priority != b->spec.priority) return a->spec.priority < b->spec.priority;
      return a->started_at > b->started_at;
    });
    for (Job* job : candidates) {
      if (excess <= 0) break;
      const std::string& team = job->spec.team;
      int quota = plan_.Quota(team, chip, period_);
      int used = Usage(team, chip);
      if (used <= quota) continue;
      if (!job->spec.preemptible) {
        Record(job, "draining",
               "period change: team " + team + " holds " + std::to_string(used) + " " + chip +
                   " chips over its quota of " + std::to_string(quota) +
                   "; job is not preemptible and runs to completion");
        continue;
      }
      const int chips = job->chips;
      Requeue(*job, "preempted",
              "period change to period " + std::to_string(period_) + ": team " + team + " holds " +
                  std::to_string(used) + " " + chip + " chips, quota now " + std::to_string(quota) +
                  "; cohort over by " + std::to_string(excess),
              /*stop_backend=*/true);
      ++counters_.preempted;
      excess -= chips;
    }
  }
}

void Scheduler::AdmitPass() {
  // A full pass when chips or quota were freed since the last one; otherwise
  // only jobs that were never tried can have a new answer.
  std::vector<std::string> order;
  if (released_) {
    for (const auto& key : queue_) order.push_back(std::get<2>(key));
  } else {
    std::vector<QueueKey> keys;
    for (const auto& id : untried_) keys.push_back(KeyOf(jobs_.at(id)));
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) order.push_back(std::get<2>(key));
  }
  released_ = false;
  untried_.clear();
  for (const auto& id : order) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.state != JobState::kQueued) continue;
    TryAdmit(it->second);
  }
}

bool Scheduler::TryAdmit(Job& job) {
  std::string reasons;
  for (const auto& chip : AcceptableChips(job.spec)) {
    std::string why = TryOnChip(job, chip);
    if (why.empty()) return true;
    if (!reasons.empty()) reasons += "; ";
    reasons += chip;
    reasons += ": ";
    reasons += why;
  }
  if (reasons.empty()) reasons = "no acceptable chip type has a pool";
  if (reasons != job.wait_reason) {
    job.wait_reason = reasons;
    Record(&job, "waiting", reasons);
    Touch(job);
  }
  return false;
}

std::optional<Scheduler::Placement> Scheduler::Place(const std::vector<PoolState>& pools,
                                                     const std::string& chip_type, int lo, int hi) const {
  std::optional<Placement> best;
  for (size_t p = 0; p < pools.size(); ++p) {
    const PoolState& ps = pools[p];
    if (!ps.up || ps.info.chip_type != chip_type) continue;
    const int domain = ps.info.domain_chips;
    if (lo == hi && lo <= domain) {
      // Gang (or fixed size) inside one domain: the tightest domain that holds it.
      int pick = -1;
      for (size_t d = 0; d < ps.domain_free.size(); ++d)
        if (ps.domain_free[d] >= lo && (pick < 0 || ps.domain_free[d] < ps.domain_free[pick]))
          pick = static_cast<int>(d);
      if (pick < 0) continue;
      // Tightest domain first, then the pool with the fewest free chips, so
      // whole domains of emptier pools stay free for larger gangs.
      auto score = [&](int pool, int dom) {
        int free_total = 0;
        for (int f : pools[pool].domain_free) free_total += f;
        return std::make_pair(pools[pool].domain_free[dom] - lo, free_total);
      };
      if (!best || score(static_cast<int>(p), pick) < score(best->pool, best->slices[0].domain))
        best = Placement{static_cast<int>(p), {{pick, lo}}, lo};
      continue;
    }
    if (lo == hi) {
      // Larger than a domain: whole free domains of this pool.
      int need = lo;
      Placement pl{static_cast<int>(p), {}, 0};
      for (size_t d = 0; d < ps.domain_free.size() && need > 0; ++d) {
        int size = std::min(domain, ps.info.chips - static_cast<int>(d) * domain);
        if (ps.domain_free[d] != size) continue;
        int take = std::min(size, need);
        pl.slices.push_back({static_cast<int>(d), take});
        need -= take;
      }
      if (need > 0) continue;
      pl.chips = lo;
      if (!best) best = pl;
      continue;
    }
    // Elastic: as many as one pool gives, partly used domains first so whole
    // domains stay free for gangs.
    int free_total = 0;
    for (int f : ps.domain_free) free_total += f;
    int grant = std::min(hi, free_total);
    if (grant < lo || (best && best->chips >= grant)) continue;
    std::vector<int> order(ps.domain_free.size());
    for (size_t d = 0; d < order.size(); ++d) order[d] = static_cast<int>(d);
    std::stable_sort(order.begin(), order.end(),
                     [&](int a, int b) { return ps.domain_free[a] < ps.domain_free[b]; });
    Placement pl{static_cast<int>(p), {}, grant};
    int need = grant;
    for (int d : order) {
      if (need == 0) break;
      if (ps.domain_free[d] == 0) continue;
      int take = std::min(need, ps.domain_free[d]);
      pl.slices.push_back({d, take});
      need -= take;
    }
    best = pl;
  }
  return best;
}

std::string Scheduler::TryOnChip(Job& job, const std::string& chip) {
  const std::string& team = job.spec.team;
  const int lo = job.spec.min_request_chips();
  const int hi = job.spec.max_request_chips();
  const int nominal = plan_.Quota(team, chip, period_);
  const int used = Usage(team, chip);
  const int own_free = nominal - used;
  const int cohort_free = CohortQuota(chip) - CohortUsage(chip);
  const std::string quota_text = "team " + team + " quota " + std::to_string(nominal) + " in period " +
                                 std::to_string(period_) + ", using " + std::to_string(used) +
                                 ", cohort idle " + std::to_string(std::max(0, cohort_free));

  // (a) No preemption: idle cohort quota, borrowing beyond nominal if allowed.
  int room = options_.allow_borrowing ? cohort_free : std::min(own_free, cohort_free);
  if (room >= lo) {
    if (auto pl = Place(pools_, chip, lo, std::min(hi, room))) {
      int borrowed = std::max(0, pl->chips - std::max(0, own_free));
      std::string why = borrowed > 0 ? "borrowing " + std::to_string(borrowed) +
                                           " idle chips from the cohort; " + quota_text
                                     : "within quota; " + quota_text;
      Start(job, chip, *pl, borrowed, why);
      return "";
    }
  }

  // (b) and (c): preempt. Victims, in order: preemptible jobs of teams above
  // their nominal quota (reclaim) when the job fits the team's own quota, then
  // the team's own lower-priority preemptible jobs.
  std::vector<Job*> victims;
  std::vector<Job*> own;
  for (const auto& id : running_) {
    Job& other = jobs_.at(id);
    if (other.chip_type != chip || !other.spec.preemptible) continue;
    if (other.spec.team == team) {
      if (other.spec.priority < job.spec.priority) own.push_back(&other);
    } else if (own_free >= lo && Usage(other.spec.team, chip) > plan_.Quota(other.spec.team, chip, period_)) {
      victims.push_back(&other);
    }
  }
  auto by_priority = [](const Job* a, const Job* b) {
    if (a->spec.priority != b->spec.priority) return a->spec.priority < b->spec.priority;
    return a->started_at > b->started_at;
  };
  std::sort(victims.begin(), victims.end(), by_priority);
  std::sort(own.begin(), own.end(), by_priority);
  const size_t reclaim_count = victims.size();
  victims.insert(victims.end(), own.begin(), own.end());

  if (!victims.empty()) {
    // Placement is in one pool: for each pool, victims on that pool come
    // first (they free both quota and room), then the rest (quota only).
    // The cheapest pool wins: lowest highest-victim priority, then fewest
    // chips preempted.
    struct Plan {
      std::vector<Job*> chosen;
      int max_priority = 0;
      int chips = 0;
    };
    std::optional<Plan> best;
    for (size_t target = 0; target < pools_.size(); ++target) {
      if (!pools_[target].up || pools_[target].info.chip_type != chip) continue;
      std::vector<size_t> order;
      for (size_t i = 0; i < victims.size(); ++i)
        if (victims[i]->pool == pools_[target].info.id) order.push_back(i);
      for (size_t i = 0; i < victims.size(); ++i)
        if (victims[i]->pool != pools_[target].info.id) order.push_back(i);
      std::vector<PoolState> trial = pools_;
      for (size_t p = 0; p < trial.size(); ++p)
        if (p != target) trial[p].up = false;
      std::map<std::string, int> trial_usage;  // team -> chips held on `chip`
      for (const auto& t : teams_) trial_usage[t] = Usage(t, chip);
      int trial_cohort_free = cohort_free;
      Plan plan;
      bool placed = false;
      for (size_t i : order) {
        Job* v = victims[i];
        // A reclaim victim's team must still be above its nominal quota.
        if (i < reclaim_count && trial_usage[v->spec.team] <= plan_.Quota(v->spec.team, chip, period_))
          continue;
        int p = PoolIndex(v->pool);
        if (p < 0) continue;
        for (const auto& s : v->slices) trial[p].domain_free[s.domain] += s.chips;
        trial_usage[v->spec.team] -= v->chips;
        trial_cohort_free += v->chips;
        plan.chosen.push_back(v);
        plan.max_priority =
            plan.chosen.size() == 1 ? v->spec.priority : std::max(plan.max_priority, v->spec.priority);
        plan.chips += v->chips;
        int trial_own_free = nominal - trial_usage[team];
        if (trial_own_free < lo || trial_cohort_free < lo) continue;
        if (Place(trial, chip, lo, lo)) {
          placed = true;
          break;
        }
      }
      if (placed && (!best || std::make_pair(plan.max_priority, plan.chips) <
                                  std::make_pair(best->max_priority, best->chips)))
        best = plan;
    }
    if (best) {
      std::string names;
      for (Job* c : best->chosen) {
        if (!names.empty()) names += ", ";
        names += c->id;
        bool reclaim = c->spec.team != team;
        std::string why = reclaim
                              ? "team " + team + " reclaims its " + chip + " quota for " + job.id +
                                    " (priority " + std::to_string(job.spec.priority) + "); team " +
                                    c->spec.team + " was borrowing beyond its quota of " +
                                    std::to_string(plan_.Quota(c->spec.team, chip, period_))
                              : "higher-priority job " + job.id + " (priority " +
                                    std::to_string(job.spec.priority) + ") of the same team needs the chips";
        Requeue(*c, "preempted", why, /*stop_backend=*/true);
        ++counters_.preempted;
      }
      const int own_free_now = nominal - Usage(team, chip);
      auto real = Place(pools_, chip, lo, lo);
      if (!real) return "placement failed after preemption";  // cannot happen: the trial placed it
      int borrowed = std::max(0, real->chips - std::max(0, own_free_now));
      Start(job, chip, *real, borrowed, "admitted after preempting " + names + "; " + quota_text);
      return "";
    }
  }

  if (room < lo) {
    if (own_free < lo && !options_.allow_borrowing)
      return "needs " + std::to_string(lo) + " chips, " + quota_text + " (borrowing disabled)";
    return "needs " + std::to_string(lo) + " chips, " + quota_text;
  }
  std::string free_text;
  for (const auto& ps : pools_) {
    if (ps.info.chip_type != chip) continue;
    int largest = 0;
    for (int f : ps.domain_free) largest = std::max(largest, f);
    free_text += (free_text.empty() ? "" : ", ") + ps.info.id + (ps.up ? "" : " (down)") +
                 " largest free domain " + std::to_string(largest) + "/" +
                 std::to_string(ps.info.domain_chips);
  }
  return "quota allows it but no pool has room for " +
         (job.spec.is_gang() ? "a gang of " + std::to_string(lo) + " chips in one interconnect domain set"
                             : std::to_string(lo) + " chips") +
         " (" + free_text + ")";
}

bool Scheduler::Start(Job& job, const std::string& chip_type, const Placement& pl, int borrowed,
                      const std::string& reason) {
  PoolState& ps = pools_[pl.pool];
  LaunchRequest req;
  req.job_id = job.id;
  req.name = job.spec.name;
  req.team = job.spec.team;
  req.pool = ps.info.id;
  req.chip_type = chip_type;
  req.slices = pl.slices;
  req.chips = pl.chips;
  req.run_s = std::max<std::int64_t>(1, job.spec.expected_duration_s - job.done_s + job.restart_overhead_s);
  req.run = job.spec.run;
  req.time_limit_s = job.spec.time_limit_s();
  req.restarts = job.restarts;
  auto backend_id = backend_.Launch(req);
  if (!backend_id.ok()) {
    std::string why = "backend " + backend_.Name() + " refused the launch: " + backend_id.status().message();
    // Transient (the backend is busy or unreachable): try again next pass.
    if (backend_id.status().code() == StatusCode::kUnavailable) untried_.insert(job.id);
    if (why != job.wait_reason) {
      job.wait_reason = why;
      Record(&job, "waiting", why);
      Touch(job);
    }
    return false;
  }
  for (const auto& s : pl.slices) ps.domain_free[s.domain] -= s.chips;
  ps.used += pl.chips;
  queue_.erase(KeyOf(job));
  untried_.erase(job.id);
  job.state = JobState::kRunning;
  job.pool = ps.info.id;
  job.chip_type = chip_type;
  job.slices = pl.slices;
  job.chips = pl.chips;
  job.borrowed_chips = borrowed;
  job.backend_id = *backend_id;
  job.started_at = clock_.Now();
  job.run_s = req.run_s;
  job.wait_reason.clear();
  usage_[job.spec.team][chip_type] += pl.chips;
  running_.insert(job.id);
  ++counters_.admitted;
  std::string where;
  for (const auto& s : pl.slices)
    where += (where.empty() ? "" : ", ") + std::to_string(s.chips) + " in domain " + std::to_string(s.domain);
  Record(
      &job, "admitted",
      std::to_string(pl.chips) + " " + chip_type + " chips on " + ps.info.id + " (" + where + "), " + reason,
      pl.chips);
  Touch(job);
  return true;
}

void Scheduler::Release(Job& job) {
  int p = PoolIndex(job.pool);
  if (p >= 0) {
    for (const auto& s : job.slices)
      if (s.domain >= 0 && s.domain < static_cast<int>(pools_[p].domain_free.size()) &&
          !pools_[p].down_domains.count(s.domain))
        pools_[p].domain_free[s.domain] += s.chips;
    pools_[p].used -= job.chips;
  }
  usage_[job.spec.team][job.chip_type] -= job.chips;
  running_.erase(job.id);
  released_ = true;
}

void Scheduler::Requeue(Job& job, const std::string& action, const std::string& reason, bool stop_backend) {
  if (stop_backend)  // a lost job is already stopped
    (void)backend_.Preempt(job.id, job.backend_id, job.spec.run.preempt_signal, job.spec.run.grace_s);
  const UtcSeconds now = clock_.Now();
  const std::int64_t ran = std::max<std::int64_t>(0, now - job.started_at);
  job.used_chip_hours += static_cast<double>(ran) * job.chips / kSecondsPerHour;
  const std::int64_t useful = std::max<std::int64_t>(0, ran - job.restart_overhead_s);
  const std::int64_t remaining = job.spec.expected_duration_s - job.done_s;
  std::int64_t saved = 0;
  if (job.spec.checkpoint_interval_s > 0)
    saved = std::min(remaining, (useful / job.spec.checkpoint_interval_s) * job.spec.checkpoint_interval_s);
  const double lost = static_cast<double>(ran - saved) * job.chips / kSecondsPerHour;
  const int chips = job.chips;
  Release(job);
  job.done_s += saved;
  job.restart_overhead_s = options_.restart_overhead_s;
  job.restarts += 1;
  job.lost_chip_hours += lost;
  counters_.lost_chip_hours += lost;
  job.state = JobState::kQueued;
  std::string pool = job.pool;
  std::string cost = "; ran " + std::to_string(ran) + " s, resumes from checkpoint at " +
                     std::to_string(job.done_s) + " of " + std::to_string(job.spec.expected_duration_s) +
                     " s, " + Fixed(lost, 2) + " chip-hours lost, next run pays " +
                     std::to_string(job.restart_overhead_s) + " s restart";
  Record(&job, action, reason + cost, chips, lost);
  job.pool.clear();
  job.chip_type.clear();
  job.slices.clear();
  job.chips = 0;
  job.borrowed_chips = 0;
  job.backend_id.clear();
  job.started_at = 0;
  job.run_s = 0;
  job.wait_reason = "requeued";
  queue_.insert(KeyOf(job));
  untried_.insert(job.id);
  Touch(job);
}

// ---- recovery ----

Status Scheduler::Restore(std::vector<Job> jobs, std::int64_t next_decision_seq) {
  next_decision_seq_ = std::max(next_decision_seq_, next_decision_seq);
  for (auto& job : jobs) {
    next_submit_seq_ = std::max(next_submit_seq_, job.submit_seq + 1);
    const std::string id = job.id;
    auto [it, inserted] = jobs_.emplace(id, std::move(job));
    if (!inserted) return Status::Internal("duplicate stored job " + id);
    Job& j = it->second;
    if (!j.spec.idempotency_key.empty()) by_key_[{j.spec.team, j.spec.idempotency_key}] = j.id;
    teams_.insert(j.spec.team);
    if (j.state == JobState::kQueued) {
      queue_.insert(KeyOf(j));
      untried_.insert(j.id);
    } else if (j.state == JobState::kRunning) {
      int p = PoolIndex(j.pool);
      bool fits = p >= 0;
      if (fits)
        for (const auto& s : j.slices)
          if (s.domain < 0 || s.domain >= static_cast<int>(pools_[p].domain_free.size()) ||
              pools_[p].domain_free[s.domain] < s.chips)
            fits = false;
      if (!fits) {
        j.slices.clear();
        j.chips = 0;
        Requeue(j, "recovered", "stored placement on " + j.pool + " no longer exists in the fleet", true);
        continue;
      }
      for (const auto& s : j.slices) pools_[p].domain_free[s.domain] -= s.chips;
      pools_[p].used += j.chips;
      usage_[j.spec.team][j.chip_type] += j.chips;
      running_.insert(j.id);
    }
  }
  auto running = backend_.ListRunning();
  if (!running.ok()) return running.status().WithContext("backend " + backend_.Name());
  std::set<std::string> live(running->begin(), running->end());
  for (const auto& id : live) {
    auto it = jobs_.find(id);
    if (it == jobs_.end() || it->second.state != JobState::kRunning) {
      (void)backend_.Stop(id, "");
      Record(it == jobs_.end() ? nullptr : &it->second, "recovered",
             "backend ran " + id + " with no acknowledged running record; stopped it");
    }
  }
  for (auto& [id, job] : jobs_) {
    if (job.state == JobState::kRunning && !live.count(id))
      Requeue(job, "recovered",
              "service restarted and backend " + backend_.Name() + " no longer runs the job",
              /*stop_backend=*/false);
  }
  released_ = true;
  return Status::Ok();
}

}  // namespace fungible::orchestrate

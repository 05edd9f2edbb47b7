#include "orchestrate/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "orchestrate/sim_backend.h"
#include "util/status_matchers.h"

namespace fungible::orchestrate {
namespace {

constexpr UtcSeconds kT0 = 1798761600;  // 2027-01-01T00:00Z
constexpr std::int64_t kHour = 3600;

// Two h100 pools (16 chips = 2 NVLink-8 domains, and 8 chips = 1 domain) and a
// TPU pool; two periods: day (serving heavy) and night (training heavy).
ClusterInfo TestCluster() {
  ClusterInfo c;
  c.pools = {{"h100-a", "h100-sxm", "nvidia", "hopper", 16, 8},
             {"h100-b", "h100-sxm", "nvidia", "hopper", 8, 8},
             {"tpu-a", "tpu-v6e", "google", "v6e", 8, 4}};
  return c;
}

QuotaPlan DayNightPlan() {
  QuotaPlan plan;
  plan.period_starts = {kT0, kT0 + 12 * kHour};
  plan.period_hours = {12, 12};
  plan.quota_chips["serve"]["h100-sxm"] = {16, 8};
  plan.quota_chips["train"]["h100-sxm"] = {8, 16};
  plan.quota_chips["serve"]["tpu-v6e"] = {4, 4};
  plan.quota_chips["train"]["tpu-v6e"] = {4, 4};
  return plan;
}

JobSpec Gang(const std::string& team, int chips, int priority = 0) {
  JobSpec s;
  s.team = team;
  s.gang_size_chips = chips;
  s.min_chips = s.max_chips = chips;
  s.priority = priority;
  s.chip_types = {"h100-sxm"};
  s.expected_duration_s = 100 * kHour;
  return s;
}

class SchedulerTest : public ::testing::Test {
 protected:
  explicit SchedulerTest(SchedulerOptions options = {}, QuotaPlan plan = DayNightPlan())
      : clock_(kT0),
        backend_(clock_),
        scheduler_(TestCluster(), std::move(plan), backend_, clock_, options) {}

  std::string SubmitOk(JobSpec spec) {
    auto out = scheduler_.Submit(std::move(spec));
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->job.id : "";
  }
  void Tick() { ASSERT_TRUE(scheduler_.Schedule().ok()); }
  const Job& J(const std::string& id) { return *scheduler_.Find(id); }
  std::vector<Decision> DecisionsOf(const std::string& id) {
    for (auto& d : scheduler_.TakeChanges().decisions) log_.push_back(d);
    std::vector<Decision> out;
    for (const auto& d : log_)
      if (d.job_id == id) out.push_back(d);
    return out;
  }
  bool HasDecision(const std::string& id, const std::string& action, const std::string& text) {
    for (const auto& d : DecisionsOf(id))
      if (d.action == action && d.reason.find(text) != std::string::npos) return true;
    return false;
  }

  VirtualClock clock_;
  SimBackend backend_;
  Scheduler scheduler_;
  std::vector<Decision> log_;
};

TEST_F(SchedulerTest, AdmitsWithinQuota) {
  std::string id = SubmitOk(Gang("train", 8));
  EXPECT_EQ(J(id).state, JobState::kQueued);
  Tick();
  EXPECT_EQ(J(id).state, JobState::kRunning);
  EXPECT_EQ(J(id).chips, 8);
  EXPECT_EQ(J(id).borrowed_chips, 0);
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 8);
  EXPECT_EQ(backend_.running().count(id), 1u);
  EXPECT_TRUE(HasDecision(id, "admitted", "within quota"));
}

TEST_F(SchedulerTest, BorrowsIdleCohortQuota) {
  std::string a = SubmitOk(Gang("train", 8));
  std::string b = SubmitOk(Gang("train", 8));  // beyond train's 8: borrows serve's idle quota
  Tick();
  EXPECT_EQ(J(a).state, JobState::kRunning);
  ASSERT_EQ(J(b).state, JobState::kRunning);
  EXPECT_EQ(J(b).borrowed_chips, 8);
  EXPECT_TRUE(HasDecision(b, "admitted", "borrowing 8 idle chips"));
}

class NoBorrowTest : public SchedulerTest {
 protected:
  NoBorrowTest() : SchedulerTest(SchedulerOptions{300, false}) {}
};

TEST_F(NoBorrowTest, WaitsBeyondNominalQuota) {
  std::string a = SubmitOk(Gang("train", 8));
  std::string b = SubmitOk(Gang("train", 8));
  Tick();
  EXPECT_EQ(J(a).state, JobState::kRunning);
  EXPECT_EQ(J(b).state, JobState::kQueued);
  EXPECT_NE(J(b).wait_reason.find("team train quota 8"), std::string::npos) << J(b).wait_reason;
  EXPECT_TRUE(HasDecision(b, "waiting", "borrowing disabled"));
}

TEST_F(SchedulerTest, OwnerReclaimsBorrowedQuota) {
  std::string a = SubmitOk(Gang("train", 8, /*priority=*/5));
  std::string b = SubmitOk(Gang("train", 8, /*priority=*/5));
  std::string c = SubmitOk(Gang("train", 8, /*priority=*/5));
  Tick();  // train holds 24 of 24 h100: 16 borrowed
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 24);
  clock_.Advance(60);
  std::string s = SubmitOk(Gang("serve", 8, /*priority=*/0));  // within serve's nominal 16
  Tick();
  ASSERT_EQ(J(s).state, JobState::kRunning);
  EXPECT_EQ(scheduler_.counters().preempted, 1);
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 16);
  // The most recently started borrower goes first; all started together, so
  // exactly one of b, c (the borrowers) was preempted, never below nominal.
  int queued = 0;
  for (const auto& id : {a, b, c})
    if (J(id).state == JobState::kQueued) {
      ++queued;
      EXPECT_TRUE(HasDecision(id, "preempted", "team serve reclaims its h100-sxm quota"));
    }
  EXPECT_EQ(queued, 1);
  EXPECT_TRUE(HasDecision(s, "admitted", "after preempting"));
}

TEST_F(SchedulerTest, ReclaimNeverTakesFromTeamWithinItsQuota) {
  std::string a = SubmitOk(Gang("train", 8));
  Tick();
  std::string s1 = SubmitOk(Gang("serve", 16));
  std::string s2 = SubmitOk(Gang("serve", 8));  // over serve's 16: cohort full, train is within quota
  Tick();
  EXPECT_EQ(J(a).state, JobState::kRunning);
  EXPECT_EQ(J(s1).state, JobState::kRunning);
  EXPECT_EQ(J(s2).state, JobState::kQueued);
  EXPECT_EQ(scheduler_.counters().preempted, 0);
}

TEST_F(SchedulerTest, GangFitsOneDomain) {
  JobSpec small = Gang("train", 4);
  std::string s = SubmitOk(small);
  std::string g = SubmitOk(Gang("serve", 8));
  Tick();
  ASSERT_EQ(J(g).state, JobState::kRunning);
  ASSERT_EQ(J(g).slices.size(), 1u);
  EXPECT_EQ(J(g).slices[0].chips, 8);
  // The 4-chip job and the gang never share a domain: the gang needed a whole one.
  if (J(s).pool == J(g).pool) {
    EXPECT_NE(J(s).slices[0].domain, J(g).slices[0].domain);
  }
}

TEST_F(SchedulerTest, GangLargerThanDomainTakesWholeDomainsOfOnePool) {
  std::string g = SubmitOk(Gang("serve", 16));
  Tick();
  ASSERT_EQ(J(g).state, JobState::kRunning);
  EXPECT_EQ(J(g).pool, "h100-a");  // h100-b has only 8 chips
  ASSERT_EQ(J(g).slices.size(), 2u);
  EXPECT_EQ(J(g).slices[0].chips, 8);
  EXPECT_EQ(J(g).slices[1].chips, 8);
}

TEST_F(SchedulerTest, GangWaitsWhenNoWholeDomainIsFree) {
  // Three 6-chip gangs take one domain each: 6 chips free in total, no domain
  // with 8 free.
  std::vector<std::string> ids;
  ids.reserve(3);
  for (int i = 0; i < 3; ++i) ids.push_back(SubmitOk(Gang(i < 2 ? "serve" : "train", 6)));
  Tick();
  for (const auto& id : ids) ASSERT_EQ(J(id).state, JobState::kRunning);
  std::string g = SubmitOk(Gang("train", 2));  // fits a 2-chip hole
  Tick();
  EXPECT_EQ(J(g).state, JobState::kRunning);
  std::string big = SubmitOk(Gang("serve", 4));  // serve within quota; only 2+2 left in holes
  Tick();
  EXPECT_EQ(J(big).state, JobState::kQueued);
  EXPECT_NE(J(big).wait_reason.find("no pool has room for a gang of 4"), std::string::npos)
      << J(big).wait_reason;
}

TEST_F(SchedulerTest, ElasticJobGetsWhatQuotaAllows) {
  JobSpec e;
  e.team = "train";
  e.chip_types = {"h100-sxm"};
  e.min_chips = 2;
  e.max_chips = 64;
  e.expected_duration_s = kHour;
  std::string id = SubmitOk(e);
  Tick();
  ASSERT_EQ(J(id).state, JobState::kRunning);
  EXPECT_EQ(J(id).chips, 16);  // one pool at most: h100-a (16)
  EXPECT_EQ(J(id).borrowed_chips, 8);
}

TEST_F(SchedulerTest, PeriodChangeMovesServingToTrainingWithCheckpointCost) {
  // Day: serve fills its 16 (preemptible), train its 8.
  JobSpec serve_job = Gang("serve", 16);
  serve_job.checkpoint_interval_s = 1800;
  serve_job.expected_duration_s = 20 * kHour;
  std::string s = SubmitOk(serve_job);
  std::string t1 = SubmitOk(Gang("train", 8));
  Tick();
  ASSERT_EQ(J(s).state, JobState::kRunning);
  // Night: serve's quota drops to 8 and train's rises to 16; a train gang
  // waiting for the night reclaims the chips serve now borrows.
  clock_.Set(kT0 + 12 * kHour);
  std::string t2 = SubmitOk(Gang("train", 8));
  Tick();
  EXPECT_EQ(scheduler_.current_period(), 1);
  ASSERT_EQ(J(t2).state, JobState::kRunning) << J(t2).wait_reason;
  const Job& pre = J(s);
  EXPECT_EQ(pre.state, JobState::kQueued);
  EXPECT_EQ(pre.restarts, 1);
  // Ran 43200 s; checkpoints every 1800 s: all saved, nothing lost.
  EXPECT_EQ(pre.done_s, 43200);
  EXPECT_EQ(pre.lost_chip_hours, 0);
  EXPECT_EQ(pre.restart_overhead_s, 300);
  EXPECT_TRUE(HasDecision(s, "preempted", "reclaims"));
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 16);
}

TEST_F(SchedulerTest, PreemptionChargesWorkSinceLastCheckpoint) {
  JobSpec j = Gang("train", 8);
  j.checkpoint_interval_s = 1800;
  std::string a = SubmitOk(j);
  std::string b = SubmitOk(j);  // borrows serve's quota
  Tick();
  clock_.Advance(5000);  // 2 checkpoints (3600 s) saved, 1400 s lost
  std::string s = SubmitOk(Gang("serve", 16));
  Tick();
  const Job& victim = J(b).state == JobState::kQueued ? J(b) : J(a);
  ASSERT_EQ(victim.state, JobState::kQueued);
  EXPECT_EQ(victim.done_s, 3600);
  EXPECT_NEAR(victim.lost_chip_hours, 1400.0 * 8 / 3600, 1e-9);
  EXPECT_EQ(victim.restart_overhead_s, 300);
  EXPECT_TRUE(HasDecision(victim.id, "preempted", "resumes from checkpoint at 3600"));
  // Re-admitted later, the run is the remaining work plus the restart overhead.
  ASSERT_TRUE(scheduler_.Cancel(s, "test").ok());
  Tick();
  ASSERT_EQ(J(victim.id).state, JobState::kRunning);
  EXPECT_EQ(J(victim.id).run_s, 360000 - 3600 + 300);
}

TEST_F(SchedulerTest, ShrinkingCohortPreemptsLowestPriorityAndDrainsNonPreemptible) {
  QuotaPlan plan = DayNightPlan();
  plan.quota_chips["serve"]["h100-sxm"] = {16, 0};
  plan.quota_chips["train"]["h100-sxm"] = {8, 8};  // night: only 8 h100 in the plan
  scheduler_.SetPlan(plan, "test");
  std::string t = SubmitOk(Gang("train", 8));
  JobSpec keep = Gang("serve", 8, /*priority=*/1);
  keep.preemptible = false;
  std::string k = SubmitOk(keep);
  std::string lo = SubmitOk(Gang("serve", 8, /*priority=*/0));
  Tick();
  ASSERT_EQ(scheduler_.Usage("serve", "h100-sxm"), 16);
  clock_.Set(kT0 + 12 * kHour);
  Tick();
  // Cohort quota 8 < usage 24: serve (quota 0) gives back; its lowest
  // priority job is preempted, the non-preemptible one drains; train keeps
  // its 8.
  EXPECT_EQ(J(lo).state, JobState::kQueued);
  EXPECT_TRUE(HasDecision(lo, "preempted", "period change to period 1"));
  EXPECT_EQ(J(k).state, JobState::kRunning);
  EXPECT_TRUE(HasDecision(k, "draining", "not preemptible"));
  EXPECT_EQ(J(t).state, JobState::kRunning);
  // While serve drains, the cohort is full: a new train job waits.
  std::string t2 = SubmitOk(Gang("train", 8));
  Tick();
  EXPECT_EQ(J(t2).state, JobState::kQueued);
}

TEST_F(SchedulerTest, HigherPriorityPreemptsOwnTeamsLowerPriority) {
  std::string low = SubmitOk(Gang("serve", 16, /*priority=*/0));
  std::string t = SubmitOk(Gang("train", 8, 0));
  Tick();
  std::string urgent = SubmitOk(Gang("serve", 8, /*priority=*/10));
  Tick();
  EXPECT_EQ(J(urgent).state, JobState::kRunning);
  EXPECT_EQ(J(low).state, JobState::kQueued);
  EXPECT_EQ(J(t).state, JobState::kRunning);
  EXPECT_TRUE(HasDecision(low, "preempted", "higher-priority job"));
}

TEST_F(SchedulerTest, PoolFailureRequeuesFromCheckpointAndRecovers) {
  JobSpec j = Gang("train", 8);
  j.checkpoint_interval_s = 600;
  j.chip_types = {"h100-sxm"};
  std::string a = SubmitOk(j);
  Tick();
  const std::string pool = J(a).pool;
  clock_.Advance(1000);
  backend_.InjectPoolFailure(pool);
  Tick();
  // Requeued with 600 s saved, then placed again on the other h100 pool.
  EXPECT_EQ(J(a).done_s, 600);
  EXPECT_EQ(J(a).restarts, 1);
  EXPECT_EQ(J(a).state, JobState::kRunning);
  EXPECT_NE(J(a).pool, pool);
  EXPECT_TRUE(HasDecision(a, "requeued", "pool " + pool + " failed"));
  bool down = false;
  for (const auto& p : scheduler_.Pools())
    if (p.id == pool) down = !p.up;
  EXPECT_TRUE(down);
  backend_.InjectPoolRecovery(pool);
  Tick();
  for (const auto& p : scheduler_.Pools()) {
    if (p.id == pool) {
      EXPECT_TRUE(p.up);
    }
  }
}

TEST_F(SchedulerTest, OperatorPoolDownRequeues) {
  std::string a = SubmitOk(Gang("serve", 16));
  Tick();
  ASSERT_EQ(J(a).pool, "h100-a");
  ASSERT_TRUE(scheduler_.PoolDown("h100-a", "maintenance").ok());
  EXPECT_EQ(J(a).state, JobState::kQueued);
  EXPECT_TRUE(backend_.running().empty());
  Tick();
  EXPECT_EQ(J(a).state, JobState::kQueued);  // h100-b cannot hold 16
  EXPECT_EQ(scheduler_.PoolDown("nope", "x").code(), StatusCode::kNotFound);
}

TEST_F(SchedulerTest, JobsCompleteOnTheVirtualClock) {
  JobSpec j = Gang("train", 8);
  j.expected_duration_s = 100;
  std::string a = SubmitOk(j);
  Tick();
  clock_.Advance(99);
  Tick();
  EXPECT_EQ(J(a).state, JobState::kRunning);
  clock_.Advance(1);
  Tick();
  EXPECT_EQ(J(a).state, JobState::kSucceeded);
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 0);
  EXPECT_EQ(scheduler_.counters().completed, 1);
}

TEST_F(SchedulerTest, IdempotencyKeyReturnsTheSameJob) {
  JobSpec j = Gang("train", 8);
  j.idempotency_key = "k1";
  auto first = scheduler_.Submit(j);
  ASSERT_TRUE(first.ok());
  auto again = scheduler_.Submit(j);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, SubmitOutcome::Kind::kDuplicate);
  EXPECT_EQ(again->job.id, first->job.id);
  j.priority = 3;
  auto conflict = scheduler_.Submit(j);
  ASSERT_TRUE(conflict.ok());
  EXPECT_EQ(conflict->kind, SubmitOutcome::Kind::kConflict);
  // The key is per team.
  JobSpec other = Gang("serve", 8);
  other.idempotency_key = "k1";
  auto o = scheduler_.Submit(other);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->kind, SubmitOutcome::Kind::kCreated);
  EXPECT_EQ(scheduler_.counters().submitted, 2);
}

TEST_F(SchedulerTest, CancelQueuedAndRunning) {
  std::string a = SubmitOk(Gang("train", 8));
  Tick();
  std::string b = SubmitOk(Gang("train", 32 - 16));  // 16 > own 8 -> borrows? cohort has 16 idle
  auto ca = scheduler_.Cancel(a, "alice");
  ASSERT_TRUE(ca.ok());
  EXPECT_EQ(ca->state, JobState::kCancelled);
  EXPECT_TRUE(backend_.running().empty());
  EXPECT_EQ(scheduler_.Usage("train", "h100-sxm"), 0);
  ASSERT_TRUE(scheduler_.Cancel(b, "alice").ok());
  EXPECT_EQ(scheduler_.queue_depth(), 0);
  EXPECT_EQ(scheduler_.Cancel(a, "alice").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(scheduler_.Cancel("j-nope", "alice").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(HasDecision(a, "cancelled", "alice"));
}

TEST_F(SchedulerTest, RejectsWhatCanNeverRun) {
  JobSpec j = Gang("nobody", 8);
  EXPECT_EQ(scheduler_.Submit(j).status().code(), StatusCode::kInvalidArgument);
  j = Gang("train", 8);
  j.chip_types = {"mi300x"};
  auto st = scheduler_.Submit(j).status();
  EXPECT_NE(st.message().find("chip_types"), std::string::npos);
  j = Gang("train", 32);  // larger than any h100 pool
  st = scheduler_.Submit(j).status();
  EXPECT_NE(st.message().find("gang_size_chips: 32 chips exceed the largest acceptable pool (16"),
            std::string::npos)
      << st.message();
  j = Gang("train", 4);
  j.chip_types.clear();
  j.platform = "aws";
  EXPECT_EQ(scheduler_.Submit(j).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SchedulerTest, PlatformConstraintSelectsChipType) {
  JobSpec j = Gang("train", 4);
  j.chip_types.clear();
  j.platform = "google";
  std::string a = SubmitOk(j);
  Tick();
  ASSERT_EQ(J(a).state, JobState::kRunning);
  EXPECT_EQ(J(a).chip_type, "tpu-v6e");
  EXPECT_EQ(J(a).slices[0].chips, 4);
}

TEST_F(SchedulerTest, OutsideThePlanNothingIsAdmitted) {
  clock_.Set(kT0 + 30 * kHour);
  std::string a = SubmitOk(Gang("train", 8));
  Tick();
  EXPECT_EQ(scheduler_.current_period(), -1);
  EXPECT_EQ(J(a).state, JobState::kQueued);
}

TEST_F(SchedulerTest, RestoreRequeuesJobsTheBackendLost) {
  std::string a = SubmitOk(Gang("train", 8));
  std::string b = SubmitOk(Gang("serve", 16));
  std::string q = SubmitOk(Gang("serve", 8));  // waits: cohort full
  Tick();
  auto changes = scheduler_.TakeChanges();
  // A new process: empty sim cluster, same stored jobs.
  SimBackend fresh(clock_);
  Scheduler restarted(TestCluster(), DayNightPlan(), fresh, clock_);
  std::vector<Job> stored;
  for (const auto& id : {a, b, q}) stored.push_back(J(id));
  ASSERT_TRUE(restarted.Restore(stored, scheduler_.next_decision_seq()).ok());
  EXPECT_EQ(restarted.Find(a)->state, JobState::kQueued);
  EXPECT_EQ(restarted.Find(a)->restarts, 1);
  EXPECT_EQ(restarted.Find(q)->state, JobState::kQueued);
  ASSERT_TRUE(restarted.Schedule().ok());
  EXPECT_EQ(restarted.Find(a)->state, JobState::kRunning);
  EXPECT_EQ(restarted.Find(b)->state, JobState::kRunning);
  // New ids continue after the restored ones.
  auto n = restarted.Submit(Gang("train", 1));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->job.id, "j-00000004");
  auto after = restarted.TakeChanges();
  EXPECT_GT(after.decisions.front().seq, changes.decisions.back().seq);
}

TEST_F(SchedulerTest, RestoreKeepsJobsTheBackendStillRuns) {
  std::string a = SubmitOk(Gang("train", 8));
  Tick();
  Scheduler restarted(TestCluster(), DayNightPlan(), backend_, clock_);
  ASSERT_TRUE(restarted.Restore({J(a)}, 100).ok());
  EXPECT_EQ(restarted.Find(a)->state, JobState::kRunning);
  EXPECT_EQ(restarted.Usage("train", "h100-sxm"), 8);
}

TEST(JobJson, RoundTripsAndRejectsUnknownFields) {
  nlohmann::json j = {{"team", "t"}, {"gang_size_chips", 8}, {"priority", 2}};
  auto spec = JobSpecFromJson(j);
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->min_chips, 8);
  Job job;
  job.id = "j-1";
  job.spec = *spec;
  job.slices = {{1, 8}};
  auto back = JobFromJson(JobToJson(job));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(JobToJson(*back), JobToJson(job));
  j["colour"] = "blue";
  EXPECT_THAT(JobSpecFromJson(j), StatusIs(StatusCode::kInvalidArgument, "colour: unknown field"));
  EXPECT_THAT(JobSpecFromJson({{"team", 3}}),
              StatusIs(StatusCode::kInvalidArgument, "team: expected a string"));
  EXPECT_THAT(JobSpecFromJson({{"team", "t"}, {"min_chips", 4}, {"max_chips", 2}}),
              StatusIs(StatusCode::kInvalidArgument, "min_chips: 4 is above max_chips 2"));
  EXPECT_THAT(JobSpecFromJson({{"gang_size_chips", 2}}),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("team")));
}

}  // namespace
}  // namespace fungible::orchestrate

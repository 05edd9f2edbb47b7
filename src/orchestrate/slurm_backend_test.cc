// End to end against a real Slurm (scripts/slurm-ci.sh start): jobs go
// through the scheduler, and Slurm must run what the scheduler admitted, on the
// partition, node and typed GRES it chose. Skipped, with the reason, when no
// Slurm answers.
#include "orchestrate/slurm_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "orchestrate/scheduler.h"

namespace fungible::orchestrate {
namespace {

using namespace std::chrono_literals;

ClusterInfo SlurmCluster() {
  ClusterInfo c;
  c.pools = {{"h100", "h100-sxm", "nvidia", "hopper", 16, 8},
             {"v6e", "tpu-v6e", "google", "v6e", 8, 8},
             {"trn2", "trn2", "aws", "trainium2", 16, 16}};
  return c;
}

struct SlurmJob {
  std::string state, nodes, partition, gres;
};

SlurmJob Query(const std::string& slurm_id) {
  auto r = RunCommand({"squeue", "-h", "-t", "all", "-j", slurm_id, "-o", "%T|%N|%P|%b"});
  SlurmJob j;
  if (!r.ok() || r->exit_code != 0) return j;
  std::string line = r->out.substr(0, r->out.find('\n'));
  std::vector<std::string> f;
  size_t start = 0;
  for (size_t bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1)
    f.push_back(line.substr(start, bar - start));
  f.push_back(line.substr(start));
  if (f.size() == 4) j = {f[0], f[1], f[2], f[3]};
  return j;
}

template <typename F>
bool WaitFor(F&& f, std::chrono::seconds limit = 25s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (f()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

class SlurmE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* conf = std::getenv("SLURM_CONF");
    const std::string ci_conf = "/tmp/fungible-slurm/etc/slurm.conf";
    if ((!conf || !*conf) && std::filesystem::exists(ci_conf)) setenv("SLURM_CONF", ci_conf.c_str(), 1);
    const char* now_conf = std::getenv("SLURM_CONF");
    const std::string conf_path = now_conf && *now_conf ? now_conf : "/etc/slurm/slurm.conf";
    if (!std::filesystem::exists(conf_path))
      GTEST_SKIP() << "no Slurm configuration at " << conf_path
                   << " (start one with `bash scripts/slurm-ci.sh start`)";
    auto ping = RunCommand({"timeout", "5", "scontrol", "ping"});
    if (!ping.ok() || ping->exit_code != 0 || ping->out.find("UP") == std::string::npos)
      GTEST_SKIP() << "no Slurm is running (start one with `bash scripts/slurm-ci.sh start`): "
                   << (ping.ok() ? ping->out + ping->err : ping.status().ToString());
    auto parts = RunCommand({"sinfo", "-h", "-o", "%R"});
    if (!parts.ok() || parts->out.find("v6e") == std::string::npos ||
        parts->out.find("trn2") == std::string::npos)
      GTEST_SKIP()
          << "the running Slurm is not the one scripts/slurm-ci.sh configures (partitions h100, v6e, trn2)";
    // A prefix of this process: parallel test processes never cancel each other's jobs.
    options_.job_prefix = "fungible-t" + std::to_string(getpid()) + "-";
    CancelOurs();
    auto b = SlurmBackend::Create(SlurmCluster(), options_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    backend_ = std::move(b).value();
    const UtcSeconds now = clock_.Now();
    plan_.period_starts = {now - 3600};
    plan_.period_hours = {48};
    plan_.quota_chips["a"]["h100-sxm"] = {8};
    plan_.quota_chips["a"]["tpu-v6e"] = {8};
    plan_.quota_chips["b"]["h100-sxm"] = {8};
    plan_.quota_chips["b"]["trn2"] = {16};
    scheduler_ = std::make_unique<Scheduler>(SlurmCluster(), plan_, *backend_, clock_);
  }
  void TearDown() override {
    if (!backend_) return;  // skipped: no Slurm to clean up (its clients would wait for it)
    (void)RunCommand({"scontrol", "update", "PartitionName=v6e", "State=UP"});
    for (const char* node : {"gpu1", "gpu2"})
      (void)RunCommand({"scontrol", "update", std::string("NodeName=") + node, "State=RESUME"});
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    CancelOurs();
  }
  void CancelOurs() {
    auto r = RunCommand({"squeue", "-h", "-o", "%i|%j"});
    if (!r.ok()) return;
    size_t start = 0;
    for (size_t nl; (nl = r->out.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = r->out.substr(start, nl - start);
      auto bar = line.find('|');
      if (bar != std::string::npos && line.find("|" + options_.job_prefix) != std::string::npos)
        (void)RunCommand({"scancel", line.substr(0, bar)});
    }
  }
  std::string Submit(const std::string& team, const std::string& chip, int gang, std::int64_t seconds) {
    JobSpec s;
    s.team = team;
    s.chip_types = {chip};
    s.gang_size_chips = s.min_chips = s.max_chips = gang;
    s.expected_duration_s = seconds;
    auto out = scheduler_->Submit(s);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->job.id : "";
  }
  // Slurm runs the job on the partition, node and GRES the scheduler chose.
  void ExpectSlurmRunsAsAdmitted(const std::string& id) {
    const Job* j = scheduler_->Find(id);
    ASSERT_EQ(j->state, JobState::kRunning) << id << ": " << j->wait_reason;
    SlurmJob s;
    ASSERT_TRUE(WaitFor([&] {
      s = Query(j->backend_id);
      return s.state == "RUNNING";
    })) << id
        << " (Slurm " << j->backend_id << ") is " << s.state;
    EXPECT_EQ(s.partition, j->pool);
    std::string nodes;
    for (const auto& slice : j->slices)
      nodes += (nodes.empty() ? "" : ",") + backend_->NodeOf(j->pool, slice.domain);
    EXPECT_EQ(s.nodes, nodes) << id;
    EXPECT_NE(s.gres.find(backend_->GresOf(j->chip_type) + ":" + std::to_string(j->slices[0].chips)),
              std::string::npos)
        << id << " gres " << s.gres;
  }

  // A fresh directory the jobs write to (all Slurm "nodes" share this host).
  std::string Dir() {
    if (dir_.empty()) {
      dir_ = "/tmp/fungible-e2e-" + std::to_string(getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::filesystem::remove_all(dir_);
      std::filesystem::create_directories(dir_);
    }
    return dir_;
  }
  std::string SubmitRun(const std::string& team, const std::string& chip, int gang, const RunSpec& run,
                        std::int64_t seconds = 60) {
    JobSpec s;
    s.team = team;
    s.chip_types = {chip};
    s.gang_size_chips = s.min_chips = s.max_chips = gang;
    s.expected_duration_s = seconds;
    s.run = run;
    auto out = scheduler_->Submit(s);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->job.id : "";
  }
  bool ScheduleUntil(const std::function<bool()>& done, std::chrono::seconds limit = 60s) {
    return WaitFor(
        [&] {
          EXPECT_TRUE(scheduler_->Schedule().ok());
          return done();
        },
        limit);
  }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Slurm's own accounting of a finished job (sacct from the job completion
  // log scripts/slurm-ci.sh configures): seconds between start and end.
  static double SacctSeconds(const std::string& slurm_id) {
    auto r = RunCommand({"sacct", "-c", "-n", "-P", "-j", slurm_id, "-o", "Start,End"});
    if (!r.ok() || r->exit_code != 0) return -1;
    std::string line = r->out.substr(0, r->out.find('\n'));
    auto bar = line.find('|');
    if (bar == std::string::npos) return -1;
    auto parse = [](const std::string& t) {
      std::tm tm{};
      if (!strptime(t.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1.0;
      tm.tm_isdst = -1;
      return static_cast<double>(std::mktime(&tm));
    };
    return parse(line.substr(bar + 1)) - parse(line.substr(0, bar));
  }

  std::string dir_;
  SystemClock clock_;
  SlurmOptions options_;
  QuotaPlan plan_;
  std::unique_ptr<SlurmBackend> backend_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SlurmE2E, SlurmRunsWhatTheSchedulerAdmittedWhereItSaid) {
  std::string a1 = Submit("a", "h100-sxm", 8, 120);
  std::string b1 = Submit("b", "h100-sxm", 8, 120);
  std::string a2 = Submit("a", "tpu-v6e", 8, 120);
  std::string b2 = Submit("b", "trn2", 16, 2);
  std::string a3 = Submit("a", "h100-sxm", 8, 120);  // h100 cohort full: waits
  ASSERT_TRUE(scheduler_->Schedule().ok());
  for (const auto& id : {a1, b1, a2, b2}) ExpectSlurmRunsAsAdmitted(id);
  EXPECT_EQ(scheduler_->Find(a3)->state, JobState::kQueued);
  EXPECT_NE(scheduler_->Find(a1)->slices[0].domain, scheduler_->Find(b1)->slices[0].domain);

  // The 2-second trn2 job finishes in Slurm; the scheduler sees it complete.
  EXPECT_TRUE(WaitFor([&] {
    EXPECT_TRUE(scheduler_->Schedule().ok());
    return scheduler_->Find(b2)->state == JobState::kSucceeded;
  })) << "trn2 job did not complete";

  // Cancel through fungible: Slurm cancels it, and the waiting job takes the node.
  const std::string freed_node = backend_->NodeOf("h100", scheduler_->Find(a1)->slices[0].domain);
  const std::string a1_slurm = scheduler_->Find(a1)->backend_id;
  ASSERT_TRUE(scheduler_->Cancel(a1, "test").ok());
  EXPECT_TRUE(WaitFor([&] {
    auto s = Query(a1_slurm).state;
    return s == "CANCELLED" || s.empty();
  }));
  ASSERT_TRUE(scheduler_->Schedule().ok());
  ExpectSlurmRunsAsAdmitted(a3);
  EXPECT_EQ(backend_->NodeOf("h100", scheduler_->Find(a3)->slices[0].domain), freed_node);

  // A partition taken down in Slurm is a pool failure: its job is requeued and
  // its Slurm job cancelled.
  const std::string a2_slurm = scheduler_->Find(a2)->backend_id;
  auto down = RunCommand({"scontrol", "update", "PartitionName=v6e", "State=DOWN"});
  ASSERT_TRUE(down.ok() && down->exit_code == 0);
  ASSERT_TRUE(scheduler_->Schedule().ok());
  EXPECT_EQ(scheduler_->Find(a2)->state, JobState::kQueued);
  EXPECT_EQ(scheduler_->Find(a2)->restarts, 1);
  EXPECT_TRUE(WaitFor([&] {
    auto s = Query(a2_slurm).state;
    return s == "CANCELLED" || s.empty();
  }));
  bool v6e_down = false;
  for (const auto& p : scheduler_->Pools())
    if (p.id == "v6e") v6e_down = !p.up;
  EXPECT_TRUE(v6e_down);
  (void)RunCommand({"scontrol", "update", "PartitionName=v6e", "State=UP"});
  ASSERT_TRUE(scheduler_->Schedule().ok());
  ExpectSlurmRunsAsAdmitted(a2);

  // A restarted service finds the jobs Slurm still runs and keeps them.
  std::vector<Job> stored;
  for (const Job* j : scheduler_->List({})) stored.push_back(*j);
  auto b = SlurmBackend::Create(SlurmCluster(), options_);
  ASSERT_TRUE(b.ok());
  Scheduler restarted(SlurmCluster(), plan_, **b, clock_);
  ASSERT_TRUE(restarted.Restore(stored, 1000).ok());
  for (const auto& id : {b1, a2, a3}) EXPECT_EQ(restarted.Find(id)->state, JobState::kRunning) << id;
  EXPECT_EQ(restarted.Find(a2)->backend_id, scheduler_->Find(a2)->backend_id);
}

TEST_F(SlurmE2E, RunsTheJobsOwnWorkAndRecordsItsRealOutcome) {
  const std::string dir = Dir();
  RunSpec script;
  script.script =
      "#!/bin/bash\nsleep 2\necho \"hello $GREETING from $FUNGIBLE_JOB_ID in $(pwd)\" > out.txt\n";
  script.env = {{"GREETING", "world, and commas"}};
  script.workdir = dir;
  script.stdout_path = dir + "/slurm-%j.out";
  RunSpec failing;
  failing.command = {"sh", "-c", "echo about to fail; exit 7"};
  failing.stdout_path = dir + "/fail-%j.out";
  const std::string ok_id = SubmitRun("b", "trn2", 16, script);
  const std::string bad_id = SubmitRun("a", "tpu-v6e", 8, failing);
  ASSERT_TRUE(ScheduleUntil([&] {
    return IsTerminal(scheduler_->Find(ok_id)->state) && IsTerminal(scheduler_->Find(bad_id)->state);
  })) << scheduler_->Find(ok_id)->wait_reason;

  const Job* ok = scheduler_->Find(ok_id);
  EXPECT_EQ(ok->state, JobState::kSucceeded);
  EXPECT_EQ(ok->outcome.result, "completed");
  EXPECT_EQ(ok->outcome.exit_code, 0);
  EXPECT_EQ(ReadFile(dir + "/out.txt"), "hello world, and commas from " + ok_id + " in " + dir + "\n");

  const Job* bad = scheduler_->Find(bad_id);
  EXPECT_EQ(bad->state, JobState::kFailed);
  EXPECT_EQ(bad->outcome.result, "failed");
  EXPECT_EQ(bad->outcome.exit_code, 7);
  EXPECT_EQ(ReadFile(dir + "/fail-" + bad->outcome.backend_id + ".out"), "about to fail\n");
  EXPECT_EQ(bad->restarts, 0);  // its own failure: not requeued

  // The chip-hours fungible records are Slurm's (sacct) within a second per job.
  for (const Job* j : {ok, bad}) {
    const double sacct_s = SacctSeconds(j->outcome.backend_id);
    ASSERT_GE(sacct_s, 0) << j->id << ": sacct has no record of Slurm job " << j->outcome.backend_id;
    const double ours_s = j->outcome.chip_hours * 3600.0 / j->spec.gang_size_chips;
    EXPECT_LE(std::abs(ours_s - sacct_s), 1.0)
        << j->id << " ours " << ours_s << " s, sacct " << sacct_s << " s";
    EXPECT_GT(j->outcome.started_at, 0);
    EXPECT_GE(j->outcome.ended_at, j->outcome.started_at);
  }
  EXPECT_GE(ok->outcome.ended_at - ok->outcome.started_at, 2);
  // The outcome is in the job's JSON and survives a round trip (the store keeps that JSON).
  auto back = JobFromJson(JobToJson(*bad));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->outcome.exit_code, 7);
  EXPECT_EQ(back->spec.run.command, failing.command);
  EXPECT_EQ(JobToJson(*bad)["outcome"]["result"], "failed");
}

TEST_F(SlurmE2E, PreemptedJobIsSignalledRequeuedAndResumesFromItsCheckpoint) {
  const std::string dir = Dir();
  // Counts to 40 in 0.2 s steps; on USR1 saves its count and stops; starts from the saved count.
  RunSpec counting;
  counting.script =
      "#!/bin/bash\n"
      "ck=\"$CK_DIR/checkpoint\"; n=$(cat \"$ck\" 2>/dev/null || echo 0)\n"
      "echo \"start $n\" >> \"$CK_DIR/log\"\n"
      "trap 'echo $n > \"$ck\"; echo \"checkpoint $n\" >> \"$CK_DIR/log\"; exit 0' USR1\n"
      "while [ $n -lt 40 ]; do sleep 0.2; n=$((n+1)); done\n"
      "echo \"done $n\" >> \"$CK_DIR/log\"\n";
  counting.env = {{"CK_DIR", dir}};
  counting.preempt_signal = "USR1";
  counting.grace_s = 2;
  counting.stdout_path = "/dev/null";
  // Team b borrows team a's idle h100 quota (16 chips on both nodes)...
  const std::string b_id = SubmitRun("b", "h100-sxm", 16, counting);
  // Running as far as both Slurm (the script has started) and the scheduler
  // (it has seen the start and holds the Slurm id) know, before the reclaim.
  ASSERT_TRUE(ScheduleUntil([&] {
    const Job* j = scheduler_->Find(b_id);
    return ReadFile(dir + "/log").find("start 0") != std::string::npos && j->state == JobState::kRunning &&
           !j->backend_id.empty();
  }));
  std::this_thread::sleep_for(2s);
  const std::string slurm_id = scheduler_->Find(b_id)->backend_id;
  // ...until team a reclaims it: b is signalled, checkpoints, and is requeued.
  RunSpec short_run;
  short_run.command = {"sleep", "1"};
  short_run.stdout_path = "/dev/null";
  const std::string a_id = SubmitRun("a", "h100-sxm", 8, short_run);
  ASSERT_TRUE(scheduler_->Schedule().ok());
  EXPECT_EQ(scheduler_->Find(a_id)->state, JobState::kRunning);
  EXPECT_EQ(scheduler_->Find(b_id)->state, JobState::kQueued);
  EXPECT_EQ(scheduler_->Find(b_id)->restarts, 1);
  ASSERT_TRUE(ScheduleUntil([&] { return IsTerminal(scheduler_->Find(b_id)->state); }, 120s))
      << scheduler_->Find(b_id)->wait_reason << "\n"
      << ReadFile(dir + "/log");
  const Job* b = scheduler_->Find(b_id);
  EXPECT_EQ(b->state, JobState::kSucceeded);
  EXPECT_EQ(b->outcome.backend_id, slurm_id);  // the same Slurm job, requeued
  EXPECT_EQ(scheduler_->Find(a_id)->state, JobState::kSucceeded);
  // The log: started at 0, then each preemption a checkpoint at k and a
  // restart from that same k (k rising; a loaded machine may see a second
  // reclaim), and the count finished once.
  std::istringstream log(ReadFile(dir + "/log"));
  std::vector<std::string> lines;
  for (std::string l; std::getline(log, l);) lines.push_back(l);
  ASSERT_GE(lines.size(), 4u) << ReadFile(dir + "/log");
  ASSERT_EQ(lines.size() % 2, 0u) << ReadFile(dir + "/log");
  EXPECT_EQ(lines.front(), "start 0");
  int previous = 0;
  for (size_t i = 1; i + 1 < lines.size(); i += 2) {
    ASSERT_EQ(lines[i].rfind("checkpoint ", 0), 0u) << lines[i];
    const int k = std::stoi(lines[i].substr(11));
    EXPECT_GT(k, previous);
    EXPECT_LT(k, 40);
    EXPECT_EQ(lines[i + 1], "start " + std::to_string(k));
    previous = k;
  }
  EXPECT_EQ(lines.back(), "done 40");
  EXPECT_GE(b->restarts, 1);
}

TEST_F(SlurmE2E, DrainedNodeTakesItsChipsOutOfThePlanAndRequeuesItsJob) {
  RunSpec sleeper;
  sleeper.command = {"sleep", "300"};
  sleeper.grace_s = 0;
  sleeper.stdout_path = "/dev/null";
  const std::string id = SubmitRun("b", "h100-sxm", 8, sleeper, 300);
  ASSERT_TRUE(scheduler_->Schedule().ok());
  ExpectSlurmRunsAsAdmitted(id);
  const int domain = scheduler_->Find(id)->slices[0].domain;
  const std::string node = backend_->NodeOf("h100", domain);
  auto drain = RunCommand({"scontrol", "update", "NodeName=" + node, "State=DRAIN", "Reason=fungible-test"});
  ASSERT_TRUE(drain.ok() && drain->exit_code == 0) << (drain.ok() ? drain->err : drain.status().ToString());
  auto h100 = [&] {
    for (const auto& p : scheduler_->Pools())
      if (p.id == "h100") return p;
    return PoolStatus{};
  };
  ASSERT_TRUE(ScheduleUntil([&] { return h100().down_chips == 8; }, 30s));
  const Job* j = scheduler_->Find(id);
  EXPECT_EQ(j->restarts, 1);
  // It runs again on the node that is still in service.
  ASSERT_TRUE(ScheduleUntil([&] { return scheduler_->Find(id)->state == JobState::kRunning; }, 30s))
      << scheduler_->Find(id)->wait_reason;
  EXPECT_NE(scheduler_->Find(id)->slices[0].domain, domain);
  ExpectSlurmRunsAsAdmitted(id);
  // Nothing more fits on h100 while the node is drained.
  const std::string waits = SubmitRun("a", "h100-sxm", 8, sleeper, 300);
  ASSERT_TRUE(scheduler_->Schedule().ok());
  EXPECT_EQ(scheduler_->Find(waits)->state, JobState::kQueued);
  // Resumed: its chips are back and the waiting job runs there.
  auto resume = RunCommand({"scontrol", "update", "NodeName=" + node, "State=RESUME"});
  ASSERT_TRUE(resume.ok() && resume->exit_code == 0);
  ASSERT_TRUE(ScheduleUntil([&] { return h100().down_chips == 0; }, 30s));
  ASSERT_TRUE(ScheduleUntil([&] { return scheduler_->Find(waits)->state == JobState::kRunning; }, 30s));
  EXPECT_EQ(scheduler_->Find(waits)->slices[0].domain, domain);
}

TEST_F(SlurmE2E, ImageWithoutAnOciRuntimeIsRefusedNamingTheField) {
  JobSpec s;
  s.team = "a";
  s.chip_types = {"tpu-v6e"};
  s.gang_size_chips = s.min_chips = s.max_chips = 8;
  s.run.command = {"python3", "train.py"};
  s.run.image = "nvcr.io/nvidia/pytorch:24.05-py3";
  auto out = scheduler_->Submit(s);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("run.image:"), std::string::npos) << out.status().message();
}

TEST(ScontrolJob, ParsesStateExitCodeAndTimes) {
  auto r = ParseScontrolJob(
      "JobId=7 JobName=x JobState=FAILED Reason=NonZeroExitCode Restarts=1 ExitCode=3:0 "
      "StartTime=2026-12-01T18:16:47 EndTime=2026-12-01T18:16:50");
  EXPECT_EQ(r.state, "FAILED");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.restarts, 1);
  EXPECT_EQ(r.ended_at - r.started_at, 3);
  EXPECT_EQ(ParseScontrolJob("JobState=CANCELLED ExitCode=0:15 StartTime=Unknown").exit_code, 128 + 15);
  EXPECT_EQ(ParseScontrolJob("JobState=CANCELLED ExitCode=0:15 StartTime=Unknown").started_at, 0);
}

TEST_F(SlurmE2E, MisconfiguredPartitionIsAnError) {
  ClusterInfo c = SlurmCluster();
  c.pools.push_back({"mi300", "mi300x", "amd", "cdna3", 8, 8});
  auto b = SlurmBackend::Create(c, SlurmOptions{});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("mi300"), std::string::npos) << b.status().message();
}

TEST(SlurmOptions, ParsesFlags) {
  auto o = SlurmOptions::FromFlag("h100-east=gpu,tpu=tpu", "h100-sxm=gpu:h100");
  EXPECT_EQ(o.partition_of_pool.at("h100-east"), "gpu");
  EXPECT_EQ(o.gres_of_chip.at("h100-sxm"), "gpu:h100");
}

TEST(RunCommand, CapturesOutputAndExitCode) {
  auto r = RunCommand({"sh", "-c", "echo out; echo err >&2; exit 3"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_EQ(RunCommand({"/nonexistent/binary"}).status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace fungible::orchestrate

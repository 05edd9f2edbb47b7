// End to end against a real Slurm (scripts/slurm-ci.sh start): jobs go
// through the engine, and Slurm must run what the engine admitted, on the
// partition, node and typed GRES it chose. Skipped, with the reason, when no
// Slurm answers.
#include "orchestrate/slurm_backend.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "orchestrate/engine.h"

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
    engine_ = std::make_unique<Engine>(SlurmCluster(), plan_, *backend_, clock_);
  }
  void TearDown() override {
    if (!backend_) return;  // skipped: no Slurm to clean up (its clients would wait for it)
    (void)RunCommand({"scontrol", "update", "PartitionName=v6e", "State=UP"});
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
    auto out = engine_->Submit(s);
    EXPECT_TRUE(out.ok()) << out.status().ToString();
    return out.ok() ? out->job.id : "";
  }
  // Slurm runs the job on the partition, node and GRES the engine chose.
  void ExpectSlurmRunsAsAdmitted(const std::string& id) {
    const Job* j = engine_->Find(id);
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

  SystemClock clock_;
  SlurmOptions options_;
  QuotaPlan plan_;
  std::unique_ptr<SlurmBackend> backend_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(SlurmE2E, SlurmRunsWhatTheEngineAdmittedWhereItSaid) {
  std::string a1 = Submit("a", "h100-sxm", 8, 120);
  std::string b1 = Submit("b", "h100-sxm", 8, 120);
  std::string a2 = Submit("a", "tpu-v6e", 8, 120);
  std::string b2 = Submit("b", "trn2", 16, 2);
  std::string a3 = Submit("a", "h100-sxm", 8, 120);  // h100 cohort full: waits
  ASSERT_TRUE(engine_->Schedule().ok());
  for (const auto& id : {a1, b1, a2, b2}) ExpectSlurmRunsAsAdmitted(id);
  EXPECT_EQ(engine_->Find(a3)->state, JobState::kQueued);
  EXPECT_NE(engine_->Find(a1)->slices[0].domain, engine_->Find(b1)->slices[0].domain);

  // The 2-second trn2 job finishes in Slurm; the engine sees it complete.
  EXPECT_TRUE(WaitFor([&] {
    EXPECT_TRUE(engine_->Schedule().ok());
    return engine_->Find(b2)->state == JobState::kSucceeded;
  })) << "trn2 job did not complete";

  // Cancel through fungible: Slurm cancels it, and the waiting job takes the node.
  const std::string freed_node = backend_->NodeOf("h100", engine_->Find(a1)->slices[0].domain);
  const std::string a1_slurm = engine_->Find(a1)->backend_id;
  ASSERT_TRUE(engine_->Cancel(a1, "test").ok());
  EXPECT_TRUE(WaitFor([&] {
    auto s = Query(a1_slurm).state;
    return s == "CANCELLED" || s.empty();
  }));
  ASSERT_TRUE(engine_->Schedule().ok());
  ExpectSlurmRunsAsAdmitted(a3);
  EXPECT_EQ(backend_->NodeOf("h100", engine_->Find(a3)->slices[0].domain), freed_node);

  // A partition taken down in Slurm is a pool failure: its job is requeued and
  // its Slurm job cancelled.
  const std::string a2_slurm = engine_->Find(a2)->backend_id;
  auto down = RunCommand({"scontrol", "update", "PartitionName=v6e", "State=DOWN"});
  ASSERT_TRUE(down.ok() && down->exit_code == 0);
  ASSERT_TRUE(engine_->Schedule().ok());
  EXPECT_EQ(engine_->Find(a2)->state, JobState::kQueued);
  EXPECT_EQ(engine_->Find(a2)->restarts, 1);
  EXPECT_TRUE(WaitFor([&] {
    auto s = Query(a2_slurm).state;
    return s == "CANCELLED" || s.empty();
  }));
  bool v6e_down = false;
  for (const auto& p : engine_->Pools())
    if (p.id == "v6e") v6e_down = !p.up;
  EXPECT_TRUE(v6e_down);
  (void)RunCommand({"scontrol", "update", "PartitionName=v6e", "State=UP"});
  ASSERT_TRUE(engine_->Schedule().ok());
  ExpectSlurmRunsAsAdmitted(a2);

  // A restarted service finds the jobs Slurm still runs and keeps them.
  std::vector<Job> stored;
  for (const Job* j : engine_->List({})) stored.push_back(*j);
  auto b = SlurmBackend::Create(SlurmCluster(), options_);
  ASSERT_TRUE(b.ok());
  Engine restarted(SlurmCluster(), plan_, **b, clock_);
  ASSERT_TRUE(restarted.Restore(stored, 1000).ok());
  for (const auto& id : {b1, a2, a3}) EXPECT_EQ(restarted.Find(id)->state, JobState::kRunning) << id;
  EXPECT_EQ(restarted.Find(a2)->backend_id, engine_->Find(a2)->backend_id);
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

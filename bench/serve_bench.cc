// serve_bench: admission throughput and latency of `fungible serve`, side by
// side with Slurm's own submission rate on the same machine.
//
//   1. in-process: Scheduler::Submit + Schedule per job (one admission decision),
//      sim backend, virtual clock; p50/p99 of the decision.
//   2. HTTP on loopback: the real Service (SQLite store, WAL, synchronous=FULL,
//      group commit) with C client threads on kept-open connections; every
//      request is acknowledged only after its job is admitted and committed.
//   3. Slurm (when scripts/slurm-ci.sh is running): sequential `sbatch --hold`,
//      and slurmrestd v0.0.38 job/submit on one kept-open connection.
//
// Usage: serve_bench [--jobs N] [--clients C] [--slurm-jobs M]
// No figure is asserted anywhere; results go to docs/benchmarks.md by hand.
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "orchestrate/scheduler.h"
#include "orchestrate/sim_backend.h"
#include "orchestrate/slurm_backend.h"
#include "server/auth.h"
#include "server/service.h"
#include "store/store.h"

using namespace fungible;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr UtcSeconds kT0 = 1798761600;

orchestrate::ClusterInfo BigCluster() {
  orchestrate::ClusterInfo c;
  for (int p = 0; p < 64; ++p)
    c.pools.push_back({"h100-" + std::to_string(p), "h100-sxm", "nvidia", "hopper", 1024, 64});
  return c;
}

orchestrate::QuotaPlan BigPlan() {
  orchestrate::QuotaPlan plan;
  plan.period_starts = {kT0};
  plan.period_hours = {24};
  for (int t = 0; t < 8; ++t) plan.quota_chips["team" + std::to_string(t)]["h100-sxm"] = {64 * 1024 / 8};
  return plan;
}

struct Stats {
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
};
Stats Percentiles(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50_ms = v[v.size() / 2];
  s.p99_ms = v[std::min(v.size() - 1, v.size() * 99 / 100)];
  s.max_ms = v.back();
  return s;
}
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A job as users submit it: what it runs (a command, env, workdir, limits,
// the preemption signal and outputs), not only its shape.
json OneChipJob(int i) {
  return {{"team", "team" + std::to_string(i % 8)},
          {"idempotency_key", "b-" + std::to_string(i)},
          {"min_chips", 1},
          {"max_chips", 1},
          {"chip_types", {"h100-sxm"}},
          {"expected_duration_s", 3600},
          {"checkpoint_interval_s", 600},
          {"run",
           {{"command", {"python3", "train.py", "--config", "configs/run-" + std::to_string(i) + ".yaml"}},
            {"env", {{"FUNGIBLE_CHECKPOINT_DIR", "/ckpt/b-" + std::to_string(i)}, {"NCCL_DEBUG", "WARN"}}},
            {"workdir", "/work/train"},
            {"time_limit_s", 7200},
            {"preempt_signal", "USR1"},
            {"grace_s", 60},
            {"stdout", "/work/train/logs/out-%j.log"}}}};
}

void InProcess(int jobs) {
  orchestrate::VirtualClock clock(kT0);
  orchestrate::SimBackend backend(clock);
  orchestrate::Scheduler scheduler(BigCluster(), BigPlan(), backend, clock);
  std::vector<double> lat;
  lat.reserve(jobs);
  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    auto spec = orchestrate::JobSpecFromJson(OneChipJob(i));
    auto a = Clock::now();
    auto out = scheduler.Submit(*spec);
    (void)scheduler.Schedule();
    lat.push_back(Ms(Clock::now() - a));
    if (!out.ok()) std::fprintf(stderr, "submit failed: %s\n", out.status().ToString().c_str());
    (void)scheduler.TakeChanges();
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  Stats st = Percentiles(lat);
  std::printf(
      "in-process  submit+admit  %7d jobs  %10.0f decisions/s  p50 %.4f ms  p99 %.4f ms  (running %d)\n",
      jobs, jobs / s, st.p50_ms, st.p99_ms, static_cast<int>(scheduler.counters().admitted));
}

void OverHttp(int jobs, int clients, const std::string& db_dir) {
  const std::string db =
      (std::filesystem::path(db_dir) / ("serve-bench-" + std::to_string(getpid()) + ".db")).string();
  std::filesystem::remove(db);
  auto store = store::OpenSqliteStore(db);
  if (!store.ok()) return (void)std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
  auto token = server::AddToken(**store, "bench", "admin", "");
  orchestrate::VirtualClock clock(kT0);
  orchestrate::SimBackend backend(clock);
  orchestrate::Scheduler scheduler(BigCluster(), BigPlan(), backend, clock);
  server::ServiceOptions o;
  o.port = 0;
  o.rate_limit_per_s = 1e9;
  o.rate_limit_burst = 1e9;
  o.http_threads = clients + 4;
  auto log = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  server::Service service(scheduler, **store, &clock, nullptr, json::object(), o, log);
  if (Status st = service.Start(); !st.ok()) return (void)std::fprintf(stderr, "%s\n", st.ToString().c_str());
  while (!service.serving()) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // recovery
  std::vector<std::vector<double>> lat(clients);
  std::atomic<int> errors{0}, ready{0};
  std::atomic<bool> go{false};
  Clock::time_point t0;
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&, c] {
      httplib::Client cli("127.0.0.1", service.port());
      cli.set_keep_alive(true);
      cli.set_tcp_nodelay(true);
      httplib::Headers h = {{"Authorization", "Bearer " + *token}};
      // Open the kept-open connection before the clock starts (the listen
      // backlog is small; a burst of connects can be refused once).
      for (int attempt = 0; attempt < 50; ++attempt)
        if (auto r = cli.Get("/healthz"); r && r->status == 200) break;
      ++ready;
      while (!go) std::this_thread::yield();
      for (int i = c; i < jobs; i += clients) {
        const std::string body = OneChipJob(i).dump();
        auto a = Clock::now();
        auto r = cli.Post("/v1/jobs", h, body, "application/json");
        lat[c].push_back(Ms(Clock::now() - a));
        if (!r || r->status != 201) {
          if (errors++ < 3)
            std::fprintf(stderr, "request %d: %s\n", i,
                         r ? (std::to_string(r->status) + " " + r->body).c_str()
                           : httplib::to_string(r.error()).c_str());
        }
      }
    });
  while (ready < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  t0 = Clock::now();
  go = true;
  for (auto& t : threads) t.join();
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  Stats st = Percentiles(all);
  std::printf(
      "http        submit+admit  %7d jobs  %10.0f submissions/s  p50 %.3f ms  p99 %.3f ms  (%d clients, %d "
      "errors, admitted %lld, store %s)\n",
      jobs, jobs / s, st.p50_ms, st.p99_ms, clients, errors.load(),
      static_cast<long long>(scheduler.counters().admitted), db_dir.c_str());
  service.Stop();
  std::filesystem::remove(db);
  std::filesystem::remove(db + "-wal");
  std::filesystem::remove(db + "-shm");
}

void SlurmSbatch(int jobs) {
  std::vector<double> lat;
  std::vector<std::string> ids;
  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    auto a = Clock::now();
    auto r = orchestrate::RunCommand({"sbatch", "--parsable", "--hold", "-p", "h100", "--gres=gpu:h100:1",
                                      "-o", "/dev/null", "-J", "bench", "--wrap", "true"});
    lat.push_back(Ms(Clock::now() - a));
    if (r.ok() && r->exit_code == 0) ids.push_back(r->out.substr(0, r->out.find_first_of(";\n")));
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  Stats st = Percentiles(lat);
  std::printf(
      "slurm       sbatch        %7d jobs  %10.0f submissions/s  p50 %.3f ms  p99 %.3f ms  (ok %zu)\n", jobs,
      jobs / s, st.p50_ms, st.p99_ms, ids.size());
  (void)orchestrate::RunCommand({"scancel", "-n", "bench"});
}

void SlurmRest(int jobs) {
  const char* url = std::getenv("FUNGIBLE_SLURM_REST_URL");
  const char* jwt = std::getenv("FUNGIBLE_SLURM_JWT");
  if (!url || !jwt)
    return (void)std::printf("slurmrestd  skipped: source /tmp/fungible-slurm/env.sh first\n");
  httplib::Client cli(url);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);
  httplib::Headers h = {{"X-SLURM-USER-NAME", "root"}, {"X-SLURM-USER-TOKEN", jwt}};
  const std::string body = json{{"script", "#!/bin/bash\ntrue\n"},
                                {"job",
                                 {{"name", "bench"},
                                  {"partition", "h100"},
                                  {"gres", "gpu:h100:1"},
                                  {"hold", true},
                                  {"current_working_directory", "/tmp"},
                                  {"standard_output", "/dev/null"},
                                  {"environment", {{"PATH", "/usr/bin:/bin"}}}}}}
                               .dump();
  std::vector<double> lat;
  int ok = 0;
  auto t0 = Clock::now();
  for (int i = 0; i < jobs; ++i) {
    auto a = Clock::now();
    auto r = cli.Post("/slurm/v0.0.38/job/submit", h, body, "application/json");
    lat.push_back(Ms(Clock::now() - a));
    ok += r && r->status == 200;
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  Stats st = Percentiles(lat);
  std::printf(
      "slurm       slurmrestd    %7d jobs  %10.0f submissions/s  p50 %.3f ms  p99 %.3f ms  (ok %d, kept-open "
      "connection)\n",
      jobs, jobs / s, st.p50_ms, st.p99_ms, ok);
  (void)orchestrate::RunCommand({"scancel", "-n", "bench"});
}

int Run(int argc, char** argv) {
  int jobs = 50000, clients = 16, slurm_jobs = 300;
  std::string db_dir = std::filesystem::temp_directory_path().string();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--jobs") jobs = std::atoi(argv[i + 1]);
    if (a == "--clients") clients = std::atoi(argv[i + 1]);
    if (a == "--slurm-jobs") slurm_jobs = std::atoi(argv[i + 1]);
    if (a == "--db-dir") db_dir = argv[i + 1];
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("serve_bench on %u cores, %d jobs\n", std::thread::hardware_concurrency(), jobs);
  InProcess(jobs);
  OverHttp(jobs, clients, db_dir);
  const char* conf = std::getenv("SLURM_CONF");
  if (conf && std::filesystem::exists(conf) && slurm_jobs > 0) {
    SlurmSbatch(slurm_jobs);
    SlurmRest(slurm_jobs);
  } else {
    std::printf("slurm       skipped: run scripts/slurm-ci.sh start and source /tmp/fungible-slurm/env.sh\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "serve_bench: %s\n", e.what());
    return 1;
  }
}

// The real binary under SIGKILL: a client submits in a loop (retrying each
// idempotency key until acknowledged) while the server is killed with -9
// several times and restarted on the same store. At the end every
// acknowledged submission exists exactly once, under the id it was
// acknowledged with; SIGTERM then stops the server gracefully (exit 0).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/process_testing.h"

namespace fungible::server {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using proc::Bin;
using proc::Capture;
using proc::Spawn;

bool WaitHealthy(int port) { return proc::WaitHealth(port, 200); }

TEST(Crash, SigkillLosesNoAcknowledgedJobAndDuplicatesNone) {
  ASSERT_TRUE(!Bin().empty() && fs::exists(Bin()))
      << "no fungible binary at FUNGIBLE_BIN: \"" << Bin() << "\"";
  const fs::path dir = fs::temp_directory_path() / ("fungible-crash-" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = (dir / "state.db").string();
  const std::string log = (dir / "server.log").string();
  const std::string spec = std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml";
  // A hand-built plan: no solver in the loop; small quotas so most jobs queue.
  {
    json plan = {{"periods", {{{"start", "2027-01-01T00:00Z"}, {"hours", 24}}}},
                 {"quota_chips", {{"research", {{"h100-sxm", {64}}}}, {"product", {{"h100-sxm", {64}}}}}}};
    std::ofstream(dir / "plan.json") << plan.dump();
  }
  const std::string token =
      Capture({Bin(), "token", "add", "--store", db, "--name", "ci", "--role", "admin"});
  ASSERT_EQ(token.rfind("fgb_", 0), 0u) << token;

  const std::string port_file = (dir / "port").string();
  auto args = [&](const std::string& port) {
    return std::vector<std::string>{Bin(),
                                    "serve",
                                    spec,
                                    "--quotas",
                                    (dir / "plan.json").string(),
                                    "--clock",
                                    "virtual",
                                    "--store",
                                    db,
                                    "--port",
                                    port,
                                    "--port-file",
                                    port_file,
                                    "--schedule-interval-ms",
                                    "20",
                                    "--log-level",
                                    "warn"};
  };
  pid_t pid = Spawn(args("0"), log);
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port)) port = 0;
    if (port == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GT(port, 0) << "server did not start; log: " << log;
  ASSERT_TRUE(WaitHealthy(port));

  // The client submits until told to stop (and at least kMinJobs), so how
  // fast this machine is never decides whether a kill lands mid-stream.
  constexpr int kMinJobs = 300;
  std::mutex mu;
  std::map<std::string, std::string> acked;  // idempotency key -> job id
  std::atomic<bool> stop{false};
  std::atomic<int> retries{0};
  std::thread client([&] {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(0, 300000);
    c.set_read_timeout(5, 0);
    httplib::Headers h = {{"Authorization", "Bearer " + token}};
    for (int i = 0; i < kMinJobs || !stop; ++i) {
      const std::string key = "crash-" + std::to_string(i);
      json spec = {{"team", i % 2 ? "research" : "product"},
                   {"idempotency_key", key},
                   {"gang_size_chips", 8},
                   {"chip_types", {"h100-sxm"}},
                   {"expected_duration_s", 36000}};
      while (true) {
        auto r = c.Post("/v1/jobs", h, spec.dump(), "application/json");
        if (r && (r->status == 201 || r->status == 200)) {
          std::lock_guard<std::mutex> lock(mu);
          acked[key] = json::parse(r->body)["id"].get<std::string>();
          break;
        }
        ++retries;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  const proc::StopAndJoin join_on_exit{stop, client};
  auto acked_count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };

  // Kill -9 at varied moments, restart on the same port and store. Each kill
  // lands after the client got a fresh share of acknowledgements since the
  // previous restart, plus a varied delay; the client is still submitting.
  const int kKills = 4;
  for (int k = 0; k < kKills; ++k) {
    const size_t target = acked_count() + 40;
    for (int i = 0; i < 2000 && acked_count() < target; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(3 * k));
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    pid = Spawn(args(std::to_string(port)), log);
    ASSERT_TRUE(WaitHealthy(port)) << "restart " << k << " failed; log: " << log;
  }
  stop = true;
  client.join();
  ASSERT_GE(acked.size(), static_cast<size_t>(kMinJobs));

  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/v1/jobs?limit=100000", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json jobs = json::parse(r->body)["jobs"];
  std::map<std::string, std::vector<std::string>> by_key;
  for (const auto& j : jobs) by_key[j["spec"]["idempotency_key"].get<std::string>()].push_back(j["id"]);
  EXPECT_EQ(by_key.size(), acked.size()) << "jobs in the store that no client key explains";
  for (const auto& [key, id] : acked) {
    ASSERT_EQ(by_key[key].size(), 1u) << key << " stored " << by_key[key].size() << " times";
    EXPECT_EQ(by_key[key][0], id) << key;
  }
  // Admission state is consistent after the restarts: quota 64+64 = 16 gangs run.
  int running = 0;
  for (const auto& j : jobs) running += j["state"] == "running";
  EXPECT_EQ(running, 16);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "graceful stop failed; log: " << log;
  RecordProperty("client_retries", retries.load());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace fungible::server

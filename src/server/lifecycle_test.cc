// The real binary's life cycle: one server per store and per port, a damaged
// store refused at start, prompt stops (during the start-up solve, with an
// idle keep-alive client), bounded memory under chunked uploads, and on
// PostgreSQL a standby taking over from a leader killed with SIGKILL.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "server/auth.h"
#include "server/process_testing.h"
#include "store/pg_testing.h"
#include "store/store.h"

namespace fungible::server {
namespace {

using nlohmann::json;
using proc::Bin;
namespace fs = std::filesystem;

// A scratch directory with a hand-built plan (no solver in the loop).
class Lifecycle : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(!Bin().empty() && fs::exists(Bin()))
        << "no fungible binary at FUNGIBLE_BIN: \"" << Bin() << "\"";
    dir_ = fs::temp_directory_path() / ("fungible-life-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json plan = {{"periods", {{{"start", "2027-01-01T00:00Z"}, {"hours", 24}}}},
                 {"quota_chips", {{"research", {{"h100-sxm", {64}}}}, {"product", {{"h100-sxm", {64}}}}}}};
    std::ofstream(dir_ / "plan.json") << plan.dump();
  }
  void TearDown() override {
    for (pid_t p : children_) {
      kill(p, SIGKILL);
      proc::WaitExit(p, 5);
    }
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::vector<std::string> ServeArgs(const std::string& store, const std::string& port,
                                     const std::string& port_file, bool with_plan = true) const {
    std::vector<std::string> a = {Bin(),
                                  "serve",
                                  std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml",
                                  "--store",
                                  store,
                                  "--port",
                                  port,
                                  "--port-file",
                                  port_file,
                                  "--schedule-interval-ms",
                                  "20"};
    if (with_plan) a.insert(a.end(), {"--quotas", Path("plan.json"), "--clock", "virtual"});
    return a;
  }
  // Starts a server; its port once it wrote it (0 when it did not).
  pid_t Start(const std::vector<std::string>& args, const std::string& log) {
    pid_t pid = proc::Spawn(args, log);
    children_.push_back(pid);
    return pid;
  }
  void Forget(pid_t pid) {
    children_.erase(std::remove(children_.begin(), children_.end(), pid), children_.end());
  }

  fs::path dir_;
  std::vector<pid_t> children_;
};

TEST_F(Lifecycle, SecondServerOnTheSameStoreOrPortExitsWithCode4) {
  const std::string db = Path("state.db");
  pid_t a = Start(ServeArgs(db, "0", Path("a.port")), Path("a.log"));
  const int port = proc::ReadPortFile(Path("a.port"));
  ASSERT_GT(port, 0) << proc::ReadFile(Path("a.log"));
  ASSERT_TRUE(proc::WaitHealth(port));

  pid_t b = Start(ServeArgs(db, "0", Path("b.port")), Path("b.log"));
  int status = proc::WaitExit(b, 10);
  Forget(b);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(Path("b.log"));
  EXPECT_EQ(WEXITSTATUS(status), 4);
  const std::string b_log = proc::ReadFile(Path("b.log"));
  EXPECT_NE(b_log.find("fungible: store sqlite:" + db + " is in use by process " + std::to_string(a) +
                       " (lock file " + db + ".lock); one server per store"),
            std::string::npos)
      << b_log;

  pid_t c = Start(ServeArgs(Path("other.db"), std::to_string(port), Path("c.port")), Path("c.log"));
  status = proc::WaitExit(c, 10);
  Forget(c);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(Path("c.log"));
  EXPECT_EQ(WEXITSTATUS(status), 4);
  EXPECT_NE(proc::ReadFile(Path("c.log")).find("cannot listen on 127.0.0.1:" + std::to_string(port)),
            std::string::npos)
      << proc::ReadFile(Path("c.log"));
  EXPECT_TRUE(proc::WaitHealth(port));  // the first one still answers alone
}

TEST_F(Lifecycle, DamagedStoreIsRefusedAtStart) {
  const std::string db = Path("state.db");
  {
    auto store = store::OpenStore(db);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 300; ++i)  // a few pages of tokens
      ASSERT_TRUE(
          (*store)
              ->PutToken({"t" + std::to_string(i), Sha256Hex(std::to_string(i)), "viewer", "", 0, 0, 0})
              .ok());
  }
  const auto size = fs::file_size(db);
  ASSERT_GE(size, 3u * 4096u);
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2 / 4096 * 4096));
    std::string junk(4096, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  pid_t pid = Start(ServeArgs(db, "0", Path("port")), Path("log"));
  int status = proc::WaitExit(pid, 10);
  Forget(pid);
  const std::string log = proc::ReadFile(Path("log"));
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 4) << log;
  EXPECT_NE(log.find("sqlite:" + db + ": the store is damaged"), std::string::npos) << log;
  EXPECT_NE(log.find("Restore the file from a backup"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(Path("port")));  // never listened
}

// A start-up that fails after the server listens (here: the plan file)
// ends the process with that error's exit code and message.
TEST_F(Lifecycle, FailedStartupExitsWithItsCode) {
  auto args = ServeArgs(Path("state.db"), "0", Path("port"), /*with_plan=*/false);
  args.insert(args.end(), {"--quotas", Path("missing.json")});
  pid_t pid = Start(args, Path("log"));
  int status = proc::WaitExit(pid, 10);
  Forget(pid);
  const std::string log = proc::ReadFile(Path("log"));
  ASSERT_TRUE(WIFEXITED(status)) << log;
  EXPECT_EQ(WEXITSTATUS(status), 2) << log;
  EXPECT_NE(log.find("fungible: " + Path("missing.json") + ": cannot open"), std::string::npos) << log;
}

// SIGTERM while the start-up solve runs (no --quotas: the allocation is
// solved; /healthz says "solving" meanwhile).
TEST_F(Lifecycle, SigtermDuringTheStartupSolveExitsWithinTwoSeconds) {
  auto args = ServeArgs(Path("state.db"), "0", Path("port"), /*with_plan=*/false);
  args.insert(args.end(), {"--from", "2027-01-01T00:00Z", "--window", "720h"});
  pid_t pid = Start(args, Path("log"));
  const int port = proc::ReadPortFile(Path("port"));
  ASSERT_GT(port, 0) << proc::ReadFile(Path("log"));
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(false);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  const bool solving = r->status == 503 && json::parse(r->body)["status"] == "solving";
  if (!solving) std::cerr << "note: the solve ended before the first /healthz: " << r->body << "\n";
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  double elapsed = 0;
  int status = proc::WaitExit(pid, 10, &elapsed);
  Forget(pid);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(Path("log"));
  EXPECT_EQ(WEXITSTATUS(status), 0) << proc::ReadFile(Path("log"));
  EXPECT_LT(elapsed, 2.0);
  RecordProperty("sigterm_exit_ms", static_cast<int>(elapsed * 1000));
  RecordProperty("was_solving", solving ? 1 : 0);
}

TEST_F(Lifecycle, SigtermWithAnIdleKeepAliveClientExitsWithinTwoSeconds) {
  pid_t pid = Start(ServeArgs(Path("state.db"), "0", Path("port")), Path("log"));
  const int port = proc::ReadPortFile(Path("port"));
  ASSERT_GT(port, 0);
  ASSERT_TRUE(proc::WaitHealth(port));
  httplib::Client idle("127.0.0.1", port);
  idle.set_keep_alive(true);
  ASSERT_TRUE(idle.Get("/healthz"));  // the connection stays open, idle
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  double elapsed = 0;
  int status = proc::WaitExit(pid, 10, &elapsed);
  Forget(pid);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(Path("log"));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(elapsed, 2.0);
  RecordProperty("sigterm_exit_ms", static_cast<int>(elapsed * 1000));
}

// `fungible token`: add refuses a taken name (exit 2) unless --replace;
// list shows every field but the secret; rotate prints a new secret;
// revoke of an unknown name exits 2.
TEST_F(Lifecycle, TokenCommandsAndTheirExitCodes) {
  const std::string db = Path("state.db");
  auto token = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {Bin(), "token"});
    args.insert(args.end(), {"--store", db});
    return proc::RunAll(args);
  };
  auto added = token({"add", "--name", "ops", "--role", "admin"});
  ASSERT_EQ(added.exit_code, 0) << added.output;
  const std::string secret = added.output.substr(0, added.output.find('\n'));
  ASSERT_EQ(secret.rfind("fgb_", 0), 0u);
  auto again = token({"add", "--name", "ops", "--role", "admin"});
  EXPECT_EQ(again.exit_code, 2);
  EXPECT_EQ(again.output, "fungible: token \"ops\" exists in sqlite:" + db +
                              "; choose another name, or pass --replace to give it a new secret and role\n");
  auto team =
      token({"add", "--name", "alice", "--role", "team", "--team", "research", "--expires-in", "30d"});
  ASSERT_EQ(team.exit_code, 0) << team.output;
  auto list = token({"list"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_EQ(list.output.find(secret), std::string::npos) << "a secret in the listing";
  EXPECT_EQ(list.output.find(Sha256Hex(secret)), std::string::npos) << "a hash in the listing";
  EXPECT_NE(list.output.find(
                "NAME                 ROLE    TEAM         CREATED            LAST USED          EXPIRES"),
            std::string::npos)
      << list.output;
  EXPECT_NE(list.output.find("alice                team    research"), std::string::npos) << list.output;
  auto rotated = token({"rotate", "--name", "ops"});
  ASSERT_EQ(rotated.exit_code, 0) << rotated.output;
  EXPECT_EQ(rotated.output.rfind("fgb_", 0), 0u);
  EXPECT_NE(rotated.output.substr(0, rotated.output.find('\n')), secret);
  EXPECT_EQ(token({"add", "--name", "ops", "--role", "viewer", "--replace"}).exit_code, 0);
  auto revoked = token({"revoke", "--name", "ops"});
  EXPECT_EQ(revoked.exit_code, 0);
  EXPECT_EQ(revoked.output, "revoked ops\n");
  auto unknown = token({"revoke", "--name", "ops"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.output, "fungible: token \"ops\" not found in sqlite:" + db + "\n");
  auto bad = token({"add", "--name", "x", "--role", "viewer", "--expires-in", "soon"});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--expires-in"), std::string::npos) << bad.output;
}

long RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

// Sends a chunked body of `total` bytes (or until the server stops reading)
// and returns the status line it answered, "" when none.
std::string ChunkedUpload(int port, const std::string& token, size_t total) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head =
      "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n";
  if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
  head += "\r\n";
  send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  const std::string chunk = "10000\r\n" + std::string(0x10000, ' ') + "\r\n";
  for (size_t sent = 0; sent < total; sent += 0x10000)
    if (send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;  // the server closed
  char buf[256] = {0};
  ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
  close(fd);
  std::string got = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  return got.substr(0, got.find("\r\n"));
}

TEST_F(Lifecycle, ChunkedUploadsAreRefusedWithBoundedMemory) {
  const std::string db = Path("state.db");
  const std::string token =
      proc::Capture({Bin(), "token", "add", "--store", db, "--name", "ci", "--role", "admin"});
  ASSERT_EQ(token.rfind("fgb_", 0), 0u);
  pid_t pid = Start(ServeArgs(db, "0", Path("port")), Path("log"));
  const int port = proc::ReadPortFile(Path("port"));
  ASSERT_GT(port, 0);
  ASSERT_TRUE(proc::WaitHealth(port));
  const long before_kb = RssKb(pid);
  const std::string with_token = ChunkedUpload(port, token, 20u << 20);
  EXPECT_EQ(with_token.rfind("HTTP/1.1 413", 0), 0u) << "got: " << with_token;
  for (int i = 0; i < 3; ++i) {
    const std::string anonymous = ChunkedUpload(port, "", 20u << 20);
    EXPECT_EQ(anonymous.rfind("HTTP/1.1 401", 0), 0u) << "got: " << anonymous;
  }
  const long after_kb = RssKb(pid);
  EXPECT_LT(after_kb - before_kb, 16 * 1024) << "RSS grew from " << before_kb << " to " << after_kb << " kB";
  RecordProperty("rss_before_kb", static_cast<int>(before_kb));
  RecordProperty("rss_after_kb", static_cast<int>(after_kb));
  httplib::Client c("127.0.0.1", port);
  auto jobs = c.Get("/v1/jobs", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(jobs);
  EXPECT_EQ(json::parse(jobs->body)["count"], 0);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(proc::WaitExit(pid, 5), 0);
  Forget(pid);
}

// Two servers on one PostgreSQL store: one leads, the other stands by
// (/healthz 503 "standby"); SIGKILL the leader under a submitting client and
// the standby takes over within a few seconds with every acknowledged job
// present exactly once.
TEST_F(Lifecycle, PostgresStandbyTakesOverFromAKilledLeaderLosingNothing) {
  const char* url = std::getenv("FUNGIBLE_PG_URL");
  if (!url || !*url) GTEST_SKIP() << "FUNGIBLE_PG_URL unset: run `eval $(bash scripts/postgres-ci.sh start)`";
  const std::string store = store::IsolatedPostgresUrl(url, "lifecycle_failover");
  const std::string token =
      proc::Capture({Bin(), "token", "add", "--store", store, "--name", "ci", "--role", "admin"});
  ASSERT_EQ(token.rfind("fgb_", 0), 0u) << token;
  pid_t leader = Start(ServeArgs(store, "0", Path("a.port")), Path("a.log"));
  const int port_a = proc::ReadPortFile(Path("a.port"));
  ASSERT_GT(port_a, 0) << proc::ReadFile(Path("a.log"));
  ASSERT_TRUE(proc::WaitHealth(port_a)) << proc::ReadFile(Path("a.log"));
  pid_t standby = Start(ServeArgs(store, "0", Path("b.port")), Path("b.log"));
  const int port_b = proc::ReadPortFile(Path("b.port"));
  ASSERT_GT(port_b, 0) << proc::ReadFile(Path("b.log"));
  {
    httplib::Client c("127.0.0.1", port_b);
    std::string health;
    for (int i = 0; i < 200 && health != "standby"; ++i) {  // after "solving" (the plan file read)
      if (auto r = c.Get("/healthz"); r && r->status == 503) health = json::parse(r->body)["status"];
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(health, "standby");
    auto r = c.Get("/healthz");
    r = c.Post("/v1/jobs", {{"Authorization", "Bearer " + token}}, "{}", "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503);  // a standby never writes
  }

  std::mutex mu;
  std::map<std::string, std::string> acked;  // idempotency key -> job id
  std::atomic<bool> stop{false};
  std::atomic<int> on_b{0};
  std::thread client([&] {
    int port = port_a;
    for (int i = 0; !stop; ++i) {
      const std::string key = "fo-" + std::to_string(i);
      json spec = {{"team", i % 2 ? "research" : "product"},
                   {"idempotency_key", key},
                   {"gang_size_chips", 8},
                   {"chip_types", {"h100-sxm"}},
                   {"expected_duration_s", 36000}};
      while (!stop) {
        httplib::Client c("127.0.0.1", port);
        c.set_connection_timeout(0, 300000);
        c.set_read_timeout(3, 0);
        auto r = c.Post("/v1/jobs", {{"Authorization", "Bearer " + token}}, spec.dump(), "application/json");
        if (r && (r->status == 201 || r->status == 200)) {
          std::lock_guard<std::mutex> lock(mu);
          acked[key] = json::parse(r->body)["id"].get<std::string>();
          if (port == port_b) ++on_b;
          break;
        }
        port = port == port_a ? port_b : port_a;  // try the other server
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  });
  const proc::StopAndJoin join_on_exit{stop, client};
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return acked.size();
  };
  for (int i = 0; i < 1000 && count() < 60; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_GE(count(), 60u);
  ASSERT_EQ(kill(leader, SIGKILL), 0);
  proc::WaitExit(leader, 5);
  Forget(leader);
  const auto killed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(proc::WaitHealth(port_b, 200, 200)) << proc::ReadFile(Path("b.log"));
  const double takeover_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  EXPECT_LT(takeover_s, 5.0);
  RecordProperty("takeover_ms", static_cast<int>(takeover_s * 1000));
  for (int i = 0; i < 1000 && on_b < 40; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  stop = true;
  client.join();
  EXPECT_GE(on_b.load(), 40);

  httplib::Client c("127.0.0.1", port_b);
  auto r = c.Get("/v1/jobs?limit=100000", {{"Authorization", "Bearer " + token}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  std::map<std::string, std::vector<std::string>> by_key;
  const json listed = json::parse(r->body);
  for (const auto& j : listed["jobs"])
    by_key[j["spec"]["idempotency_key"].get<std::string>()].push_back(j["id"]);
  for (const auto& [key, id] : acked) {
    ASSERT_EQ(by_key[key].size(), 1u)
        << key << " (acknowledged as " << id << ") stored " << by_key[key].size() << " times; "
        << by_key.size() << " keys stored, " << acked.size() << " acknowledged";
    EXPECT_EQ(by_key[key][0], id) << key;
  }
  EXPECT_LE(by_key.size(), acked.size() + 1);  // at most the one in flight at the kill
  ASSERT_EQ(kill(standby, SIGTERM), 0);
  EXPECT_EQ(proc::WaitExit(standby, 5), 0);
  Forget(standby);
}

}  // namespace
}  // namespace fungible::server

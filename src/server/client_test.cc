// The command-line client (fungible submit, jobs, describe/explain, cancel,
// logs) against a real `fungible serve` spawned on a free port: submit, list
// across pages, watch a state change, describe, cancel, wait for an outcome,
// and the errors for a refused token, an unreachable server and bad flags,
// with their exit codes (docs/cli.md).
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "server/process_testing.h"

namespace fungible::server {
namespace {

using nlohmann::json;
using proc::Bin;
namespace fs = std::filesystem;

class Client : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Bin().empty() || !fs::exists(Bin())) GTEST_SKIP() << "FUNGIBLE_BIN not built: " << Bin();
    dir_ = fs::temp_directory_path() / ("fungible-client-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    json plan = {{"periods", {{{"start", "2027-01-01T00:00Z"}, {"hours", 24}}}},
                 {"quota_chips", {{"research", {{"h100-sxm", {64}}}}, {"product", {{"h100-sxm", {64}}}}}}};
    std::ofstream(dir_ / "plan.json") << plan.dump();
    const std::string db = Path("state.db");
    for (auto [name, role, team] : {std::tuple{"alice", "team", "research"}, {"root", "admin", ""}}) {
      std::vector<std::string> add = {Bin(), "token", "add", "--store", db, "--name", name, "--role", role};
      if (*team) add.insert(add.end(), {"--team", team});
      tokens_[name] = proc::Capture(add);
      ASSERT_EQ(tokens_[name].rfind("fgb_", 0), 0u) << tokens_[name];
    }
    server_ =
        proc::Spawn({Bin(), "serve", std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml", "--store",
                     db, "--port", "0", "--port-file", Path("port"), "--schedule-interval-ms", "20",
                     "--quotas", Path("plan.json"), "--clock", "virtual"},
                    Path("server.log"));
    const int port = proc::ReadPortFile(Path("port"));
    ASSERT_GT(port, 0) << proc::ReadFile(Path("server.log"));
    ASSERT_TRUE(proc::WaitHealth(port)) << proc::ReadFile(Path("server.log"));
    port_ = port;
    url_ = "http://127.0.0.1:" + std::to_string(port);
  }
  void TearDown() override {
    if (server_ > 0) {
      kill(server_, SIGTERM);
      proc::WaitExit(server_, 10);
    }
    if (!HasFailure() && !dir_.empty()) fs::remove_all(dir_);
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  // The client with a clean environment: no FUNGIBLE_* variables, and a
  // HOME without a config file, plus `env` (NAME=VALUE).
  proc::Run Fungible(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    std::vector<std::string> argv = {"/usr/bin/env",    "-u",
                                     "FUNGIBLE_SERVER", "-u",
                                     "FUNGIBLE_TOKEN",  "-u",
                                     "FUNGIBLE_CONFIG", "-u",
                                     "XDG_CONFIG_HOME", "HOME=" + Path("home")};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(Bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return proc::RunAll(argv);
  }
  // The client as alice (team research) against the test server.
  proc::Run As(const std::string& who, std::vector<std::string> args) {
    args.insert(args.end(), {"--server", url_, "--token", tokens_.at(who)});
    return Fungible(args);
  }
  std::string SubmitOne(const std::string& name) {
    auto r = As("alice", {"submit", "--team", "research", "--chips", "8", "--chip-type", "h100-sxm",
                          "--duration", "1h", "--name", name});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(r.output, m, std::regex("submitted job (j-[0-9]+)"))) << r.output;
    return m.size() > 1 ? m[1].str() : "";
  }

  fs::path dir_;
  pid_t server_ = 0;
  int port_ = 0;
  std::string url_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(Client, SubmitListAcrossPagesDescribeAndCancel) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(SubmitOne("train-" + std::to_string(i)));
  // Pages of two: three requests, every job once, in submission order.
  auto list = As("alice", {"jobs", "--chunk-size", "2", "-o", "json"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  json j = json::parse(list.output);
  std::vector<std::string> listed;
  for (const auto& job : j["jobs"]) listed.push_back(job["id"]);
  EXPECT_EQ(listed, ids);
  // The table, with a header; -o wide has the reason column.
  auto table = As("alice", {"jobs", "--team", "research", "--chunk-size", "3"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind("ID ", 0), 0u) << table.output;
  for (const auto& id : ids) EXPECT_NE(table.output.find(id), std::string::npos) << table.output;
  auto wide = As("alice", {"jobs", "-o", "wide", "--state", "running"});
  ASSERT_EQ(wide.exit_code, 0) << wide.output;
  EXPECT_NE(wide.output.find("CHIP TYPE"), std::string::npos) << wide.output;
  EXPECT_NE(wide.output.find("h100-sxm"), std::string::npos) << wide.output;
  auto none = As("alice", {"jobs", "--team", "product"});
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.output.find("No jobs found."), std::string::npos) << none.output;

  // describe: the job and every decision with its reason; explain is an alias.
  auto d = As("alice", {"describe", ids[0]});
  ASSERT_EQ(d.exit_code, 0) << d.output;
  EXPECT_NE(d.output.find("Job:             " + ids[0]), std::string::npos) << d.output;
  EXPECT_NE(d.output.find("Team:            research"), std::string::npos) << d.output;
  EXPECT_NE(d.output.find("Decisions:"), std::string::npos) << d.output;
  EXPECT_TRUE(std::regex_search(d.output, std::regex("#[0-9]+  admitted +.+"))) << d.output;
  auto e = As("alice", {"explain", ids[0]});
  EXPECT_EQ(e.exit_code, 0);
  EXPECT_EQ(e.output, d.output);

  // cancel (DELETE), then again: the job already ended.
  auto c = As("alice", {"cancel", ids[1]});
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(c.output, "job " + ids[1] + " cancelled\n");
  auto again = As("alice", {"cancel", ids[1]});
  EXPECT_EQ(again.exit_code, 2) << again.output;
  EXPECT_NE(again.output.find("answered 409"), std::string::npos) << again.output;
  auto cancelled = As("alice", {"jobs", "--state", "cancelled", "-o", "json"});
  EXPECT_EQ(json::parse(cancelled.output)["count"], 1) << cancelled.output;

  // An unknown job: exit 2, named.
  auto missing = As("alice", {"describe", "j-99999999"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.output, "fungible: job j-99999999 not found\n");
  EXPECT_EQ(As("alice", {"cancel", "j-99999999"}).exit_code, 2);
  // The sim backend runs nothing: no logs, said plainly.
  auto logs = As("alice", {"logs", ids[0]});
  EXPECT_EQ(logs.exit_code, 2);
  EXPECT_NE(logs.output.find("has no logs: the sim backend runs no processes"), std::string::npos)
      << logs.output;
}

TEST_F(Client, RefusedTokenUnreachableServerAndBadFlagsHaveTheirExitCodes) {
  auto bad = Fungible({"jobs", "--server", url_, "--token", "fgb_not-a-token"});
  EXPECT_EQ(bad.exit_code, 5);
  EXPECT_EQ(bad.output, "fungible: " + url_ +
                            " answered 401: invalid bearer token; the token (from --token) was refused\n");
  auto missing = Fungible({"jobs", "--server", url_});
  EXPECT_EQ(missing.exit_code, 5);
  EXPECT_NE(missing.output.find("missing bearer token; no token given: pass --token, set FUNGIBLE_TOKEN"),
            std::string::npos)
      << missing.output;
  // A team token may not submit for another team: 403, exit 5.
  auto other = As("alice", {"submit", "--team", "product", "--chips", "8"});
  EXPECT_EQ(other.exit_code, 5);
  EXPECT_NE(other.output.find("answered 403: token alice may submit for team research only, not product"),
            std::string::npos)
      << other.output;
  // Nobody listens on port 1.
  auto down = Fungible({"jobs", "--server", "http://127.0.0.1:1", "--token", "x"});
  EXPECT_EQ(down.exit_code, 4);
  EXPECT_NE(down.output.find("fungible: cannot reach the server at http://127.0.0.1:1 ("), std::string::npos)
      << down.output;
  EXPECT_NE(down.output.find("server from --server): is `fungible serve` running there?"), std::string::npos)
      << down.output;
  // Bad flags and bad jobs: exit 2 before or from the server.
  auto format = As("alice", {"jobs", "-o", "yaml"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_EQ(format.output, "fungible: -o: expected json or wide, got \"yaml\"\n");
  auto state = As("alice", {"jobs", "--state", "sleeping"});
  EXPECT_EQ(state.exit_code, 2);
  auto team = As("alice", {"submit", "--chips", "8"});
  EXPECT_EQ(team.exit_code, 2);
  EXPECT_EQ(team.output, "fungible: --team is required (or team: in the job file)\n");
  auto huge = As("alice", {"submit", "--team", "research", "--chips", "9999"});
  EXPECT_EQ(huge.exit_code, 2);
  EXPECT_NE(huge.output.find("answered 400"), std::string::npos) << huge.output;
  auto id = As("alice", {"describe", "../etc"});
  EXPECT_EQ(id.exit_code, 2);
  EXPECT_NE(id.output.find("is not a job id"), std::string::npos);
}

TEST_F(Client, ServerAndTokenFromFlagsThenEnvironmentThenConfigFile) {
  fs::create_directories(Path("home/.config/fungible"));
  std::ofstream(Path("home/.config/fungible/config.yaml"))
      << "server: " << url_ << "\ntoken: " << tokens_["alice"] << "\n";
  // The config file alone.
  auto cfg = Fungible({"jobs", "-o", "json"});
  EXPECT_EQ(cfg.exit_code, 0) << cfg.output;
  // The environment wins over the file...
  auto env = Fungible({"jobs"}, {"FUNGIBLE_SERVER=http://127.0.0.1:1"});
  EXPECT_EQ(env.exit_code, 4);
  EXPECT_NE(env.output.find("server from FUNGIBLE_SERVER"), std::string::npos) << env.output;
  auto env_token = Fungible({"jobs"}, {"FUNGIBLE_TOKEN=fgb_wrong"});
  EXPECT_EQ(env_token.exit_code, 5);
  EXPECT_NE(env_token.output.find("the token (from FUNGIBLE_TOKEN) was refused"), std::string::npos);
  // ...and the flag over the environment.
  auto flag = Fungible({"jobs", "--server", url_}, {"FUNGIBLE_SERVER=http://127.0.0.1:1"});
  EXPECT_EQ(flag.exit_code, 0) << flag.output;
  // FUNGIBLE_CONFIG names another file; a missing one, or an unknown key, is an error.
  std::ofstream(Path("other.yaml")) << "server: " << url_ << "\ntoken: fgb_other\n";
  auto named = Fungible({"jobs"}, {"FUNGIBLE_CONFIG=" + Path("other.yaml")});
  EXPECT_EQ(named.exit_code, 5);
  EXPECT_NE(named.output.find("the token (from " + Path("other.yaml") + ") was refused"), std::string::npos)
      << named.output;
  auto gone = Fungible({"jobs"}, {"FUNGIBLE_CONFIG=" + Path("nope.yaml")});
  EXPECT_EQ(gone.exit_code, 2);
  EXPECT_EQ(gone.output, "fungible: " + Path("nope.yaml") + ": cannot open (named by FUNGIBLE_CONFIG)\n");
  std::ofstream(Path("typo.yaml")) << "server: " << url_ << "\ntokn: x\n";
  auto typo = Fungible({"jobs"}, {"FUNGIBLE_CONFIG=" + Path("typo.yaml")});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_EQ(typo.output,
            "fungible: " + Path("typo.yaml") + ":2:1: unknown key \"tokn\" (expected server, token)\n");
}

TEST_F(Client, WatchSeesAStateChange) {
  const std::string id = SubmitOne("watched");
  const std::string log = Path("watch.log");
  pid_t watch = proc::Spawn({Bin(), "jobs", "--watch", "--watch-for", "20s", "-o", "json", "--team",
                             "research", "--server", url_, "--token", tokens_["alice"]},
                            log);
  // The initial list first (one line per job), then the change.
  for (int i = 0; i < 200 && proc::ReadFile(log).find(id) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(As("alice", {"cancel", id}).exit_code, 0);
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    std::istringstream lines(proc::ReadFile(log));
    for (std::string line; std::getline(lines, line);) {
      json e = json::parse(line, nullptr, false);
      seen |= e.is_object() && e["job"]["id"] == id && e["job"]["state"] == "cancelled";
    }
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(watch, SIGINT);
  const int status = proc::WaitExit(watch, 10);
  EXPECT_TRUE(seen) << proc::ReadFile(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << proc::ReadFile(log);
}

TEST_F(Client, SubmitWaitExitsWithTheOutcome) {
  // Cancelled while waited for: exit 6.
  const std::string log = Path("wait.log");
  pid_t waiter = proc::Spawn({Bin(), "submit", "--wait", "--team", "research", "--chips", "8", "--duration",
                              "1h", "--server", url_, "--token", tokens_["alice"]},
                             log);
  std::smatch m;
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = proc::ReadFile(log);
    if (std::regex_search(text, m, std::regex("submitted job (j-[0-9]+)"))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(m.size(), 2u) << text;
  const std::string id = m[1];
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(As("alice", {"cancel", id}).exit_code, 0);
  int status = proc::WaitExit(waiter, 20);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(log);
  EXPECT_EQ(WEXITSTATUS(status), 6) << proc::ReadFile(log);
  EXPECT_NE(proc::ReadFile(log).find("job " + id + " cancelled"), std::string::npos) << proc::ReadFile(log);

  // Runs to its end when the virtual clock passes its hour: exit 0.
  const std::string log2 = Path("wait2.log");
  waiter = proc::Spawn({Bin(), "submit", "--wait", "--team", "research", "--chips", "8", "--duration", "1h",
                        "--server", url_, "--token", tokens_["alice"]},
                       log2);
  for (int i = 0; i < 200 && proc::ReadFile(log2).find("submitted job") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  httplib::Client c("127.0.0.1", port_);
  auto adv = c.Post("/v1/clock/advance", {{"Authorization", "Bearer " + tokens_["root"]}},
                    R"({"seconds": 7200})", "application/json");
  ASSERT_TRUE(adv);
  ASSERT_EQ(adv->status, 200) << adv->body;
  status = proc::WaitExit(waiter, 20);
  ASSERT_TRUE(WIFEXITED(status)) << proc::ReadFile(log2);
  EXPECT_EQ(WEXITSTATUS(status), 0) << proc::ReadFile(log2);
  EXPECT_TRUE(std::regex_search(proc::ReadFile(log2), std::regex("job j-[0-9]+ succeeded")))
      << proc::ReadFile(log2);
}

// What `submit` sends: the run object from flags (RUNSHAPE), or a job file
// with flags over it. --dry-run sends nothing.
TEST_F(Client, SubmitBuildsTheRunObjectFromFlagsOrAJobFile) {
  auto r = Fungible({"submit",
                     "--dry-run",
                     "--team",
                     "research",
                     "--chips",
                     "8",
                     "--chip-type",
                     "h100-sxm,b200",
                     "--duration",
                     "1h",
                     "--checkpoint-interval",
                     "10m",
                     "--env",
                     "A=1",
                     "--env",
                     "B=x=y",
                     "--workdir",
                     "/w",
                     "--image",
                     "reg/img:1",
                     "--time-limit",
                     "2h",
                     "--signal",
                     "SIGUSR1",
                     "--grace",
                     "60s",
                     "--output",
                     "/w/out-%j.log",
                     "--error",
                     "/w/err-%j.log",
                     "--",
                     "python3",
                     "train.py",
                     "--lr",
                     "3e-4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  json body = json::parse(r.output);
  EXPECT_EQ(body["team"], "research");
  EXPECT_EQ(body["gang_size_chips"], 8);
  EXPECT_EQ(body["chip_types"], json({"h100-sxm", "b200"}));
  EXPECT_EQ(body["expected_duration_s"], 3600);
  EXPECT_EQ(body["checkpoint_interval_s"], 600);
  EXPECT_EQ(body["run"], json({{"command", {"python3", "train.py", "--lr", "3e-4"}},
                               {"env", {{"A", "1"}, {"B", "x=y"}}},
                               {"workdir", "/w"},
                               {"image", "reg/img:1"},
                               {"time_limit_s", 7200},
                               {"preempt_signal", "USR1"},
                               {"grace_s", 60},
                               {"stdout", "/w/out-%j.log"},
                               {"stderr", "/w/err-%j.log"}}));
  std::ofstream(Path("train.sh")) << "#!/bin/bash\necho hi\n";
  std::ofstream(Path("job.yaml"))
      << "team: research\ngang_size_chips: 4\nname: \"007\"\nrun:\n  command: [sleep, 1]\n"
         "  env: {N: \"1\"}\n";
  r = Fungible(
      {"submit", "--dry-run", "-f", Path("job.yaml"), "--script", Path("train.sh"), "--priority", "3"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  body = json::parse(r.output);
  EXPECT_EQ(body["gang_size_chips"], 4);
  EXPECT_EQ(body["name"], "007");
  EXPECT_EQ(body["priority"], 3);
  EXPECT_EQ(body["run"], json({{"script", "#!/bin/bash\necho hi\n"}, {"env", {{"N", "1"}}}}));
  r = Fungible({"submit", "--dry-run", "--team", "t", "--env", "NOEQUALS"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "fungible: --env NOEQUALS: expected KEY=VALUE\n");
  r = Fungible({"submit", "--dry-run", "--team", "t", "--time-limit", "soon"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output.rfind("fungible: --time-limit: ", 0), 0u) << r.output;
  r = Fungible({"submit", "--dry-run", "-f", Path("missing.yaml")});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output, "fungible: " + Path("missing.yaml") + ": cannot open\n");
}

}  // namespace
}  // namespace fungible::server

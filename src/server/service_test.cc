// The HTTP API in-process: every role against every endpoint, malformed
// input, limits, idempotency, audit, metrics and recovery from the store.
#include "server/service.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <pqxx/pqxx>
#include <regex>
#include <stdexcept>
#include <thread>

#include "orchestrate/sim_backend.h"
#include "server/auth.h"
#include "store/pg_testing.h"
#include "util/status_matchers.h"

namespace fungible::server {
namespace {

using nlohmann::json;
using orchestrate::ClusterInfo;
using orchestrate::QuotaPlan;

constexpr UtcSeconds kT0 = 1798761600;  // 2027-01-01T00:00Z

ClusterInfo Cluster() {
  ClusterInfo c;
  c.pools = {{"h100-a", "h100-sxm", "nvidia", "hopper", 16, 8}, {"tpu-a", "tpu-v6e", "google", "v6e", 8, 4}};
  return c;
}

QuotaPlan Plan() {
  QuotaPlan p;
  p.period_starts = {kT0, kT0 + 12 * 3600};
  p.period_hours = {12, 12};
  p.quota_chips["research"]["h100-sxm"] = {8, 8};
  p.quota_chips["product"]["h100-sxm"] = {8, 8};
  p.quota_chips["research"]["tpu-v6e"] = {4, 4};
  p.quota_chips["product"]["tpu-v6e"] = {4, 4};
  return p;
}

std::string TempDb(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / ("fungible-service-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = dir / (name + ".db");
  std::filesystem::remove(path);
  return path.string();
}

// One running service on a free loopback port with four tokens.
class Harness {
 public:
  explicit Harness(const std::string& db, ServiceOptions options = {})
      : db_(db), clock_(kT0), backend_(clock_) {
    // Failures here throw: gtest reports them as the test's failure, not a crash.
    auto s = store::OpenStore(db);
    if (!s.ok()) throw std::runtime_error("opening the store: " + s.status().ToString());
    store_ = std::move(s).value();
    for (auto [name, role, team] : {std::tuple{"viewer", "viewer", ""},
                                    {"alice", "team", "research"},
                                    {"bob", "team", "product"},
                                    {"root", "admin", ""}}) {
      auto t = AddToken(*store_, name, role, team, 0, /*replace=*/true);
      if (!t.ok()) throw std::runtime_error("adding a token: " + t.status().ToString());
      tokens_[name] = *t;
    }
    scheduler_ = std::make_unique<orchestrate::Scheduler>(Cluster(), Plan(), backend_, clock_);
    options.port = 0;
    options.schedule_interval_ms = 50;
    // PostgreSQL: a previous harness's advisory lock goes when its session
    // has ended, a moment after its connection closed: wait for it.
    options.standby = db.rfind("postgres", 0) == 0;
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    service_ = std::make_unique<Service>(*scheduler_, *store_, &clock_, nullptr, json{{"name", "test"}},
                                         options, log);
    Status st = service_->Start();
    if (!st.ok()) throw std::runtime_error("starting the service: " + st.ToString());
    // Start() returns while the start-up thread recovers; wait for it.
    for (int i = 0; i < 5000 && !service_->serving(); ++i) usleep(1000);
    EXPECT_TRUE(service_->serving());
    client_ = std::make_unique<httplib::Client>("127.0.0.1", service_->port());
  }
  ~Harness() { service_->Stop(); }

  struct Reply {
    int status = 0;
    json body;
    std::string text;
  };
  Reply Call(const std::string& method, const std::string& path, const std::string& token,
             const std::string& body = "", httplib::Headers headers = {}) {
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    httplib::Result r = method == "GET"      ? client_->Get(path.c_str(), headers)
                        : method == "DELETE" ? client_->Delete(path.c_str(), headers)
                                             : client_->Post(path.c_str(), headers, body, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.text = r->body;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  std::string Token(const std::string& name) { return tokens_.at(name); }
  std::vector<std::pair<std::string, std::string>> Routes() const { return service_->Routes(); }
  int port() const { return service_->port(); }
  const std::string& db() const { return db_; }
  std::string Submit(const std::string& token, const json& spec, int expect = 201) {
    Reply r = Call("POST", "/v1/jobs", token, spec.dump());
    EXPECT_EQ(r.status, expect) << r.text;
    return r.body.is_object() && r.body.contains("id") ? r.body["id"].get<std::string>() : "";
  }

 private:
  std::string db_;
  orchestrate::VirtualClock clock_;
  orchestrate::SimBackend backend_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<orchestrate::Scheduler> scheduler_;
  std::unique_ptr<Service> service_;
  std::unique_ptr<httplib::Client> client_;
  std::map<std::string, std::string> tokens_;
};

json Gang(const std::string& team, int chips, const std::string& key = "") {
  json j = {{"team", team},
            {"gang_size_chips", chips},
            {"chip_types", {"h100-sxm"}},
            {"expected_duration_s", 3600}};
  if (!key.empty()) j["idempotency_key"] = key;
  return j;
}

// A TCP connection to the service on loopback; -1 on failure.
int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

// Sends raw bytes, then reads until the server closes the connection (or 3 s
// pass: `closed` false). Returns what the server sent.
std::string RawExchange(int port, const std::string& bytes, bool* closed) {
  int fd = Connect(port);
  if (fd < 0) return "";
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  *closed = false;
  while (true) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      got.append(buf, static_cast<size_t>(n));
      continue;
    }
    *closed = n == 0 || errno == ECONNRESET;
    break;
  }
  close(fd);
  return got;
}

// Tokens served, reported by a gateway, are stored durably for the ledger; a
// job's `run` comes back in its JSON.
TEST(ServiceUsage, TokenReportsAreStoredAndRefusedWithTheField) {
  const std::string db = TempDb("usage");
  {
    Harness h(db);
    json report = {{"model", "llama-70b"},
                   {"team", "product"},
                   {"pool", "h100"},
                   {"from", "2027-01-01T00:00:00Z"},
                   {"to", "2027-01-01T01:00:00Z"},
                   {"input_tokens", 1000},
                   {"output_tokens", 400},
                   {"cached_input_tokens", 100}};
    auto r = h.Call("POST", "/v1/usage/tokens", h.Token("bob"), report.dump());
    ASSERT_EQ(r.status, 201) << r.text;
    EXPECT_EQ(r.body["reported_by"], "bob");
    EXPECT_EQ(r.body["to"], "2027-01-01T01:00:00Z");
    report["output_tokens"] = 500;  // the same interval again: replaces
    EXPECT_EQ(h.Call("POST", "/v1/usage/tokens", h.Token("root"), report.dump()).status, 201);
    r = h.Call("POST", "/v1/usage/tokens", h.Token("alice"), report.dump());
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body["error"]["message"], "token alice may report usage for team research only, not product");
    EXPECT_EQ(h.Call("POST", "/v1/usage/tokens", h.Token("viewer"), report.dump()).status, 403);
    json bad = report;
    bad["cached_input_tokens"] = 5000;
    r = h.Call("POST", "/v1/usage/tokens", h.Token("bob"), bad.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["error"]["message"], "cached_input_tokens: 5000 is more than input_tokens 1000");
    bad = report;
    bad["to"] = "2027-01-01T00:00:00Z";
    EXPECT_EQ(h.Call("POST", "/v1/usage/tokens", h.Token("bob"), bad.dump()).body["error"]["message"],
              "to: must be after from");
    bad = report;
    bad.erase("model");
    EXPECT_EQ(h.Call("POST", "/v1/usage/tokens", h.Token("bob"), bad.dump()).body["error"]["message"],
              "model: required");

    json job = Gang("research", 8);
    job["run"] = {{"command", {"python3", "train.py"}}, {"env", {{"A", "b"}}}, {"grace_s", 5}};
    auto id = h.Submit(h.Token("alice"), job);
    auto got = h.Call("GET", "/v1/jobs/" + id, h.Token("viewer"));
    EXPECT_EQ(got.body["spec"]["run"]["command"], json({"python3", "train.py"})) << got.text;
    job["run"] = {{"command", {"x"}}, {"workdir", "rel"}};
    r = h.Call("POST", "/v1/jobs", h.Token("alice"), job.dump());
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body["error"]["message"], "run.workdir: expected an absolute path, got \"rel\"");
  }
  auto store = store::OpenStore(db);
  ASSERT_TRUE(store.ok());
  auto usage = (*store)->LoadTokenUsage(0, kT0 + 10 * 365 * 86400LL);
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  ASSERT_EQ(usage->size(), 1u);
  EXPECT_EQ((*usage)[0].output_tokens, 500);
  EXPECT_EQ((*usage)[0].reported_by, "root");
  EXPECT_EQ((*usage)[0].pool, "h100");
}

TEST(Service, EveryRoleAgainstEveryEndpoint) {
  Harness h(TempDb("roles"));
  // A job of each team to address.
  std::string research_job = h.Submit(h.Token("alice"), Gang("research", 1));
  std::string product_job = h.Submit(h.Token("bob"), Gang("product", 1));
  struct Case {
    std::string method, path, body;
    std::map<std::string, int> expect;  // caller -> status; "none" = no token, "bad" = wrong token
  };
  auto all = [](int none, int viewer, int alice, int admin) {
    return std::map<std::string, int>{{"none", none},
                                      {"bad", none == 200 ? 200 : 401},
                                      {"viewer", viewer},
                                      {"alice", alice},
                                      {"root", admin}};
  };
  std::vector<Case> cases = {
      {"GET", "/healthz", "", all(200, 200, 200, 200)},
      {"GET", "/openapi.json", "", all(200, 200, 200, 200)},
      {"GET", "/metrics", "", all(401, 200, 200, 200)},
      {"GET", "/v1/fleet", "", all(401, 200, 200, 200)},
      {"GET", "/v1/pools", "", all(401, 200, 200, 200)},
      {"GET", "/v1/quotas", "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs", "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs/" + research_job, "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs/" + research_job + "/decisions", "", all(401, 200, 200, 200)},
      {"POST", "/v1/jobs", Gang("research", 1).dump(), all(401, 403, 201, 201)},
      {"POST", "/v1/jobs", Gang("product", 1).dump(), all(401, 403, 403, 201)},
      {"GET", "/v1/watch?timeout_s=0", "", all(401, 200, 200, 200)},
      {"POST", "/v1/jobs/" + product_job + "/cancel", "", all(401, 403, 403, 200)},
      {"POST", "/v1/pools/tpu-a/down", "", all(401, 403, 403, 200)},
      {"POST", "/v1/pools/tpu-a/up", "", all(401, 403, 403, 200)},
      {"POST", "/v1/schedule", "", all(401, 403, 403, 200)},
      {"POST", "/v1/clock/advance", R"({"seconds": 1})", all(401, 403, 403, 200)},
      {"POST", "/v1/quotas/resolve", "", all(401, 403, 403, 400)},  // no plan source in this harness
      {"GET", "/v1/audit", "", all(401, 403, 403, 200)},
  };
  for (const auto& c : cases) {
    for (const auto& [who, want] : c.expect) {
      std::string token = who == "none" ? "" : who == "bad" ? "fgb_not-a-token" : h.Token(who);
      auto r = h.Call(c.method, c.path, token, c.body);
      EXPECT_EQ(r.status, want) << who << " " << c.method << " " << c.path << " -> " << r.text;
      if (r.status >= 400) {
        ASSERT_TRUE(r.body.is_object()) << r.text;
        EXPECT_TRUE(r.body["error"]["message"].is_string()) << r.text;
      }
    }
  }
  // A team cancels its own job but not another team's.
  std::string own = h.Submit(h.Token("alice"), Gang("research", 1));
  EXPECT_EQ(h.Call("POST", "/v1/jobs/" + own + "/cancel", h.Token("alice")).status, 200);
  std::string other = h.Submit(h.Token("bob"), Gang("product", 1));
  auto denied = h.Call("POST", "/v1/jobs/" + other + "/cancel", h.Token("alice"));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.body["error"]["status"], "permission_denied");
}

TEST(Service, MalformedOversizedAndUnknownInputGetJson4xx) {
  ServiceOptions o;
  o.max_body_bytes = 1024;
  Harness h(TempDb("malformed"), o);
  const std::string t = h.Token("alice");
  auto r = h.Call("POST", "/v1/jobs", t, "{\"team\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["message"], "body: malformed JSON");
  r = h.Call("POST", "/v1/jobs", t, "[1,2]");
  EXPECT_EQ(r.status, 400);
  r = h.Call("POST", "/v1/jobs", t, "");
  EXPECT_EQ(r.status, 400);
  r = h.Call("POST", "/v1/jobs", t, R"({"team": "research", "gang_size_chips": 2, "colour": "red"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["message"], "colour: unknown field");
  r = h.Call("POST", "/v1/jobs", t, R"({"team": "research", "gang_size_chips": "two"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body["error"]["message"], "gang_size_chips: expected an integer");
  r = h.Call("POST", "/v1/jobs", t, R"({"team": "research", "gang_size_chips": 999})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("largest acceptable pool"), std::string::npos);
  json big = Gang("research", 1);
  big["name"] = std::string(4000, 'x');
  r = h.Call("POST", "/v1/jobs", t, big.dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error"]["status"], "payload_too_large");
  r = h.Call("GET", "/v1/nothing-here", t);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["status"], "not_found");
  r = h.Call("GET", "/v1/jobs/j-99999999", t);
  EXPECT_EQ(r.status, 404);
  r = h.Call("GET", "/v1/jobs?state=sleeping", t);
  EXPECT_EQ(r.status, 400);
  r = h.Call("GET", "/v1/jobs?limit=-3", t);
  EXPECT_EQ(r.status, 400);
  r = h.Call("POST", "/v1/clock/advance", h.Token("root"), R"({"seconds": -5})");
  EXPECT_EQ(r.status, 400);
  r = h.Call("POST", "/v1/pools/mars/down", h.Token("root"));
  EXPECT_EQ(r.status, 404);
  r = h.Call("GET", "/v1/jobs", "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["message"], "missing bearer token");
  r = h.Call("GET", "/v1/jobs", "wrong");
  EXPECT_EQ(r.body["error"]["message"], "invalid bearer token");
  httplib::Headers basic = {{"Authorization", "Basic dXNlcjpwYXNz"}};
  r = h.Call("GET", "/v1/jobs", "", "", basic);
  EXPECT_EQ(r.status, 401);
}

TEST(Service, IdempotentSubmitAndAdmission) {
  Harness h(TempDb("idem"));
  const std::string t = h.Token("alice");
  auto first = h.Call("POST", "/v1/jobs", t, Gang("research", 8, "k-1").dump());
  ASSERT_EQ(first.status, 201) << first.text;
  EXPECT_EQ(first.body["state"], "running");  // admitted in the same pass, before the answer
  EXPECT_EQ(first.body["pool"], "h100-a");
  auto again = h.Call("POST", "/v1/jobs", t, Gang("research", 8, "k-1").dump());
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body["id"], first.body["id"]);
  auto header_key = h.Call("POST", "/v1/jobs", t, Gang("research", 8).dump(), {{"Idempotency-Key", "k-1"}});
  EXPECT_EQ(header_key.status, 200);
  auto conflict = h.Call("POST", "/v1/jobs", t, Gang("research", 4, "k-1").dump());
  EXPECT_EQ(conflict.status, 409);
  auto list = h.Call("GET", "/v1/jobs?team=research", t);
  EXPECT_EQ(list.body["count"], 1);
  // Explain: the decisions say why.
  auto ex = h.Call("GET", "/v1/jobs/" + first.body["id"].get<std::string>() + "/decisions", t);
  ASSERT_EQ(ex.status, 200);
  ASSERT_GE(ex.body["decisions"].size(), 2u);
  EXPECT_EQ(ex.body["decisions"][1]["action"], "admitted");
  EXPECT_NE(ex.body["decisions"][1]["reason"].get<std::string>().find("within quota"), std::string::npos);
}

TEST(Service, VirtualClockDrivesCompletionAndPoolFailure) {
  Harness h(TempDb("clock"));
  const std::string admin = h.Token("root");
  json spec = Gang("research", 4);
  spec["chip_types"] = {"tpu-v6e"};
  spec["checkpoint_interval_s"] = 600;
  std::string id = h.Submit(h.Token("alice"), spec);
  EXPECT_EQ(h.Call("POST", "/v1/clock/advance", admin, R"({"seconds": 1000})").status, 200);
  auto down = h.Call("POST", "/v1/pools/tpu-a/down", admin, R"({"reason": "rack power"})");
  ASSERT_EQ(down.status, 200) << down.text;
  auto job = h.Call("GET", "/v1/jobs/" + id, admin);
  EXPECT_EQ(job.body["state"], "queued");
  EXPECT_EQ(job.body["done_s"], 600);
  EXPECT_EQ(h.Call("POST", "/v1/pools/tpu-a/up", admin).status, 200);
  job = h.Call("GET", "/v1/jobs/" + id, admin);
  EXPECT_EQ(job.body["state"], "running");
  EXPECT_EQ(h.Call("POST", "/v1/clock/advance", admin, R"({"seconds": 7200})").status, 200);
  job = h.Call("GET", "/v1/jobs/" + id, admin);
  EXPECT_EQ(job.body["state"], "succeeded");
  auto metrics = h.Call("GET", "/metrics", admin);
  EXPECT_NE(metrics.text.find("fungible_failure_requeues_total 1"), std::string::npos) << metrics.text;
  EXPECT_NE(metrics.text.find("fungible_completions_total 1"), std::string::npos);
  EXPECT_NE(metrics.text.find("fungible_team_quota_chips{team=\"research\",chip_type=\"tpu-v6e\"} 4"),
            std::string::npos);
  EXPECT_NE(metrics.text.find("fungible_pool_utilization{pool=\"tpu-a\"} 0.000000"), std::string::npos);
}

TEST(Service, AuditRecordsEveryMutationIncludingRefusals) {
  Harness h(TempDb("audit"));
  h.Submit(h.Token("alice"), Gang("research", 1));
  h.Call("POST", "/v1/jobs", h.Token("viewer"), Gang("research", 1).dump());  // 403
  h.Call("POST", "/v1/jobs", "", Gang("research", 1).dump());                 // 401
  h.Call("POST", "/v1/jobs", h.Token("alice"), "{bad");                       // 400
  h.Call("POST", "/v1/schedule", h.Token("root"));
  auto audit = h.Call("GET", "/v1/audit?limit=50", h.Token("root"));
  ASSERT_EQ(audit.status, 200);
  std::multiset<std::pair<std::string, int>> seen;
  for (const auto& e : audit.body["audit"])
    seen.insert({e["principal"].get<std::string>(), e["http_status"].get<int>()});
  EXPECT_EQ(seen.count({"alice", 201}), 1u);
  EXPECT_EQ(seen.count({"viewer", 403}), 1u);
  EXPECT_EQ(seen.count({"-", 401}), 1u);
  EXPECT_EQ(seen.count({"alice", 400}), 1u);
  EXPECT_EQ(seen.count({"root", 200}), 1u);
  EXPECT_EQ(audit.body["audit"].size(), 5u);  // GETs are not audited
}

TEST(Service, RateLimitAnswers429) {
  ServiceOptions o;
  o.rate_limit_per_s = 0.001;
  o.rate_limit_burst = 3;
  Harness h(TempDb("rate"), o);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(h.Call("GET", "/v1/jobs", h.Token("viewer")).status, 200);
  auto r = h.Call("GET", "/v1/jobs", h.Token("viewer"));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body["error"]["status"], "rate_limited");
  EXPECT_EQ(h.Call("GET", "/v1/jobs", h.Token("root")).status, 200);  // per principal
  // A refused mutation is audited, 429 included.
  for (int i = 0; i < 3; ++i) h.Call("POST", "/v1/schedule", h.Token("alice"));
  EXPECT_EQ(h.Call("POST", "/v1/jobs", h.Token("alice"), Gang("research", 1).dump()).status, 429);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the audit entry's commit
  auto audit = h.Call("GET", "/v1/audit?limit=50", h.Token("root"));
  int refused = 0;
  for (const auto& e : audit.body["audit"]) refused += e["http_status"] == 429 && e["principal"] == "alice";
  EXPECT_EQ(refused, 1) << audit.text;
}

// Framing and routing are checked before any body byte is read; every
// refusal that leaves bytes unread, and every malformed request, closes
// the connection.
TEST(Service, MalformedFramingMethodAndMediaTypeAreRefusedAndClosed) {
  ServiceOptions o;
  o.max_body_bytes = 1024;
  Harness h(TempDb("framing"), o);
  const std::string auth = "Authorization: Bearer " + h.Token("root") + "\r\n";
  struct Case {
    std::string request;
    int status;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}",
       400, "more than one Content-Length header"},
      {"GARBAGE\r\n\r\n", 400, "malformed request"},
      {"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
       415, "expected application/json"},
      {"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{",
       413, "larger than the limit of 1024 bytes"},
      {"POST /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth +
           "Content-Type: application/json\r\nTransfer-Encoding: gzip\r\n\r\n",
       400, "only a single \\\"chunked\\\""},
      {"GET /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 3\r\n\r\nabc", 400,
       "GET requests take no body"},
      {"DELETE /v1/jobs HTTP/1.1\r\nHost: x\r\n" + auth + "Content-Length: 3\r\n\r\nabc", 405,
       "DELETE is not allowed on /v1/jobs (allowed: GET, POST)"},
  };
  for (const auto& c : cases) {
    bool closed = false;
    std::string got = RawExchange(h.port(), c.request, &closed);
    EXPECT_EQ(got.rfind("HTTP/1.1 " + std::to_string(c.status) + " ", 0), 0u) << c.request << "\n---\n"
                                                                              << got;
    EXPECT_NE(got.find(c.message_part), std::string::npos) << got;
    EXPECT_TRUE(closed) << "connection left open after: " << c.request;
  }
  // 405 without a body keeps the connection and names what is allowed.
  auto r = h.Call("GET", "/v1/schedule", h.Token("root"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.body["error"]["status"], "method_not_allowed");
  // The 413 is in the audit log.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto audit = h.Call("GET", "/v1/audit?limit=50", h.Token("root"));
  int too_large = 0;
  for (const auto& e : audit.body["audit"]) too_large += e["http_status"] == 413;
  EXPECT_EQ(too_large, 1) << audit.text;
}

// A chunked body is counted as it arrives: 413 at the limit, whoever sends
// it; without credentials the body is never read (401).
TEST(Service, ChunkedBodyOverTheLimitIs413AndUnauthenticatedBodiesAreNotRead) {
  ServiceOptions o;
  o.max_body_bytes = 4096;
  Harness h(TempDb("chunked"), o);
  auto chunked = [&](const std::string& token) {
    std::string req =
        "POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n";
    if (!token.empty()) req += "Authorization: Bearer " + token + "\r\n";
    req += "\r\n";
    const std::string piece(1000, ' ');
    for (int i = 0; i < 20; ++i) req += "3e8\r\n" + piece + "\r\n";  // 20 000 bytes, never terminated
    return req;
  };
  bool closed = false;
  std::string got = RawExchange(h.port(), chunked(h.Token("root")), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 413 ", 0), 0u) << got;
  EXPECT_TRUE(closed);
  got = RawExchange(h.port(), chunked(""), &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 401 ", 0), 0u) << got;
  EXPECT_TRUE(closed);
  EXPECT_EQ(h.Call("GET", "/v1/jobs", h.Token("root")).body["count"], 0);
}

// A connection holds no worker thread: 64 idle connections and 16 clients
// trickling a header one byte per second, against 4 workers, while /healthz
// and submissions keep being answered (each before a 5 s client deadline;
// the worst latency is recorded, not asserted). With one thread per
// connection, 80 connections on 4 threads left nothing to answer them.
TEST(Service, IdleAndSlowClientsDoNotStallRequests) {
  ServiceOptions o;
  o.http_threads = 4;
  o.keep_alive_timeout_s = 30;  // the idle and slow clients stay for the whole test
  o.read_timeout_s = 30;
  Harness h(TempDb("idle"), o);
  std::vector<int> idle;
  for (int i = 0; i < 64; ++i) {
    int fd = Connect(h.port());
    ASSERT_GE(fd, 0);
    idle.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::vector<int> slow;
  std::vector<std::thread> tricklers;
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(100, 'a');
  for (int i = 0; i < 16; ++i) {
    int fd = Connect(h.port());
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
    tricklers.emplace_back([fd, &header, &done] {
      for (size_t k = 0; k < header.size() && !done; ++k) {
        send(fd, &header[k], 1, MSG_NOSIGNAL);
        for (int w = 0; w < 10 && !done; ++w) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // all accepted, slow ones mid-header
  double worst_ms = 0;
  for (int i = 0; i < 20; ++i) {
    httplib::Client c("127.0.0.1", h.port());
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(5, 0);
    auto t0 = std::chrono::steady_clock::now();
    auto r = c.Get("/healthz");
    ASSERT_TRUE(r) << "no answer to /healthz within 5 s, round " << i;
    EXPECT_EQ(r->status, 200);
    auto r2 = c.Post("/v1/jobs", {{"Authorization", "Bearer " + h.Token("alice")}},
                     Gang("research", 1, "idle-" + std::to_string(i)).dump(), "application/json");
    ASSERT_TRUE(r2) << "no answer to a submission within 5 s, round " << i;
    EXPECT_EQ(r2->status, 201) << r2->body;
    worst_ms = std::max(
        worst_ms,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // The slow clients were held, not dropped, all along: nothing to read yet.
  for (int fd : slow) {
    char c = 0;
    EXPECT_EQ(recv(fd, &c, 1, MSG_DONTWAIT), -1);
    EXPECT_EQ(errno, EAGAIN);
  }
  RecordProperty("worst_request_ms", static_cast<int>(worst_ms));
  std::printf("worst request with 64 idle and 16 slow clients: %.1f ms\n", worst_ms);
  done = true;
  for (auto& t : tricklers) t.join();
  for (int fd : idle) close(fd);
  for (int fd : slow) close(fd);
}

// A header trickled for longer than its deadline gets 408 and the
// connection is closed, however regularly its bytes arrive.
TEST(Service, TrickledHeaderGets408AtItsDeadline) {
  ServiceOptions o;
  o.read_timeout_s = 1;
  Harness h(TempDb("trickle"), o);
  int fd = Connect(h.port());
  ASSERT_GE(fd, 0);
  std::string got;
  std::atomic<bool> closed{false};
  std::thread reader([&] {
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    closed = n == 0 || errno == ECONNRESET;
  });
  // One byte every 100 ms, an endless header, for at most 10 s.
  const std::string start = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ";
  send(fd, start.data(), start.size(), MSG_NOSIGNAL);
  for (int i = 0; i < 100 && !closed; ++i) {
    send(fd, "a", 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  shutdown(fd, SHUT_RDWR);
  reader.join();
  close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 408 ", 0), 0u) << got;
  EXPECT_NE(got.find("the request header did not arrive within 1 s"), std::string::npos) << got;
  EXPECT_TRUE(closed);
}

// A client that sends its request and then half-closes (shutdown(SHUT_WR))
// still reads the whole answer.
TEST(Service, RequestFollowedByHalfCloseGetsItsAnswer) {
  Harness h(TempDb("halfclose"));
  auto half_closed = [&](const std::string& request) {
    int fd = Connect(h.port());
    EXPECT_GE(fd, 0);
    send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    shutdown(fd, SHUT_WR);
    std::string got;
    char buf[4096];
    ssize_t n;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    close(fd);
    return got;
  };
  std::string got = half_closed("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
  EXPECT_NE(got.find(R"({"status":"ok"})"), std::string::npos) << got;
  const std::string body = Gang("research", 1, "half-close").dump();
  got = half_closed("POST /v1/jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + h.Token("alice") +
                    "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body);
  EXPECT_EQ(got.rfind("HTTP/1.1 201 ", 0), 0u) << got;
  const json job = json::parse(got.substr(got.find("\r\n\r\n") + 4), nullptr, false);
  ASSERT_TRUE(job.is_object() && job["id"].is_string()) << got;
  EXPECT_EQ(job["state"], "running");
  // Acknowledged means stored: the job is there.
  EXPECT_EQ(h.Call("GET", "/v1/jobs/" + job["id"].get<std::string>(), h.Token("viewer")).status, 200);
}

// A malformed request on a kept-alive connection is answered 400 and the
// connection closed (what follows it is never parsed as a request).
TEST(Service, MalformedRequestAfterAGoodOneClosesTheConnection) {
  Harness h(TempDb("malformed-keepalive"));
  bool closed = false;
  std::string got = RawExchange(h.port(),
                                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                "GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"
                                "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                                &closed);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 ", 0), 0u) << got;
  const size_t second = got.find("HTTP/1.1 400 ");
  ASSERT_NE(second, std::string::npos) << got;
  EXPECT_NE(got.find("malformed request", second), std::string::npos) << got;
  EXPECT_EQ(got.find("HTTP/1.1", second + 1), std::string::npos) << "answered after the malformed request";
  EXPECT_TRUE(closed);
}

// `fungible token revoke` / `rotate` write the store; the running server
// refuses the old secret within a second.
TEST(Service, RevokedAndRotatedTokensAreRefusedWithinASecond) {
  Harness h(TempDb("tokens"));
  auto cli = store::OpenStore(h.db());  // what the CLI does: its own connection
  ASSERT_TRUE(cli.ok());
  auto refused_within = [&](const std::string& token) {
    auto t0 = std::chrono::steady_clock::now();
    while (h.Call("GET", "/v1/jobs", token).status != 401) {
      if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(3)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  ASSERT_EQ(h.Call("GET", "/v1/jobs", h.Token("alice")).status, 200);
  ASSERT_TRUE(RevokeToken(**cli, "alice").ok());
  EXPECT_LT(refused_within(h.Token("alice")), 1000.0);
  EXPECT_EQ(RevokeToken(**cli, "alice").code(), StatusCode::kNotFound);

  ASSERT_EQ(h.Call("GET", "/v1/jobs", h.Token("root")).status, 200);
  auto fresh = RotateToken(**cli, "root");
  ASSERT_TRUE(fresh.ok());
  EXPECT_LT(refused_within(h.Token("root")), 1000.0);
  EXPECT_EQ(h.Call("GET", "/v1/audit", *fresh).status, 200);  // same name, same role

  // Adding an existing name is refused unless replacing.
  EXPECT_THAT(AddToken(**cli, "bob", "team", "product"),
              StatusIs(StatusCode::kInvalidArgument, ::testing::HasSubstr("token \"bob\" exists")));
  EXPECT_TRUE(AddToken(**cli, "bob", "team", "product", 0, /*replace=*/true).ok());
  // Last use is recorded.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto tokens = (*cli)->LoadTokens();
  ASSERT_TRUE(tokens.ok());
  for (const auto& t : *tokens) {
    if (t.name == "viewer") {
      EXPECT_EQ(t.last_used_at, 0);
    }
    if (t.name == "root") {
      EXPECT_GT(t.last_used_at, 0);
    }
  }
}

// The service listens before its scheduler exists: /healthz says "solving"
// (503) and every other endpoint answers 503 with Retry-After.
TEST(Service, ListensAtOnceAndRefusesWritesUntilTheFirstPlan) {
  const std::string db = TempDb("solving");
  auto s = store::OpenStore(db);
  ASSERT_TRUE(s.ok());
  auto root = AddToken(**s, "root", "admin", "");
  ASSERT_TRUE(root.ok());
  orchestrate::VirtualClock clock(kT0);
  orchestrate::SimBackend backend(clock);
  orchestrate::Scheduler scheduler(Cluster(), Plan(), backend, clock);
  std::promise<void> release;
  auto released = release.get_future().share();
  ServiceOptions o;
  o.port = 0;
  auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  Service service(
      [&]() -> StatusOr<Serving> {
        released.wait();
        return Serving{&scheduler, &clock};
      },
      **s, nullptr, json::object(), o, log, nullptr);
  struct ReleaseOnExit {  // however the test ends, prepare returns before ~Service
    std::promise<void>& p;
    bool done = false;
    void Now() {
      if (!done) p.set_value();
      done = true;
    }
    ~ReleaseOnExit() { Now(); }
  } release_on_exit{release};
  ASSERT_TRUE(service.Start().ok());
  httplib::Client c("127.0.0.1", service.port());
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json::parse(r->body)["status"], "solving");
  r = c.Post("/v1/jobs", {{"Authorization", "Bearer " + *root}}, Gang("research", 1).dump(),
             "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  release_on_exit.Now();
  for (int i = 0; i < 5000 && !service.serving(); ++i) usleep(1000);
  r = c.Get("/healthz");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "ok");
  service.Stop();
}

// One server per SQLite store; one server per port.
TEST(Service, SecondServiceOnTheSameStoreOrPortIsRefused) {
  Harness h(TempDb("owner"));
  auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  orchestrate::VirtualClock clock(kT0);
  orchestrate::SimBackend backend(clock);
  orchestrate::Scheduler scheduler(Cluster(), Plan(), backend, clock);
  {
    auto same = store::OpenStore(h.db());
    ASSERT_TRUE(same.ok());
    ServiceOptions o;
    o.port = 0;
    Service second(scheduler, **same, &clock, nullptr, json::object(), o, log);
    Status st = second.Start();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), StatusCode::kUnavailable);
    EXPECT_NE(st.message().find("is in use by process " + std::to_string(getpid())), std::string::npos)
        << st.message();
  }
  auto other = store::OpenStore(TempDb("owner-other"));
  ASSERT_TRUE(other.ok());
  ServiceOptions o;
  o.port = h.port();
  Service second(scheduler, **other, &clock, nullptr, json::object(), o, log);
  Status st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_NE(st.message().find("cannot listen on 127.0.0.1:" + std::to_string(h.port())), std::string::npos)
      << st.message();
}

void RestartRecoversAcknowledgedJobs(const std::string& db) {
  std::vector<std::string> ids;
  {
    Harness h(db);
    for (int i = 0; i < 5; ++i)
      ids.push_back(h.Submit(h.Token("alice"), Gang("research", 4, "k" + std::to_string(i))));
  }
  Harness h(db);  // new scheduler, new (empty) sim backend, same store
  auto list = h.Call("GET", "/v1/jobs", h.Token("viewer"));
  ASSERT_EQ(list.body["count"], 5);
  // Running jobs the new backend does not know were requeued, then re-admitted.
  int running = 0;
  for (const auto& j : list.body["jobs"]) running += j["state"] == "running";
  EXPECT_EQ(running, 4);  // research 8 of its own + 8 borrowed = 16 h100 = 4 gangs of 4
  // Replays after the restart return the same jobs.
  EXPECT_EQ(h.Submit(h.Token("alice"), Gang("research", 4, "k3"), 200), ids[3]);
  auto ex = h.Call("GET", "/v1/jobs/" + ids[0] + "/decisions", h.Token("viewer"));
  bool recovered = false;
  for (const auto& d : ex.body["decisions"]) recovered |= d["action"] == "recovered";
  EXPECT_TRUE(recovered);
}

TEST(Service, RestartRecoversAcknowledgedJobs) { RestartRecoversAcknowledgedJobs(TempDb("restart")); }

// The same service end to end on the PostgreSQL store.
TEST(Service, RestartRecoversAcknowledgedJobsOnPostgres) {
  const char* url = std::getenv("FUNGIBLE_PG_URL");
  if (!url || !*url) GTEST_SKIP() << "FUNGIBLE_PG_URL unset: run `eval $(bash scripts/postgres-ci.sh start)`";
  const std::string isolated = store::IsolatedPostgresUrl(url, "service_restart");
  RestartRecoversAcknowledgedJobs(isolated);
  Harness h(isolated);
  auto audit = h.Call("GET", "/v1/audit?limit=100", h.Token("root"));
  ASSERT_EQ(audit.status, 200);
  EXPECT_GE(audit.body["audit"].size(), 6u);
}

// Both directions: every installed route (method and path) is in the
// OpenAPI document, and every operation the document lists is installed.
TEST(Service, OpenApiListsEveryRouteAndNothingElse) {
  Harness h(TempDb("openapi"));
  json doc = OpenApiDocument();
  EXPECT_EQ(doc["openapi"], "3.0.3");
  auto lower = [](std::string m) {
    for (auto& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return m;
  };
  // A path template with each {param} replaced by a sample value.
  auto sample = [](const std::string& tmpl) {
    return std::regex_replace(tmpl, std::regex(R"(\{[a-z_]+\})"), "x-1");
  };
  const auto routes = h.Routes();
  ASSERT_GT(routes.size(), 20u);
  for (const auto& [method, pattern] : routes) {
    bool documented = false;
    for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it)
      documented |= it->contains(lower(method)) && std::regex_match(sample(it.key()), std::regex(pattern));
    EXPECT_TRUE(documented) << method << " " << pattern << " is installed but not in the OpenAPI document";
  }
  int operations = 0;
  for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it)
    for (auto op = it->begin(); op != it->end(); ++op) {
      ++operations;
      bool installed = false;
      for (const auto& [method, pattern] : routes)
        installed |= lower(method) == op.key() && std::regex_match(sample(it.key()), std::regex(pattern));
      EXPECT_TRUE(installed) << op.key() << " " << it.key() << " is documented but not installed";
      EXPECT_TRUE((*op)["responses"].is_object()) << op.key() << " " << it.key();
    }
  EXPECT_EQ(operations, static_cast<int>(routes.size()));
}

TEST(Service, DeleteCancelsAJobAndPostCancelStaysAnAlias) {
  Harness h(TempDb("delete"));
  const std::string a = h.Submit(h.Token("alice"), Gang("research", 1));
  const std::string b = h.Submit(h.Token("alice"), Gang("research", 1));
  auto r = h.Call("DELETE", "/v1/jobs/" + a, h.Token("alice"));
  EXPECT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "cancelled");
  r = h.Call("POST", "/v1/jobs/" + b + "/cancel", h.Token("alice"));
  EXPECT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["state"], "cancelled");
  r = h.Call("DELETE", "/v1/jobs/" + a, h.Token("alice"));
  EXPECT_EQ(r.status, 409) << r.text;
  EXPECT_EQ(r.body["error"]["status"], "conflict");
  r = h.Call("DELETE", "/v1/jobs/j-99999999", h.Token("root"));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["message"], "job j-99999999 not found");
  const std::string other = h.Submit(h.Token("bob"), Gang("product", 1));
  r = h.Call("DELETE", "/v1/jobs/" + other, h.Token("alice"));
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(h.Call("DELETE", "/v1/jobs/" + other, h.Token("viewer")).status, 403);
  EXPECT_EQ(h.Call("DELETE", "/v1/jobs/" + other, "").status, 401);
  // The DELETE is audited like the POST.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto audit = h.Call("GET", "/v1/audit?limit=50", h.Token("root"));
  int deletes = 0;
  for (const auto& e : audit.body["audit"]) deletes += e["method"] == "DELETE";
  EXPECT_GE(deletes, 3) << audit.text;
}

TEST(Service, ListPagesWithAnOpaqueContinueTokenInSubmissionOrder) {
  Harness h(TempDb("pages"));
  std::vector<std::string> submitted;
  for (int i = 0; i < 7; ++i) submitted.push_back(h.Submit(h.Token("alice"), Gang("research", 1)));
  h.Submit(h.Token("bob"), Gang("product", 1));
  std::vector<std::string> seen;
  std::string next;
  int pages = 0;
  do {
    std::string path = "/v1/jobs?team=research&limit=3";
    if (!next.empty()) path += "&continue=" + next;
    auto r = h.Call("GET", path, h.Token("viewer"));
    ASSERT_EQ(r.status, 200) << r.text;
    ++pages;
    EXPECT_LE(r.body["jobs"].size(), 3u);
    EXPECT_TRUE(r.body["resource_version"].is_string());
    for (const auto& j : r.body["jobs"]) seen.push_back(j["id"]);
    next = r.body.value("continue", "");
    EXPECT_EQ(next.find(submitted[0]), std::string::npos) << "the token is opaque, not an id";
  } while (!next.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, submitted);
  auto bad = h.Call("GET", "/v1/jobs?continue=%21%21", h.Token("viewer"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["message"], "continue: not a token this server gave");
}

// Tokens are unpadded base64url (RFC 4648 section 5) of "after:<id>". One
// issued before the encoding moved to OpenSSL still pages; tokens this server
// never made are a 400 that says so.
TEST(Service, ContinueTokensFromBeforeStillDecodeAndMalformedOnesAre400) {
  Harness h(TempDb("tokens"));
  std::vector<std::string> submitted;
  for (int i = 0; i < 5; ++i) submitted.push_back(h.Submit(h.Token("alice"), Gang("research", 1)));
  ASSERT_EQ(submitted[2], "j-00000003");
  // The token the earlier, hand-written encoder gave after j-00000003.
  auto old = h.Call("GET", "/v1/jobs?team=research&continue=YWZ0ZXI6ai0wMDAwMDAwMw", h.Token("viewer"));
  ASSERT_EQ(old.status, 200) << old.text;
  std::vector<std::string> seen;
  for (const auto& j : old.body["jobs"]) seen.push_back(j["id"]);
  EXPECT_EQ(seen, std::vector<std::string>(submitted.begin() + 3, submitted.end()));
  // Round trip: the token a page gives equals the earlier encoder's, and pages on.
  auto first = h.Call("GET", "/v1/jobs?team=research&limit=3", h.Token("viewer"));
  ASSERT_EQ(first.status, 200) << first.text;
  EXPECT_EQ(first.body.value("continue", ""), "YWZ0ZXI6ai0wMDAwMDAwMw");
  for (const char* bad_token : {"%21%21",                        // not the alphabet
                                "YWZ0ZXI6ai0wMDAwMDAwMw%3D%3D",  // padded: this server never pads
                                "YWZ0ZXI6ai0wMDAwMDAwM",         // a length no encoding has (4n + 1)
                                "YWZ0ZXI6ai0wMDAwMDAwMw+",       // '+' (standard base64, or a space)
                                "Zm9vOmJhcg",                    // base64url of "foo:bar": not "after:"
                                ""}) {
    auto r = h.Call("GET", std::string("/v1/jobs?continue=") + bad_token, h.Token("viewer"));
    EXPECT_EQ(r.status, 400) << bad_token;
    EXPECT_EQ(r.body["error"]["status"], "invalid_argument") << bad_token;
    EXPECT_EQ(r.body["error"]["message"], "continue: not a token this server gave") << bad_token;
  }
}

TEST(Service, WatchSeesAJobChangeAndFleetEvents) {
  Harness h(TempDb("watch"));
  const std::string id = h.Submit(h.Token("alice"), Gang("research", 1));
  auto list = h.Call("GET", "/v1/jobs", h.Token("viewer"));
  ASSERT_EQ(list.status, 200);
  const std::string rv = list.body["resource_version"];
  // A long poll from the list's version, waiting while nothing changes.
  auto watch = std::async(std::launch::async, [&] {
    httplib::Client c("127.0.0.1", h.port());
    c.set_read_timeout(20, 0);
    return c.Get(("/v1/jobs?watch=1&team=research&timeout_s=15&resource_version=" + rv).c_str(),
                 httplib::Headers{{"Authorization", "Bearer " + h.Token("viewer")}});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(h.Call("DELETE", "/v1/jobs/" + id, h.Token("alice")).status, 200);
  auto r = watch.get();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json events = json::parse(r->body);
  bool saw_cancel = false;
  for (const auto& e : events["events"])
    saw_cancel |= e["type"] == "job" && e["job"]["id"] == id && e["job"]["state"] == "cancelled";
  EXPECT_TRUE(saw_cancel) << r->body;
  // The next poll continues where this one ended: a pool going down is a fleet event.
  const std::string next = events["resource_version"];
  ASSERT_EQ(h.Call("POST", "/v1/pools/tpu-a/down", h.Token("root")).status, 200);
  auto fleet = h.Call("GET", "/v1/watch?timeout_s=5&resource_version=" + next, h.Token("viewer"));
  ASSERT_EQ(fleet.status, 200) << fleet.text;
  bool saw_down = false;
  for (const auto& e : fleet.body["events"])
    saw_down |= e["type"] == "fleet" && e["decision"]["action"] == "pool_down";
  EXPECT_TRUE(saw_down) << fleet.text;
  // Nothing new: an empty answer after the timeout, at the same version.
  auto quiet = h.Call(
      "GET", "/v1/watch?timeout_s=0&resource_version=" + fleet.body["resource_version"].get<std::string>(),
      h.Token("viewer"));
  ASSERT_EQ(quiet.status, 200);
  EXPECT_TRUE(quiet.body["events"].empty()) << quiet.text;
  // A version from another server process is gone (list again).
  auto gone = h.Call("GET", "/v1/watch?timeout_s=0&resource_version=1.0", h.Token("viewer"));
  EXPECT_EQ(gone.status, 410);
  EXPECT_EQ(gone.body["error"]["status"], "gone");
  EXPECT_EQ(h.Call("GET", "/v1/watch?resource_version=abc", h.Token("viewer")).status, 400);
  EXPECT_EQ(h.Call("GET", "/v1/watch", "").status, 401);
}

TEST(Auth, TokensAreHashedWithSha256) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto t = GenerateToken();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 4u + 64u);
  TokenTable table({{"alice", Sha256Hex("secret"), "team", "research", 0, 0, 0},
                    {"old", Sha256Hex("stale"), "admin", "", kT0 - 100, kT0, 0}});
  auto p = table.Authenticate("Bearer secret", kT0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->team, "research");
  EXPECT_TRUE(table.Authenticate("bearer secret", kT0));  // the scheme name in any case
  EXPECT_TRUE(table.Authenticate("BEARER  secret", kT0));
  EXPECT_FALSE(table.Authenticate("Bearer Secret", kT0));
  EXPECT_FALSE(table.Authenticate("secret", kT0));
  EXPECT_FALSE(table.Authenticate("Bearersecret", kT0));
  EXPECT_TRUE(table.Authenticate("Bearer stale", kT0 - 1));
  EXPECT_FALSE(table.Authenticate("Bearer stale", kT0));  // expired
}

}  // namespace
}  // namespace fungible::server

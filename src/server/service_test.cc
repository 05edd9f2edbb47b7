// The HTTP API in-process: every role against every endpoint, malformed
// input, limits, idempotency, audit, metrics and recovery from the store.
#include "server/service.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <spdlog/sinks/null_sink.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <stdexcept>

#include "orchestrate/sim_backend.h"
#include "server/auth.h"
#include "store/pg_testing.h"

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
  explicit Harness(const std::string& db, ServiceOptions options = {}) : clock_(kT0), backend_(clock_) {
    // Failures here throw: gtest reports them as the test's failure, not a crash.
    auto s = store::OpenStore(db);
    if (!s.ok()) throw std::runtime_error("opening the store: " + s.status().ToString());
    store_ = std::move(s).value();
    for (auto [name, role, team] : {std::tuple{"viewer", "viewer", ""},
                                    {"alice", "team", "research"},
                                    {"bob", "team", "product"},
                                    {"root", "admin", ""}}) {
      auto t = AddToken(*store_, name, role, team);
      if (!t.ok()) throw std::runtime_error("adding a token: " + t.status().ToString());
      tokens_[name] = *t;
    }
    engine_ = std::make_unique<orchestrate::Engine>(Cluster(), Plan(), backend_, clock_);
    options.port = 0;
    options.schedule_interval_ms = 50;
    auto log = std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    service_ =
        std::make_unique<Service>(*engine_, *store_, &clock_, nullptr, json{{"name", "test"}}, options, log);
    Status st = service_->Start();
    EXPECT_TRUE(st.ok()) << st.ToString();
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
    httplib::Result r = method == "GET" ? client_->Get(path.c_str(), headers)
                                        : client_->Post(path.c_str(), headers, body, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.text = r->body;
    out.body = json::parse(r->body, nullptr, false);
    return out;
  }
  std::string Token(const std::string& name) { return tokens_.at(name); }
  std::string Submit(const std::string& token, const json& spec, int expect = 201) {
    Reply r = Call("POST", "/v1/jobs", token, spec.dump());
    EXPECT_EQ(r.status, expect) << r.text;
    return r.body.is_object() && r.body.contains("id") ? r.body["id"].get<std::string>() : "";
  }

 private:
  orchestrate::VirtualClock clock_;
  orchestrate::SimBackend backend_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<orchestrate::Engine> engine_;
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
      {"GET", "/v1/plan", "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs", "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs/" + research_job, "", all(401, 200, 200, 200)},
      {"GET", "/v1/jobs/" + research_job + "/decisions", "", all(401, 200, 200, 200)},
      {"POST", "/v1/jobs", Gang("research", 1).dump(), all(401, 403, 201, 201)},
      {"POST", "/v1/jobs", Gang("product", 1).dump(), all(401, 403, 403, 201)},
      {"POST", "/v1/jobs/" + product_job + "/cancel", "", all(401, 403, 403, 200)},
      {"POST", "/v1/pools/tpu-a/down", "", all(401, 403, 403, 200)},
      {"POST", "/v1/pools/tpu-a/up", "", all(401, 403, 403, 200)},
      {"POST", "/v1/schedule", "", all(401, 403, 403, 200)},
      {"POST", "/v1/clock/advance", R"({"seconds": 1})", all(401, 403, 403, 200)},
      {"POST", "/v1/plan/resolve", "", all(401, 403, 403, 400)},  // no plan source in this harness
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
}

void RestartRecoversAcknowledgedJobs(const std::string& db) {
  std::vector<std::string> ids;
  {
    Harness h(db);
    for (int i = 0; i < 5; ++i)
      ids.push_back(h.Submit(h.Token("alice"), Gang("research", 4, "k" + std::to_string(i))));
  }
  Harness h(db);  // new engine, new (empty) sim backend, same store
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

TEST(Service, OpenApiListsEveryRoute) {
  json doc = OpenApiDocument();
  for (const char* path :
       {"/healthz", "/openapi.json", "/metrics", "/v1/fleet", "/v1/pools", "/v1/plan", "/v1/plan/resolve",
        "/v1/jobs", "/v1/jobs/{id}", "/v1/jobs/{id}/decisions", "/v1/jobs/{id}/cancel", "/v1/pools/{id}/down",
        "/v1/pools/{id}/up", "/v1/schedule", "/v1/clock/advance", "/v1/audit"})
    EXPECT_TRUE(doc["paths"].contains(path)) << path;
  EXPECT_EQ(doc["openapi"], "3.0.3");
}

TEST(Auth, TokensAreHashedWithSha256) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto t = GenerateToken();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 4u + 64u);
  TokenTable table({{"alice", Sha256Hex("secret"), "team", "research"}});
  auto p = table.Authenticate("Bearer secret");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->team, "research");
  EXPECT_FALSE(table.Authenticate("Bearer Secret"));
  EXPECT_FALSE(table.Authenticate("secret"));
}

}  // namespace
}  // namespace fungible::server

#include "server/service.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "server/auth.h"

namespace fungible::server {

using nlohmann::json;
using orchestrate::Job;
using orchestrate::JobState;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

const char* StatusSlug(StatusCode c) {
  switch (c) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kInfeasible: return "infeasible";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kPermissionDenied: return "permission_denied";
    case StatusCode::kUnauthenticated: return "unauthenticated";
  }
  return "internal";
}

int HttpFor(StatusCode c) {
  switch (c) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kInfeasible: return 422;
    case StatusCode::kInternal: return 500;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kUnauthenticated: return 401;
  }
  return 500;
}

json ErrorBody(const std::string& slug, const std::string& message) {
  return json{{"error", {{"status", slug}, {"message", message}}}};
}

void SetJson(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(Dump(body), "application/json");
}

void SetError(httplib::Response& res, int code, const std::string& slug, const std::string& message) {
  SetJson(res, code, ErrorBody(slug, message));
}

void SetStatusError(httplib::Response& res, const Status& st) {
  SetError(res, HttpFor(st.code()), StatusSlug(st.code()), st.message());
}

// Parses a JSON object body, rejecting anything else with a message.
StatusOr<json> ParseBody(const httplib::Request& req, bool allow_empty) {
  if (req.body.empty()) {
    if (allow_empty) return json::object();
    return Status::Invalid("body: expected a JSON object, got an empty body");
  }
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Invalid("body: malformed JSON");
  if (!j.is_object()) return Status::Invalid("body: expected a JSON object");
  return j;
}

class RateLimiter {
 public:
  RateLimiter(double per_s, double burst) : per_s_(per_s), burst_(burst) {}
  bool Allow(const std::string& key) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, fresh] = buckets_.try_emplace(key, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      double dt = std::chrono::duration<double>(now - b.at).count();
      b.tokens = std::min(burst_, b.tokens + dt * per_s_);
      b.at = now;
    }
    if (b.tokens < 1.0) return false;
    b.tokens -= 1.0;
    return true;
  }

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point at;
  };
  double per_s_, burst_;
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
};

enum class Access { kPublic, kAnyRole, kTeamOrAdmin, kAdmin };

// Set by RunOp on the handler's thread: the operation wrote its own audit
// entry, so the route wrapper must not add another.
thread_local bool t_audited = false;

}  // namespace

// One mutation, applied on the writer thread.
struct Op {
  std::function<void(Op&)> apply;   // engine locked; sets code/body (may leave them for finish)
  std::function<void(Op&)> finish;  // engine locked, after the scheduling pass
  int code = 500;
  json body;
  store::AuditEntry audit;
  std::promise<void> done;
};

struct Service::Impl {
  Impl(orchestrate::Engine& e, store::Store& s, orchestrate::VirtualClock* vc, PlanSource r, json f,
       ServiceOptions o, std::shared_ptr<spdlog::logger> l)
      : engine(e),
        store(s),
        vclock(vc),
        resolve(std::move(r)),
        fleet(std::move(f)),
        options(std::move(o)),
        log(std::move(l)),
        limiter(options.rate_limit_per_s, options.rate_limit_burst) {}

  orchestrate::Engine& engine;
  store::Store& store;
  orchestrate::VirtualClock* vclock;
  PlanSource resolve;
  json fleet;
  ServiceOptions options;
  std::shared_ptr<spdlog::logger> log;
  RateLimiter limiter;

  httplib::Server http;
  int bound_port = 0;
  std::thread listener, writer, resolver;

  std::shared_mutex engine_mu;  // engine state
  std::mutex store_mu;          // the store connection

  std::mutex q_mu;
  std::condition_variable q_cv;
  std::deque<std::shared_ptr<Op>> ops;
  std::vector<store::AuditEntry> pending_audit;
  bool stopping = false;
  bool stopped = false;
  std::int64_t next_audit_seq = 1;

  std::mutex tokens_mu;
  std::shared_ptr<const TokenTable> tokens = std::make_shared<TokenTable>();
  std::chrono::steady_clock::time_point tokens_loaded_at;

  std::mutex resolve_mu;
  std::condition_variable resolve_cv;

  std::atomic<std::int64_t> http_requests{0}, http_rejected{0}, commits{0}, committed_ops{0};

  // ---- plumbing ----

  std::shared_ptr<const TokenTable> Tokens(bool reload) {
    std::lock_guard<std::mutex> lock(tokens_mu);
    auto now = std::chrono::steady_clock::now();
    if (reload && now - tokens_loaded_at > std::chrono::seconds(1)) {
      std::lock_guard<std::mutex> slock(store_mu);
      auto records = store.LoadTokens();
      if (records.ok()) tokens = std::make_shared<TokenTable>(*records);
      tokens_loaded_at = now;
    }
    return tokens;
  }

  std::optional<Principal> Authenticate(const httplib::Request& req) {
    if (!req.has_header("Authorization")) return std::nullopt;
    std::string header = req.get_header_value("Authorization");
    if (auto p = Tokens(false)->Authenticate(header)) return p;
    return Tokens(true)->Authenticate(header);  // a token added since the last load
  }

  void AuditRejected(const httplib::Request& req, const std::optional<Principal>& who, int code,
                     const std::string& detail) {
    store::AuditEntry e;
    e.at = engine_clock_now();
    e.principal = who ? who->name : "-";
    e.role = who ? RoleName(who->role) : "-";
    e.method = req.method;
    e.path = req.path;
    e.http_status = code;
    e.detail = detail.substr(0, 500);
    {
      std::lock_guard<std::mutex> lock(q_mu);
      pending_audit.push_back(std::move(e));
    }
    q_cv.notify_one();
  }

  UtcSeconds engine_clock_now() {
    std::shared_lock<std::shared_mutex> lock(engine_mu);
    return last_now;
  }
  UtcSeconds last_now = 0;  // clock at the last writer pass (guarded by engine_mu)

  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const Principal&)>;

  void Route(const std::string& method, const std::string& pattern, Access access, Handler handler) {
    auto wrapped = [this, access, handler = std::move(handler), method](const httplib::Request& req,
                                                                        httplib::Response& res) {
      ++http_requests;
      const bool mutation = method == "POST";
      std::optional<Principal> who;
      if (access != Access::kPublic || req.has_header("Authorization")) who = Authenticate(req);
      const std::string key = who ? "token:" + who->name : "addr:" + req.remote_addr;
      if (!limiter.Allow(key)) {
        ++http_rejected;
        res.set_header("Retry-After", "1");
        return SetError(res, 429, "rate_limited", "too many requests for " + key + "; retry later");
      }
      if (access != Access::kPublic) {
        if (!who) {
          ++http_rejected;
          res.set_header("WWW-Authenticate", "Bearer");
          std::string msg = req.has_header("Authorization") ? "invalid bearer token" : "missing bearer token";
          SetError(res, 401, "unauthenticated", msg);
          if (mutation) AuditRejected(req, who, 401, msg);
          return;
        }
        bool allowed = access == Access::kAnyRole || who->role == Role::kAdmin ||
                       (access == Access::kTeamOrAdmin && who->role == Role::kTeam);
        if (!allowed) {
          ++http_rejected;
          std::string msg =
              std::string("role ") + RoleName(who->role) + " may not " + req.method + " " + req.path;
          SetError(res, 403, "permission_denied", msg);
          if (mutation) AuditRejected(req, who, 403, msg);
          return;
        }
      }
      t_audited = false;
      handler(req, res, who ? *who : Principal{"-", Role::kViewer, ""});
      if (mutation && !t_audited && res.status >= 400) AuditRejected(req, who, res.status, res.body);
    };
    if (method == "GET")
      http.Get(pattern, wrapped);
    else
      http.Post(pattern, wrapped);
  }

  // Hands `op` to the writer and waits until it is applied and committed.
  void RunOp(const std::shared_ptr<Op>& op, const httplib::Request& req, const Principal& who,
             httplib::Response& res) {
    op->audit.principal = who.name;
    op->audit.role = RoleName(who.role);
    op->audit.method = req.method;
    op->audit.path = req.path;
    auto fut = op->done.get_future();
    {
      std::lock_guard<std::mutex> lock(q_mu);
      if (stopping) return SetError(res, 503, "unavailable", "server is shutting down");
      ops.push_back(op);
    }
    q_cv.notify_one();
    fut.wait();
    t_audited = true;
    SetJson(res, op->code, op->body);
  }

  // ---- the writer: group commit ----

  void WriterLoop() {
    auto next_tick = std::chrono::steady_clock::now();
    const auto interval = std::chrono::milliseconds(std::max(1, options.schedule_interval_ms));
    while (true) {
      std::vector<std::shared_ptr<Op>> batch_ops;
      std::vector<store::AuditEntry> audits;
      bool finishing = false;
      {
        std::unique_lock<std::mutex> lock(q_mu);
        q_cv.wait_until(lock, next_tick, [&] { return !ops.empty() || !pending_audit.empty() || stopping; });
        while (!ops.empty() && static_cast<int>(batch_ops.size()) < options.max_batch) {
          batch_ops.push_back(std::move(ops.front()));
          ops.pop_front();
        }
        audits.swap(pending_audit);
        finishing = stopping && ops.empty();
      }
      const bool tick = std::chrono::steady_clock::now() >= next_tick;
      if (tick) next_tick = std::chrono::steady_clock::now() + interval;
      if (!batch_ops.empty() || !audits.empty() || tick || finishing) Pass(batch_ops, audits);
      if (finishing) break;
    }
  }

  void Pass(std::vector<std::shared_ptr<Op>>& batch_ops, std::vector<store::AuditEntry>& audits) {
    store::Batch batch;
    {
      std::unique_lock<std::shared_mutex> lock(engine_mu);
      for (auto& op : batch_ops) op->apply(*op);
      Status st = engine.Schedule();
      if (!st.ok()) log->error("event=schedule_failed error=\"{}\"", st.ToString());
      for (auto& op : batch_ops)
        if (op->finish) op->finish(*op);
      auto changes = engine.TakeChanges();
      batch.jobs = std::move(changes.jobs);
      batch.decisions = std::move(changes.decisions);
      last_now = engine_now();
    }
    for (auto& a : audits) {
      a.seq = next_audit_seq++;
      if (a.at == 0) a.at = last_now;
      batch.audit.push_back(std::move(a));
    }
    for (auto& op : batch_ops) {
      op->audit.seq = next_audit_seq++;
      op->audit.at = last_now;
      op->audit.http_status = op->code;
      batch.audit.push_back(op->audit);
    }
    if (!batch.empty()) {
      Status st;
      for (int attempt = 0; attempt < 3; ++attempt) {
        {
          std::lock_guard<std::mutex> lock(store_mu);
          st = store.Commit(batch);
        }
        if (st.ok()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
      }
      if (!st.ok()) {
        // Fail-stop: memory is ahead of the store; nothing more may be
        // acknowledged. A restart recovers the acknowledged state.
        log->critical("event=commit_failed store={} error=\"{}\" action=exit", store.Describe(),
                      st.ToString());
        log->flush();
        std::_Exit(4);
      }
      ++commits;
      committed_ops += static_cast<std::int64_t>(batch_ops.size());
    }
    for (auto& d : batch.decisions)
      if (d.action != "waiting" && d.action != "submitted")
        log->info("event=decision seq={} job={} action={} pool={} chips={} reason=\"{}\"", d.seq, d.job_id,
                  d.action, d.pool, d.chips, d.reason);
    for (auto& op : batch_ops) op->done.set_value();
  }

  UtcSeconds engine_now() { return vclock ? vclock->Now() : orchestrate::SystemClock().Now(); }

  // ---- resolver ----

  void ResolverLoop() {
    std::unique_lock<std::mutex> lock(resolve_mu);
    while (true) {
      if (resolve_cv.wait_for(lock, std::chrono::seconds(options.resolve_every_s),
                              [&] { return IsStopping(); }))
        return;
      lock.unlock();
      auto r = ResolvePlan("scheduled re-solve");
      if (!r.ok()) log->error("event=resolve_failed error=\"{}\"", r.ToString());
      lock.lock();
    }
  }

  bool IsStopping() {
    std::lock_guard<std::mutex> lock(q_mu);
    return stopping;
  }

  Status ResolvePlan(const std::string& why) {
    if (!resolve) return Status::Invalid("this server has no plan source to re-solve");
    auto plan = resolve();
    if (!plan.ok()) return plan.status();
    auto op = std::make_shared<Op>();
    auto p = std::make_shared<orchestrate::QuotaPlan>(std::move(plan).value());
    op->apply = [this, p, why](Op& o) {
      engine.SetPlan(*p, why);
      o.code = 200;
      o.body = json{{"periods", p->periods()}, {"reason", why}};
    };
    op->audit = {0, 0, "scheduler", "admin", "POST", "/v1/plan/resolve", 0, why};
    auto fut = op->done.get_future();
    {
      std::lock_guard<std::mutex> lock(q_mu);
      if (stopping) return Status(StatusCode::kUnavailable, "shutting down");
      ops.push_back(op);
    }
    q_cv.notify_one();
    fut.wait();
    return Status::Ok();
  }

  // ---- handlers ----

  json PlanJson() {
    const auto& plan = engine.plan();
    json periods = json::array();
    for (int t = 0; t < plan.periods(); ++t)
      periods.push_back(
          {{"index", t}, {"start", FormatUtc(plan.period_starts[t])}, {"hours", plan.period_hours[t]}});
    json usage = json::object();
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes()) usage[team][chip] = engine.Usage(team, chip);
    return json{{"current_period", engine.current_period()},
                {"periods", periods},
                {"quota_chips", plan.quota_chips},
                {"used_chips", usage}};
  }

  json PoolsJson() {
    json pools = json::array();
    for (const auto& p : engine.Pools())
      pools.push_back({{"id", p.id},
                       {"chip_type", p.chip_type},
                       {"chips", p.chips},
                       {"domain_chips", p.domain_chips},
                       {"used_chips", p.used_chips},
                       {"up", p.up}});
    return pools;
  }

  std::string Metrics() {
    std::string out;
    auto line = [&](const std::string& s) { out += s + "\n"; };
    auto help = [&](const char* name, const char* type, const char* text) {
      line(std::string("# HELP ") + name + " " + text);
      line(std::string("# TYPE ") + name + " " + type);
    };
    std::shared_lock<std::shared_mutex> lock(engine_mu);
    const auto& c = engine.counters();
    help("fungible_queue_depth", "gauge", "Jobs waiting for admission.");
    line("fungible_queue_depth " + std::to_string(engine.queue_depth()));
    help("fungible_submissions_total", "counter", "Jobs accepted (duplicates excluded).");
    line("fungible_submissions_total " + std::to_string(c.submitted));
    help("fungible_admissions_total", "counter", "Jobs started on a pool (restarts included).");
    line("fungible_admissions_total " + std::to_string(c.admitted));
    help("fungible_preemptions_total", "counter",
         "Jobs preempted for quota reclaim, priority or a period change.");
    line("fungible_preemptions_total " + std::to_string(c.preempted));
    help("fungible_failure_requeues_total", "counter", "Jobs requeued after a job or pool failure.");
    line("fungible_failure_requeues_total " + std::to_string(c.requeued_on_failure));
    help("fungible_completions_total", "counter", "Jobs finished.");
    line("fungible_completions_total " + std::to_string(c.completed));
    help("fungible_lost_chip_hours_total", "counter", "Chip-hours of work lost to preemption and failure.");
    line("fungible_lost_chip_hours_total " + std::to_string(c.lost_chip_hours));
    help("fungible_plan_period", "gauge", "Index of the current plan period (-1 outside the plan).");
    line("fungible_plan_period " + std::to_string(engine.current_period()));
    help("fungible_pool_chips", "gauge", "Chips in the pool.");
    for (const auto& p : engine.Pools())
      line("fungible_pool_chips{pool=\"" + p.id + "\",chip_type=\"" + p.chip_type + "\"} " +
           std::to_string(p.chips));
    help("fungible_pool_used_chips", "gauge", "Chips held by running jobs.");
    for (const auto& p : engine.Pools())
      line("fungible_pool_used_chips{pool=\"" + p.id + "\"} " + std::to_string(p.used_chips));
    help("fungible_pool_utilization", "gauge", "Used chips / chips.");
    for (const auto& p : engine.Pools()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6f", p.chips > 0 ? static_cast<double>(p.used_chips) / p.chips : 0.0);
      line("fungible_pool_utilization{pool=\"" + p.id + "\"} " + buf);
    }
    help("fungible_pool_up", "gauge", "1 when the pool is up.");
    for (const auto& p : engine.Pools())
      line("fungible_pool_up{pool=\"" + p.id + "\"} " + (p.up ? "1" : "0"));
    const auto& plan = engine.plan();
    help("fungible_team_quota_chips", "gauge", "Nominal quota of the team in the current period.");
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes())
        line("fungible_team_quota_chips{team=\"" + team + "\",chip_type=\"" + chip + "\"} " +
             std::to_string(plan.Quota(team, chip, engine.current_period())));
    help("fungible_team_used_chips", "gauge", "Chips the team holds (borrowed included).");
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes())
        line("fungible_team_used_chips{team=\"" + team + "\",chip_type=\"" + chip + "\"} " +
             std::to_string(engine.Usage(team, chip)));
    help("fungible_http_requests_total", "counter", "HTTP requests routed.");
    line("fungible_http_requests_total " + std::to_string(http_requests.load()));
    help("fungible_http_rejected_total", "counter", "Requests refused with 401, 403 or 429.");
    line("fungible_http_rejected_total " + std::to_string(http_rejected.load()));
    help("fungible_store_commits_total", "counter", "Store transactions (each a group of operations).");
    line("fungible_store_commits_total " + std::to_string(commits.load()));
    return out;
  }

  void InstallRoutes() {
    http.set_payload_max_length(options.max_body_bytes);
    http.set_keep_alive_max_count(1000000);
    http.set_tcp_nodelay(true);  // small JSON answers: no Nagle delay
    http.set_keep_alive_timeout(30);
    const int threads = std::max(2, options.http_threads);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      std::string slug = res.status == 404   ? "not_found"
                         : res.status == 413 ? "payload_too_large"
                                             : "bad_request";
      std::string msg = res.status == 404   ? "no route for " + req.method + " " + req.path
                        : res.status == 413 ? "request body larger than the limit"
                                            : "bad request";
      SetError(res, res.status, slug, msg);
    });
    http.set_exception_handler(
        [this](const httplib::Request&, httplib::Response& res, const std::exception_ptr& ep) {
          std::string what = "unknown";
          try {
            if (ep) std::rethrow_exception(ep);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          log->error("event=handler_exception error=\"{}\"", what);
          SetError(res, 500, "internal", "internal error");
        });

    Route("GET", "/healthz", Access::kPublic, [](auto&, auto& res, auto&) {
      SetJson(res, 200, {{"status", "ok"}});
    });
    Route("GET", "/openapi.json", Access::kPublic,
          [](auto&, auto& res, auto&) { SetJson(res, 200, OpenApiDocument()); });
    Route("GET", "/metrics", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      res.status = 200;
      res.set_content(Metrics(), "text/plain; version=0.0.4");
    });
    Route("GET", "/v1/fleet", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(engine_mu);
      SetJson(res, 200, {{"fleet", fleet}, {"pools", PoolsJson()}, {"backend", engine.backend().Name()}});
    });
    Route("GET", "/v1/pools", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(engine_mu);
      SetJson(res, 200, {{"pools", PoolsJson()}});
    });
    Route("GET", "/v1/plan", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(engine_mu);
      SetJson(res, 200, PlanJson());
    });
    Route("GET", "/v1/jobs", Access::kAnyRole, [this](const httplib::Request& req, auto& res, auto&) {
      orchestrate::JobFilter f;
      f.team = req.get_param_value("team");
      f.pool = req.get_param_value("pool");
      if (req.has_param("state")) {
        auto s = orchestrate::ParseJobState(req.get_param_value("state"));
        if (!s.ok()) return SetStatusError(res, s.status());
        f.state = *s;
      }
      if (req.has_param("limit")) {
        const std::string v = req.get_param_value("limit");
        char* end = nullptr;
        long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || n < 1 || n > 100000)
          return SetError(res, 400, "invalid_argument",
                          "limit: expected an integer in [1, 100000], got \"" + v + "\"");
        f.limit = static_cast<int>(n);
      }
      std::shared_lock<std::shared_mutex> lock(engine_mu);
      json jobs = json::array();
      for (const Job* j : engine.List(f)) jobs.push_back(orchestrate::JobToJson(*j));
      SetJson(res, 200, {{"jobs", jobs}, {"count", jobs.size()}});
    });
    Route("GET", R"(/v1/jobs/([A-Za-z0-9_.-]+))", Access::kAnyRole,
          [this](const httplib::Request& req, auto& res, auto&) {
            std::shared_lock<std::shared_mutex> lock(engine_mu);
            const Job* j = engine.Find(req.matches[1]);
            if (!j)
              return SetError(res, 404, "not_found", "job " + std::string(req.matches[1]) + " not found");
            SetJson(res, 200, orchestrate::JobToJson(*j));
          });
    Route("GET", R"(/v1/jobs/([A-Za-z0-9_.-]+)/decisions)", Access::kAnyRole,
          [this](const httplib::Request& req, auto& res, auto&) {
            const std::string id = req.matches[1];
            json job;
            {
              std::shared_lock<std::shared_mutex> lock(engine_mu);
              const Job* j = engine.Find(id);
              if (!j) return SetError(res, 404, "not_found", "job " + id + " not found");
              job = orchestrate::JobToJson(*j);
            }
            StatusOr<std::vector<orchestrate::Decision>> ds = [&] {
              std::lock_guard<std::mutex> lock(store_mu);
              return store.Decisions(id);
            }();
            if (!ds.ok()) return SetStatusError(res, ds.status());
            json arr = json::array();
            for (const auto& d : *ds) arr.push_back(orchestrate::DecisionToJson(d));
            SetJson(res, 200, {{"job", job}, {"decisions", arr}});
          });
    Route("POST", "/v1/jobs", Access::kTeamOrAdmin,
          [this](const httplib::Request& req, auto& res, const Principal& who) {
            auto body = ParseBody(req, false);
            if (!body.ok()) return SetStatusError(res, body.status());
            if (req.has_header("Idempotency-Key") && !body->contains("idempotency_key"))
              (*body)["idempotency_key"] = req.get_header_value("Idempotency-Key");
            auto spec = orchestrate::JobSpecFromJson(*body);
            if (!spec.ok()) return SetStatusError(res, spec.status());
            if (who.role == Role::kTeam && spec->team != who.team)
              return SetError(
                  res, 403, "permission_denied",
                  "token " + who.name + " may submit for team " + who.team + " only, not " + spec->team);
            auto op = std::make_shared<Op>();
            auto id = std::make_shared<std::string>();
            op->apply = [this, s = std::move(spec).value(), id](Op& o) mutable {
              auto out = engine.Submit(s);
              if (!out.ok()) {
                o.code = HttpFor(out.status().code());
                o.body = ErrorBody(StatusSlug(out.status().code()), out.status().message());
                return;
              }
              *id = out->job.id;
              using K = orchestrate::SubmitOutcome::Kind;
              if (out->kind == K::kConflict) {
                o.code = 409;
                o.body =
                    ErrorBody("conflict", "idempotency_key \"" + s.idempotency_key + "\" was used for job " +
                                              *id + " with a different request");
                id->clear();
                return;
              }
              o.code = out->kind == K::kCreated ? 201 : 200;
              o.audit.detail = (out->kind == K::kCreated ? "created " : "replayed ") + *id;
            };
            op->finish = [this, id](Op& o) {
              if (id->empty()) return;
              if (const Job* j = engine.Find(*id)) o.body = orchestrate::JobToJson(*j);
            };
            RunOp(op, req, who, res);
            if (res.status == 200) res.set_header("Idempotent-Replayed", "true");
          });
    Route("POST", R"(/v1/jobs/([A-Za-z0-9_.-]+)/cancel)", Access::kTeamOrAdmin,
          [this](const httplib::Request& req, auto& res, const Principal& who) {
            const std::string id = req.matches[1];
            auto op = std::make_shared<Op>();
            op->apply = [this, id, who](Op& o) {
              const Job* j = engine.Find(id);
              if (!j) {
                o.code = 404;
                o.body = ErrorBody("not_found", "job " + id + " not found");
                return;
              }
              if (who.role == Role::kTeam && j->spec.team != who.team) {
                o.code = 403;
                o.body = ErrorBody("permission_denied", "job " + id + " belongs to team " + j->spec.team);
                return;
              }
              auto c = engine.Cancel(id, who.name);
              if (!c.ok()) {
                o.code = c.status().code() == StatusCode::kInvalidArgument ? 409 : HttpFor(c.status().code());
                o.body = ErrorBody(o.code == 409 ? "conflict" : StatusSlug(c.status().code()),
                                   c.status().message());
                return;
              }
              o.code = 200;
              o.body = orchestrate::JobToJson(*c);
              o.audit.detail = "cancelled " + id;
            };
            RunOp(op, req, who, res);
          });
    for (const char* action : {"down", "up"}) {
      const bool down = std::string(action) == "down";
      Route("POST", std::string(R"(/v1/pools/([A-Za-z0-9_.-]+)/)") + action, Access::kAdmin,
            [this, down](const httplib::Request& req, auto& res, const Principal& who) {
              auto body = ParseBody(req, true);
              if (!body.ok()) return SetStatusError(res, body.status());
              std::string reason = "reported by " + who.name;
              for (auto it = body->begin(); it != body->end(); ++it) {
                if (it.key() != "reason")
                  return SetError(res, 400, "invalid_argument", it.key() + ": unknown field");
                if (!it->is_string())
                  return SetError(res, 400, "invalid_argument", "reason: expected a string");
                reason = it->get<std::string>() + " (" + who.name + ")";
              }
              const std::string pool = req.matches[1];
              auto op = std::make_shared<Op>();
              op->apply = [this, pool, reason, down](Op& o) {
                Status st = down ? engine.PoolDown(pool, reason) : engine.PoolUp(pool, reason);
                if (!st.ok()) {
                  o.code = HttpFor(st.code());
                  o.body = ErrorBody(StatusSlug(st.code()), st.message());
                  return;
                }
                o.code = 200;
                o.audit.detail = std::string(down ? "pool down " : "pool up ") + pool;
              };
              op->finish = [this](Op& o) {
                if (o.code == 200) o.body = {{"pools", PoolsJson()}};
              };
              RunOp(op, req, who, res);
            });
    }
    Route("POST", "/v1/schedule", Access::kAdmin,
          [this](const httplib::Request& req, auto& res, const Principal& who) {
            auto op = std::make_shared<Op>();
            op->apply = [](Op& o) { o.code = 200; };
            op->finish = [this](Op& o) {
              o.body = {{"queue_depth", engine.queue_depth()}, {"period", engine.current_period()}};
            };
            RunOp(op, req, who, res);
          });
    Route("POST", "/v1/clock/advance", Access::kAdmin,
          [this](const httplib::Request& req, auto& res, const Principal& who) {
            if (!vclock) return SetError(res, 409, "conflict", "this server runs on the system clock");
            auto body = ParseBody(req, false);
            if (!body.ok()) return SetStatusError(res, body.status());
            for (auto it = body->begin(); it != body->end(); ++it)
              if (it.key() != "seconds")
                return SetError(res, 400, "invalid_argument", it.key() + ": unknown field");
            if (!body->contains("seconds") || !(*body)["seconds"].is_number_integer() ||
                (*body)["seconds"].get<long long>() < 0)
              return SetError(res, 400, "invalid_argument", "seconds: expected a non-negative integer");
            const long long seconds = (*body)["seconds"].get<long long>();
            auto op = std::make_shared<Op>();
            op->apply = [this, seconds](Op& o) {
              vclock->Advance(seconds);
              o.code = 200;
              o.audit.detail = "advanced " + std::to_string(seconds) + " s";
            };
            op->finish = [this](Op& o) {
              o.body = {{"now", FormatUtc(vclock->Now())}, {"period", engine.current_period()}};
            };
            RunOp(op, req, who, res);
          });
    Route("POST", "/v1/plan/resolve", Access::kAdmin,
          [this](const httplib::Request& req, auto& res, const Principal& who) {
            Status st = ResolvePlan("on demand by " + who.name);
            if (!st.ok()) return SetStatusError(res, st);
            std::shared_lock<std::shared_mutex> lock(engine_mu);
            SetJson(res, 200, PlanJson());
          });
    Route("GET", "/v1/audit", Access::kAdmin, [this](const httplib::Request& req, auto& res, auto&) {
      int limit = 100;
      if (req.has_param("limit"))
        limit = std::max(1, std::min(10000, std::atoi(req.get_param_value("limit").c_str())));
      StatusOr<std::vector<store::AuditEntry>> entries = [&] {
        std::lock_guard<std::mutex> lock(store_mu);
        return store.Audit(limit);
      }();
      if (!entries.ok()) return SetStatusError(res, entries.status());
      json arr = json::array();
      for (const auto& e : *entries)
        arr.push_back({{"seq", e.seq},
                       {"at", FormatUtc(e.at)},
                       {"principal", e.principal},
                       {"role", e.role},
                       {"method", e.method},
                       {"path", e.path},
                       {"http_status", e.http_status},
                       {"detail", e.detail}});
      SetJson(res, 200, {{"audit", arr}});
    });
  }
};

Service::Service(orchestrate::Engine& engine, store::Store& store, orchestrate::VirtualClock* virtual_clock,
                 PlanSource resolve, nlohmann::json fleet, ServiceOptions options,
                 std::shared_ptr<spdlog::logger> log)
    : impl_(std::make_unique<Impl>(engine, store, virtual_clock, std::move(resolve), std::move(fleet),
                                   std::move(options), std::move(log))) {}

Service::~Service() { Stop(); }

int Service::port() const { return impl_->bound_port; }

Status Service::Start() {
  Impl& s = *impl_;
  // Recover: stored jobs into the engine, reconciled with the backend.
  {
    std::lock_guard<std::mutex> lock(s.store_mu);
    auto jobs = s.store.LoadJobs();
    if (!jobs.ok()) return jobs.status().WithContext("recover jobs");
    auto max_decision = s.store.MaxDecisionSeq();
    if (!max_decision.ok()) return max_decision.status();
    auto max_audit = s.store.MaxAuditSeq();
    if (!max_audit.ok()) return max_audit.status();
    s.next_audit_seq = *max_audit + 1;
    const size_t recovered = jobs->size();
    {
      std::unique_lock<std::shared_mutex> elock(s.engine_mu);
      FUNGIBLE_RETURN_IF_ERROR(s.engine.Restore(std::move(jobs).value(), *max_decision + 1));
      FUNGIBLE_RETURN_IF_ERROR(s.engine.Schedule());
      auto changes = s.engine.TakeChanges();
      FUNGIBLE_RETURN_IF_ERROR(s.store.Commit({std::move(changes.jobs), std::move(changes.decisions), {}}));
      s.last_now = s.engine_now();
    }
    auto tokens = s.store.LoadTokens();
    if (!tokens.ok()) return tokens.status();
    s.tokens = std::make_shared<TokenTable>(*tokens);
    s.tokens_loaded_at = std::chrono::steady_clock::now();
    s.log->info("event=recovered store={} jobs={} tokens={}", s.store.Describe(), recovered, tokens->size());
  }
  s.InstallRoutes();
  if (s.options.port == 0) {
    s.bound_port = s.http.bind_to_any_port(s.options.host);
  } else {
    s.bound_port = s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1;
  }
  if (s.bound_port <= 0)
    return Status(StatusCode::kUnavailable,
                  "cannot listen on " + s.options.host + ":" + std::to_string(s.options.port) + " (in use?)");
  s.writer = std::thread([&s] { s.WriterLoop(); });
  s.listener = std::thread([&s] { s.http.listen_after_bind(); });
  if (s.options.resolve_every_s > 0 && s.resolve) s.resolver = std::thread([&s] { s.ResolverLoop(); });
  s.log->info("event=listening host={} port={} backend={}", s.options.host, s.bound_port,
              s.engine.backend().Name());
  return Status::Ok();
}

void Service::Stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.q_mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  s.http.stop();  // no new requests; in-flight handlers finish
  if (s.listener.joinable()) s.listener.join();
  {
    std::lock_guard<std::mutex> lock(s.q_mu);
    s.stopping = true;
  }
  s.q_cv.notify_all();
  s.resolve_cv.notify_all();
  if (s.writer.joinable()) s.writer.join();
  if (s.resolver.joinable()) s.resolver.join();
  s.log->info("event=stopped");
  s.log->flush();
}

}  // namespace fungible::server

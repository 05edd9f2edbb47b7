#include "server/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <shared_mutex>
#include <thread>
#include <tuple>

#include "server/auth.h"
#include "server/continue_token.h"
#include "server/http_front.h"
#include "server/ui.h"

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

void SetJson(HttpResponse& res, int code, const json& body) {
  res.status = code;
  res.set_content(Dump(body), "application/json");
}

void SetError(HttpResponse& res, int code, const std::string& slug, const std::string& message) {
  res.status = code;
  res.set_content(ErrorJson(slug, message), "application/json");
}

// Answers and closes the connection afterwards: used whenever a request
// body is left unread (it must not be parsed as the next request).
void SetErrorAndClose(HttpResponse& res, int code, const std::string& slug, const std::string& message) {
  SetError(res, code, slug, message);
  res.close = true;
}

bool EqualsIgnoreCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// A request carries a body when it declares a non-zero length or is chunked
// (a request with neither has none, RFC 9112 section 6.3).
bool HasBody(const HttpRequest& req) {
  if (req.has_header("Transfer-Encoding")) return true;
  const std::string v = req.get_header_value("Content-Length");
  return !v.empty() && v.find_first_not_of('0') != std::string::npos;
}

void SetStatusError(HttpResponse& res, const Status& st) {
  SetError(res, HttpFor(st.code()), StatusSlug(st.code()), st.message());
}

// Parses a JSON object body, rejecting anything else with a message.
StatusOr<json> ParseBody(const HttpRequest& req, bool allow_empty) {
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
  std::function<void(Op&)> apply;   // scheduler locked; sets code/body (may leave them for finish)
  std::function<void(Op&)> finish;  // scheduler locked, after the scheduling pass
  int code = 500;
  json body;
  store::AuditEntry audit;
  std::vector<store::TokenUsage> usage;  // written in the same transaction
  std::promise<void> done;
};

// One token usage report (POST /v1/usage/tokens): {model, team, pool?, from,
// to, input_tokens, output_tokens, cached_input_tokens}; times RFC 3339 or
// UTC seconds. Errors name the field.
StatusOr<store::TokenUsage> TokenUsageFromJson(const json& j) {
  if (!j.is_object()) return Status::Invalid("usage: expected a JSON object");
  static const std::set<std::string> kKnown = {
      "model", "team", "pool", "from", "to", "input_tokens", "output_tokens", "cached_input_tokens"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!kKnown.count(it.key())) return Status::Invalid(it.key() + ": unknown field");
  store::TokenUsage u;
  for (auto [key, out, required] : {std::tuple<const char*, std::string*, bool>{"model", &u.model, true},
                                    {"team", &u.team, true},
                                    {"pool", &u.pool, false}}) {
    auto it = j.find(key);
    if (it == j.end()) {
      if (required) return Status::Invalid(std::string(key) + ": required");
      continue;
    }
    if (!it->is_string()) return Status::Invalid(std::string(key) + ": expected a string");
    *out = it->get<std::string>();
    if (required && out->empty()) return Status::Invalid(std::string(key) + ": must not be empty");
    if (out->size() > 200) return Status::Invalid(std::string(key) + ": longer than 200 characters");
  }
  for (auto [key, out] : {std::pair<const char*, UtcSeconds*>{"from", &u.from}, {"to", &u.to}}) {
    auto it = j.find(key);
    if (it == j.end()) return Status::Invalid(std::string(key) + ": required");
    if (it->is_number_integer()) {
      *out = it->get<std::int64_t>();
    } else if (it->is_string()) {
      auto t = ParseUtc(it->get<std::string>());
      if (!t.ok()) return t.status().WithContext(key);
      *out = *t;
    } else {
      return Status::Invalid(std::string(key) + ": expected an RFC 3339 time or UTC seconds");
    }
  }
  if (u.to <= u.from) return Status::Invalid("to: must be after from");
  if (u.to - u.from > 31 * kSecondsPerDay) return Status::Invalid("to: an interval is at most 31 days");
  for (auto [key, out] : {std::pair<const char*, std::int64_t*>{"input_tokens", &u.input_tokens},
                          {"output_tokens", &u.output_tokens},
                          {"cached_input_tokens", &u.cached_input_tokens}}) {
    auto it = j.find(key);
    if (it == j.end()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0)
      return Status::Invalid(std::string(key) + ": expected a non-negative integer");
    *out = it->get<std::int64_t>();
  }
  if (!j.contains("input_tokens") && !j.contains("output_tokens"))
    return Status::Invalid("output_tokens: required (with input_tokens)");
  if (u.cached_input_tokens > u.input_tokens)
    return Status::Invalid("cached_input_tokens: " + std::to_string(u.cached_input_tokens) +
                           " is more than input_tokens " + std::to_string(u.input_tokens));
  return u;
}

struct Service::Impl {
  Impl(SchedulerSource p, store::Store& s, PlanSource r, json f, ServiceOptions o,
       std::shared_ptr<spdlog::logger> l, std::function<void(const Status&)> fatal)
      : prepare(std::move(p)),
        on_fatal(std::move(fatal)),
        store(s),
        resolve(std::move(r)),
        fleet(std::move(f)),
        options(std::move(o)),
        log(std::move(l)),
        limiter(options.rate_limit_per_s, options.rate_limit_burst) {}

  enum class Phase { kSolving, kStandby, kRecovering, kServing, kFailed };
  static const char* PhaseName(Phase p) {
    switch (p) {
      case Phase::kSolving: return "solving";
      case Phase::kStandby: return "standby";
      case Phase::kRecovering: return "recovering";
      case Phase::kServing: return "ok";
      case Phase::kFailed: return "failed";
    }
    return "failed";
  }

  SchedulerSource prepare;
  std::function<void(const Status&)> on_fatal;
  orchestrate::Scheduler* scheduler = nullptr;  // set by the start-up thread before kServing
  orchestrate::VirtualClock* vclock = nullptr;  // likewise
  store::Store& store;
  PlanSource resolve;
  json fleet;
  ServiceOptions options;
  std::shared_ptr<spdlog::logger> log;
  RateLimiter limiter;

  std::unique_ptr<HttpFront> http;
  int bound_port = 0;
  std::thread writer, resolver, startup;
  std::atomic<Phase> phase{Phase::kSolving};
  std::atomic<bool> in_prepare{false}, abandoned{false};
  bool owned = false;  // start-up thread (or Start) only

  std::shared_mutex scheduler_mu;  // scheduler state
  std::mutex store_mu;             // the store connection

  std::mutex q_mu;
  std::condition_variable q_cv;
  std::deque<std::shared_ptr<Op>> ops;
  std::vector<store::AuditEntry> pending_audit;
  std::map<std::string, UtcSeconds> token_uses;  // guarded by q_mu
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

  // The token table, re-read from the store when older than kTokensTtl, so a
  // token added, rotated or revoked by `fungible token` takes effect on a
  // running server within that time.
  static constexpr std::chrono::milliseconds kTokensTtl{500};
  std::shared_ptr<const TokenTable> Tokens() {
    std::lock_guard<std::mutex> lock(tokens_mu);
    auto now = std::chrono::steady_clock::now();
    if (now - tokens_loaded_at >= kTokensTtl) {
      std::lock_guard<std::mutex> slock(store_mu);
      auto records = store.LoadTokens();
      if (records.ok()) {
        tokens = std::make_shared<TokenTable>(*records);
      } else {
        log->error("event=tokens_reload_failed error=\"{}\"", records.status().ToString());
      }
      tokens_loaded_at = now;
    }
    return tokens;
  }

  std::optional<Principal> Authenticate(const HttpRequest& req) {
    if (!req.has_header("Authorization")) return std::nullopt;
    const UtcSeconds now = static_cast<UtcSeconds>(std::time(nullptr));
    auto p = Tokens()->Authenticate(req.get_header_value("Authorization"), now);
    if (p) {
      std::lock_guard<std::mutex> lock(q_mu);
      token_uses[p->name] = now;  // written with the next commit
    }
    return p;
  }

  void AuditRejected(const HttpRequest& req, const std::optional<Principal>& who, int code,
                     const std::string& detail) {
    store::AuditEntry e;
    e.at = scheduler_clock_now();
    e.principal = who ? who->name : "-";
    e.role = who ? RoleName(who->role) : "-";
    e.method = req.method;
    e.path = req.path;
    e.http_status = code;
    e.detail = detail.substr(0, 500);
    {
      std::lock_guard<std::mutex> lock(q_mu);
      if (pending_audit.size() >= kMaxPendingAudit) return;  // not serving yet: bounded
      pending_audit.push_back(std::move(e));
    }
    q_cv.notify_one();
  }
  static constexpr size_t kMaxPendingAudit = 10000;

  Status Recover();
  void Fail(const Status& st);
  void StartupMain();

  UtcSeconds scheduler_clock_now() {
    std::shared_lock<std::shared_mutex> lock(scheduler_mu);
    return last_now;
  }
  UtcSeconds last_now = 0;  // clock at the last writer pass (guarded by scheduler_mu)

  using Handler = std::function<void(const HttpRequest&, HttpResponse&, const Principal&)>;
  struct RouteEntry {
    std::string method;
    std::string source;  // the pattern's text (Service::Routes)
    std::regex pattern;
    Access access;
    Handler handler;
  };
  // What the header check hands to the handler: the route and the caller.
  struct Admitted {
    const RouteEntry* route = nullptr;
    std::optional<Principal> who;
  };

  // The route table, checked in order; 404 and 405 come before any handler.
  std::vector<RouteEntry> routes;

  void Route(const std::string& method, const std::string& pattern, Access access, Handler handler) {
    routes.push_back({method, pattern, std::regex(pattern), access, std::move(handler)});
  }

  // On a worker once the header is in, before any body byte is read: the
  // framing checks (PreRoute), then the caller's credentials, rate limit and
  // role. Returns true when `res` is the answer.
  bool OnHeader(HttpRequest& req, HttpResponse& res) {
    const RouteEntry* route = PreRoute(req, res);
    if (!route) return true;
    ++http_requests;
    const bool mutation = route->method != "GET";
    // A body not read yet: any early answer must close the connection.
    auto refuse = [&](int code, const std::string& slug, const std::string& msg) {
      if (req.body_expected)
        SetErrorAndClose(res, code, slug, msg);
      else
        SetError(res, code, slug, msg);
      return true;
    };
    if (route->access != Access::kPublic && phase != Phase::kServing) {
      res.set_header("Retry-After", "1");
      return refuse(503, "unavailable",
                    std::string("the server is not serving yet (") + PhaseName(phase) + "); retry shortly");
    }
    std::optional<Principal> who;
    if (route->access != Access::kPublic || req.has_header("Authorization")) who = Authenticate(req);
    const std::string key = who ? "token:" + who->name : "addr:" + req.remote_addr;
    if (!limiter.Allow(key)) {
      ++http_rejected;
      res.set_header("Retry-After", "1");
      const std::string msg = "too many requests for " + key + "; retry later";
      if (mutation) AuditRejected(req, who, 429, msg);
      return refuse(429, "rate_limited", msg);
    }
    if (route->access != Access::kPublic) {
      if (!who) {
        ++http_rejected;
        res.set_header("WWW-Authenticate", "Bearer");
        std::string msg = req.has_header("Authorization") ? "invalid bearer token" : "missing bearer token";
        if (mutation) AuditRejected(req, who, 401, msg);
        return refuse(401, "unauthenticated", msg);
      }
      bool allowed = route->access == Access::kAnyRole || who->role == Role::kAdmin ||
                     (route->access == Access::kTeamOrAdmin && who->role == Role::kTeam);
      if (!allowed) {
        ++http_rejected;
        std::string msg =
            std::string("role ") + RoleName(who->role) + " may not " + req.method + " " + req.path;
        if (mutation) AuditRejected(req, who, 403, msg);
        return refuse(403, "permission_denied", msg);
      }
    }
    // The body is read only now (authenticated), never past the limit,
    // whatever its transfer encoding.
    req.context = Admitted{route, std::move(who)};
    return false;
  }

  // On a worker with the body read: the route's handler.
  void OnRequest(HttpRequest& req, HttpResponse& res) {
    const auto& [route, who] = std::any_cast<const Admitted&>(req.context);
    if (req.body_state == HttpRequest::Body::kTooLarge) {
      ++http_rejected;
      const std::string msg =
          "request body larger than the limit of " + std::to_string(options.max_body_bytes) + " bytes";
      SetErrorAndClose(res, 413, "payload_too_large", msg);
      AuditRejected(req, who, 413, msg);
      return;
    }
    if (req.body_state == HttpRequest::Body::kUnreadable)
      return SetErrorAndClose(res, 400, "bad_request", "the request body could not be read");
    t_audited = false;
    try {
      route->handler(req, res, who ? *who : Principal{"-", Role::kViewer, ""});
    } catch (const std::exception& e) {
      log->error("event=handler_exception error=\"{}\"", e.what());
      res = HttpResponse{};
      SetError(res, 500, "internal", "internal error");
    }
    if (route->method != "GET" && !t_audited && res.status >= 400)
      AuditRejected(req, who, res.status, res.body);
  }

  // Checks every request before routing and before any body byte is read:
  // framing, route, method, media type, declared length. Returns the route
  // (its captures in req.matches), or null when `res` is the answer.
  const RouteEntry* PreRoute(HttpRequest& req, HttpResponse& res) {
    // A refused POST is a refused mutation: audited (without a principal:
    // no credentials are checked before these refusals).
    auto close = [&](int code, const std::string& slug, const std::string& msg) -> const RouteEntry* {
      SetErrorAndClose(res, code, slug, msg);
      if (req.method != "GET") AuditRejected(req, std::nullopt, code, msg);
      return nullptr;
    };
    const size_t n_length = req.get_header_value_count("Content-Length");
    const size_t n_te = req.get_header_value_count("Transfer-Encoding");
    if (n_length > 1) return close(400, "bad_request", "more than one Content-Length header");
    if (n_te > 1 || (n_te == 1 && !EqualsIgnoreCase(req.get_header_value("Transfer-Encoding"), "chunked")))
      return close(400, "bad_request", "Transfer-Encoding: only a single \"chunked\" is accepted");
    if (n_te == 1 && n_length == 1)
      return close(400, "bad_request", "both Content-Length and Transfer-Encoding were sent");
    std::uint64_t length = 0;
    if (n_length == 1) {
      const std::string v = req.get_header_value("Content-Length");
      if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
        return close(400, "bad_request", "Content-Length: expected a decimal number of bytes");
      length = std::stoull(v);
    }
    if (req.has_header("Content-Encoding"))
      return close(415, "unsupported_media_type", "Content-Encoding is not accepted; send plain JSON");
    std::string allow;
    const RouteEntry* route = nullptr;
    for (const auto& r : routes) {
      if (!std::regex_match(req.path, r.pattern)) continue;
      if (allow.find(r.method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + r.method;
      if (!route && r.method == req.method) route = &r;
    }
    const bool body = HasBody(req);
    auto answer = [&](int code, const std::string& slug, const std::string& msg) -> const RouteEntry* {
      if (body) return close(code, slug, msg);
      SetError(res, code, slug, msg);
      return nullptr;
    };
    if (allow.empty()) return answer(404, "not_found", "no route for " + req.method + " " + req.path);
    if (!route) {
      res.set_header("Allow", allow);
      return answer(405, "method_not_allowed",
                    req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
    }
    if (req.method != "POST" && body) return close(400, "bad_request", req.method + " requests take no body");
    if (body) {
      std::string type = req.get_header_value("Content-Type");
      type = type.substr(0, type.find(';'));
      while (!type.empty() && type.back() == ' ') type.pop_back();
      if (!EqualsIgnoreCase(type, "application/json"))
        return close(
            415, "unsupported_media_type",
            "Content-Type: expected application/json, got \"" + req.get_header_value("Content-Type") + "\"");
      if (length > options.max_body_bytes) {
        ++http_rejected;
        const std::string msg = "request body of " + std::to_string(length) +
                                " bytes is larger than the limit of " +
                                std::to_string(options.max_body_bytes) + " bytes";
        return close(413, "payload_too_large", msg);
      }
    }
    std::regex_match(req.path, req.matches, route->pattern);
    return route;
  }

  // Hands `op` to the writer and waits until it is applied and committed.
  void RunOp(const std::shared_ptr<Op>& op, const HttpRequest& req, const Principal& who, HttpResponse& res) {
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
      std::map<std::string, UtcSeconds> uses;
      bool finishing = false;
      {
        std::unique_lock<std::mutex> lock(q_mu);
        q_cv.wait_until(lock, next_tick, [&] { return !ops.empty() || !pending_audit.empty() || stopping; });
        while (!ops.empty() && static_cast<int>(batch_ops.size()) < options.max_batch) {
          batch_ops.push_back(std::move(ops.front()));
          ops.pop_front();
        }
        audits.swap(pending_audit);
        uses.swap(token_uses);
        finishing = stopping && ops.empty();
      }
      const bool tick = std::chrono::steady_clock::now() >= next_tick;
      if (tick) next_tick = std::chrono::steady_clock::now() + interval;
      if (!batch_ops.empty() || !audits.empty() || tick || finishing) Pass(batch_ops, audits, uses);
      if (finishing) break;
    }
  }

  void Pass(std::vector<std::shared_ptr<Op>>& batch_ops, std::vector<store::AuditEntry>& audits,
            const std::map<std::string, UtcSeconds>& uses) {
    store::Batch batch;
    for (const auto& [name, at] : uses) batch.token_uses.push_back({name, at});
    {
      std::unique_lock<std::shared_mutex> lock(scheduler_mu);
      for (auto& op : batch_ops) op->apply(*op);
      Status st = scheduler->Schedule();
      if (!st.ok()) log->error("event=schedule_failed error=\"{}\"", st.ToString());
      for (auto& op : batch_ops)
        if (op->finish) op->finish(*op);
      auto changes = scheduler->TakeChanges();
      batch.jobs = std::move(changes.jobs);
      batch.decisions = std::move(changes.decisions);
      last_now = scheduler_now();
    }
    for (auto& a : audits) {
      a.seq = next_audit_seq++;
      if (a.at == 0) a.at = last_now;
      batch.audit.push_back(std::move(a));
    }
    for (auto& op : batch_ops) {
      for (auto& u : op->usage) {
        u.reported_at = last_now;
        batch.usage.push_back(u);
      }
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
    Publish(batch.jobs, batch.decisions);
    for (auto& d : batch.decisions)
      if (d.action != "waiting" && d.action != "submitted")
        log->info("event=decision seq={} job={} action={} pool={} chips={} reason=\"{}\"", d.seq, d.job_id,
                  d.action, d.pool, d.chips, d.reason);
    for (auto& op : batch_ops) op->done.set_value();
  }

  UtcSeconds scheduler_now() { return vclock ? vclock->Now() : orchestrate::SystemClock().Now(); }

  // ---- resolver ----

  void ResolverLoop() {
    std::unique_lock<std::mutex> lock(resolve_mu);
    while (true) {
      if (resolve_cv.wait_for(lock, std::chrono::seconds(options.resolve_every_s),
                              [&] { return IsStopping(); }))
        return;
      lock.unlock();
      std::string infeasible;
      auto r = ResolvePlan("scheduled re-solve", &infeasible);
      if (!r.ok()) log->error("event=resolve_failed error=\"{}\"", r.ToString());
      if (!infeasible.empty()) log->warn("event=resolve_infeasible reason=\"{}\"", infeasible);
      lock.lock();
    }
  }

  bool IsStopping() {
    std::lock_guard<std::mutex> lock(q_mu);
    return stopping;
  }

  // Re-solves and installs the new quotas; when the allocation is infeasible
  // keeps the current ones and sets `infeasible` to why.
  Status ResolvePlan(const std::string& why, std::string* infeasible) {
    if (!resolve) return Status::Invalid("this server has no plan source to re-solve");
    auto plan = resolve();
    if (!plan.ok()) return plan.status();
    if (!plan->quotas) {
      *infeasible = plan->infeasible;
      return Status::Ok();
    }
    auto op = std::make_shared<Op>();
    auto p = std::make_shared<orchestrate::QuotaPlan>(std::move(*plan->quotas));
    op->apply = [this, p, why](Op& o) {
      scheduler->SetPlan(*p, why);
      o.code = 200;
      o.body = json{{"periods", p->periods()}, {"reason", why}};
    };
    op->audit = {0, 0, "scheduler", "admin", "POST", "/v1/quotas/resolve", 0, why};
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
    const auto& plan = scheduler->plan();
    json periods = json::array();
    for (int t = 0; t < plan.periods(); ++t)
      periods.push_back(
          {{"index", t}, {"start", FormatRfc3339(plan.period_starts[t])}, {"hours", plan.period_hours[t]}});
    json usage = json::object();
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes()) usage[team][chip] = scheduler->Usage(team, chip);
    return json{{"current_period", scheduler->current_period()},
                {"periods", periods},
                {"quota_chips", plan.quota_chips},
                {"used_chips", usage}};
  }

  json PoolsJson() {
    json pools = json::array();
    for (const auto& p : scheduler->Pools())
      pools.push_back({{"id", p.id},
                       {"chip_type", p.chip_type},
                       {"chips", p.chips},
                       {"domain_chips", p.domain_chips},
                       {"used_chips", p.used_chips},
                       {"down_chips", p.down_chips},  // in nodes the backend marks drained, down or failed
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
    std::shared_lock<std::shared_mutex> lock(scheduler_mu);
    const auto& c = scheduler->counters();
    help("fungible_queue_depth", "gauge", "Jobs waiting for admission.");
    line("fungible_queue_depth " + std::to_string(scheduler->queue_depth()));
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
    line("fungible_plan_period " + std::to_string(scheduler->current_period()));
    help("fungible_pool_chips", "gauge", "Chips in the pool.");
    for (const auto& p : scheduler->Pools())
      line("fungible_pool_chips{pool=\"" + p.id + "\",chip_type=\"" + p.chip_type + "\"} " +
           std::to_string(p.chips));
    help("fungible_pool_used_chips", "gauge", "Chips held by running jobs.");
    for (const auto& p : scheduler->Pools())
      line("fungible_pool_used_chips{pool=\"" + p.id + "\"} " + std::to_string(p.used_chips));
    help("fungible_pool_utilization", "gauge", "Used chips / chips.");
    for (const auto& p : scheduler->Pools()) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.6f", p.chips > 0 ? static_cast<double>(p.used_chips) / p.chips : 0.0);
      line("fungible_pool_utilization{pool=\"" + p.id + "\"} " + buf);
    }
    help("fungible_pool_up", "gauge", "1 when the pool is up.");
    for (const auto& p : scheduler->Pools())
      line("fungible_pool_up{pool=\"" + p.id + "\"} " + (p.up ? "1" : "0"));
    const auto& plan = scheduler->plan();
    help("fungible_team_quota_chips", "gauge", "Nominal quota of the team in the current period.");
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes())
        line("fungible_team_quota_chips{team=\"" + team + "\",chip_type=\"" + chip + "\"} " +
             std::to_string(plan.Quota(team, chip, scheduler->current_period())));
    help("fungible_team_used_chips", "gauge", "Chips the team holds (borrowed included).");
    for (const auto& team : plan.Teams())
      for (const auto& chip : plan.ChipTypes())
        line("fungible_team_used_chips{team=\"" + team + "\",chip_type=\"" + chip + "\"} " +
             std::to_string(scheduler->Usage(team, chip)));
    help("fungible_http_requests_total", "counter", "HTTP requests routed.");
    line("fungible_http_requests_total " + std::to_string(http_requests.load()));
    help("fungible_http_rejected_total", "counter", "Requests refused with 401, 403, 413 or 429.");
    line("fungible_http_rejected_total " + std::to_string(http_rejected.load()));
    help("fungible_store_commits_total", "counter", "Store transactions (each a group of operations).");
    line("fungible_store_commits_total " + std::to_string(commits.load()));
    return out;
  }

  // Usage reports that feed the ledger (`fungible review --store`).
  void InstallUsageRoutes() {
    Route("POST", "/v1/usage/tokens", Access::kTeamOrAdmin,
          [this](const HttpRequest& req, auto& res, const Principal& who) {
            auto body = ParseBody(req, false);
            if (!body.ok()) return SetStatusError(res, body.status());
            auto usage = TokenUsageFromJson(*body);
            if (!usage.ok()) return SetStatusError(res, usage.status());
            if (who.role == Role::kTeam && usage->team != who.team)
              return SetError(res, 403, "permission_denied",
                              "token " + who.name + " may report usage for team " + who.team + " only, not " +
                                  usage->team);
            usage->reported_by = who.name;
            auto op = std::make_shared<Op>();
            op->usage.push_back(*usage);
            const json echo = {{"team", usage->team},
                               {"model", usage->model},
                               {"pool", usage->pool},
                               {"from", FormatRfc3339(usage->from)},
                               {"to", FormatRfc3339(usage->to)},
                               {"input_tokens", usage->input_tokens},
                               {"output_tokens", usage->output_tokens},
                               {"cached_input_tokens", usage->cached_input_tokens},
                               {"reported_by", usage->reported_by}};
            op->apply = [echo](Op& o) {
              o.code = 201;
              o.body = echo;
              o.audit.detail = "usage " + echo["team"].get<std::string>() + " " +
                               echo["model"].get<std::string>() + " " + echo["from"].get<std::string>();
            };
            RunOp(op, req, who, res);
          });
  }

  // ---- jobs: list (paginated), watch (long poll), cancel ----

  // The filters of GET /v1/jobs and the watches (team, state, pool).
  StatusOr<orchestrate::JobFilter> FilterFrom(const HttpRequest& req) {
    orchestrate::JobFilter f;
    f.team = req.get_param_value("team");
    f.pool = req.get_param_value("pool");
    if (req.has_param("state")) {
      auto s = orchestrate::ParseJobState(req.get_param_value("state"));
      if (!s.ok()) return s.status();
      f.state = *s;
    }
    return f;
  }
  static bool Matches(const orchestrate::JobFilter& f, const Job& j) {
    return (f.team.empty() || j.spec.team == f.team) && (!f.state || j.state == *f.state) &&
           (f.pool.empty() || j.pool == f.pool);
  }

  // GET /v1/jobs?team=&state=&pool=&limit=&continue=: a page in job id
  // order; "continue" (absent on the last page) fetches the next one.
  // "resource_version" is where a watch started from this list begins.
  // ?watch=1 is the long poll of Watch() restricted to jobs.
  void ListJobs(const HttpRequest& req, HttpResponse& res) {
    if (req.has_param("watch")) {
      const std::string w = req.get_param_value("watch");
      if (w != "1" && w != "true" && w != "0" && w != "false")
        return SetError(res, 400, "invalid_argument", "watch: expected 1 or true, got \"" + w + "\"");
      if (w == "1" || w == "true") return Watch(req, res, /*jobs_only=*/true);
    }
    auto filter = FilterFrom(req);
    if (!filter.ok()) return SetStatusError(res, filter.status());
    int limit = 1000;
    if (req.has_param("limit")) {
      const std::string v = req.get_param_value("limit");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 1 || n > 100000)
        return SetError(res, 400, "invalid_argument",
                        "limit: expected an integer in [1, 100000], got \"" + v + "\"");
      limit = static_cast<int>(n);
    }
    std::string after;
    if (req.has_param("continue")) {
      auto a = DecodeContinueToken(req.get_param_value("continue"));
      if (!a) return SetError(res, 400, "invalid_argument", "continue: not a token this server gave");
      after = *a;
    }
    const std::string rv = CurrentResourceVersion();
    filter->limit = std::numeric_limits<int>::max();
    std::shared_lock<std::shared_mutex> lock(scheduler_mu);
    // The scheduler lists in id order; the page starts after the token's id.
    const std::vector<const Job*> all = scheduler->List(*filter);
    auto it = std::upper_bound(all.begin(), all.end(), after,
                               [](const std::string& id, const Job* j) { return id < j->id; });
    json jobs = json::array();
    for (; it != all.end() && static_cast<int>(jobs.size()) < limit; ++it)
      jobs.push_back(orchestrate::JobToJson(**it));
    json body = {{"jobs", jobs}, {"count", jobs.size()}, {"resource_version", rv}};
    if (it != all.end()) body["continue"] = EncodeContinueToken(jobs.back()["id"].get<std::string>());
    SetJson(res, 200, body);
  }

  // What changed, kept for the watches: each committed change of a job and
  // each fleet decision (plan updated, period change, pool down/up), in
  // commit order, numbered by a resource version. The newest kMaxEvents are
  // kept; a watch from before them gets 410 (list again).
  struct Event {
    std::int64_t rv = 0;
    std::optional<Job> job;                      // a job's new state
    std::optional<orchestrate::Decision> fleet;  // or a decision about the fleet
  };
  static constexpr size_t kMaxEvents = 20000;
  std::mutex watch_mu;
  std::condition_variable watch_cv;
  std::deque<Event> events;  // guarded by watch_mu
  std::int64_t last_rv = 0;  // guarded by watch_mu
  int watchers = 0;          // guarded by watch_mu
  bool watch_closing = false;
  // Resource versions are "<epoch>.<n>": a server restart starts a new epoch,
  // so a version from an earlier process is refused (410), never misread.
  const std::string rv_epoch = std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                  std::chrono::system_clock::now().time_since_epoch())
                                                  .count());

  std::string CurrentResourceVersion() {
    std::lock_guard<std::mutex> lock(watch_mu);
    return rv_epoch + "." + std::to_string(last_rv);
  }

  // After a commit (writer thread): the changed jobs and fleet decisions.
  void Publish(std::vector<Job>& jobs, const std::vector<orchestrate::Decision>& decisions) {
    if (jobs.empty() && decisions.empty()) return;
    {
      std::lock_guard<std::mutex> lock(watch_mu);
      for (auto& j : jobs) events.push_back({++last_rv, std::move(j), std::nullopt});
      for (const auto& d : decisions)
        if (d.job_id.empty()) events.push_back({++last_rv, std::nullopt, d});
      while (events.size() > kMaxEvents) events.pop_front();
    }
    watch_cv.notify_all();
  }

  // GET /v1/watch (jobs and fleet) and GET /v1/jobs?watch=1 (jobs only):
  // a long poll. Answers the events after ?resource_version= (default: now)
  // that match the filters, as soon as there is one, or an empty list after
  // ?timeout_s= (default 30, at most 300). The answer's resource_version is
  // where the next poll continues.
  void Watch(const HttpRequest& req, HttpResponse& res, bool jobs_only) {
    auto filter = FilterFrom(req);
    if (!filter.ok()) return SetStatusError(res, filter.status());
    int timeout_s = 30;
    if (req.has_param("timeout_s")) {
      const std::string v = req.get_param_value("timeout_s");
      char* end = nullptr;
      long n = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n < 0 || n > 300)
        return SetError(res, 400, "invalid_argument",
                        "timeout_s: expected an integer in [0, 300], got \"" + v + "\"");
      timeout_s = static_cast<int>(n);
    }
    std::unique_lock<std::mutex> lock(watch_mu);
    std::int64_t since = last_rv;
    if (req.has_param("resource_version")) {
      const std::string v = req.get_param_value("resource_version");
      const size_t dot = v.find('.');
      char* end = nullptr;
      long long n = dot == std::string::npos ? -1 : std::strtoll(v.c_str() + dot + 1, &end, 10);
      if (n < 0 || *end != '\0')
        return SetError(res, 400, "invalid_argument",
                        "resource_version: not a version this server gave, got \"" + v + "\"");
      if (v.substr(0, dot) != rv_epoch || n > last_rv ||
          (n < last_rv && (events.empty() || events.front().rv > n + 1)))
        return SetError(res, 410, "gone",
                        "resource_version " + v + " is too old or from an earlier server; list again");
      since = n;
    }
    // A watch holds a worker while it waits: at most a quarter of them.
    if (watchers >= std::max(1, options.http_threads / 4)) {
      res.set_header("Retry-After", "1");
      return SetError(res, 503, "unavailable", "too many watches open; retry shortly");
    }
    ++watchers;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    json out = json::array();
    while (true) {
      auto first = std::upper_bound(events.begin(), events.end(), since,
                                    [](std::int64_t rv, const Event& e) { return rv < e.rv; });
      for (auto it = first; it != events.end(); ++it) {
        if (it->job && Matches(*filter, *it->job))
          out.push_back({{"type", "job"},
                         {"resource_version", rv_epoch + "." + std::to_string(it->rv)},
                         {"job", orchestrate::JobToJson(*it->job)}});
        else if (it->fleet && !jobs_only)
          out.push_back({{"type", "fleet"},
                         {"resource_version", rv_epoch + "." + std::to_string(it->rv)},
                         {"decision", orchestrate::DecisionToJson(*it->fleet)}});
      }
      since = last_rv;
      if (!out.empty() || watch_closing) break;
      if (watch_cv.wait_until(lock, deadline) == std::cv_status::timeout) {
        // One last look: events published just before the deadline.
        if (events.empty() || events.back().rv <= since) break;
      }
    }
    --watchers;
    SetJson(res, 200, {{"events", out}, {"resource_version", rv_epoch + "." + std::to_string(since)}});
  }

  // DELETE /v1/jobs/{id} and its alias POST /v1/jobs/{id}/cancel.
  void CancelJob(const HttpRequest& req, HttpResponse& res, const Principal& who) {
    const std::string id = req.matches[1];
    auto op = std::make_shared<Op>();
    op->apply = [this, id, who](Op& o) {
      const Job* j = scheduler->Find(id);
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
      auto c = scheduler->Cancel(id, who.name);
      if (!c.ok()) {
        o.code = c.status().code() == StatusCode::kInvalidArgument ? 409 : HttpFor(c.status().code());
        o.body = ErrorBody(o.code == 409 ? "conflict" : StatusSlug(c.status().code()), c.status().message());
        return;
      }
      o.code = 200;
      o.body = orchestrate::JobToJson(*c);
      o.audit.detail = "cancelled " + id;
    };
    RunOp(op, req, who, res);
  }

  // Every route, in the order they are matched and listed.
  void InstallRoutes() {
    InstallUsageRoutes();
    InstallServiceRoutes();
    InstallFleetRoutes();
    InstallJobRoutes();
    InstallAdminRoutes();
  }

  // The service itself: health, the UI, the OpenAPI document, metrics.
  void InstallServiceRoutes() {
    // 200 only while serving; a load balancer sends traffic to the leader.
    Route("GET", "/healthz", Access::kPublic, [this](auto&, auto& res, auto&) {
      const Phase p = phase;
      if (p != Phase::kServing) res.set_header("Retry-After", "1");
      SetJson(res, p == Phase::kServing ? 200 : 503, {{"status", PhaseName(p)}});
    });
    InstallUiRoutes(
        [this](auto& m, auto& p, bool token, UiHandler h) {
          Route(m, p, token ? Access::kAnyRole : Access::kPublic, [h](auto& q, auto& r, auto&) { h(q, r); });
        },
        [this] {
          std::shared_lock<std::shared_mutex> lock(scheduler_mu);
          return UiLiveFigures(*scheduler, fleet, scheduler_now());
        });
    Route("GET", "/openapi.json", Access::kPublic,
          [](auto&, auto& res, auto&) { SetJson(res, 200, OpenApiDocument()); });
    Route("GET", "/metrics", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      res.status = 200;
      res.set_content(Metrics(), "text/plain; version=0.0.4");
    });
  }

  // The fleet, its pools and the quota plan, read.
  void InstallFleetRoutes() {
    Route("GET", "/v1/fleet", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(scheduler_mu);
      SetJson(res, 200, {{"fleet", fleet}, {"pools", PoolsJson()}, {"backend", scheduler->backend().Name()}});
    });
    Route("GET", "/v1/pools", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(scheduler_mu);
      SetJson(res, 200, {{"pools", PoolsJson()}});
    });
    // The quota plan was /v1/plan ("plan" is the procurement plan of `fungible plan`).
    for (const auto& [method, old_path, path] : {std::tuple{"GET", "/v1/plan", "GET /v1/quotas"},
                                                 {"POST", "/v1/plan/resolve", "POST /v1/quotas/resolve"}})
      Route(method, old_path, Access::kPublic, [path = std::string(path)](auto&, auto& res, auto&) {
        SetError(res, 404, "not_found", "renamed: the quota plan is " + path);
      });
    Route("GET", "/v1/quotas", Access::kAnyRole, [this](auto&, auto& res, auto&) {
      std::shared_lock<std::shared_mutex> lock(scheduler_mu);
      SetJson(res, 200, PlanJson());
    });
  }

  // Jobs: list, watch, one job, its decisions, submit, cancel.
  void InstallJobRoutes() {
    Route("GET", "/v1/jobs", Access::kAnyRole,
          [this](const HttpRequest& req, auto& res, auto&) { ListJobs(req, res); });
    Route("GET", "/v1/watch", Access::kAnyRole,
          [this](const HttpRequest& req, auto& res, auto&) { Watch(req, res, /*jobs_only=*/false); });
    Route("GET", R"(/v1/jobs/([A-Za-z0-9_.-]+))", Access::kAnyRole,
          [this](const HttpRequest& req, auto& res, auto&) {
            std::shared_lock<std::shared_mutex> lock(scheduler_mu);
            const Job* j = scheduler->Find(req.matches[1]);
            if (!j)
              return SetError(res, 404, "not_found", "job " + std::string(req.matches[1]) + " not found");
            SetJson(res, 200, orchestrate::JobToJson(*j));
          });
    Route("GET", R"(/v1/jobs/([A-Za-z0-9_.-]+)/decisions)", Access::kAnyRole,
          [this](const HttpRequest& req, auto& res, auto&) {
            const std::string id = req.matches[1];
            json job;
            {
              std::shared_lock<std::shared_mutex> lock(scheduler_mu);
              const Job* j = scheduler->Find(id);
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
          [this](const HttpRequest& req, auto& res, const Principal& who) {
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
              auto out = scheduler->Submit(s);
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
              if (const Job* j = scheduler->Find(*id)) o.body = orchestrate::JobToJson(*j);
            };
            RunOp(op, req, who, res);
            if (res.status == 200) res.set_header("Idempotent-Replayed", "true");
          });
    // DELETE is the REST spelling; POST .../cancel stays as an alias.
    Route("DELETE", R"(/v1/jobs/([A-Za-z0-9_.-]+))", Access::kTeamOrAdmin,
          [this](const HttpRequest& req, auto& res, const Principal& who) { CancelJob(req, res, who); });
    Route("POST", R"(/v1/jobs/([A-Za-z0-9_.-]+)/cancel)", Access::kTeamOrAdmin,
          [this](const HttpRequest& req, auto& res, const Principal& who) { CancelJob(req, res, who); });
  }

  // Admin: pools down and up, schedule, the virtual clock, re-solve, audit.
  void InstallAdminRoutes() {
    for (const char* action : {"down", "up"}) {
      const bool down = std::string(action) == "down";
      Route("POST", std::string(R"(/v1/pools/([A-Za-z0-9_.-]+)/)") + action, Access::kAdmin,
            [this, down](const HttpRequest& req, auto& res, const Principal& who) {
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
                Status st = down ? scheduler->PoolDown(pool, reason) : scheduler->PoolUp(pool, reason);
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
          [this](const HttpRequest& req, auto& res, const Principal& who) {
            auto op = std::make_shared<Op>();
            op->apply = [](Op& o) { o.code = 200; };
            op->finish = [this](Op& o) {
              o.body = {{"queue_depth", scheduler->queue_depth()}, {"period", scheduler->current_period()}};
            };
            RunOp(op, req, who, res);
          });
    Route("POST", "/v1/clock/advance", Access::kAdmin,
          [this](const HttpRequest& req, auto& res, const Principal& who) {
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
              o.body = {{"now", FormatRfc3339(vclock->Now())}, {"period", scheduler->current_period()}};
            };
            RunOp(op, req, who, res);
          });
    Route("POST", "/v1/quotas/resolve", Access::kAdmin,
          [this](const HttpRequest& req, auto& res, const Principal& who) {
            std::string infeasible;
            Status st = ResolvePlan("on demand by " + who.name, &infeasible);
            if (!st.ok()) return SetStatusError(res, st);
            if (!infeasible.empty())  // an answer: the current quotas stay
              return SetJson(res, 409, json{{"status", "infeasible"}, {"reason", infeasible}});
            std::shared_lock<std::shared_mutex> lock(scheduler_mu);
            SetJson(res, 200, PlanJson());
          });
    Route("GET", "/v1/audit", Access::kAdmin, [this](const HttpRequest& req, auto& res, auto&) {
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
                       {"at", FormatRfc3339(e.at)},
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

Service::Service(orchestrate::Scheduler& scheduler, store::Store& store,
                 orchestrate::VirtualClock* virtual_clock, PlanSource resolve, nlohmann::json fleet,
                 ServiceOptions options, std::shared_ptr<spdlog::logger> log)
    : Service(
          [&scheduler, virtual_clock]() -> StatusOr<Serving> {
            return Serving{&scheduler, virtual_clock};
          },
          store, std::move(resolve), std::move(fleet), std::move(options), std::move(log), nullptr) {}

Service::Service(SchedulerSource prepare, store::Store& store, PlanSource resolve, nlohmann::json fleet,
                 ServiceOptions options, std::shared_ptr<spdlog::logger> log,
                 std::function<void(const Status&)> on_fatal)
    : impl_(std::make_unique<Impl>(std::move(prepare), store, std::move(resolve), std::move(fleet),
                                   std::move(options), std::move(log), std::move(on_fatal))) {}

Service::~Service() { Stop(); }

int Service::port() const { return impl_->bound_port; }
bool Service::serving() const { return impl_->phase == Impl::Phase::kServing; }
bool Service::StartupAbandoned() const { return impl_->abandoned; }

std::vector<std::pair<std::string, std::string>> Service::Routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& r : impl_->routes) out.emplace_back(r.method, r.source);
  return out;
}

// Recovers: stored jobs into the scheduler, reconciled with the backend.
Status Service::Impl::Recover() {
  std::lock_guard<std::mutex> lock(store_mu);
  auto jobs = store.LoadJobs();
  if (!jobs.ok()) return jobs.status().WithContext("recover jobs");
  auto max_decision = store.MaxDecisionSeq();
  if (!max_decision.ok()) return max_decision.status();
  auto max_audit = store.MaxAuditSeq();
  if (!max_audit.ok()) return max_audit.status();
  const size_t recovered = jobs->size();
  {
    std::unique_lock<std::shared_mutex> elock(scheduler_mu);
    FUNGIBLE_RETURN_IF_ERROR(scheduler->Restore(std::move(jobs).value(), *max_decision + 1));
    FUNGIBLE_RETURN_IF_ERROR(scheduler->Schedule());
    auto changes = scheduler->TakeChanges();
    FUNGIBLE_RETURN_IF_ERROR(
        store.Commit({std::move(changes.jobs), std::move(changes.decisions), {}, {}, {}}));
    last_now = scheduler_now();
  }
  {
    std::lock_guard<std::mutex> qlock(q_mu);
    next_audit_seq = *max_audit + 1;
  }
  // Tokens() loads the table on the first request (never under store_mu:
  // Tokens() takes tokens_mu, then store_mu).
  auto records = store.LoadTokens();
  if (!records.ok()) return records.status();
  log->info("event=recovered store={} jobs={} tokens={}", store.Describe(), recovered, records->size());
  return Status::Ok();
}

void Service::Impl::Fail(const Status& st) {
  phase = Phase::kFailed;
  log->critical("event=startup_failed error=\"{}\"", st.ToString());
  log->flush();
  if (on_fatal) on_fatal(st);
}

// The start-up thread: prepare (solve), own the store, recover, serve.
void Service::Impl::StartupMain() {
  in_prepare = true;
  auto prepared = prepare();
  in_prepare = false;
  if (abandoned) return;  // Stop() gave up on us; touch nothing
  if (!prepared.ok()) return Fail(prepared.status());
  scheduler = prepared->scheduler;
  vclock = prepared->virtual_clock;
  bool said_standby = false;
  while (!owned) {
    StatusOr<bool> own = [&] {
      std::lock_guard<std::mutex> lock(store_mu);
      return store.TryOwn();
    }();
    if (own.ok() && *own) {
      owned = true;
      break;
    }
    if (!own.ok()) log->warn("event=ownership_check_failed error=\"{}\"", own.status().ToString());
    if (!said_standby) {
      log->info("event=standby store={} owner=\"{}\"", store.Describe(), store.Owner());
      said_standby = true;
    }
    phase = Phase::kStandby;
    std::unique_lock<std::mutex> lock(q_mu);
    if (q_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return stopping; })) return;
  }
  if (said_standby) log->info("event=took_over store={}", store.Describe());
  phase = Phase::kRecovering;
  Status st = Recover();
  if (!st.ok()) return Fail(st);
  {
    std::lock_guard<std::mutex> lock(q_mu);
    if (stopping) return;
    writer = std::thread([this] { WriterLoop(); });
    if (options.resolve_every_s > 0 && resolve) resolver = std::thread([this] { ResolverLoop(); });
  }
  phase = Phase::kServing;
  log->info("event=serving backend={}", scheduler->backend().Name());
}

Status Service::Start() {
  Impl& s = *impl_;
  if (!s.options.standby) {
    // Refused at once, before the port and before any solve.
    std::lock_guard<std::mutex> lock(s.store_mu);
    auto own = s.store.TryOwn();
    if (!own.ok()) return own.status();
    if (!*own)
      return Status(StatusCode::kUnavailable, "store " + s.store.Describe() + " is in use by " +
                                                  s.store.Owner() +
                                                  "; one server per store: stop it or pass another --store");
    s.owned = true;
  }
  s.InstallRoutes();
  HttpFrontOptions fo;
  fo.worker_threads = std::max(2, s.options.http_threads);
  fo.idle_timeout_s = std::max(1, s.options.keep_alive_timeout_s);
  fo.request_timeout_s = std::max(1, s.options.read_timeout_s);
  fo.write_timeout_s = std::max(1, s.options.write_timeout_s);
  fo.max_body_bytes = s.options.max_body_bytes;
  fo.max_connections = s.options.max_connections;
  s.http = std::make_unique<HttpFront>(
      fo, [&s](HttpRequest& req, HttpResponse& res) { return s.OnHeader(req, res); },
      [&s](HttpRequest& req, HttpResponse& res) { s.OnRequest(req, res); });
  Status listening = s.http->Listen(s.options.host, s.options.port);
  if (!listening.ok()) return listening;
  s.bound_port = s.http->port();
  s.log->info("event=listening host={} port={}", s.options.host, s.bound_port);
  s.startup = std::thread([&s] { s.StartupMain(); });
  return Status::Ok();
}

void Service::Stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.q_mu);
    if (s.stopped) return;
    s.stopped = true;
  }
  if (!s.http) return;  // never started
  {
    // Open watches answer now, so the requests in progress end promptly.
    std::lock_guard<std::mutex> lock(s.watch_mu);
    s.watch_closing = true;
  }
  s.watch_cv.notify_all();
  s.http->Stop();  // no new connections; idle ones closed now, requests in progress answered
  {
    std::lock_guard<std::mutex> lock(s.q_mu);
    s.stopping = true;
  }
  s.q_cv.notify_all();
  s.resolve_cv.notify_all();
  if (s.startup.joinable()) {
    if (s.in_prepare) {
      s.abandoned = true;
      s.startup.detach();
      s.log->warn("event=startup_abandoned reason=\"stopped during the start-up solve\"");
    } else {
      s.startup.join();
    }
  }
  {
    // The start-up thread has ended (or never starts the writer now).
    std::lock_guard<std::mutex> lock(s.q_mu);
  }
  if (s.writer.joinable()) s.writer.join();
  if (s.resolver.joinable()) s.resolver.join();
  s.log->info("event=stopped");
  s.log->flush();
}

}  // namespace fungible::server

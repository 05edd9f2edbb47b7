// `fungible serve`: the HTTP/JSON API around the scheduler (orchestrate/scheduler.h).
//
// Threads: the HTTP front (http_front.h: Boost.Beast, one io thread for
// every socket) hands each request to a bounded pool of worker threads;
// reads take a shared lock on the scheduler. Every mutation is an operation handed to one writer thread,
// which applies a batch of them to the scheduler, runs a scheduling pass,
// commits the changed jobs, decisions and audit entries in ONE store
// transaction (group commit) and only then answers the requests: an
// acknowledged request is durable. If a commit fails the process exits
// (fail-stop) so a restart recovers exactly the acknowledged state.
//
// Start and ownership: Start() checks that this process owns the store
// (Store::TryOwn; refused with kUnavailable when another does, unless
// `standby`), binds the port (never shared: no SO_REUSEPORT) and listens at
// once. A start-up thread then prepares the scheduler (the plan solve: /healthz
// says "solving"), waits for ownership when standing by ("standby"), recovers
// the stored jobs ("recovering") and only then serves ("ok"). Until then
// every other endpoint answers 503 with Retry-After.
//
// HTTP front (event-driven: a connection holds no thread): a request is
// checked before any body byte is read - duplicate or malformed
// Content-Length, Transfer-Encoding other than chunked, a body on a GET
// (400), an unknown path (404), a method the path does not take (405 with
// Allow), a POST body that is not application/json (415), a declared length
// over max_body_bytes (413). The credentials, rate limit and role are
// checked before any body is read; then a body, chunked or not, is counted
// as it arrives and refused with 413 at the limit. Every answer that leaves
// body bytes unread, and every malformed request, closes the connection.
// Idle connections are closed after keep_alive_timeout_s; a request's header
// must arrive within read_timeout_s of its first byte however it is trickled
// (408), and its body within read_timeout_s more.
//
// Endpoints (all JSON; errors are {"error": {"status", "message"}}):
//   GET  /healthz, /openapi.json                       no token
//   GET  /metrics (Prometheus text)                    any role
//   GET  /v1/fleet, /v1/pools, /v1/quotas              any role
//   GET  /v1/jobs?team=&state=&pool=&limit=&continue=  any role (pages in id order)
//   GET  /v1/jobs?watch=1&resource_version=&timeout_s= any role (long poll: job changes)
//   GET  /v1/watch?resource_version=&timeout_s=        any role (long poll: jobs and fleet)
//   GET  /v1/jobs/{id}, /v1/jobs/{id}/decisions        any role
//   POST /v1/jobs                                      team (own team) or admin
//   DELETE /v1/jobs/{id}, POST /v1/jobs/{id}/cancel    team (own team) or admin
//   POST /v1/pools/{id}/down, /v1/pools/{id}/up        admin
//   POST /v1/quotas/resolve, /v1/schedule              admin
//   POST /v1/clock/advance {"seconds": n}              admin, virtual clock only
//   GET  /v1/audit?limit=                              admin
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "orchestrate/scheduler.h"
#include "store/store.h"
#include "util/status.h"

namespace fungible::server {

struct ServiceOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0 = any free port (see Service::port())
  size_t max_body_bytes = 64 * 1024;  // larger requests get 413
  double rate_limit_per_s = 20000;    // per principal (or client address without a token)
  double rate_limit_burst = 40000;
  int http_threads = 128;            // requests handled at once (a connection holds no thread)
  int keep_alive_timeout_s = 1;      // an idle connection is closed after this
  int read_timeout_s = 2;            // deadline for a request's header, and then for its body
  int write_timeout_s = 2;           // deadline for writing an answer
  size_t max_connections = 4096;     // open connections; beyond, a new one gets 503 and is closed
  bool standby = false;              // another owner: wait for the store instead of refusing
  int schedule_interval_ms = 1000;   // scheduling pass even without requests
  std::int64_t resolve_every_s = 0;  // re-solve the plan on this period (0 = only on demand)
  int max_batch = 4096;              // operations per group commit
};

// What a re-solve answers: fresh quotas, or why there are none (the
// allocation is infeasible: which floor or gang, in domain words). An
// infeasible allocation is an answer, not an error: the service keeps its
// current quotas and says why (POST /v1/quotas/resolve answers 409).
struct PlanAnswer {
  std::optional<orchestrate::QuotaPlan> quotas;  // absent when infeasible
  std::string infeasible;                        // why there are no quotas; empty otherwise
};

// Produces a fresh plan (a re-solve of the allocation). May be slow; it is
// never called with the scheduler locked. Errors: the solve failed.
using PlanSource = std::function<StatusOr<PlanAnswer>()>;

// What the service runs on, made by a SchedulerSource on the start-up thread.
struct Serving {
  orchestrate::Scheduler* scheduler = nullptr;
  orchestrate::VirtualClock* virtual_clock = nullptr;  // nullable: enables POST /v1/clock/advance
};
// Prepares the scheduler (solves the first plan). May be slow; runs while the
// service already answers /healthz. Not called again after it returns.
using SchedulerSource = std::function<StatusOr<Serving>()>;

class Service {
 public:
  // REQUIRES: scheduler, store and clock outlive the service. `virtual_clock`
  // (nullable) enables POST /v1/clock/advance. `fleet` is served as is by
  // GET /v1/fleet. `resolve` may be empty (no re-solve).
  Service(orchestrate::Scheduler& scheduler, store::Store& store, orchestrate::VirtualClock* virtual_clock,
          PlanSource resolve, nlohmann::json fleet, ServiceOptions options,
          std::shared_ptr<spdlog::logger> log);
  // REQUIRES: store outlives the service, and so does whatever `prepare`
  // returns. `on_fatal` (may be empty) is called once, from the start-up
  // thread, when preparing or recovering fails: the service then answers 503.
  Service(SchedulerSource prepare, store::Store& store, PlanSource resolve, nlohmann::json fleet,
          ServiceOptions options, std::shared_ptr<spdlog::logger> log,
          std::function<void(const Status&)> on_fatal);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Takes the store (or, with `standby`, waits for it on the start-up
  // thread), binds host:port, listens, and starts the start-up thread, which
  // prepares the scheduler, restores it from the store (reconciling with the
  // backend), loads tokens and starts serving. kUnavailable when another
  // process owns the store (and not `standby`), the port cannot be bound or
  // the store cannot be read. Returns without waiting for the start-up thread.
  Status Start();
  int port() const;
  // True once the service answers every endpoint (the start-up thread done).
  bool serving() const;
  // Graceful stop: stop accepting, answer queued operations, final commit.
  // Idempotent; safe from any thread but a request handler. Returns once the
  // requests in progress are answered (idle connections are closed at once).
  // When the start-up thread is still inside `prepare`, it is left running (detached)
  // and StartupAbandoned() is true: the caller must then end the process
  // (e.g. std::_Exit) before destroying what `prepare` uses.
  void Stop();
  bool StartupAbandoned() const;
  // The installed routes as (method, path regex), once Start() has run: what
  // the OpenAPI document must describe (service_test checks both ways).
  std::vector<std::pair<std::string, std::string>> Routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3 document served at /openapi.json.
nlohmann::json OpenApiDocument();

}  // namespace fungible::server

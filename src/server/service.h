// `fungible serve`: the HTTP/JSON API around the admission engine.
//
// Threads: cpp-httplib's pool answers requests; reads take a shared lock on
// the engine. Every mutation is an operation handed to one writer thread,
// which applies a batch of them to the engine, runs a scheduling pass,
// commits the changed jobs, decisions and audit entries in ONE store
// transaction (group commit) and only then answers the requests: an
// acknowledged request is durable. If a commit fails the process exits
// (fail-stop) so a restart recovers exactly the acknowledged state.
//
// Endpoints (all JSON; errors are {"error": {"status", "message"}}):
//   GET  /healthz, /openapi.json                       no token
//   GET  /metrics (Prometheus text)                    any role
//   GET  /v1/fleet, /v1/pools, /v1/plan                any role
//   GET  /v1/jobs?team=&state=&pool=&limit=            any role
//   GET  /v1/jobs/{id}, /v1/jobs/{id}/decisions        any role
//   POST /v1/jobs                                      team (own team) or admin
//   POST /v1/jobs/{id}/cancel                          team (own team) or admin
//   POST /v1/pools/{id}/down, /v1/pools/{id}/up        admin
//   POST /v1/plan/resolve, /v1/schedule                admin
//   POST /v1/clock/advance {"seconds": n}              admin, virtual clock only
//   GET  /v1/audit?limit=                              admin
#pragma once

#include <spdlog/logger.h>

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "orchestrate/engine.h"
#include "store/store.h"
#include "util/status.h"

namespace fungible::server {

struct ServiceOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                    // 0 = any free port (see Service::port())
  size_t max_body_bytes = 64 * 1024;  // larger requests get 413
  double rate_limit_per_s = 20000;    // per principal (or client address without a token)
  double rate_limit_burst = 40000;
  int http_threads = 32;
  int schedule_interval_ms = 1000;   // scheduling pass even without requests
  std::int64_t resolve_every_s = 0;  // re-solve the plan on this period (0 = only on demand)
  int max_batch = 4096;              // operations per group commit
};

// Produces a fresh plan (a re-solve of the allocation). May be slow; it is
// never called with the engine locked.
using PlanSource = std::function<StatusOr<orchestrate::QuotaPlan>()>;

class Service {
 public:
  // REQUIRES: engine, store and clock outlive the service. `virtual_clock`
  // (nullable) enables POST /v1/clock/advance. `fleet` is served as is by
  // GET /v1/fleet. `resolve` may be empty (no re-solve).
  Service(orchestrate::Engine& engine, store::Store& store, orchestrate::VirtualClock* virtual_clock,
          PlanSource resolve, nlohmann::json fleet, ServiceOptions options,
          std::shared_ptr<spdlog::logger> log);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Restores the engine from the store (reconciling with the backend), loads
  // tokens, binds host:port and starts serving. kUnavailable when the port
  // cannot be bound or the store read fails.
  Status Start();
  int port() const;
  // Graceful stop: stop accepting, answer queued operations, final commit.
  // Idempotent; safe from any thread but a request handler.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3 document served at /openapi.json.
nlohmann::json OpenApiDocument();

}  // namespace fungible::server

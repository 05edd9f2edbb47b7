// `fungible serve SPEC`: the orchestration service (see server/service.h and
// docs/serve.md). Also `fungible token add|list|revoke|rotate` (API tokens;
// a secret is printed once). The client commands (submit, jobs, describe,
// cancel, logs) are in cmd_client.cc.
//
// Exit codes: 0 after a graceful stop (SIGTERM/SIGINT), 2 bad spec or flags
// (also: token name taken, unknown token), 3 infeasible plan, 4 store, port
// or backend unavailable (also: store owned by another server, damaged store,
// port in use), 5 refused token.
#include <signal.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "allocate/allocate.h"
#include "cli/commands.h"
#include "cli/demand_options.h"
#include "cli/exit_codes.h"
#include "orchestrate/quota.h"
#include "orchestrate/scheduler.h"
#include "orchestrate/sim_backend.h"
#include "orchestrate/slurm_backend.h"
#include "server/auth.h"
#include "server/service.h"
#include "simulate/window_demand.h"
#include "spec/spec.h"
#include "store/store.h"

namespace fungible::cli {
namespace {

using nlohmann::json;

struct ServeFlags {
  std::string spec;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string port_file;
  std::string store;
  std::string backend = "sim";
  std::string slurm_partitions;  // pool=partition,...
  std::string slurm_gres;        // chip=gres:type,...
  std::string clock = "system";
  std::string start;  // virtual clock start
  std::string quotas_file;
  std::string from;
  double quantile = 0;  // demand of the window: 0 and "" = the forecast's P50
  std::string scenario;
  std::string window = "7d";
  std::string period = "1h";
  bool quiet = false;
  std::string resolve_every;
  int schedule_interval_ms = 1000;
  size_t max_body_bytes = 64 * 1024;
  double rate_limit = 20000;
  int http_threads = 128;
  int keep_alive_timeout_s = 1;
  std::string restart_overhead = "300s";
  bool no_borrowing = false;
  std::string log_level = "info";
};

// The default store: a SQLite file beside the spec, "<spec stem>.fungible.db".
std::string DefaultStore(const std::string& spec) {
  std::filesystem::path p(spec);
  return (p.parent_path() / (p.stem().string() + ".fungible.db")).string();
}

StatusOr<orchestrate::QuotaPlan> ReadPlanFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open");
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return Status::Invalid(path + ": not valid JSON");
  auto plan = orchestrate::QuotaPlanFromJson(j);
  if (!plan.ok()) return plan.status().WithContext(path);
  return plan;
}

UtcSeconds FloorHour(UtcSeconds t) { return t - t % kSecondsPerHour; }

// The LP bases one solve leaves for the next (the start-up solve and every
// re-solve share one), so a re-solve starts from the previous solution.
struct WarmBases {
  std::mutex mu;  // one solve at a time uses the bases
  AllocationWarmStart bases;
};

// Quotas from a solve of the allocation, or why there are none. The window's
// demand is the forecast's at `choice` (allocate's demand, docs/allocate.md
// "Demand"); the log says which. `warm` (nullable): bases kept across solves.
StatusOr<server::PlanAnswer> SolvePlan(const Fleet& fleet, UtcSeconds from, int hours, int period_hours,
                                       const DemandChoice& choice, WarmBases* warm) {
  AllocateOptions o;
  o.from = from;
  o.hours = hours;
  o.period_hours = period_hours;
  WindowDemand demand;
  auto inst = BuildForecastInstance(fleet, o, choice, &demand);
  if (!inst.ok()) return inst.status().WithContext("allocate");
  spdlog::info("plan demand: {} from {} for {} h: {}", demand.point, FormatUtc(from), hours,
               demand.description);
  std::unique_lock<std::mutex> lock;
  if (warm) {
    lock = std::unique_lock<std::mutex>(warm->mu);
    o.warm_start = &warm->bases;
  }
  auto result = Solve(*inst, o);
  if (warm && result.ok() && result->method == "decomposed")
    spdlog::info("plan solve: {:.3f} s, {} LPs from the previous solve's bases, {} without",
                 result->solve_seconds, warm->bases.warm_lps, warm->bases.cold_lps);
  if (!result.ok()) return result.status().WithContext("allocate");
  if (result->status == SolveStatus::kInfeasible) {
    std::string why;
    for (const auto& r : result->infeasibility) why += (why.empty() ? "" : "; ") + r.message;
    return server::PlanAnswer{std::nullopt, "the allocation is infeasible: " + why};
  }
  FUNGIBLE_ASSIGN_OR_RETURN(orchestrate::QuotaPlan quotas, orchestrate::QuotasFromAllocation(*result, fleet));
  return server::PlanAnswer{std::move(quotas), ""};
}

json FleetJson(const Fleet& fleet) {
  json chips = json::array();
  for (const auto& c : fleet.chip_types)
    chips.push_back({{"id", c.id},
                     {"name", c.name},
                     {"platform", PlatformName(c.platform)},
                     {"generation", c.generation},
                     {"interconnect_domain_chips", c.interconnect_domain_chips}});
  json workloads = json::array();
  for (const auto& w : fleet.workloads)
    workloads.push_back({{"id", w.id},
                         {"kind", WorkloadKindName(w.kind)},
                         {"team", w.team},
                         {"gang_size_chips", w.gang_size_chips}});
  return {{"name", fleet.name}, {"chip_types", chips}, {"workloads", workloads}};
}

// What the start-up thread makes for the service: the plan's clock, the
// backend and the scheduler. Lives in RunServe's frame.
struct Runtime {
  orchestrate::SystemClock system_clock;
  std::unique_ptr<orchestrate::VirtualClock> virtual_clock;
  std::unique_ptr<orchestrate::Backend> backend;
  std::unique_ptr<orchestrate::Scheduler> scheduler;
  const orchestrate::Clock* clock = nullptr;
};

int RunServe(const ServeFlags& f) {
  // Block the stop signals before any thread starts; one thread waits for
  // them. SIGUSR1 is the start-up thread telling it that start-up failed.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto log = spdlog::stderr_logger_mt("fungible");
  log->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l %v", spdlog::pattern_time_type::utc);
  log->set_level(spdlog::level::from_str(f.log_level));

  auto fleet = LoadFleetSpec(f.spec);
  if (!fleet.ok()) return ReportError(fleet.status());
  StatusOr<int> window_hours = DurationHours("--window", f.window);
  if (!window_hours.ok()) return ReportError(window_hours.status());
  StatusOr<int> period_hours = DurationHours("--period", f.period);
  if (!period_hours.ok()) return ReportError(period_hours.status());
  StatusOr<DemandChoice> choice = DemandChoiceFromFlags(f.quantile, f.scenario);
  if (!choice.ok()) return ReportError(choice.status());
  auto overhead = ParseDurationSeconds(f.restart_overhead);
  if (!overhead.ok()) return ReportError(overhead.status().WithContext("--restart-overhead"));
  std::int64_t resolve_every_s = 0;
  if (!f.resolve_every.empty()) {
    auto r = ParseDurationSeconds(f.resolve_every);
    if (!r.ok()) return ReportError(r.status().WithContext("--resolve-every"));
    resolve_every_s = *r;
  }
  if (f.clock != "virtual" && f.clock != "system")
    return ReportError(Status::Invalid("--clock: expected system or virtual, got " + f.clock));
  if (f.backend != "sim" && f.backend != "slurm")
    return ReportError(Status::Invalid("--backend: expected sim or slurm, got " + f.backend));

  Runtime rt;
  UtcSeconds from = FloorHour(rt.system_clock.Now());
  if (!f.from.empty()) {
    auto t = ParseUtc(f.from);
    if (!t.ok()) return ReportError(t.status().WithContext("--from"));
    from = *t;
  }
  UtcSeconds virtual_start = 0;
  if (!f.start.empty()) {
    auto t = ParseUtc(f.start);
    if (!t.ok()) return ReportError(t.status().WithContext("--start"));
    virtual_start = *t;
  }

  // The store first: a damaged, too new or already owned store is refused
  // before any solve (Service::Start takes ownership).
  const std::string store_url = f.store.empty() ? DefaultStore(f.spec) : f.store;
  auto store = store::OpenStore(store_url);
  if (!store.ok()) return ReportError(store.status());
  const bool postgres = store_url.rfind("postgres", 0) == 0;

  // Runs on the service's start-up thread while it already answers /healthz:
  // the plan (a file, or a solve from the current hour), clock, backend, scheduler.
  Progress progress("serve", f.quiet);
  std::mutex fatal_mu;
  Status fatal;
  std::string startup_infeasible;  // why the start-up solve has no quotas (exit 3)
  auto warm_bases = std::make_shared<WarmBases>();
  server::SchedulerSource prepare = [&]() -> StatusOr<server::Serving> {
    if (f.quotas_file.empty())
      progress.Show("start-up: solving the quotas for " + f.window + " from " + FormatUtc(from) +
                    " (/healthz answers meanwhile)...");
    StatusOr<orchestrate::QuotaPlan> plan = Status::Internal("no plan");
    if (!f.quotas_file.empty()) {
      plan = ReadPlanFile(f.quotas_file);
    } else {
      StatusOr<server::PlanAnswer> answer =
          SolvePlan(*fleet, from, *window_hours, *period_hours, *choice, warm_bases.get());
      if (!answer.ok()) {
        plan = answer.status();
      } else if (!answer->quotas) {
        progress.Clear();
        std::lock_guard<std::mutex> lock(fatal_mu);
        startup_infeasible = answer->infeasible;
        return Status::Invalid("start-up: " + answer->infeasible);
      } else {
        plan = std::move(*answer->quotas);
      }
    }
    progress.Clear();
    if (!plan.ok()) return plan.status();
    if (f.clock == "virtual") {
      UtcSeconds start = plan->periods() > 0 ? plan->period_starts[0] : from;
      if (virtual_start != 0) start = virtual_start;
      rt.virtual_clock = std::make_unique<orchestrate::VirtualClock>(start);
      rt.clock = rt.virtual_clock.get();
    } else {
      rt.clock = &rt.system_clock;
    }
    orchestrate::ClusterInfo cluster = orchestrate::ClusterFromFleet(*fleet);
    if (f.backend == "sim") {
      rt.backend = std::make_unique<orchestrate::SimBackend>(*rt.clock);
    } else {
      auto b = orchestrate::SlurmBackend::Create(
          cluster, orchestrate::SlurmOptions::FromFlag(f.slurm_partitions, f.slurm_gres));
      if (!b.ok()) return b.status();
      rt.backend = std::move(b).value();
    }
    orchestrate::SchedulerOptions so;
    so.restart_overhead_s = *overhead;
    so.allow_borrowing = !f.no_borrowing;
    rt.scheduler = std::make_unique<orchestrate::Scheduler>(cluster, std::move(plan).value(), *rt.backend,
                                                            *rt.clock, so);
    return server::Serving{rt.scheduler.get(), rt.virtual_clock.get()};
  };

  server::PlanSource resolve;
  if (f.quotas_file.empty()) {
    const Fleet fleet_copy = *fleet;
    resolve = [fleet_copy, &rt, hours = *window_hours, period = *period_hours, choice = *choice,
               warm_bases]() {
      return SolvePlan(fleet_copy, FloorHour(rt.clock->Now()), hours, period, choice, warm_bases.get());
    };
  } else {
    resolve = [path = f.quotas_file]() -> StatusOr<server::PlanAnswer> {
      FUNGIBLE_ASSIGN_OR_RETURN(orchestrate::QuotaPlan quotas, ReadPlanFile(path));
      return server::PlanAnswer{std::move(quotas), ""};
    };
  }

  auto on_fatal = [&](const Status& st) {
    {
      std::lock_guard<std::mutex> lock(fatal_mu);
      fatal = st;
    }
    kill(getpid(), SIGUSR1);
  };

  server::ServiceOptions so;
  so.host = f.host;
  so.port = f.port;
  so.max_body_bytes = f.max_body_bytes;
  so.rate_limit_per_s = f.rate_limit;
  so.rate_limit_burst = 2 * f.rate_limit;
  so.http_threads = f.http_threads;
  so.keep_alive_timeout_s = f.keep_alive_timeout_s;
  so.schedule_interval_ms = f.schedule_interval_ms;
  so.resolve_every_s = resolve_every_s;
  so.standby = postgres;  // PostgreSQL: several servers, one leads
  server::Service service(prepare, **store, resolve, FleetJson(*fleet), so, log, on_fatal);
  Status st = service.Start();
  if (!st.ok()) return ReportError(st);
  if (!f.port_file.empty()) {
    // Written whole then renamed, so a reader never sees a partial number.
    const std::string tmp = f.port_file + ".tmp";
    Status w = WriteTextFile(tmp, std::to_string(service.port()) + "\n");
    if (!w.ok()) return ReportError(w);
    std::filesystem::rename(tmp, f.port_file);
  }
  std::printf("fungible serve: listening on http://%s:%d (store %s, backend %s)\n", f.host.c_str(),
              service.port(), (*store)->Describe().c_str(), f.backend.c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  int code = kExitOk;
  if (sig == SIGUSR1) {
    std::lock_guard<std::mutex> lock(fatal_mu);
    if (!startup_infeasible.empty()) {
      std::fprintf(stderr, "fungible: infeasible: %s\n", startup_infeasible.c_str());
      code = kExitInfeasible;
    } else {
      code = ReportError(fatal);
    }
  } else {
    log->info("event=signal signal={} action=graceful_stop", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  service.Stop();
  if (service.StartupAbandoned()) {
    // The start-up solve cannot be interrupted and uses this frame: end the
    // process here. Nothing was committed by this run, so nothing is lost.
    log->flush();
    std::fflush(stdout);
    std::_Exit(code);
  }
  return code;
}

}  // namespace

void AddServeCommand(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd =
      app.add_subcommand("serve", "Run the orchestration service: admit and place jobs by the plan.");
  cmd->add_option("spec", flags->spec, "Fleet spec (YAML)")->required();
  cmd->add_option("--host", flags->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", flags->port, "Port (0 = any free port)")->capture_default_str();
  cmd->add_option("--port-file", flags->port_file, "Write the bound port to this file");
  cmd->add_option("--store", flags->store,
                  "SQLite file or postgresql:// URL (default: <spec>.fungible.db beside the spec)");
  cmd->add_option("--backend", flags->backend, "sim or slurm")->capture_default_str();
  cmd->add_option("--slurm-partitions", flags->slurm_partitions,
                  "pool=partition,... (default: each pool's partition is named after its pool)");
  cmd->add_option("--slurm-gres", flags->slurm_gres,
                  "chip=gres:type,... e.g. h100-sxm=gpu:h100 (default: derived)");
  cmd->add_option("--clock", flags->clock, "system or virtual (POST /v1/clock/advance moves it)")
      ->capture_default_str();
  cmd->add_option("--start", flags->start, "Virtual clock start (default: first plan period)");
  cmd->add_option("--quotas", flags->quotas_file,
                  "Quota plan JSON (as GET /v1/quotas returns it) instead of solving the allocation");
  cmd->add_option("--from", flags->from, "Allocation window start (default: the current hour)");
  cmd->add_option("--window", flags->window, "Allocation window length (7d, 168h)")->capture_default_str();
  cmd->add_option("--period", flags->period, "Quota period length (1h, 4h)")->capture_default_str();
  AddDemandOptions(cmd, flags->quantile, flags->scenario);
  cmd->add_option("--resolve-every", flags->resolve_every, "Re-solve the plan on this period, e.g. 1h");
  cmd->add_option("--schedule-interval-ms", flags->schedule_interval_ms, "Scheduling pass period")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", flags->max_body_bytes, "Largest request body")->capture_default_str();
  cmd->add_option("--rate-limit", flags->rate_limit, "Requests per second per token")->capture_default_str();
  cmd->add_option("--http-threads", flags->http_threads,
                  "HTTP worker threads = requests handled at once (an open connection holds none)")
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", flags->keep_alive_timeout_s,
                  "Seconds an idle connection is kept open (also bounds how long a stop waits for it)")
      ->capture_default_str();
  cmd->add_option("--restart-overhead", flags->restart_overhead, "Checkpoint reload time per restart")
      ->capture_default_str();
  cmd->add_flag("--no-borrowing", flags->no_borrowing, "Teams never borrow idle quota");
  cmd->add_option("--log-level", flags->log_level, "trace, debug, info, warn, error")->capture_default_str();
  AddQuietFlag(cmd, flags->quiet);
  cmd->callback([flags, &exit_code] { exit_code = RunServe(*flags); });

  struct TokenFlags {
    std::string store, name, role, team, expires_in, json_path;
    bool replace = false, quiet = false;
  };
  auto tf = std::make_shared<TokenFlags>();
  CLI::App* token = app.add_subcommand("token", "Manage API tokens of `fungible serve`.");
  token->require_subcommand(1);
  // Every token command: open the store, run, print; the exit code from the Status.
  auto run = [&exit_code, tf](const std::function<Status(store::Store&)>& body) {
    auto store = store::OpenStore(tf->store);
    if (!store.ok()) {
      exit_code = ReportError(store.status());
      return;
    }
    Status st = body(**store);
    exit_code = st.ok() ? kExitOk : ReportError(st);
  };
  auto expiry = [tf]() -> StatusOr<UtcSeconds> {
    if (tf->expires_in.empty()) return UtcSeconds{0};
    auto d = ParseDurationSeconds(tf->expires_in);
    if (!d.ok()) return d.status().WithContext("--expires-in");
    if (*d <= 0) return Status::Invalid("--expires-in: expected a positive duration, got " + tf->expires_in);
    return orchestrate::SystemClock().Now() + *d;
  };

  CLI::App* add =
      token->add_subcommand("add", "Create a token; prints it once (only its SHA-256 is stored).");
  add->add_option("--store", tf->store, "SQLite file or postgresql:// URL of the service")->required();
  add->add_option("--name", tf->name, "Unique token name")->required();
  add->add_option("--role", tf->role, "viewer, team or admin")->required();
  add->add_option("--team", tf->team, "Team (role team only)");
  add->add_option("--expires-in", tf->expires_in, "Lifetime, e.g. 30d or 12h (default: no expiry)");
  add->add_flag("--replace", tf->replace,
                "Replace an existing token of that name (its old secret stops working)");
  add->callback([run, tf, expiry] {
    run([&](store::Store& store) -> Status {
      auto exp = expiry();
      if (!exp.ok()) return exp.status();
      auto t = server::AddToken(store, tf->name, tf->role, tf->team, *exp, tf->replace,
                                orchestrate::SystemClock().Now());
      if (!t.ok()) return t.status();
      std::printf("%s\n", t->c_str());
      return Status::Ok();
    });
  });

  CLI::App* list =
      token->add_subcommand("list", "List tokens: name, role, team, created, last used, expiry.");
  list->add_option("--store", tf->store, "SQLite file or postgresql:// URL of the service")->required();
  AddJsonOption(list, tf->json_path, "the tokens (never their secrets)");
  list->callback([run, tf] {
    run([&](store::Store& store) -> Status {
      auto tokens = store.LoadTokens();
      if (!tokens.ok()) return tokens.status();
      if (!tf->json_path.empty()) {
        auto at = [](UtcSeconds t) { return t > 0 ? json(FormatRfc3339(t)) : json(nullptr); };
        json list = json::array();
        for (const auto& t : *tokens)
          list.push_back({{"name", t.name},
                          {"role", t.role},
                          {"team", t.team},
                          {"created_at", at(t.created_at)},
                          {"last_used_at", at(t.last_used_at)},
                          {"expires_at", at(t.expires_at)}});
        FUNGIBLE_RETURN_IF_ERROR(WriteTextFile(tf->json_path, json{{"tokens", list}}.dump(2) + "\n"));
        if (tf->json_path == "-") return Status::Ok();
      }
      auto when = [](UtcSeconds t, const char* none) { return t > 0 ? FormatUtc(t) : std::string(none); };
      const UtcSeconds now = orchestrate::SystemClock().Now();
      std::printf("%-20s %-7s %-12s %-18s %-18s %s\n", "NAME", "ROLE", "TEAM", "CREATED", "LAST USED",
                  "EXPIRES");
      for (const auto& t : *tokens) {
        std::string expires = when(t.expires_at, "never");
        if (t.expires_at > 0 && t.expires_at <= now) expires += " (expired)";
        std::printf("%-20s %-7s %-12s %-18s %-18s %s\n", t.name.c_str(), t.role.c_str(),
                    t.team.empty() ? "-" : t.team.c_str(), when(t.created_at, "-").c_str(),
                    when(t.last_used_at, "never").c_str(), expires.c_str());
      }
      return Status::Ok();
    });
  });

  CLI::App* revoke =
      token->add_subcommand("revoke", "Delete a token; a running server refuses it within a second.");
  revoke->add_option("--store", tf->store, "SQLite file or postgresql:// URL of the service")->required();
  revoke->add_option("--name", tf->name, "Token name")->required();
  revoke->callback([run, tf] {
    run([&](store::Store& store) -> Status {
      FUNGIBLE_RETURN_IF_ERROR(server::RevokeToken(store, tf->name));
      std::printf("revoked %s\n", tf->name.c_str());
      return Status::Ok();
    });
  });

  CLI::App* rotate = token->add_subcommand(
      "rotate", "A new secret for a token (prints it once); the old one is refused within a second.");
  rotate->add_option("--store", tf->store, "SQLite file or postgresql:// URL of the service")->required();
  rotate->add_option("--name", tf->name, "Token name")->required();
  rotate->add_option("--expires-in", tf->expires_in, "New lifetime from now (default: keep the expiry)");
  for (CLI::App* sub : {add, list, revoke, rotate}) AddQuietFlag(sub, tf->quiet);  // no progress to hide
  rotate->callback([run, tf, expiry] {
    run([&](store::Store& store) -> Status {
      auto exp = expiry();
      if (!exp.ok()) return exp.status();
      auto t = server::RotateToken(store, tf->name, *exp);
      if (!t.ok()) return t.status();
      std::printf("%s\n", t->c_str());
      return Status::Ok();
    });
  });
}

}  // namespace fungible::cli

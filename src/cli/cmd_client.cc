// The command-line client of `fungible serve`, with the habits of
// sbatch/squeue/scancel and kubectl:
//   fungible submit [flags] [-- COMMAND ARGS...] | -f job.yaml   [--wait]
//   fungible jobs [--team T] [--state S] [--pool P] [-o json|wide] [--watch]
//   fungible describe JOB        (alias: explain; --store reads a store directly)
//   fungible cancel JOB
//   fungible logs JOB [--stderr]
// The server and the token come from, first found: --server/--token, the
// environment (FUNGIBLE_SERVER, FUNGIBLE_TOKEN), the config file
// ($FUNGIBLE_CONFIG, else ~/.config/fungible/config.yaml: keys server, token),
// else http://127.0.0.1:8080 and no token (docs/cli.md, "Client").
//
// Exit codes: 0 ok, 2 bad flags or job file, unknown job, a job that already
// ended (cancel), 4 server unreachable or not serving, 5 token missing or
// refused (401/403), 6 (submit --wait) the job ended without succeeding.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "orchestrate/job.h"
#include "spec/yaml_json.h"
#include "store/store.h"
#include "util/time.h"

namespace fungible::cli {
namespace {

using nlohmann::json;

constexpr const char* kDefaultServer = "http://127.0.0.1:8080";

template <typename... Args>
std::string F(const char* format, Args... args) {
  char buf[1024];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

// ---- where the server is, and who we are ----

struct ClientFlags {
  std::string server, token;
};

struct Endpoint {
  std::string server, token;
  std::string server_from, token_from;  // "--server", "FUNGIBLE_SERVER", "<config path>", "default"
};

std::string ConfigPath() {
  if (const char* p = std::getenv("FUNGIBLE_CONFIG"); p && *p) return p;
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x)
    return (std::filesystem::path(x) / "fungible" / "config.yaml").string();
  if (const char* h = std::getenv("HOME"); h && *h)
    return (std::filesystem::path(h) / ".config" / "fungible" / "config.yaml").string();
  return "";
}

// The config file's server and token (either may be empty). A missing
// default file is no error; a missing $FUNGIBLE_CONFIG is.
Status ReadConfig(const std::string& path, std::string& server, std::string& token) {
  if (path.empty()) return Status::Ok();
  const bool named = std::getenv("FUNGIBLE_CONFIG") && *std::getenv("FUNGIBLE_CONFIG");
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    if (named) return Status::NotFound(path + ": cannot open (named by FUNGIBLE_CONFIG)");
    return Status::Ok();
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    return Status::Invalid(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                           std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (root.IsNull()) return Status::Ok();
  if (!root.IsMap()) return Status::Invalid(path + ": expected a mapping with keys server and token");
  for (const auto& kv : root) {
    const std::string key = kv.first.as<std::string>();
    const auto m = kv.first.Mark();
    const std::string where = path + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
    if (key != "server" && key != "token")
      return Status::Invalid(where + ": unknown key \"" + key + "\" (expected server, token)");
    if (!kv.second.IsScalar()) return Status::Invalid(where + ": " + key + ": expected a string");
    (key == "server" ? server : token) = kv.second.Scalar();
  }
  return Status::Ok();
}

StatusOr<Endpoint> Resolve(const ClientFlags& f) {
  Endpoint e;
  std::string cfg_server, cfg_token;
  const std::string cfg = ConfigPath();
  FUNGIBLE_RETURN_IF_ERROR(ReadConfig(cfg, cfg_server, cfg_token));
  auto pick = [](std::string& out, std::string& from, const std::string& flag, const char* flag_name,
                 const char* env, const std::string& config, const std::string& cfg_path,
                 const char* fallback) {
    const char* v = std::getenv(env);
    if (!flag.empty()) {
      out = flag, from = flag_name;
    } else if (v && *v) {
      out = v, from = env;
    } else if (!config.empty()) {
      out = config, from = cfg_path;
    } else {
      out = fallback, from = "default";
    }
  };
  pick(e.server, e.server_from, f.server, "--server", "FUNGIBLE_SERVER", cfg_server, cfg, kDefaultServer);
  pick(e.token, e.token_from, f.token, "--token", "FUNGIBLE_TOKEN", cfg_token, cfg, "");
  if (e.server.find("://") == std::string::npos) e.server = "http://" + e.server;
  if (e.server.rfind("http://", 0) != 0)
    return Status::Invalid(e.server_from + ": server " + e.server + ": only http:// is supported");
  while (e.server.size() > 7 && e.server.back() == '/') e.server.pop_back();
  return e;
}

void AddClientFlags(CLI::App* cmd, ClientFlags& f) {
  cmd->add_option("--server", f.server,
                  "Server URL (else $FUNGIBLE_SERVER, the config file's server:, http://127.0.0.1:8080)");
  cmd->add_option("--token", f.token, "Bearer token (else $FUNGIBLE_TOKEN, the config file's token:)");
}

// ---- HTTP ----

struct Reply {
  int status = 0;
  json body;
};

// What went wrong on the wire, in words (httplib's own names are terse).
std::string WireError(httplib::Error e) {
  switch (e) {
    case httplib::Error::Connection: return "connection refused or no route";
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::Read: return "the connection broke or no answer came in time";
    case httplib::Error::Write: return "the request could not be sent";
    case httplib::Error::BindIPAddress:
    case httplib::Error::Canceled:
    default: return httplib::to_string(e);
  }
}

class Api {
 public:
  explicit Api(Endpoint e) : e_(std::move(e)), client_(e_.server) {
    client_.set_connection_timeout(5, 0);
    client_.set_read_timeout(30, 0);
    client_.set_write_timeout(10, 0);
  }
  const Endpoint& endpoint() const { return e_; }
  void set_read_timeout_s(int s) { client_.set_read_timeout(s, 0); }

  // The answer, or the error it stands for (unreachable, refused, unknown).
  StatusOr<Reply> Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    httplib::Headers h = {{"Accept", "application/json"}};
    if (!e_.token.empty()) h.emplace("Authorization", "Bearer " + e_.token);
    httplib::Result r =
        method == "GET" ? client_.Get(path.c_str(), h)
        : method == "DELETE"
            ? client_.Delete(path.c_str(), h)
            : client_.Post(path.c_str(), h, body.is_null() ? "" : body.dump(), "application/json");
    if (!r)
      return Status(StatusCode::kUnavailable, "cannot reach the server at " + e_.server + " (" +
                                                  WireError(r.error()) + "; server from " + e_.server_from +
                                                  "): is `fungible serve` running there?");
    Reply out;
    out.status = r->status;
    out.body = json::parse(r->body, nullptr, false);
    if (r->status < 400) {
      if (out.body.is_discarded())
        return Status(StatusCode::kUnavailable,
                      e_.server + path + ": the answer is not JSON; is this a fungible server?");
      return out;
    }
    std::string msg = out.body.is_object() && out.body.contains("error") && out.body["error"].is_object()
                          ? out.body["error"].value("message", r->body)
                          : r->body;
    const std::string where = e_.server + " answered " + std::to_string(r->status) + ": " + msg;
    switch (r->status) {
      case 401:
        return Status(
            StatusCode::kUnauthenticated,
            where + (e_.token.empty() ? "; no token given: pass --token, set FUNGIBLE_TOKEN or token: in " +
                                            (ConfigPath().empty() ? "the config file" : ConfigPath())
                                      : "; the token (from " + e_.token_from + ") was refused"));
      case 403: return Status(StatusCode::kPermissionDenied, where);
      case 404: return Status::NotFound(msg);
      case 410: return Status(StatusCode::kNotFound, "gone: " + msg);
      case 400:
      case 409:
      case 413:
      case 415:
      case 422: return Status::Invalid(where);
      default: return Status(StatusCode::kUnavailable, where);
    }
  }

 private:
  Endpoint e_;
  httplib::Client client_;
};

StatusOr<Api> Connect(const ClientFlags& f) {
  auto e = Resolve(f);
  if (!e.ok()) return e.status();
  return Api(*e);
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += F("%%%02X", static_cast<unsigned>(c));
  }
  return out;
}

// A job id as the server spells them; anything else would be a bad path.
Status CheckJobId(const std::string& id) {
  if (id.empty() ||
      id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") !=
          std::string::npos)
    return Status::Invalid("JOB: \"" + id + "\" is not a job id (e.g. j-00000001)");
  return Status::Ok();
}

bool Terminal(const json& job) {
  const std::string s = job.value("state", "");
  return s == "succeeded" || s == "failed" || s == "cancelled";
}

std::string Str(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

// ---- job files ----

}  // namespace

StatusOr<json> ReadJobFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound(path + ": cannot open");
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  if (path.size() > 5 && path.substr(path.size() - 5) == ".json") {
    try {
      j = json::parse(ss.str());
    } catch (const json::parse_error& e) {
      return Status::Invalid(path + ": not valid JSON: " + e.what());
    }
  } else {
    try {
      j = YamlToJson(YAML::Load(ss.str()));
    } catch (const YAML::Exception& e) {
      return Status::Invalid(path + ":" + std::to_string(e.mark.line + 1) + ":" +
                             std::to_string(e.mark.column + 1) + ": " + e.msg);
    }
  }
  if (!j.is_object())
    return Status::Invalid(path + ": expected an object (a job: team, gang_size_chips, run, ...)");
  return j;
}

namespace {

// ---- submit ----

struct SubmitFlags {
  ClientFlags client;
  std::string file, team, workload, name, platform, generation, duration, checkpoint_interval,
      idempotency_key;
  std::vector<std::string> chip_types;
  int gang = -1, min_chips = -1, max_chips = -1, priority = 0;
  bool priority_set = false, not_preemptible = false;
  // The run object (RUNSHAPE: command or script, env, workdir, image, limits, signal, output paths).
  std::vector<std::string> command;
  std::string script, workdir, image, time_limit, signal, grace, output, error;
  std::vector<std::string> env;
  bool wait = false, dry_run = false, quiet = false;
  std::string json_path;
};

StatusOr<std::int64_t> Seconds(const std::string& flag, const std::string& text) {
  auto s = ParseDurationSeconds(text);
  if (!s.ok()) return s.status().WithContext(flag);
  return *s;
}

// The body of POST /v1/jobs: the job file (if any), then each flag given.
StatusOr<json> SubmitBody(const SubmitFlags& f) {
  json body = json::object();
  if (!f.file.empty()) {
    auto j = ReadJobFile(f.file);
    if (!j.ok()) return j.status();
    body = *j;
  }
  if (!f.team.empty()) body["team"] = f.team;
  if (!f.workload.empty()) body["workload"] = f.workload;
  if (!f.name.empty()) body["name"] = f.name;
  if (!f.platform.empty()) body["platform"] = f.platform;
  if (!f.generation.empty()) body["generation"] = f.generation;
  if (!f.chip_types.empty()) {
    json types = json::array();
    for (const auto& list : f.chip_types)
      for (const auto& t : Split(list, ','))
        if (!t.empty()) types.push_back(t);
    body["chip_types"] = types;
  }
  if (f.gang >= 0) {
    if (f.min_chips >= 0 || f.max_chips >= 0)
      return Status::Invalid(
          "--chips/--gang (a gang) and --min-chips/--max-chips (elastic) exclude each other");
    body["gang_size_chips"] = f.gang;
  }
  if (f.min_chips >= 0 || f.max_chips >= 0) {
    body["gang_size_chips"] = 0;
    if (f.min_chips >= 0) body["min_chips"] = f.min_chips;
    if (f.max_chips >= 0) body["max_chips"] = f.max_chips;
  }
  if (f.priority_set) body["priority"] = f.priority;
  if (f.not_preemptible) body["preemptible"] = false;
  if (!f.duration.empty()) {
    auto s = Seconds("--duration", f.duration);
    if (!s.ok()) return s.status();
    body["expected_duration_s"] = *s;
  }
  if (!f.checkpoint_interval.empty()) {
    auto s = Seconds("--checkpoint-interval", f.checkpoint_interval);
    if (!s.ok()) return s.status();
    body["checkpoint_interval_s"] = *s;
  }
  if (!f.idempotency_key.empty()) body["idempotency_key"] = f.idempotency_key;

  json run = body.contains("run") ? body["run"] : json::object();
  if (!run.is_object())
    return Status::Invalid((f.file.empty() ? "" : f.file + ": ") + "run: expected an object");
  if (!f.command.empty() && !f.script.empty())
    return Status::Invalid("give the command after -- or --script FILE, not both");
  if (!f.command.empty()) {
    run.erase("script");
    run["command"] = f.command;
  }
  if (!f.script.empty()) {
    std::ifstream in(f.script);
    if (!in) return Status::NotFound("--script " + f.script + ": cannot open");
    std::stringstream ss;
    ss << in.rdbuf();
    run.erase("command");
    run["script"] = ss.str();
  }
  for (const auto& kv : f.env) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Status::Invalid("--env " + kv + ": expected KEY=VALUE");
    run["env"][kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  if (!f.workdir.empty()) run["workdir"] = f.workdir;
  if (!f.image.empty()) run["image"] = f.image;
  if (!f.time_limit.empty()) {
    auto s = Seconds("--time-limit", f.time_limit);
    if (!s.ok()) return s.status();
    run["time_limit_s"] = *s;
  }
  if (!f.signal.empty()) {
    std::string sig = f.signal;
    if (sig.rfind("SIG", 0) == 0) sig = sig.substr(3);
    run["preempt_signal"] = sig;
  }
  if (!f.grace.empty()) {
    auto s = Seconds("--grace", f.grace);
    if (!s.ok()) return s.status();
    run["grace_s"] = *s;
  }
  if (!f.output.empty()) run["stdout"] = f.output;
  if (!f.error.empty()) run["stderr"] = f.error;
  if (!run.empty()) body["run"] = run;
  if (!body.contains("team") || !body["team"].is_string() || body["team"].get<std::string>().empty())
    return Status::Invalid("--team is required (or team: in the job file)");
  return body;
}

std::string Chips(const json& job) {
  const json& s = job["spec"];
  if (s.value("gang_size_chips", 0) > 0) return "gang " + std::to_string(s.value("gang_size_chips", 0));
  return std::to_string(s.value("min_chips", 1)) + "-" + std::to_string(s.value("max_chips", 1));
}

// The outcome line of a job that ended (the outcome object when the server has one).
std::string OutcomeText(const json& job) {
  std::string text = "job " + Str(job, "id") + " " + Str(job, "state");
  if (job.contains("outcome") && job["outcome"].is_object()) {
    const json& o = job["outcome"];
    text += " (" + Str(o, "result");
    if (o.contains("exit_code") && !o["exit_code"].is_null()) text += ", exit code " + Str(o, "exit_code");
    if (o.contains("chip_hours") && o["chip_hours"].is_number())
      text += F(", %.2f chip-hours", o["chip_hours"].get<double>());
    text += ")";
  }
  return text;
}

bool Succeeded(const json& job) {
  if (job.contains("outcome") && job["outcome"].is_object() && job["outcome"].contains("result"))
    return job["outcome"]["result"] == "completed";
  return job.value("state", "") == "succeeded";
}

// Waits until the job ends: long polls of its team's job changes, the job
// itself read after each (so a missed event only costs one poll).
StatusOr<json> WaitForEnd(Api& api, const std::string& id, const std::string& team, std::string rv) {
  api.set_read_timeout_s(60);
  while (true) {
    auto j = api.Call("GET", "/v1/jobs/" + id);
    if (!j.ok()) return j.status();
    if (Terminal(j->body)) return j->body;
    auto w = api.Call("GET", "/v1/jobs?watch=1&timeout_s=30&team=" + UrlEncode(team) +
                                 (rv.empty() ? "" : "&resource_version=" + UrlEncode(rv)));
    if (!w.ok()) {
      if (w.status().message().rfind("gone: ", 0) != 0) return w.status();
      rv.clear();  // too old (or a restarted server): from now on
      continue;
    }
    rv = Str(w->body, "resource_version");
  }
}

int RunSubmit(const SubmitFlags& f) {
  auto body = SubmitBody(f);
  if (!body.ok()) return ReportError(body.status());
  if (f.dry_run) {
    std::printf("%s\n", body->dump(2).c_str());
    return kExitOk;
  }
  auto api = Connect(f.client);
  if (!api.ok()) return ReportError(api.status());
  std::string rv;
  if (f.wait) {
    auto l = api->Call("GET", "/v1/jobs?limit=1");
    if (!l.ok()) return ReportError(l.status());
    rv = Str(l->body, "resource_version");
  }
  auto r = api->Call("POST", "/v1/jobs", *body);
  if (!r.ok()) return ReportError(r.status());
  json job = r->body;
  const std::string id = Str(job, "id");
  if (!f.json_path.empty() && !f.wait) {
    Status st = WriteTextFile(f.json_path, job.dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-")
    std::printf("%s job %s (%s%s)\n", r->status == 200 ? "already submitted:" : "submitted", id.c_str(),
                Str(job, "state").c_str(),
                Str(job, "pool").empty() ? "" : (" on " + Str(job, "pool")).c_str());
  std::fflush(stdout);
  if (!f.wait) return kExitOk;
  auto end = WaitForEnd(*api, id, (*body)["team"].get<std::string>(), rv);
  if (!end.ok()) return ReportError(end.status());
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, end->dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") std::printf("%s\n", OutcomeText(*end).c_str());
  return Succeeded(*end) ? kExitOk : kExitJobFailed;
}

// ---- jobs ----

struct JobsFlags {
  ClientFlags client;
  std::string team, state, pool, output, watch_for;
  int chunk_size = 500;
  bool watch = false, no_headers = false, quiet = false;
};

std::string Time(const json& job, const char* key) {
  const std::string utc = Str(job, (std::string(key) + "_utc").c_str());
  if (!utc.empty()) return utc;
  const json& v = job.contains(key) ? job[key] : json();
  if (v.is_number_integer() && v.get<std::int64_t>() > 0) return FormatRfc3339(v.get<std::int64_t>());
  return v.is_string() ? v.get<std::string>() : "-";
}

void PrintJobRow(const json& j, bool wide) {
  auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
  std::printf("%-12s %-12s %-10s %-14s %-9s %-21s", Str(j, "id").c_str(), Str(j["spec"], "team").c_str(),
              Str(j, "state").c_str(), dash(Str(j, "pool")).c_str(), Chips(j).c_str(),
              Time(j, "submitted_at").c_str());
  if (wide) {
    std::string reason = Str(j, "wait_reason");
    if (j.contains("outcome") && j["outcome"].is_object())
      reason = OutcomeText(j).substr(Str(j, "id").size() + 5);
    std::printf(" %-12s %-4d %-12s %-8d %s", dash(Str(j, "chip_type")).c_str(),
                j["spec"].value("priority", 0), dash(Str(j["spec"], "workload")).c_str(),
                j.value("restarts", 0), reason.c_str());
  }
  std::printf(" %s\n", Str(j["spec"], "name").c_str());
}

void PrintJobHeader(bool wide) {
  std::printf("%-12s %-12s %-10s %-14s %-9s %-21s", "ID", "TEAM", "STATE", "POOL", "CHIPS", "SUBMITTED");
  if (wide) std::printf(" %-12s %-4s %-12s %-8s %s", "CHIP TYPE", "PRIO", "WORKLOAD", "RESTARTS", "REASON");
  std::printf(" %s\n", "NAME");
}

int RunJobs(const JobsFlags& f) {
  if (f.output != "" && f.output != "json" && f.output != "wide")
    return ReportError(Status::Invalid("-o: expected json or wide, got \"" + f.output + "\""));
  if (f.chunk_size < 1 || f.chunk_size > 100000)
    return ReportError(
        Status::Invalid("--chunk-size: expected 1..100000, got " + std::to_string(f.chunk_size)));
  if (!f.state.empty()) {
    auto s = orchestrate::ParseJobState(f.state);
    if (!s.ok()) return ReportError(s.status().WithContext("--state"));
  }
  std::int64_t watch_for_s = 0;
  if (!f.watch_for.empty()) {
    if (!f.watch) return ReportError(Status::Invalid("--watch-for needs --watch"));
    auto s = Seconds("--watch-for", f.watch_for);
    if (!s.ok()) return ReportError(s.status());
    watch_for_s = *s;
  }
  auto api = Connect(f.client);
  if (!api.ok()) return ReportError(api.status());
  std::string filter;
  if (!f.team.empty()) filter += "&team=" + UrlEncode(f.team);
  if (!f.state.empty()) filter += "&state=" + UrlEncode(f.state);
  if (!f.pool.empty()) filter += "&pool=" + UrlEncode(f.pool);
  // Every page, in order.
  json all = json::array();
  std::string next, rv;
  do {
    std::string path = "/v1/jobs?limit=" + std::to_string(f.chunk_size) + filter;
    if (!next.empty()) path += "&continue=" + UrlEncode(next);
    auto r = api->Call("GET", path);
    if (!r.ok()) return ReportError(r.status());
    if (rv.empty()) rv = Str(r->body, "resource_version");
    for (const auto& j : r->body["jobs"]) all.push_back(j);
    next = Str(r->body, "continue");
  } while (!next.empty());
  const bool wide = f.output == "wide";
  if (f.output == "json") {
    if (f.watch) {
      for (const auto& j : all) std::printf("%s\n", json{{"type", "job"}, {"job", j}}.dump().c_str());
    } else {
      std::printf("%s\n", json{{"jobs", all}, {"count", all.size()}}.dump(2).c_str());
    }
  } else {
    if (!f.no_headers && (!all.empty() || f.watch)) PrintJobHeader(wide);
    for (const auto& j : all) PrintJobRow(j, wide);
    if (all.empty() && !f.watch) std::fprintf(stderr, "No jobs found.\n");
  }
  std::fflush(stdout);
  if (!f.watch) return kExitOk;
  // Then every change, as it happens (kubectl get --watch): one row (or one
  // JSON line with -o json) per change.
  // Ctrl-C (or SIGTERM) ends the watch with status 0, as kubectl's does;
  // every row printed was flushed already.
  signal(SIGINT, [](int) { _exit(0); });
  signal(SIGTERM, [](int) { _exit(0); });
  api->set_read_timeout_s(40);
  const auto start = std::chrono::steady_clock::now();
  while (true) {
    int timeout_s = 30;
    if (watch_for_s > 0) {
      const auto left =
          watch_for_s -
          std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
      if (left <= 0) break;
      timeout_s = static_cast<int>(std::min<std::int64_t>(timeout_s, left));
    }
    auto w = api->Call("GET", "/v1/jobs?watch=1&timeout_s=" + std::to_string(timeout_s) + filter +
                                  (rv.empty() ? "" : "&resource_version=" + UrlEncode(rv)));
    if (!w.ok()) {
      if (w.status().message().rfind("gone: ", 0) == 0) {
        rv.clear();  // the server restarted or we fell behind: continue from now
        std::fprintf(stderr, "fungible jobs: watch restarted (%s)\n", w.status().message().c_str());
        continue;
      }
      return ReportError(w.status());
    }
    rv = Str(w->body, "resource_version");
    for (const auto& e : w->body["events"]) {
      if (f.output == "json")
        std::printf("%s\n", e.dump().c_str());
      else
        PrintJobRow(e["job"], wide);
    }
    std::fflush(stdout);
  }
  return kExitOk;
}

// ---- describe / explain ----

struct DescribeFlags {
  ClientFlags client;
  std::string job, store, json_path;
  bool quiet = false;  // accepted everywhere; describe shows no progress
};

void PrintDescribe(const json& job, const json& decisions) {
  auto line = [](const char* key, const std::string& value) {
    if (!value.empty() && value != "-") std::printf("%-16s %s\n", key, value.c_str());
  };
  const json& s = job["spec"];
  line("Job:", Str(job, "id"));
  line("Name:", Str(s, "name"));
  line("Team:", Str(s, "team"));
  line("Workload:", Str(s, "workload"));
  line("State:", Str(job, "state"));
  if (Str(job, "state") == "queued") line("Waiting:", Str(job, "wait_reason"));
  line("Chips:", Chips(job) + (s.contains("chip_types") && !s["chip_types"].empty()
                                   ? " of " + Join(s["chip_types"].get<std::vector<std::string>>(), ", ")
                                   : std::string(" of any chip type")));
  line("Priority:",
       std::to_string(s.value("priority", 0)) + (s.value("preemptible", true) ? "" : " (not preemptible)"));
  if (!Str(job, "pool").empty())
    line("Placed:", Str(job, "pool") + " (" + Str(job, "chip_type") + ", " +
                        std::to_string(job.value("chips", 0)) + " chips, " +
                        std::to_string(job.value("borrowed_chips", 0)) + " borrowed)");
  line("Backend id:", Str(job, "backend_id"));
  line("Submitted:", Time(job, "submitted_at"));
  line("Started:", Time(job, "started_at"));
  line("Finished:", Time(job, "finished_at"));
  line("Expected:", F("%lld s of work, %lld s done (checkpointed), every %lld s a checkpoint",
                      static_cast<long long>(s.value("expected_duration_s", 0LL)),
                      static_cast<long long>(job.value("done_s", 0LL)),
                      static_cast<long long>(s.value("checkpoint_interval_s", 0LL))));
  if (job.value("restarts", 0) > 0)
    line("Restarts:",
         F("%d (%.2f chip-hours lost)", job.value("restarts", 0), job.value("lost_chip_hours", 0.0)));
  if (job.contains("run") || s.contains("run")) {
    const json& run = job.contains("run") ? job["run"] : s["run"];
    if (run.contains("command")) {
      std::vector<std::string> argv;
      for (const auto& a : run["command"]) argv.push_back(a.is_string() ? a.get<std::string>() : a.dump());
      line("Command:", Join(argv, " "));
    }
    if (run.contains("script")) {
      std::string script = Str(run, "script");
      line("Script:", std::to_string(std::count(script.begin(), script.end(), '\n')) +
                          " lines, first: " + script.substr(0, script.find('\n')));
    }
    line("Image:", Str(run, "image"));
    line("Workdir:", Str(run, "workdir"));
    line("Time limit:", run.contains("time_limit_s") ? Str(run, "time_limit_s") + " s" : "");
    line("Stdout:", Str(run, "stdout"));
    line("Stderr:", Str(run, "stderr"));
  }
  if (job.contains("outcome") && job["outcome"].is_object())
    line("Outcome:", OutcomeText(job).substr(Str(job, "id").size() + 5));
  std::printf("Decisions:\n");
  for (const auto& d : decisions) {
    std::string at = Str(d, "at_utc");
    if (at.empty()) at = Time(d, "at");
    std::printf("  %s  #%lld  %-10s %s\n", at.c_str(), static_cast<long long>(d.value("seq", 0LL)),
                Str(d, "action").c_str(), Str(d, "reason").c_str());
  }
}

int RunDescribe(const DescribeFlags& f) {
  if (Status st = CheckJobId(f.job); !st.ok()) return ReportError(st);
  json job, decisions = json::array();
  if (!f.store.empty()) {
    auto store = store::OpenStore(f.store);
    if (!store.ok()) return ReportError(store.status());
    auto jobs = (*store)->LoadJobs();
    if (!jobs.ok()) return ReportError(jobs.status());
    for (const auto& j : *jobs)
      if (j.id == f.job) job = orchestrate::JobToJson(j);
    if (job.is_null())
      return ReportError(Status::NotFound("job " + f.job + " not found in " + (*store)->Describe()));
    auto ds = (*store)->Decisions(f.job);
    if (!ds.ok()) return ReportError(ds.status());
    for (const auto& d : *ds) decisions.push_back(orchestrate::DecisionToJson(d));
  } else {
    auto api = Connect(f.client);
    if (!api.ok()) return ReportError(api.status());
    auto r = api->Call("GET", "/v1/jobs/" + f.job + "/decisions");
    if (!r.ok()) return ReportError(r.status());
    job = r->body["job"];
    decisions = r->body["decisions"];
  }
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, json{{"job", job}, {"decisions", decisions}}.dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") PrintDescribe(job, decisions);
  return kExitOk;
}

// ---- cancel ----

struct JobFlags {
  ClientFlags client;
  std::string job, json_path;
  bool stderr_log = false, quiet = false;
};

int RunCancel(const JobFlags& f) {
  if (Status st = CheckJobId(f.job); !st.ok()) return ReportError(st);
  auto api = Connect(f.client);
  if (!api.ok()) return ReportError(api.status());
  auto r = api->Call("DELETE", "/v1/jobs/" + f.job);
  if (!r.ok()) return ReportError(r.status());
  if (!f.json_path.empty()) {
    Status st = WriteTextFile(f.json_path, r->body.dump(2) + "\n");
    if (!st.ok()) return ReportError(st);
  }
  if (f.json_path != "-") std::printf("job %s cancelled\n", f.job.c_str());
  return kExitOk;
}

// ---- logs ----

// The file Slurm writes a job's output to: the run's stdout (or stderr)
// pattern, else Slurm's default slurm-%j.out in the working directory, with
// %j (job id), %x (job name) and %% expanded.
std::string SlurmLogPath(const json& job, bool err) {
  const json run = job.contains("run") ? job["run"] : job["spec"].value("run", json::object());
  std::string pattern = Str(run, err ? "stderr" : "stdout");
  if (pattern.empty() && err) pattern = Str(run, "stdout");  // Slurm: stderr joins stdout by default
  if (pattern.empty()) pattern = "slurm-%j.out";
  std::string workdir = Str(run, "workdir");
  if (!pattern.empty() && pattern[0] != '/' && !workdir.empty()) pattern = workdir + "/" + pattern;
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size()) {
      const char c = pattern[++i];
      if (c == 'j' || c == 'A')
        out += Str(job, "backend_id");
      else if (c == 'x')
        out += Str(job["spec"], "name");
      else if (c == '%')
        out += '%';
      else
        out += std::string("%") + c;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

int RunLogs(const JobFlags& f) {
  if (Status st = CheckJobId(f.job); !st.ok()) return ReportError(st);
  auto api = Connect(f.client);
  if (!api.ok()) return ReportError(api.status());
  auto fleet = api->Call("GET", "/v1/fleet");
  if (!fleet.ok()) return ReportError(fleet.status());
  auto r = api->Call("GET", "/v1/jobs/" + f.job);
  if (!r.ok()) return ReportError(r.status());
  const std::string backend = Str(fleet->body, "backend");
  if (backend != "slurm")
    return ReportError(Status::NotFound("job " + f.job + " has no logs: the " + backend +
                                        " backend runs no processes (only the slurm backend has logs)"));
  if (Str(r->body, "backend_id").empty())
    return ReportError(Status::NotFound("job " + f.job + " has no logs yet: it has not started (" +
                                        Str(r->body, "state") + ")"));
  const std::string path = SlurmLogPath(r->body, f.stderr_log);
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return ReportError(Status::NotFound("job " + f.job + " (Slurm job " + Str(r->body, "backend_id") +
                                        ") writes to " + path + ", which cannot be read from this machine"));
  std::cout << in.rdbuf();
  std::cout.flush();
  return kExitOk;
}

}  // namespace

void AddClientCommands(CLI::App& app, int& exit_code) {
  auto sf = std::make_shared<SubmitFlags>();
  CLI::App* submit = app.add_subcommand(
      "submit", "Submit a job to a server: flags (the command after --) or -f job.yaml|job.json (sbatch).");
  AddClientFlags(submit, sf->client);
  submit->add_option("-f,--file", sf->file,
                     "Job file (YAML or .json): the body of POST /v1/jobs; flags override it");
  submit->add_option("--team", sf->team, "Team");
  submit->add_option("--workload", sf->workload, "Workload class id from the fleet spec");
  submit->add_option("--name", sf->name, "Job name");
  submit->add_option("--chips,--gang", sf->gang, "Gang size: all chips at once in one interconnect domain");
  submit->add_option("--min-chips", sf->min_chips, "Elastic job: fewest chips");
  submit->add_option("--max-chips", sf->max_chips, "Elastic job: most chips");
  submit->add_option("--chip-type", sf->chip_types,
                     "Acceptable chip type (repeat or comma-separate; preferred first)");
  submit->add_option("--platform", sf->platform, "Only this platform (nvidia, google, aws, ...)");
  submit->add_option("--generation", sf->generation, "Only this generation (hopper, ...)");
  submit->add_option("--priority", sf->priority, "Priority within the team (higher first)")
      ->each([sf](const std::string&) { sf->priority_set = true; });
  submit->add_flag("--not-preemptible", sf->not_preemptible, "Never preempt this job");
  submit->add_option("--duration", sf->duration, "Expected duration (e.g. 2h): work to do");
  submit->add_option("--checkpoint-interval", sf->checkpoint_interval, "Checkpoint period (e.g. 30m)");
  submit->add_option("--idempotency-key", sf->idempotency_key, "A retry with this key returns the same job");
  submit->add_option("--script", sf->script, "Batch script file to run (instead of a command after --)");
  submit->add_option("--env", sf->env, "Environment variable KEY=VALUE (repeatable)");
  submit->add_option("--workdir", sf->workdir, "Working directory");
  submit->add_option("--image", sf->image, "Container image");
  submit->add_option("--time-limit", sf->time_limit, "Time limit (e.g. 4h; default: twice the duration)");
  submit->add_option("--signal", sf->signal, "Signal sent before preemption (e.g. USR1; default TERM)");
  submit->add_option("--grace", sf->grace, "Wait after the signal before requeueing (e.g. 60s)");
  submit->add_option("--output", sf->output, "Standard output path (Slurm-style %j allowed)");
  submit->add_option("--error", sf->error, "Standard error path (Slurm-style %j allowed)");
  submit->add_option("command", sf->command, "The command and its arguments, after --");
  submit->add_flag("--wait", sf->wait, "Wait until the job ends; exit 0 if it succeeded, 6 if not");
  submit->add_flag("--dry-run", sf->dry_run, "Print the request body and send nothing");
  AddJsonOption(submit, sf->json_path, "the job as the server returned it (with --wait: once it ended)");
  AddQuietFlag(submit, sf->quiet);
  submit->callback([sf, &exit_code] { exit_code = RunSubmit(*sf); });

  auto jf = std::make_shared<JobsFlags>();
  CLI::App* jobs =
      app.add_subcommand("jobs", "List a server's jobs, every page; --watch follows changes (squeue).");
  AddClientFlags(jobs, jf->client);
  jobs->add_option("--team", jf->team, "Only this team's jobs");
  jobs->add_option("--state", jf->state,
                   "Only jobs in this state (queued, running, succeeded, cancelled, failed)");
  jobs->add_option("--pool", jf->pool, "Only jobs placed on this pool");
  jobs->add_option("-o,--output", jf->output, "json or wide (default: a table)");
  jobs->add_option("--chunk-size", jf->chunk_size, "Jobs per request (pages are fetched until the last)")
      ->capture_default_str();
  jobs->add_flag("-w,--watch", jf->watch, "After the list, print each change as it happens (Ctrl-C ends)");
  jobs->add_option("--watch-for", jf->watch_for, "With --watch: stop after this long (e.g. 10s)");
  jobs->add_flag("--no-headers", jf->no_headers, "No header row");
  AddQuietFlag(jobs, jf->quiet);
  jobs->callback([jf, &exit_code] { exit_code = RunJobs(*jf); });

  for (const char* name : {"describe", "explain"}) {
    auto df = std::make_shared<DescribeFlags>();
    CLI::App* describe =
        app.add_subcommand(name, std::string(name) == "describe"
                                     ? "A job and every decision about it, with its reason."
                                     : "Alias of describe: every decision about a job, with its reason.");
    describe->add_option("job", df->job, "Job id")->required();
    AddClientFlags(describe, df->client);
    describe->add_option("--store", df->store, "Read the store directly instead of a server");
    AddJsonOption(describe, df->json_path, "the job and its decisions");
    AddQuietFlag(describe, df->quiet);
    describe->callback([df, &exit_code] { exit_code = RunDescribe(*df); });
  }

  auto cf = std::make_shared<JobFlags>();
  CLI::App* cancel = app.add_subcommand("cancel", "Cancel a job (scancel): DELETE /v1/jobs/JOB.");
  cancel->add_option("job", cf->job, "Job id")->required();
  AddClientFlags(cancel, cf->client);
  AddJsonOption(cancel, cf->json_path, "the cancelled job");
  AddQuietFlag(cancel, cf->quiet);
  cancel->callback([cf, &exit_code] { exit_code = RunCancel(*cf); });

  auto lf = std::make_shared<JobFlags>();
  CLI::App* logs =
      app.add_subcommand("logs", "A job's output, where the backend has it (slurm: its stdout file).");
  logs->add_option("job", lf->job, "Job id")->required();
  AddClientFlags(logs, lf->client);
  logs->add_flag("--stderr", lf->stderr_log, "The standard error file instead");
  AddQuietFlag(logs, lf->quiet);
  logs->callback([lf, &exit_code] { exit_code = RunLogs(*lf); });
}

}  // namespace fungible::cli

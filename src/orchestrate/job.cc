#include "orchestrate/job.h"

#include <cctype>
#include <set>

namespace fungible::orchestrate {

using nlohmann::json;

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kCancelled: return "cancelled";
    case JobState::kFailed: return "failed";
  }
  return "queued";
}

StatusOr<JobState> ParseJobState(const std::string& text) {
  for (JobState s :
       {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kCancelled, JobState::kFailed})
    if (text == JobStateName(s)) return s;
  return Status::Invalid("state: expected queued, running, succeeded, cancelled or failed, got \"" + text +
                         "\"");
}

namespace {

// Reads optional typed fields from a JSON object, collecting the first error.
class FieldReader {
 public:
  explicit FieldReader(const json& j) : j_(j) {}

  void Str(const char* key, std::string& out, bool required = false) {
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) Fail(std::string(key) + ": required");
      return;
    }
    if (!it->is_string()) return Fail(std::string(key) + ": expected a string");
    out = it->get<std::string>();
    if (required && out.empty()) Fail(std::string(key) + ": must not be empty");
  }
  void Int(const char* key, int& out, long long lo, long long hi) {
    long long v = out;
    Int64(key, v, lo, hi);
    out = static_cast<int>(v);
  }
  void Int64(const char* key, std::int64_t& out, long long lo, long long hi) {
    long long v = out;
    Int64(key, v, lo, hi);
    out = v;
  }
  void Int64(const char* key, long long& out, long long lo, long long hi) {
    auto it = j_.find(key);
    if (it == j_.end()) return;
    if (!it->is_number_integer()) return Fail(std::string(key) + ": expected an integer");
    long long v = it->get<long long>();
    if (v < lo || v > hi)
      return Fail(std::string(key) + ": expected an integer in [" + std::to_string(lo) + ", " +
                  std::to_string(hi) + "], got " + std::to_string(v));
    out = v;
  }
  void Double(const char* key, double& out) {
    auto it = j_.find(key);
    if (it == j_.end()) return;
    if (!it->is_number()) return Fail(std::string(key) + ": expected a number");
    out = it->get<double>();
  }
  void Bool(const char* key, bool& out) {
    auto it = j_.find(key);
    if (it == j_.end()) return;
    if (!it->is_boolean()) return Fail(std::string(key) + ": expected true or false");
    out = it->get<bool>();
  }
  void StrList(const char* key, std::vector<std::string>& out) {
    auto it = j_.find(key);
    if (it == j_.end()) return;
    if (!it->is_array()) return Fail(std::string(key) + ": expected an array of strings");
    out.clear();
    for (const auto& e : *it) {
      if (!e.is_string()) return Fail(std::string(key) + ": expected an array of strings");
      out.push_back(e.get<std::string>());
    }
  }
  void Fail(std::string msg) {
    if (error_.empty()) error_ = std::move(msg);
  }
  const std::string& error() const { return error_; }

 private:
  const json& j_;
  std::string error_;
};

constexpr long long kMaxChips = 1 << 20;
constexpr long long kMaxSeconds = 10LL * 366 * 86400;

bool IsEnvName(const std::string& k) {
  if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
  for (char c : k)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// Signal names Slurm's --signal and scancel -s accept (without "SIG").
const std::set<std::string>& SignalNames() {
  static const std::set<std::string> k = {"HUP",  "INT",  "QUIT", "ABRT", "KILL", "ALRM", "TERM",
                                          "USR1", "USR2", "CONT", "STOP", "TSTP", "URG"};
  return k;
}

}  // namespace

StatusOr<RunSpec> RunSpecFromJson(const json& j) {
  if (!j.is_object()) return Status::Invalid("run: expected a JSON object");
  static const std::set<std::string> kKnown = {"command", "script",       "env",     "workdir",
                                               "image",   "time_limit_s", "grace_s", "preempt_signal",
                                               "stdout",  "stderr"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!kKnown.count(it.key())) return Status::Invalid("run." + it.key() + ": unknown field");
  RunSpec r;
  FieldReader f(j);
  f.StrList("command", r.command);
  f.Str("script", r.script);
  f.Str("workdir", r.workdir);
  f.Str("image", r.image);
  f.Int64("time_limit_s", r.time_limit_s, 1, kMaxSeconds);
  f.Str("preempt_signal", r.preempt_signal);
  f.Int64("grace_s", r.grace_s, 0, 86400);
  f.Str("stdout", r.stdout_path);
  f.Str("stderr", r.stderr_path);
  if (!f.error().empty()) return Status::Invalid("run." + f.error());
  if (auto it = j.find("env"); it != j.end()) {
    if (!it->is_object()) return Status::Invalid("run.env: expected an object of string values");
    for (auto e = it->begin(); e != it->end(); ++e) {
      if (!IsEnvName(e.key()))
        return Status::Invalid("run.env: \"" + e.key() +
                               "\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
      if (!e.value().is_string()) return Status::Invalid("run.env." + e.key() + ": expected a string");
      r.env.emplace_back(e.key(), e.value().get<std::string>());
    }
  }
  if (r.command.empty() == r.script.empty())
    return Status::Invalid(j.contains("command") && j.contains("script")
                               ? "run: give command or script, not both"
                               : "run: give a command (an argv array) or a script");
  for (const auto& a : r.command)
    if (a.find('\0') != std::string::npos)
      return Status::Invalid("run.command: an argument holds a NUL byte");
  if (!r.command.empty() && r.command[0].empty())
    return Status::Invalid("run.command: the program (first element) must not be empty");
  if (!r.script.empty() && r.script.rfind("#!", 0) != 0)
    return Status::Invalid(
        "run.script: must begin with an interpreter line such as #!/bin/bash (sbatch needs it)");
  if (r.script.size() > 1 << 20) return Status::Invalid("run.script: longer than 1 MiB");
  for (auto [key, path] : {std::pair<const char*, const std::string*>{"workdir", &r.workdir},
                           {"stdout", &r.stdout_path},
                           {"stderr", &r.stderr_path}})
    if (j.contains(key) && (path->empty() || (*path)[0] != '/'))
      return Status::Invalid(std::string("run.") + key + ": expected an absolute path, got \"" + *path +
                             "\"");
  if (j.contains("image") && r.image.empty()) return Status::Invalid("run.image: must not be empty");
  std::string sig = r.preempt_signal;
  if (sig.rfind("SIG", 0) == 0) sig = sig.substr(3);
  if (!SignalNames().count(sig))
    return Status::Invalid("run.preempt_signal: unknown signal \"" + r.preempt_signal +
                           "\" (expected e.g. TERM, USR1, USR2, INT)");
  r.preempt_signal = sig;
  return r;
}

json RunSpecToJson(const RunSpec& r) {
  json out = json::object();
  if (!r.command.empty()) out["command"] = r.command;
  if (!r.script.empty()) out["script"] = r.script;
  if (!r.env.empty()) {
    json env = json::object();
    for (const auto& [k, v] : r.env) env[k] = v;
    out["env"] = env;
  }
  if (!r.workdir.empty()) out["workdir"] = r.workdir;
  if (!r.image.empty()) out["image"] = r.image;
  if (r.time_limit_s > 0) out["time_limit_s"] = r.time_limit_s;
  out["preempt_signal"] = r.preempt_signal;
  out["grace_s"] = r.grace_s;
  if (!r.stdout_path.empty()) out["stdout"] = r.stdout_path;
  if (!r.stderr_path.empty()) out["stderr"] = r.stderr_path;
  return out;
}

StatusOr<JobSpec> JobSpecFromJson(const json& j) {
  if (!j.is_object()) return Status::Invalid("job: expected a JSON object");
  static const std::set<std::string> kKnown = {"idempotency_key",
                                               "name",
                                               "team",
                                               "workload",
                                               "chip_types",
                                               "platform",
                                               "generation",
                                               "gang_size_chips",
                                               "min_chips",
                                               "max_chips",
                                               "priority",
                                               "preemptible",
                                               "checkpoint_interval_s",
                                               "expected_duration_s",
                                               "run"};
  for (auto it = j.begin(); it != j.end(); ++it)
    if (!kKnown.count(it.key())) return Status::Invalid(it.key() + ": unknown field");
  JobSpec s;
  FieldReader r(j);
  r.Str("idempotency_key", s.idempotency_key);
  r.Str("name", s.name);
  r.Str("team", s.team, /*required=*/true);
  r.Str("workload", s.workload);
  r.StrList("chip_types", s.chip_types);
  r.Str("platform", s.platform);
  r.Str("generation", s.generation);
  r.Int("gang_size_chips", s.gang_size_chips, 0, kMaxChips);
  bool has_min = j.contains("min_chips"), has_max = j.contains("max_chips");
  r.Int("min_chips", s.min_chips, 1, kMaxChips);
  r.Int("max_chips", s.max_chips, 1, kMaxChips);
  if (has_min && !has_max) s.max_chips = std::max(s.max_chips, s.min_chips);
  r.Int("priority", s.priority, -1000000, 1000000);
  r.Bool("preemptible", s.preemptible);
  r.Int64("checkpoint_interval_s", s.checkpoint_interval_s, 0, kMaxSeconds);
  r.Int64("expected_duration_s", s.expected_duration_s, 1, kMaxSeconds);
  if (!r.error().empty()) return Status::Invalid(r.error());
  if (auto it = j.find("run"); it != j.end() && !it->is_null()) {
    auto run = RunSpecFromJson(*it);
    if (!run.ok()) return run.status();
    s.run = std::move(run).value();
  }
  if (s.idempotency_key.size() > 200) return Status::Invalid("idempotency_key: longer than 200 characters");
  if (s.team.size() > 100) return Status::Invalid("team: longer than 100 characters");
  if (s.min_chips > s.max_chips)
    return Status::Invalid("min_chips: " + std::to_string(s.min_chips) + " is above max_chips " +
                           std::to_string(s.max_chips));
  if (s.is_gang() && (has_min || has_max) &&
      (s.min_chips != s.gang_size_chips || s.max_chips != s.gang_size_chips))
    return Status::Invalid("gang_size_chips: a gang is all-or-nothing; omit min_chips/max_chips");
  if (s.is_gang()) s.min_chips = s.max_chips = s.gang_size_chips;
  return s;
}

json JobSpecToJson(const JobSpec& s) {
  json out{{"idempotency_key", s.idempotency_key},
           {"name", s.name},
           {"team", s.team},
           {"workload", s.workload},
           {"chip_types", s.chip_types},
           {"platform", s.platform},
           {"generation", s.generation},
           {"gang_size_chips", s.gang_size_chips},
           {"min_chips", s.min_chips},
           {"max_chips", s.max_chips},
           {"priority", s.priority},
           {"preemptible", s.preemptible},
           {"checkpoint_interval_s", s.checkpoint_interval_s},
           {"expected_duration_s", s.expected_duration_s}};
  if (s.run.present()) out["run"] = RunSpecToJson(s.run);
  return out;
}

bool SameRequest(const JobSpec& a, const JobSpec& b) { return JobSpecToJson(a) == JobSpecToJson(b); }

json JobToJson(const Job& job) {
  json slices = json::array();
  for (const auto& s : job.slices) slices.push_back({{"domain", s.domain}, {"chips", s.chips}});
  // Each time also in RFC 3339 ("2027-01-01T00:00:00Z"; null when not yet), as decisions' at_utc.
  auto utc = [](UtcSeconds t) { return t > 0 ? json(FormatRfc3339(t)) : json(nullptr); };
  json out{{"id", job.id},
           {"spec", JobSpecToJson(job.spec)},
           {"state", JobStateName(job.state)},
           {"submitted_at", job.submitted_at},
           {"submitted_at_utc", utc(job.submitted_at)},
           {"submit_seq", job.submit_seq},
           {"pool", job.pool},
           {"chip_type", job.chip_type},
           {"slices", slices},
           {"chips", job.chips},
           {"borrowed_chips", job.borrowed_chips},
           {"backend_id", job.backend_id},
           {"started_at", job.started_at},
           {"started_at_utc", utc(job.started_at)},
           {"run_s", job.run_s},
           {"done_s", job.done_s},
           {"restart_overhead_s", job.restart_overhead_s},
           {"restarts", job.restarts},
           {"lost_chip_hours", job.lost_chip_hours},
           {"finished_at", job.finished_at},
           {"finished_at_utc", utc(job.finished_at)},
           {"wait_reason", job.wait_reason},
           {"used_chip_hours", job.used_chip_hours}};
  if (!job.outcome.result.empty())
    out["outcome"] = {{"result", job.outcome.result},
                      {"exit_code", job.outcome.exit_code},
                      {"started_at", utc(job.outcome.started_at)},
                      {"ended_at", utc(job.outcome.ended_at)},
                      {"started_at_s", job.outcome.started_at},
                      {"ended_at_s", job.outcome.ended_at},
                      {"chip_hours", job.outcome.chip_hours},
                      {"backend_id", job.outcome.backend_id}};
  return out;
}

StatusOr<Job> JobFromJson(const json& j) {
  try {
    Job job;
    auto spec = JobSpecFromJson(j.at("spec"));
    if (!spec.ok()) return spec.status().WithContext("spec");
    job.spec = std::move(spec).value();
    job.id = j.at("id").get<std::string>();
    auto st = ParseJobState(j.at("state").get<std::string>());
    if (!st.ok()) return st.status();
    job.state = *st;
    job.submitted_at = j.at("submitted_at").get<std::int64_t>();
    job.submit_seq = j.at("submit_seq").get<std::int64_t>();
    job.pool = j.at("pool").get<std::string>();
    job.chip_type = j.at("chip_type").get<std::string>();
    for (const auto& s : j.at("slices"))
      job.slices.push_back({s.at("domain").get<int>(), s.at("chips").get<int>()});
    job.chips = j.at("chips").get<int>();
    job.borrowed_chips = j.at("borrowed_chips").get<int>();
    job.backend_id = j.at("backend_id").get<std::string>();
    job.started_at = j.at("started_at").get<std::int64_t>();
    job.run_s = j.at("run_s").get<std::int64_t>();
    job.done_s = j.at("done_s").get<std::int64_t>();
    job.restart_overhead_s = j.at("restart_overhead_s").get<std::int64_t>();
    job.restarts = j.at("restarts").get<int>();
    job.lost_chip_hours = j.at("lost_chip_hours").get<double>();
    job.finished_at = j.at("finished_at").get<std::int64_t>();
    job.wait_reason = j.at("wait_reason").get<std::string>();
    job.used_chip_hours = j.value("used_chip_hours", 0.0);  // absent in stores written before it
    if (auto o = j.find("outcome"); o != j.end() && o->is_object()) {
      job.outcome.result = o->at("result").get<std::string>();
      job.outcome.exit_code = o->at("exit_code").get<int>();
      job.outcome.started_at = o->at("started_at_s").get<std::int64_t>();
      job.outcome.ended_at = o->at("ended_at_s").get<std::int64_t>();
      job.outcome.chip_hours = o->at("chip_hours").get<double>();
      job.outcome.backend_id = o->at("backend_id").get<std::string>();
    }
    return job;
  } catch (const json::exception& e) {
    return Status::Invalid(std::string("stored job: ") + e.what());
  }
}

json DecisionToJson(const Decision& d) {
  return json{{"seq", d.seq},       {"at", d.at},         {"at_utc", FormatRfc3339(d.at)},
              {"job_id", d.job_id}, {"action", d.action}, {"reason", d.reason},
              {"pool", d.pool},     {"chips", d.chips},   {"lost_chip_hours", d.lost_chip_hours}};
}

StatusOr<Decision> DecisionFromJson(const json& j) {
  try {
    Decision d;
    d.seq = j.at("seq").get<std::int64_t>();
    d.at = j.at("at").get<std::int64_t>();
    d.job_id = j.at("job_id").get<std::string>();
    d.action = j.at("action").get<std::string>();
    d.reason = j.at("reason").get<std::string>();
    d.pool = j.at("pool").get<std::string>();
    d.chips = j.at("chips").get<int>();
    d.lost_chip_hours = j.at("lost_chip_hours").get<double>();
    return d;
  } catch (const json::exception& e) {
    return Status::Invalid(std::string("stored decision: ") + e.what());
  }
}

}  // namespace fungible::orchestrate

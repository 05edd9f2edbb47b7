#include "orchestrate/slurm_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace fungible::orchestrate {

namespace {

std::vector<std::string> Split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(text);
  while (std::getline(in, cur, sep))
    if (!cur.empty()) out.push_back(cur);
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

Status CommandError(const std::vector<std::string>& argv, const CommandResult& r) {
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Status(StatusCode::kUnavailable,
                cmd + " exited " + std::to_string(r.exit_code) + ": " + Trim(r.err.empty() ? r.out : r.err));
}

// "2026-12-01T18:16:47" in Slurm's (local) time zone -> UTC seconds; 0 when
// not a time ("Unknown", "None").
UtcSeconds ParseSlurmTime(const std::string& text) {
  std::tm tm{};
  if (text.size() < 19 || !strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  return t < 0 ? 0 : static_cast<UtcSeconds>(t);
}

// A shell word that is exactly `s` ('...' with ' as '\'').
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// sbatch --time in minutes.
std::string FormatSlurmTime(std::int64_t seconds) {
  // Slurm counts limits in minutes; round up so a job gets at least what it asked.
  const std::int64_t minutes = std::max<std::int64_t>(1, (seconds + 59) / 60);
  return std::to_string(minutes);
}

std::string OciConfPath() {
  const char* conf = std::getenv("SLURM_CONF");
  std::string path = conf && *conf ? conf : "/etc/slurm/slurm.conf";
  auto slash = path.rfind('/');
  return (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) + "/oci.conf";
}

}  // namespace

SlurmJobRecord ParseScontrolJob(const std::string& line) {
  SlurmJobRecord r;
  std::istringstream in(line);
  std::string field;
  while (in >> field) {
    auto eq = field.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    if (key == "JobState")
      r.state = value;
    else if (key == "StartTime")
      r.started_at = ParseSlurmTime(value);
    else if (key == "EndTime")
      r.ended_at = ParseSlurmTime(value);
    else if (key == "Restarts")
      r.restarts = std::atoi(value.c_str());
    else if (key == "ExitCode") {
      // "<status>:<signal>"
      auto colon = value.find(':');
      const int status = std::atoi(value.substr(0, colon).c_str());
      const int sig = colon == std::string::npos ? 0 : std::atoi(value.substr(colon + 1).c_str());
      r.exit_code = status == 0 && sig != 0 ? 128 + sig : status;
    }
  }
  return r;
}

SlurmOptions SlurmOptions::FromFlag(const std::string& partitions, const std::string& gres) {
  SlurmOptions o;
  for (const auto& kv : Split(partitions, ',')) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) o.partition_of_pool[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& kv : Split(gres, ',')) {
    auto eq = kv.find('=');
    if (eq != std::string::npos) o.gres_of_chip[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return o;
}

StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv,
                                   const std::vector<std::pair<std::string, std::string>>& env) {
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Status::Internal("pipe: " + std::string(std::strerror(errno)));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Status::Internal("pipe: " + std::string(std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text;
  std::vector<char*> envp;
  if (!env.empty()) {
    std::set<std::string> overridden;
    for (const auto& [k, v] : env) {
      overridden.insert(k);
      env_text.push_back(k + "=" + v);
    }
    for (char** e = environ; *e; ++e) {
      const std::string kv = *e;
      if (!overridden.count(kv.substr(0, kv.find('=')))) env_text.push_back(kv);
    }
    for (auto& kv : env_text) envp.push_back(kv.data());
    envp.push_back(nullptr);
  }
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), env.empty() ? environ : envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    return Status(StatusCode::kUnavailable, argv[0] + ": cannot run: " + std::strerror(rc));
  }
  CommandResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buf[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string SlurmBackend::PartitionOf(const std::string& pool) const {
  auto it = options_.partition_of_pool.find(pool);
  return it == options_.partition_of_pool.end() ? pool : it->second;
}

std::string SlurmBackend::GresOf(const std::string& chip_type) const {
  auto it = options_.gres_of_chip.find(chip_type);
  if (it != options_.gres_of_chip.end()) return it->second;
  // "h100-sxm" -> gpu:h100, "tpu-v6e" -> tpu:v6e, "trn2" -> trn:trn2.
  for (const auto& p : cluster_.pools) {
    if (p.chip_type != chip_type) continue;
    std::string head = chip_type.substr(0, chip_type.find('-'));
    if (p.platform == "google")
      return "tpu:" + (chip_type.rfind("tpu-", 0) == 0 ? chip_type.substr(4) : chip_type);
    if (p.platform == "aws") return "trn:" + chip_type;
    return "gpu:" + head;
  }
  return "gpu:" + chip_type;
}

std::string SlurmBackend::NodeOf(const std::string& pool, int domain) const {
  auto it = nodes_of_pool_.find(pool);
  if (it == nodes_of_pool_.end() || domain < 0 || domain >= static_cast<int>(it->second.size())) return "";
  return it->second[domain];
}

StatusOr<std::unique_ptr<SlurmBackend>> SlurmBackend::Create(const ClusterInfo& cluster,
                                                             SlurmOptions options) {
  std::unique_ptr<SlurmBackend> b(new SlurmBackend(cluster, std::move(options)));
  // scontrol waits a minute for a missing config file; fail fast instead.
  const char* conf = std::getenv("SLURM_CONF");
  const std::string conf_path = conf && *conf ? conf : "/etc/slurm/slurm.conf";
  if (access(conf_path.c_str(), R_OK) != 0)
    return Status(StatusCode::kUnavailable, "no Slurm configuration at " + conf_path + " (set SLURM_CONF)");
  auto ping = RunCommand({"timeout", "10", "scontrol", "ping"});
  if (!ping.ok()) return ping.status();
  if (ping->exit_code != 0 || ping->out.find("UP") == std::string::npos)
    return Status(StatusCode::kUnavailable,
                  "slurmctld does not answer `scontrol ping`: " + Trim(ping->out + ping->err));
  for (const auto& pool : cluster.pools) {
    const std::string part = b->PartitionOf(pool.id);
    std::vector<std::string> argv = {"sinfo", "-h", "-N", "-p", part, "-o", "%N"};
    auto r = RunCommand(argv);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return CommandError(argv, *r);
    std::set<std::string> nodes;
    for (const auto& line : Split(r->out, '\n')) nodes.insert(Trim(line));
    const int domains = (pool.chips + std::max(1, pool.domain_chips) - 1) / std::max(1, pool.domain_chips);
    if (static_cast<int>(nodes.size()) < domains)
      return Status::Invalid(
          "pool " + pool.id + ": Slurm partition \"" + part + "\" has " + std::to_string(nodes.size()) +
          " nodes, the pool needs one per interconnect domain (" + std::to_string(domains) + ")");
    b->nodes_of_pool_[pool.id] = {nodes.begin(), nodes.end()};
    b->partition_up_[pool.id] = true;
  }
  return b;
}

Status SlurmBackend::Accepts(const JobSpec& spec) const {
  if (!spec.run.image.empty() && access(OciConfPath().c_str(), R_OK) != 0)
    return Status::Invalid(
        "run.image: this Slurm runs containers only through an OCI runtime (sbatch "
        "--container with " +
        OciConfPath() + "), and none is configured; run the job without an image");
  return Status::Ok();
}

StatusOr<std::string> SlurmBackend::Launch(const LaunchRequest& req) {
  std::string nodes;
  int per_node = 0;
  for (const auto& s : req.slices) {
    std::string node = NodeOf(req.pool, s.domain);
    if (node.empty())
      return Status::Invalid("pool " + req.pool + " has no node for domain " + std::to_string(s.domain));
    nodes += (nodes.empty() ? "" : ",") + node;
    per_node = std::max(per_node, s.chips);
  }
  const std::string gres = GresOf(req.chip_type) + ":" + std::to_string(per_node);
  if (auto h = held_.find(req.job_id); h != held_.end()) {
    if (h->second.requeue_at > SystemClock().Now())
      return Status(StatusCode::kUnavailable, "the previous run (Slurm job " + h->second.slurm_id +
                                                  ") is still in its grace period to checkpoint, until " +
                                                  FormatRfc3339(h->second.requeue_at));
    Held held = h->second;
    held_.erase(h);
    if (held.gres == gres) {
      auto resumed = Resume(req, held, nodes);
      if (resumed.ok()) return resumed;
    }
    (void)RunCommand({"scancel", held.slurm_id});  // cannot move it: start afresh
  }
  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "-J",
                                   options_.job_prefix + req.job_id,
                                   "-p",
                                   PartitionOf(req.pool),
                                   "-N",
                                   std::to_string(req.slices.size()),
                                   "--ntasks-per-node=1",
                                   "-w",
                                   nodes,
                                   "--gres=" + gres};
  std::vector<std::pair<std::string, std::string>> env;
  std::string script_path;
  const RunSpec& run = req.run;
  if (!run.present()) {
    const std::string command =
        options_.command.empty() ? "sleep " + std::to_string(req.run_s) : options_.command;
    argv.insert(argv.end(), {"--no-requeue", "-o", options_.output, "--wrap", command});
  } else {
    argv.push_back("--requeue");
    if (req.time_limit_s > 0) argv.push_back("--time=" + FormatSlurmTime(req.time_limit_s));
    if (run.grace_s > 0)
      argv.push_back("--signal=B:" + run.preempt_signal + "@" + std::to_string(run.grace_s));
    if (!run.workdir.empty()) argv.insert(argv.end(), {"-D", run.workdir});
    if (!run.stdout_path.empty()) argv.insert(argv.end(), {"-o", run.stdout_path});
    if (!run.stderr_path.empty()) argv.insert(argv.end(), {"-e", run.stderr_path});
    if (!run.image.empty()) argv.insert(argv.end(), {"--container", run.image});
    std::string text = run.script;
    if (text.empty()) {
      text = "#!/bin/sh\n# fungible job " + req.job_id + "\nexec";
      for (const auto& a : run.command) text += " " + ShellQuote(a);
      text += "\n";
    }
    // sbatch copies the script at submission; the file goes right after.
    char tmpl[] = "/tmp/fungible-sbatch-XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0)
      return Status::Internal(std::string("cannot write the batch script: ") + std::strerror(errno));
    const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    close(fd);
    script_path = tmpl;
    if (!written) {
      unlink(script_path.c_str());
      return Status::Internal("cannot write the batch script " + script_path);
    }
    argv.push_back(script_path);
    env = run.env;
    env.emplace_back("FUNGIBLE_JOB_ID", req.job_id);
    env.emplace_back("FUNGIBLE_RESTARTS", std::to_string(req.restarts));
  }
  auto r = RunCommand(argv, env);
  if (!script_path.empty()) unlink(script_path.c_str());
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(argv, *r);
  std::string id = Trim(r->out);
  id = id.substr(0, id.find(';'));  // "<id>;<cluster>" on federated setups
  if (id.empty()) return Status::Internal("sbatch printed no job id");
  tracked_[id] = req.job_id;
  if (run.present()) requeueable_.insert(id);
  return id;
}

Status SlurmBackend::RequeueHeld(Held& h) {
  if (h.requeue_at == 0) return Status::Ok();
  h.requeue_at = 0;
  std::vector<std::string> argv = {"scontrol", "requeuehold", h.slurm_id};
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(argv, *r);
  return Status::Ok();
}

StatusOr<std::string> SlurmBackend::Resume(const LaunchRequest& req, Held& h, const std::string& nodes) {
  FUNGIBLE_RETURN_IF_ERROR(RequeueHeld(h));
  std::vector<std::string> update = {"scontrol",
                                     "update",
                                     "JobId=" + h.slurm_id,
                                     "Partition=" + PartitionOf(req.pool),
                                     "ReqNodeList=" + nodes,
                                     "NumNodes=" + std::to_string(req.slices.size())};
  auto r = RunCommand(update);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(update, *r);
  std::vector<std::string> release = {"scontrol", "release", h.slurm_id};
  r = RunCommand(release);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(release, *r);
  tracked_[h.slurm_id] = req.job_id;
  return h.slurm_id;
}

Status SlurmBackend::Preempt(const std::string& job_id, const std::string& backend_id,
                             const std::string& signal, std::int64_t grace_s) {
  if (backend_id.empty() || !requeueable_.count(backend_id)) return Stop(job_id, backend_id);
  tracked_.erase(backend_id);
  Held h;
  h.slurm_id = backend_id;
  // The GRES it holds, to know whether a new placement can reuse it.
  auto q = RunCommand({"squeue", "-h", "-j", backend_id, "-o", "%b"});
  if (q.ok() && q->exit_code == 0) {
    std::string tres = Trim(q->out);
    for (const std::string prefix : {"gres/", "gres:"})
      if (tres.rfind(prefix, 0) == 0) tres = tres.substr(prefix.size());
    h.gres = tres;
  }
  h.requeue_at = SystemClock().Now() + std::max<std::int64_t>(0, grace_s);
  if (grace_s > 0 && !signal.empty()) (void)RunCommand({"scancel", "-s", signal, "--full", backend_id});
  held_[job_id] = h;
  if (grace_s <= 0) return RequeueHeld(held_[job_id]);
  return Status::Ok();
}

Status SlurmBackend::Stop(const std::string& job_id, const std::string& backend_id) {
  std::vector<std::string> argv =
      backend_id.empty() ? std::vector<std::string>{"scancel", "-n", options_.job_prefix + job_id}
                         : std::vector<std::string>{"scancel", backend_id};
  if (auto h = held_.find(job_id); h != held_.end()) {
    (void)RunCommand({"scancel", h->second.slurm_id});
    held_.erase(h);
  }
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (!backend_id.empty()) tracked_.erase(backend_id);
  // scancel of a finished job prints an error but is not one for us.
  return Status::Ok();
}

StatusOr<std::vector<BackendEvent>> SlurmBackend::Poll() {
  std::vector<BackendEvent> events;
  const UtcSeconds now = SystemClock().Now();
  // Partition availability -> pool down/up.
  {
    std::vector<std::string> argv = {"sinfo", "-h", "-o", "%R|%a"};
    auto r = RunCommand(argv);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return CommandError(argv, *r);
    std::map<std::string, std::string> avail;
    for (const auto& line : Split(r->out, '\n')) {
      auto bar = line.find('|');
      if (bar != std::string::npos) avail[Trim(line.substr(0, bar))] = Trim(line.substr(bar + 1));
    }
    for (auto& [pool, up] : partition_up_) {
      auto it = avail.find(PartitionOf(pool));
      bool now_up = it != avail.end() && it->second == "up";
      if (now_up == up) continue;
      up = now_up;
      events.push_back(BackendEvent::Of(
          now_up ? BackendEvent::Kind::kPoolUp : BackendEvent::Kind::kPoolDown, "", pool, now,
          "Slurm partition " + PartitionOf(pool) + " is " + (it == avail.end() ? "gone" : it->second)));
    }
  }
  // Nodes that left or rejoined service -> that domain of every pool on them.
  {
    std::vector<std::string> argv = {"sinfo", "-h", "-N", "-o", "%N|%T"};
    auto r = RunCommand(argv);
    if (!r.ok()) return r.status();
    if (r->exit_code != 0) return CommandError(argv, *r);
    std::map<std::string, std::string> state_of;
    for (const auto& line : Split(r->out, '\n')) {
      auto bar = line.find('|');
      if (bar != std::string::npos) state_of[Trim(line.substr(0, bar))] = Trim(line.substr(bar + 1));
    }
    for (const auto& [pool, nodes] : nodes_of_pool_) {
      for (size_t d = 0; d < nodes.size(); ++d) {
        auto it = state_of.find(nodes[d]);
        const std::string st = it == state_of.end() ? "gone" : it->second;
        const bool down =
            st.rfind("drain", 0) == 0 || st.rfind("down", 0) == 0 || st.rfind("fail", 0) == 0 || st == "gone";
        const bool was = node_down_.count(pool + "/" + nodes[d]) > 0;
        if (down == was) continue;
        if (down)
          node_down_.insert(pool + "/" + nodes[d]);
        else
          node_down_.erase(pool + "/" + nodes[d]);
        BackendEvent e;
        e.kind = down ? BackendEvent::Kind::kNodeDown : BackendEvent::Kind::kNodeUp;
        e.pool = pool;
        e.domain = static_cast<int>(d);
        e.at = now;
        e.detail = "Slurm node " + nodes[d] + " is " + st;
        events.push_back(std::move(e));
      }
    }
  }
  // Preempted jobs whose grace period is over go back to Slurm's queue, held.
  for (auto& [job_id, h] : held_)
    if (h.requeue_at != 0 && h.requeue_at <= now) (void)RequeueHeld(h);
  if (tracked_.empty()) return events;
  std::vector<std::string> argv = {"squeue", "-h", "-t", "all", "-o", "%i|%T|%r"};
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(argv, *r);
  std::map<std::string, std::pair<std::string, std::string>> state;  // id -> (state, reason)
  for (const auto& line : Split(r->out, '\n')) {
    auto f = Split(line, '|');
    if (f.size() >= 2) state[Trim(f[0])] = {Trim(f[1]), f.size() > 2 ? Trim(f[2]) : ""};
  }
  static const std::set<std::string> kLive = {"PENDING",    "RUNNING",   "CONFIGURING",
                                              "COMPLETING", "SUSPENDED", "REQUEUED",
                                              "RESIZING",   "SIGNALING", "STAGE_OUT"};
  for (auto it = tracked_.begin(); it != tracked_.end();) {
    auto s = state.find(it->first);
    if (s != state.end() && kLive.count(s->second.first)) {
      ++it;
      continue;
    }
    BackendEvent e;
    e.job_id = it->second;
    e.at = now;
    e.backend_id = it->first;
    // The exit code and real times (kept by slurmctld for MinJobAge after the end).
    SlurmJobRecord rec;
    if (s != state.end()) {
      auto show = RunCommand({"scontrol", "show", "job", "-o", it->first});
      if (show.ok() && show->exit_code == 0) rec = ParseScontrolJob(show->out);
    }
    const std::string st = s == state.end() ? "vanished" : s->second.first;
    e.exit_code = rec.exit_code;
    e.started_at = rec.started_at;
    e.ended_at = rec.ended_at;
    e.detail = "Slurm job " + it->first + " " + st +
               (s != state.end() && !s->second.second.empty() && s->second.second != "None"
                    ? " (" + s->second.second + ")"
                    : "");
    if (st == "COMPLETED") {
      e.kind = BackendEvent::Kind::kJobFinished;
      e.result = "completed";
    } else {
      e.kind = BackendEvent::Kind::kJobFailed;
      if (st == "FAILED" || st == "OUT_OF_MEMORY" || st == "BOOT_FAIL" || st == "DEADLINE")
        e.result = "failed";
      else if (st == "TIMEOUT")
        e.result = "timeout";
      else if (st == "CANCELLED")
        e.result = "cancelled";
      else
        e.result = "node_fail";  // NODE_FAIL, PREEMPTED, vanished: the scheduler requeues it
      if (e.result == "failed") e.detail += ", exit code " + std::to_string(e.exit_code);
    }
    events.push_back(std::move(e));
    it = tracked_.erase(it);
  }
  return events;
}

StatusOr<std::vector<std::string>> SlurmBackend::ListRunning() {
  std::vector<std::string> argv = {"squeue", "-h",   "-t", "PENDING,RUNNING,CONFIGURING,COMPLETING",
                                   "-o",     "%i|%j"};
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(argv, *r);
  std::vector<std::string> ids;
  for (const auto& line : Split(r->out, '\n')) {
    auto f = Split(line, '|');
    if (f.size() != 2) continue;
    const std::string name = Trim(f[1]);
    if (name.rfind(options_.job_prefix, 0) != 0) continue;
    const std::string id = name.substr(options_.job_prefix.size());
    tracked_[Trim(f[0])] = id;  // keep following it after a restart
    ids.push_back(id);
  }
  return ids;
}

}  // namespace fungible::orchestrate

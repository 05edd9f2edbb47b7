#include "orchestrate/slurm_backend.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
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

}  // namespace

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

StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv) {
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
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
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
  const std::string command =
      options_.command.empty() ? "sleep " + std::to_string(req.run_s) : options_.command;
  std::vector<std::string> argv = {"sbatch",
                                   "--parsable",
                                   "-J",
                                   options_.job_prefix + req.job_id,
                                   "-p",
                                   PartitionOf(req.pool),
                                   "-N",
                                   std::to_string(req.slices.size()),
                                   "-w",
                                   nodes,
                                   "--gres=" + GresOf(req.chip_type) + ":" + std::to_string(per_node),
                                   "--no-requeue",
                                   "-o",
                                   options_.output,
                                   "--wrap",
                                   command};
  auto r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return CommandError(argv, *r);
  std::string id = Trim(r->out);
  id = id.substr(0, id.find(';'));  // "<id>;<cluster>" on federated setups
  if (id.empty()) return Status::Internal("sbatch printed no job id");
  tracked_[id] = req.job_id;
  return id;
}

Status SlurmBackend::Stop(const std::string& job_id, const std::string& backend_id) {
  std::vector<std::string> argv =
      backend_id.empty() ? std::vector<std::string>{"scancel", "-n", options_.job_prefix + job_id}
                         : std::vector<std::string>{"scancel", backend_id};
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
      events.push_back(
          {now_up ? BackendEvent::Kind::kPoolUp : BackendEvent::Kind::kPoolDown, "", pool, now,
           "Slurm partition " + PartitionOf(pool) + " is " + (it == avail.end() ? "gone" : it->second)});
    }
  }
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
    if (s != state.end() && s->second.first == "COMPLETED") {
      e.kind = BackendEvent::Kind::kJobFinished;
      e.detail = "Slurm job " + it->first + " COMPLETED";
    } else {
      e.kind = BackendEvent::Kind::kJobFailed;
      e.detail = "Slurm job " + it->first + " " + (s == state.end() ? "vanished" : s->second.first) +
                 (s != state.end() && !s->second.second.empty() && s->second.second != "None"
                      ? " (" + s->second.second + ")"
                      : "");
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

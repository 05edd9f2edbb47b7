// Test support: the real `fungible` binary (FUNGIBLE_BIN, set by ctest) run
// as a child process, its port file, its health, its exit.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace fungible::server::proc {

// However a test ends (an assertion included), tells a client thread to stop
// and joins it.
struct StopAndJoin {
  std::atomic<bool>& stop;
  std::thread& thread;
  ~StopAndJoin() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

inline std::string Bin() {
  const char* b = std::getenv("FUNGIBLE_BIN");
  return b ? b : "";
}

// Runs argv to completion and returns its stdout, trailing newlines cut.
inline std::string Capture(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Runs argv to completion: its exit code and its stdout and stderr together.
struct Run {
  int exit_code = -1;
  std::string output;
};
inline Run RunAll(const std::vector<std::string>& argv) {
  std::string cmd;
  for (const auto& a : argv) cmd += "'" + a + "' ";
  cmd += "2>&1";
  Run run;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return run;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) run.output += buf;
  int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

// Starts argv with stdout and stderr appended to `log`.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// The port a server wrote to `port_file`, or 0 after `timeout_ms`.
inline int ReadPortFile(const std::string& port_file, int timeout_ms = 10000) {
  for (int waited = 0; waited < timeout_ms; waited += 20) {
    std::ifstream in(port_file);
    int port = 0;
    if (in >> port && port > 0) return port;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return 0;
}

// Polls GET /healthz (a fresh connection each time, closed after) until it
// answers `status`.
inline bool WaitHealth(int port, int status = 200, int tries = 200) {
  for (int i = 0; i < tries; ++i) {
    httplib::Client c("127.0.0.1", port);
    c.set_connection_timeout(0, 200000);
    c.set_keep_alive(false);
    if (auto r = c.Get("/healthz"); r && r->status == status) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// Waits up to `timeout_s` for `pid` to exit; returns its wait status, or -1
// (after SIGKILL) when it did not. `elapsed_s` gets the time waited.
inline int WaitExit(pid_t pid, double timeout_s, double* elapsed_s = nullptr) {
  auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  while (true) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (elapsed_s) *elapsed_s = dt;
    if (r == pid) return status;
    if (dt > timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace fungible::server::proc

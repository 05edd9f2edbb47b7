// Fuzz target: `fungible serve`'s HTTP request handling - the Beast parser,
// the checks made before a body is read (framing, route, method, credentials,
// limits) and every route's handler - on arbitrary bytes sent as one raw
// request. The service runs in this process once (a temporary SQLite store,
// the simulated backend on a virtual clock, four tokens); each input goes to
// it over a loopback connection that is half-closed after the input, so a
// truncated request ends at once. The server's routing is private to
// server/service.cc, so the input takes the same path as a client's bytes.
//
// In an input, {{root}}, {{alice}}, {{bob}} and {{viewer}} stand for the
// tokens of an admin, two team members and a viewer.
//
// Findings (the process aborts, the driver keeps the input): a crash or
// sanitizer report in any server thread; an answer that is not HTTP/1.x; a
// 500 (an unexpected failure behind a request); no answer within 20 s (the
// server's own deadlines are 2 s).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "orchestrate/scheduler.h"
#include "orchestrate/sim_backend.h"
#include "server/auth.h"
#include "server/service.h"
#include "store/store.h"

namespace {

using fungible::UtcSeconds;
namespace orchestrate = fungible::orchestrate;
namespace server = fungible::server;

constexpr UtcSeconds kT0 = 1798761600;  // 2027-01-01T00:00Z

[[noreturn]] void Finding(const std::string& what) {
  std::fprintf(stderr, "http_fuzzer: %s\n", what.c_str());
  std::abort();
}

struct World {
  orchestrate::VirtualClock clock{kT0};
  orchestrate::SimBackend backend{clock};
  std::unique_ptr<fungible::store::Store> store;
  std::unique_ptr<orchestrate::Scheduler> scheduler;
  std::unique_ptr<server::Service> service;
  std::map<std::string, std::string> tokens;
};

World* g_world = nullptr;  // lives until exit; its service is stopped then
// Answers by the first digit of their status (index 0: none), printed at
// exit so a run shows its inputs reach the handlers, not only the parser.
long g_answers[6] = {};

void StopService() {
  if (g_world) g_world->service->Stop();
  std::fprintf(stderr, "http_fuzzer: answers 2xx %ld, 3xx %ld, 4xx %ld, 5xx %ld, none %ld\n", g_answers[2],
               g_answers[3], g_answers[4], g_answers[5], g_answers[0]);
}

World& TheWorld() {
  if (g_world) return *g_world;
  auto* w = new World;
  const auto dir =
      std::filesystem::temp_directory_path() / ("fungible-http-fuzz-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto s = fungible::store::OpenStore((dir / "state.db").string());
  if (!s.ok()) Finding("opening the store: " + s.status().ToString());
  w->store = std::move(s).value();
  for (auto [name, role, team] : {std::tuple{"viewer", "viewer", ""},
                                  {"alice", "team", "research"},
                                  {"bob", "team", "product"},
                                  {"root", "admin", ""}}) {
    auto t = server::AddToken(*w->store, name, role, team, 0, /*replace=*/true);
    if (!t.ok()) Finding("adding a token: " + t.status().ToString());
    w->tokens[std::string("{{") + name + "}}"] = *t;
  }
  orchestrate::ClusterInfo cluster;
  cluster.pools = {{"h100-a", "h100-sxm", "nvidia", "hopper", 16, 8},
                   {"tpu-a", "tpu-v6e", "google", "v6e", 8, 4}};
  orchestrate::QuotaPlan plan;
  plan.period_starts = {kT0, kT0 + 12 * 3600};
  plan.period_hours = {12, 12};
  plan.quota_chips["research"]["h100-sxm"] = {8, 8};
  plan.quota_chips["product"]["h100-sxm"] = {8, 8};
  plan.quota_chips["research"]["tpu-v6e"] = {4, 4};
  w->scheduler = std::make_unique<orchestrate::Scheduler>(cluster, plan, w->backend, w->clock);
  server::ServiceOptions options;
  options.port = 0;
  options.schedule_interval_ms = 50;
  options.http_threads = 8;
  auto log = std::make_shared<spdlog::logger>("fuzz", std::make_shared<spdlog::sinks::null_sink_mt>());
  w->service = std::make_unique<server::Service>(*w->scheduler, *w->store, &w->clock, nullptr,
                                                 nlohmann::json{{"name", "fuzz"}}, options, log);
  fungible::Status st = w->service->Start();
  if (!st.ok()) Finding("starting the service: " + st.ToString());
  for (int i = 0; i < 10000 && !w->service->serving(); ++i) usleep(1000);
  if (!w->service->serving()) Finding("the service did not start serving in 10 s");
  g_world = w;
  std::atexit(StopService);
  return *w;
}

// Sends `request` on a fresh connection, half-closes, returns all it reads.
std::string Exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) Finding("socket failed");
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    Finding("cannot connect to the service");
  size_t off = 0;
  while (off < request.size()) {
    const ssize_t n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (an error answer); then read what it said
    off += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      answer.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) Finding("no answer within 20 s");
    break;  // EOF, or a reset after an error answer
  }
  ::close(fd);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)TheWorld();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  World& w = TheWorld();
  std::string request(reinterpret_cast<const char*>(data), size);
  for (const auto& [placeholder, token] : w.tokens)
    for (size_t at = request.find(placeholder); at != std::string::npos; at = request.find(placeholder, at))
      request.replace(at, placeholder.size(), token);
  const std::string answer = Exchange(w.service->port(), request);
  if (answer.empty()) {  // closed without an answer (e.g. nothing was sent)
    ++g_answers[0];
    return 0;
  }
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12 || answer[9] < '1' || answer[9] > '5')
    Finding("an answer that is not HTTP/1.x: " + answer.substr(0, 200));
  ++g_answers[answer[9] - '0'];
  // The first answer's status (a later pipelined one could not be told from body bytes).
  if (answer.compare(0, 12, "HTTP/1.1 500") == 0) Finding("a 500 answer: " + answer.substr(0, 400));
  return 0;
}

// A seeded mutation driver for the fuzz targets, for builds without
// libFuzzer (GCC, the ctest budget, the sanitizer build). It links with one
// target's LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize if defined):
//
//   fuzz_spec [--iterations N] [--seed S] [--crash-dir DIR] SEED...
//       N mutations (default 2000) of the seed files (SEED: a file or a
//       directory of files), deterministic for a given S: input i is the same
//       on every machine.
//   fuzz_spec --replay PATH...
//       every file under PATH once, as is (the kept regression inputs).
//
// A crash, sanitizer report, or an input running longer than
// --input-timeout seconds (default 20; a hang, not a speed check) writes the
// input to DIR/crash-<target>-<seed>-<i> (default: the current directory)
// before the process dies, and fails the run. Without AddressSanitizer the
// address space is capped (--rss-limit-mb, default 2048) so unbounded
// allocation is a crash too. libFuzzer builds (fuzz/build.sh) use libFuzzer's
// own main instead of this file.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));
extern "C" void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
#define FUNGIBLE_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUNGIBLE_FUZZ_ASAN 1
#endif
#endif

namespace {

namespace fs = std::filesystem;

// The input being run and where to write it should the process die.
std::string g_current;
char g_crash_path[4096] = "";

void WriteCurrent() {
  if (g_crash_path[0] == '\0') return;
  const int fd = ::open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  size_t off = 0;
  while (off < g_current.size()) {
    const ssize_t n = ::write(fd, g_current.data() + off, g_current.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  const char msg[] = "\nfuzz driver: the input is written to ";
  (void)!::write(2, msg, sizeof msg - 1);
  (void)!::write(2, g_crash_path, std::strlen(g_crash_path));
  (void)!::write(2, "\n", 1);
  g_crash_path[0] = '\0';
}

void OnFatalSignal(int sig) {
  if (sig == SIGALRM) {
    const char msg[] = "\nfuzz driver: an input ran past --input-timeout (a hang)\n";
    (void)!::write(2, msg, sizeof msg - 1);
  }
  WriteCurrent();
  ::signal(sig == SIGALRM ? SIGABRT : sig, SIG_DFL);
  ::raise(sig == SIGALRM ? SIGABRT : sig);
}

void InstallHandlers() {
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGALRM}) {
    struct sigaction sa {};
    sa.sa_handler = OnFatalSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    ::sigaction(sig, &sa, nullptr);
  }
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(WriteCurrent);
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every regular file under each path, sorted (the same order everywhere).
bool CollectFiles(const std::vector<std::string>& paths, std::vector<fs::path>& out) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      out.push_back(p);
    } else if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().filename().string()[0] != '.') out.push_back(e.path());
    } else {
      std::fprintf(stderr, "fuzz driver: %s: no such file or directory\n", p.c_str());
      return false;
    }
  }
  std::sort(out.begin(), out.end());
  return true;
}

// A handful of edits drawn from what breaks readers and parsers.
void Mutate(std::string& s, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  static const std::vector<std::string> kTokens = {
      ",", "[", "]", "{", "}", ":", "- ", "&a ", "*a", "'", "\"", "\n", std::string(1, '\0'), "\t", "#",
      "---\n", "\xEF\xBB\xBF", "\r\n", ",,,,", "\xff\xfe", "%", "%00", "%zz", "?", "&", "=", "/", "..",
      "\\u0000", "0\r\n\r\n", "Transfer-Encoding: chunked\r\n", "Content-Length: ", "\r\n\r\n",
      "Authorization: Bearer ",
      // numbers last: the number-replacing edit draws from these
      "1e200", "-1e308", "0x10", ".inf", "nan", "4.5", "-1", "9223372036854775807", "18446744073709551616",
      "2027-02-30", "1970-01-01T00:00Z"};
  constexpr size_t kFirstNumber = 34;
  auto pos = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % (n + 1)); };
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 7) {
      case 0: s.insert(pos(s.size()), kTokens[rng() % kTokens.size()]); break;
      case 1:
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() % 256);
        break;
      case 2: s.erase(pos(s.size()), rng() % 64); break;
      case 3: {  // repeat a range
        const size_t a = pos(s.size());
        const std::string piece = s.substr(a, rng() % 256);
        for (int k = static_cast<int>(rng() % 8); k >= 0; --k) s.insert(a, piece);
        break;
      }
      case 4: {  // splice in a piece of another seed
        const std::string& other = seeds[rng() % seeds.size()];
        s.insert(pos(s.size()), other.substr(pos(other.size()), rng() % 512));
        break;
      }
      case 5: s.resize(pos(s.size())); break;
      default: {  // replace a digit by an extreme number
        const size_t a = s.find_first_of("0123456789", pos(s.size()));
        if (a != std::string::npos)
          s.replace(a, 1, kTokens[kFirstNumber + rng() % (kTokens.size() - kFirstNumber)]);
        break;
      }
    }
  }
}

void Run(const std::string& input, unsigned timeout_s) {
  g_current = input;
  ::alarm(timeout_s);
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(g_current.data()), g_current.size());
  ::alarm(0);
}

int Usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s [--iterations N] [--seed S] [--crash-dir DIR] [--input-timeout SECONDS] "
               "[--rss-limit-mb MB] SEED...\n       %s --replay PATH...\n",
               self, self);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  long iterations = 2000;
  std::uint64_t seed = 1;
  std::string crash_dir = ".";
  unsigned timeout_s = 20;
  long rss_limit_mb = 2048;
  bool replay = false;
  std::vector<std::string> paths;
  const std::string target = fs::path(argv[0]).filename().string();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--replay") {
      replay = true;
    } else if (a == "--iterations" && (v = next())) {
      iterations = std::atol(v);
    } else if (a == "--seed" && (v = next())) {
      seed = std::strtoull(v, nullptr, 10);
    } else if (a == "--crash-dir" && (v = next())) {
      crash_dir = v;
    } else if (a == "--input-timeout" && (v = next())) {
      timeout_s = static_cast<unsigned>(std::atoi(v));
    } else if (a == "--rss-limit-mb" && (v = next())) {
      rss_limit_mb = std::atol(v);
    } else if (!a.empty() && a[0] != '-') {
      paths.push_back(a);
    } else {
      return Usage(argv[0]);
    }
  }
  if (paths.empty() || iterations < 0) return Usage(argv[0]);
  std::vector<fs::path> files;
  if (!CollectFiles(paths, files)) return 1;
#ifndef FUNGIBLE_FUZZ_ASAN
  const rlim_t bytes = static_cast<rlim_t>(rss_limit_mb) << 20;
  rlimit as{bytes, bytes};
  ::setrlimit(RLIMIT_AS, &as);
#else
  (void)rss_limit_mb;  // AddressSanitizer reserves far more address space; it checks allocations itself
#endif
  InstallHandlers();
  if (replay) {
    for (const auto& f : files) {
      std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%s-replay-%s", crash_dir.c_str(),
                    target.c_str(), f.filename().c_str());
      Run(ReadFile(f), timeout_s);
    }
    g_crash_path[0] = '\0';
    std::printf("%s: replayed %zu inputs, none crashed\n", target.c_str(), files.size());
    return 0;
  }
  if (files.empty()) {
    std::fprintf(stderr, "fuzz driver: no seed files\n");
    return 1;
  }
  std::vector<std::string> seeds;
  for (const auto& f : files) seeds.push_back(ReadFile(f));
  // The seeds themselves first, then the mutations.
  for (size_t k = 0; k < seeds.size(); ++k) {
    std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%s-seedfile-%zu", crash_dir.c_str(),
                  target.c_str(), k);
    Run(seeds[k], timeout_s);
  }
  for (long i = 0; i < iterations; ++i) {
    std::mt19937_64 rng(seed * 1'000'003 + static_cast<std::uint64_t>(i));
    std::string s = seeds[rng() % seeds.size()];
    Mutate(s, seeds, rng);
    std::snprintf(g_crash_path, sizeof g_crash_path, "%s/crash-%s-%llu-%ld", crash_dir.c_str(),
                  target.c_str(), static_cast<unsigned long long>(seed), i);
    Run(s, timeout_s);
  }
  g_crash_path[0] = '\0';
  std::printf("%s: %zu seeds and %ld mutations (seed %llu), none crashed\n", target.c_str(), seeds.size(),
              iterations, static_cast<unsigned long long>(seed));
  return 0;
}

// No input kills the process: the spec reader and the CSV readers are run on
// a few thousand seeded mutations of the bundled example specs and CSVs, in a
// child process whose address space and CPU time are capped. A crash, an
// abort (bad_alloc included), a hang or unbounded allocation fails the test,
// which then writes the offending input next to the build for replay.
//
// Bounded: about FUZZ_ITERATIONS inputs per reader; a few seconds in all.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "forecast/actuals.h"
#include "forecast/demand_model.h"
#include "forecast/profile.h"
#include "spec/spec.h"
#include "util/csv.h"

namespace fungible {
namespace {

namespace fs = std::filesystem;

constexpr int kIterations = 2500;  // per reader
#if defined(__SANITIZE_ADDRESS__)
// AddressSanitizer's shadow memory takes terabytes of address space: no cap on
// it there (scripts/sanitize.sh sets ASan's own hard_rss_limit_mb instead), and
// instrumented code is slower.
constexpr bool kAddressSanitizer = true;
#else
constexpr bool kAddressSanitizer = false;
#endif
constexpr rlim_t kAddressSpaceBytes = rlim_t{1} << 30;                   // 1 GiB for the child
constexpr rlim_t kCpuSeconds = kAddressSanitizer ? 600 : 60;             // the whole batch
constexpr double kSlowestInputSeconds = kAddressSanitizer ? 20.0 : 2.0;  // any one input: a hang

std::string ReadText(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Seeds(const std::vector<std::string>& dirs, const std::string& ext) {
  std::vector<fs::path> files;
  for (const auto& d : dirs)
    for (const auto& e : fs::directory_iterator(std::string(FUNGIBLE_SOURCE_DIR) + "/" + d))
      if (e.path().extension() == ext && fs::file_size(e.path()) < 64 * 1024) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // the same seeds in the same order on every machine
  std::vector<std::string> out;
  for (const auto& f : files) out.push_back(ReadText(f));
  return out;
}

// Mutates `s` in place: a handful of edits drawn from what breaks readers.
void Mutate(std::string& s, const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  static const std::vector<std::string> kTokens = {",",
                                                   "[",
                                                   "]",
                                                   "{",
                                                   "}",
                                                   ":",
                                                   "- ",
                                                   "? ",
                                                   "&a ",
                                                   "*a",
                                                   "!!str ",
                                                   "'",
                                                   "\"",
                                                   "\n",
                                                   std::string(1, '\0'),
                                                   "\t",
                                                   "#",
                                                   "---\n",
                                                   "...\n",
                                                   "\xEF\xBB\xBF",
                                                   "1e200",
                                                   "-1e308",
                                                   "0x10",
                                                   ".inf",
                                                   ".nan",
                                                   "4.5",
                                                   "~",
                                                   "9223372036854775807",
                                                   "\"\\0\"",
                                                   "\xff\xfe",
                                                   "%YAML 1.2\n",
                                                   "<<: *a\n",
                                                   "|\n",
                                                   ">-\n",
                                                   "\r\n",
                                                   ",,,,"};
  auto pos = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % (n + 1)); };
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    switch (rng() % 7) {
      case 0:  // insert a token
        s.insert(pos(s.size()), kTokens[rng() % kTokens.size()]);
        break;
      case 1:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() % 256);
        break;
      case 2: {  // delete a range
        const size_t a = pos(s.size());
        s.erase(a, rng() % 64);
        break;
      }
      case 3: {  // repeat a range
        const size_t a = pos(s.size());
        const std::string piece = s.substr(a, rng() % 256);
        for (int k = static_cast<int>(rng() % 8); k >= 0; --k) s.insert(a, piece);
        break;
      }
      case 4: {  // splice in a piece of another seed
        const std::string& other = seeds[rng() % seeds.size()];
        const size_t a = pos(other.size());
        s.insert(pos(s.size()), other.substr(a, rng() % 512));
        break;
      }
      case 5:  // truncate
        s.resize(pos(s.size()));
        break;
      default: {  // replace a number by an extreme one
        const size_t a = s.find_first_of("0123456789", pos(s.size()));
        if (a != std::string::npos) s.replace(a, 1, kTokens[20 + rng() % 9]);
        break;
      }
    }
  }
}

std::string Input(const std::vector<std::string>& seeds, std::uint64_t seed, int i) {
  std::mt19937_64 rng(seed * 1'000'003 + static_cast<std::uint64_t>(i));
  std::string s = seeds[rng() % seeds.size()];
  Mutate(s, seeds, rng);
  return s;
}

struct Shared {
  int iteration;           // the input being read, for the parent's report
  double slowest_seconds;  // of any one input
  int slowest_iteration;
};

// Runs `read` on kIterations mutated inputs in a child limited to
// kAddressSpaceBytes and kCpuSeconds. Fails with the offending input written
// to a file when the child dies or overruns.
void FuzzInChild(const std::string& what, const std::vector<std::string>& seeds, std::uint64_t seed,
                 const std::function<void(const std::string&)>& read) {
  ASSERT_FALSE(seeds.empty()) << what;
  void* mem = mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  auto* shared = new (mem) Shared{-1, 0, -1};
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    rlimit as{kAddressSpaceBytes, kAddressSpaceBytes};
    rlimit cpu{kCpuSeconds, kCpuSeconds};
    if (!kAddressSanitizer) setrlimit(RLIMIT_AS, &as);
    setrlimit(RLIMIT_CPU, &cpu);
    alarm(static_cast<unsigned>(2 * kCpuSeconds));  // wall clock, should the child block
    for (int i = 0; i < kIterations; ++i) {
      shared->iteration = i;
      const std::string input = Input(seeds, seed, i);
      const auto a = std::chrono::steady_clock::now();
      read(input);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
      if (s > shared->slowest_seconds) {
        shared->slowest_seconds = s;
        shared->slowest_iteration = i;
      }
    }
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Shared result = *shared;
  munmap(mem, sizeof(Shared));
  auto keep = [&](int i) {
    const std::string path = fs::temp_directory_path() / ("fungible-fuzz-" + what + "-" + std::to_string(i));
    std::ofstream(path, std::ios::binary) << Input(seeds, seed, i);
    return path;
  };
  if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    ADD_FAILURE() << what << ": the reader "
                  << (WIFSIGNALED(status) ? "died of signal " + std::to_string(WTERMSIG(status))
                                          : "exited " + std::to_string(WEXITSTATUS(status)))
                  << " on input " << result.iteration << ", written to " << keep(result.iteration);
    return;
  }
  EXPECT_LT(result.slowest_seconds, kSlowestInputSeconds)
      << what << ": input " << result.slowest_iteration << " took " << result.slowest_seconds
      << " s, written to " << keep(result.slowest_iteration);
  std::printf("%s: %d inputs in %.2f s, slowest %.4f s\n", what.c_str(), kIterations, seconds,
              result.slowest_seconds);
}

TEST(InputFuzz, SpecReaderSurvivesMutatedSpecs) {
  const auto seeds = Seeds({"examples", "tests/cases/spec", "tests/cases/forecast"}, ".yaml");
  FuzzInChild("spec", seeds, 1, [](const std::string& text) {
    auto fleet = ParseFleetSpec(text, "fuzz.yaml");
    // Errors are located values, never exceptions; a valid fleet summarises.
    if (fleet.ok()) (void)SummarizeFleet(*fleet);
  });
}

// The demand model the actuals are read against: that of a bundled case.
DemandModel CaseModel() {
  auto fleet = LoadFleetSpec(std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/forecast/actuals-missed.yaml");
  EXPECT_TRUE(fleet.ok()) << fleet.status().ToString();
  auto model = BuildDemandModel(*fleet, ForecastOptionsFromSpec(*fleet));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

TEST(InputFuzz, CsvReadersSurviveMutatedCsvs) {
  const auto seeds = Seeds({"tests/cases/forecast"}, ".csv");
  const DemandModel model = CaseModel();
  FuzzInChild("csv", seeds, 2, [&](const std::string& text) {
    (void)ParseCsv(text, "fuzz.csv");
    (void)ParseActualsCsv(text, "fuzz.csv", model);
    (void)ParseRateTraces(text, "fuzz.csv");
    (void)ParseTokenMix(text, "fuzz.csv");
  });
}

// The reproducers of issue 13, each in the capped child: a ',' alone used to
// make yaml-cpp allocate without bound; an alias bomb must stay bounded too.
TEST(InputFuzz, KnownKillersAreRefusedWithinBounds) {
  const std::vector<std::string> killers = {
      ",",
      ",\n,",
      "[1],",
      "name: x\n,",
      "a: &a [1,1,1,1,1,1,1,1,1,1]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
      std::string(2 << 20, '#'),
      std::string(100000, '[')};
  for (size_t k = 0; k < killers.size(); ++k) {
    void* mem = mmap(nullptr, 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(mem, MAP_FAILED);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      rlimit as{kAddressSpaceBytes, kAddressSpaceBytes};
      if (!kAddressSanitizer) setrlimit(RLIMIT_AS, &as);
      alarm(20);
      auto fleet = ParseFleetSpec(killers[k], "killer.yaml");
      *static_cast<char*>(mem) = fleet.ok() ? 'y' : 'n';
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "input " << k << " killed the reader";
    EXPECT_EQ(*static_cast<char*>(mem), 'n') << "input " << k << " was accepted";
    munmap(mem, 1);
  }
}

}  // namespace
}  // namespace fungible

// Fuzz target: the trace CSV readers (`simulate --scenario trace:`, rate
// traces; `--token-mix`, request timestamps and token counts) on arbitrary
// bytes. Built with libFuzzer by fuzz/build.sh, and with the seeded mutation
// driver (fuzz/driver.cc) as the ctest fuzz/trace.
#include <cstddef>
#include <cstdint>
#include <string>

#include "forecast/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)fungible::ParseRateTraces(text, "fuzz.csv");
  (void)fungible::ParseTokenMix(text, "fuzz.csv");
  return 0;
}

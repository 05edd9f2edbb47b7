// Fuzz target: the fleet spec reader on arbitrary bytes. Built with
// libFuzzer by fuzz/build.sh, and with the seeded mutation driver
// (fuzz/driver.cc) as the ctest fuzz/spec.
#include <cstddef>
#include <cstdint>
#include <string>

#include "spec/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto fleet = fungible::ParseFleetSpec(text, "fuzz.yaml");
  if (fleet.ok()) (void)fungible::SummarizeFleet(*fleet);
  return 0;
}

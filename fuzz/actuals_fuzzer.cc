// Fuzz target: the actuals CSV reader (`forecast --actuals`, `backtest`) on
// arbitrary bytes, against the demand model of a bundled case, and the plain
// CSV reader under it. Built with libFuzzer by fuzz/build.sh, and with the
// seeded mutation driver (fuzz/driver.cc) as the ctest fuzz/actuals.
#include <cstddef>
#include <cstdint>
#include <string>

#include "forecast/actuals.h"
#include "forecast/demand_model.h"
#include "spec/spec.h"
#include "util/csv.h"

namespace {

// A model with two serving tiers and a pre-training workload.
const fungible::DemandModel& Model() {
  static const fungible::DemandModel model = [] {
    auto fleet = fungible::LoadFleetSpec(FUNGIBLE_SOURCE_DIR "/tests/cases/forecast/actuals-missed.yaml");
    if (!fleet.ok()) __builtin_trap();  // a broken fixture, not a finding
    auto m = fungible::BuildDemandModel(*fleet, fungible::ForecastOptionsFromSpec(*fleet));
    if (!m.ok()) __builtin_trap();
    return *m;
  }();
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)fungible::ParseCsv(text, "fuzz.csv");
  (void)fungible::ParseActualsCsv(text, "fuzz.csv", Model());
  return 0;
}

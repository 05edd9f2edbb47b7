// libFuzzer target: the CSV readers (plain, actuals, rate traces, token
// mix) on arbitrary bytes. Built and run by hand (see fuzz/README.md).
#include <cstddef>
#include <cstdint>
#include <string>

#include "forecast/actuals.h"
#include "forecast/demand_model.h"
#include "forecast/profile.h"
#include "spec/spec.h"
#include "util/csv.h"

namespace {

// The demand model actuals are read against: that of a bundled case.
const fungible::DemandModel& Model() {
  static const fungible::DemandModel model = [] {
    auto fleet = fungible::LoadFleetSpec(FUNGIBLE_SOURCE_DIR "/tests/cases/forecast/actuals-missed.yaml");
    return *fungible::BuildDemandModel(*fleet, fungible::ForecastOptionsFromSpec(*fleet));
  }();
  return model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)fungible::ParseCsv(text, "fuzz.csv");
  (void)fungible::ParseActualsCsv(text, "fuzz.csv", Model());
  (void)fungible::ParseRateTraces(text, "fuzz.csv");
  (void)fungible::ParseTokenMix(text, "fuzz.csv");
  return 0;
}

// Reading and validating a fleet spec (YAML). Every problem is reported as a
// Diagnostic naming file:line:column and the field path; unknown keys are
// errors. The JSON Schema published in docs/fleet-spec.schema.json describes
// the same fields (a test keeps the two in step).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// Parses and validates the spec in `path`. On failure the Status carries every
// diagnostic found (not only the first), code kInvalidArgument; a missing file
// is kNotFound.
StatusOr<Fleet> LoadFleetSpec(const std::string& path);

// Same, from text in memory; `name` stands for the file in messages.
StatusOr<Fleet> ParseFleetSpec(const std::string& yaml_text, const std::string& name);

// Adds the offers of `path` (a YAML file whose only key is `offers:`, each
// entry as in a spec's offers) to `fleet`, checked like the spec's own offers
// (chip types, ids unique across both, landing inside the plan horizon).
// Errors name `path`; `fleet` is unchanged on error.
Status AddOffersFromFile(Fleet& fleet, const std::string& path);

// What a valid spec holds, for `fungible validate` to print.
struct FleetSummary {
  std::string name;
  std::vector<std::string> chip_type_ids;  // in spec order
  int pools = 0;
  long long chips = 0;                                  // over all pools, fully landed
  std::map<std::string, long long> chips_per_platform;  // "nvidia" -> chips
  int contracts = 0;
  std::map<std::string, int> contracts_per_kind;  // "reserved" -> count
  std::vector<std::string> model_ids;
  int workloads = 0;
  std::map<std::string, int> workloads_per_kind;  // "serve" -> count
  std::vector<std::string> demand_models;         // one demand series per model
  int class_growth = 0;
};
FleetSummary SummarizeFleet(const Fleet& fleet);

// The JSON Schema (draft 2020-12) of the spec, generated from the same key
// table the reader uses; docs/fleet-spec.schema.json is this text.
std::string FleetSpecJsonSchema();
// The field reference (Markdown tables, one per object) for docs/fleet-spec.md.
std::string FleetSpecFieldReference();

}  // namespace fungible

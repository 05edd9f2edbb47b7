// Reading and validating a fleet spec (YAML). Every problem is reported as a
// Diagnostic naming file:line:column and the field path; unknown keys are
// errors. The JSON Schema published in docs/fleet-spec.schema.json describes
// the same fields (a test keeps the two in step).
#pragma once

#include <string>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible {

// Parses and validates the spec in `path`. On failure the Status carries every
// diagnostic found (not only the first), code kInvalidArgument; a missing file
// is kNotFound.
StatusOr<Fleet> LoadFleetSpec(const std::string& path);

// Same, from text in memory; `name` stands for the file in messages.
StatusOr<Fleet> ParseFleetSpec(const std::string& yaml_text, const std::string& name);

}  // namespace fungible

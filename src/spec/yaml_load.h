// Loading one YAML document from untrusted text without letting yaml-cpp run
// away. Internal to src/spec.
//
// yaml-cpp 0.7 (Debian 12) never consumes a ',' that stands outside a flow
// collection at the top level of a document: its parser emits an empty
// document without advancing, so YAML::LoadAll collects empty documents until
// memory runs out (a spec holding only "," took 24 GB). Other YAML libraries
// in Debian 12 (libyaml, libfyaml) are C event parsers: switching would mean
// rewriting the node layer that the reader, its line:column marks and its
// tests are built on, for one defect that a guard removes. So the guard: a
// first pass over yaml-cpp's events (no nodes built) that stops after the
// first document, refuses a second one, names where a stray ',' stands, and
// counts the nodes a reader would visit (aliases expanded) against a limit.
// Only then are nodes built, from a single document (YAML::Load). The size of
// the text is bounded by the caller (kMaxSpecBytes).
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <string>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible::spec_internal {

// Largest spec or offer file read, bytes (the largest example is 25 kB).
inline constexpr std::size_t kMaxSpecBytes = 1 << 20;
// Most nodes a document may hold, counting each alias as the nodes it
// stands for (the largest example has about 3,000).
inline constexpr std::size_t kMaxSpecNodes = 200'000;

// Parses `text` as exactly one YAML document. Errors are located diagnostics
// naming `name` (invalid YAML, a second document, a stray ',', too large).
StatusOr<YAML::Node> LoadOneDocument(const std::string& text, const std::string& name);

// Reads the file at `path` (at most kMaxSpecBytes) into `text`.
// kNotFound when missing, kInvalidArgument when a directory or too large.
Status ReadSpecFile(const std::string& path, std::string& text);

}  // namespace fungible::spec_internal

// The table of every key a fleet spec may contain: one entry per key with its
// type, bounds, default, description (with unit) and the wrong names people
// tend to use for it. One table drives the reader (unknown keys, missing keys,
// types, bounds, defaults), the JSON Schema (docs/fleet-spec.schema.json) and
// the field reference in docs/fleet-spec.md. Internal to src/spec.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fungible::spec_internal {

enum class ValueType {
  kString,      // a non-empty string (quoted when YAML would read it as a number, boolean or null)
  kId,          // a string of the id character set (kIdPattern)
  kNumber,      // finite number, unquoted
  kInteger,     // whole number, unquoted
  kBoolean,     // true / false
  kDate,        // UTC date or time, through ParseUtc
  kEnum,        // one of FieldDef::enum_values
  kObject,      // a mapping described by FieldDef::object
  kObjectList,  // a list of mappings described by FieldDef::object
  kNumberList,  // a list of numbers; bounds apply to each element
  kNumberMap,   // a mapping from an id (e.g. chip type) to a number; bounds apply to each value
  kIdList,      // a list of ids (references), no duplicates
};

// Ids (of chip types, contracts, pools, models, workloads, offers) and the
// references to them: a letter or digit, then up to 63 letters, digits, '.',
// '_' or '-'. They become column names, file names and Kubernetes labels.
inline constexpr std::string_view kIdPattern = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";
bool IsValidId(std::string_view s);

// What YAML 1.2's core schema makes of a plain scalar: "a number",
// "a boolean", "null"; "" for a string.
std::string_view PlainScalarType(std::string_view s);

struct Bound {
  double value = 0;
  bool exclusive = false;
};

struct ObjectDef;

struct FieldDef {
  std::string_view key;
  ValueType type = ValueType::kString;
  std::string_view description;  // meaning, with its unit
  bool required = false;
  std::optional<Bound> min;  // numbers; for lists and maps: each element
  std::optional<Bound> max;
  // Numbers without a maximum of their own: the largest value taken, far
  // above any real fleet, so that no value reaches a solver out of its range
  // (Clp aborts on coefficients near 1e20). Inclusive.
  std::optional<double> cap;
  std::vector<std::string_view> enum_values;  // kEnum
  const ObjectDef* object = nullptr;          // kObject, kObjectList
  int min_items = 0;                          // lists and maps
  int exact_items = 0;                        // kNumberList: 0 = any length
  std::string_view default_value;             // scalar text used when the key is absent; "" = no default
  std::vector<std::string_view> hints;        // wrong names people use for this key, for "did you mean"
  std::string_view above_max_hint;            // added to the message when a value is above max
};

// A requirement that depends on another key: when `key` equals `equals` (or,
// with `equals` empty, when `key` is present) the `then_required` keys must be
// there; otherwise the `else_required` keys must be there and the
// `else_forbidden` keys must not.
struct Condition {
  std::string_view key;
  std::string_view equals;
  std::vector<std::string_view> then_required;
  std::vector<std::string_view> else_required;
  std::vector<std::string_view> else_forbidden;
};

struct ObjectDef {
  std::string_view name;         // "Pool": the $defs name in the schema and the heading in the docs
  std::string_view where;        // where it appears in a spec, e.g. "pools[]"; "" = the top level
  std::string_view description;  // one or two sentences
  std::vector<FieldDef> fields;  // in documentation order
  std::vector<Condition> conditions;
  std::vector<std::string_view> exactly_one_of;  // keys of which exactly one must be given

  // The field named `key`, or nullptr.
  const FieldDef* Find(std::string_view key) const;
};

// The top level of a fleet spec.
const ObjectDef& RootDef();
// The top level of an offer file (`fungible evaluate --offer-file`): only
// `offers:`, each entry an Offer. Not part of the fleet spec's schema.
const ObjectDef& OfferFileDef();
// Every object definition, root first, in documentation order.
const std::vector<const ObjectDef*>& AllDefs();

// "a positive integer", "a number in (0, 1]", "one of fast, standard, batch", ...
// For lists and maps: the expectation on each element.
std::string ExpectedText(const FieldDef& f);
// ExpectedText with the cap: "a non-negative number up to 100000000".
std::string CappedText(const FieldDef& f);
// Whether `v` is within the bounds and the cap of `f`.
bool InBounds(const FieldDef& f, double v);
// The same for the whole value of a list or map field: "a list of 24 numbers".
std::string ExpectedContainerText(const FieldDef& f);

// Formats a number the way a person writes it: 3, 0.5, 6e+09.
std::string FormatNumber(double v);

// Closest matches for `word` among `candidates` (and, for keys, their hints),
// best first; empty when nothing is close.
std::vector<std::string> Suggest(std::string_view word, const std::vector<std::string>& candidates);
std::vector<std::string> SuggestKey(std::string_view word, const ObjectDef& def);

}  // namespace fungible::spec_internal

// Reading yaml-cpp nodes against the key table (fields.h), collecting located
// diagnostics instead of stopping at the first problem. Internal to src/spec.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/diagnostics.h"
#include "model/fleet.h"
#include "spec/fields.h"
#include "util/status.h"

namespace fungible::spec_internal {

// 1-based location of a node (yaml-cpp marks are 0-based).
SourceLoc LocOf(const YAML::Node& node);

// How a node reads in a message: -8, "abc", a mapping, a list, nothing.
std::string Got(const YAML::Node& node);

// "2026-01-01" for midnight, else "2026-01-01T10:00Z".
std::string ShowTime(UtcSeconds t);

// A mapping read against an ObjectDef. The constructor reports what is wrong
// with the mapping as a whole: not a mapping, unknown or duplicate keys,
// missing required keys, conditional keys, exactly-one-of groups. The getters
// then check one value each (type, bounds) and return nullopt when it is
// absent or wrong (wrong values are reported). Every key of the table present
// in the mapping must be read before the reader is destroyed; a key that never
// is (a parser bug) is reported as an internal error rather than ignored.
//
// `path` is the field path of the mapping ("pools[3]", "" for the top level);
// `where` its location. Not copyable: nested readers are passed to callbacks.
class ObjectReader {
 public:
  ObjectReader(Diagnostics& diags, const YAML::Node& node, const ObjectDef& def, std::string path,
               SourceLoc where);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  bool is_mapping() const { return is_mapping_; }
  const std::string& path() const { return path_; }
  SourceLoc loc() const { return where_; }
  bool Has(std::string_view key) const { return Find(key) != nullptr; }
  // Field path of `key`: "pools[3].chips".
  std::string PathOf(std::string_view key) const;
  // Location of the key / of its value (the key's when the value is empty);
  // the mapping's location when the key is absent.
  SourceLoc KeyLoc(std::string_view key) const;
  SourceLoc ValueLoc(std::string_view key) const;

  // REQUIRES: `key` is in the table with the matching type (kString, kEnum or kDate for String).
  std::optional<std::string> String(std::string_view key);
  std::optional<double> Number(std::string_view key);
  std::optional<std::int64_t> Integer(std::string_view key);
  std::optional<bool> Boolean(std::string_view key);
  std::optional<UtcSeconds> Date(std::string_view key);
  // The value, or the table's default when the key is absent or wrong.
  // REQUIRES: the table gives a default.
  std::string StringOr(std::string_view key);
  double NumberOr(std::string_view key);
  std::int64_t IntegerOr(std::string_view key);
  bool BooleanOr(std::string_view key);
  // Table default of a numeric field, or nullopt.
  std::optional<double> DefaultNumber(std::string_view key) const;

  struct Element {
    std::string key;  // map key; empty for lists
    double value = 0;
    SourceLoc key_loc;
    SourceLoc value_loc;
    std::string path;  // "demand[0].diurnal_shape[3]", "models[0].output_tokens_per_s_per_chip.b200"
  };
  // kNumberList / kNumberMap: every element, or nullopt when the value is
  // absent or any part of it is wrong.
  std::optional<std::vector<Element>> NumberList(std::string_view key);
  std::optional<std::vector<Element>> NumberMap(std::string_view key);
  // kIdList: every id (in Element::key), or nullopt when the value is absent
  // or any part of it is wrong (not a list, not an id, a duplicate).
  std::optional<std::vector<Element>> IdList(std::string_view key);

  // kObjectList: calls `fn` with a reader for each item that is a mapping.
  // Returns false when the key is absent or not a list.
  bool ForEach(std::string_view key, const std::function<void(ObjectReader&, size_t)>& fn);
  // kObject: calls `fn` with a reader for the mapping; when the key is absent,
  // with a reader of an empty mapping (so table defaults apply). Returns false
  // when the value is present but not a mapping.
  bool WithObject(std::string_view key, const std::function<void(ObjectReader&)>& fn);

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
  };
  const Entry* Find(std::string_view key) const;
  const FieldDef& Def(std::string_view key, std::initializer_list<ValueType> types) const;
  // Marks `key` read and returns its entry, or nullptr when absent.
  const Entry* Take(std::string_view key);
  void Error(SourceLoc loc, std::string_view key, std::string message);
  // `missing(key)`: absent, and not the suggestion for an unknown key.
  void CheckConditions(const std::function<bool(std::string_view)>& missing);

  Diagnostics& diags_;
  const ObjectDef& def_;
  std::string path_;
  SourceLoc where_;
  bool is_mapping_ = false;
  std::vector<Entry> entries_;  // in document order, first of any duplicates only
  std::set<std::string, std::less<>> read_;
};

}  // namespace fungible::spec_internal

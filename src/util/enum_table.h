// One table per enum: each value with its name in the spec, in the spec's
// order. Name functions, the spec reader and the spec's key table (enum
// values in validation, JSON Schema and docs) all derive from the one table.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

namespace fungible {

template <typename E>
struct EnumEntry {
  E value;
  const char* name;
};

// The name of `value` in `table`, or `fallback` when the table lacks it.
template <typename E, std::size_t N>
constexpr const char* EnumNameIn(const EnumEntry<E> (&table)[N], E value, const char* fallback) {
  for (const auto& e : table)
    if (e.value == value) return e.name;
  return fallback;
}

// The value named `name` in `table`, or nullopt.
template <typename E, std::size_t N>
constexpr std::optional<E> EnumValueIn(const EnumEntry<E> (&table)[N], std::string_view name) {
  for (const auto& e : table)
    if (name == e.name) return e.value;
  return std::nullopt;
}

// Every name of `table`, in order.
template <typename E, std::size_t N>
std::vector<std::string_view> EnumNamesOf(const EnumEntry<E> (&table)[N]) {
  std::vector<std::string_view> names;
  names.reserve(N);
  for (const auto& e : table) names.emplace_back(e.name);
  return names;
}

}  // namespace fungible

#include "spec/reader.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdlib>

namespace fungible::spec_internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// YAML 1.2 core-schema decimal numbers only: no hex, no ".inf", no "1_000".
bool LooksNumeric(std::string_view s) {
  size_t i = 0, digits = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && IsDigit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t exp_digits = 0;
    while (i < s.size() && IsDigit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool LooksInteger(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!IsDigit(s[i])) return false;
  return true;
}

std::optional<double> ParseNumberText(std::string_view s) {
  if (!LooksNumeric(s)) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  double v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<std::int64_t> ParseIntegerText(std::string_view s) {
  if (!LooksInteger(s)) return std::nullopt;
  if (s[0] == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

bool IsPlain(const YAML::Node& n) { return n.Tag() == "?"; }

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 60;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    char c = s[i];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[(c >> 4) & 0xf];
      out += kHex[c & 0xf];
    } else {
      out += c;
    }
  }
  if (s.size() > kMax) out += "...";
  return out + "\"";
}

std::string DidYouMean(const std::vector<std::string>& options, char quote) {
  if (options.empty()) return "";
  std::string out = " (did you mean ";
  for (size_t i = 0; i < options.size(); ++i) {
    if (i > 0) out += i + 1 == options.size() ? " or " : ", ";
    out += quote + options[i] + quote;
  }
  return out + "?)";
}

std::string QuotedKeys(const std::vector<std::string_view>& keys, std::string_view last_sep) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0) out += i + 1 == keys.size() ? std::string(last_sep) : std::string(", ");
    out += "'" + std::string(keys[i]) + "'";
  }
  return out;
}

std::string LineColumn(SourceLoc loc) {
  return "line " + std::to_string(loc.line) + ", column " + std::to_string(loc.column);
}

// A number read with the bounds of `f`; reports and returns nullopt when wrong.
std::optional<double> ReadNumber(Diagnostics& diags, const FieldDef& f, const YAML::Node& node, SourceLoc loc,
                                 const std::string& path) {
  std::optional<double> v;
  if (node.IsScalar() && IsPlain(node)) v = ParseNumberText(node.Scalar());
  if (!v) {
    std::string msg = "expected " + ExpectedText(f) + ", got " + Got(node);
    if (node.IsScalar() && !IsPlain(node) && ParseNumberText(node.Scalar()))
      msg += " (a quoted string: write numbers without quotes)";
    diags.Add(loc, path, msg);
    return std::nullopt;
  }
  if (!InBounds(f, *v)) {
    // Above the cap, the message names it; else the expectation as usual.
    const bool capped = f.cap && *v > *f.cap;
    std::string msg = "expected " + (capped ? CappedText(f) : ExpectedText(f)) + ", got " + node.Scalar();
    if (f.max && *v > f.max->value && !f.above_max_hint.empty())
      msg += " (" + std::string(f.above_max_hint) + ")";
    diags.Add(loc, path, msg);
    return std::nullopt;
  }
  return v;
}

}  // namespace

SourceLoc LocOf(const YAML::Node& node) {
  YAML::Mark m = node.Mark();
  if (m.line < 0 || m.column < 0) return SourceLoc{};
  return SourceLoc{m.line + 1, m.column + 1};
}

std::string Got(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  const std::string& s = node.Scalar();
  if (IsPlain(node) && LooksNumeric(s)) return s;
  return Quote(s);
}

std::string ShowTime(UtcSeconds t) { return t % kSecondsPerDay == 0 ? FormatDate(t) : FormatUtc(t); }

ObjectReader::ObjectReader(Diagnostics& diags, const YAML::Node& node, const ObjectDef& def, std::string path,
                           SourceLoc where)
    : diags_(diags), def_(def), path_(std::move(path)), where_(where) {
  if (!node.IsMap()) {
    diags_.Add(where_, path_, "expected a mapping, got " + Got(node));
    return;
  }
  is_mapping_ = true;
  // Keys suggested for unknown keys: their absence is already explained.
  std::set<std::string, std::less<>> suggested;
  auto missing = [&](std::string_view k) { return Find(k) == nullptr && suggested.count(k) == 0; };
  // Pairs by value: yaml-cpp's iterator hands out temporaries.
  for (const auto& pair : node) {
    const YAML::Node key_node = pair.first;
    if (!key_node.IsScalar()) {
      diags_.Add(LocOf(key_node), path_, "expected a key name, got " + Got(key_node));
      continue;
    }
    const std::string& key = key_node.Scalar();
    if (const Entry* first = Find(key)) {
      diags_.Add(LocOf(key_node), PathOf(key),
                 "duplicate key '" + key + "', first given at " + LineColumn(LocOf(first->key_node)));
      continue;
    }
    if (def_.Find(key) == nullptr) {
      std::string msg = "unknown key '" + key + "'";
      std::vector<std::string> near = SuggestKey(key, def_);
      if (!near.empty()) {
        msg += DidYouMean(near, '\'');
        suggested.insert(near.begin(), near.end());
      } else {
        std::vector<std::string_view> keys;
        for (const auto& f : def_.fields) keys.push_back(f.key);
        msg += " (expected one of " + QuotedKeys(keys, ", ") + ")";
      }
      diags_.Add(LocOf(key_node), PathOf(key), msg);
      continue;
    }
    entries_.push_back(Entry{key, key_node, pair.second});
  }
  for (const auto& f : def_.fields)
    if (f.required && missing(f.key))
      diags_.Add(where_, PathOf(f.key), "missing required key '" + std::string(f.key) + "'");
  CheckConditions(missing);
  if (!def_.exactly_one_of.empty()) {
    std::vector<const Entry*> given;
    bool any_suggested = false;
    for (auto k : def_.exactly_one_of) {
      if (const Entry* e = Find(k)) given.push_back(e);
      any_suggested = any_suggested || suggested.count(k) > 0;
    }
    std::string options = QuotedKeys(def_.exactly_one_of, " or ");
    if (given.empty() && !any_suggested) {
      diags_.Add(where_, path_, "expected exactly one of " + options + ", got neither");
    } else if (given.size() > 1) {
      diags_.Add(LocOf(given[1]->key_node), path_,
                 "expected exactly one of " + options + ", got " +
                     (given.size() == 2 ? std::string("both") : std::to_string(given.size())));
    }
  }
}

ObjectReader::~ObjectReader() {
  if (!is_mapping_) return;
  for (const auto& e : entries_)
    if (read_.find(e.key) == read_.end())
      diags_.Add(LocOf(e.key_node), PathOf(e.key),
                 "internal error: key '" + e.key + "' is in the spec table but the parser never reads it");
}

void ObjectReader::CheckConditions(const std::function<bool(std::string_view)>& missing) {
  for (const auto& c : def_.conditions) {
    const Entry* e = Find(c.key);
    bool holds = false;
    std::string when_then, when_else;
    if (c.equals.empty()) {
      holds = e != nullptr;
      when_then = "when '" + std::string(c.key) + "' is given";
      when_else = "when '" + std::string(c.key) + "' is not given";
    } else {
      // An absent or wrong value is reported on its own; judging the
      // condition on it would only add noise.
      if (e == nullptr || !e->value.IsScalar()) continue;
      const FieldDef* f = def_.Find(c.key);
      const std::string& actual = e->value.Scalar();
      if (f->type == ValueType::kEnum &&
          std::find(f->enum_values.begin(), f->enum_values.end(), actual) == f->enum_values.end())
        continue;
      holds = actual == c.equals;
      when_then = "when " + std::string(c.key) + " is " + std::string(c.equals);
      when_else = "when " + std::string(c.key) + " is " + actual;
    }
    if (holds) {
      for (auto k : c.then_required)
        if (missing(k))
          diags_.Add(where_, PathOf(k), "missing key '" + std::string(k) + "' (required " + when_then + ")");
      continue;
    }
    for (auto k : c.else_required)
      if (missing(k))
        diags_.Add(where_, PathOf(k), "missing key '" + std::string(k) + "' (required " + when_else + ")");
    for (auto k : c.else_forbidden)
      if (Find(k) != nullptr) {
        read_.insert(std::string(k));  // reported here; nothing more to read
        diags_.Add(KeyLoc(k), PathOf(k),
                   "key '" + std::string(k) + "' is only allowed " + when_then + ", not " + when_else);
      }
  }
}

const ObjectReader::Entry* ObjectReader::Find(std::string_view key) const {
  for (const auto& e : entries_)
    if (e.key == key) return &e;
  return nullptr;
}

const FieldDef& ObjectReader::Def(std::string_view key, std::initializer_list<ValueType> types) const {
  const FieldDef* f = def_.Find(key);
  // A key missing from the table, or read as the wrong type, is a bug in the
  // parser, not in the spec.
  if (f == nullptr || std::find(types.begin(), types.end(), f->type) == types.end()) std::abort();
  return *f;
}

const ObjectReader::Entry* ObjectReader::Take(std::string_view key) {
  read_.insert(std::string(key));
  return Find(key);
}

void ObjectReader::Error(SourceLoc loc, std::string_view key, std::string message) {
  diags_.Add(loc, PathOf(key), std::move(message));
}

std::string ObjectReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

SourceLoc ObjectReader::KeyLoc(std::string_view key) const {
  const Entry* e = Find(key);
  return e ? LocOf(e->key_node) : where_;
}

SourceLoc ObjectReader::ValueLoc(std::string_view key) const {
  const Entry* e = Find(key);
  if (e == nullptr) return where_;
  // yaml-cpp places an empty value at the next token; the key is clearer.
  if (e->value.IsNull()) return LocOf(e->key_node);
  return LocOf(e->value);
}

std::optional<std::string> ObjectReader::String(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kString, ValueType::kId, ValueType::kEnum, ValueType::kDate});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (!v.IsScalar() || v.Scalar().empty()) {
    Error(ValueLoc(key), key, "expected " + ExpectedText(f) + ", got " + Got(v));
    return std::nullopt;
  }
  const std::string& s = v.Scalar();
  // The JSON Schema says "string", and so do editors and every YAML-to-JSON
  // tool: `team: false` or `id: 12` are a boolean and a number there. Rather
  // than take them as text here and be refused by the schema, ask for quotes.
  if (IsPlain(v) && f.type != ValueType::kDate) {
    if (std::string_view kind = PlainScalarType(s); !kind.empty()) {
      Error(ValueLoc(key), key,
            "expected " + ExpectedText(f) + ", got " + s + " (YAML reads it as " + std::string(kind) +
                ": write it in quotes, \"" + s + "\")");
      return std::nullopt;
    }
  }
  if (f.type == ValueType::kId && !IsValidId(s)) {
    Error(ValueLoc(key), key, "expected " + ExpectedText(f) + ", got " + Quote(s));
    return std::nullopt;
  }
  if (f.type == ValueType::kEnum &&
      std::find(f.enum_values.begin(), f.enum_values.end(), s) == f.enum_values.end()) {
    std::vector<std::string> options(f.enum_values.begin(), f.enum_values.end());
    Error(ValueLoc(key), key,
          "expected " + ExpectedText(f) + ", got " + Got(v) + DidYouMean(Suggest(s, options), '"'));
    return std::nullopt;
  }
  return s;
}

std::optional<double> ObjectReader::Number(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kNumber});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  return ReadNumber(diags_, f, e->value, ValueLoc(key), PathOf(key));
}

std::optional<std::int64_t> ObjectReader::Integer(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kInteger});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  std::optional<std::int64_t> n;
  if (v.IsScalar() && IsPlain(v)) n = ParseIntegerText(v.Scalar());
  // fleet.h holds these in an int (the seed, the one 64-bit field, fits too).
  const std::int64_t limit = key == "seed" ? INT64_MAX : INT_MAX;
  if (!n || !InBounds(f, static_cast<double>(*n)) || *n > limit) {
    const bool capped = n && f.cap && static_cast<double>(*n) > *f.cap;
    std::string msg = "expected " + (capped ? CappedText(f) : ExpectedText(f)) + ", got " + Got(v);
    if (n && *n > limit && !capped) msg += " (too large)";
    if (v.IsScalar() && !IsPlain(v) && ParseIntegerText(v.Scalar()))
      msg += " (a quoted string: write numbers without quotes)";
    Error(ValueLoc(key), key, msg);
    return std::nullopt;
  }
  return n;
}

std::optional<bool> ObjectReader::Boolean(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kBoolean});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (v.IsScalar() && IsPlain(v)) {
    const std::string& s = v.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  Error(ValueLoc(key), key, "expected " + ExpectedText(f) + ", got " + Got(v));
  return std::nullopt;
}

std::optional<UtcSeconds> ObjectReader::Date(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kDate});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (!v.IsScalar()) {
    Error(ValueLoc(key), key, "expected " + ExpectedText(f) + ", got " + Got(v));
    return std::nullopt;
  }
  StatusOr<UtcSeconds> t = ParseUtc(v.Scalar());
  if (!t.ok()) {
    Error(ValueLoc(key), key, t.status().message());
    return std::nullopt;
  }
  return *t;
}

std::optional<double> ObjectReader::DefaultNumber(std::string_view key) const {
  const FieldDef& f = Def(key, {ValueType::kNumber, ValueType::kInteger});
  if (f.default_value.empty()) return std::nullopt;
  return ParseNumberText(f.default_value);
}

std::string ObjectReader::StringOr(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kString, ValueType::kEnum});
  if (f.default_value.empty()) std::abort();
  std::optional<std::string> v = String(key);
  return v ? *v : std::string(f.default_value);
}

double ObjectReader::NumberOr(std::string_view key) {
  std::optional<double> d = DefaultNumber(key);
  if (!d) std::abort();
  std::optional<double> v = Number(key);
  return v ? *v : *d;
}

std::int64_t ObjectReader::IntegerOr(std::string_view key) {
  std::optional<double> d = DefaultNumber(key);
  if (!d) std::abort();
  std::optional<std::int64_t> v = Integer(key);
  return v ? *v : static_cast<std::int64_t>(*d);
}

bool ObjectReader::BooleanOr(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kBoolean});
  if (f.default_value.empty()) std::abort();
  std::optional<bool> v = Boolean(key);
  return v ? *v : f.default_value == "true";
}

std::optional<std::vector<ObjectReader::Element>> ObjectReader::NumberList(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kNumberList});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (!v.IsSequence()) {
    Error(ValueLoc(key), key, "expected " + ExpectedContainerText(f) + ", got " + Got(v));
    return std::nullopt;
  }
  bool ok = true;
  if (f.exact_items > 0 && static_cast<int>(v.size()) != f.exact_items) {
    Error(ValueLoc(key), key, "expected " + ExpectedContainerText(f) + ", got " + std::to_string(v.size()));
    ok = false;
  } else if (static_cast<int>(v.size()) < f.min_items) {
    Error(ValueLoc(key), key,
          "expected at least " + std::to_string(f.min_items) + " numbers, got " + std::to_string(v.size()));
    ok = false;
  }
  std::vector<Element> out;
  for (size_t i = 0; i < v.size(); ++i) {
    Element el;
    el.path = PathOf(key) + "[" + std::to_string(i) + "]";
    el.value_loc = v[i].IsNull() ? ValueLoc(key) : LocOf(v[i]);
    el.key_loc = el.value_loc;
    std::optional<double> x = ReadNumber(diags_, f, v[i], el.value_loc, el.path);
    if (!x) {
      ok = false;
      continue;
    }
    el.value = *x;
    out.push_back(std::move(el));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<ObjectReader::Element>> ObjectReader::IdList(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kIdList});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (!v.IsSequence()) {
    Error(ValueLoc(key), key, "expected " + ExpectedContainerText(f) + ", got " + Got(v));
    return std::nullopt;
  }
  bool ok = true;
  if (static_cast<int>(v.size()) < f.min_items) {
    Error(ValueLoc(key), key,
          "expected at least " + std::to_string(f.min_items) + " ids, got " + std::to_string(v.size()));
    ok = false;
  }
  std::vector<Element> out;
  std::map<std::string, SourceLoc> seen;
  for (size_t i = 0; i < v.size(); ++i) {
    Element el;
    el.path = PathOf(key) + "[" + std::to_string(i) + "]";
    el.value_loc = v[i].IsNull() ? ValueLoc(key) : LocOf(v[i]);
    el.key_loc = el.value_loc;
    if (!v[i].IsScalar() || !IsValidId(v[i].Scalar())) {
      diags_.Add(el.value_loc, el.path, "expected an id, got " + Got(v[i]));
      ok = false;
      continue;
    }
    el.key = v[i].Scalar();
    if (auto [pos, fresh] = seen.emplace(el.key, el.value_loc); !fresh) {
      diags_.Add(el.value_loc, el.path,
                 "duplicate " + Quote(el.key) + ", first given at " + LineColumn(pos->second));
      ok = false;
      continue;
    }
    out.push_back(std::move(el));
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<ObjectReader::Element>> ObjectReader::NumberMap(std::string_view key) {
  const FieldDef& f = Def(key, {ValueType::kNumberMap});
  const Entry* e = Take(key);
  if (e == nullptr) return std::nullopt;
  const YAML::Node& v = e->value;
  if (!v.IsMap()) {
    Error(ValueLoc(key), key, "expected " + ExpectedContainerText(f) + ", got " + Got(v));
    return std::nullopt;
  }
  bool ok = true;
  if (static_cast<int>(v.size()) < f.min_items) {
    Error(ValueLoc(key), key,
          "expected at least " + std::to_string(f.min_items) + " entry, got an empty mapping");
    ok = false;
  }
  std::vector<Element> out;
  std::map<std::string, SourceLoc> seen;
  for (const auto& pair : v) {
    const YAML::Node k = pair.first;
    const YAML::Node value = pair.second;
    if (!k.IsScalar() || k.Scalar().empty()) {
      Error(LocOf(k), key, "expected a chip type id as key, got " + Got(k));
      ok = false;
      continue;
    }
    Element el;
    el.key = k.Scalar();
    el.key_loc = LocOf(k);
    el.value_loc = value.IsNull() ? el.key_loc : LocOf(value);
    el.path = PathOf(key) + "." + el.key;
    if (auto [pos, fresh] = seen.emplace(el.key, el.key_loc); !fresh) {
      diags_.Add(el.key_loc, el.path,
                 "duplicate key '" + el.key + "', first given at " + LineColumn(pos->second));
      ok = false;
      continue;
    }
    std::optional<double> x = ReadNumber(diags_, f, value, el.value_loc, el.path);
    if (!x) {
      ok = false;
      continue;
    }
    el.value = *x;
    out.push_back(std::move(el));
  }
  if (!ok) return std::nullopt;
  return out;
}

bool ObjectReader::ForEach(std::string_view key, const std::function<void(ObjectReader&, size_t)>& fn) {
  const FieldDef& f = Def(key, {ValueType::kObjectList});
  const Entry* e = Take(key);
  if (e == nullptr) return false;
  const YAML::Node& v = e->value;
  if (!v.IsSequence()) {
    Error(ValueLoc(key), key, "expected a list, got " + Got(v));
    return false;
  }
  if (static_cast<int>(v.size()) < f.min_items)
    Error(ValueLoc(key), key,
          "expected at least " + std::to_string(f.min_items) + (f.min_items == 1 ? " item" : " items") +
              ", got an empty list");
  for (size_t i = 0; i < v.size(); ++i) {
    YAML::Node item = v[i];
    SourceLoc loc = item.IsNull() ? ValueLoc(key) : LocOf(item);
    ObjectReader r(diags_, item, *f.object, PathOf(key) + "[" + std::to_string(i) + "]", loc);
    if (r.is_mapping()) fn(r, i);
  }
  return true;
}

bool ObjectReader::WithObject(std::string_view key, const std::function<void(ObjectReader&)>& fn) {
  const FieldDef& f = Def(key, {ValueType::kObject});
  const Entry* e = Take(key);
  if (e == nullptr) {
    // Absent: read an empty mapping so that the table's defaults apply, unless
    // the object has required keys (the parent reports the missing key).
    for (const auto& sub : f.object->fields)
      if (sub.required) return false;
    ObjectReader r(diags_, YAML::Node(YAML::NodeType::Map), *f.object, PathOf(key), where_);
    fn(r);
    return true;
  }
  ObjectReader r(diags_, e->value, *f.object, PathOf(key), ValueLoc(key));
  if (!r.is_mapping()) return false;
  fn(r);
  return true;
}

}  // namespace fungible::spec_internal

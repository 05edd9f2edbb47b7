// The JSON Schema and the Markdown field reference, both generated from the
// key table in fields.cc, so that editor completion, the docs and the reader
// cannot drift apart (spec_test compares them with the files in docs/).
#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "spec/fields.h"
#include "spec/spec.h"

namespace fungible {
namespace {

using Json = nlohmann::ordered_json;
using spec_internal::Condition;
using spec_internal::FieldDef;
using spec_internal::ObjectDef;
using spec_internal::ValueType;

// The dates ParseUtc accepts (it also checks that the day exists).
constexpr const char* kDatePattern =
    "^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(Z|z|\\+00:00))?$";

Json Num(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return Json(static_cast<long long>(v));
  return Json(v);
}

void AddBounds(Json& j, const FieldDef& f) {
  if (f.min) j[f.min->exclusive ? "exclusiveMinimum" : "minimum"] = Num(f.min->value);
  if (f.max) j[f.max->exclusive ? "exclusiveMaximum" : "maximum"] = Num(f.max->value);
  if (f.cap && !f.max) j["maximum"] = Num(*f.cap);
}

Json Ref(const ObjectDef& def) { return "#/$defs/" + std::string(def.name); }

Json NumberSchema(const FieldDef& f) {
  Json j;
  j["type"] = "number";
  AddBounds(j, f);
  return j;
}

Json FieldSchema(const FieldDef& f) {
  Json j;
  j["description"] = f.description;
  switch (f.type) {
    case ValueType::kString:
      j["type"] = "string";
      j["minLength"] = 1;
      break;
    case ValueType::kId:
      j["type"] = "string";
      j["pattern"] = spec_internal::kIdPattern;
      break;
    case ValueType::kNumber:
      j["type"] = "number";
      AddBounds(j, f);
      break;
    case ValueType::kInteger:
      j["type"] = "integer";
      AddBounds(j, f);
      break;
    case ValueType::kBoolean: j["type"] = "boolean"; break;
    case ValueType::kDate:
      j["type"] = "string";
      j["pattern"] = kDatePattern;
      break;
    case ValueType::kEnum:
      j["type"] = "string";
      j["enum"] = Json::array();
      for (auto v : f.enum_values) j["enum"].push_back(v);
      break;
    case ValueType::kObject: j["$ref"] = Ref(*f.object); break;
    case ValueType::kObjectList:
      j["type"] = "array";
      j["items"]["$ref"] = Ref(*f.object);
      if (f.min_items > 0) j["minItems"] = f.min_items;
      break;
    case ValueType::kNumberList:
      j["type"] = "array";
      j["items"] = NumberSchema(f);
      if (f.exact_items > 0) {
        j["minItems"] = f.exact_items;
        j["maxItems"] = f.exact_items;
      } else if (f.min_items > 0) {
        j["minItems"] = f.min_items;
      }
      break;
    case ValueType::kIdList:
      j["type"] = "array";
      j["items"]["type"] = "string";
      j["items"]["pattern"] = spec_internal::kIdPattern;
      j["uniqueItems"] = true;
      if (f.min_items > 0) j["minItems"] = f.min_items;
      break;
    case ValueType::kNumberMap:
      j["type"] = "object";
      j["propertyNames"]["pattern"] = spec_internal::kIdPattern;
      j["additionalProperties"] = NumberSchema(f);
      if (f.min_items > 0) j["minProperties"] = f.min_items;
      break;
  }
  if (!f.default_value.empty()) {
    std::string d(f.default_value);
    switch (f.type) {
      case ValueType::kNumber:
      case ValueType::kInteger: j["default"] = Num(std::strtod(d.c_str(), nullptr)); break;
      case ValueType::kBoolean: j["default"] = d == "true"; break;
      default: j["default"] = d; break;
    }
  }
  return j;
}

Json RequiredList(const std::vector<std::string_view>& keys) {
  Json j = Json::array();
  for (auto k : keys) j.push_back(k);
  return j;
}

Json ConditionSchema(const Condition& c) {
  Json j;
  if (c.equals.empty()) {
    Json if_;
    if_["required"] = RequiredList({c.key});
    j["if"] = if_;
  } else {
    Json if_;
    if_["properties"][std::string(c.key)] = {{"const", c.equals}};
    if_["required"] = RequiredList({c.key});
    j["if"] = if_;
  }
  if (!c.then_required.empty()) j["then"]["required"] = RequiredList(c.then_required);
  Json else_ = Json::object();
  if (!c.else_required.empty()) else_["required"] = RequiredList(c.else_required);
  for (auto k : c.else_forbidden) else_["properties"][std::string(k)] = false;
  if (!else_.empty()) j["else"] = else_;
  return j;
}

// The body of an object schema (without $schema, $defs).
void FillObject(Json& j, const ObjectDef& def) {
  j["description"] = def.description;
  j["type"] = "object";
  j["additionalProperties"] = false;
  Json props = Json::object();
  std::vector<std::string_view> required;
  for (const auto& f : def.fields) {
    props[std::string(f.key)] = FieldSchema(f);
    if (f.required) required.push_back(f.key);
  }
  j["properties"] = props;
  if (!required.empty()) j["required"] = RequiredList(required);
  if (!def.exactly_one_of.empty()) {
    Json one = Json::array();
    for (auto k : def.exactly_one_of) {
      Json option;
      option["required"] = RequiredList({k});
      one.push_back(option);
    }
    j["oneOf"] = one;
  }
  if (!def.conditions.empty()) {
    Json all = Json::array();
    for (const auto& c : def.conditions) all.push_back(ConditionSchema(c));
    j["allOf"] = all;
  }
}

// ---- Markdown ----

std::string StripArticle(std::string s) {
  if (s.rfind("a ", 0) == 0) return s.substr(2);
  if (s.rfind("an ", 0) == 0) return s.substr(3);
  return s;
}

std::string Anchor(const ObjectDef& def) {
  std::string a;
  for (char c : def.name) a += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return "[" + std::string(def.name) + "](#" + a + ")";
}

std::string TypeText(const FieldDef& f) {
  switch (f.type) {
    case ValueType::kString: return "string";
    case ValueType::kId: return "[id](#ids)";
    case ValueType::kNumber:
    case ValueType::kInteger: return StripArticle(spec_internal::CappedText(f));
    case ValueType::kBoolean: return "true or false";
    case ValueType::kDate: return "UTC date or time";
    case ValueType::kEnum: {
      std::string out = "one of ";
      for (size_t i = 0; i < f.enum_values.size(); ++i)
        out += (i > 0 ? ", `" : "`") + std::string(f.enum_values[i]) + "`";
      return out;
    }
    case ValueType::kObject: return "mapping: " + Anchor(*f.object);
    case ValueType::kObjectList: {
      std::string out = "list of " + Anchor(*f.object);
      if (f.min_items > 0) out += ", at least " + std::to_string(f.min_items);
      return out;
    }
    case ValueType::kNumberList:
      return "list of " + (f.exact_items > 0 ? std::to_string(f.exact_items) + " " : std::string()) +
             StripArticle(spec_internal::ExpectedText(f)) + "s" +
             (f.cap ? " up to " + spec_internal::FormatNumber(*f.cap) : std::string());
    case ValueType::kIdList:
      return "list of [ids](#ids)" +
             (f.min_items > 0 ? ", at least " + std::to_string(f.min_items) : std::string());
    case ValueType::kNumberMap:
      return "mapping: chip type id → " + StripArticle(spec_internal::CappedText(f)) +
             (f.min_items > 0 ? ", at least " + std::to_string(f.min_items) : std::string());
  }
  return "";
}

bool Contains(const std::vector<std::string_view>& v, std::string_view k) {
  for (auto x : v)
    if (x == k) return true;
  return false;
}

std::string RequiredText(const ObjectDef& def, const FieldDef& f) {
  if (f.required) return "yes";
  std::string out;
  auto add = [&out](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  for (const auto& c : def.conditions) {
    const std::string when = c.equals.empty() ? "with `" + std::string(c.key) + "`"
                                              : "when " + std::string(c.key) + " is " + std::string(c.equals);
    const std::string unless = c.equals.empty()
                                   ? "without `" + std::string(c.key) + "`"
                                   : "unless " + std::string(c.key) + " is " + std::string(c.equals);
    if (Contains(c.then_required, f.key)) add("yes " + when);
    if (Contains(c.else_required, f.key)) add("yes " + unless);
    if (Contains(c.else_forbidden, f.key)) add("not allowed " + unless.substr(0));
  }
  if (Contains(def.exactly_one_of, f.key)) {
    std::string keys;
    for (size_t i = 0; i < def.exactly_one_of.size(); ++i)
      keys += (i > 0 ? (i + 1 == def.exactly_one_of.size() ? " or `" : ", `") : "`") +
              std::string(def.exactly_one_of[i]) + "`";
    add("exactly one of " + keys);
  }
  return out.empty() ? "no" : out;
}

// "In `pools[]`. ", "In `a` and `b`. ", or "At the top level. ".
std::string WhereText(std::string_view where) {
  if (where.empty()) return "At the top level of the file. ";
  std::string out = "In ";
  size_t start = 0;
  while (true) {
    size_t comma = where.find(", ", start);
    out += "`" + std::string(where.substr(start, comma - start)) + "`";
    if (comma == std::string_view::npos) break;
    out += " and ";
    start = comma + 2;
  }
  return out + ". ";
}

std::string Cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string FleetSpecJsonSchema() {
  Json j;
  j["$schema"] = "https://json-schema.org/draft/2020-12/schema";
  j["title"] = "fungible fleet spec";
  FillObject(j, spec_internal::RootDef());
  Json defs = Json::object();
  for (const ObjectDef* def : spec_internal::AllDefs()) {
    if (def == &spec_internal::RootDef()) continue;
    Json d;
    FillObject(d, *def);
    defs[std::string(def->name)] = d;
  }
  j["$defs"] = defs;
  return j.dump(2) + "\n";
}

std::string FleetSpecFieldReference() {
  std::string out;
  for (const ObjectDef* def : spec_internal::AllDefs()) {
    out += "### " + std::string(def->name) + "\n\n";
    out += WhereText(def->where) + std::string(def->description) + "\n\n";
    out += "| key | type | required | default | meaning |\n";
    out += "|---|---|---|---|---|\n";
    for (const auto& f : def->fields) {
      out += "| `" + std::string(f.key) + "` | " + Cell(TypeText(f)) + " | " + Cell(RequiredText(*def, f)) +
             " | " + (f.default_value.empty() ? std::string() : "`" + std::string(f.default_value) + "`") +
             " | " + Cell(f.description) + " |\n";
    }
    out += "\n";
  }
  if (!out.empty()) out.pop_back();  // one trailing newline
  return out;
}

}  // namespace fungible

// The published JSON Schema and field reference stay in step with the parser.
//
// Both docs/fleet-spec.schema.json and the generated block of
// docs/fleet-spec.md come from the key table in fields.cc. After changing the
// table, regenerate them with
//   FUNGIBLE_UPDATE_DOCS=1 build/src/fungible_spec_test --gtest_filter='SpecDocs.*'
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "spec/fields.h"
#include "spec/spec.h"

namespace fungible {
namespace {

using Json = nlohmann::json;
using ::testing::IsEmpty;

const std::string kSchemaPath = std::string(FUNGIBLE_SOURCE_DIR) + "/docs/fleet-spec.schema.json";
const std::string kDocPath = std::string(FUNGIBLE_SOURCE_DIR) + "/docs/fleet-spec.md";
const std::string kBegin = "<!-- BEGIN GENERATED FIELD REFERENCE -->\n";
const std::string kEnd = "<!-- END GENERATED FIELD REFERENCE -->";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Updating() {
  const char* v = std::getenv("FUNGIBLE_UPDATE_DOCS");
  return v != nullptr && std::string(v) == "1";
}

Json Schema() { return Json::parse(ReadText(kSchemaPath)); }

// "Def.key" for every property of every object in the schema file.
std::set<std::string> SchemaKeys(const Json& schema) {
  std::set<std::string> out;
  for (const auto& [key, prop] : schema["properties"].items()) out.insert("FleetSpec." + key);
  for (const auto& [name, def] : schema["$defs"].items())
    for (const auto& [key, prop] : def["properties"].items()) out.insert(name + "." + key);
  return out;
}

// The same from the parser's table.
std::set<std::string> TableKeys() {
  std::set<std::string> out;
  for (const auto* def : spec_internal::AllDefs())
    for (const auto& f : def->fields) out.insert(std::string(def->name) + "." + std::string(f.key));
  return out;
}

// Walks a YAML node along the schema and records "Def.key" for each key used.
void CollectUsedKeys(const Json& schema, const Json& node_schema, const std::string& def_name,
                     const YAML::Node& node, std::set<std::string>& used) {
  auto resolve = [&](const Json& s, std::string& name) -> const Json& {
    if (s.contains("$ref")) {
      name = s["$ref"].get<std::string>().substr(std::string("#/$defs/").size());
      return schema["$defs"][name];
    }
    return s;
  };
  if (node.IsMap() && node_schema.contains("properties")) {
    for (const auto& pair : node) {
      const std::string key = pair.first.Scalar();
      const YAML::Node value = pair.second;
      used.insert(def_name + "." + key);
      if (!node_schema["properties"].contains(key)) continue;
      const Json& prop = node_schema["properties"][key];
      std::string name = def_name;
      const Json& target = resolve(prop.contains("items") ? prop["items"] : prop, name);
      if (value.IsSequence()) {
        for (const auto& item : value) CollectUsedKeys(schema, target, name, item, used);
      } else {
        CollectUsedKeys(schema, target, name, value, used);
      }
    }
  }
}

TEST(SpecDocs, SchemaFileIsGeneratedFromTheKeyTable) {
  const std::string generated = FleetSpecJsonSchema();
  if (Updating()) {
    std::ofstream(kSchemaPath, std::ios::binary | std::ios::trunc) << generated;
  }
  // Compared as JSON values, so that formatting does not matter.
  EXPECT_EQ(Schema(), Json::parse(generated))
      << kSchemaPath << " is stale: regenerate it (see the top of schema_test.cc)";
}

TEST(SpecDocs, SchemaAndParserAcceptTheSameKeys) {
  const std::set<std::string> schema_keys = SchemaKeys(Schema());
  const std::set<std::string> table_keys = TableKeys();
  std::vector<std::string> only_schema, only_parser;
  std::set_difference(schema_keys.begin(), schema_keys.end(), table_keys.begin(), table_keys.end(),
                      std::back_inserter(only_schema));
  std::set_difference(table_keys.begin(), table_keys.end(), schema_keys.begin(), schema_keys.end(),
                      std::back_inserter(only_parser));
  EXPECT_THAT(only_schema, IsEmpty()) << "in the schema but refused by the parser";
  EXPECT_THAT(only_parser, IsEmpty()) << "accepted by the parser but missing from the schema";
  EXPECT_GT(schema_keys.size(), 80u);
}

// every-key.yaml uses every key of the schema, and the real parser reads it
// without a single diagnostic (no unknown key, no key left unread).
TEST(SpecDocs, EveryKeyOfTheSchemaIsReadByTheParser) {
  const std::string path = std::string(FUNGIBLE_SOURCE_DIR) + "/tests/cases/spec/every-key.yaml";
  auto fleet = LoadFleetSpec(path);
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  const Json schema = Schema();
  std::set<std::string> used;
  CollectUsedKeys(schema, schema, "FleetSpec", YAML::LoadFile(path), used);
  const std::set<std::string> all = SchemaKeys(schema);
  std::vector<std::string> unused;
  std::set_difference(all.begin(), all.end(), used.begin(), used.end(), std::back_inserter(unused));
  EXPECT_THAT(unused, IsEmpty()) << "keys of the schema that every-key.yaml does not exercise";
  std::vector<std::string> outside;
  std::set_difference(used.begin(), used.end(), all.begin(), all.end(), std::back_inserter(outside));
  EXPECT_THAT(outside, IsEmpty());
}

// A key outside the schema is refused wherever it appears.
TEST(SpecDocs, KeysOutsideTheSchemaAreRefusedEverywhere) {
  const std::string spec = R"(name: t
chip_types: [{catalog: h100-sxm, kueue_node_labels: [{key: k, value: v, bogus_key: 1}], bogus_key: 1}]
contracts: [{id: c, provider: p, kind: owned, start: 2026-01-01, end: 2027-01-01, usd_per_chip_hour: 1, bogus_key: 1}]
pools: [{id: p, chip_type: h100-sxm, chips: 1, contract: c, landing_ramp: [{at: 2026-01-01, fraction: 1, bogus_key: 1}], bogus_key: 1}]
models: [{id: m, tier: t, launch: 2026-01-01, usd_per_million_input_tokens: 1, usd_per_million_output_tokens: 1, output_tokens_per_s_per_chip: {h100-sxm: 1}, architecture: {total_params_b: 1, active_params_b: 1, layers: 1, kv_cache_bytes_per_token: 1, bogus_key: 1}, bogus_key: 1}]
workloads: [{id: w, kind: research, eligible: [{chip_type: h100-sxm, efficiency_h100_equiv: 1, bogus_key: 1}], floor_schedule: [{from: 2026-02-01, effective_chips: 1, bogus_key: 1}], bids: [{effective_chips: 1, usd_per_effective_chip_hour: 1, bogus_key: 1}], bogus_key: 1}]
floors: [{name: f, workloads: [w], schedule: [{from: 2026-02-01, effective_chips: 1, bogus_key: 1}], bogus_key: 1}]
demand: [{model: m, output_tokens_per_hour: 1, as_of: 2026-01-01, growth: {launches: [{date: 2026-02-01, multiplier_median: 1, bogus_key: 1}], price_changes: [{date: 2026-02-01, price_change_fraction: 0, bogus_key: 1}], bogus_key: 1}, bogus_key: 1}]
class_growth: [{workload: w, growth: {}, bogus_key: 1}]
allocation: {bogus_key: 1}
forecast: {bogus_key: 1}
simulate: {bogus_key: 1}
offers: [{id: o, provider: p, kind: reserved, chip_type: h100-sxm, quantity: 1, start: 2026-02-01, duration_months: 1, usd_per_chip_hour: 1, landing_ramp: [{at: 2026-02-01, fraction: 1}], options: [{kind: expand, notice_months: 1, bogus_key: 1}], bogus_key: 1}]
plan: {financing: [{date: 2026-03-01, usd: 1, bogus_key: 1}], bogus_key: 1}
bogus_key: 1
)";
  auto fleet = ParseFleetSpec(spec, "inline.yaml");
  ASSERT_FALSE(fleet.ok());
  EXPECT_EQ(fleet.status().code(), StatusCode::kInvalidArgument);
  int unknown = 0;
  for (const auto& d : fleet.status().diagnostics()) {
    EXPECT_EQ(d.message.rfind("unknown key 'bogus_key'", 0), 0u) << d.ToString();
    ++unknown;
  }
  // One per object definition of the schema.
  EXPECT_EQ(unknown, static_cast<int>(Schema()["$defs"].size()) + 1);
}

TEST(SpecDocs, SchemaIsDraft202012WithDescriptionsAndClosedObjects) {
  const Json schema = Schema();
  EXPECT_EQ(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
  std::vector<const Json*> objects = {&schema};
  for (const auto& [name, def] : schema["$defs"].items()) objects.push_back(&def);
  for (const Json* o : objects) {
    EXPECT_EQ((*o)["type"], "object");
    EXPECT_EQ((*o)["additionalProperties"], false);
    EXPECT_FALSE((*o)["description"].get<std::string>().empty());
    for (const auto& [key, prop] : (*o)["properties"].items()) {
      EXPECT_FALSE(prop["description"].get<std::string>().empty()) << key;
    }
  }
  // Spot checks of the constraints the parser enforces.
  EXPECT_EQ(schema["$defs"]["Pool"]["properties"]["chips"]["type"], "integer");
  EXPECT_EQ(schema["$defs"]["Pool"]["properties"]["chips"]["minimum"], 1);
  EXPECT_EQ(schema["$defs"]["Pool"]["properties"]["availability"]["exclusiveMinimum"], 0);
  EXPECT_EQ(schema["$defs"]["Pool"]["properties"]["availability"]["maximum"], 1);
  EXPECT_EQ(schema["$defs"]["Demand"]["properties"]["diurnal_shape"]["minItems"], 24);
  EXPECT_EQ(schema["$defs"]["Demand"]["properties"]["diurnal_shape"]["maxItems"], 24);
  EXPECT_EQ(schema["$defs"]["Contract"]["oneOf"].size(), 2u);
  EXPECT_EQ(schema["$defs"]["Contract"]["properties"]["kind"]["enum"],
            Json::parse(R"(["reserved", "on_demand", "short_term", "owned"])"));
  EXPECT_EQ(schema["$defs"]["Forecast"]["properties"]["horizon_months"]["maximum"], 120);
  EXPECT_EQ(schema["$defs"]["Allocation"]["properties"]["pue"]["default"], 1.2);
}

// Every number of the spec has a lower and an upper bound in the key table,
// so that no value reaches a solver out of its range; and every id field has
// the id pattern. Both reach the schema.
TEST(SpecDocs, EveryNumberIsBoundedAndEveryIdHasItsPattern) {
  const Json schema = Schema();
  int numbers = 0, ids = 0;
  for (const auto* def : spec_internal::AllDefs()) {
    const Json& props = def == &spec_internal::RootDef()
                            ? schema["properties"]
                            : schema["$defs"][std::string(def->name)]["properties"];
    for (const auto& f : def->fields) {
      const std::string where = std::string(def->name) + "." + std::string(f.key);
      const Json& p = props[std::string(f.key)];
      switch (f.type) {
        case spec_internal::ValueType::kNumber:
        case spec_internal::ValueType::kInteger:
        case spec_internal::ValueType::kNumberList:
        case spec_internal::ValueType::kNumberMap: {
          EXPECT_TRUE(f.min.has_value() && (f.max.has_value() || f.cap.has_value())) << where;
          const Json& n = p.contains("items")                  ? p["items"]
                          : p.contains("additionalProperties") ? p["additionalProperties"]
                                                               : p;
          EXPECT_TRUE(n.contains("minimum") || n.contains("exclusiveMinimum")) << where;
          EXPECT_TRUE(n.contains("maximum") || n.contains("exclusiveMaximum")) << where;
          ++numbers;
          break;
        }
        case spec_internal::ValueType::kId:
          EXPECT_EQ(p["pattern"], std::string(spec_internal::kIdPattern)) << where;
          ++ids;
          break;
        default: break;
      }
    }
  }
  EXPECT_GT(numbers, 60);
  EXPECT_EQ(ids, 15);
}

TEST(SpecDocs, FieldReferenceInTheDocsIsGenerated) {
  std::string doc = ReadText(kDocPath);
  size_t begin = doc.find(kBegin);
  size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << kDocPath << " lacks the line " << kBegin;
  ASSERT_NE(end, std::string::npos) << kDocPath << " lacks the line " << kEnd;
  begin += kBegin.size();
  const std::string generated = FleetSpecFieldReference() + "\n";
  if (Updating()) {
    doc.replace(begin, end - begin, generated);
    std::ofstream(kDocPath, std::ios::binary | std::ios::trunc) << doc;
    end = begin + generated.size();
  }
  EXPECT_EQ(doc.substr(begin, end - begin), generated)
      << "the field reference in " << kDocPath << " is stale: regenerate it (see the top of schema_test.cc)";
  // Every key is in the reference with its unit-bearing name.
  for (const auto& key : TableKeys()) {
    std::string k = key.substr(key.find('.') + 1);
    EXPECT_NE(doc.find("| `" + k + "` |"), std::string::npos) << k;
  }
}

// The example in docs/fleet-spec.md is a valid spec.
TEST(SpecDocs, ExampleInTheDocsIsValid) {
  const std::string doc = ReadText(kDocPath);
  const size_t section = doc.find("## An example");
  ASSERT_NE(section, std::string::npos);
  const size_t begin = doc.find("```yaml\n", section) + 8;
  const size_t end = doc.find("```", begin);
  auto fleet = ParseFleetSpec(doc.substr(begin, end - begin), "fleet-spec.md example");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  EXPECT_EQ(fleet->pools.size(), 1u);
  EXPECT_EQ(fleet->workloads.size(), 2u);
}

}  // namespace
}  // namespace fungible

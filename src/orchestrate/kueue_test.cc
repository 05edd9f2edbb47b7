// Exported Kueue manifests validate against Kueue's published CRD schemas
// (tests/data/kueue, v0.19.2), and carry the plan's quotas.
#include "orchestrate/kueue.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fungible::orchestrate {
namespace {

using nlohmann::json;

json FromYaml(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = FromYaml(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(FromYaml(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true") return true;
      if (s == "false") return false;
      try {
        size_t used = 0;
        long long v = std::stoll(s, &used);
        if (used == s.size()) return v;
      } catch (...) {
      }
      return s;
    }
    default: return nullptr;
  }
}

// Validates `v` against an OpenAPI v3 structural schema (the subset CRDs use).
void Validate(const json& v, const json& schema, const std::string& path, std::vector<std::string>& errors) {
  auto fail = [&](const std::string& msg) { errors.push_back(path + ": " + msg); };
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!v.is_number_integer() && !v.is_string()) return fail("expected an integer or a string");
    if (v.is_string() && schema.contains("pattern") &&
        !std::regex_search(v.get<std::string>(), std::regex(schema["pattern"].get<std::string>())))
      fail("\"" + v.get<std::string>() + "\" does not match " + schema["pattern"].get<std::string>());
    return;
  }
  if (schema.contains("anyOf")) {
    bool any = false;
    for (const auto& alt : schema["anyOf"]) {
      std::vector<std::string> e;
      Validate(v, alt, path, e);
      any |= e.empty();
    }
    if (!any) return fail("matches no anyOf alternative");
  }
  const std::string type = schema.value("type", "");
  if (type == "object" && !v.is_object()) return fail("expected an object");
  if (type == "array" && !v.is_array()) return fail("expected an array");
  if (type == "string" && !v.is_string()) return fail("expected a string");
  if (type == "integer" && !v.is_number_integer()) return fail("expected an integer");
  if (type == "number" && !v.is_number()) return fail("expected a number");
  if (type == "boolean" && !v.is_boolean()) return fail("expected a boolean");
  if (schema.contains("enum") &&
      std::find(schema["enum"].begin(), schema["enum"].end(), v) == schema["enum"].end())
    return fail("value " + v.dump() + " not in enum " + schema["enum"].dump());
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (schema.contains("pattern") && !std::regex_search(s, std::regex(schema["pattern"].get<std::string>())))
      fail("\"" + s + "\" does not match " + schema["pattern"].get<std::string>());
    if (schema.contains("maxLength") && s.size() > schema["maxLength"].get<size_t>()) fail("too long");
    if (schema.contains("minLength") && s.size() < schema["minLength"].get<size_t>()) fail("too short");
  }
  if (v.is_number()) {
    if (schema.contains("minimum") && v.get<double>() < schema["minimum"].get<double>())
      fail("below minimum");
    if (schema.contains("maximum") && v.get<double>() > schema["maximum"].get<double>())
      fail("above maximum");
  }
  if (v.is_object()) {
    for (const auto& r : schema.value("required", json::array()))
      if (!v.contains(r.get<std::string>())) fail("missing required field " + r.get<std::string>());
    const json props = schema.value("properties", json::object());
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string sub = path + "." + it.key();
      if (props.contains(it.key())) {
        Validate(*it, props[it.key()], sub, errors);
      } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
        Validate(*it, schema["additionalProperties"], sub, errors);
      } else if (!(schema.contains("additionalProperties") && schema["additionalProperties"] == true) &&
                 !schema.value("x-kubernetes-preserve-unknown-fields", false) &&
                 !(props.empty() && type == "object" && !schema.contains("additionalProperties") &&
                   path.ends_with("metadata"))) {
        errors.push_back(sub + ": unknown field");
      }
    }
  }
  if (v.is_array()) {
    if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<size_t>()) fail("too many items");
    if (schema.contains("minItems") && v.size() < schema["minItems"].get<size_t>()) fail("too few items");
    if (schema.contains("items"))
      for (size_t i = 0; i < v.size(); ++i)
        Validate(v[i], schema["items"], path + "[" + std::to_string(i) + "]", errors);
  }
}

class KueueSchemas : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (const char* plural : {"clusterqueues", "cohorts", "resourceflavors"}) {
      const std::string file =
          std::string(FUNGIBLE_SOURCE_DIR) + "/tests/data/kueue/kueue.x-k8s.io_" + plural + ".yaml";
      json crd = FromYaml(YAML::LoadFile(file));
      const std::string kind = crd["spec"]["names"]["kind"];
      for (const auto& version : crd["spec"]["versions"])
        schemas_[kind + "/" + version["name"].get<std::string>()] = version["schema"]["openAPIV3Schema"];
    }
  }
  std::vector<std::string> ValidateManifest(const json& doc) {
    const std::string api = doc["apiVersion"];
    const std::string key = doc["kind"].get<std::string>() + "/" + api.substr(api.find('/') + 1);
    if (!schemas_.count(key)) return {"no schema for " + key};
    std::vector<std::string> errors;
    Validate(doc, schemas_[key], doc["kind"].get<std::string>(), errors);
    return errors;
  }
  static std::map<std::string, json> schemas_;
};
std::map<std::string, json> KueueSchemas::schemas_;

ClusterInfo Cluster() {
  ClusterInfo c;
  c.pools = {{"h100-east", "h100-sxm", "nvidia", "hopper", 512, 8},
             {"b200-central", "b200", "nvidia", "blackwell", 256, 8},
             {"tpu", "tpu-v6e", "google", "v6e", 256, 256},
             {"trn", "trn2", "aws", "trainium2", 128, 64}};
  return c;
}

QuotaPlan DayNight() {
  QuotaPlan p;
  p.period_starts = {1798761600, 1798761600 + 43200};
  p.period_hours = {12, 12};
  p.quota_chips["product"]["h100-sxm"] = {400, 100};
  p.quota_chips["frontier"]["h100-sxm"] = {112, 412};
  p.quota_chips["frontier"]["b200"] = {256, 256};
  p.quota_chips["product"]["tpu-v6e"] = {256, 0};
  p.quota_chips["research_Team"]["trn2"] = {128, 128};
  return p;
}

TEST_F(KueueSchemas, LoadedFromPublishedCrds) {
  EXPECT_TRUE(schemas_.count("ClusterQueue/v1beta1"));
  EXPECT_TRUE(schemas_.count("Cohort/v1beta1"));
  EXPECT_TRUE(schemas_.count("ResourceFlavor/v1beta1"));
}

TEST_F(KueueSchemas, EveryExportedManifestValidates) {
  for (int period : {0, 1}) {
    auto docs = KueueManifests(DayNight(), Cluster(), period, "small-lab");
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(docs->size(), 4u + 1u + 3u);  // 4 flavors, 1 cohort, 3 teams
    for (const auto& doc : *docs) {
      auto errors = ValidateManifest(doc);
      EXPECT_TRUE(errors.empty()) << doc["kind"] << " " << doc["metadata"]["name"] << ": " << errors.front();
    }
  }
}

TEST_F(KueueSchemas, QuotasFollowThePeriod) {
  auto night = KueueManifests(DayNight(), Cluster(), 1, "small-lab");
  ASSERT_TRUE(night.ok());
  const json* frontier = nullptr;
  for (const auto& d : *night)
    if (d["kind"] == "ClusterQueue" && d["metadata"]["name"] == "team-frontier") frontier = &d;
  ASSERT_NE(frontier, nullptr);
  EXPECT_EQ((*frontier)["spec"]["cohort"], "small-lab");
  const json& nvidia = (*frontier)["spec"]["resourceGroups"][0];
  EXPECT_EQ(nvidia["coveredResources"][0], "nvidia.com/gpu");
  EXPECT_EQ(nvidia["flavors"][0]["name"], "h100-sxm");
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["nominalQuota"], 412);
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["borrowingLimit"], 100);  // the rest of the cohort's h100
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["lendingLimit"], 412);
  EXPECT_EQ((*frontier)["metadata"]["annotations"]["fungible.io/period-start"], "2027-01-01T12:00Z");
  EXPECT_EQ((*frontier)["spec"]["preemption"]["reclaimWithinCohort"], "Any");
  EXPECT_EQ(KueueManifests(DayNight(), Cluster(), 2, "x").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(KueueSchemas, ValidatorCatchesBrokenManifests) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, "small-lab");
  ASSERT_TRUE(docs.ok());
  json cq;
  for (const auto& d : *docs)
    if (d["kind"] == "ClusterQueue") cq = d;
  json bad = cq;
  bad["spec"]["resourceGroups"][0]["flavors"][0]["resources"][0]["nominalQuota"] = "lots";
  EXPECT_FALSE(ValidateManifest(bad).empty());
  bad = cq;
  bad["spec"]["queueingStrategy"] = "Random";
  EXPECT_FALSE(ValidateManifest(bad).empty());
  bad = cq;
  bad["spec"]["colour"] = "blue";
  EXPECT_FALSE(ValidateManifest(bad).empty());
  bad = cq;
  bad["spec"]["resourceGroups"][0].erase("coveredResources");
  EXPECT_FALSE(ValidateManifest(bad).empty());
  bad = cq;
  bad["spec"]["cohort"] = "Not_A_Name";
  EXPECT_FALSE(ValidateManifest(bad).empty());
}

// The CLI's YAML output parses back into the same, valid, manifests.
TEST_F(KueueSchemas, CliYamlValidates) {
  const char* bin = std::getenv("FUNGIBLE_BIN");
  ASSERT_TRUE(bin && std::filesystem::exists(bin)) << "no fungible binary at FUNGIBLE_BIN";
  const auto dir = std::filesystem::temp_directory_path() / ("fungible-kueue-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  json plan = {
      {"periods",
       {{{"start", "2027-01-01T00:00Z"}, {"hours", 12}}, {{"start", "2027-01-01T12:00Z"}, {"hours", 12}}}},
      {"quota_chips",
       {{"product", {{"h100-sxm", {512, 128}}}},
        {"frontier", {{"h100-sxm", {128, 512}}, {"b200", {256, 256}}}}}}};
  std::ofstream((dir / "plan.json").string()) << plan.dump();
  const std::string cmd = std::string(bin) + " export kueue " + FUNGIBLE_SOURCE_DIR +
                          "/examples/small-lab.yaml --quotas " + (dir / "plan.json").string() + " --all " +
                          (dir / "out").string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (const char* file : {"period-0000.yaml", "period-0001.yaml"}) {
    auto docs = YAML::LoadAllFromFile((dir / "out" / file).string());
    ASSERT_EQ(docs.size(), 2u + 1u + 2u) << file;
    for (const auto& d : docs) {
      auto errors = ValidateManifest(FromYaml(d));
      EXPECT_TRUE(errors.empty()) << file << ": " << errors.front();
    }
  }
  std::ifstream schedule((dir / "out" / "schedule.tsv").string());
  std::string header, first;
  std::getline(schedule, header);
  std::getline(schedule, first);
  EXPECT_EQ(first, "0\t2027-01-01T00:00Z\t12\tperiod-0000.yaml");
  std::filesystem::remove_all(dir);
}

TEST(Kueue, Names) {
  EXPECT_EQ(KubernetesName("Research_Team"), "research-team");
  EXPECT_EQ(KubernetesName("--x--"), "x");
  EXPECT_EQ(KueueResourceName("google"), "google.com/tpu");
}

}  // namespace
}  // namespace fungible::orchestrate

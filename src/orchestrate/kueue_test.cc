// Exported Kueue manifests validate against Kueue's published CRD schemas
// (tests/data/kueue, v0.19.2) in a version neither deprecated nor using a
// deprecated value, and carry the plan's quotas; an exported Job validates
// against the upstream batch/v1 Job schema (tests/data/jobset).
#include "orchestrate/kueue.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "spec/yaml_json.h"

namespace fungible::orchestrate {
namespace {

using nlohmann::json;

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
    for (const char* plural : {"clusterqueues", "cohorts", "localqueues", "resourceflavors"}) {
      const std::string file =
          std::string(FUNGIBLE_SOURCE_DIR) + "/tests/data/kueue/kueue.x-k8s.io_" + plural + ".yaml";
      json crd = YamlToJson(YAML::LoadFile(file));
      const std::string kind = crd["spec"]["names"]["kind"];
      for (const auto& version : crd["spec"]["versions"]) {
        const std::string key = kind + "/" + version["name"].get<std::string>();
        schemas_[key] = version["schema"]["openAPIV3Schema"];
        versions_[key] = version;
      }
    }
    // The upstream batch/v1 JobSpec, as JobSet's CRD embeds it (replicatedJobs[].template).
    json jobset = YamlToJson(
        YAML::LoadFile(std::string(FUNGIBLE_SOURCE_DIR) + "/tests/data/jobset/jobset.x-k8s.io_jobsets.yaml"));
    job_template_ = jobset["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
                          ["properties"]["replicatedJobs"]["items"]["properties"]["template"];
  }
  std::vector<std::string> ValidateManifest(const json& doc) {
    const std::string api = doc["apiVersion"];
    const std::string key = doc["kind"].get<std::string>() + "/" + api.substr(api.find('/') + 1);
    if (!schemas_.count(key)) return {"no schema for " + key};
    std::vector<std::string> errors;
    Validate(doc, schemas_[key], doc["kind"].get<std::string>(), errors);
    const json& v = versions_[key];
    if (!v.value("served", false)) errors.push_back(key + " is not served by Kueue v0.19.2");
    if (v.value("deprecated", false))
      errors.push_back(key + " is deprecated: " + v.value("deprecationWarning", ""));
    DeprecatedValues(doc, schemas_[key], doc["kind"].get<std::string>(), errors);
    return errors;
  }
  // A value the schema's description marks deprecated: "- `Borrow` (deprecated): ...".
  static void DeprecatedValues(const json& v, const json& schema, const std::string& path,
                               std::vector<std::string>& errors) {
    if (v.is_string()) {
      const std::string d = schema.value("description", "");
      if (d.find("`" + v.get<std::string>() + "` (deprecated)") != std::string::npos)
        errors.push_back(path + ": \"" + v.get<std::string>() + "\" is deprecated");
    } else if (v.is_object() && schema.contains("properties")) {
      for (auto it = v.begin(); it != v.end(); ++it)
        if (schema["properties"].contains(it.key()))
          DeprecatedValues(*it, schema["properties"][it.key()], path + "." + it.key(), errors);
      if (schema.value("description", "").find("Deprecated:") == 0)
        errors.push_back(path + ": deprecated field");
    } else if (v.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < v.size(); ++i)
        DeprecatedValues(v[i], schema["items"], path + "[" + std::to_string(i) + "]", errors);
    }
  }
  // A batch/v1 Job: apiVersion and kind, metadata by hand (names and labels
  // as Kubernetes checks them), spec against the upstream JobSpec schema.
  std::vector<std::string> ValidateJob(const json& job) {
    std::vector<std::string> errors;
    if (job["apiVersion"] != "batch/v1") errors.push_back("apiVersion: expected batch/v1");
    if (job["kind"] != "Job") errors.push_back("kind: expected Job");
    json meta = job["metadata"];
    std::regex name("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    if (meta.contains("name") && !std::regex_match(meta["name"].get<std::string>(), name))
      errors.push_back("metadata.name: not a DNS-1123 label");
    if (!meta.contains("name") && !meta.contains("generateName")) errors.push_back("metadata: no name");
    if (!std::regex_match(meta["namespace"].get<std::string>(), name))
      errors.push_back("metadata.namespace: not a DNS-1123 label");
    std::regex label_value("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");
    for (auto it = meta["labels"].begin(); it != meta["labels"].end(); ++it)
      if (!it->is_string() || it->get<std::string>().size() > 63 ||
          !std::regex_match(it->get<std::string>(), label_value))
        errors.push_back("metadata.labels." + it.key() + ": not a label value");
    for (auto it = meta["annotations"].begin(); it != meta["annotations"].end(); ++it)
      if (!it->is_string()) errors.push_back("metadata.annotations." + it.key() + ": expected a string");
    Validate(job["spec"], job_template_["properties"]["spec"], "Job.spec", errors);
    return errors;
  }
  static std::map<std::string, json> schemas_, versions_;
  static json job_template_;
};
std::map<std::string, json> KueueSchemas::schemas_, KueueSchemas::versions_;
json KueueSchemas::job_template_;

KueueExportOptions Options(const std::string& cohort = "small-lab") {
  KueueExportOptions o;
  o.cohort = cohort;
  return o;
}

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

// The export is against the storage version of every kind it writes.
TEST_F(KueueSchemas, LoadedFromPublishedCrdsAndExportedInTheirStorageVersion) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, Options());
  ASSERT_TRUE(docs.ok());
  std::set<std::string> kinds;
  for (const auto& doc : *docs) {
    const std::string api = doc["apiVersion"];
    const std::string key = doc["kind"].get<std::string>() + "/" + api.substr(api.find('/') + 1);
    ASSERT_TRUE(versions_.count(key)) << key;
    EXPECT_TRUE(versions_[key].value("storage", false)) << key << " is not the storage version";
    kinds.insert(doc["kind"]);
  }
  EXPECT_EQ(kinds, (std::set<std::string>{"ResourceFlavor", "Cohort", "ClusterQueue", "LocalQueue"}));
  EXPECT_TRUE(versions_["ClusterQueue/v1beta1"].value("deprecated", false));  // what the export must not use
  EXPECT_TRUE(job_template_["properties"]["spec"]["properties"].contains("completionMode"));
}

// The checks that guard against a stale export: a deprecated version or value fails.
TEST_F(KueueSchemas, DeprecatedVersionsAndValuesFail) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, Options());
  ASSERT_TRUE(docs.ok());
  json cq;
  for (const auto& d : *docs)
    if (d["kind"] == "ClusterQueue") cq = d;
  ASSERT_TRUE(ValidateManifest(cq).empty());
  json old = cq;
  old["apiVersion"] = "kueue.x-k8s.io/v1beta1";
  old["spec"]["cohort"] = old["spec"]["cohortName"];
  old["spec"].erase("cohortName");
  auto errors = ValidateManifest(old);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.back().find("ClusterQueue/v1beta1 is deprecated"), std::string::npos) << errors.back();
  json borrow = cq;
  borrow["spec"]["flavorFungibility"]["whenCanBorrow"] = "Borrow";  // not in v1beta2's enum
  EXPECT_FALSE(ValidateManifest(borrow).empty());
  old["spec"]["flavorFungibility"]["whenCanBorrow"] = "Borrow";  // in v1beta1's enum, marked deprecated
  bool named = false;
  for (const auto& e : ValidateManifest(old))
    named |= e.find("\"Borrow\" is deprecated") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST_F(KueueSchemas, EveryExportedManifestValidates) {
  for (int period : {0, 1}) {
    auto docs = KueueManifests(DayNight(), Cluster(), period, Options());
    ASSERT_TRUE(docs.ok()) << docs.status().ToString();
    ASSERT_EQ(docs->size(), 4u + 1u + 3u + 3u);  // 4 flavors, 1 cohort, 3 cluster queues, 3 local queues
    for (const auto& doc : *docs) {
      auto errors = ValidateManifest(doc);
      EXPECT_TRUE(errors.empty()) << doc["kind"] << " " << doc["metadata"]["name"] << ": " << errors.front();
    }
  }
}

TEST_F(KueueSchemas, QuotasFollowThePeriod) {
  auto night = KueueManifests(DayNight(), Cluster(), 1, Options());
  ASSERT_TRUE(night.ok());
  const json* frontier = nullptr;
  for (const auto& d : *night)
    if (d["kind"] == "ClusterQueue" && d["metadata"]["name"] == "team-frontier") frontier = &d;
  ASSERT_NE(frontier, nullptr);
  EXPECT_EQ((*frontier)["spec"]["cohortName"], "small-lab");
  EXPECT_EQ((*frontier)["spec"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            "frontier");
  EXPECT_EQ((*frontier)["spec"]["flavorFungibility"]["whenCanBorrow"], "MayStopSearch");
  const json& nvidia = (*frontier)["spec"]["resourceGroups"][0];
  EXPECT_EQ(nvidia["coveredResources"][0], "nvidia.com/gpu");
  EXPECT_EQ(nvidia["flavors"][0]["name"], "h100-sxm");
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["nominalQuota"], 412);
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["borrowingLimit"], 100);  // the rest of the cohort's h100
  EXPECT_EQ(nvidia["flavors"][0]["resources"][0]["lendingLimit"], 412);
  EXPECT_EQ((*frontier)["metadata"]["annotations"]["fungible.io/period-start"], "2027-01-01T12:00Z");
  EXPECT_EQ((*frontier)["spec"]["preemption"]["reclaimWithinCohort"], "Any");
  EXPECT_EQ(KueueManifests(DayNight(), Cluster(), 2, Options("x")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(KueueSchemas, ValidatorCatchesBrokenManifests) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, Options());
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
  bad["spec"]["cohortName"] = "Not_A_Name";
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
    ASSERT_EQ(docs.size(), 2u + 1u + 2u + 2u) << file;
    for (const auto& d : docs) {
      auto errors = ValidateManifest(YamlToJson(d));
      EXPECT_TRUE(errors.empty()) << file << ": " << errors.front();
    }
  }
  std::ifstream schedule((dir / "out" / "schedule.tsv").string());
  std::string header, first;
  std::getline(schedule, header);
  std::getline(schedule, first);
  EXPECT_EQ(first, "0\t2027-01-01T00:00Z\t12\tperiod-0000.yaml");

  // The spec's node labels replace the built-in ones.
  std::ifstream in(std::string(FUNGIBLE_SOURCE_DIR) + "/examples/small-lab.yaml");
  std::string spec((std::istreambuf_iterator<char>(in)), {});
  const std::string chip = "  - catalog: h100-sxm\n";
  ASSERT_NE(spec.find(chip), std::string::npos);
  spec.replace(
      spec.find(chip), chip.size(),
      chip + "    kueue_node_labels:\n      - {key: node.kubernetes.io/instance-type, value: p5.48xlarge}\n");
  std::ofstream((dir / "lab.yaml").string()) << spec;
  ASSERT_EQ(std::system((std::string(bin) + " export kueue " + (dir / "lab.yaml").string() + " --quotas " +
                         (dir / "plan.json").string() + " -o " + (dir / "p0.yaml").string())
                            .c_str()),
            0);
  auto docs = YAML::LoadAllFromFile((dir / "p0.yaml").string());
  ASSERT_FALSE(docs.empty());
  EXPECT_EQ(YamlToJson(docs[0])["spec"]["nodeLabels"],
            json({{"node.kubernetes.io/instance-type", "p5.48xlarge"}}));

  // --job: a Job for a job file, as `fungible submit -f` takes it.
  std::ofstream((dir / "job.yaml").string())
      << "team: frontier\nname: pretrain\ngang_size_chips: 128\nchip_types: [b200]\n"
         "run:\n  image: registry.example/train:1\n  command: [python3, train.py]\n";
  const std::string job_cmd = std::string(bin) + " export kueue " + FUNGIBLE_SOURCE_DIR +
                              "/examples/small-lab.yaml --job " + (dir / "job.yaml").string() + " -o " +
                              (dir / "job-out.yaml").string();
  ASSERT_EQ(std::system(job_cmd.c_str()), 0) << job_cmd;
  auto job = YAML::LoadAllFromFile((dir / "job-out.yaml").string());
  ASSERT_EQ(job.size(), 1u);
  const json j = YamlToJson(job[0]);
  auto errors = ValidateJob(j);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(j["spec"]["parallelism"], 16);
  EXPECT_EQ(j["spec"]["template"]["spec"]["nodeSelector"]["nvidia.com/gpu.product"], "NVIDIA-B200");
  std::filesystem::remove_all(dir);
}

// A LocalQueue per team, in the team's namespace, pointing at its ClusterQueue.
TEST_F(KueueSchemas, LocalQueuePerTeamNamespace) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, Options());
  ASSERT_TRUE(docs.ok());
  std::map<std::string, std::string> queues;
  for (const auto& d : *docs)
    if (d["kind"] == "LocalQueue") queues[d["metadata"]["namespace"]] = d["spec"]["clusterQueue"];
  EXPECT_EQ(queues, (std::map<std::string, std::string>{{"frontier", "team-frontier"},
                                                        {"product", "team-product"},
                                                        {"research-team", "team-research-team"}}));
}

// Flavors carry the labels real clusters put on their nodes; the spec's win.
TEST_F(KueueSchemas, FlavorsCarryRealNodeLabelsUnlessOverridden) {
  auto docs = KueueManifests(DayNight(), Cluster(), 0, Options());
  ASSERT_TRUE(docs.ok());
  std::map<std::string, json> labels;
  for (const auto& d : *docs)
    if (d["kind"] == "ResourceFlavor") labels[d["metadata"]["name"]] = d["spec"]["nodeLabels"];
  EXPECT_EQ(labels["h100-sxm"], json({{"nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"}}));
  EXPECT_EQ(labels["b200"], json({{"nvidia.com/gpu.product", "NVIDIA-B200"}}));
  EXPECT_EQ(labels["tpu-v6e"], json({{"cloud.google.com/gke-tpu-accelerator", "tpu-v6e-slice"},
                                     {"cloud.google.com/gke-tpu-topology", "16x16"}}));
  EXPECT_EQ(labels["trn2"], json({{"node.kubernetes.io/instance-type", "trn2.48xlarge"}}));
  EXPECT_EQ(DefaultKueueFlavor("tpu-v5p", "", "google", 64).node_labels.back().second, "4x4x4");
  EXPECT_EQ(DefaultKueueFlavor("tpu-v5e", "", "google", 8).node_labels.back().second, "2x4");
  EXPECT_TRUE(DefaultKueueFlavor("mi300x", "AMD Instinct MI300X", "amd", 8).derived);
  KueueExportOptions o = Options();
  o.flavors["h100-sxm"].node_labels = {{"node.kubernetes.io/instance-type", "p5.48xlarge"}};
  docs = KueueManifests(DayNight(), Cluster(), 0, o);
  ASSERT_TRUE(docs.ok());
  EXPECT_EQ((*docs)[0]["spec"]["nodeLabels"], json({{"node.kubernetes.io/instance-type", "p5.48xlarge"}}));
}

json TrainJob() {
  return {{"team", "frontier"},
          {"name", "Pretrain 7B"},
          {"gang_size_chips", 16},
          {"chip_types", {"h100-sxm"}},
          {"expected_duration_s", 7200},
          {"checkpoint_interval_s", 600},
          {"run",
           {{"image", "registry.example/train:1"},
            {"command", {"python3", "train.py", "--lr", "3e-4"}},
            {"env", {{"WANDB_MODE", "offline"}}},
            {"workdir", "/work"},
            {"grace_s", 60},
            {"preempt_signal", "USR1"}}}};
}

TEST_F(KueueSchemas, JobManifestValidatesAgainstTheUpstreamJobSchema) {
  auto job = KueueJobManifest(TrainJob(), Cluster(), Options());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  auto errors = ValidateJob(*job);
  EXPECT_TRUE(errors.empty()) << errors.front();
  const json& spec = (*job)["spec"];
  EXPECT_EQ((*job)["metadata"]["labels"]["kueue.x-k8s.io/queue-name"], "frontier");
  EXPECT_EQ((*job)["metadata"]["namespace"], "frontier");
  EXPECT_EQ((*job)["metadata"]["name"], "pretrain-7b");
  EXPECT_EQ(spec["suspend"], true);
  EXPECT_EQ(spec["parallelism"], 2);  // 16 GPUs, 8 a node
  EXPECT_EQ(spec["completions"], 2);
  EXPECT_EQ(spec["activeDeadlineSeconds"], 14400);  // twice the expected duration
  const json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["terminationGracePeriodSeconds"], 60);
  EXPECT_EQ(pod["nodeSelector"], json({{"nvidia.com/gpu.product", "NVIDIA-H100-80GB-HBM3"}}));
  EXPECT_EQ(pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"], "8");
  EXPECT_EQ(pod["containers"][0]["command"], json({"python3", "train.py", "--lr", "3e-4"}));
  // A script runs under bash; a TPU job asks for google.com/tpu, 4 a host.
  json tpu = TrainJob();
  tpu["chip_types"] = {"tpu-v6e"};
  tpu["gang_size_chips"] = 256;
  tpu["run"].erase("command");
  tpu["run"]["script"] = "#!/bin/bash\necho hi\n";
  job = KueueJobManifest(tpu, Cluster(), Options());
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  errors = ValidateJob(*job);
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ((*job)["spec"]["parallelism"], 64);
  EXPECT_EQ((*job)["spec"]["template"]["spec"]["containers"][0]["command"][0], "/bin/bash");
  // The validator sees a broken Job.
  json bad = *job;
  bad["spec"]["completions"] = "two";
  EXPECT_FALSE(ValidateJob(bad).empty());
  bad = *job;
  bad["spec"]["template"]["spec"]["containers"][0]["colour"] = "red";
  EXPECT_FALSE(ValidateJob(bad).empty());
}

TEST(Kueue, JobsThatCannotBeExpressedAreRefusedByField) {
  auto why = [](json j) { return KueueJobManifest(j, Cluster(), Options()).status().message(); };
  json j = TrainJob();
  j["run"].erase("image");
  EXPECT_EQ(why(j), "run.image: required for a Kubernetes Job (the container to run)");
  j = TrainJob();
  j["gang_size_chips"] = 12;
  EXPECT_EQ(why(j), "gang_size_chips: 12 chips do not split into whole nodes of 8 nvidia.com/gpu");
  j = TrainJob();
  j["chip_types"] = {"mi999"};
  EXPECT_EQ(why(j), "chip_types[0]: no pool of chip type \"mi999\" in the fleet");
  j = TrainJob();
  j["chip_types"] = {"h100-sxm", "tpu-v6e"};
  EXPECT_NE(why(j).find("are of different platforms"), std::string::npos);
  j = TrainJob();
  j["run"]["script"] = "x";
  EXPECT_EQ(why(j), "run: give exactly one of command and script");
  j = TrainJob();
  j.erase("chip_types");
  EXPECT_EQ(why(j), "chip_types: required when the fleet has chips of several platforms");
}

TEST(Kueue, Names) {
  EXPECT_EQ(KubernetesName("Research_Team"), "research-team");
  EXPECT_EQ(KubernetesName("--x--"), "x");
  EXPECT_EQ(KueueResourceName("google"), "google.com/tpu");
}

}  // namespace
}  // namespace fungible::orchestrate

// A YAML document as JSON, with YAML's core-schema scalars: true/false,
// null/~, integers and decimals become JSON booleans, null and numbers; a
// quoted scalar stays a string whatever it looks like. Used where a file may
// be given as YAML or JSON (`fungible submit -f`, `export kueue --job`) and
// by the tests that read published manifests and schemas.
#pragma once

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace fungible {

nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace fungible

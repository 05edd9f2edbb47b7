#include "spec/yaml_json.h"

#include <string>

namespace fungible {

using nlohmann::json;

json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(YamlToJson(e));
      return a;
    }
    case YAML::NodeType::Scalar: {
      const std::string& s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted: a string whatever it looks like
      if (s == "true") return true;
      if (s == "false") return false;
      if (s == "null" || s == "~") return nullptr;
      if (!s.empty() && s.find_first_not_of("+-0123456789") == std::string::npos) {
        try {
          size_t used = 0;
          long long v = std::stoll(s, &used);
          if (used == s.size()) return v;
        } catch (...) {
        }
      }
      if (!s.empty() && s.find_first_not_of("+-0123456789.eE") == std::string::npos) {
        try {
          size_t used = 0;
          double v = std::stod(s, &used);
          if (used == s.size()) return v;
        } catch (...) {
        }
      }
      return s;
    }
    default: return nullptr;
  }
}

}  // namespace fungible

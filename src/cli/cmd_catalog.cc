// `fungible catalog [--json FILE|-] [--csv DIR] [--platform nvidia|amd|google|aws|cpu]`:
// the built-in chip catalog as an aligned table, or as JSON and CSV with every field.
#include <algorithm>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace fungible::cli {
namespace {

constexpr const char* kAttribution =
    "Figures: Epoch AI, 'Data on Machine Learning Hardware' (CC BY 4.0) and vendor specs as noted";

struct CatalogOptions {
  std::string json_path;
  std::string csv_dir;
  bool quiet = false;    // accepted everywhere; catalog shows no progress
  std::string platform;  // empty = all
};

// A number with at most `decimals` decimals and no trailing zeros; "-" for 0
// (a figure the vendor does not publish or the chip does not have).
std::string Figure(double v, int decimals) {
  if (v == 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  std::string s = buf;
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

std::string FormatTable(const std::vector<const ChipType*>& chips) {
  const std::vector<std::string> header = {"id",          "name",   "platform", "generation", "BF16 TFLOP/s",
                                           "FP8 TFLOP/s", "HBM GB", "TB/s",     "domain",     "W"};
  const size_t kFirstNumeric = 4;  // columns from here on are right-aligned
  std::vector<std::vector<std::string>> rows;
  rows.reserve(chips.size());
  for (const ChipType* c : chips) {
    rows.push_back({c->id, c->name, PlatformName(c->platform), c->generation,
                    Figure(c->bf16_dense_flops / 1e12, 1), Figure(c->fp8_dense_flops / 1e12, 1),
                    Figure(c->hbm_gb, 1), Figure(c->hbm_tb_per_s, 3),
                    std::to_string(c->interconnect_domain_chips), Figure(c->power_w, 0)});
  }
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string pad(width[i] - cells[i].size(), ' ');
      if (i > 0) out += "  ";
      out += i >= kFirstNumeric ? pad + cells[i] : cells[i] + (i + 1 < cells.size() ? pad : "");
    }
    return out + "\n";
  };
  std::string out = line(header);
  for (const auto& r : rows) out += line(r);
  out +=
      "\nBF16/FP8: dense peak per chip. domain: chips in one scale-up domain (NVLink, TPU pod, "
      "UltraServer).\n";
  out += "'-': not published or not supported; sources per chip: fungible catalog --json.\n";
  out += std::string(kAttribution) + "\n";
  return out;
}

nlohmann::ordered_json ChipsJson(const std::vector<const ChipType*>& chips) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const ChipType* c : chips) {
    list.push_back({{"id", c->id},
                    {"name", c->name},
                    {"platform", PlatformName(c->platform)},
                    {"generation", c->generation},
                    {"bf16_dense_flops", c->bf16_dense_flops},
                    {"fp8_dense_flops", c->fp8_dense_flops},
                    {"hbm_gb", c->hbm_gb},
                    {"hbm_tb_per_s", c->hbm_tb_per_s},
                    {"interconnect_domain_chips", c->interconnect_domain_chips},
                    {"power_w", c->power_w},
                    {"all_in_power_w", c->AllInPowerW()},
                    {"all_in_power_published", c->all_in_power_w > 0},
                    {"release_date", c->release_date},
                    {"source", c->source}});
  }
  return list;
}

int RunCatalog(const CatalogOptions& opts) {
  std::vector<const ChipType*> chips;
  for (const ChipType& c : BuiltinCatalog())
    if (opts.platform.empty() || opts.platform == PlatformName(c.platform)) chips.push_back(&c);
  Status st = Status::Ok();
  if (!opts.json_path.empty()) {
    const nlohmann::ordered_json doc = {{"attribution", kAttribution}, {"chip_types", ChipsJson(chips)}};
    st = WriteTextFile(opts.json_path, doc.dump(2) + "\n");
  }
  if (st.ok() && !opts.csv_dir.empty()) {
    st = MakeDirectory(opts.csv_dir);
    if (st.ok()) st = WriteJsonRowsCsv(opts.csv_dir + "/catalog.csv", ChipsJson(chips));
  }
  if (st.ok() && opts.json_path != "-") st = WriteTextFile("-", FormatTable(chips));
  if (!st.ok()) return ReportError(st);
  return kExitOk;
}

}  // namespace

void AddCatalogCommand(CLI::App& app, int& exit_code) {
  CLI::App* cmd =
      app.add_subcommand("catalog", "List the built-in chip catalog: public specs, each with its source");
  auto opts = std::make_shared<CatalogOptions>();
  AddJsonOption(cmd, opts->json_path, "every field, including the source of each figure,");
  AddCsvOption(cmd, opts->csv_dir, "catalog.csv (every field, one chip type a row)");
  AddQuietFlag(cmd, opts->quiet);
  cmd->add_option("--platform", opts->platform, "Only chips of this platform")
      ->check(CLI::IsMember({"nvidia", "amd", "google", "aws", "cpu"}));
  cmd->callback([opts, &exit_code] { exit_code = RunCatalog(*opts); });
}

}  // namespace fungible::cli

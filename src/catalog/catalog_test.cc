#include "catalog/catalog.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "util/csv.h"
#include "util/time.h"

namespace fungible {
namespace {

// Catalog id -> the row of Epoch AI's ml_hardware.csv its figures come from.
const std::map<std::string, std::string>& EpochRows() {
  static const auto* const rows = new std::map<std::string, std::string>{
      {"h100-sxm", "NVIDIA H100 SXM5 80GB"},
      {"h200", "NVIDIA H200 SXM"},
      {"b200", "NVIDIA B200"},
      {"gb200", "NVIDIA GB200"},
      {"b300", "NVIDIA B300 (Blackwell Ultra)"},
      {"gb300", "NVIDIA GB300 (Blackwell Ultra)"},
      {"mi300x", "AMD Instinct MI300X"},
      {"mi325x", "AMD Instinct MI325X"},
      {"tpu-v5e", "Google TPU v5e"},
      {"tpu-v5p", "Google TPU v5p"},
      {"tpu-v6e", "Google TPU v6e Trillium"},
      {"tpu-v7", "Google TPU v7 Ironwood"},
      {"trn1", "Amazon Trainium1"},
      {"inf2", "AWS Inferentia2"},
      {"trn2", "Amazon Trainium2"},
      {"trn3", "Amazon Trainium3"},
  };
  return *rows;
}

// One numeric figure of a chip and the Epoch column (and unit) it comes from.
struct Figure {
  const char* column;
  const char* label;  // how `source` names this figure when it is not from Epoch
  double (*value_in_csv_units)(const ChipType&);
};

const Figure kFigures[] = {
    {"Tensor-FP16/BF16 performance (FLOP/s)", "BF16:", [](const ChipType& c) { return c.bf16_dense_flops; }},
    {"FP8 performance (FLOP/s)", "FP8:", [](const ChipType& c) { return c.fp8_dense_flops; }},
    {"Memory (bytes)", "HBM:", [](const ChipType& c) { return c.hbm_gb * 1e9; }},
    {"Memory bandwidth (byte/s)", "bandwidth:", [](const ChipType& c) { return c.hbm_tb_per_s * 1e12; }},
    {"TDP (W)", "power:", [](const ChipType& c) { return c.power_w; }},
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class EpochTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto t = ReadCsv(std::string(FUNGIBLE_DATA_DIR) + "/epoch-ai-hardware-and-models/ml_hardware.csv");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = new CsvTable(std::move(t).value());
  }
  static void TearDownTestSuite() {
    delete table_;
    table_ = nullptr;
  }
  // Index of the row named `name`; fails the test unless there is exactly one.
  static std::optional<size_t> Row(const std::string& name) {
    size_t name_col = *table_->Column("Hardware name");
    std::optional<size_t> found;
    for (size_t i = 0; i < table_->rows.size(); ++i) {
      if (table_->rows[i][name_col] != name) continue;
      EXPECT_FALSE(found.has_value()) << "two Epoch rows named '" << name << "'";
      found = i;
    }
    return found;
  }
  static CsvTable* table_;
};
CsvTable* EpochTable::table_ = nullptr;

TEST_F(EpochTable, HasTheColumnsTheCatalogUses) {
  ASSERT_NE(table_, nullptr);
  EXPECT_TRUE(table_->Column("Hardware name").has_value());
  EXPECT_TRUE(table_->Column("Release date").has_value());
  for (const Figure& f : kFigures) EXPECT_TRUE(table_->Column(f.column).has_value()) << f.column;
  EXPECT_GE(table_->rows.size(), 170u);
}

// Every figure Epoch has for a chip equals the catalog's within 0.5%; every
// figure Epoch lacks is attributed elsewhere in the entry's source.
TEST_F(EpochTable, CatalogMatchesEpochFiguresWithinHalfAPercent) {
  ASSERT_NE(table_, nullptr);
  size_t date_col = *table_->Column("Release date");
  int figures_checked = 0;
  for (const auto& [id, row_name] : EpochRows()) {
    SCOPED_TRACE(id + " vs Epoch row '" + row_name + "'");
    const ChipType* chip = FindBuiltinChip(id);
    ASSERT_NE(chip, nullptr);
    EXPECT_TRUE(Contains(chip->source, "Epoch AI")) << chip->source;
    EXPECT_TRUE(Contains(chip->source, "'" + row_name + "'")) << "source must name the row: " << chip->source;
    std::optional<size_t> row = Row(row_name);
    ASSERT_TRUE(row.has_value()) << "no Epoch row named '" << row_name << "'";
    const std::vector<std::string>& cells = table_->rows[*row];
    for (const Figure& f : kFigures) {
      const std::string& cell = cells[*table_->Column(f.column)];
      double ours = f.value_in_csv_units(*chip);
      if (cell.empty()) {
        EXPECT_TRUE(Contains(chip->source, f.label))
            << "Epoch has no '" << f.column << "', so the source must say where " << ours
            << " comes from (label '" << f.label << "'): " << chip->source;
        continue;
      }
      std::optional<double> theirs = ParseDouble(cell);
      ASSERT_TRUE(theirs.has_value())
          << table_->At(*row, *table_->Column(f.column), f.column, cell).ToString();
      EXPECT_NEAR(ours, *theirs, 0.005 * std::abs(*theirs)) << f.column;
      ++figures_checked;
    }
    EXPECT_EQ(chip->release_date, cells[date_col]) << "Release date";
    ++figures_checked;
  }
  // 16 rows x 6 figures, minus the 10 cells Epoch leaves empty.
  EXPECT_EQ(figures_checked, 16 * 6 - 10);
}

TEST(Catalog, ExactlyTheEntriesMappedToEpochCiteEpoch) {
  for (const ChipType& c : BuiltinCatalog()) {
    bool cites = Contains(c.source, "Epoch AI");
    EXPECT_EQ(cites, EpochRows().count(c.id) == 1) << c.id << ": " << c.source;
  }
}

TEST(Catalog, HasEveryIdOtherStagesRelyOn) {
  for (const char* id : {"h100-sxm", "h200", "b200", "gb200", "mi300x", "tpu-v5e", "tpu-v5p", "tpu-v6e",
                         "tpu-v7", "trn1", "trn2", "trn3", "cpu-node"}) {
    const ChipType* c = FindBuiltinChip(id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ(c->id, id);
  }
  EXPECT_EQ(FindBuiltinChip("h100"), nullptr);
  EXPECT_EQ(FindBuiltinChip(""), nullptr);
}

TEST(Catalog, IdsAreUniqueAndEntriesWellFormed) {
  std::set<std::string> ids;
  for (const ChipType& c : BuiltinCatalog()) {
    SCOPED_TRACE(c.id);
    EXPECT_TRUE(ids.insert(c.id).second) << "duplicate id";
    EXPECT_FALSE(c.name.empty());
    EXPECT_FALSE(c.generation.empty());
    EXPECT_NE(c.platform, Platform::kOther);
    EXPECT_TRUE(c.from_catalog);
    EXPECT_FALSE(c.source.empty());
    EXPECT_GE(c.interconnect_domain_chips, 1);
    EXPECT_GE(c.power_w, 0);
    EXPECT_GT(c.hbm_gb, 0);
    EXPECT_GT(c.hbm_tb_per_s, 0);
    auto t = ParseUtc(c.release_date);
    EXPECT_TRUE(t.ok()) << c.release_date << ": " << t.status().ToString();
    if (t.ok()) {
      EXPECT_EQ(FormatDate(*t), c.release_date) << "release dates are YYYY-MM-DD";
    }
    // A zero figure means "not published": the source must say so.
    if (c.power_w == 0) {
      EXPECT_TRUE(Contains(c.source, "power: not published")) << c.source;
    }
  }
  EXPECT_EQ(ids.size(), BuiltinCatalog().size());
  EXPECT_GE(ids.size(), 13u);
}

TEST(Catalog, AcceleratorFiguresAreConsistent) {
  for (const ChipType& c : BuiltinCatalog()) {
    if (c.platform == Platform::kCpu) continue;
    SCOPED_TRACE(c.id);
    EXPECT_GT(c.bf16_dense_flops, 1e14) << "every accelerator here does over 100 dense BF16 TFLOP/s";
    EXPECT_LT(c.bf16_dense_flops, 1e16);
    if (c.fp8_dense_flops > 0) {
      EXPECT_GE(c.fp8_dense_flops, c.bf16_dense_flops);
      EXPECT_LE(c.fp8_dense_flops, 4 * c.bf16_dense_flops);
    } else {
      EXPECT_TRUE(Contains(c.source, "FP8: not published")) << c.source;
    }
    EXPECT_TRUE(Contains(c.source, "domain:")) << "Epoch has no domain sizes; cite one: " << c.source;
    EXPECT_GT(c.interconnect_domain_chips, 1);
  }
}

TEST(Catalog, DomainSizesMatchTheSystemsNamed) {
  const std::map<std::string, int> expected = {
      {"h100-sxm", 8},  {"h200", 8},       {"b200", 8},      {"gb200", 72},    {"mi300x", 8},
      {"tpu-v5e", 256}, {"tpu-v5p", 8960}, {"tpu-v6e", 256}, {"tpu-v7", 9216}, {"trn1", 16},
      {"trn2", 64},     {"trn3", 144},     {"cpu-node", 1},
  };
  for (const auto& [id, chips] : expected) {
    const ChipType* c = FindBuiltinChip(id);
    ASSERT_NE(c, nullptr) << id;
    EXPECT_EQ(c->interconnect_domain_chips, chips) << id;
  }
}

TEST(Catalog, NonEpochEntriesStateTheirAssumptions) {
  const ChipType* cpu = FindBuiltinChip("cpu-node");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->platform, Platform::kCpu);
  EXPECT_TRUE(Contains(cpu->source, "ssum")) << cpu->source;
  EXPECT_EQ(cpu->fp8_dense_flops, 0);
  // 2 sockets x 56 cores x 1024 BF16 FLOP/cycle x 2.0 GHz.
  EXPECT_NEAR(cpu->bf16_dense_flops, 2 * 56 * 1024 * 2.0e9, 1e9);
  // 2 sockets x 8 channels x 4800 MT/s x 8 bytes.
  EXPECT_NEAR(cpu->hbm_tb_per_s, 2 * 8 * 4800e6 * 8 / 1e12, 1e-9);
}

TEST(Catalog, OrderedByPlatformThenReleaseDate) {
  const auto& cat = BuiltinCatalog();
  for (size_t i = 1; i < cat.size(); ++i) {
    const ChipType& a = cat[i - 1];
    const ChipType& b = cat[i];
    EXPECT_TRUE(a.platform < b.platform || (a.platform == b.platform && a.release_date <= b.release_date))
        << a.id << " before " << b.id;
  }
  EXPECT_EQ(cat.front().platform, Platform::kNvidia);
  EXPECT_EQ(cat.back().id, "cpu-node");
}

TEST(Catalog, FindReturnsTheStoredEntry) {
  for (const ChipType& c : BuiltinCatalog()) EXPECT_EQ(FindBuiltinChip(c.id), &c);
  const ChipType* h100 = FindBuiltinChip("h100-sxm");
  ASSERT_NE(h100, nullptr);
  EXPECT_EQ(h100->platform, Platform::kNvidia);
  EXPECT_DOUBLE_EQ(h100->bf16_dense_flops, 989.4e12);
  EXPECT_DOUBLE_EQ(h100->fp8_dense_flops, 1979e12);
  EXPECT_DOUBLE_EQ(h100->hbm_gb, 80);
}

// ---- `fungible catalog`, when the CLI has been built (FUNGIBLE_BIN). ----

struct RunResult {
  int exit_code = -1;
  std::string out;
};

std::optional<RunResult> RunFungible(const std::string& args) {
  const char* bin = std::getenv("FUNGIBLE_BIN");
  struct stat st;
  if (bin == nullptr || stat(bin, &st) != 0) return std::nullopt;
  std::string cmd = std::string(bin) + " " + args + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return std::nullopt;
  RunResult r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, pipe.get())) > 0) r.out.append(buf, n);
  int status = pclose(pipe.release());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(CatalogCommand, TableListsEveryEntryWithAttribution) {
  auto r = RunFungible("catalog");
  ASSERT_TRUE(r.has_value()) << "no fungible binary at FUNGIBLE_BIN (a missing binary is a failure)";
  EXPECT_EQ(r->exit_code, 0);
  for (const ChipType& c : BuiltinCatalog()) EXPECT_TRUE(Contains(r->out, c.id + " ")) << c.id;
  EXPECT_TRUE(Contains(r->out, "Epoch AI, 'Data on Machine Learning Hardware' (CC BY 4.0)")) << r->out;
  EXPECT_TRUE(Contains(r->out, "BF16 TFLOP/s"));
}

TEST(CatalogCommand, PlatformFilterAndJson) {
  auto r = RunFungible("catalog --json - --platform aws");
  ASSERT_TRUE(r.has_value()) << "no fungible binary at FUNGIBLE_BIN (a missing binary is a failure)";
  ASSERT_EQ(r->exit_code, 0);
  auto j = nlohmann::json::parse(r->out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << r->out;
  ASSERT_TRUE(j.contains("chip_types"));
  std::set<std::string> ids;
  for (const auto& c : j["chip_types"]) {
    ids.insert(c.at("id").get<std::string>());
    EXPECT_EQ(c.at("platform"), "aws");
    EXPECT_FALSE(c.at("source").get<std::string>().empty());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"trn1", "inf2", "trn2", "trn3"}));
  const ChipType* trn2 = FindBuiltinChip("trn2");
  for (const auto& c : j["chip_types"]) {
    if (c["id"] == "trn2") {
      EXPECT_DOUBLE_EQ(c.at("bf16_dense_flops").get<double>(), trn2->bf16_dense_flops);
    }
  }

  auto bad = RunFungible("catalog --platform intel");
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->exit_code, 2) << "an unknown platform is a usage error";
}

}  // namespace
}  // namespace fungible

// Validation of EstimateServingThroughput against the bundled measurements:
//
//   data/trtllm-perf-overview/            TensorRT-LLM, max load, output tokens/s per GPU
//   data/llm-inference-bench-argonne/     fixed batch, total (input + output) tokens/s per set of GPUs
//   data/aws-neuron-benchmarks/           Transformers NeuronX, fixed batch, output tokens/s per instance
//
// Every row is either predicted or skipped with a reason; the error table is
// written to $FUNGIBLE_THROUGHPUT_REPORT (default: throughput_validation.md in
// GoogleTest's TempDir()) and summarised in docs/throughput.md. The test fails
// when the overall median |predicted / measured - 1| exceeds the bound that
// docs/throughput.md documents. A missing data file is a failure.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "economics/throughput.h"
#include "util/csv.h"

namespace fungible {
namespace {

const std::string kDataDir = FUNGIBLE_DATA_DIR;
const std::string kSourceDir = FUNGIBLE_SOURCE_DIR;

// ---- Model architectures (data/model-architectures/) ----

struct ArchRow {
  std::vector<std::string> names;             // as the measurements spell them
  ModelArchitecture arch;                     // kv and weight bytes per element filled per row
  double kv_elements_per_token = 0;           // full-attention layers
  double windowed_kv_elements_per_token = 0;  // windowed layers
  double native_weight_bytes_per_param = 0;   // 0 = from the benchmark's precision
};

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, sep)) out.push_back(part);
  return out;
}

double Num(const CsvTable& t, size_t row, const std::string& col) {
  auto c = t.Column(col);
  EXPECT_TRUE(c.has_value()) << t.file << ": no column " << col;
  if (!c) return 0;
  auto v = ParseDouble(t.rows[row][*c]);
  EXPECT_TRUE(v.has_value()) << t.file << ":" << t.row_lines[row] << ": " << col << " '" << t.rows[row][*c]
                             << "' is not a number";
  return v.value_or(0);
}

std::string Str(const CsvTable& t, size_t row, const std::string& col) {
  auto c = t.Column(col);
  EXPECT_TRUE(c.has_value()) << t.file << ": no column " << col;
  return c ? t.rows[row][*c] : "";
}

std::vector<ArchRow> LoadArchitectures() {
  const std::string path = kDataDir + "/model-architectures/model_architectures.csv";
  auto t = ReadCsv(path);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  std::vector<ArchRow> out;
  if (!t.ok()) return out;
  for (size_t i = 0; i < t->rows.size(); ++i) {
    ArchRow a;
    a.names = Split(Str(*t, i, "names"), ';');
    ModelArchitecture& m = a.arch;
    m.id = Str(*t, i, "id");
    m.total_params_b = Num(*t, i, "total_params_b");
    m.active_params_b = Num(*t, i, "active_params_b");
    m.routed_experts = static_cast<int>(Num(*t, i, "routed_experts"));
    m.experts_per_token = static_cast<int>(Num(*t, i, "experts_per_token"));
    m.layers = static_cast<int>(Num(*t, i, "layers"));
    const double latent = Num(*t, i, "latent_kv_elements_per_layer");
    // K and V per KV head, or one compressed latent (MLA) per layer.
    const double kv_per_layer = latent > 0 ? latent : 2 * Num(*t, i, "kv_heads") * Num(*t, i, "kv_head_dim");
    const double attn_per_layer =
        2 * Num(*t, i, "query_heads") * (Num(*t, i, "qk_head_dim") + Num(*t, i, "v_head_dim"));
    const double full = Num(*t, i, "full_attention_layers"), windowed = Num(*t, i, "window_attention_layers");
    a.kv_elements_per_token = full * kv_per_layer;
    a.windowed_kv_elements_per_token = windowed * kv_per_layer;
    m.attention_flops_per_token_per_context_token = full * attn_per_layer;
    m.windowed_attention_flops_per_token_per_context_token = windowed * attn_per_layer;
    m.attention_window_tokens = static_cast<int>(Num(*t, i, "attention_window_tokens"));
    m.max_context_tokens = static_cast<int>(Num(*t, i, "max_context_tokens"));
    a.native_weight_bytes_per_param = Num(*t, i, "native_weight_bytes_per_param");
    EXPECT_FALSE(Str(*t, i, "source").empty()) << m.id << " has no source";
    out.push_back(std::move(a));
  }
  return out;
}

const ArchRow* FindArch(const std::vector<ArchRow>& archs, const std::string& name) {
  for (const ArchRow& a : archs)
    for (const std::string& n : a.names)
      if (n == name) return &a;
  return nullptr;
}

// ---- Chips ----

// Chips the catalog lacks, described from Epoch AI's ml_hardware.csv.
std::map<std::string, ChipType> EpochChips() {
  std::map<std::string, ChipType> out;
  auto t = ReadCsv(kDataDir + "/epoch-ai-hardware-and-models/ml_hardware.csv");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return out;
  auto row_of = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t i = 0; i < t->rows.size(); ++i)
      if (Str(*t, i, "Hardware name") == name) return i;
    ADD_FAILURE() << "ml_hardware.csv has no row '" << name << "'";
    return std::nullopt;
  };
  auto make = [&](const std::string& id, const std::string& epoch_name, double hbm_gb_if_missing) {
    auto r = row_of(epoch_name);
    if (!r) return;
    ChipType c;
    c.id = id;
    c.name = epoch_name;
    c.platform = Platform::kNvidia;
    c.generation = id == "gh200" ? "hopper" : "ampere";
    c.bf16_dense_flops = Num(*t, *r, "Tensor-FP16/BF16 performance (FLOP/s)");
    c.hbm_tb_per_s = Num(*t, *r, "Memory bandwidth (byte/s)") / 1e12;
    auto mem = ParseDouble(Str(*t, *r, "Memory (bytes)"));
    c.hbm_gb = mem ? *mem / 1e9 : hbm_gb_if_missing;
    c.interconnect_domain_chips = 4;  // ALCF Polaris / testbed nodes: 4 GPUs on NVLink
    c.source = "Epoch AI ml_hardware.csv row '" + epoch_name + "'";
    out[id] = c;
  };
  // Argonne's A100s are assumed to be ALCF Polaris nodes (4 x A100 SXM4 40 GB); the data does not name
  // the variant.
  make("a100-40gb", "NVIDIA A100 SXM4 40 GB", 0);
  // Epoch gives GH200's bandwidth (4.9 TB/s) but no memory; NVIDIA's GH200 datasheet lists 96 GB (HBM3)
  // or 144 GB (HBM3e): the smaller is taken (capacity only screens feasibility at a fixed batch).
  make("gh200", "NVIDIA GH200", 96);
  return out;
}

// ---- Rows ----

struct Row {
  std::string source;  // "trtllm", "argonne", "neuron-trn1", "neuron-inf2"
  std::string label;   // the measurement, readable
  std::string stack;   // serving software
  const ChipType* chip = nullptr;
  ModelArchitecture arch;
  RequestMix mix;
  ServingOptions options;
  double measured = 0;  // output tokens/s per chip
  std::string skip;     // non-empty: why the row is not predicted
};

ModelArchitecture WithBytes(const ArchRow& a, double weight_bytes, double kv_bytes_per_element) {
  ModelArchitecture m = a.arch;
  m.weight_bytes_per_param =
      a.native_weight_bytes_per_param > 0 ? a.native_weight_bytes_per_param : weight_bytes;
  m.kv_cache_bytes_per_token = a.kv_elements_per_token * kv_bytes_per_element;
  m.windowed_kv_cache_bytes_per_token = a.windowed_kv_elements_per_token * kv_bytes_per_element;
  m.max_context_tokens = 0;  // predict what was measured, even past the model card's context
  return m;
}

void AddTrtllm(const std::vector<ArchRow>& archs, std::vector<Row>& rows) {
  auto t = ReadCsv(kDataDir + "/trtllm-perf-overview/trtllm_output_tput_per_gpu.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const std::map<std::string, std::string> gpu_ids = {
      {"H100", "h100-sxm"}, {"H200", "h200"}, {"B200", "b200"}, {"GB200", "gb200"}};
  for (size_t i = 0; i < t->rows.size(); ++i) {
    Row r;
    r.source = "trtllm";
    r.stack = "TensorRT-LLM";
    const std::string model = Str(*t, i, "model"), gpu = Str(*t, i, "gpu"), prec = Str(*t, i, "precision");
    const double isl = Num(*t, i, "isl_tokens"), osl = Num(*t, i, "osl_tokens");
    const int n = static_cast<int>(Num(*t, i, "num_gpus"));
    r.label = model + " " + gpu + " " + Str(*t, i, "parallelism") + " " + prec + " " +
              std::to_string(static_cast<int>(isl)) + "/" + std::to_string(static_cast<int>(osl));
    r.measured = Num(*t, i, "output_tokens_per_sec_per_gpu");
    auto g = gpu_ids.find(gpu);
    const ArchRow* a = FindArch(archs, model);
    if (g == gpu_ids.end()) {
      r.skip = "GPU '" + gpu + "' is not in the catalog";
    } else if (!a) {
      r.skip = "model '" + model + "' has no architecture row";
    } else {
      r.chip = FindBuiltinChip(g->second);
      // ModelOpt checkpoints: FP8 weights on Hopper, NVFP4 (4 bits + one FP8 scale per 16) on
      // Blackwell; KV cache in FP8 in both. Catalog has no FP4 FLOP/s: matmuls counted at FP8 rate.
      r.arch = WithBytes(*a, prec == "FP4" ? 0.5625 : 1.0, 1.0);
      r.options.math = MathPrecision::kFp8;
      r.options.chips_per_replica = n;
    }
    r.mix.input_tokens_per_request = isl;
    r.mix.output_tokens_per_request = osl;
    rows.push_back(std::move(r));
  }
}

void AddArgonne(const std::vector<ArchRow>& archs, const std::map<std::string, ChipType>& epoch,
                std::vector<Row>& rows) {
  auto t = ReadCsv(kDataDir + "/llm-inference-bench-argonne/All_results.csv");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (size_t i = 0; i < t->rows.size(); ++i) {
    Row r;
    r.source = "argonne";
    const std::string hw = Str(*t, i, "Hardware"), fw = Str(*t, i, "Framework"), model = Str(*t, i, "Model");
    r.stack = fw;
    const double len = Num(*t, i, "Input Output Length"), batch = Num(*t, i, "Batch Size");
    const int n = static_cast<int>(Num(*t, i, "Num of Hardware"));
    r.label = hw + " x" + std::to_string(n) + " " + fw + " " + model + " " +
              std::to_string(static_cast<int>(len)) + "/" + std::to_string(static_cast<int>(len)) +
              " batch " + std::to_string(static_cast<int>(batch));
    // Throughput = batch x (input + output) / latency for the whole set (SOURCE.md): half are output tokens.
    r.measured = Num(*t, i, "Throughput") / 2 / n;
    const ArchRow* a = FindArch(archs, model);
    const ChipType* chip = nullptr;
    if (hw == "Nvidia H100 GPU") chip = FindBuiltinChip("h100-sxm");
    if (hw == "Nvidia A100 GPU" && epoch.count("a100-40gb")) chip = &epoch.at("a100-40gb");
    if (hw == "Nvidia GH200 GPU" && epoch.count("gh200")) chip = &epoch.at("gh200");
    if (!chip) {
      r.skip = "hardware '" + hw + "' is outside this validation (NVIDIA H100, A100, GH200 only)";
    } else if (fw == "llama.cpp") {
      r.skip = "llama.cpp: most rows' throughput has no batch factor (SOURCE.md), so the batch is unknown";
    } else if (fw != "vLLM" && fw != "TensorRT-LLM" && fw != "Deepspeed-MII") {
      r.skip = "framework '" + fw + "' has no efficiency fitted here";
    } else if (!a) {
      r.skip = "model '" + model + "' has no architecture row";
    } else {
      r.chip = chip;
      r.arch = WithBytes(*a, 2.0, 2.0);  // FP16 weights and KV cache
      r.options.math = MathPrecision::kBf16;
      r.options.chips_per_replica = n;
      // The benchmark asked for this batch; where it does not fit memory the serving stack runs fewer at
      // once.
      r.options.max_batch_sequences = static_cast<int>(batch);
    }
    r.mix.input_tokens_per_request = len;
    r.mix.output_tokens_per_request = len;
    rows.push_back(std::move(r));
  }
}

void AddNeuron(const std::vector<ArchRow>& archs, const std::string& file, const std::string& source,
               const std::string& chip_id, std::vector<Row>& rows) {
  auto t = ReadCsv(kDataDir + "/aws-neuron-benchmarks/" + file);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  for (size_t i = 0; i < t->rows.size(); ++i) {
    Row r;
    r.source = source;
    r.stack = "Transformers NeuronX";
    const std::string model = Str(*t, i, "Model");
    const int cores = static_cast<int>(Num(*t, i, "TP Degree"));
    const int batch = static_cast<int>(Num(*t, i, "Batch Size"));
    const double in = Num(*t, i, "Input Length"), out = Num(*t, i, "Output Length");
    const int chips = cores / 2;  // two NeuronCores per Trainium1 / Inferentia2 chip (AWS Neuron docs)
    r.label = model + " " + Str(*t, i, "Inst. Type") + " TP" + std::to_string(cores) + " batch " +
              std::to_string(batch) + " " + std::to_string(static_cast<int>(in)) + "/" +
              std::to_string(static_cast<int>(out)) + " " + Str(*t, i, "Application Type");
    const ArchRow* a = FindArch(archs, model);
    // Throughput is for the whole instance; with TP over every core one replica fills it.
    r.measured = Num(*t, i, "Output Token Throughput (tokens/sec)") / std::max(1, chips);
    if (!a) {
      r.skip = "model '" + model + "' has no architecture row";
    } else {
      r.chip = FindBuiltinChip(chip_id);
      const std::string w = Str(*t, i, "Weight Storage Data Type");
      r.arch = WithBytes(*a, w == "int8" ? 1.0 : 2.0, 2.0);
      r.options.math = MathPrecision::kBf16;
      r.options.chips_per_replica = chips;
      r.options.max_batch_sequences = batch;
    }
    r.mix.input_tokens_per_request = in;
    r.mix.output_tokens_per_request = out;
    rows.push_back(std::move(r));
  }
}

// A measurement above the hardware's bound (full roofline, no overhead, the
// stated batch and lengths) cannot be what it says: skip it with the reason.
void ScreenImpossible(std::vector<Row>& rows) {
  for (Row& r : rows) {
    if (!r.skip.empty() || r.options.max_batch_sequences == 0) continue;
    ServingOptions o = r.options;
    o.max_batch_sequences = 0;
    o.batch_sequences = r.options.max_batch_sequences;
    o.hbm_usable_fraction = 1.0;
    auto bound = EstimateServingThroughput(r.arch, *r.chip, r.mix, {1.0, 0.0, 1 << 20}, o);
    if (bound.ok() && r.measured > bound->output_tokens_per_s_per_chip)
      r.skip =
          "faster than the roofline allows at the stated batch, lengths and precision (the run stopped "
          "generating early or ran lower-precision weights; the data does not say)";
  }
}

std::vector<Row> AllRows() {
  std::vector<Row> rows;
  static const std::vector<ArchRow> archs = LoadArchitectures();
  static const std::map<std::string, ChipType> epoch = EpochChips();
  AddTrtllm(archs, rows);
  AddArgonne(archs, epoch, rows);
  AddNeuron(archs, "trn1_throughput_data_decoder.csv", "neuron-trn1", "trn1", rows);
  AddNeuron(archs, "trn1_latency_data_decoder.csv", "neuron-trn1", "trn1", rows);
  AddNeuron(archs, "inf2_throughput_data_decoder.csv", "neuron-inf2", "inf2", rows);
  AddNeuron(archs, "inf2_latency_data_decoder.csv", "neuron-inf2", "inf2", rows);
  ScreenImpossible(rows);
  return rows;
}

// ---- Statistics ----

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - lo) * (v[hi] - v[lo]);
}

struct Predicted {
  const Row* row = nullptr;
  double predicted = 0;
  double ratio = 0;  // predicted / measured
  ThroughputEstimate estimate;
};

// Argonne measured mid-2024 releases of vLLM, TensorRT-LLM and DeepSpeed-MII in
// FP16 at fixed batches of at most 256; they pay far more fixed cost per step
// than TensorRT-LLM's 2025 release that DefaultSoftwareEfficiency is fitted on. Fitted the same way
// (DefaultEfficiencyIsNearTheFit); docs/throughput.md.
constexpr SoftwareEfficiency kNvidia2024Stacks = {0.75, 125e-6, 128, 1.0};

// Which efficiency a row is predicted with: its group's.
std::string EfficiencyGroup(const Row& r) {
  if (r.source == "argonne") return "nvidia-2024-stacks";
  if (r.chip->platform == Platform::kNvidia) return "nvidia-" + r.chip->generation;
  return std::string(PlatformName(r.chip->platform)) + "-default";
}

SoftwareEfficiency EfficiencyFor(const Row& r) {
  if (r.source == "argonne") return kNvidia2024Stacks;
  return DefaultSoftwareEfficiency(*r.chip);
}

std::vector<Predicted> Predict(const std::vector<Row>& rows,
                               std::vector<std::pair<const Row*, std::string>>& failed,
                               const SoftwareEfficiency* eff_override = nullptr) {
  std::vector<Predicted> out;
  for (const Row& r : rows) {
    if (!r.skip.empty()) continue;
    const SoftwareEfficiency eff = eff_override ? *eff_override : EfficiencyFor(r);
    auto e = EstimateServingThroughput(r.arch, *r.chip, r.mix, eff, r.options);
    if (!e.ok()) {
      failed.emplace_back(&r, e.status().message());
      continue;
    }
    Predicted p;
    p.row = &r;
    p.predicted = e->output_tokens_per_s_per_chip;
    p.ratio = p.predicted / r.measured;
    p.estimate = *e;
    out.push_back(p);
  }
  return out;
}

std::string F(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// The documented bound: docs/throughput.md holds a line "Median bound: NN%".
double DocumentedMedianBound() {
  std::ifstream in(kSourceDir + "/docs/throughput.md");
  EXPECT_TRUE(in.good()) << "docs/throughput.md is missing";
  std::string line;
  const std::regex re(R"(Median bound: ([0-9.]+)%)");
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) return std::stod(m[1]) / 100;
  ADD_FAILURE() << "docs/throughput.md has no 'Median bound: NN%' line";
  return 0;
}

TEST(ThroughputValidation, EveryRowPredictedOrSkippedWithReason) {
  const std::vector<Row> rows = AllRows();
  ASSERT_GT(rows.size(), 4000u);
  std::vector<std::pair<const Row*, std::string>> failed;
  const std::vector<Predicted> preds = Predict(rows, failed);
  // Every mapped row is predicted: an infeasible estimate of something that was measured is a model bug.
  for (const auto& [r, why] : failed) ADD_FAILURE() << r->label << ": " << why;

  // Error distribution, overall and per source.
  std::map<std::string, std::vector<double>> err;
  for (const Predicted& p : preds) {
    const double e = std::fabs(p.ratio - 1);
    err["all"].push_back(e);
    err[p.row->source].push_back(e);
    err[p.row->source + " / " + p.row->stack + " / " + p.row->chip->id].push_back(e);
  }
  std::ostringstream md;
  md << "| rows | n | median abs(pred/meas - 1) | P90 |\n|---|---|---|---|\n";
  for (const auto& [k, v] : err)
    md << "| " << k << " | " << v.size() << " | " << F(100 * Quantile(v, 0.5), 1) << "% | "
       << F(100 * Quantile(v, 0.9), 1) << "% |\n";

  std::vector<Predicted> worst = preds;
  std::sort(worst.begin(), worst.end(), [](const Predicted& a, const Predicted& b) {
    return std::fabs(std::log(a.ratio)) > std::fabs(std::log(b.ratio));
  });
  md << "\n### Worst rows\n\n| row | measured | predicted | ratio | batch | decode bound | prefill share |\n"
        "|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < std::min<size_t>(25, worst.size()); ++i) {
    const Predicted& p = worst[i];
    md << "| " << p.row->label << " | " << F(p.row->measured, 0) << " | " << F(p.predicted, 0) << " | "
       << F(p.ratio, 2) << " | " << p.estimate.batch_sequences << " | "
       << RooflineBoundName(p.estimate.decode_bound) << " | " << F(100 * p.estimate.prefill_time_share, 0)
       << "% |\n";
  }
  std::map<std::string, int> skipped;
  for (const Row& r : rows)
    if (!r.skip.empty()) skipped[r.source + ": " + r.skip]++;
  md << "\n### Skipped rows\n\n| source: reason | rows |\n|---|---|\n";
  for (const auto& [k, v] : skipped) md << "| " << k << " | " << v << " |\n";

  md << "\n### Rows faster than the hardware bound\n\n";
  for (const Row& r : rows)
    if (r.skip.rfind("faster than", 0) == 0)
      md << "- " << r.label << ": " << F(r.measured, 0) << " tokens/s per chip\n";

  md << "\n### Every predicted row\n\n| source | row | measured | predicted | ratio | chips | batch | decode "
        "bound |\n|---|---|---|---|---|---|---|---|\n";
  for (const Predicted& p : preds)
    md << "| " << p.row->source << " | " << p.row->label << " | " << F(p.row->measured, 1) << " | "
       << F(p.predicted, 1) << " | " << F(p.ratio, 3) << " | " << p.estimate.chips_per_replica << " | "
       << p.estimate.batch_sequences << " | " << RooflineBoundName(p.estimate.decode_bound) << " |\n";

  const char* env = std::getenv("FUNGIBLE_THROUGHPUT_REPORT");
  const std::string path = env && *env ? env : testing::TempDir() + "throughput_validation.md";
  std::ofstream(path) << md.str();
  std::cout << "error table written to " << path << "\n";

  ASSERT_FALSE(err["all"].empty());
  EXPECT_GT(err["trtllm"].size(), 100u);
  EXPECT_GT(err["argonne"].size(), 500u);
  EXPECT_GT(err["neuron-trn1"].size(), 30u);
  const double median = Quantile(err["all"], 0.5);
  const double bound = DocumentedMedianBound();
  EXPECT_LE(median, bound) << "overall median error " << median << " exceeds the documented " << bound;
}

// What the model says for served models of two sizes on every catalog
// accelerator at an interactive target, with the defaults: the table in
// docs/throughput.md ("Catalog chips at 30 tokens/s per user"). Every answer is
// an estimate or an infeasible-with-reason, never an invalid input.
TEST(ThroughputValidation, CatalogChipsAtAnInteractiveTarget) {
  const std::vector<ArchRow> archs = LoadArchitectures();
  std::ostringstream md;
  md << "| model | chip | weights | chips/replica | batch (limit) | output tokens/s per chip | per user | "
        "decode "
        "bound |\n|---|---|---|---|---|---|---|---|\n";
  int feasible = 0;
  for (const char* name : {"deepseek-r1", "llama-3.3-70b", "gpt-oss-120b"}) {
    const ArchRow* a = nullptr;
    for (const ArchRow& r : archs)
      if (r.arch.id == name) a = &r;
    ASSERT_NE(a, nullptr) << name;
    for (const ChipType& chip : BuiltinCatalog()) {
      if (chip.platform == Platform::kCpu) continue;
      const bool fp8 = chip.fp8_dense_flops > 0;
      ModelArchitecture m = WithBytes(*a, fp8 ? 1.0 : 2.0, fp8 ? 1.0 : 2.0);
      RequestMix mix;
      mix.input_tokens_per_request = 2000;
      mix.cached_input_tokens_per_request = 1000;
      mix.output_tokens_per_request = 500;
      mix.min_output_tokens_per_s_per_user = 30;
      ServingOptions o;
      o.math = fp8 ? MathPrecision::kFp8 : MathPrecision::kBf16;
      auto e = EstimateServingThroughput(m, chip, mix, DefaultSoftwareEfficiency(chip), o);
      md << "| " << name << " | " << chip.id << " | "
         << (m.weight_bytes_per_param == 2 ? "BF16" : "FP8/native") << " | ";
      ASSERT_TRUE(e.ok()) << e.status().ToString();
      if (!e->servable) {
        md << "infeasible: " << e->unservable_reason << " | | | | |\n";
        continue;
      }
      ++feasible;
      md << e->chips_per_replica << " | " << e->batch_sequences << " (" << BatchLimitName(e->batch_limit)
         << ") | " << F(e->output_tokens_per_s_per_chip, 0) << " | " << F(e->output_tokens_per_s_per_user, 1)
         << " | " << RooflineBoundName(e->decode_bound) << " |\n";
    }
  }
  EXPECT_GT(feasible, 20);
  const char* env = std::getenv("FUNGIBLE_THROUGHPUT_CATALOG_REPORT");
  const std::string path = env && *env ? env : testing::TempDir() + "throughput_catalog.md";
  std::ofstream(path) << md.str();
  std::cout << "catalog table written to " << path << "\n";
}

// The grid search that produced DefaultSoftwareEfficiency (and
// kNvidia2024Stacks): per efficiency group, the roofline fraction, per-layer
// step overhead, batch cap per chip and expert fraction minimising the mean
// |log(predicted / measured)| over the group's rows. Prints the fit; fails if
// the values in use are more than 0.03 worse on that mean than the best fit.
TEST(ThroughputValidation, DefaultEfficiencyIsNearTheFit) {
  const std::vector<Row> rows = AllRows();
  const std::vector<double> fractions = {0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65,
                                         0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0};
  const std::vector<double> overheads_us = {0, 5, 10, 20, 30, 50, 75, 100, 125, 150, 200};
  const std::vector<int> caps = {128, 256, 512, 1024, 2048};
  const std::vector<double> expert_fractions = {0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0};
  std::map<std::string, std::vector<Row>> groups;
  for (const Row& r : rows)
    if (r.skip.empty()) groups[EfficiencyGroup(r)].push_back(r);
  for (const auto& [group, mine] : groups) {
    bool moe = false;
    for (const Row& r : mine) moe = moe || r.arch.routed_experts > 0;
    // Objective: mean |log(predicted / measured)|; every row counts, over and
    // under alike (the median alone leaves the parameters loosely tied).
    auto errors = [&](const SoftwareEfficiency& eff) {
      std::vector<std::pair<const Row*, std::string>> failed;
      std::vector<double> e;
      double sum_log = 0;
      for (const Predicted& p : Predict(mine, failed, &eff)) {
        e.push_back(std::fabs(p.ratio - 1));
        sum_log += std::fabs(std::log(p.ratio));
      }
      return std::pair{sum_log / std::max<size_t>(1, e.size()), Quantile(e, 0.5)};
    };
    double best = 1e9;
    SoftwareEfficiency best_eff;
    for (double f : fractions)
      for (double o : overheads_us)
        for (int c : caps)
          for (double x : expert_fractions) {
            if (!moe && x != 1.0) continue;
            const SoftwareEfficiency eff = {f, o * 1e-6, c, x};
            const double e = errors(eff).first;
            if (e < best) best = e, best_eff = eff;
          }
    const auto [now, now_median] = errors(EfficiencyFor(mine.front()));
    std::cout << group << " (" << mine.size() << " rows): best fit roofline_fraction "
              << best_eff.roofline_fraction << ", step overhead " << best_eff.step_overhead_s_per_layer * 1e6
              << " us/layer, batch cap " << best_eff.max_batch_sequences_per_chip
              << " per chip, expert fraction " << best_eff.expert_fraction_of_dense << ": mean |log ratio| "
              << best << " (median error " << errors(best_eff).second << "); in use: " << now
              << " (median error " << now_median << ")\n";
    EXPECT_LE(now, best + 0.03) << group;
  }
}

}  // namespace
}  // namespace fungible

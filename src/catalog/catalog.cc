// The built-in chip catalog. Every figure is a public number with its source.
//
// Most figures are from Epoch AI, "Data on Machine Learning Hardware" (CC BY
// 4.0, epoch.ai), file data/epoch-ai-hardware-and-models/
// ml_hardware.csv (see its SOURCE.md). Units as converted here:
//   BF16, FP8      = "Tensor-FP16/BF16 performance (FLOP/s)", "FP8 performance (FLOP/s)"
//   hbm_gb         = "Memory (bytes)" / 1e9
//   hbm_tb_per_s   = "Memory bandwidth (byte/s)" / 1e12
//   power_w        = "TDP (W)"
//   release_date   = "Release date"
// catalog_test.cc checks every entry that cites Epoch against that table.
//
// Convention for `source`: an entry that uses Epoch names its row; every figure
// not taken from that row is named with a label ("FP8:", "HBM:", "bandwidth:",
// "power:", "release:", "domain:") followed by where it comes from, or "not
// published" (the figure is then 0). Epoch has no interconnect domain sizes, so
// every accelerator has a "domain:" note. HBM capacities are the vendors'
// nominal figures (DRAM is sold in binary units; Epoch records 80 GB as 80e9).
#include "catalog/catalog.h"

#include <algorithm>
#include <tuple>

namespace fungible {
namespace {

constexpr double kTera = 1e12;

ChipType Chip(std::string id, std::string name, Platform platform, std::string generation,
              double bf16_dense_tflops, double fp8_dense_tflops, double hbm_gb, double hbm_tb_per_s,
              int interconnect_domain_chips, double power_w, std::string release_date, std::string source) {
  ChipType c;
  c.id = std::move(id);
  c.name = std::move(name);
  c.platform = platform;
  c.generation = std::move(generation);
  c.bf16_dense_flops = bf16_dense_tflops * kTera;
  c.fp8_dense_flops = fp8_dense_tflops * kTera;
  c.hbm_gb = hbm_gb;
  c.hbm_tb_per_s = hbm_tb_per_s;
  c.interconnect_domain_chips = interconnect_domain_chips;
  c.power_w = power_w;
  c.release_date = std::move(release_date);
  c.source = std::move(source);
  c.from_catalog = true;
  return c;
}

std::vector<ChipType> MakeCatalog() {
  const Platform nv = Platform::kNvidia, amd = Platform::kAmd, gcp = Platform::kGoogle, aws = Platform::kAws;
  std::vector<ChipType> chips = {
      // ---- NVIDIA ----
      Chip("h100-sxm", "NVIDIA H100 SXM5 80GB", nv, "hopper", 989.4, 1979, 80, 3.35, 8, 700, "2022-09-20",
           "Epoch AI ml_hardware.csv row 'NVIDIA H100 SXM5 80GB' (BF16, HBM, bandwidth, TDP, release); "
           "FP8: NVIDIA H100 Tensor Core GPU datasheet, 3,958 TFLOPS with sparsity = 1,979 dense (Epoch "
           "leaves FP8 empty); domain: HGX/DGX H100, 8 GPUs on one NVLink/NVSwitch"),
      Chip("b200", "NVIDIA B200 180GB", nv, "blackwell", 2250, 4500, 180, 7.7, 8, 1000, "2024-11-15",
           "Epoch AI ml_hardware.csv row 'NVIDIA B200' (BF16, FP8, HBM, bandwidth, TDP, release); "
           "domain: HGX/DGX B200, 8 GPUs on one NVLink 5 switch"),
      Chip("h200", "NVIDIA H200 SXM 141GB", nv, "hopper", 989.5, 1979, 141, 4.8, 8, 700, "2024-11-18",
           "Epoch AI ml_hardware.csv row 'NVIDIA H200 SXM' (BF16, FP8, HBM, bandwidth, TDP, release); "
           "domain: HGX/DGX H200, 8 GPUs on one NVLink/NVSwitch"),
      Chip("gb200", "NVIDIA GB200 NVL72 (per GPU)", nv, "blackwell", 2500, 5000, 186, 8.0, 72, 1200,
           "2025-02-15",
           "Epoch AI ml_hardware.csv row 'NVIDIA GB200' (per GPU, not per 2-GPU superchip: BF16, FP8, HBM, "
           "bandwidth, TDP, release); domain: GB200 NVL72 rack, 72 GPUs in one NVLink domain (NVIDIA)"),
      Chip("b300", "NVIDIA B300 (Blackwell Ultra)", nv, "blackwell-ultra", 2250, 4500, 270, 7.7, 8, 1100,
           "2025-08-22",
           "Epoch AI ml_hardware.csv row 'NVIDIA B300 (Blackwell Ultra)' (BF16, FP8, HBM, bandwidth, TDP, "
           "release); domain: HGX B300, 8 GPUs on one NVLink 5 switch"),
      Chip("gb300", "NVIDIA GB300 NVL72 (per GPU)", nv, "blackwell-ultra", 2500, 5000, 287.5, 8.0, 72, 1400,
           "2025-08-22",
           "Epoch AI ml_hardware.csv row 'NVIDIA GB300 (Blackwell Ultra)' (per GPU: BF16, FP8, HBM, "
           "bandwidth, TDP, release); domain: GB300 NVL72 rack, 72 GPUs in one NVLink domain (NVIDIA)"),
      // ---- AMD ----
      Chip("mi300x", "AMD Instinct MI300X", amd, "cdna3", 1307.4, 2614.9, 192, 5.3, 8, 750, "2023-12-06",
           "Epoch AI ml_hardware.csv row 'AMD Instinct MI300X' (BF16, HBM, bandwidth, TDP, release); "
           "FP8: AMD Instinct MI300X data sheet, 2,614.9 TFLOPS dense (5,229.8 with sparsity; Epoch leaves "
           "FP8 empty); domain: 8-GPU platform on Infinity Fabric (AMD)"),
      Chip("mi325x", "AMD Instinct MI325X", amd, "cdna3", 1307.4, 2614.9, 256, 6.0, 8, 1000, "2024-10-10",
           "Epoch AI ml_hardware.csv row 'AMD Instinct MI325X' (BF16, HBM, bandwidth, TDP, release); "
           "FP8: AMD Instinct MI325X product page, 2,614.9 TFLOPS dense (Epoch leaves FP8 empty); "
           "domain: 8-GPU platform on Infinity Fabric (AMD)"),
      // ---- Google ----
      Chip("tpu-v5e", "Google TPU v5e", gcp, "v5e", 197, 0, 16, 0.819, 256, 225, "2023-08-29",
           "Epoch AI ml_hardware.csv row 'Google TPU v5e' (BF16, HBM, bandwidth, release; TDP 225 W is "
           "Epoch's pick of a NextPlatform estimate, SemiAnalysis estimates 300 W); FP8: not published "
           "(Google lists BF16 197 TFLOPs and INT8 393 TOPs only); domain: 256-chip v5e pod, 2D torus "
           "(cloud.google.com/tpu/docs/v5e)"),
      Chip("tpu-v5p", "Google TPU v5p", gcp, "v5p", 459, 459, 95, 2.765, 8960, 540, "2023-12-06",
           "Epoch AI ml_hardware.csv row 'Google TPU v5p' (BF16, HBM, bandwidth, release; TDP 540 W is "
           "Epoch's estimate from Google's perf/W claims); FP8: Google Cloud TPU7x page, v5p column, "
           "459 TFLOPs (no faster FP8 path; Epoch leaves FP8 empty); domain: 8,960-chip v5p pod, 3D torus "
           "(cloud.google.com/tpu/docs/v5p; largest single slice 6,144)"),
      Chip("tpu-v6e", "Google TPU v6e Trillium", gcp, "v6e", 918, 918, 32, 1.64, 256, 380, "2024-05-14",
           "Epoch AI ml_hardware.csv row 'Google TPU v6e Trillium' (BF16, FP8, HBM, bandwidth, release; TDP "
           "380 W is Epoch's estimate from Google's perf/W claims); domain: 256-chip v6e pod, 2D torus "
           "(cloud.google.com/tpu/docs/v6e)"),
      Chip("tpu-v7", "Google TPU v7 Ironwood", gcp, "v7", 2307, 4614, 192, 7.37, 9216, 960, "2025-11-06",
           "Epoch AI ml_hardware.csv row 'Google TPU v7 Ironwood' (BF16, FP8, HBM, bandwidth, release; TDP "
           "960 W is Epoch's estimate from Google's perf/W claims); domain: 9,216-chip Ironwood pod "
           "(cloud.google.com/tpu/docs/tpu7x)"),
      // ---- AWS ----
      Chip("trn1", "AWS Trainium (Trainium1)", aws, "trainium1", 190, 190, 32, 0.82, 16, 0, "2022-10-15",
           "Epoch AI ml_hardware.csv row 'Amazon Trainium1' (BF16, HBM, bandwidth, release; AWS states "
           "memory as 32 GiB and 820 GiB/s, Epoch records 32 GB and 820 GB/s); FP8: AWS Neuron docs, "
           "Trainium architecture, '190 FP16/BF16/cFP8/TF32 TFLOPS' (Epoch leaves FP8 empty); power: not "
           "published by AWS; domain: trn1.32xlarge, 16 chips on NeuronLink-v2 (AWS Neuron docs)"),
      Chip("inf2", "AWS Inferentia2", aws, "inferentia2", 190, 190, 32, 0.82, 12, 0, "2023-04-13",
           "Epoch AI ml_hardware.csv row 'AWS Inferentia2' (BF16, FP8, HBM, bandwidth, release); power: not "
           "published by AWS; domain: inf2.48xlarge, 12 chips on NeuronLink (AWS Neuron docs)"),
      Chip("trn2", "AWS Trainium2", aws, "trainium2", 667, 1299, 96, 2.9, 64, 500, "2024-12-03",
           "Epoch AI ml_hardware.csv row 'Amazon Trainium2' (BF16, FP8, HBM, bandwidth, TDP, release); "
           "domain: Trn2 UltraServer, 64 chips (4 x trn2.48xlarge of 16) on NeuronLink-v3 (AWS)"),
      Chip("trn3", "AWS Trainium3", aws, "trainium3", 671, 2517, 144, 4.9, 144, 700, "2025-12-02",
           "Epoch AI ml_hardware.csv row 'Amazon Trainium3' (BF16, FP8 = MXFP8, TDP, release; Epoch's TDP "
           "cites SemiAnalysis); HBM: AWS Neuron docs, Trainium3 architecture (Dec 2025), 144 GiB, recorded "
           "as 144 like Epoch records Trainium2's 96 GiB; bandwidth: same page, 4.9 TB/s (Epoch has no "
           "memory figures); domain: Trn3 Gen2 UltraServer, 144 chips on NeuronSwitch-v1 (AWS Neuron docs; "
           "Gen1 UltraServers have 64)"),
      // ---- CPU ----
      Chip(
          "cpu-node", "Dual-socket CPU node (2x Xeon 8480+ class)", Platform::kCpu, "sapphire-rapids",
          229.376, 0, 1024, 0.6144, 1, 1000, "2023-01-10",
          "Assumptions for a generic dual-socket x86 node, one 'chip' = one node: BF16: theoretical AMX peak "
          "2 sockets x 56 cores x 1,024 BF16 FLOP/cycle (Intel AMX spec) x 2.0 GHz base (Intel ark, Xeon "
          "Platinum 8480+) = 229.4 TFLOP/s, far above what LLM work reaches on CPUs; FP8: none; HBM: no HBM, "
          "figure is DDR5 system memory, assumed 16 x 64 GB; bandwidth: 2 sockets x 8 channels x DDR5-4800 "
          "x 8 bytes = 0.614 TB/s; power: assumed 1,000 W per node (2 x 350 W CPU TDP plus memory, NIC, "
          "fans); release: Intel 4th Gen Xeon launch, 2023-01-10; domain: 1 (no scale-up fabric)"),
  };
  // All-in IT power per chip where a system figure is published (chip, host,
  // network, fans); other chips take 1.5 x board power (kAllInOverBoardPower).
  struct AllIn {
    const char* id;
    double watts;
    const char* source;
  };
  for (const AllIn& a : {
           AllIn{"h100-sxm", 1275, "NVIDIA DGX H100 datasheet: ~10.2 kW max for 8 GPUs = 1,275 W a GPU"},
           AllIn{"h200", 1275, "NVIDIA DGX H200 datasheet: ~10.2 kW max for 8 GPUs = 1,275 W a GPU"},
           AllIn{"b200", 1788, "NVIDIA DGX B200 datasheet: ~14.3 kW max for 8 GPUs = 1,788 W a GPU"},
           AllIn{"gb200", 1833, "GB200 NVL72 rack ~132 kW for 72 GPUs (NVIDIA and OEM rack specifications)"},
           AllIn{"tpu-v7", 1085, "Google Cloud (2025): a 9,216-chip Ironwood pod draws nearly 10 MW"},
       }) {
    for (ChipType& c : chips) {
      if (c.id != a.id) continue;
      c.all_in_power_w = a.watts;
      c.source += std::string("; all-in: ") + a.source;
    }
  }
  std::stable_sort(chips.begin(), chips.end(), [](const ChipType& a, const ChipType& b) {
    return std::tie(a.platform, a.release_date) < std::tie(b.platform, b.release_date);
  });
  return chips;
}

}  // namespace

const std::vector<ChipType>& BuiltinCatalog() {
  static const std::vector<ChipType>* const catalog = new std::vector<ChipType>(MakeCatalog());
  return *catalog;
}

const ChipType* FindBuiltinChip(const std::string& id) {
  for (const ChipType& c : BuiltinCatalog())
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace fungible

#include "model/fleet.h"

#include <algorithm>

#include "model/enum_names.h"

namespace fungible {

double ChipType::AllInPowerW() const {
  return all_in_power_w > 0 ? all_in_power_w : power_w * kAllInOverBoardPower;
}

const char* PlatformName(Platform p) { return EnumNameIn(kPlatformNames, p, "other"); }
const char* ContractKindName(ContractKind k) { return EnumNameIn(kContractKindNames, k, "reserved"); }
const char* WorkloadKindName(WorkloadKind k) { return EnumNameIn(kWorkloadKindNames, k, "research"); }
const char* OptionKindName(OptionKind k) { return EnumNameIn(kOptionKindNames, k, "expand"); }
const char* QuantityUnitName(QuantityUnit u) { return EnumNameIn(kQuantityUnitNames, u, "chips"); }

namespace {
template <typename T>
const T* FindById(const std::vector<T>& items, const std::string& id) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& x) { return x.id == id; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const ChipType* Fleet::FindChip(const std::string& id) const { return FindById(chip_types, id); }
const Contract* Fleet::FindContract(const std::string& id) const { return FindById(contracts, id); }
const ServedModel* Fleet::FindModel(const std::string& id) const { return FindById(models, id); }
const WorkloadClass* Fleet::FindWorkload(const std::string& id) const { return FindById(workloads, id); }
const Offer* Fleet::FindOffer(const std::string& id) const { return FindById(offers, id); }
const ServingDemand* Fleet::FindDemand(const std::string& model) const {
  auto it =
      std::find_if(demand.begin(), demand.end(), [&](const ServingDemand& d) { return d.model == model; });
  return it == demand.end() ? nullptr : &*it;
}

double Fleet::PoolCapacityAt(const Pool& pool, UtcSeconds t) const {
  const Contract* c = FindContract(pool.contract);
  if (c != nullptr && (t < c->start || t >= c->end)) return 0.0;
  double landed = pool.landing_ramp.empty() ? 1.0 : 0.0;
  for (const auto& step : pool.landing_ramp)
    if (step.at <= t) landed = step.fraction;
  return pool.chips * landed * pool.availability;
}

double Fleet::PoolUsdPerChipHour(const Pool& pool) const {
  const Contract* c = FindContract(pool.contract);
  if (c == nullptr) return 0.0;
  if (c->usd_per_chip_hour) return *c->usd_per_chip_hour;
  if (c->usd_per_mw_month) {
    const ChipType* chip = FindChip(pool.chip_type);
    if (chip == nullptr) return 0.0;
    // A month is 730 hours on average (8760 / 12).
    double mw_per_chip = chip->FacilityMwPerChip(allocation.pue);
    return *c->usd_per_mw_month * mw_per_chip / 730.0;
  }
  return 0.0;
}

}  // namespace fungible

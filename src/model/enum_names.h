// One name table per enum of model/fleet.h, in the spec's order. The *Name
// functions (fleet.cc), the spec reader (spec/spec.cc) and the spec's key table
// (spec/fields.cc: validation, JSON Schema, docs) all derive from these.
#pragma once

#include "model/fleet.h"
#include "util/enum_table.h"

namespace fungible {

inline constexpr EnumEntry<Platform> kPlatformNames[] = {
    {Platform::kNvidia, "nvidia"}, {Platform::kAmd, "amd"}, {Platform::kGoogle, "google"},
    {Platform::kAws, "aws"},       {Platform::kCpu, "cpu"}, {Platform::kOther, "other"}};
inline constexpr EnumEntry<ContractKind> kContractKindNames[] = {{ContractKind::kReserved, "reserved"},
                                                                 {ContractKind::kOnDemand, "on_demand"},
                                                                 {ContractKind::kShortTerm, "short_term"},
                                                                 {ContractKind::kOwned, "owned"}};
inline constexpr EnumEntry<WorkloadKind> kWorkloadKindNames[] = {{WorkloadKind::kPretrain, "pretrain"},
                                                                 {WorkloadKind::kRl, "rl"},
                                                                 {WorkloadKind::kResearch, "research"},
                                                                 {WorkloadKind::kInternal, "internal"},
                                                                 {WorkloadKind::kServe, "serve"}};
inline constexpr EnumEntry<LatencyClass> kLatencyClassNames[] = {
    {LatencyClass::kFast, "fast"}, {LatencyClass::kStandard, "standard"}, {LatencyClass::kBatch, "batch"}};
inline constexpr EnumEntry<OptionKind> kOptionKindNames[] = {
    {OptionKind::kExpand, "expand"}, {OptionKind::kReduce, "reduce"}, {OptionKind::kTerminate, "terminate"}};
inline constexpr EnumEntry<QuantityUnit> kQuantityUnitNames[] = {{QuantityUnit::kChips, "chips"},
                                                                 {QuantityUnit::kMw, "mw"}};

}  // namespace fungible

// The built-in chip catalog: real public specs of accelerators and a CPU node
// type, each entry with its source. Figures are dense (no sparsity), per chip.
#pragma once

#include <string>
#include <vector>

#include "model/fleet.h"

namespace fungible {

// Every built-in chip type, in a stable order (platform, then release date).
const std::vector<ChipType>& BuiltinCatalog();

// The entry with `id`, or nullptr.
const ChipType* FindBuiltinChip(const std::string& id);

}  // namespace fungible

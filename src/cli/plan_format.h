// Formatting shared by `fungible plan` and `fungible evaluate`: numbers for
// people, tables, the JSON of a plan report, and the process group the
// scenario work runs on (MPI in the fungible-mpi binary, one process else).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/fleet.h"
#include "plan/plan.h"
#include "plan/solve.h"
#include "util/status.h"
#include "util/text.h"

namespace fungible::cli {

// Fixed, Grouped, Money, Percent and Table: util/text.h.
std::string QuantityText(double amount, const std::string& unit);  // "1,024 chips", "1,500 MW"
std::string MethodText(const ProgramSolution& s);
// "tpu-5gw 3,200 MW, trn-deal 120,000 chips" or "nothing".
std::string ChipsList(const Fleet& fleet, const std::vector<OfferDecision>& offers,
                      const std::vector<double>& chips);
StatusOr<PlanMethod> ParseMethod(const std::string& text);

nlohmann::json PlanJson(const Fleet& fleet, const PlanReport& report);

// The processes the plan runs on: MPI_COMM_WORLD in fungible-mpi, this
// process alone otherwise.
std::unique_ptr<PlanComm> MakeComm();
// True in a process of the MPI-less binary that mpirun started as a rank
// other than 0: it computes, but keeps quiet (rank 0 prints a warning).
bool QuietRank();

}  // namespace fungible::cli

// The data document behind `fungible report` and the /ui dashboard: the
// figures of the stages' results (the cone, the layer cake, the plan, a week
// of allocation, a simulate run, a monthly review, the unit economics), one
// JSON object with a section per view. The page (web/report.js) draws each
// section that is present, a chart and a table of the same numbers.
//
// Sections are built from stage structs where the stage is run in process
// (the cone from a ForecastRun's JSON, the layer cake from the Fleet, the unit
// economics) and from the JSON the other commands write (`plan --json`,
// `evaluate --json`, `allocate --json`, `simulate --out`'s run.json,
// `review --json`), checked for the fields each view reads: a missing field is
// an error naming the input and the field, never a silently empty chart.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "model/fleet.h"
#include "util/status.h"

namespace fungible::report {

using Json = nlohmann::ordered_json;

// The format tag the page checks.
inline constexpr int kFiguresFormat = 1;

// The cone per tier (P5..P95 of output tokens or demand multiple, and of
// revenue), with the posterior cone and the observed months when the forecast
// was updated from actuals. `forecast` is ForecastJson's document.
StatusOr<Json> ConeFigures(const Json& forecast);

// Capacity by contract (committed pools, by chip type) and by signed offer
// month by month over `months` ("YYYY-MM", from the cone), with the serving
// demand's P10/P50/P90 summed over the tiers. `plan` may be null (no offers).
StatusOr<Json> LayerCakeFigures(const Fleet& fleet, const Json& cone, const Json* plan);

// VSS, EVPI, the money words (value = cash profit + imputed value, revenue,
// compute cost: spreads), the mismatch tables (value, cash profit, unserved),
// the scenarios' value, cash profit and lowest cash, the cash path
// (end-of-month cash P10/P50/P90 per month), operating cost, financing and
// the capital to raise at P90/P95, from `plan --json`.
StatusOr<Json> PlanFigures(const Json& plan);

// One offer against the committed fleet, from `evaluate --json`.
StatusOr<Json> EvaluateFigures(const Json& evaluate);

// A window of allocation from `allocate --json`: chips by workload per
// period, pool x period utilization, the shadow price per chip type and
// period (the highest over the chip type's pools). `fleet` maps pools to chip
// types and workloads to kinds and teams.
StatusOr<Json> AllocationFigures(const Json& allocate, const Fleet* fleet);

// A simulate run (run.json): per policy, return on compute by horizon, team,
// chip type and workload; chip-hours and value by team (the leaderboard);
// the days; the value of fungibility against the static split.
StatusOr<Json> RunFigures(const Json& run);

// The monthly review (`review --json`): KPIs and each variance bridge as a
// waterfall.
StatusOr<Json> ReviewFigures(const Json& review);

}  // namespace fungible::report

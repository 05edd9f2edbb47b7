// The live dashboard of `fungible serve` (docs/serve.md#the-dashboard-ui):
//   GET /ui        the page (web/report.js with ECharts inlined), no data and
//                  no token: a browser cannot send a bearer token on
//                  navigation, so the page asks for one (kept in the tab's
//                  sessionStorage) and polls /ui/data with it
//   GET /ui/data   the figures document's "live" view: pools, jobs by state,
//                  usage by team against the quota plan; any role (viewer
//                  included), 401 without a valid token as the API
// The service installs them through its own route wrapper (auth, roles, rate
// limits, audit and metrics as for every other route).
#pragma once

#include <functional>
#include <string>

#include "orchestrate/scheduler.h"
#include "report/figures.h"
#include "server/http_front.h"

namespace fungible::server {

inline constexpr int kUiRefreshSeconds = 5;

// The live view of `scheduler` at `now` (the service's clock).
// `fleet` is the service's fleet document ({"name", ...}).
report::Json UiLiveFigures(const orchestrate::Scheduler& scheduler, const nlohmann::json& fleet,
                           UtcSeconds now);

using UiHandler = std::function<void(const HttpRequest&, HttpResponse&)>;
// Registers a route: method, path pattern, whether it needs a token (any role).
using UiRouter = std::function<void(const std::string&, const std::string&, bool, UiHandler)>;

// Installs /ui and /ui/data; `live` returns UiLiveFigures under the scheduler's lock.
void InstallUiRoutes(const UiRouter& route, std::function<report::Json()> live);

}  // namespace fungible::server

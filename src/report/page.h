// The HTML page of `fungible report` and of the /ui dashboard. Apache ECharts
// (web/node_modules/echarts/dist/echarts.min.js, pinned by web/package-lock.json)
// and the page's own script and style (web/report.js, web/report.css) are
// compiled into the binary (src/report/embed.cmake), so the report is one
// file that opens offline and `serve` needs no files beside the binary.
#pragma once

#include <string>
#include <string_view>

#include "report/figures.h"

namespace fungible::report {

// The embedded assets (generated at build time from web/).
std::string_view EchartsJs();
std::string_view PageJs();
std::string_view PageCss();

// A self-contained report: the assets inlined and `figures` as one JSON
// object in <script id="fungible-figures" type="application/json">.
std::string RenderReportHtml(const Json& figures, const std::string& title);

// The dashboard's shell: the same page with no data; it asks for a bearer
// token (kept in sessionStorage) and polls `data_path` with it every
// `refresh_seconds`.
std::string RenderDashboardHtml(const std::string& data_path, int refresh_seconds);

}  // namespace fungible::report

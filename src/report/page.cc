#include "report/page.h"

namespace fungible::report {
namespace {

// Text safe inside <script>: "</" cannot close the element ("<\/" is the
// same string in JSON and JavaScript).
std::string ScriptSafe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') out += '\\';
  }
  return out;
}

// JSON safe inside <script>: every "<" (only ever inside a string) written
// as \u003c, so neither "</script" nor "<!--" can appear.
std::string JsonScriptSafe(const Json& j) {
  std::string out;
  for (char c : j.dump()) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Page(const std::string& title, const std::string& data_script) {
  std::string out;
  out += "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<link rel=\"icon\" href=\"data:,\">\n";  // no favicon request (a 404 on the console)
  out += "<title>" + HtmlEscape(title) + "</title>\n<style>\n";
  out += PageCss();
  out += "\n</style>\n</head>\n<body>\n<header><h1>" + HtmlEscape(title) +
         "</h1><nav id=\"toc\"></nav></header>\n<main id=\"app\"></main>\n";
  out += "<script>\n" + ScriptSafe(EchartsJs()) + "\n</script>\n";
  out += data_script;
  out += "<script>\n" + ScriptSafe(PageJs()) + "\n</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace

std::string RenderReportHtml(const Json& figures, const std::string& title) {
  return Page(title, "<script id=\"fungible-figures\" type=\"application/json\">" + JsonScriptSafe(figures) +
                         "</script>\n");
}

std::string RenderDashboardHtml(const std::string& data_path, int refresh_seconds) {
  const Json config = {{"data", data_path}, {"refresh_seconds", refresh_seconds}};
  return Page("fungible · live fleet", "<script id=\"fungible-dashboard\" type=\"application/json\">" +
                                           JsonScriptSafe(config) + "</script>\n");
}

}  // namespace fungible::report

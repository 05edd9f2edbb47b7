#include "util/csv.h"

#include <csv.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fungible {
namespace {

struct ParseState {
  std::vector<std::string> current;
  std::vector<std::vector<std::string>> records;
  std::vector<int> record_lines;
  int line = 1;         // line currently being fed
  int record_start = 1; // line where the current record started
  bool in_record = false;
};

void OnField(void* data, size_t len, void* st) {
  auto* s = static_cast<ParseState*>(st);
  if (!s->in_record) {
    s->in_record = true;
    s->record_start = s->line;
  }
  s->current.emplace_back(static_cast<const char*>(data), len);
}

void OnRecord(int /*term*/, void* st) {
  auto* s = static_cast<ParseState*>(st);
  s->records.push_back(std::move(s->current));
  s->record_lines.push_back(s->in_record ? s->record_start : s->line);
  s->current.clear();
  s->in_record = false;
}

}  // namespace

std::optional<size_t> CsvTable::Column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

Diagnostic CsvTable::At(size_t row, size_t col, std::string field, std::string message) const {
  Diagnostic d;
  d.file = file;
  d.line = row < row_lines.size() ? row_lines[row] : 0;
  d.column = static_cast<int>(col) + 1;  // CSV column number (1-based field index)
  d.field = std::move(field);
  d.message = std::move(message);
  return d;
}

StatusOr<CsvTable> ParseCsv(const std::string& text, const std::string& name) {
  struct csv_parser parser;
  if (csv_init(&parser, CSV_STRICT | CSV_APPEND_NULL | CSV_STRICT_FINI) != 0)
    return Status::Internal("libcsv: could not initialise the parser");
  ParseState st;
  // Feed one line at a time so each record knows the line it started on.
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string::npos ? text.size() : nl + 1;
    if (csv_parse(&parser, text.data() + pos, end - pos, OnField, OnRecord, &st) != end - pos) {
      std::string err = csv_strerror(csv_error(&parser));
      csv_free(&parser);
      return Status::Invalid(name + ":" + std::to_string(st.line) + ": malformed CSV: " + err);
    }
    pos = end;
    ++st.line;
  }
  if (csv_fini(&parser, OnField, OnRecord, &st) != 0) {
    std::string err = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    return Status::Invalid(name + ":" + std::to_string(st.record_start) + ": malformed CSV: " + err);
  }
  csv_free(&parser);

  CsvTable table;
  table.file = name;
  if (st.records.empty()) return Status::Invalid(name + ": empty CSV file (expected a header line)");
  table.header = std::move(st.records[0]);
  for (size_t i = 1; i < st.records.size(); ++i) {
    auto& rec = st.records[i];
    if (rec.size() == 1 && rec[0].empty()) continue;  // blank line
    if (rec.size() != table.header.size()) {
      return Status::Invalid(name + ":" + std::to_string(st.record_lines[i]) + ": expected " +
                             std::to_string(table.header.size()) + " fields as in the header, got " +
                             std::to_string(rec.size()));
    }
    table.rows.push_back(std::move(rec));
    table.row_lines.push_back(st.record_lines[i]);
  }
  return table;
}

StatusOr<CsvTable> ReadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseCsv(ss.str(), path);
}

std::optional<double> ParseDouble(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace fungible

#include "util/csv.h"

#include <csv.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <string_view>

namespace fungible {
namespace {

struct ParseState {
  std::vector<std::string> current;
  std::vector<std::vector<std::string>> records;
  std::vector<int> record_lines;
  int line = 1;          // line currently being fed
  int record_start = 1;  // line where the current record started
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

std::vector<Diagnostic> CsvTable::MissingColumns(const std::vector<std::string>& names,
                                                 const std::string& expected) const {
  std::vector<Diagnostic> out;
  for (const std::string& name : names) {
    if (Column(name)) continue;
    Diagnostic d;
    d.file = file;
    d.line = 1;
    d.field = "header";
    d.message = "missing column \"" + name + "\" (expected a header " + expected + ")";
    out.push_back(std::move(d));
  }
  return out;
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

StatusOr<CsvTable> ParseCsv(const std::string& text_with_bom, const std::string& name) {
  // Spreadsheet exports often begin with a UTF-8 byte order mark; it is not
  // part of the first column's name.
  static constexpr std::string_view kBom = "\xEF\xBB\xBF";
  const std::string_view text =
      std::string_view(text_with_bom)
          .substr(std::string_view(text_with_bom).rfind(kBom, 0) == 0 ? kBom.size() : 0);
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

StatusOr<std::string> ReadTextFile(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(path + ": cannot open file");
  // In pieces, up to one byte more than allowed (pipes and devices have no
  // size to ask for).
  std::string text;
  char buf[1 << 16];
  while (text.size() <= max_bytes && in.read(buf, sizeof buf).gcount() > 0)
    text.append(buf, static_cast<size_t>(in.gcount()));
  if (in.bad()) return Status::Internal(path + ": read failed");
  if (text.size() > max_bytes)
    return Status::Invalid(path + ": larger than " + std::to_string(max_bytes) +
                           " bytes, the most it may have");
  return text;
}

StatusOr<CsvTable> ReadCsv(const std::string& path) {
  auto text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return ParseCsv(*text, path);
}

std::optional<double> ParseDouble(const std::string& s) {
  // Decimal only: [+-]digits[.digits][e[+-]digits]. std::from_chars takes no
  // hex ("0x10"), no leading blanks and no locale; "inf" and "nan" parse but
  // are not finite.
  std::string_view v = s;
  const bool plus = !v.empty() && v[0] == '+';
  if (plus) v.remove_prefix(1);
  if (v.empty() || !(std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '.' || (!plus && v[0] == '-')))
    return std::nullopt;
  double out = 0;
  const auto res = std::from_chars(v.data(), v.data() + v.size(), out, std::chars_format::general);
  if (res.ec != std::errc() || res.ptr != v.data() + v.size() || !std::isfinite(out)) return std::nullopt;
  return out;
}

std::string CsvField(const std::string& field) {
  if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
  // csv_write returns the bytes the quoted field needs; at most 2n + 2.
  std::string quoted(2 * field.size() + 2, '\0');
  quoted.resize(csv_write(quoted.data(), quoted.size(), field.data(), field.size()));
  return quoted;
}

std::string CsvRecord(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) out += (i > 0 ? "," : "") + CsvField(fields[i]);
  return out + "\n";
}

}  // namespace fungible

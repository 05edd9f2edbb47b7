// Reading and writing RFC-4180 CSV (quoted fields, embedded newlines) through
// libcsv, keeping the line each record starts on for error messages.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "util/status.h"

namespace fungible {

struct CsvTable {
  std::string file;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<int> row_lines;  // 1-based line where rows[i] starts

  // Index of column `name`, or nullopt.
  std::optional<size_t> Column(const std::string& name) const;
  // Diagnostic-style location "file:line:col" for cell (row, col), col 0-based.
  Diagnostic At(size_t row, size_t col, std::string field, std::string message) const;
  // One error (line 1, field "header") for each of `names` that is not a
  // column: missing column "NAME" (expected a header EXPECTED).
  std::vector<Diagnostic> MissingColumns(const std::vector<std::string>& names,
                                         const std::string& expected) const;
};

// Reads `path`; the first record is the header. A UTF-8 byte order mark at the
// start of the text is skipped. Rows with a different number of
// fields than the header are an error naming their line.
StatusOr<CsvTable> ReadCsv(const std::string& path);
// Most bytes a CSV file may have (the largest bundled one has 7 MB): a
// larger file, or one without end such as /dev/zero, is refused before
// memory runs out.
inline constexpr size_t kMaxCsvBytes = size_t{256} << 20;
// Reads the whole of `path` when it has at most `max_bytes` bytes.
// kNotFound when it cannot be opened, kInvalidArgument when too large.
StatusOr<std::string> ReadTextFile(const std::string& path, size_t max_bytes = kMaxCsvBytes);
// Parses CSV text already in memory; `name` is used in messages.
StatusOr<CsvTable> ParseCsv(const std::string& text, const std::string& name);

// Parses a finite decimal number ("12", "-1.5", "4.7e12"); nullopt on anything
// else ("", " 1", "0x10", "inf", "nan", "1.2x").
std::optional<double> ParseDouble(const std::string& s);

// One CSV record with its line end: fields joined by ',', a field holding a
// comma, a quote, CR or LF quoted by libcsv as RFC 4180 requires
// ("a,\"b" -> "\"a,\"\"b\""); other fields as they are. Every CSV fungible
// writes goes through here, so what it writes ParseCsv reads back unchanged.
std::string CsvRecord(const std::vector<std::string>& fields);
// One field of a record, quoted the same way.
std::string CsvField(const std::string& field);

}  // namespace fungible

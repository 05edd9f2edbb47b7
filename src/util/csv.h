// Reading RFC-4180 CSV files (quoted fields, embedded newlines) through
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
};

// Reads `path`; the first record is the header. Rows with a different number of
// fields than the header are an error naming their line.
StatusOr<CsvTable> ReadCsv(const std::string& path);
// Parses CSV text already in memory; `name` is used in messages.
StatusOr<CsvTable> ParseCsv(const std::string& text, const std::string& name);

// Parses a finite double; nullopt on anything else ("", "inf", "1.2x").
std::optional<double> ParseDouble(const std::string& s);

}  // namespace fungible

// A small sparse LP/MIP container, independent of any solver. Stages build
// their models into an LpModel and hand it to lp/solve.h; nothing outside
// src/lp/ sees a COIN-OR type.
//
// Conventions:
//  * An LpModel is a MINIMISATION: objective = sum obj[j] * x[j]. Stages that
//    maximise value store -value.
//  * Infinite bounds are +-kLpInfinity (IEEE infinity); the solver adapter
//    maps them to COIN's infinity.
//  * Coefficients are triplets; several for the same (row, column) are summed
//    when the model is loaded or written.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace fungible {

inline constexpr double kLpInfinity = std::numeric_limits<double>::infinity();

struct LpModel {
  struct Column {
    double obj = 0;
    double lb = 0;
    double ub = kLpInfinity;
    bool is_integer = false;
  };
  struct Row {
    double lb = -kLpInfinity;
    double ub = kLpInfinity;
  };

  // keep_names = false skips storing names (faster builds for solve-only use);
  // names are then generated ("C12", "R7") when written.
  explicit LpModel(bool keep_names = true) : keep_names(keep_names) {}

  bool keep_names = true;
  std::vector<Column> columns;
  std::vector<Row> rows;
  std::vector<std::string> column_names;  // empty unless keep_names
  std::vector<std::string> row_names;     // empty unless keep_names
  std::vector<int> coef_row;              // triplets
  std::vector<int> coef_col;
  std::vector<double> coef_value;

  int AddColumn(std::string_view name, double obj, double lb, double ub, bool is_integer = false);
  int AddRow(std::string_view name, double lb, double ub);
  void AddCoefficient(int row, int col, double value) {
    coef_row.push_back(row);
    coef_col.push_back(col);
    coef_value.push_back(value);
  }
  void Reserve(size_t num_columns, size_t num_rows, size_t num_coefficients);

  int num_columns() const { return static_cast<int>(columns.size()); }
  int num_rows() const { return static_cast<int>(rows.size()); }
  size_t num_coefficients() const { return coef_value.size(); }
  bool has_integers() const;
  std::string ColumnName(int j) const;
  std::string RowName(int i) const;
};

}  // namespace fungible

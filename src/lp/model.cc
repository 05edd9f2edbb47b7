#include "lp/model.h"

namespace fungible {

int LpModel::AddColumn(std::string_view name, double obj, double lb, double ub, bool is_integer) {
  columns.push_back({obj, lb, ub, is_integer});
  if (keep_names) column_names.emplace_back(name);
  return static_cast<int>(columns.size()) - 1;
}

int LpModel::AddRow(std::string_view name, double lb, double ub) {
  rows.push_back({lb, ub});
  if (keep_names) row_names.emplace_back(name);
  return static_cast<int>(rows.size()) - 1;
}

void LpModel::Reserve(size_t num_columns, size_t num_rows, size_t num_coefficients) {
  columns.reserve(num_columns);
  rows.reserve(num_rows);
  if (keep_names) {
    column_names.reserve(num_columns);
    row_names.reserve(num_rows);
  }
  coef_row.reserve(num_coefficients);
  coef_col.reserve(num_coefficients);
  coef_value.reserve(num_coefficients);
}

bool LpModel::has_integers() const {
  for (const auto& c : columns)
    if (c.is_integer) return true;
  return false;
}

std::string LpModel::ColumnName(int j) const {
  if (keep_names && j < static_cast<int>(column_names.size()) && !column_names[j].empty())
    return column_names[j];
  return "C" + std::to_string(j);
}

std::string LpModel::RowName(int i) const {
  if (keep_names && i < static_cast<int>(row_names.size()) && !row_names[i].empty()) return row_names[i];
  return "R" + std::to_string(i);
}

}  // namespace fungible

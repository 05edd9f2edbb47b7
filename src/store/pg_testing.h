// Test support: a PostgreSQL schema of one's own, so that tests running in
// parallel (ctest -j) on one server never see each other's tables.
#pragma once

#include <unistd.h>

#include <cctype>
#include <pqxx/pqxx>
#include <string>

namespace fungible::store {

// Creates (afresh) schema `t_<tag>_<pid>` on the server at `url` and returns a
// URL whose connections use it: libpq's `options=-c search_path=...`.
inline std::string IsolatedPostgresUrl(const std::string& url, const std::string& tag) {
  std::string schema;
  for (char c : tag)
    schema += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  schema = "t_" + schema.substr(0, 40) + "_" + std::to_string(getpid());  // within 63 bytes
  pqxx::connection c(url);
  pqxx::work w(c);
  w.exec("SET client_min_messages TO WARNING; DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " +
         schema);
  w.commit();
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}

}  // namespace fungible::store

#include "store/store.h"

#include <string>

namespace fungible::store {

StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& url_or_path) {
  if (url_or_path.rfind("postgresql://", 0) == 0 || url_or_path.rfind("postgres://", 0) == 0)
    return OpenPostgresStore(url_or_path);
  std::string path = url_or_path;
  if (path.rfind("sqlite:", 0) == 0) path = path.substr(7);
  return OpenSqliteStore(path);
}

}  // namespace fungible::store

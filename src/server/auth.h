// Bearer-token authentication and roles for the HTTP API. Tokens are random
// (OpenSSL RAND_bytes), shown once when created, and stored only as their
// SHA-256 (OpenSSL EVP). Roles:
//   viewer - reads everything
//   team   - reads everything; submits and cancels jobs of its own team only
//   admin  - everything, including pools, plan and audit
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "util/status.h"

namespace fungible::server {

enum class Role { kViewer, kTeam, kAdmin };
const char* RoleName(Role r);  // "viewer", "team", "admin"
StatusOr<Role> ParseRole(const std::string& text);

struct Principal {
  std::string name;
  Role role = Role::kViewer;
  std::string team;  // role kTeam only
};

// Lower-case hex SHA-256 of `text`.
std::string Sha256Hex(const std::string& text);

// A new random token, "fgb_" + 64 hex characters. kInternal when the
// system's random source fails.
StatusOr<std::string> GenerateToken();

// Creates a token for (name, role, team), stores its hash and returns the
// token (the only time it is visible). A team token needs a team.
// `expires_at` 0 = never. kInvalidArgument when a token of that name exists,
// unless `replace` (the old secret then stops working). `now` is the
// creation time recorded.
StatusOr<std::string> AddToken(store::Store& store, const std::string& name, const std::string& role,
                               const std::string& team, UtcSeconds expires_at = 0, bool replace = false,
                               UtcSeconds now = 0);

// A new secret for the existing token `name` (role, team and expiry kept;
// `expires_at` > 0 replaces the expiry). kNotFound when there is none.
StatusOr<std::string> RotateToken(store::Store& store, const std::string& name, UtcSeconds expires_at = 0);

// Deletes the token `name`. kNotFound when there is none.
Status RevokeToken(store::Store& store, const std::string& name);

// Maps presented tokens to principals. Immutable after construction; safe
// to share between threads.
class TokenTable {
 public:
  TokenTable() = default;
  explicit TokenTable(const std::vector<store::TokenRecord>& records);
  // The principal for an "Authorization: Bearer <token>" header value (the
  // scheme name in any case, RFC 9110), or nullopt when it is missing,
  // malformed, unknown or expired at `now_utc` (seconds, wall clock).
  std::optional<Principal> Authenticate(const std::string& authorization_header, UtcSeconds now_utc) const;
  size_t size() const { return by_hash_.size(); }

 private:
  struct Entry {
    Principal principal;
    UtcSeconds expires_at = 0;
  };
  std::map<std::string, Entry> by_hash_;
};

}  // namespace fungible::server

#include "server/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>

namespace fungible::server {

const char* RoleName(Role r) {
  switch (r) {
    case Role::kViewer: return "viewer";
    case Role::kTeam: return "team";
    case Role::kAdmin: return "admin";
  }
  return "viewer";
}

StatusOr<Role> ParseRole(const std::string& text) {
  for (Role r : {Role::kViewer, Role::kTeam, Role::kAdmin})
    if (text == RoleName(r)) return r;
  return Status::Invalid("role: expected viewer, team or admin, got \"" + text + "\"");
}

namespace {
std::string Hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 15];
  }
  return out;
}
}  // namespace

std::string Sha256Hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

StatusOr<std::string> GenerateToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return Status::Internal("RAND_bytes failed: no random source");
  return "fgb_" + Hex(bytes, sizeof bytes);
}

StatusOr<std::string> AddToken(store::Store& store, const std::string& name, const std::string& role,
                               const std::string& team) {
  if (name.empty()) return Status::Invalid("token name: required");
  auto r = ParseRole(role);
  if (!r.ok()) return r.status();
  if (*r == Role::kTeam && team.empty()) return Status::Invalid("team: a team token needs --team");
  if (*r != Role::kTeam && !team.empty()) return Status::Invalid("team: only team tokens name a team");
  auto token = GenerateToken();
  if (!token.ok()) return token.status();
  FUNGIBLE_RETURN_IF_ERROR(store.PutToken({name, Sha256Hex(*token), role, team}));
  return token;
}

TokenTable::TokenTable(const std::vector<store::TokenRecord>& records) {
  for (const auto& r : records) {
    auto role = ParseRole(r.role);
    if (!role.ok()) continue;  // an unknown role grants nothing
    by_hash_[r.sha256_hex] = Principal{r.name, *role, r.team};
  }
}

std::optional<Principal> TokenTable::Authenticate(const std::string& header) const {
  static const std::string kPrefix = "Bearer ";
  if (header.size() <= kPrefix.size() || header.compare(0, kPrefix.size(), kPrefix) != 0) return std::nullopt;
  auto it = by_hash_.find(Sha256Hex(header.substr(kPrefix.size())));
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

}  // namespace fungible::server

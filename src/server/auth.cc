#include "server/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cctype>
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

namespace {
StatusOr<std::optional<store::TokenRecord>> FindToken(store::Store& store, const std::string& name) {
  auto all = store.LoadTokens();
  if (!all.ok()) return all.status();
  for (auto& t : *all)
    if (t.name == name) return std::optional<store::TokenRecord>(std::move(t));
  return std::optional<store::TokenRecord>();
}
}  // namespace

StatusOr<std::string> AddToken(store::Store& store, const std::string& name, const std::string& role,
                               const std::string& team, UtcSeconds expires_at, bool replace, UtcSeconds now) {
  if (name.empty()) return Status::Invalid("token name: required");
  auto r = ParseRole(role);
  if (!r.ok()) return r.status();
  if (*r == Role::kTeam && team.empty()) return Status::Invalid("team: a team token needs --team");
  if (*r != Role::kTeam && !team.empty()) return Status::Invalid("team: only team tokens name a team");
  if (!replace) {
    auto existing = FindToken(store, name);
    if (!existing.ok()) return existing.status();
    if (existing->has_value())
      return Status::Invalid("token \"" + name + "\" exists in " + store.Describe() +
                             "; choose another name, or pass --replace to give it a new secret and role");
  }
  auto token = GenerateToken();
  if (!token.ok()) return token.status();
  FUNGIBLE_RETURN_IF_ERROR(store.PutToken({name, Sha256Hex(*token), role, team, now, expires_at, 0}));
  return token;
}

StatusOr<std::string> RotateToken(store::Store& store, const std::string& name, UtcSeconds expires_at) {
  auto existing = FindToken(store, name);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value())
    return Status::NotFound("token \"" + name + "\" not found in " + store.Describe());
  store::TokenRecord rec = **existing;
  auto token = GenerateToken();
  if (!token.ok()) return token.status();
  rec.sha256_hex = Sha256Hex(*token);
  if (expires_at > 0) rec.expires_at = expires_at;
  FUNGIBLE_RETURN_IF_ERROR(store.PutToken(rec));
  return token;
}

Status RevokeToken(store::Store& store, const std::string& name) {
  auto deleted = store.DeleteToken(name);
  if (!deleted.ok()) return deleted.status();
  if (!*deleted) return Status::NotFound("token \"" + name + "\" not found in " + store.Describe());
  return Status::Ok();
}

TokenTable::TokenTable(const std::vector<store::TokenRecord>& records) {
  for (const auto& r : records) {
    auto role = ParseRole(r.role);
    if (!role.ok()) continue;  // an unknown role grants nothing
    by_hash_[r.sha256_hex] = Entry{Principal{r.name, *role, r.team}, r.expires_at};
  }
}

std::optional<Principal> TokenTable::Authenticate(const std::string& header, UtcSeconds now_utc) const {
  // "Bearer" is case-insensitive (RFC 9110 section 11.1); one or more spaces follow.
  static const std::string kScheme = "bearer";
  if (header.size() <= kScheme.size() + 1) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  size_t start = kScheme.size();
  if (header[start] != ' ') return std::nullopt;
  while (start < header.size() && header[start] == ' ') ++start;
  auto it = by_hash_.find(Sha256Hex(header.substr(start)));
  if (it == by_hash_.end()) return std::nullopt;
  if (it->second.expires_at > 0 && now_utc >= it->second.expires_at) return std::nullopt;
  return it->second.principal;
}

}  // namespace fungible::server

// The continue token of GET /v1/jobs: opaque to clients, it is the unpadded
// base64url (RFC 4648 section 5) of "after:" and the last job id a page
// returned; the next page starts after that id (job id order is submission
// order). Coded with OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock (standard
// base64) and the url-safe translation of '+' and '/' to '-' and '_'; tokens
// issued by earlier versions decode unchanged.
#pragma once

#include <optional>
#include <string>

namespace fungible::server {

std::string EncodeContinueToken(const std::string& last_id);

// The id a page starts after; nullopt for anything EncodeContinueToken does
// not make: a character outside the url-safe alphabet, padding, a length no
// encoding has (4n + 1), more than 4096 characters, or not "after:".
std::optional<std::string> DecodeContinueToken(const std::string& token);

}  // namespace fungible::server

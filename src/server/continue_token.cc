#include "server/continue_token.h"

#include <openssl/evp.h>

namespace fungible::server {

namespace {
constexpr const char* kPrefix = "after:";
constexpr size_t kMaxTokenChars = 4096;
}  // namespace

std::string EncodeContinueToken(const std::string& last_id) {
  const std::string in = kPrefix + last_id;
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');  // EVP_EncodeBlock writes a final NUL
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::optional<std::string> DecodeContinueToken(const std::string& token) {
  if (token.empty() || token.size() % 4 == 1 || token.size() > kMaxTokenChars) return std::nullopt;
  std::string in = token;
  for (char& c : in) {
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return std::nullopt;
  }
  const size_t pad = (4 - in.size() % 4) % 4;
  in.append(pad, '=');
  std::string out(in.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0 || static_cast<size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<size_t>(n) - pad);  // EVP_DecodeBlock counts the padding's zero bytes
  if (out.rfind(kPrefix, 0) != 0) return std::nullopt;
  return out.substr(std::char_traits<char>::length(kPrefix));
}

}  // namespace fungible::server

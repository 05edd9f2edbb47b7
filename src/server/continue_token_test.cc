#include "server/continue_token.h"

#include <gtest/gtest.h>

#include <string>

namespace fungible::server {
namespace {

// Known answers: RFC 4648 base64url without padding, as Python's
// base64.urlsafe_b64encode(...).rstrip(b"=") gives, and as the hand-written
// encoder before OpenSSL gave (tokens clients may still hold).
TEST(ContinueToken, EncodesUnpaddedBase64Url) {
  EXPECT_EQ(EncodeContinueToken(""), "YWZ0ZXI6");                                  // 6 bytes: no padding
  EXPECT_EQ(EncodeContinueToken("j"), "YWZ0ZXI6ag");                               // 7 bytes: "==" dropped
  EXPECT_EQ(EncodeContinueToken("j-"), "YWZ0ZXI6ai0");                             // 8 bytes: "=" dropped
  EXPECT_EQ(EncodeContinueToken("j-00000003"), "YWZ0ZXI6ai0wMDAwMDAwMw");          // the old encoder's token
  EXPECT_EQ(EncodeContinueToken(std::string("\xfb\xff\xbf", 3)), "YWZ0ZXI6-_-_");  // '+' '/' translated
}

TEST(ContinueToken, DecodesTokensIssuedBeforeOpenSsl) {
  EXPECT_EQ(DecodeContinueToken("YWZ0ZXI6ai0wMDAwMDAwMw"), "j-00000003");
  EXPECT_EQ(DecodeContinueToken("YWZ0ZXI6ai0wMDAwMDAwNg"), "j-00000006");
  EXPECT_EQ(DecodeContinueToken("YWZ0ZXI6"), "");
  EXPECT_EQ(DecodeContinueToken("YWZ0ZXI6-_-_"), std::string("\xfb\xff\xbf", 3));
}

// Property: every id, of every length mod 3 and with every byte value,
// comes back; the token uses only the url-safe alphabet.
TEST(ContinueToken, RoundTripsEveryByteAndLength) {
  std::string id;
  for (int i = 0; i < 300; ++i) {
    const std::string token = EncodeContinueToken(id);
    EXPECT_EQ(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos)
        << token;
    EXPECT_EQ(DecodeContinueToken(token), id) << "length " << id.size();
    id.push_back(static_cast<char>((i * 37 + 11) % 256));
  }
}

TEST(ContinueToken, RejectsWhatItNeverMakes) {
  for (const std::string bad : {"",              // empty
                                "!!",            // outside the alphabet
                                "YWZ0ZXI6ag==",  // padded
                                "YWZ0ZXI6+/+/",  // standard base64's alphabet
                                "YWZ0ZXI6a",     // a length no encoding has (4n + 1)
                                "YWZ0ZXI6 ag",   // a space
                                "Zm9vOmJhcg",    // "foo:bar": not "after:"
                                "YWZ0ZX"}) {     // "afte": not "after:"
    EXPECT_EQ(DecodeContinueToken(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(DecodeContinueToken(EncodeContinueToken(std::string(3100, 'x'))), std::nullopt)
      << "more than 4096 characters";
}

}  // namespace
}  // namespace fungible::server

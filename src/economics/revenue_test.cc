#include "economics/revenue.h"

#include <gtest/gtest.h>

namespace fungible {
namespace {

TEST(UsdPerOutputToken, KnownAnswer) {
  // 3 / 0.3 / 15 USD per million; 2,000 input of which 500 cached, 250 output:
  // 1,500 x 3 + 500 x 0.3 + 250 x 15 = 4,500 + 150 + 3,750 = 8,400 USD per million requests' tokens,
  // i.e. 0.0084 USD a request, 0.0084 / 250 = 3.36e-5 USD per output token.
  TokenPrices prices{3.0, 0.3, 15.0};
  RequestMix mix;
  mix.input_tokens_per_request = 2000;
  mix.cached_input_tokens_per_request = 500;
  mix.output_tokens_per_request = 250;
  auto usd = UsdPerOutputToken(prices, mix);
  ASSERT_TRUE(usd.ok()) << usd.status().ToString();
  EXPECT_NEAR(*usd, 3.36e-5, 1e-12);
}

TEST(UsdPerOutputToken, NoInputIsTheOutputPrice) {
  RequestMix mix;
  mix.output_tokens_per_request = 100;
  auto usd = UsdPerOutputToken({3.0, 0.3, 15.0}, mix);
  ASSERT_TRUE(usd.ok());
  EXPECT_DOUBLE_EQ(*usd, 15.0 / 1e6);
}

TEST(UsdPerOutputToken, RejectsBadInputs) {
  RequestMix mix;
  mix.input_tokens_per_request = 100;
  mix.cached_input_tokens_per_request = 200;  // more cached than input
  mix.output_tokens_per_request = 10;
  EXPECT_EQ(UsdPerOutputToken({1, 1, 1}, mix).status().code(), StatusCode::kInvalidArgument);
  mix.cached_input_tokens_per_request = 0;
  mix.output_tokens_per_request = 0;
  EXPECT_EQ(UsdPerOutputToken({1, 1, 1}, mix).status().code(), StatusCode::kInvalidArgument);
  mix.output_tokens_per_request = 10;
  EXPECT_EQ(UsdPerOutputToken({-1, 1, 1}, mix).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fungible

#include "crypto/util.h"

#include <gtest/gtest.h>

#include <string>

namespace vault::crypto {
namespace {

TEST(CryptoUtilTest, RandomBytesSizeAndFreshness) {
  EXPECT_EQ(RandomBytes(0), "");
  std::string a = RandomBytes(16);
  std::string b = RandomBytes(16);
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

TEST(CryptoUtilTest, HexIsLowercaseAndRoundTrips) {
  std::string bytes("\x00\x01\xab\xff\x7f", 5);
  EXPECT_EQ(HexEncode(bytes), "0001abff7f");
  EXPECT_EQ(HexEncode(""), "");
  std::string back;
  ASSERT_TRUE(HexDecode("0001abff7f", &back));
  EXPECT_EQ(back, bytes);
  ASSERT_TRUE(HexDecode("0001ABFF7F", &back));  // Upper case is read too.
  EXPECT_EQ(back, bytes);
}

TEST(CryptoUtilTest, HexDecodeRejectsMalformedAndLeavesOutputAlone) {
  std::string out = "unchanged";
  for (const char* bad : {"0", "abc", "zz", "00 11", "0x00", "00\n"}) {
    EXPECT_FALSE(HexDecode(bad, &out)) << bad;
    EXPECT_EQ(out, "unchanged");
  }
}

TEST(CryptoUtilTest, Base64UrlHasNoPaddingAndRoundTrips) {
  std::string bytes("\xfb\xff\xfe\x00\x01", 5);
  std::string text = Base64UrlEncode(bytes);
  EXPECT_EQ(text, "-__-AAE");
  std::string back;
  ASSERT_TRUE(Base64UrlDecode(text, &back));
  EXPECT_EQ(back, bytes);
  EXPECT_FALSE(Base64UrlDecode("+//+AAE", &back));  // Standard alphabet refused.
  EXPECT_FALSE(Base64UrlDecode("AAE=", &back));     // Padding refused.
  EXPECT_FALSE(Base64UrlDecode("A", &back));
}

}  // namespace
}  // namespace vault::crypto

#include "common/text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace vault {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// --- Name ---

TEST(TextTest, TrimsAndCollapsesNameWhitespace) {
  StatusOr<std::string> name = NormalizeName("  Jane \t  Doe\n ");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "Jane Doe");

  // U+00A0 NO-BREAK SPACE and U+3000 IDEOGRAPHIC SPACE count as whitespace.
  name = NormalizeName("\xC2\xA0Jane\xC2\xA0\xE3\x80\x80 Doe\xC2\xA0");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(*name, "Jane Doe");
}

TEST(TextTest, KeepsNameCaseAndMultibyteCharacters) {
  for (std::string_view input :
       {"Émile Zola", "Zoë O'Brien-Smith", "山田 太郎", "Ольга", "😀 Smile"}) {
    StatusOr<std::string> name = NormalizeName(input);
    ASSERT_TRUE(name.ok()) << input << ": " << name.status().ToString();
    EXPECT_EQ(*name, input);
  }
}

TEST(TextTest, NameLengthLimitIsInBytesAfterNormalizing) {
  EXPECT_TRUE(NormalizeName(std::string(200, 'a')).ok());
  EXPECT_FALSE(NormalizeName(std::string(201, 'a')).ok());
  // 100 two-byte characters are 200 bytes; 101 are too many.
  std::string accents;
  for (int i = 0; i < 100; ++i) {
    accents += "é";
  }
  EXPECT_TRUE(NormalizeName(accents).ok());
  EXPECT_FALSE(NormalizeName(accents + "é").ok());
  // Surrounding and collapsed whitespace does not count.
  EXPECT_TRUE(
      NormalizeName("   " + std::string(100, 'a') + "     " + std::string(99, 'b') + "   ").ok());
}

TEST(TextTest, RejectsInvalidNames) {
  for (std::string input : {
           std::string(""), std::string(" \t\n "), std::string("Jane\x01 Doe"),
           std::string("Jane\x1b[31mDoe"), std::string("Jane\x7f"), std::string("Jane\0Doe", 8),
           std::string("Jane\xC2\x85 Doe"),       // U+0085, a C1 control
           std::string("Jane \xE2\x80\xAE eoD"),  // U+202E RLO
           std::string("Jane \xE2\x81\xA6 Doe"),  // U+2066 LRI
           std::string("Jane\xFF"),               // not UTF-8
           std::string("Jane\xC3"),               // truncated
           std::string("\xC0\xAF"),               // overlong '/'
           std::string("\xED\xA0\x80"),           // surrogate U+D800
           std::string("\xF4\x90\x80\x80"),       // above U+10FFFF
       }) {
    StatusOr<std::string> name = NormalizeName(input);
    EXPECT_FALSE(name.ok()) << "accepted: " << input;
    if (!name.ok()) {
      EXPECT_EQ(name.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(name.status().reason(), "name_invalid");
    }
  }
}

TEST(TextTest, NameErrorNeverContainsInput) {
  StatusOr<std::string> name = NormalizeName("Secretive\x01Person");
  ASSERT_FALSE(name.ok());
  EXPECT_THAT(name.status().ToString(), Not(HasSubstr("Secretive")));
  EXPECT_THAT(name.status().ToString(), Not(HasSubstr("Person")));
}

// --- UTF-8 ---

TEST(TextTest, IsValidUtf8AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8(std::string_view("nul\0inside", 10)));
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));          // U+0080
  EXPECT_TRUE(IsValidUtf8("\xDF\xBF"));          // U+07FF
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));      // U+0800
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));      // U+E000
  EXPECT_TRUE(IsValidUtf8("\xEF\xBF\xBF"));      // U+FFFF
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(TextTest, IsValidUtf8RejectsMalformedText) {
  EXPECT_FALSE(IsValidUtf8("\x80"));  // lone continuation
  EXPECT_FALSE(IsValidUtf8("\xBF"));
  EXPECT_FALSE(IsValidUtf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));          // overlong
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));      // overlong
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // overlong
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // U+D800
  EXPECT_FALSE(IsValidUtf8("\xED\xBF\xBF"));      // U+DFFF
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(IsValidUtf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF8\x88\x80\x80\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFE"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));      // truncated
  EXPECT_FALSE(IsValidUtf8("\xE2\x80"));  // truncated
  EXPECT_FALSE(IsValidUtf8("\xC3(ok"));   // bad continuation
  EXPECT_FALSE(IsValidUtf8("ok\xE2\x28\xA1"));
}

// --- Trimming ---

TEST(TextTest, TrimAsciiWhitespaceTrimsBothEnds) {
  EXPECT_EQ(TrimAsciiWhitespace(" \t\n\v\f\rword and word\r\n"), "word and word");
  EXPECT_EQ(TrimAsciiWhitespace("word"), "word");
  EXPECT_EQ(TrimAsciiWhitespace(" \t "), "");
  EXPECT_EQ(TrimAsciiWhitespace(""), "");
  // U+00A0 is not ASCII whitespace.
  EXPECT_EQ(TrimAsciiWhitespace("\xC2\xA0x"), "\xC2\xA0x");
}

// --- Reasons ---

TEST(TextTest, NormalizeReasonTrimsAsciiWhitespace) {
  EXPECT_EQ(NormalizeReason("  ticket 1234\t\n"), std::optional<std::string>("ticket 1234"));
  EXPECT_EQ(NormalizeReason("ticket  1234"), std::optional<std::string>("ticket  1234"));
}

TEST(TextTest, NormalizeReasonLimitIsTwoHundredCodePoints) {
  EXPECT_TRUE(NormalizeReason(std::string(200, 'a')).has_value());
  EXPECT_FALSE(NormalizeReason(std::string(201, 'a')).has_value());
  // Code points, not bytes: 200 two-byte characters are 400 bytes.
  std::string accents;
  for (int i = 0; i < 200; ++i) {
    accents += "\xC3\xA9";  // U+00E9
  }
  EXPECT_EQ(NormalizeReason(accents), std::optional<std::string>(accents));
  EXPECT_FALSE(NormalizeReason(accents + "\xC3\xA9").has_value());
  // Surrounding whitespace does not count.
  EXPECT_TRUE(NormalizeReason("   " + std::string(200, 'a') + "   ").has_value());
}

TEST(TextTest, NormalizeReasonRejectsEmptyAndMalformed) {
  EXPECT_FALSE(NormalizeReason("").has_value());
  EXPECT_FALSE(NormalizeReason(" \t\r\n ").has_value());
  EXPECT_FALSE(NormalizeReason("audit\xFF").has_value());
  EXPECT_FALSE(NormalizeReason("audit\xC3").has_value());           // truncated
  EXPECT_FALSE(NormalizeReason("\xED\xA0\x80 audit").has_value());  // surrogate
}

}  // namespace
}  // namespace vault

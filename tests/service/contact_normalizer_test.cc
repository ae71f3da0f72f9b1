#include "service/contact_normalizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace vault::service {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// --- Email ---

TEST(ContactNormalizerTest, TrimsAndLowercasesEmail) {
  StatusOr<std::string> email = NormalizeEmail(" Alice@Example.COM");
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(*email, "alice@example.com");

  email = NormalizeEmail("\t alice@example.com \r\n");
  ASSERT_TRUE(email.ok()) << email.status().ToString();
  EXPECT_EQ(*email, "alice@example.com");
}

TEST(ContactNormalizerTest, AcceptsPracticalEmails) {
  for (std::string_view input : {
           "a@b.co",
           "jane.doe@example.com",
           "jane+receipts@example.com",
           "o'brien@example.ie",
           "x@mail.example.co.uk",
           "user_name-1@sub-domain.example.org",
           "!#$%&'*+/=?^_`{|}~-@example.com",
           "a@xn--80ak6aa92e.xn--p1ai",
           "1234@123.example.museum",
       }) {
    StatusOr<std::string> email = NormalizeEmail(input);
    EXPECT_TRUE(email.ok()) << input << ": " << email.status().ToString();
    if (email.ok()) {
      EXPECT_EQ(*email, input);
    }
  }
}

TEST(ContactNormalizerTest, RejectsInvalidEmails) {
  const std::string local64(64, 'a');
  const std::string label63(63, 'b');
  const std::string long_domain =
      label63 + "." + label63 + "." + label63 + "." + std::string(54, 'c') + ".com";
  ASSERT_EQ(("jane@" + long_domain).size(), 255u);
  for (std::string input : {
           std::string(""),
           std::string("   "),
           std::string("plainaddress"),
           std::string("@example.com"),
           std::string("jane@"),
           std::string("jane@@example.com"),
           std::string("jane@doe@example.com"),
           std::string("jane@localhost"),
           std::string("jane@example"),
           std::string("jane@example.c"),
           std::string("jane@example.c0m"),
           std::string("jane@example.123"),
           std::string("jane@example..com"),
           std::string("jane@.example.com"),
           std::string("jane@example.com."),
           std::string("jane@-example.com"),
           std::string("jane@example-.com"),
           std::string("jane@exa_mple.com"),
           std::string("jane@[192.168.0.1]"),
           std::string("jane@192.168.0.1"),
           std::string(".jane@example.com"),
           std::string("jane.@example.com"),
           std::string("ja..ne@example.com"),
           std::string("\"jane doe\"@example.com"),
           std::string("jane doe@example.com"),
           std::string("jane@exam ple.com"),
           std::string("jane(comment)@example.com"),
           std::string("jane,doe@example.com"),
           std::string("jane;doe@example.com"),
           std::string("jane\\doe@example.com"),
           std::string("jane\x01@example.com"),
           std::string("jane\x7f@example.com"),
           std::string("jane\0@example.com", 17),
           std::string("jane@exa\tmple.com"),
           std::string("jane@example.com\nbcc@example.com"),
           local64 + "a@example.com",                // local part of 65
           "jane@" + std::string(64, 'b') + ".com",  // label of 64
           "jane@" + long_domain,                    // 255 in total
       }) {
    StatusOr<std::string> email = NormalizeEmail(input);
    EXPECT_FALSE(email.ok()) << "accepted: " << input;
    if (!email.ok()) {
      EXPECT_EQ(email.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(email.status().reason(), "email_invalid");
    }
  }
}

TEST(ContactNormalizerTest, EmailLengthLimitsAreInclusive) {
  const std::string local64(64, 'a');
  EXPECT_TRUE(NormalizeEmail(local64 + "@example.com").ok());
  EXPECT_TRUE(NormalizeEmail("a@" + std::string(63, 'b') + ".com").ok());

  // 254 characters exactly: "a@" + 248-character domain + ".com".
  const std::string label63(63, 'b');
  const std::string domain = label63 + "." + label63 + "." + label63 + "." + std::string(56, 'c');
  const std::string email254 = "a@" + domain + ".com";
  ASSERT_EQ(email254.size(), 254u);
  EXPECT_TRUE(NormalizeEmail(email254).ok());
  EXPECT_FALSE(NormalizeEmail("a" + email254).ok());
}

TEST(ContactNormalizerTest, RejectsNonAsciiEmailAndSaysSo) {
  for (std::string_view input : {"jöhn@example.com", "john@exämple.com", "john@пример.рф",
                                 "john\xC2\xA0@example.com", "john@example.com\xFF"}) {
    StatusOr<std::string> email = NormalizeEmail(input);
    ASSERT_FALSE(email.ok()) << input;
    EXPECT_EQ(email.status().reason(), "email_invalid");
    EXPECT_THAT(email.status().message(), HasSubstr("ASCII"));
  }
}

TEST(ContactNormalizerTest, EmailErrorNeverContainsInput) {
  for (std::string_view input :
       {"secret.person@@example.com", "secret.person@example", "secretperson",
        "sécret.person@example.com", "secret person@example.com"}) {
    StatusOr<std::string> email = NormalizeEmail(input);
    ASSERT_FALSE(email.ok()) << input;
    EXPECT_EQ(email.status().message().find("secret"), std::string::npos);
    EXPECT_EQ(email.status().message().find("person"), std::string::npos);
    EXPECT_EQ(email.status().ToString().find("secret"), std::string::npos);
    EXPECT_THAT(email.status().message(), ::testing::StartsWith("email is not a valid address"));
  }
}

// --- Phone ---

TEST(ContactNormalizerTest, NormalizesNanpPhoneToE164) {
  for (std::string_view input :
       {"(514) 555-0199", "+1 514-555-0199", "+15145550199", "514.555.0199", "1-514-555-0199",
        "  514 555 0199\n", "011 1 514 555 0199"}) {
    StatusOr<std::string> phone = NormalizePhone(input, "CA");
    ASSERT_TRUE(phone.ok()) << input << ": " << phone.status().ToString();
    EXPECT_EQ(*phone, "+15145550199") << input;
  }
}

TEST(ContactNormalizerTest, FictionalFiveFiveFiveNumbersAreValid) {
  // The 555-01xx range is reserved for fiction; libphonenumber 8.12 accepts
  // it under real area codes, which is what every test in this repo relies on.
  StatusOr<std::string> phone = NormalizePhone("212 555 0123", "US");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+12125550123");
}

TEST(ContactNormalizerTest, RegionIsCaseInsensitive) {
  StatusOr<std::string> phone = NormalizePhone("(514) 555-0199", "ca");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+15145550199");
}

TEST(ContactNormalizerTest, InternationalNumberIgnoresDefaultRegion) {
  StatusOr<std::string> phone = NormalizePhone("+33 1 23 45 67 89", "CA");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+33123456789");

  phone = NormalizePhone("01 23 45 67 89", "FR");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+33123456789");

  phone = NormalizePhone("+44 20 7946 0123", "CA");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+442079460123");
}

TEST(ContactNormalizerTest, RejectsInvalidPhones) {
  for (std::string input : {
           std::string(""),
           std::string("   "),
           std::string("abc"),
           std::string("123"),
           std::string("+"),
           std::string("555-0199"),          // no area code
           std::string("(555) 555-0199"),    // no such area code
           std::string("514 555 01999"),     // too many digits
           std::string("+999 123 456 789"),  // no such country
           std::string("1-800-FLOWERS"),     // letters are not guessed
           std::string("514-555-0199abc"),
           std::string("call 514 555 0199"),
           std::string("514 555 0199 ext. 12"),
           std::string("514 555 0199 x12"),
           std::string("tel:+1-514-555-0199"),
           std::string("514 555 0199; 514 555 0100"),
           std::string("514\n555\n0199"),
           std::string("\xEF\xBC\x95\xEF\xBC\x91\xEF\xBC\x94 555 0199"),
           std::string(65, '1'),
           "+1 514 555 0199" + std::string(50, ' ') + "9",  // 65 characters
       }) {
    StatusOr<std::string> phone = NormalizePhone(input, "CA");
    EXPECT_FALSE(phone.ok()) << "accepted: " << input;
    if (!phone.ok()) {
      EXPECT_EQ(phone.status().code(), StatusCode::kInvalidArgument);
      EXPECT_EQ(phone.status().reason(), "phone_invalid");
    }
  }
}

TEST(ContactNormalizerTest, PhoneWithoutCountryCodeNeedsAKnownRegion) {
  EXPECT_FALSE(NormalizePhone("(514) 555-0199", "").ok());
  EXPECT_FALSE(NormalizePhone("(514) 555-0199", "XX").ok());
  EXPECT_FALSE(NormalizePhone("(514) 555-0199", "Canada").ok());
  // With a country code the region does not matter.
  StatusOr<std::string> phone = NormalizePhone("+1 514 555 0199", "");
  ASSERT_TRUE(phone.ok()) << phone.status().ToString();
  EXPECT_EQ(*phone, "+15145550199");
}

TEST(ContactNormalizerTest, PhoneLengthLimitIsSixtyFourCharacters) {
  std::string padded = "+1 514 555 0199";
  padded.insert(3, std::string(64 - padded.size(), ' '));
  ASSERT_EQ(padded.size(), 64u);
  EXPECT_TRUE(NormalizePhone(padded, "CA").ok());
  padded.insert(3, " ");
  EXPECT_FALSE(NormalizePhone(padded, "CA").ok());
}

TEST(ContactNormalizerTest, PhoneErrorNeverContainsInput) {
  for (std::string_view input :
       {"514 555 019", "5145550", "+999 8675309", "867-5309 abc", "867-5309 ext. 42"}) {
    StatusOr<std::string> phone = NormalizePhone(input, "CA");
    ASSERT_FALSE(phone.ok()) << input;
    EXPECT_EQ(phone.status().message(), "phone is not a valid phone number");
    EXPECT_THAT(phone.status().ToString(), Not(HasSubstr("555")));
    EXPECT_THAT(phone.status().ToString(), Not(HasSubstr("867")));
    EXPECT_THAT(phone.status().ToString(), Not(HasSubstr("5309")));
  }
}

}  // namespace
}  // namespace vault::service

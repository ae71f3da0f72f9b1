#include "policy/masking.h"

#include <gtest/gtest.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <set>
#include <string>

namespace vault::policy {
namespace {

TEST(MaskingTest, MasksEmailToFirstCharactersAndTld) {
  EXPECT_EQ(MaskEmail("jane.doe@example.com"), "j•••@e•••.com");
}

TEST(MaskingTest, MasksShortLocalPartAndDomain) { EXPECT_EQ(MaskEmail("a@b.co"), "a•••@b•••.co"); }

TEST(MaskingTest, MasksSubdomainsDownToFirstLabelAndTld) {
  EXPECT_EQ(MaskEmail("x@mail.example.co.uk"), "x•••@m•••.uk");
  EXPECT_EQ(MaskEmail("support+till@a.b.c.example.org"), "s•••@a•••.org");
}

TEST(MaskingTest, EmailMaskDoesNotRevealLengths) {
  EXPECT_EQ(MaskEmail("j@e.com"), MaskEmail("jacqueline.verylong@enterprise.com"));
}

TEST(MaskingTest, MalformedEmailMasksCompletely) {
  for (std::string input :
       {std::string(""), std::string("jane.doe"), std::string("@example.com"), std::string("jane@"),
        std::string("jane@example"), std::string("jane@.com"), std::string("jane@example."),
        std::string("jane@doe@example.com"), std::string("jane doe@x.com"),
        std::string("jäne@example.com"), std::string("jane@example.com\n")}) {
    EXPECT_EQ(MaskEmail(input), "•••") << input;
  }
}

TEST(MaskingTest, MasksNanpPhoneToLastFourDigits) {
  EXPECT_EQ(MaskPhone("+15145550199"), "•••-•••-0199");
  EXPECT_EQ(MaskPhone("+12125550123"), "•••-•••-0123");
}

TEST(MaskingTest, MasksInternationalPhoneToCountryCodeAndLastFour) {
  EXPECT_EQ(MaskPhone("+442079460123"), "+44 ••• 0123");
  EXPECT_EQ(MaskPhone("+33123456789"), "+33 ••• 6789");
  EXPECT_EQ(MaskPhone("+4930123456789"), "+49 ••• 6789");
}

TEST(MaskingTest, ShortOrUnparsablePhoneMasksCompletely) {
  for (std::string input : {
           std::string(""), std::string("+"), std::string("abc"),
           std::string("5145550199"),     // no '+': not E.164
           std::string("+1123"),          // too short
           std::string("+3541234567"),    // 7-digit Icelandic number
           std::string("+999123456789"),  // no such country
       }) {
    EXPECT_EQ(MaskPhone(input), "•••") << input;
  }
}

TEST(MaskingTest, MasksNonGeographicAndLeadingZeroNumbers) {
  EXPECT_EQ(MaskPhone("+80012345678"), "+800 ••• 5678");
  EXPECT_EQ(MaskPhone("+390612345678"), "+39 ••• 5678");  // Italy keeps its 0
}

// MaskPhone splits E.164 by hand; libphonenumber's full parse must agree on
// the example numbers (fixed line and mobile) of every region it knows.
TEST(MaskingTest, AgreesWithLibphonenumberOnEveryRegionsExamples) {
  using ::i18n::phonenumbers::PhoneNumber;
  using ::i18n::phonenumbers::PhoneNumberUtil;
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  std::set<std::string> regions;
  util.GetSupportedRegions(&regions);
  int checked = 0;
  for (const std::string& region : regions) {
    for (auto type : {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE}) {
      PhoneNumber example;
      if (!util.GetExampleNumberForType(region, type, &example)) continue;
      std::string e164;
      util.Format(example, PhoneNumberUtil::E164, &e164);
      std::string national;
      util.GetNationalSignificantNumber(example, &national);
      std::string want = "•••";
      if (national.size() >= 8) {
        std::string last = national.substr(national.size() - 4);
        want = example.country_code() == 1
                   ? "•••-•••-" + last
                   : "+" + std::to_string(example.country_code()) + " ••• " + last;
      }
      EXPECT_EQ(MaskPhone(e164), want) << region << " " << e164;
      ++checked;
    }
  }
  EXPECT_GT(checked, 400);
}

TEST(MaskingTest, MasksNameToFirstCharacterOfEachWord) {
  EXPECT_EQ(MaskName("Jane Doe"), "J••• D•••");
  EXPECT_EQ(MaskName("Cher"), "C•••");
  EXPECT_EQ(MaskName("Jean-Luc de la Tour"), "J••• d••• l••• T•••");
}

TEST(MaskingTest, MasksMultibyteNames) {
  EXPECT_EQ(MaskName("Émile"), "É•••");
  EXPECT_EQ(MaskName("Émile Zola"), "É••• Z•••");
  EXPECT_EQ(MaskName("山田 太郎"), "山••• 太•••");
  EXPECT_EQ(MaskName("😀 Smile"), "😀••• S•••");
}

TEST(MaskingTest, NameMaskToleratesStrayWhitespaceAndEmptyInput) {
  EXPECT_EQ(MaskName("  Jane \t Doe "), "J••• D•••");
  EXPECT_EQ(MaskName(""), "•••");
  EXPECT_EQ(MaskName("   "), "•••");
}

TEST(MaskingTest, NameMaskNeverSplitsACharacter) {
  EXPECT_EQ(MaskName("\xC3"), "•••");  // truncated 'É'
  EXPECT_EQ(MaskName("\xFF"
                     "abc"),
            "•••");  // not UTF-8
  EXPECT_EQ(MaskName("\x80"
                     "abc Doe"),
            "••• D•••");
}

}  // namespace
}  // namespace vault::policy

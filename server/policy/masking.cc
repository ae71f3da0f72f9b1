#include "policy/masking.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace vault::policy {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kHidden =
    "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // •••
constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";
constexpr int kNanpCountryCode = 1;
constexpr std::size_t kShownPhoneDigits = 4;
constexpr std::size_t kMinMaskablePhoneDigits = 8;

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7E) {  // char may be signed: bytes >= 0x80 are < 0.
      return false;
    }
  }
  return true;
}

// Length in bytes of the UTF-8 character at the start of `s`, or 0 if `s` is
// empty or does not start with a well-formed sequence. Checks the lead and
// continuation bytes only: enough not to cut a character in half, which is
// all masking needs; full validation belongs to the normalizer.
std::size_t FirstUtf8CharLength(std::string_view s) {
  if (s.empty()) {
    return 0;
  }
  const unsigned char lead = static_cast<unsigned char>(s[0]);
  std::size_t length;
  if (lead < 0x80) {
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (s.size() < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      return 0;
    }
  }
  return length;
}

}  // namespace

std::string MaskEmail(std::string_view normalized_email) {
  const std::string_view email = normalized_email;
  if (!IsPrintableAscii(email)) {
    return std::string(kHidden);
  }
  const std::size_t at = email.find('@');
  if (at == std::string_view::npos || at == 0 ||
      email.find('@', at + 1) != std::string_view::npos) {
    return std::string(kHidden);
  }
  const std::string_view domain = email.substr(at + 1);
  const std::size_t first_dot = domain.find('.');
  const std::size_t last_dot = domain.rfind('.');
  if (first_dot == std::string_view::npos || first_dot == 0 ||
      last_dot + 1 == domain.size()) {
    return std::string(kHidden);
  }
  std::string masked;
  masked.push_back(email[0]);
  masked.append(kHidden);
  masked.push_back('@');
  masked.push_back(domain[0]);
  masked.append(kHidden);
  masked.append(domain.substr(last_dot));  // ".com"
  return masked;
}

std::string MaskPhone(std::string_view e164) {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // "ZZ" (unknown region): only numbers with a leading '+' parse.
  if (util.Parse(std::string(e164), "ZZ", &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return std::string(kHidden);
  }
  std::string national;
  util.GetNationalSignificantNumber(number, &national);
  if (national.size() < kMinMaskablePhoneDigits) {
    return std::string(kHidden);
  }
  const std::string_view last_digits =
      std::string_view(national).substr(national.size() - kShownPhoneDigits);
  std::string masked;
  if (number.country_code() == kNanpCountryCode) {
    masked.append(kHidden);
    masked.push_back('-');
    masked.append(kHidden);
    masked.push_back('-');
  } else {
    masked.push_back('+');
    masked.append(std::to_string(number.country_code()));
    masked.push_back(' ');
    masked.append(kHidden);
    masked.push_back(' ');
  }
  masked.append(last_digits);
  return masked;
}

std::string MaskName(std::string_view name) {
  std::string masked;
  std::string_view rest = name;
  while (true) {
    const std::size_t begin = rest.find_first_not_of(kAsciiWhitespace);
    if (begin == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(begin);
    const std::size_t end = rest.find_first_of(kAsciiWhitespace);
    const std::string_view word = rest.substr(0, end);
    if (!masked.empty()) {
      masked.push_back(' ');
    }
    masked.append(word.substr(0, FirstUtf8CharLength(word)));
    masked.append(kHidden);
    rest.remove_prefix(word.size());
  }
  if (masked.empty()) {
    return std::string(kHidden);
  }
  return masked;
}

}  // namespace vault::policy

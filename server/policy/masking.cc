#include "policy/masking.h"

#include <phonenumbers/phonenumberutil.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace vault::policy {
namespace {

using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr std::string_view kHidden = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2";  // •••
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
  if (first_dot == std::string_view::npos || first_dot == 0 || last_dot + 1 == domain.size()) {
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
  // The stored value is E.164: '+', a country code of 1 to 3 digits (no
  // code is a prefix of another), then the national significant number.
  // Splitting it needs no parse (libphonenumber's Parse is regex-based and
  // was ~5% of a search's CPU).
  if (e164.size() < 2 || e164.size() > 16 || e164[0] != '+') return std::string(kHidden);
  const std::string_view digits = e164.substr(1);
  if (digits.find_first_not_of("0123456789") != std::string_view::npos || digits[0] == '0') {
    return std::string(kHidden);
  }
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  int country_code = 0;
  std::size_t code_length = 0;
  for (std::size_t n = 1; n <= 3 && n < digits.size(); ++n) {
    int candidate = 0;
    for (char d : digits.substr(0, n)) candidate = candidate * 10 + (d - '0');
    std::string region;
    util.GetRegionCodeForCountryCode(candidate, &region);
    if (region != "ZZ") {  // "001" for non-geographic codes such as 800
      country_code = candidate;
      code_length = n;
      break;
    }
  }
  if (country_code == 0) return std::string(kHidden);
  const std::string_view national = digits.substr(code_length);
  if (national.size() < kMinMaskablePhoneDigits) {
    return std::string(kHidden);
  }
  const std::string_view last_digits = national.substr(national.size() - kShownPhoneDigits);
  std::string masked;
  if (country_code == kNanpCountryCode) {
    masked.append(kHidden);
    masked.push_back('-');
    masked.append(kHidden);
    masked.push_back('-');
  } else {
    masked.push_back('+');
    masked.append(std::to_string(country_code));
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

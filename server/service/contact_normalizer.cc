#include "service/contact_normalizer.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace vault::service {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::size_t kMaxDomainLabelLength = 63;
constexpr std::size_t kMaxPhoneInputLength = 64;
constexpr std::size_t kMaxNameLength = 200;

constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";
constexpr std::string_view kEmailLocalSpecials = "!#$%&'*+/=?^_`{|}~.-";
constexpr std::string_view kPhoneSeparators = " +-.()/";

Status EmailInvalid() {
  return InvalidArgument("email is not a valid address", "email_invalid");
}

Status PhoneInvalid() {
  return InvalidArgument("phone is not a valid phone number", "phone_invalid");
}

Status NameInvalid() {
  return InvalidArgument("name is not a valid name", "name_invalid");
}

std::string_view TrimAsciiWhitespace(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(kAsciiWhitespace);
  if (begin == std::string_view::npos) {
    return {};
  }
  const std::size_t end = s.find_last_not_of(kAsciiWhitespace);
  return s.substr(begin, end - begin + 1);
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }

char ToAsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

char ToAsciiUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// Decodes one UTF-8 sequence starting at text[*pos]. On success stores the
// code point in *code_point, advances *pos past the sequence and returns true.
// Returns false (leaving *pos unchanged) on any malformed sequence.
bool DecodeUtf8(std::string_view text, std::size_t* pos, char32_t* code_point) {
  const std::size_t start = *pos;
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(start);
  std::size_t length;
  char32_t cp;
  char32_t min_code_point;
  if (lead < 0x80) {
    *code_point = lead;
    *pos = start + 1;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    min_code_point = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    min_code_point = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    min_code_point = 0x10000;
  } else {
    return false;  // A continuation byte or 0xF8..0xFF as a lead byte.
  }
  if (text.size() - start < length) {
    return false;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(start + i);
    if ((next & 0xC0) != 0x80) {
      return false;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min_code_point || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return false;
  }
  *code_point = cp;
  *pos = start + length;
  return true;
}

// Whitespace that NormalizeName collapses: ASCII whitespace and the Unicode
// space separators (Zs) plus the line and paragraph separators.
bool IsNameWhitespace(char32_t cp) {
  return cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\v' ||
         cp == U'\f' || cp == U'\r' || cp == 0x00A0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Characters a name may not contain: controls (Cc) and the bidirectional
// embedding/override/isolate controls, which can make a name display as
// something other than what is stored.
bool IsForbiddenInName(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

// REQUIRES: `local` is lower-cased ASCII.
bool IsValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPartLength) {
    return false;
  }
  if (local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (!IsAsciiLower(c) && !IsAsciiDigit(c) &&
        kEmailLocalSpecials.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool IsValidDomainLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxDomainLabelLength) {
    return false;
  }
  if (label.front() == '-' || label.back() == '-') {
    return false;
  }
  for (char c : label) {
    if (!IsAsciiLower(c) && !IsAsciiDigit(c) && c != '-') {
      return false;
    }
  }
  return true;
}

// REQUIRES: IsValidDomainLabel(tld).
bool IsValidTopLevelLabel(std::string_view tld) {
  if (tld.starts_with("xn--")) {
    return tld.size() > 4;  // An IDN TLD such as "xn--p1ai" (.рф).
  }
  if (tld.size() < 2) {
    return false;
  }
  for (char c : tld) {
    if (!IsAsciiLower(c)) {
      return false;
    }
  }
  return true;
}

// REQUIRES: `domain` is lower-cased ASCII.
bool IsValidDomain(std::string_view domain) {
  if (domain.find('.') == std::string_view::npos) {
    return false;
  }
  std::string_view rest = domain;
  while (true) {
    const std::size_t dot = rest.find('.');
    const std::string_view label = rest.substr(0, dot);
    if (!IsValidDomainLabel(label)) {
      return false;
    }
    if (dot == std::string_view::npos) {
      return IsValidTopLevelLabel(label);
    }
    rest.remove_prefix(dot + 1);
  }
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!DecodeUtf8(text, &pos, &cp)) {
      return false;
    }
  }
  return true;
}

StatusOr<std::string> NormalizeEmail(std::string_view input) {
  const std::string_view trimmed = TrimAsciiWhitespace(input);
  for (char c : trimmed) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return InvalidArgument(
          "email is not a valid address: only ASCII addresses are supported",
          "email_invalid");
    }
  }
  if (trimmed.empty() || trimmed.size() > kMaxEmailLength) {
    return EmailInvalid();
  }
  std::string email(trimmed);
  for (char& c : email) {
    c = ToAsciiLower(c);
  }
  const std::size_t at = email.find('@');
  if (at == std::string::npos || email.find('@', at + 1) != std::string::npos) {
    return EmailInvalid();
  }
  const std::string_view view(email);
  if (!IsValidLocalPart(view.substr(0, at)) ||
      !IsValidDomain(view.substr(at + 1))) {
    return EmailInvalid();
  }
  return email;
}

StatusOr<std::string> NormalizePhone(std::string_view input,
                                     std::string_view default_region) {
  const std::string_view trimmed = TrimAsciiWhitespace(input);
  if (trimmed.empty() || trimmed.size() > kMaxPhoneInputLength) {
    return PhoneInvalid();
  }
  for (char c : trimmed) {
    if (!IsAsciiDigit(c) &&
        kPhoneSeparators.find(c) == std::string_view::npos) {
      return PhoneInvalid();
    }
  }
  // libphonenumber's region codes are upper case ("CA"); "ca" would be
  // rejected as an unknown region.
  std::string region(default_region);
  for (char& c : region) {
    c = ToAsciiUpper(c);
  }

  // Note: Parse does not log by default (libphonenumber installs a
  // NullLogger); nothing here may install a logger that would see the input.
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  if (util.Parse(std::string(trimmed), region, &number) !=
      PhoneNumberUtil::NO_PARSING_ERROR) {
    return PhoneInvalid();
  }
  // E.164 cannot carry an extension; dropping it silently would store a
  // different number than the one given.
  if (number.has_extension()) {
    return PhoneInvalid();
  }
  // libphonenumber 8.12 accepts the fictional NANP 555-01xx range with real
  // area codes (+1 514 555 0199) as valid, so the full validity check is used
  // rather than the weaker IsPossibleNumber.
  if (!util.IsValidNumber(number)) {
    return PhoneInvalid();
  }
  std::string e164;
  util.Format(number, PhoneNumberUtil::E164, &e164);
  return e164;
}

StatusOr<std::string> NormalizeName(std::string_view input) {
  std::string name;
  name.reserve(input.size() < kMaxNameLength ? input.size() : kMaxNameLength);
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t start = pos;
    char32_t cp;
    if (!DecodeUtf8(input, &pos, &cp)) {
      return NameInvalid();  // Not well-formed UTF-8.
    }
    if (IsNameWhitespace(cp)) {
      pending_space = !name.empty();
      continue;
    }
    if (IsForbiddenInName(cp)) {
      return NameInvalid();
    }
    if (pending_space) {
      name.push_back(' ');
      pending_space = false;
    }
    name.append(input.substr(start, pos - start));
    if (name.size() > kMaxNameLength) {
      return NameInvalid();
    }
  }
  if (name.empty()) {
    return NameInvalid();
  }
  return name;
}

}  // namespace vault::service

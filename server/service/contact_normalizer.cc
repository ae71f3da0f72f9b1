#include "service/contact_normalizer.h"

#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/text.h"

namespace vault::service {
namespace {

using ::i18n::phonenumbers::PhoneNumber;
using ::i18n::phonenumbers::PhoneNumberUtil;

constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxLocalPartLength = 64;
constexpr std::size_t kMaxDomainLabelLength = 63;
constexpr std::size_t kMaxPhoneInputLength = 64;

constexpr std::string_view kEmailLocalSpecials = "!#$%&'*+/=?^_`{|}~.-";
constexpr std::string_view kPhoneSeparators = " +-.()/";

Status EmailInvalid() { return InvalidArgument("email is not a valid address", "email_invalid"); }

Status PhoneInvalid() {
  return InvalidArgument("phone is not a valid phone number", "phone_invalid");
}

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAsciiLower(char c) { return c >= 'a' && c <= 'z'; }

char ToAsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

char ToAsciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// REQUIRES: `local` is lower-cased ASCII.
bool IsValidLocalPart(std::string_view local) {
  if (local.empty() || local.size() > kMaxLocalPartLength) {
    return false;
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
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

StatusOr<std::string> NormalizeEmail(std::string_view input) {
  const std::string_view trimmed = TrimAsciiWhitespace(input);
  for (char c : trimmed) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return InvalidArgument("email is not a valid address: only ASCII addresses are supported",
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
  if (!IsValidLocalPart(view.substr(0, at)) || !IsValidDomain(view.substr(at + 1))) {
    return EmailInvalid();
  }
  return email;
}

StatusOr<std::string> NormalizePhone(std::string_view input, std::string_view default_region) {
  const std::string_view trimmed = TrimAsciiWhitespace(input);
  if (trimmed.empty() || trimmed.size() > kMaxPhoneInputLength) {
    return PhoneInvalid();
  }
  for (char c : trimmed) {
    if (!IsAsciiDigit(c) && kPhoneSeparators.find(c) == std::string_view::npos) {
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
  if (util.Parse(std::string(trimmed), region, &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
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

}  // namespace vault::service

// Canonical forms of the contact fields a customer types: email and phone (a
// name goes through NormalizeName in common/text.h). Everything that is
// encrypted, blind-indexed or compared goes through these functions first, so
// that "Alice@Example.COM " and "alice@example.com" are the same customer.
// Errors are InvalidArgument with a stable reason ("email_invalid",
// "phone_invalid") and a message that names the field but never repeats the
// input: these messages reach logs and clients. All functions are pure and
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace vault::service {

// Returns the address trimmed of ASCII whitespace and lower-cased (ASCII).
// Accepts a practical subset of RFC 5321: exactly one '@'; a local part of
// 1..64 characters from letters, digits and !#$%&'*+/=?^_`{|}~.- with no
// leading, trailing or doubled dot; a domain of at least two dot-separated
// labels of 1..63 characters from [a-z0-9-] that neither start nor end with
// '-', whose last label (the TLD) is at least two letters or an IDN "xn--"
// label; at most 254 characters in all. Quoted local parts, IP literals and
// non-ASCII (internationalized) addresses are rejected; the last with a
// message that says so. Returns InvalidArgument (reason "email_invalid")
// otherwise.
StatusOr<std::string> NormalizeEmail(std::string_view input);

// Returns the number in E.164 form ("+15145550199"). `default_region` is an
// ISO 3166-1 alpha-2 code ("CA", case-insensitive) used when the input has
// no leading '+' or international prefix. The input, once trimmed, must be at
// most 64 characters of ASCII digits, spaces and "+-.()/": letters (vanity
// numbers, "ext."), "tel:" URIs and free text are rejected rather than
// guessed at. The number must be valid per libphonenumber (IsValidNumber) and
// carry no extension. Returns InvalidArgument (reason "phone_invalid")
// otherwise, including when `default_region` is unknown and the input has
// no country code.
StatusOr<std::string> NormalizePhone(std::string_view input, std::string_view default_region);

}  // namespace vault::service

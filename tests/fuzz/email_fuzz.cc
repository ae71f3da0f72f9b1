// Fuzzes the email and name normalizers (service/contact_normalizer.h,
// common/text.h) with arbitrary bytes. Properties: no crash; an accepted
// email is at most 254 bytes of lower-case ASCII with one '@', and
// normalizing it again gives it back unchanged; an accepted name is valid
// UTF-8 of 1..200 bytes, trimmed, and stable under a second pass; a refusal
// carries the documented reason and never echoes the input.
#include <cstddef>
#include <cstdint>
#include <string>

#include "common/text.h"
#include "fuzz_check.h"
#include "service/contact_normalizer.h"

using vault::fuzz::Bytes;
namespace svc = vault::service;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = Bytes(data, size);
  bool utf8 = vault::IsValidUtf8(input);

  auto email = svc::NormalizeEmail(input);
  if (email.ok()) {
    const std::string& e = *email;
    FUZZ_CHECK(!e.empty() && e.size() <= 254, "email length");
    size_t ats = 0;
    for (char c : e) {
      auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u > 0x20 && u < 0x7f, "email is printable ASCII");
      FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "email is lower-case");
      ats += c == '@';
    }
    FUZZ_CHECK(ats == 1, "exactly one @");
    auto again = svc::NormalizeEmail(e);
    FUZZ_CHECK(again.ok() && *again == e, "email normalization is idempotent");
  } else {
    FUZZ_CHECK(email.status().reason() == "email_invalid", "email refusal reason");
    // The messages are fixed text without '@': an input holding one can
    // only appear in a message that echoes it.
    if (input.find('@') != std::string_view::npos) {
      FUZZ_CHECK(email.status().message().find(input) == std::string::npos,
                 "email refusal never repeats the input");
    }
  }

  auto name = vault::NormalizeName(input);
  if (name.ok()) {
    const std::string& n = *name;
    FUZZ_CHECK(utf8, "an accepted name came from valid UTF-8");
    FUZZ_CHECK(!n.empty() && n.size() <= 200, "name length");
    FUZZ_CHECK(vault::IsValidUtf8(n), "name output is UTF-8");
    FUZZ_CHECK(n.front() != ' ' && n.back() != ' ', "name is trimmed");
    FUZZ_CHECK(n.find("  ") == std::string::npos, "name spaces collapsed");
    for (char c : n) {
      auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u >= 0x20 && u != 0x7f, "name holds no ASCII control");
    }
    auto again = vault::NormalizeName(n);
    FUZZ_CHECK(again.ok() && *again == n, "name normalization is idempotent");
  } else {
    FUZZ_CHECK(name.status().reason() == "name_invalid", "name refusal reason");
  }
  return 0;
}

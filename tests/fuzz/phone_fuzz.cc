// Fuzzes the phone normalizer (service/contact_normalizer.h). The first byte
// picks the default region (including an empty and an unknown one), the rest
// is the typed number. Properties: no crash, no hang in libphonenumber; an
// accepted number is E.164 ('+' then digits only), and normalizing it again
// under any region gives it back unchanged; a refusal says "phone_invalid".
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "service/contact_normalizer.h"

using vault::fuzz::Bytes;
namespace svc = vault::service;

namespace {

constexpr std::array<std::string_view, 8> kRegions = {"CA", "us", "GB", "FR", "IN", "DE", "", "ZZ"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view region = kRegions[data[0] % kRegions.size()];
  std::string_view input = Bytes(data + 1, size - 1);

  auto phone = svc::NormalizePhone(input, region);
  if (!phone.ok()) {
    FUZZ_CHECK(phone.status().reason() == "phone_invalid", "phone refusal reason");
    return 0;
  }
  const std::string& p = *phone;
  // libphonenumber accepts national numbers of up to 17 digits (some German
  // ones exceed E.164's 15), after a country code of up to 3.
  FUZZ_CHECK(p.size() >= 2 && p.size() <= 21 && p[0] == '+', "E.164 shape");
  for (size_t i = 1; i < p.size(); ++i) {
    FUZZ_CHECK(p[i] >= '0' && p[i] <= '9', "E.164 digits");
  }
  auto again = svc::NormalizePhone(p, "ZZ");
  FUZZ_CHECK(again.ok() && *again == p, "phone normalization is idempotent");
  return 0;
}

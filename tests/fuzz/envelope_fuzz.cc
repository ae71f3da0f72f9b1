// Fuzzes the decoders of the two envelopes (crypto/envelope.h) under a fixed
// key. The first byte picks what runs; the rest is split into a record id, a
// field name or KEK id, and the envelope bytes:
//   0: OpenField on arbitrary bytes
//   1: WrappedDekKeyId and UnwrapDek on arbitrary bytes
//   2: SealField then OpenField round trip, then a one-byte change must fail
//   3: WrapDek then UnwrapDek round trip, then a one-byte change must fail
// Properties: no crash; every failure is DataLoss "decryption failed" and
// nothing else; a sealed value opens only with its own record id and field.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/envelope.h"
#include "fuzz_check.h"

using vault::fuzz::Bytes;
namespace crypto = vault::crypto;

namespace {

// Fixed test keys: 32 bytes 0x01.., and a DEK of 0x40...
const crypto::SecretBytes& Key() {
  static const auto* k = [] {
    std::string bytes(32, '\0');
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i + 1);
    return new crypto::SecretBytes(crypto::SecretBytes::CopyFrom(bytes));
  }();
  return *k;
}

void CheckFailure(const vault::Status& st) {
  FUZZ_CHECK(st.code() == vault::StatusCode::kDataLoss, "a failed open is DataLoss");
  FUZZ_CHECK(st.message() == "decryption failed", "a failed open says only that");
}

// Takes a length-prefixed piece (length = first byte % (max+1)) off `in`.
std::string_view Take(std::string_view& in, size_t max) {
  if (in.empty()) return {};
  size_t n = static_cast<unsigned char>(in[0]) % (max + 1);
  in.remove_prefix(1);
  n = std::min(n, in.size());
  std::string_view piece = in.substr(0, n);
  in.remove_prefix(n);
  return piece;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (sodium_init() < 0) std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  int mode = data[0] % 4;
  std::string_view in = Bytes(data + 1, size - 1);
  std::string_view record_id = Take(in, 40);
  std::string_view field = Take(in, 12);

  switch (mode) {
    case 0: {
      auto opened = crypto::OpenField(Key(), record_id, field, in);
      if (!opened.ok()) CheckFailure(opened.status());
      break;
    }
    case 1: {
      auto id = crypto::WrappedDekKeyId(in);
      if (!id.ok()) {
        CheckFailure(id.status());
        FUZZ_CHECK(in.size() != crypto::kWrappedDekSize ||
                       static_cast<uint8_t>(in[0]) != crypto::kEnvelopeVersion,
                   "a well-formed header names its key");
      }
      uint32_t kek_id = id.ok() ? *id : 1;
      auto dek = crypto::UnwrapDek(Key(), kek_id, record_id, in);
      if (!dek.ok()) {
        CheckFailure(dek.status());
      } else {
        FUZZ_CHECK(dek->size() == crypto::kDekSize, "an unwrapped DEK is 32 bytes");
      }
      // The header's id is not the key's: it must never open under another id.
      auto other = crypto::UnwrapDek(Key(), kek_id + 1, record_id, in);
      FUZZ_CHECK(!other.ok(), "a DEK opens only under the KEK id it names");
      break;
    }
    case 2: {
      std::string sealed = crypto::SealField(Key(), record_id, field, in);
      auto opened = crypto::OpenField(Key(), record_id, field, sealed);
      FUZZ_CHECK(opened.ok() && *opened == in, "a sealed field opens");
      std::string other_field = std::string(field) + "x";
      FUZZ_CHECK(!crypto::OpenField(Key(), record_id, other_field, sealed).ok(),
                 "a field ciphertext is bound to its field");
      FUZZ_CHECK(!crypto::OpenField(Key(), std::string(record_id) + "x", field, sealed).ok(),
                 "a field ciphertext is bound to its record");
      size_t at = in.empty() ? 0 : static_cast<unsigned char>(in[0]) % sealed.size();
      sealed[at] = static_cast<char>(sealed[at] ^ 0x01);
      auto tampered = crypto::OpenField(Key(), record_id, field, sealed);
      FUZZ_CHECK(!tampered.ok(), "a changed byte fails");
      CheckFailure(tampered.status());
      break;
    }
    case 3: {
      uint32_t kek_id = 0;
      for (char c : field) kek_id = kek_id * 31 + static_cast<unsigned char>(c);
      crypto::SecretBytes dek = crypto::NewDek();
      std::string wrapped = crypto::WrapDek(Key(), kek_id, record_id, dek);
      FUZZ_CHECK(wrapped.size() == crypto::kWrappedDekSize, "wrapped DEK size");
      auto id = crypto::WrappedDekKeyId(wrapped);
      FUZZ_CHECK(id.ok() && *id == kek_id, "the header names the KEK");
      auto back = crypto::UnwrapDek(Key(), kek_id, record_id, wrapped);
      FUZZ_CHECK(back.ok() && back->Equals(dek), "a wrapped DEK unwraps");
      FUZZ_CHECK(!crypto::UnwrapDek(Key(), kek_id, std::string(record_id) + "x", wrapped).ok(),
                 "a DEK is bound to its record");
      size_t at = in.empty() ? 0 : static_cast<unsigned char>(in[0]) % wrapped.size();
      wrapped[at] = static_cast<char>(wrapped[at] ^ 0x80);
      auto tampered = crypto::UnwrapDek(Key(), kek_id, record_id, wrapped);
      FUZZ_CHECK(!tampered.ok(), "a changed byte fails");
      CheckFailure(tampered.status());
      break;
    }
  }
  return 0;
}

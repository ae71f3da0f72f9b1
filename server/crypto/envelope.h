// The two envelopes of DESIGN.md, byte by byte in schema/FORMATS.md:
//   field:  version(1) ‖ nonce(24) ‖ ciphertext ‖ tag(16)
//           AAD = "field" 0x00 ‖ record id ‖ 0x00 ‖ field name
//   DEK:    version(1) ‖ kek_id(4, big-endian) ‖ nonce(24) ‖ ciphertext(32) ‖ tag(16)
//           AAD = "dek" 0x00 ‖ record id ‖ 0x00 ‖ kek_id(4, big-endian)
// Binding the record id and field name means a ciphertext copied to another
// record or field fails to open; binding the KEK id means a DEK presented as
// wrapped by another key fails. Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr size_t kDekSize = 32;
inline constexpr size_t kWrappedDekSize = 1 + 4 + 24 + kDekSize + 16;

// A fresh random data key for one record.
SecretBytes NewDek();

std::string SealField(const SecretBytes& dek, std::string_view record_id,
                      std::string_view field_name, std::string_view plaintext);
// Returns DataLoss("decryption failed") on any mismatch or tampering.
StatusOr<std::string> OpenField(const SecretBytes& dek, std::string_view record_id,
                                std::string_view field_name, std::string_view envelope);

std::string WrapDek(const SecretBytes& kek, uint32_t kek_id, std::string_view record_id,
                    const SecretBytes& dek);
// The KEK id named in a wrapped DEK's header (not yet authenticated: the
// unwrap authenticates it). DataLoss on a malformed envelope.
StatusOr<uint32_t> WrappedDekKeyId(std::string_view wrapped);
StatusOr<SecretBytes> UnwrapDek(const SecretBytes& kek, uint32_t kek_id, std::string_view record_id,
                                std::string_view wrapped);

}  // namespace vault::crypto

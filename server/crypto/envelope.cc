#include "crypto/envelope.h"

#include <string>

#include "crypto/aead.h"

namespace vault::crypto {
namespace {

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  out[0] = static_cast<char>(v >> 24);
  out[1] = static_cast<char>(v >> 16);
  out[2] = static_cast<char>(v >> 8);
  out[3] = static_cast<char>(v);
  return out;
}

std::string FieldAad(std::string_view record_id, std::string_view field_name) {
  std::string aad("field", 5);
  aad.push_back('\0');
  aad.append(record_id);
  aad.push_back('\0');
  aad.append(field_name);
  return aad;
}

std::string DekAad(std::string_view record_id, uint32_t kek_id) {
  std::string aad("dek", 3);
  aad.push_back('\0');
  aad.append(record_id);
  aad.push_back('\0');
  aad.append(BigEndian32(kek_id));
  return aad;
}

}  // namespace

// DEKs live inline (see SecretBytes): one per record, for one request.
SecretBytes NewDek() { return SecretBytes::Random(kDekSize, SecretBytes::Storage::kInline); }

std::string SealField(const SecretBytes& dek, std::string_view record_id,
                      std::string_view field_name, std::string_view plaintext) {
  std::string out(1, static_cast<char>(kEnvelopeVersion));
  out.append(AeadSeal(dek, plaintext, FieldAad(record_id, field_name)));
  return out;
}

StatusOr<std::string> OpenField(const SecretBytes& dek, std::string_view record_id,
                                std::string_view field_name, std::string_view envelope) {
  if (envelope.size() < 1 + kAeadOverhead ||
      static_cast<uint8_t>(envelope[0]) != kEnvelopeVersion) {
    return DecryptionFailed();
  }
  return AeadOpen(dek, envelope.substr(1), FieldAad(record_id, field_name));
}

std::string WrapDek(const SecretBytes& kek, uint32_t kek_id, std::string_view record_id,
                    const SecretBytes& dek) {
  std::string out(1, static_cast<char>(kEnvelopeVersion));
  out.append(BigEndian32(kek_id));
  out.append(AeadSeal(kek, dek.ExposeSecret(), DekAad(record_id, kek_id)));
  return out;
}

StatusOr<uint32_t> WrappedDekKeyId(std::string_view wrapped) {
  if (wrapped.size() != kWrappedDekSize || static_cast<uint8_t>(wrapped[0]) != kEnvelopeVersion) {
    return DecryptionFailed();
  }
  const auto* b = reinterpret_cast<const unsigned char*>(wrapped.data()) + 1;
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

StatusOr<SecretBytes> UnwrapDek(const SecretBytes& kek, uint32_t kek_id, std::string_view record_id,
                                std::string_view wrapped) {
  ASSIGN_OR_RETURN(uint32_t header_id, WrappedDekKeyId(wrapped));
  if (header_id != kek_id) return DecryptionFailed();
  ASSIGN_OR_RETURN(SecretBytes dek,
                   AeadOpenSecret(kek, wrapped.substr(5), DekAad(record_id, kek_id),
                                  SecretBytes::Storage::kInline));
  if (dek.size() != kDekSize) return DecryptionFailed();
  return dek;
}

}  // namespace vault::crypto

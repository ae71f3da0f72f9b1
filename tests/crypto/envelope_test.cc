#include "crypto/envelope.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/aead.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {
namespace {

using namespace std::string_literals;

SecretBytes FixedKey(char byte) { return SecretBytes::CopyFrom(std::string(32, byte)); }

constexpr char kRecord[] = "cus_00112233445566778899aabbccddeeff";
constexpr char kOtherRecord[] = "cus_ffeeddccbbaa99887766554433221100";
constexpr char kPlaintext[] = "alice@example.com";

void ExpectDecryptionFailed(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "decryption failed");
}

std::string FlipBit(std::string s, size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

std::string WithKeyIdHeader(std::string wrapped, uint32_t id) {
  wrapped[1] = static_cast<char>(id >> 24);
  wrapped[2] = static_cast<char>(id >> 16);
  wrapped[3] = static_cast<char>(id >> 8);
  wrapped[4] = static_cast<char>(id);
  return wrapped;
}

// ---- Field envelope ----

TEST(EnvelopeTest, FieldRoundTrip) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  auto opened = OpenField(dek, kRecord, "email", env);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, kPlaintext);
}

TEST(EnvelopeTest, FieldLayoutIsVersionNonceCiphertextTag) {
  std::string env = SealField(FixedKey('\x01'), kRecord, "email", kPlaintext);
  ASSERT_EQ(env.size(), 1 + kAeadNonceSize + std::string(kPlaintext).size() + kAeadTagSize);
  EXPECT_EQ(static_cast<uint8_t>(env[0]), kEnvelopeVersion);
  EXPECT_EQ(kEnvelopeVersion, 1);
  EXPECT_EQ(env.find(kPlaintext), std::string::npos);
}

// Pins the byte format of schema/FORMATS.md: AAD = "field" 0x00 id 0x00 name,
// sealed box after the version byte.
TEST(EnvelopeTest, FieldMatchesDocumentedEncoding) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "phone", "+15145550199");
  std::string aad = "field\0"s + kRecord + "\0"s + "phone";
  auto opened = AeadOpen(dek, std::string_view(env).substr(1), aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "+15145550199");
}

TEST(EnvelopeTest, FieldVersionByteChangedFails) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  for (int v : {0x00, 0x02, 0x80, 0xff}) {
    std::string bad = env;
    bad[0] = static_cast<char>(v);
    auto opened = OpenField(dek, kRecord, "email", bad);
    ASSERT_FALSE(opened.ok()) << "version " << v;
    ExpectDecryptionFailed(opened.status());
  }
}

TEST(EnvelopeTest, FieldCopiedToAnotherRecordFails) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  // Same DEK (worst case: the attacker cannot pick the DEK, but even a shared
  // one must not let the ciphertext move).
  ExpectDecryptionFailed(OpenField(dek, kOtherRecord, "email", env).status());
  ExpectDecryptionFailed(OpenField(dek, "", "email", env).status());
}

TEST(EnvelopeTest, FieldCopiedToAnotherFieldOfSameRecordFails) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  ExpectDecryptionFailed(OpenField(dek, kRecord, "phone", env).status());
  ExpectDecryptionFailed(OpenField(dek, kRecord, "name", env).status());
  ExpectDecryptionFailed(OpenField(dek, kRecord, "", env).status());
}

// The 0x00 separator keeps the record id and the field name apart: moving
// bytes from one to the other changes the AAD.
TEST(EnvelopeTest, FieldRecordAndNameBoundaryIsBound) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, "cus_a", "email", kPlaintext);
  ExpectDecryptionFailed(OpenField(dek, "cus_", "aemail", env).status());
  ExpectDecryptionFailed(OpenField(dek, "cus_ae", "mail", env).status());
}

TEST(EnvelopeTest, FieldFlippedBitAnywhereFails) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  for (size_t bit = 0; bit < env.size() * 8; ++bit) {
    auto opened = OpenField(dek, kRecord, "email", FlipBit(env, bit));
    ASSERT_FALSE(opened.ok()) << "bit " << bit << " flipped still opens";
    ExpectDecryptionFailed(opened.status());
  }
}

TEST(EnvelopeTest, FieldTruncatedFails) {
  SecretBytes dek = FixedKey('\x01');
  std::string env = SealField(dek, kRecord, "email", kPlaintext);
  for (size_t len = 0; len < env.size(); ++len) {
    auto opened = OpenField(dek, kRecord, "email", env.substr(0, len));
    ASSERT_FALSE(opened.ok()) << len;
    ExpectDecryptionFailed(opened.status());
  }
}

TEST(EnvelopeTest, FieldWrongDekFails) {
  std::string env = SealField(FixedKey('\x01'), kRecord, "email", kPlaintext);
  ExpectDecryptionFailed(OpenField(FixedKey('\x02'), kRecord, "email", env).status());
}

TEST(EnvelopeTest, NewDekIsRandom32Bytes) {
  SecretBytes a = NewDek();
  SecretBytes b = NewDek();
  EXPECT_EQ(a.size(), kDekSize);
  EXPECT_EQ(kDekSize, 32u);
  EXPECT_FALSE(a.Equals(b));
}

// ---- Wrapped DEK ----

TEST(EnvelopeTest, DekWrapRoundTrip) {
  SecretBytes kek = FixedKey('\x0a');
  SecretBytes dek = FixedKey('\x0d');
  std::string wrapped = WrapDek(kek, 1, kRecord, dek);
  EXPECT_EQ(wrapped.size(), kWrappedDekSize);
  EXPECT_EQ(kWrappedDekSize, 77u);
  EXPECT_EQ(static_cast<uint8_t>(wrapped[0]), kEnvelopeVersion);
  auto unwrapped = UnwrapDek(kek, 1, kRecord, wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->Equals(dek));
  EXPECT_EQ(wrapped.find(dek.ExposeSecret()), std::string::npos);
}

// Pins schema/FORMATS.md: header version ‖ kek_id (big-endian), then a sealed
// box with AAD = "dek" 0x00 id 0x00 kek_id (big-endian).
TEST(EnvelopeTest, DekMatchesDocumentedEncoding) {
  SecretBytes kek = FixedKey('\x0a');
  SecretBytes dek = FixedKey('\x0d');
  std::string wrapped = WrapDek(kek, 0x01020304, kRecord, dek);
  EXPECT_EQ(wrapped.substr(0, 5), "\x01\x01\x02\x03\x04"s);
  std::string aad = "dek\0"s + kRecord + "\0\x01\x02\x03\x04"s;
  auto opened = AeadOpen(kek, std::string_view(wrapped).substr(5), aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, dek.ExposeSecret());
}

TEST(EnvelopeTest, DekUnwrapUnderAnotherKekFails) {
  SecretBytes dek = FixedKey('\x0d');
  std::string wrapped = WrapDek(FixedKey('\x0a'), 1, kRecord, dek);
  ExpectDecryptionFailed(UnwrapDek(FixedKey('\x0b'), 1, kRecord, wrapped).status());
}

TEST(EnvelopeTest, DekWrappedUnderKeyOnePresentedAsKeyTwoFails) {
  SecretBytes kek1 = FixedKey('\x0a');
  SecretBytes kek2 = FixedKey('\x0b');
  SecretBytes dek = FixedKey('\x0d');
  std::string wrapped = WrapDek(kek1, 1, kRecord, dek);

  // Header untouched (says 1), caller claims 2: with either KEK.
  ExpectDecryptionFailed(UnwrapDek(kek1, 2, kRecord, wrapped).status());
  ExpectDecryptionFailed(UnwrapDek(kek2, 2, kRecord, wrapped).status());

  // Header edited to say 2: the AAD binds the real id, so neither the KEK that
  // made it nor the true KEK of id 2 opens it.
  std::string edited = WithKeyIdHeader(wrapped, 2);
  auto parsed = WrappedDekKeyId(edited);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, 2u);
  ExpectDecryptionFailed(UnwrapDek(kek1, 2, kRecord, edited).status());
  ExpectDecryptionFailed(UnwrapDek(kek2, 2, kRecord, edited).status());
  // And the edited header no longer opens as id 1 either.
  ExpectDecryptionFailed(UnwrapDek(kek1, 1, kRecord, edited).status());
}

TEST(EnvelopeTest, DekWrongRecordIdFails) {
  SecretBytes kek = FixedKey('\x0a');
  std::string wrapped = WrapDek(kek, 1, kRecord, FixedKey('\x0d'));
  ExpectDecryptionFailed(UnwrapDek(kek, 1, kOtherRecord, wrapped).status());
  ExpectDecryptionFailed(UnwrapDek(kek, 1, "", wrapped).status());
}

TEST(EnvelopeTest, DekFlippedBitAnywhereFails) {
  SecretBytes kek = FixedKey('\x0a');
  std::string wrapped = WrapDek(kek, 7, kRecord, FixedKey('\x0d'));
  for (size_t bit = 0; bit < wrapped.size() * 8; ++bit) {
    auto unwrapped = UnwrapDek(kek, 7, kRecord, FlipBit(wrapped, bit));
    ASSERT_FALSE(unwrapped.ok()) << "bit " << bit << " flipped still unwraps";
    ExpectDecryptionFailed(unwrapped.status());
  }
}

TEST(EnvelopeTest, WrappedDekKeyIdParsesHeader) {
  SecretBytes kek = FixedKey('\x0a');
  SecretBytes dek = FixedKey('\x0d');
  for (uint32_t id : {1u, 2u, 0x00000100u, 0x01020304u, 0xfffffffeu, 0xffffffffu}) {
    std::string wrapped = WrapDek(kek, id, kRecord, dek);
    auto parsed = WrappedDekKeyId(wrapped);
    ASSERT_TRUE(parsed.ok()) << id;
    EXPECT_EQ(*parsed, id);
    EXPECT_EQ(uint32_t{static_cast<uint8_t>(wrapped[1])}, id >> 24);
    EXPECT_EQ(uint32_t{static_cast<uint8_t>(wrapped[4])}, id & 0xffu);
    auto unwrapped = UnwrapDek(kek, id, kRecord, wrapped);
    ASSERT_TRUE(unwrapped.ok()) << id;
  }
}

TEST(EnvelopeTest, WrappedDekMalformedSizesFail) {
  SecretBytes kek = FixedKey('\x0a');
  std::string wrapped = WrapDek(kek, 1, kRecord, FixedKey('\x0d'));
  for (size_t len : {size_t{0}, size_t{1}, size_t{4}, size_t{5}, size_t{5 + kAeadOverhead},
                     kWrappedDekSize - 1}) {
    std::string bad = wrapped.substr(0, len);
    ExpectDecryptionFailed(WrappedDekKeyId(bad).status());
    ExpectDecryptionFailed(UnwrapDek(kek, 1, kRecord, bad).status());
  }
  std::string longer = wrapped + '\0';
  ExpectDecryptionFailed(WrappedDekKeyId(longer).status());
  ExpectDecryptionFailed(UnwrapDek(kek, 1, kRecord, longer).status());
}

// A well-formed AEAD box around a key of the wrong size is still refused.
TEST(EnvelopeTest, WrappedDekOfWrongKeySizeFails) {
  SecretBytes kek = FixedKey('\x0a');
  std::string wrapped = WrapDek(kek, 1, kRecord, SecretBytes::CopyFrom("short"));
  ExpectDecryptionFailed(WrappedDekKeyId(wrapped).status());
  ExpectDecryptionFailed(UnwrapDek(kek, 1, kRecord, wrapped).status());
}

TEST(EnvelopeTest, WrappedDekVersionByteChangedFails) {
  SecretBytes kek = FixedKey('\x0a');
  std::string wrapped = WrapDek(kek, 1, kRecord, FixedKey('\x0d'));
  for (int v : {0x00, 0x02, 0xff}) {
    std::string bad = wrapped;
    bad[0] = static_cast<char>(v);
    ExpectDecryptionFailed(WrappedDekKeyId(bad).status());
    ExpectDecryptionFailed(UnwrapDek(kek, 1, kRecord, bad).status());
  }
}

}  // namespace
}  // namespace vault::crypto

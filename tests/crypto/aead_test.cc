#include "crypto/aead.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "crypto/secret_bytes.h"

namespace vault::crypto {
namespace {

using namespace std::string_view_literals;

// Fixed test keys: distinct, never random, so a failure reproduces.
SecretBytes KeyA() { return SecretBytes::CopyFrom(std::string(kAeadKeySize, '\x11')); }
SecretBytes KeyB() { return SecretBytes::CopyFrom(std::string(kAeadKeySize, '\x22')); }

constexpr std::string_view kPlaintext = "alice@example.com";
constexpr std::string_view kAad = "field\0cus_0001\0email"sv;  // 20 bytes

// The one error every failed open must return, and nothing more specific.
void ExpectDecryptionFailed(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  EXPECT_EQ(status.message(), "decryption failed");
  EXPECT_EQ(status.reason(), "decryption_failed");
}

std::string FlipBit(std::string s, size_t bit) {
  s[bit / 8] = static_cast<char>(s[bit / 8] ^ (1 << (bit % 8)));
  return s;
}

TEST(AeadTest, RoundTrip) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, kPlaintext, kAad);
  auto opened = AeadOpen(key, sealed, kAad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, kPlaintext);
}

TEST(AeadTest, RoundTripEmptyPlaintextAndEmptyAad) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, "", "");
  EXPECT_EQ(sealed.size(), kAeadOverhead);
  auto opened = AeadOpen(key, sealed, "");
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "");
}

TEST(AeadTest, SealedLayoutIsNonceCiphertextTag) {
  std::string sealed = AeadSeal(KeyA(), kPlaintext, kAad);
  EXPECT_EQ(sealed.size(), kAeadNonceSize + kPlaintext.size() + kAeadTagSize);
  // The plaintext does not appear in the clear.
  EXPECT_EQ(sealed.find(kPlaintext), std::string::npos);
}

TEST(AeadTest, NonceIsFreshPerSeal) {
  SecretBytes key = KeyA();
  std::string a = AeadSeal(key, kPlaintext, kAad);
  std::string b = AeadSeal(key, kPlaintext, kAad);
  EXPECT_NE(a.substr(0, kAeadNonceSize), b.substr(0, kAeadNonceSize));
  EXPECT_NE(a, b);
}

TEST(AeadTest, FlippedBitInNonceCiphertextOrTagFails) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, kPlaintext, kAad);
  // Every bit of nonce(24) ‖ ciphertext ‖ tag(16).
  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    auto opened = AeadOpen(key, FlipBit(sealed, bit), kAad);
    ASSERT_FALSE(opened.ok()) << "bit " << bit << " flipped still opens";
    ExpectDecryptionFailed(opened.status());
  }
}

TEST(AeadTest, FlippedBitInAssociatedDataFails) {
  SecretBytes key = KeyA();
  std::string aad(kAad);
  std::string sealed = AeadSeal(key, kPlaintext, aad);
  for (size_t bit = 0; bit < aad.size() * 8; ++bit) {
    auto opened = AeadOpen(key, sealed, FlipBit(aad, bit));
    ASSERT_FALSE(opened.ok()) << "AAD bit " << bit << " flipped still opens";
    ExpectDecryptionFailed(opened.status());
  }
}

TEST(AeadTest, ExtendedOrTruncatedAssociatedDataFails) {
  SecretBytes key = KeyA();
  std::string aad(kAad);
  std::string sealed = AeadSeal(key, kPlaintext, aad);
  ExpectDecryptionFailed(AeadOpen(key, sealed, aad + '\0').status());
  ExpectDecryptionFailed(AeadOpen(key, sealed, aad.substr(0, aad.size() - 1)).status());
  ExpectDecryptionFailed(AeadOpen(key, sealed, "").status());
}

TEST(AeadTest, WrongKeyFails) {
  std::string sealed = AeadSeal(KeyA(), kPlaintext, kAad);
  ExpectDecryptionFailed(AeadOpen(KeyB(), sealed, kAad).status());
  ExpectDecryptionFailed(AeadOpenSecret(KeyB(), sealed, kAad).status());
}

TEST(AeadTest, WrongKeySizeFailsWithoutAborting) {
  std::string sealed = AeadSeal(KeyA(), kPlaintext, kAad);
  SecretBytes short_key = SecretBytes::CopyFrom(std::string(16, '\x11'));
  ExpectDecryptionFailed(AeadOpen(short_key, sealed, kAad).status());
  ExpectDecryptionFailed(AeadOpen(SecretBytes(), sealed, kAad).status());
}

TEST(AeadTest, TruncatedInputFails) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, kPlaintext, kAad);
  // Every proper prefix, including those shorter than nonce + tag.
  for (size_t len = 0; len < sealed.size(); ++len) {
    auto opened = AeadOpen(key, sealed.substr(0, len), kAad);
    ASSERT_FALSE(opened.ok()) << "prefix of " << len << " bytes opens";
    ExpectDecryptionFailed(opened.status());
  }
  // Dropping leading bytes fails too.
  ExpectDecryptionFailed(AeadOpen(key, sealed.substr(1), kAad).status());
}

TEST(AeadTest, AppendedBytesFail) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, kPlaintext, kAad);
  ExpectDecryptionFailed(AeadOpen(key, sealed + '\0', kAad).status());
}

TEST(AeadTest, OpenSecretRoundTripAndTamperFails) {
  SecretBytes key = KeyA();
  SecretBytes secret = SecretBytes::CopyFrom(std::string(32, '\x5a'));
  std::string sealed = AeadSeal(key, secret.ExposeSecret(), kAad);
  auto opened = AeadOpenSecret(key, sealed, kAad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_TRUE(opened->Equals(secret));

  for (size_t bit = 0; bit < sealed.size() * 8; ++bit) {
    auto bad = AeadOpenSecret(key, FlipBit(sealed, bit), kAad);
    ASSERT_FALSE(bad.ok()) << "bit " << bit;
    ExpectDecryptionFailed(bad.status());
  }
  ExpectDecryptionFailed(AeadOpenSecret(key, sealed, "other").status());
  ExpectDecryptionFailed(AeadOpenSecret(key, sealed.substr(0, kAeadOverhead - 1), kAad).status());
}

// Every way an open can fail (wrong key, altered nonce, ciphertext, tag or
// associated data, truncation, too short to hold a tag), through both
// AeadOpen and AeadOpenSecret, returns the very same Status: no failure is
// told apart from another, so the error is no oracle.
TEST(AeadTest, DecryptionFailedIsTheOneError) {
  SecretBytes key = KeyA();
  std::string sealed = AeadSeal(key, kPlaintext, kAad);
  const size_t last_bit = sealed.size() * 8 - 1;
  const std::string empty_sealed = AeadSeal(key, "", kAad);  // a tag and nothing else
  struct Failing {
    const char* what;
    const SecretBytes* key;
    std::string sealed;
    std::string_view aad;
  };
  SecretBytes other = KeyB();
  std::vector<Failing> failing = {
      {"wrong key", &other, sealed, kAad},
      {"nonce bit", &key, FlipBit(sealed, 3), kAad},
      {"ciphertext bit", &key, FlipBit(sealed, kAeadNonceSize * 8 + 5), kAad},
      {"tag bit", &key, FlipBit(sealed, last_bit), kAad},
      {"other aad", &key, sealed, "field\0cus_0002\0email"sv},
      {"truncated", &key, sealed.substr(0, sealed.size() - 1), kAad},
      {"shorter than a tag", &key, sealed.substr(0, kAeadOverhead - 1), kAad},
      {"empty", &key, "", kAad},
      {"tag bit, empty plaintext", &key, FlipBit(empty_sealed, empty_sealed.size() * 8 - 1), kAad},
  };
  std::vector<std::pair<std::string, std::string>> seen;  // (what, status)
  for (const Failing& f : failing) {
    Status open = AeadOpen(*f.key, f.sealed, f.aad).status();
    Status open_secret = AeadOpenSecret(*f.key, f.sealed, f.aad).status();
    seen.emplace_back(std::string(f.what) + " (AeadOpen)",
                      open.ToString() + " reason=" + open.reason());
    seen.emplace_back(std::string(f.what) + " (AeadOpenSecret)",
                      open_secret.ToString() + " reason=" + open_secret.reason());
  }
  const std::string expected =
      DecryptionFailed().ToString() + " reason=" + DecryptionFailed().reason();
  for (const auto& [what, status] : seen) {
    EXPECT_EQ(status, expected) << what;
  }
  ExpectDecryptionFailed(AeadOpen(other, sealed, kAad).status());
}

}  // namespace
}  // namespace vault::crypto

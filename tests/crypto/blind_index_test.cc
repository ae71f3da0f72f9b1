#include "crypto/blind_index.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <string>

#include "crypto/secret_bytes.h"

namespace vault::crypto {
namespace {

using namespace std::string_literals;

SecretBytes FixedKey(char byte) { return SecretBytes::CopyFrom(std::string(32, byte)); }

// The stored index columns hold 32 bytes (schema/FORMATS.md): every index is
// that long whatever the input, and is a whole BLAKE2b-256 output, not a
// shorter digest left padded with zeros.
TEST(BlindIndexTest, EqualForEqualInputAnd32Bytes) {
  static_assert(kBlindIndexSize == 32);
  SecretBytes key = FixedKey('\x31');
  std::string a = BlindIndex(key, IndexKind::kEmail, "alice@example.com");
  std::string b = BlindIndex(key, IndexKind::kEmail, std::string("alice@example.com"));
  EXPECT_EQ(a, b);
  for (const std::string& input : {""s, "a"s, "alice@example.com"s, std::string(4096, 'x')}) {
    for (IndexKind kind : {IndexKind::kEmail, IndexKind::kPhone}) {
      std::string index = BlindIndex(key, kind, input);
      EXPECT_EQ(index.size(), 32u) << input.size() << " bytes in";
      EXPECT_NE(index.substr(16), std::string(16, '\0')) << input.size() << " bytes in";
    }
  }
}

TEST(BlindIndexTest, DifferentValuesDiffer) {
  SecretBytes key = FixedKey('\x31');
  EXPECT_NE(BlindIndex(key, IndexKind::kEmail, "alice@example.com"),
            BlindIndex(key, IndexKind::kEmail, "alice@example.co"));
  EXPECT_NE(BlindIndex(key, IndexKind::kEmail, "alice@example.com"),
            BlindIndex(key, IndexKind::kEmail, "bob@example.com"));
  EXPECT_NE(BlindIndex(key, IndexKind::kEmail, ""), BlindIndex(key, IndexKind::kEmail, "\0"s));
}

TEST(BlindIndexTest, DiffersUnderTwoKeys) {
  EXPECT_NE(BlindIndex(FixedKey('\x31'), IndexKind::kEmail, "alice@example.com"),
            BlindIndex(FixedKey('\x32'), IndexKind::kEmail, "alice@example.com"));
  EXPECT_NE(BlindIndex(FixedKey('\x31'), IndexKind::kPhone, "+15145550199"),
            BlindIndex(FixedKey('\x32'), IndexKind::kPhone, "+15145550199"));
}

TEST(BlindIndexTest, DiffersBetweenEmailAndPhoneForSameText) {
  SecretBytes key = FixedKey('\x31');
  for (const char* text : {"+15145550199", "alice@example.com", ""}) {
    EXPECT_NE(BlindIndex(key, IndexKind::kEmail, text), BlindIndex(key, IndexKind::kPhone, text))
        << text;
  }
}

TEST(BlindIndexTest, Deterministic) {
  SecretBytes key = FixedKey('\x31');
  std::string first = BlindIndex(key, IndexKind::kPhone, "+15145550199");
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(BlindIndex(key, IndexKind::kPhone, "+15145550199"), first);
  }
  // A copy of the key in another buffer gives the same index (no hidden state).
  SecretBytes same = SecretBytes::CopyFrom(key.ExposeSecret());
  EXPECT_EQ(BlindIndex(same, IndexKind::kPhone, "+15145550199"), first);
}

// Pins schema/FORMATS.md: keyed BLAKE2b-256 over "email" 0x00 ‖ value or
// "phone" 0x00 ‖ value. Changing the encoding would orphan every stored index.
TEST(BlindIndexTest, MatchesDocumentedEncoding) {
  SecretBytes key = FixedKey('\x31');
  auto reference = [&](const std::string& input) {
    std::string out(crypto_generichash_BYTES, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(out.data()), out.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                       key.data(), key.size());
    return out;
  };
  EXPECT_EQ(BlindIndex(key, IndexKind::kEmail, "alice@example.com"),
            reference("email\0alice@example.com"s));
  EXPECT_EQ(BlindIndex(key, IndexKind::kPhone, "+15145550199"), reference("phone\0+15145550199"s));
}

// Without the key the index is not a plain hash of the value.
TEST(BlindIndexTest, IsKeyedNotAPlainHash) {
  SecretBytes key = FixedKey('\x31');
  std::string input = "email\0alice@example.com"s;
  std::string unkeyed(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(unkeyed.data()), unkeyed.size(),
                     reinterpret_cast<const unsigned char*>(input.data()), input.size(), nullptr,
                     0);
  EXPECT_NE(BlindIndex(key, IndexKind::kEmail, "alice@example.com"), unkeyed);
}

}  // namespace
}  // namespace vault::crypto

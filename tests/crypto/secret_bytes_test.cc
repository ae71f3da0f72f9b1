#include "crypto/secret_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace vault::crypto {
namespace {

// Secrets are never copied by accident.
static_assert(!std::is_copy_constructible_v<SecretBytes>);
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
static_assert(std::is_nothrow_move_assignable_v<SecretBytes>);
// No implicit conversion from a size or a string.
static_assert(!std::is_convertible_v<size_t, SecretBytes>);
static_assert(!std::is_convertible_v<std::string, SecretBytes>);
static_assert(!std::is_convertible_v<std::string_view, SecretBytes>);

TEST(SecretBytesTest, DefaultIsEmpty) {
  SecretBytes s;
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.ExposeSecret(), "");
}

TEST(SecretBytesTest, SizedIsZeroed) {
  SecretBytes s(48);
  ASSERT_EQ(s.size(), 48u);
  EXPECT_EQ(s.ExposeSecret(), std::string(48, '\0'));
}

TEST(SecretBytesTest, RandomHasRequestedSizeAndDiffers) {
  SecretBytes a = SecretBytes::Random(32);
  SecretBytes b = SecretBytes::Random(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(b.size(), 32u);
  EXPECT_FALSE(a.Equals(b));
  EXPECT_NE(a.ExposeSecret(), std::string(32, '\0'));
  EXPECT_EQ(SecretBytes::Random(1).size(), 1u);
  EXPECT_TRUE(SecretBytes::Random(0).empty());
}

TEST(SecretBytesTest, CopyFromCopiesBytes) {
  std::string source("k\0e\xffy", 5);
  SecretBytes s = SecretBytes::CopyFrom(source);
  EXPECT_EQ(s.size(), 5u);
  EXPECT_EQ(s.ExposeSecret(), source);
  // An independent copy: the caller may wipe its own.
  EXPECT_NE(static_cast<const void*>(s.data()), static_cast<const void*>(source.data()));
  source[0] = 'X';
  EXPECT_EQ(s.ExposeSecret()[0], 'k');
  EXPECT_TRUE(SecretBytes::CopyFrom("").empty());
}

TEST(SecretBytesTest, EqualsComparesEveryByteAndTheSize) {
  std::string bytes(32, '\x42');
  SecretBytes a = SecretBytes::CopyFrom(bytes);
  EXPECT_TRUE(a.Equals(SecretBytes::CopyFrom(bytes)));
  EXPECT_TRUE(a.Equals(a));
  // A difference in any position, first to last, is seen.
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string other = bytes;
    other[i] = '\x43';
    EXPECT_FALSE(a.Equals(SecretBytes::CopyFrom(other))) << i;
  }
  // A prefix is not equal, nor a longer value.
  EXPECT_FALSE(a.Equals(SecretBytes::CopyFrom(bytes.substr(0, 31))));
  EXPECT_FALSE(a.Equals(SecretBytes::CopyFrom(bytes + '\x42')));
  EXPECT_FALSE(a.Equals(SecretBytes()));
  EXPECT_TRUE(SecretBytes().Equals(SecretBytes()));
}

TEST(SecretBytesTest, MoveConstructLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom("secret");
  const unsigned char* where = a.data();
  SecretBytes b(std::move(a));
  EXPECT_EQ(b.ExposeSecret(), "secret");
  EXPECT_EQ(b.data(), where);  // Moved, not copied.
  EXPECT_TRUE(a.empty());      // NOLINT(bugprone-use-after-move): the contract.
  EXPECT_EQ(a.data(), nullptr);
}

TEST(SecretBytesTest, MoveAssignLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::CopyFrom("secret");
  SecretBytes b = SecretBytes::CopyFrom("older value");
  b = std::move(a);
  EXPECT_EQ(b.ExposeSecret(), "secret");
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract.
  EXPECT_EQ(a.data(), nullptr);
  // The emptied source is reusable.
  a = SecretBytes::CopyFrom("again");
  EXPECT_EQ(a.ExposeSecret(), "again");
}

// Inline storage (the per-record DEKs): the bytes live in the object, a
// move copies them and wipes the source's copy, a destroyed or reassigned
// object leaves no copy behind.
TEST(SecretBytesTest, InlineMoveCopiesAndWipesTheSource) {
  SecretBytes a =
      SecretBytes::CopyFrom("0123456789abcdef0123456789abcdef", SecretBytes::Storage::kInline);
  ASSERT_TRUE(a.is_inline());
  const unsigned char* old = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(b.is_inline());
  EXPECT_EQ(b.ExposeSecret(), "0123456789abcdef0123456789abcdef");
  EXPECT_NE(b.data(), old);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract.
  for (size_t i = 0; i < 32; ++i) EXPECT_EQ(old[i], 0) << i;  // a's buffer, wiped

  SecretBytes c = SecretBytes::Random(32, SecretBytes::Storage::kInline);
  const unsigned char* c_bytes = c.data();
  c = std::move(b);
  EXPECT_EQ(c.ExposeSecret(), "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(c.data(), c_bytes);  // its own buffer, overwritten
  EXPECT_TRUE(b.empty());        // NOLINT(bugprone-use-after-move)
}

TEST(SecretBytesTest, InlineAndGuardedMoveIntoEachOther) {
  SecretBytes guarded = SecretBytes::CopyFrom("guarded");
  SecretBytes in = SecretBytes::CopyFrom("inline", SecretBytes::Storage::kInline);
  in = std::move(guarded);
  EXPECT_FALSE(in.is_inline());
  EXPECT_EQ(in.ExposeSecret(), "guarded");
  SecretBytes again = SecretBytes::CopyFrom("inline again", SecretBytes::Storage::kInline);
  in = std::move(again);
  EXPECT_TRUE(in.is_inline());
  EXPECT_EQ(in.ExposeSecret(), "inline again");
}

TEST(SecretBytesTest, InlineLargerThanItsCapacityIsGuarded) {
  SecretBytes big =
      SecretBytes::Random(SecretBytes::kInlineCapacity + 1, SecretBytes::Storage::kInline);
  EXPECT_FALSE(big.is_inline());
  EXPECT_EQ(big.size(), SecretBytes::kInlineCapacity + 1);
  SecretBytes zero(16, SecretBytes::Storage::kInline);
  EXPECT_EQ(zero.ExposeSecret(), std::string(16, '\0'));
}

// The bytes themselves are overwritten, not only the length set to zero:
// clear() keeps the buffer, so the plaintext would still be in it.
TEST(SecretBytesTest, WipeStringClears) {
  for (std::string plaintext : {std::string("alice@example.com"),  // in the object (SSO)
                                std::string("alice.wonderland@example-shop.test, +15145550199")}) {
    const size_t size = plaintext.size();
    const char* buffer = plaintext.data();
    ASSERT_NE(std::string_view(buffer, size), std::string(size, '\0'));  // the control
    WipeString(plaintext);
    EXPECT_TRUE(plaintext.empty());
    // clear() keeps the buffer (the test relies on it, as libstdc++ does).
    ASSERT_EQ(plaintext.data(), buffer);
    EXPECT_EQ(std::string_view(buffer, size), std::string(size, '\0'))
        << "plaintext left in the buffer after WipeString";
  }
  std::string empty;
  WipeString(empty);
  EXPECT_TRUE(empty.empty());
}

}  // namespace
}  // namespace vault::crypto

#include "crypto/root_key.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "crypto/secret_bytes.h"
#include "support/test_vault.h"

namespace vault::crypto {
namespace {

using ::vault::testing::ReadFileBytes;
using ::vault::testing::TempDir;

// Small Argon2id costs keep the tests fast; production defaults are larger.
Argon2Params FastParams() {
  Argon2Params p;
  p.ops_limit = crypto_pwhash_OPSLIMIT_MIN;
  p.mem_limit = crypto_pwhash_MEMLIMIT_MIN;
  return p;
}

const std::string kSalt(kPassphraseSaltSize, '\x5a');
const std::string kOtherSalt(kPassphraseSaltSize, '\x5b');

SecretBytes FixedKey() {
  std::string bytes;
  for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<char>(0xa0 + i));
  return SecretBytes::CopyFrom(bytes);
}

// Writes `content` to a new file with `mode` (exactly, whatever the umask).
void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0);
  return st.st_mode & 07777;
}

void ExpectRefused(const StatusOr<SecretBytes>& loaded, const std::string& reason) {
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition) << loaded.status().ToString();
  EXPECT_EQ(loaded.status().reason(), reason) << loaded.status().ToString();
}

// ---- Key file ----

TEST(RootKeyTest, WrittenFileIsMode0600AndLoadsBackEqual) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  SecretBytes key = FixedKey();
  ASSERT_TRUE(WriteRootKeyFile(path, key).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
  auto loaded = LoadRootKeyFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->Equals(key));
}

TEST(RootKeyTest, WrittenFileIs64LowercaseHexAndNewline) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  ASSERT_TRUE(WriteRootKeyFile(path, FixedKey()).ok());
  EXPECT_EQ(ReadFileBytes(path),
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf\n");
}

TEST(RootKeyTest, WrittenFileIsMode0600UnderPermissiveUmask) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  mode_t old = ::umask(0);
  Status written = WriteRootKeyFile(path, FixedKey());
  ::umask(old);
  ASSERT_TRUE(written.ok()) << written.ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST(RootKeyTest, FileReadableByOthersIsRefused) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  ASSERT_TRUE(WriteRootKeyFile(path, FixedKey()).ok());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ExpectRefused(LoadRootKeyFile(path), "root_key_permissions");
}

TEST(RootKeyTest, AnyGroupOrOtherPermissionIsRefused) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  ASSERT_TRUE(WriteRootKeyFile(path, FixedKey()).ok());
  for (mode_t mode : {0640, 0620, 0610, 0604, 0602, 0601, 0660, 0666, 0700 | 0004}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    ExpectRefused(LoadRootKeyFile(path), "root_key_permissions");
  }
  // Owner-only modes are fine.
  for (mode_t mode : {0600, 0400}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    EXPECT_TRUE(LoadRootKeyFile(path).ok()) << std::oct << mode;
  }
}

TEST(RootKeyTest, MissingFileIsRefused) {
  TempDir dir;
  ExpectRefused(LoadRootKeyFile(dir.path() + "/nope.key"), "root_key_unreadable");
}

TEST(RootKeyTest, DirectoryIsRefused) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0700), 0);
  ExpectRefused(LoadRootKeyFile(dir.path()), "root_key_unreadable");
}

TEST(RootKeyTest, SymlinkIsRefused) {
  TempDir dir;
  std::string target = dir.path() + "/root.key";
  std::string link = dir.path() + "/link.key";
  ASSERT_TRUE(WriteRootKeyFile(target, FixedKey()).ok());
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  ExpectRefused(LoadRootKeyFile(link), "root_key_unreadable");
}

TEST(RootKeyTest, MalformedContentIsRefused) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  const std::string hex64(64, 'a');
  for (const std::string& content :
       {std::string(), std::string("\n"), std::string(63, 'a') + "\n", std::string(65, 'a') + "\n",
        std::string(62, 'a') + "zz\n", std::string(64, 'g') + "\n", " " + hex64 + "\n",
        hex64 + " \n", hex64 + "\nextra", hex64 + "\n" + hex64 + "\n", std::string(32, '\0'),
        std::string(200, 'a')}) {
    WriteFile(path, content, 0600);
    ExpectRefused(LoadRootKeyFile(path), "root_key_malformed");
  }
}

// The reader must judge the whole file, not a prefix of it: a valid key
// followed by a long run of newlines and then anything else is malformed.
TEST(RootKeyTest, TrailingContentAfterLongNewlineRunIsRefused) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  const std::string hex64(64, 'a');
  for (size_t newlines : {size_t{64}, size_t{100}, size_t{4096}}) {
    WriteFile(path, hex64 + std::string(newlines, '\n') + "garbage\n", 0600);
    ExpectRefused(LoadRootKeyFile(path), "root_key_malformed");
  }
}

TEST(RootKeyTest, HandWrittenKeyWithoutNewlineOrWithCrlfLoads) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  const std::string hex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf";
  for (const std::string& content : {hex, hex + "\r\n"}) {
    WriteFile(path, content, 0600);
    auto loaded = LoadRootKeyFile(path);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_TRUE(loaded->Equals(FixedKey()));
  }
}

TEST(RootKeyTest, WriteRefusesToOverwrite) {
  TempDir dir;
  std::string path = dir.path() + "/root.key";
  SecretBytes first = FixedKey();
  ASSERT_TRUE(WriteRootKeyFile(path, first).ok());
  Status again = WriteRootKeyFile(path, SecretBytes::Random(kRootKeySize));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  auto loaded = LoadRootKeyFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(loaded->Equals(first));
}

TEST(RootKeyTest, WriteRefusesToFollowASymlink) {
  TempDir dir;
  std::string target = dir.path() + "/elsewhere";
  std::string link = dir.path() + "/root.key";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);  // Dangling.
  EXPECT_FALSE(WriteRootKeyFile(link, FixedKey()).ok());
  EXPECT_NE(::access(target.c_str(), F_OK), 0);
}

// ---- Passphrase ----

TEST(RootKeyTest, DeriveSamePassphraseAndSaltGivesSameKey) {
  auto a = DeriveRootKey("correct horse battery staple", kSalt, FastParams());
  auto b = DeriveRootKey("correct horse battery staple", kSalt, FastParams());
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->size(), kRootKeySize);
  EXPECT_TRUE(a->Equals(*b));
}

TEST(RootKeyTest, DeriveDifferentSaltGivesDifferentKey) {
  auto a = DeriveRootKey("correct horse battery staple", kSalt, FastParams());
  auto b = DeriveRootKey("correct horse battery staple", kOtherSalt, FastParams());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(*b));
}

TEST(RootKeyTest, DeriveDifferentPassphraseGivesDifferentKey) {
  auto a = DeriveRootKey("correct horse battery staple", kSalt, FastParams());
  auto b = DeriveRootKey("correct horse battery staplf", kSalt, FastParams());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(*b));
}

TEST(RootKeyTest, DeriveCostParametersChangeTheKey) {
  Argon2Params more = FastParams();
  more.ops_limit += 1;
  auto a = DeriveRootKey("correct horse battery staple", kSalt, FastParams());
  auto b = DeriveRootKey("correct horse battery staple", kSalt, more);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->Equals(*b));
}

// Pins schema/FORMATS.md: the root key is crypto_pwhash Argon2id13 with the
// stored ops and mem, 32 bytes out.
TEST(RootKeyTest, DeriveIsArgon2id13) {
  const std::string pass = "correct horse battery staple";
  auto derived = DeriveRootKey(pass, kSalt, FastParams());
  ASSERT_TRUE(derived.ok());
  unsigned char expected[kRootKeySize];
  ASSERT_EQ(crypto_pwhash(expected, sizeof expected, pass.data(), pass.size(),
                          reinterpret_cast<const unsigned char*>(kSalt.data()),
                          crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
                          crypto_pwhash_ALG_ARGON2ID13),
            0);
  EXPECT_EQ(derived->ExposeSecret(),
            std::string_view(reinterpret_cast<const char*>(expected), sizeof expected));
}

TEST(RootKeyTest, DeriveEmptyPassphraseIsRefused) {
  auto key = DeriveRootKey("", kSalt, FastParams());
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(key.status().reason(), "passphrase_empty");
}

TEST(RootKeyTest, DeriveWrongSaltSizeIsRefused) {
  for (size_t size : {size_t{0}, kPassphraseSaltSize - 1, kPassphraseSaltSize + 1, size_t{32}}) {
    auto key = DeriveRootKey("pass", std::string(size, '\x5a'), FastParams());
    ASSERT_FALSE(key.ok()) << size;
    EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(key.status().reason(), "salt_invalid");
  }
}

}  // namespace
}  // namespace vault::crypto

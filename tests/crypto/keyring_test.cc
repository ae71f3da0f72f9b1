#include "crypto/keyring.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/secret_bytes.h"

namespace vault::crypto {
namespace {

using namespace std::string_literals;
using ::testing::ElementsAre;

SecretBytes FixedKey(char byte) { return SecretBytes::CopyFrom(std::string(32, byte)); }
SecretBytes Root() { return FixedKey('\x52'); }
SecretBytes OtherRoot() { return FixedKey('\x53'); }

constexpr char kRecord[] = "cus_00112233445566778899aabbccddeeff";

// One active key per purpose, ids 1..3, as `contact-vault init` makes them.
std::vector<KeyRow> InitialRows(const SecretBytes& root) {
  return {Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kActive, 100),
          Keyring::NewRow(root, 2, KeyPurpose::kIndex, KeyState::kActive, 100),
          Keyring::NewRow(root, 3, KeyPurpose::kAudit, KeyState::kActive, 100)};
}

KeyRow RowWithMaterial(const SecretBytes& root, uint32_t id, KeyPurpose purpose, KeyState state,
                       const SecretBytes& material) {
  KeyRow row;
  row.id = id;
  row.purpose = purpose;
  row.state = state;
  row.wrapped = WrapKeyMaterial(root, id, purpose, material);
  row.created_at = 100 + id;
  return row;
}

void ExpectRootKeyMismatch(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition) << status.ToString();
  EXPECT_EQ(status.reason(), "root_key_mismatch");
}

void ExpectKeyringCorrupt(const Status& status) {
  EXPECT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
  EXPECT_EQ(status.reason(), "keyring_corrupt");
}

TEST(KeyringTest, OpenWithRightRootUnwraps) {
  SecretBytes root = Root();
  SecretBytes data_key = FixedKey('\xd1');
  SecretBytes index_key = FixedKey('\xd2');
  SecretBytes audit_key = FixedKey('\xd3');
  std::vector<KeyRow> rows = {
      RowWithMaterial(root, 1, KeyPurpose::kData, KeyState::kActive, data_key),
      RowWithMaterial(root, 2, KeyPurpose::kIndex, KeyState::kActive, index_key),
      RowWithMaterial(root, 3, KeyPurpose::kAudit, KeyState::kActive, audit_key)};
  auto ring = Keyring::Open(root, rows);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->ActiveId(KeyPurpose::kData), 1u);
  EXPECT_EQ((*ring)->ActiveId(KeyPurpose::kIndex), 2u);
  EXPECT_EQ((*ring)->ActiveId(KeyPurpose::kAudit), 3u);
  const SecretBytes* got = (*ring)->Find(1, KeyPurpose::kData);
  ASSERT_NE(got, nullptr);
  EXPECT_TRUE(got->Equals(data_key));
  ASSERT_NE((*ring)->Find(2, KeyPurpose::kIndex), nullptr);
  EXPECT_TRUE((*ring)->Find(2, KeyPurpose::kIndex)->Equals(index_key));
  ASSERT_NE((*ring)->Find(3, KeyPurpose::kAudit), nullptr);
  EXPECT_TRUE((*ring)->Find(3, KeyPurpose::kAudit)->Equals(audit_key));
}

TEST(KeyringTest, NewRowHoldsFresh32ByteMaterial) {
  SecretBytes root = Root();
  KeyRow a = Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kActive, 5);
  KeyRow b = Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kActive, 5);
  EXPECT_EQ(a.id, 1u);
  EXPECT_EQ(a.created_at, 5);
  EXPECT_EQ(a.wrapped.size(), 1 + kAeadNonceSize + 32 + kAeadTagSize);
  EXPECT_EQ(a.wrapped[0], '\x01');
  auto ma = UnwrapKeyMaterial(root, 1, KeyPurpose::kData, a.wrapped);
  auto mb = UnwrapKeyMaterial(root, 1, KeyPurpose::kData, b.wrapped);
  ASSERT_TRUE(ma.ok() && mb.ok());
  EXPECT_EQ(ma->size(), 32u);
  EXPECT_FALSE(ma->Equals(*mb));
}

// Pins schema/FORMATS.md: version ‖ sealed box, AAD = "keyring" 0x00 ‖
// id (big-endian) ‖ purpose name.
TEST(KeyringTest, WrappedMaterialMatchesDocumentedEncoding) {
  SecretBytes root = Root();
  SecretBytes material = FixedKey('\xd1');
  std::string wrapped = WrapKeyMaterial(root, 0x01020304, KeyPurpose::kIndex, material);
  ASSERT_EQ(wrapped[0], '\x01');
  std::string aad = "keyring\0\x01\x02\x03\x04"s + "index";
  auto opened = AeadOpen(root, std::string_view(wrapped).substr(1), aad);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, material.ExposeSecret());
}

TEST(KeyringTest, WrongRootIsRootKeyMismatch) {
  auto ring = Keyring::Open(OtherRoot(), InitialRows(Root()));
  ASSERT_FALSE(ring.ok());
  ExpectRootKeyMismatch(ring.status());
}

TEST(KeyringTest, OneRowUnderAnotherRootIsRootKeyMismatch) {
  std::vector<KeyRow> rows = InitialRows(Root());
  rows[2] = Keyring::NewRow(OtherRoot(), 3, KeyPurpose::kAudit, KeyState::kActive, 100);
  ExpectRootKeyMismatch(Keyring::Open(Root(), rows).status());
}

TEST(KeyringTest, RowMovedToAnotherIdFails) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  rows.push_back(Keyring::NewRow(root, 4, KeyPurpose::kData, KeyState::kDecryptOnly, 100));
  ASSERT_TRUE(Keyring::Open(root, rows).ok());

  // Swap the material of data keys 1 and 4: each row now sits under the
  // wrong id.
  std::swap(rows[0].wrapped, rows[3].wrapped);
  ExpectRootKeyMismatch(Keyring::Open(root, rows).status());

  // Renumbering a row fails too.
  std::vector<KeyRow> renumbered = InitialRows(root);
  renumbered[0].id = 9;
  ExpectRootKeyMismatch(Keyring::Open(root, renumbered).status());

  KeyRow row = Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kActive, 100);
  auto moved = UnwrapKeyMaterial(root, 2, KeyPurpose::kData, row.wrapped);
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.status().message(), "decryption failed");
}

TEST(KeyringTest, RowMovedToAnotherPurposeFails) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  // Relabel the index key as the audit key and vice versa (one active each
  // remains, so only the AAD can catch it).
  rows[1].purpose = KeyPurpose::kAudit;
  rows[2].purpose = KeyPurpose::kIndex;
  ExpectRootKeyMismatch(Keyring::Open(root, rows).status());

  KeyRow row = Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kActive, 100);
  for (KeyPurpose other : {KeyPurpose::kIndex, KeyPurpose::kAudit}) {
    auto moved = UnwrapKeyMaterial(root, 1, other, row.wrapped);
    ASSERT_FALSE(moved.ok());
    EXPECT_EQ(moved.status().message(), "decryption failed");
  }
}

TEST(KeyringTest, TamperedWrappedMaterialFails) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  std::string original = rows[0].wrapped;
  for (size_t bit = 0; bit < original.size() * 8; ++bit) {
    rows[0].wrapped = original;
    rows[0].wrapped[bit / 8] = static_cast<char>(rows[0].wrapped[bit / 8] ^ (1 << (bit % 8)));
    auto ring = Keyring::Open(root, rows);
    ASSERT_FALSE(ring.ok()) << "bit " << bit;
    ExpectRootKeyMismatch(ring.status());
  }
  rows[0].wrapped = "";  // Not destroyed, yet no material.
  ExpectRootKeyMismatch(Keyring::Open(root, rows).status());
}

TEST(KeyringTest, TwoActiveKeysOfOnePurposeIsDataLoss) {
  SecretBytes root = Root();
  for (KeyPurpose p : kAllPurposes) {
    std::vector<KeyRow> rows = InitialRows(root);
    rows.push_back(Keyring::NewRow(root, 4, p, KeyState::kActive, 100));
    auto ring = Keyring::Open(root, rows);
    ASSERT_FALSE(ring.ok()) << PurposeName(p);
    ExpectKeyringCorrupt(ring.status());
  }
}

TEST(KeyringTest, NoActiveKeyOfAPurposeIsDataLoss) {
  SecretBytes root = Root();
  for (size_t i = 0; i < 3; ++i) {
    std::vector<KeyRow> rows = InitialRows(root);
    rows[i].state = KeyState::kDecryptOnly;
    auto ring = Keyring::Open(root, rows);
    ASSERT_FALSE(ring.ok()) << i;
    ExpectKeyringCorrupt(ring.status());
  }
  ExpectKeyringCorrupt(Keyring::Open(root, {}).status());
}

TEST(KeyringTest, DestroyedRowsHaveNoMaterial) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  KeyRow destroyed;
  destroyed.id = 4;
  destroyed.purpose = KeyPurpose::kData;
  destroyed.state = KeyState::kDestroyed;
  rows.push_back(destroyed);
  // A destroyed row that somehow kept its blob is still not unwrapped.
  KeyRow kept = Keyring::NewRow(root, 5, KeyPurpose::kData, KeyState::kDestroyed, 100);
  rows.push_back(kept);

  auto ring = Keyring::Open(root, rows);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_EQ((*ring)->Find(4, KeyPurpose::kData), nullptr);
  EXPECT_EQ((*ring)->Find(5, KeyPurpose::kData), nullptr);
  EXPECT_THAT((*ring)->UsableIds(KeyPurpose::kData), ElementsAre(1u));
  // The rows themselves stay listed (state is reported), ordered by id.
  ASSERT_EQ((*ring)->rows().size(), 5u);
  EXPECT_EQ((*ring)->rows()[3].id, 4u);
  EXPECT_EQ((*ring)->rows()[3].state, KeyState::kDestroyed);
}

TEST(KeyringTest, UsableIdsActiveFirstThenDecryptOnlyNewestFirst) {
  SecretBytes root = Root();
  // Deliberately out of order: Open sorts by id.
  std::vector<KeyRow> rows = {
      Keyring::NewRow(root, 7, KeyPurpose::kData, KeyState::kDecryptOnly, 100),
      Keyring::NewRow(root, 2, KeyPurpose::kIndex, KeyState::kActive, 100),
      Keyring::NewRow(root, 1, KeyPurpose::kData, KeyState::kDecryptOnly, 100),
      Keyring::NewRow(root, 6, KeyPurpose::kData, KeyState::kActive, 100),
      Keyring::NewRow(root, 3, KeyPurpose::kAudit, KeyState::kActive, 100),
      Keyring::NewRow(root, 4, KeyPurpose::kData, KeyState::kDecryptOnly, 100),
      Keyring::NewRow(root, 8, KeyPurpose::kIndex, KeyState::kDecryptOnly, 100),
  };
  KeyRow destroyed;
  destroyed.id = 5;
  destroyed.purpose = KeyPurpose::kData;
  destroyed.state = KeyState::kDestroyed;
  rows.push_back(destroyed);

  auto ring = Keyring::Open(root, rows);
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_THAT((*ring)->UsableIds(KeyPurpose::kData), ElementsAre(6u, 7u, 4u, 1u));
  EXPECT_THAT((*ring)->UsableIds(KeyPurpose::kIndex), ElementsAre(2u, 8u));
  EXPECT_THAT((*ring)->UsableIds(KeyPurpose::kAudit), ElementsAre(3u));
  ASSERT_EQ((*ring)->rows().size(), 8u);
  for (size_t i = 0; i < (*ring)->rows().size(); ++i) {
    EXPECT_EQ((*ring)->rows()[i].id, i + 1);
  }
}

TEST(KeyringTest, FindWithWrongPurposeReturnsNullptr) {
  auto ring = Keyring::Open(Root(), InitialRows(Root()));
  ASSERT_TRUE(ring.ok()) << ring.status().ToString();
  EXPECT_NE((*ring)->Find(1, KeyPurpose::kData), nullptr);
  EXPECT_EQ((*ring)->Find(1, KeyPurpose::kIndex), nullptr);
  EXPECT_EQ((*ring)->Find(1, KeyPurpose::kAudit), nullptr);
  EXPECT_EQ((*ring)->Find(2, KeyPurpose::kData), nullptr);
  EXPECT_EQ((*ring)->Find(3, KeyPurpose::kIndex), nullptr);
  // Unknown ids, including 0 (what ActiveId returns when nothing matches).
  EXPECT_EQ((*ring)->Find(0, KeyPurpose::kData), nullptr);
  EXPECT_EQ((*ring)->Find(99, KeyPurpose::kData), nullptr);
}

TEST(KeyringTest, OldCiphertextDecryptsAfterRotation) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  auto before = Keyring::Open(root, rows);
  ASSERT_TRUE(before.ok()) << before.status().ToString();

  // A record written before the rotation, under data key 1.
  uint32_t old_id = (*before)->ActiveId(KeyPurpose::kData);
  SecretBytes dek = NewDek();
  std::string wrapped = WrapDek(*(*before)->Find(old_id, KeyPurpose::kData), old_id, kRecord, dek);
  std::string field = SealField(dek, kRecord, "email", "alice@example.com");

  // Rotate: key 1 turns decrypt_only, key 4 is the new active data key.
  rows[0].state = KeyState::kDecryptOnly;
  rows.push_back(Keyring::NewRow(root, 4, KeyPurpose::kData, KeyState::kActive, 200));
  auto after = Keyring::Open(root, rows);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)->ActiveId(KeyPurpose::kData), 4u);
  EXPECT_THAT((*after)->UsableIds(KeyPurpose::kData), ElementsAre(4u, 1u));

  auto kek_id = WrappedDekKeyId(wrapped);
  ASSERT_TRUE(kek_id.ok());
  ASSERT_EQ(*kek_id, old_id);
  const SecretBytes* kek = (*after)->Find(*kek_id, KeyPurpose::kData);
  ASSERT_NE(kek, nullptr);
  auto unwrapped = UnwrapDek(*kek, *kek_id, kRecord, wrapped);
  ASSERT_TRUE(unwrapped.ok()) << unwrapped.status().ToString();
  EXPECT_TRUE(unwrapped->Equals(dek));
  auto opened = OpenField(*unwrapped, kRecord, "email", field);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(*opened, "alice@example.com");

  // The new active key does not open the old wrap.
  EXPECT_FALSE(UnwrapDek(*(*after)->Find(4, KeyPurpose::kData), 4, kRecord, wrapped).ok());
}

TEST(KeyringTest, DestroyedKekMakesItsDeksUnreadable) {
  SecretBytes root = Root();
  std::vector<KeyRow> rows = InitialRows(root);
  auto before = Keyring::Open(root, rows);
  ASSERT_TRUE(before.ok());
  SecretBytes dek = NewDek();
  std::string wrapped = WrapDek(*(*before)->Find(1, KeyPurpose::kData), 1, kRecord, dek);

  rows[0].state = KeyState::kDestroyed;
  rows[0].wrapped.clear();
  rows.push_back(Keyring::NewRow(root, 4, KeyPurpose::kData, KeyState::kActive, 200));
  auto after = Keyring::Open(root, rows);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)->Find(1, KeyPurpose::kData), nullptr);
  EXPECT_THAT((*after)->UsableIds(KeyPurpose::kData), ElementsAre(4u));
}

TEST(KeyringTest, PurposeAndStateNamesRoundTrip) {
  for (KeyPurpose p : kAllPurposes) {
    auto parsed = ParsePurpose(PurposeName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_STREQ(PurposeName(KeyPurpose::kData), "data");
  EXPECT_STREQ(PurposeName(KeyPurpose::kIndex), "index");
  EXPECT_STREQ(PurposeName(KeyPurpose::kAudit), "audit");
  EXPECT_EQ(ParsePurpose("Data").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePurpose("").status().code(), StatusCode::kInvalidArgument);

  for (KeyState s : {KeyState::kActive, KeyState::kDecryptOnly, KeyState::kDestroyed}) {
    auto parsed = ParseState(StateName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_STREQ(StateName(KeyState::kDecryptOnly), "decrypt_only");
  ExpectKeyringCorrupt(ParseState("retired").status());
}

TEST(KeyringTest, HolderSnapshotSurvivesSwap) {
  SecretBytes root = Root();
  auto first = Keyring::Open(root, InitialRows(root));
  auto second = Keyring::Open(root, InitialRows(root));
  ASSERT_TRUE(first.ok() && second.ok());
  KeyringHolder holder(*first);
  std::shared_ptr<const Keyring> reader = holder.Get();
  holder.Set(*second);
  EXPECT_EQ(holder.Get(), *second);
  EXPECT_EQ(reader, *first);
  EXPECT_NE(reader->Find(1, KeyPurpose::kData), nullptr);
}

}  // namespace
}  // namespace vault::crypto

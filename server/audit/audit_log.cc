#include "audit/audit_log.h"

#include <sodium.h>

#include "common/log.h"
#include "crypto/util.h"
#include "store/vault_tables.h"

namespace vault::audit {
namespace {

constexpr size_t kMacSize = 32;
constexpr char kHeadMetaKey[] = "audit.head";

void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

void PutText(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

std::string Mac(const crypto::SecretBytes& key, std::string_view prev, std::string_view message) {
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), kMacSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(prev.data()),
                            prev.size());
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(message.data()),
                            message.size());
  std::string out(kMacSize, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()), kMacSize);
  return out;
}

// head = seq(8) ‖ mac(32) ‖ BLAKE2b(audit key, "audit-head" ‖ seq ‖ mac)(32)
std::string HeadValue(const crypto::SecretBytes& key, int64_t seq, const std::string& mac) {
  std::string body;
  PutU64(body, static_cast<uint64_t>(seq));
  body.append(mac);
  std::string out = body;
  out.append(Mac(key, "audit-head", body));
  return out;
}

bool EqualBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

// Fail closed without telling the client why: the cause (an SQLite message,
// never a value) goes to the server log only.
Status Unwritable(const Status& cause) {
  log::Error("audit write failed: " + cause.message());
  return AuditUnavailable();
}

}  // namespace

Status AuditUnavailable() {
  return Unavailable("the audit log cannot be written; nothing was done",
                     Reason::kAuditUnavailable);
}

std::string Canonical(const store::AuditRow& row) {
  std::string out("cv-audit-v1", 11);
  PutU64(out, static_cast<uint64_t>(row.seq));
  PutU64(out, static_cast<uint64_t>(row.time_ms));
  for (const std::string* s :
       {&row.principal, &row.roles, &row.action, &row.record_id, &row.fields, &row.reason,
        &row.outcome, &row.detail, &row.request_id, &row.client}) {
    PutText(out, *s);
  }
  PutU32(out, row.key_id);
  return out;
}

std::string OutcomeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return "success";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "denied";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kInvalidArgument:
      return "invalid";
    case StatusCode::kAlreadyExists:
      return "conflict";
    case StatusCode::kResourceExhausted:
      return "rate_limited";
    default:
      return "error";
  }
}

AuditLog::AuditLog(store::Store& store, crypto::KeyringHolder& keys, Clock clock)
    : store_(store), keys_(keys), clock_(std::move(clock)) {}

StatusOr<Receipt> AuditLog::Append(store::Database& db, const Entry& entry) {
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  uint32_t key_id = ring->ActiveId(crypto::KeyPurpose::kAudit);
  const crypto::SecretBytes* key = ring->Find(key_id, crypto::KeyPurpose::kAudit);
  auto fail = [this](const Status& st) -> Status {
    ++failures_;
    if (IsStorageFull(st)) return st;
    return Unwritable(st);
  };
  auto last = store::LastAuditRow(db);
  if (!last.ok()) return fail(last.status());
  auto head = store::GetMeta(db, kHeadMetaKey);
  if (!head.ok()) return fail(head.status());
  int64_t prev_seq = last->has_value() ? (*last)->seq : 0;
  std::string prev = last->has_value() ? (*last)->mac : std::string(kMacSize, '\0');
  // Chain from the head when it is ahead of the newest row: entries cut off
  // the end then stay a gap that verify reports, instead of being silently
  // replaced by the next entry (which would heal the chain).
  if (head->has_value() && (*head)->size() == 8 + 2 * kMacSize) {
    int64_t head_seq = static_cast<int64_t>(GetU64(**head));
    if (head_seq > prev_seq) {
      prev_seq = head_seq;
      prev = (*head)->substr(8, kMacSize);
    }
  }
  store::AuditRow row;
  row.seq = prev_seq + 1;
  row.time_ms = clock_();
  row.principal = entry.principal;
  row.roles = entry.roles;
  row.action = std::string(AuditActionName(entry.action));
  row.record_id = entry.record_id;
  row.fields = entry.fields;
  row.reason = entry.reason;
  row.outcome = entry.outcome;
  row.detail = entry.detail;
  row.request_id = entry.request_id;
  row.client = entry.client;
  row.key_id = key_id;
  row.mac = Mac(*key, prev, Canonical(row));
  Status st = store::InsertAuditRow(db, row);
  if (st.ok()) st = store::SetMeta(db, kHeadMetaKey, HeadValue(*key, row.seq, row.mac));
  if (!st.ok()) return fail(st);
  ++written_;
  return Receipt{row.seq, row.time_ms, crypto::HexEncode(row.mac)};
}

StatusOr<Receipt> AuditLog::Record(const Entry& entry, store::Durability durability) {
  Receipt receipt;
  // Essential: reads are audited, and must stay possible on a full disk.
  Status st = store_.WriteEssential(
      [&](store::Database& db) -> Status {
        ASSIGN_OR_RETURN(receipt, Append(db, entry));
        return Status::Ok();
      },
      durability);
  if (!st.ok()) {
    if (IsAuditUnavailable(st) || IsStorageFull(st)) return st;
    ++failures_;
    return Unwritable(st);
  }
  return receipt;
}

StatusOr<VerifyResult> VerifyChain(store::Database& db, const crypto::Keyring& ring) {
  VerifyResult result;
  std::string prev(kMacSize, '\0');
  int64_t expected = 1;
  auto broken = [&](int64_t seq, std::string problem) {
    if (result.intact) {
      result.intact = false;
      result.first_broken_seq = seq;
      result.problem = std::move(problem);
    }
  };
  RETURN_IF_ERROR(store::ScanAudit(db, 0, [&](const store::AuditRow& row) -> Status {
    ++result.entries;
    if (!result.intact) return Status::Ok();
    if (row.seq != expected) {
      broken(expected, row.seq > expected ? "entry missing (sequence gap)" : "entry out of order");
      return Status::Ok();
    }
    const crypto::SecretBytes* key = ring.Find(row.key_id, crypto::KeyPurpose::kAudit);
    if (key == nullptr) {
      broken(row.seq, "entry names an unknown or destroyed audit key");
      return Status::Ok();
    }
    if (!EqualBytes(Mac(*key, prev, Canonical(row)), row.mac)) {
      broken(row.seq, "MAC does not match: entry or its predecessor was altered");
      return Status::Ok();
    }
    prev = row.mac;
    ++expected;
    return Status::Ok();
  }));
  if (!result.intact) return result;
  ASSIGN_OR_RETURN(auto head, store::GetMeta(db, kHeadMetaKey));
  if (result.entries == 0) {
    if (head) broken(1, "the log is empty but its head says entries existed");
    return result;
  }
  bool head_ok = false;
  if (head && head->size() == 8 + 2 * kMacSize) {
    int64_t head_seq = static_cast<int64_t>(GetU64(*head));
    std::string head_mac = head->substr(8, kMacSize);
    // The head may have been written under any usable audit key.
    for (uint32_t id : ring.UsableIds(crypto::KeyPurpose::kAudit)) {
      if (EqualBytes(HeadValue(*ring.Find(id, crypto::KeyPurpose::kAudit), head_seq, head_mac),
                     *head)) {
        head_ok = head_seq == expected - 1 && EqualBytes(head_mac, prev);
        if (!head_ok && head_seq > expected - 1) {
          broken(expected, "entries after this one were removed from the end");
          return result;
        }
        break;
      }
    }
  }
  if (!head_ok) broken(expected - 1, "the log head does not match its newest entry");
  return result;
}

StatusOr<VerifyResult> AuditLog::Verify() const {
  VerifyResult result;
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(result, VerifyChain(db, *ring));
    return Status::Ok();
  }));
  return result;
}

StatusOr<std::string> AuditLog::CheckReceipt(const Receipt& receipt, AuditAction action,
                                             std::string_view record_id,
                                             std::string_view principal) const {
  std::optional<store::AuditRow> row;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindAuditRow(db, receipt.seq));
    return Status::Ok();
  }));
  if (!row) return std::string("the audit log has no entry with that sequence number");
  if (crypto::HexEncode(row->mac) != receipt.mac_hex) {
    return std::string("the MAC does not match the audit entry at that sequence number");
  }
  if (row->action != AuditActionName(action) || row->outcome != "success") {
    return "the audit entry at that sequence number is not a successful " +
           std::string(AuditActionName(action));
  }
  if (row->record_id != record_id) return std::string("the entry names another record");
  if (row->principal != principal) return std::string("the entry names another actor");
  if (row->time_ms != receipt.time_ms) return std::string("the entry has another time");
  // The entry is only as good as the chain that holds it.
  ASSIGN_OR_RETURN(VerifyResult chain, Verify());
  if (!chain.intact && chain.first_broken_seq <= receipt.seq) {
    return "the audit chain is broken at entry " + std::to_string(chain.first_broken_seq) +
           ", at or before this one";
  }
  return std::string();
}

}  // namespace vault::audit

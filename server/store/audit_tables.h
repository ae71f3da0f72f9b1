// The SQL of V003 (audit_log). Rows go in only through audit::AuditLog, which
// computes the chain MAC; these functions only move rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "store/sqlite.h"

namespace vault::store {

struct AuditRow {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string principal, roles, action, record_id, fields, reason, outcome, detail, request_id,
      client;
  uint32_t key_id = 0;
  std::string mac;
};

struct AuditQuery {
  std::optional<std::string> principal, record_id, action;
  std::optional<int64_t> since_ms, until_ms;  // [since, until)
  int64_t after_seq = 0;                      // cursor: entries with seq > after_seq
  int limit = 100;
};

Status InsertAuditRow(Database& db, const AuditRow& row);
// The newest entry, or nullopt for an empty log.
StatusOr<std::optional<AuditRow>> LastAuditRow(Database& db);
StatusOr<std::optional<AuditRow>> FindAuditRow(Database& db, int64_t seq);
// Matching rows in ascending seq order.
StatusOr<std::vector<AuditRow>> QueryAudit(Database& db, const AuditQuery& query);
// Reads every row in seq order, calling `fn` for each; stops early on error.
Status ScanAudit(Database& db, int64_t after_seq, const std::function<Status(const AuditRow&)>& fn);
// Successful reveals by `principal` since `since_ms` (quota).
StatusOr<int64_t> CountReveals(Database& db, std::string_view principal, int64_t since_ms);
// The time of the successful reveal by `principal` since `since_ms` that has
// `skip` earlier ones (oldest first), or nullopt if there are not that many:
// when it leaves the quota's window, the count falls below the quota.
StatusOr<std::optional<int64_t>> RevealTimeAfter(Database& db, std::string_view principal,
                                                 int64_t since_ms, int64_t skip);

}  // namespace vault::store

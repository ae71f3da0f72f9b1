#include "http/metrics.h"

#include <set>
#include <sstream>

#include "common/log.h"

namespace vault::http {
namespace {

const std::set<std::string>& FixedSegments() {
  static const auto* kWords = new std::set<std::string>{
      "v1",     "customers", "search",    "verify",   "reveal",    "find-or-create",
      "batch",  "consents",  "export",    "exports",  "marketing", "auth",
      "login",  "logout",    "me",        "admin",    "employees", "service-accounts",
      "tokens", "keys",      "rotate",    "rotation", "audit",     "healthz",
      "readyz", "metrics",   "retention", "assets",   "app",       "run",
      "seen",   "receipts",  "destroy"};
  return *kWords;
}

}  // namespace

std::string RoutePattern(const std::string& path) {
  if (path.empty() || path[0] != '/') return "other";
  if (!path.starts_with("/v1/") && path != "/healthz" && path != "/readyz" && path != "/metrics") {
    return "static";
  }
  std::string out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string segment = path.substr(start, end - start);
    out += "/";
    out += FixedSegments().count(segment) ? segment : "{id}";
    start = end + 1;
  }
  return out;
}

void Metrics::CountRequest(const std::string& method, const std::string& route, int status) {
  std::lock_guard lock(mu_);
  ++requests_[{method + " " + route, status}];
}

void Metrics::CountReveal(const std::string& role) {
  std::lock_guard lock(mu_);
  ++reveals_[role];
}

std::string Metrics::Render(const service::VaultStats& stats) const {
  const store::StoreStats& store = stats.store;
  std::ostringstream out;
  out << "# HELP vault_http_requests_total HTTP requests by route pattern and status.\n"
      << "# TYPE vault_http_requests_total counter\n";
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, count] : requests_) {
      const std::string& mr = key.first;
      size_t sp = mr.find(' ');
      out << "vault_http_requests_total{method=\"" << mr.substr(0, sp) << "\",route=\""
          << mr.substr(sp + 1) << "\",status=\"" << key.second << "\"} " << count << "\n";
    }
    out << "# HELP vault_reveals_total Successful reveals by role.\n"
        << "# TYPE vault_reveals_total counter\n";
    for (const auto& [role, count] : reveals_) {
      out << "vault_reveals_total{role=\"" << role << "\"} " << count << "\n";
    }
  }
  out << "# HELP vault_audit_entries_written_total Audit entries appended.\n"
      << "# TYPE vault_audit_entries_written_total counter\n"
      << "vault_audit_entries_written_total " << stats.audit_entries_written << "\n"
      << "# HELP vault_audit_failures_total Audit entries that could not be written.\n"
      << "# TYPE vault_audit_failures_total counter\n"
      << "vault_audit_failures_total " << stats.audit_failures << "\n"
      << "# HELP vault_log_lines_dropped_total Debug and info log lines dropped on a full "
         "log queue (warnings and errors are never dropped).\n"
      << "# TYPE vault_log_lines_dropped_total counter\n"
      << "vault_log_lines_dropped_total " << log::DroppedLines() << "\n"
      << "# HELP vault_store_commits_total Group commits (transactions).\n"
      << "# TYPE vault_store_commits_total counter\n"
      << "vault_store_commits_total " << store.commits << "\n"
      << "# HELP vault_store_syncs_total fdatasyncs of the WAL (each covers every commit "
         "before it).\n"
      << "# TYPE vault_store_syncs_total counter\n"
      << "vault_store_syncs_total " << store.syncs << "\n"
      << "# HELP vault_store_checkpoints_total Background WAL checkpoints.\n"
      << "# TYPE vault_store_checkpoints_total counter\n"
      << "vault_store_checkpoints_total " << store.checkpoints << "\n"
      << "# HELP vault_store_failed_commits_total Group commits that failed.\n"
      << "# TYPE vault_store_failed_commits_total counter\n"
      << "vault_store_failed_commits_total " << store.failed_commits << "\n"
      << "# HELP vault_group_commit_batch_size Writes per group commit.\n"
      << "# TYPE vault_group_commit_batch_size histogram\n";
  uint64_t cumulative = 0;
  uint64_t bound = 1;
  for (size_t i = 0; i < store.batch_size_buckets.size(); ++i) {
    cumulative += store.batch_size_buckets[i];
    if (i + 1 == store.batch_size_buckets.size()) {
      out << "vault_group_commit_batch_size_bucket{le=\"+Inf\"} " << cumulative << "\n";
    } else {
      out << "vault_group_commit_batch_size_bucket{le=\"" << bound << "\"} " << cumulative << "\n";
      bound *= 2;
    }
  }
  out << "vault_group_commit_batch_size_sum " << store.writes << "\n"
      << "vault_group_commit_batch_size_count " << store.commits << "\n";
  return out.str();
}

}  // namespace vault::http

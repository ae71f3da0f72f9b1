// `contact-vault import FILE.csv`: streams a shop's existing customer list
// into the vault through POST /v1/customers/batch (find_or_create), so that
// every row is deduplicated by the server's blind index and a re-run adds
// nothing that is already there.
//
//  - The file is read record by record (server/common/csv.h), never whole:
//    memory stays bounded by a few batches whatever the file's size.
//  - Columns are found by their header (case- and accent-insensitive, common
//    English and French names), or named with --email-column and friends.
//  - Batches of up to 500 rows (and --batch-bytes of JSON) go out over up to
//    --concurrency connections. Each carries an Idempotency-Key made of a
//    digest of the file's identity and this run, and the batch number: a batch
//    retried after a network error is answered from the server's record of the
//    first attempt, never run twice. A new run uses new keys, so that rows
//    imported before are looked up again and counted as "already present".
//  - Rows the server rate-limits or cannot take right now (429, 5xx) are sent
//    again after a pause: for a 429, as long as the item's `retry_after_s`
//    (or the answer's Retry-After) says; rows it refuses (bad email, ...) are
//    rejected. Server messages are never parsed: only codes and numbers.
//  - Rejected rows go to a report (--report, default FILE.rejected.csv, mode
//    0600) with the line number, a reason code, the column at fault and a
//    detail. The report never holds the row's values: the shop fixes the rows
//    in its own file, and no second copy of the personal data is made.
//  - Consent columns (--consent-column PURPOSE=COLUMN, with --consent-notice)
//    are recorded in the consent ledger with channel "import" for customers
//    this import creates, and for existing customers only where the ledger
//    holds nothing yet for that purpose: an old list never overrides what a
//    customer said since.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

#include "api_client.h"

namespace vault::cli {

struct ImportOptions {
  std::string file;
  std::string report;  // default: FILE.rejected.csv
  std::string email_column, phone_column, name_column;
  std::vector<std::string> consent_columns;  // PURPOSE=COLUMN
  std::string consent_notice;
  std::string delimiter = "auto";  // auto , ; tab
  std::string encoding = "utf-8";  // utf-8, windows-1252 (also latin-1)
  int batch_size = 500;
  int batch_bytes = 60000;  // JSON body budget; the server's default limit is 64 KiB
  int concurrency = 4;
  bool no_progress = false;
};

// Adds the `import` subcommand to `cli`, with the remote options (through
// add_remote, which binds them into `api`). When it runs, RunImport's exit
// code is written to *exit_code; `api` and exit_code must outlive the parse.
void AddImportCommand(CLI::App& cli, const std::function<void(CLI::App*)>& add_remote,
                      const ApiOptions& api, int* exit_code);

// Runs the import: a reader cuts the file into batches, a sender sends them
// over --concurrency ApiClients, a report takes them back in file order.
// The exit code: 0 when every row was handled (imported, found or reported
// as rejected), 1 when the import stopped early.
int RunImport(const ApiOptions& api, const ImportOptions& options);

}  // namespace vault::cli

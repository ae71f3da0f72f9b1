#include "csv_import.h"

#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>

#include "common/csv.h"
#include "common/text.h"
#include "crypto/util.h"

namespace vault::cli {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// --- Header mapping ---------------------------------------------------------

// Lower-cases ASCII, folds the accented Latin letters of French headers to
// ASCII (é -> e), and drops spaces, '-', '_' and '.': "E-mail", "e_mail" and
// "EMAIL" all become "email"; "Téléphone" becomes "telephone".
std::string HeaderKey(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3 && i + 1 < text.size()) {
      unsigned char d = static_cast<unsigned char>(text[i + 1]) & 0xDF;  // upper == lower
      char folded = 0;
      if (d >= 0x80 && d <= 0x85)
        folded = 'a';
      else if (d == 0x87)
        folded = 'c';
      else if (d >= 0x88 && d <= 0x8B)
        folded = 'e';
      else if (d >= 0x8C && d <= 0x8F)
        folded = 'i';
      else if (d >= 0x92 && d <= 0x96)
        folded = 'o';
      else if (d >= 0x99 && d <= 0x9C)
        folded = 'u';
      if (folded != 0) {
        out.push_back(folded);
        ++i;
        continue;
      }
    }
    if (c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t') continue;
    out.push_back(c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c));
  }
  return out;
}

const std::vector<std::string> kEmailHeaders = {
    "email",        "courriel", "emailaddress", "adressecourriel", "adresseelectronique",
    "adresseemail", "mail",     "customeremail"};
const std::vector<std::string> kPhoneHeaders = {
    "phone",        "telephone", "mobile",      "phonenumber", "telephonenumber",   "tel",
    "cell",         "cellphone", "mobilephone", "cellulaire",  "numerodetelephone", "portable",
    "customerphone"};
const std::vector<std::string> kNameHeaders = {"name",       "fullname",     "nom",
                                               "nomcomplet", "customername", "nomduclient"};
const std::vector<std::string> kFirstNameHeaders = {"firstname", "givenname", "prenom"};
const std::vector<std::string> kLastNameHeaders = {"lastname", "surname", "familyname",
                                                   "nomdefamille", "nom"};

struct ConsentColumn {
  std::string purpose;
  int column = -1;
};

struct Columns {
  int email = -1, phone = -1, name = -1, first_name = -1, last_name = -1;
  std::vector<ConsentColumn> consents;
  std::vector<std::string> header;

  std::string Name(int i) const {
    return i >= 0 && static_cast<size_t>(i) < header.size() ? header[static_cast<size_t>(i)] : "";
  }
  std::string NameColumns() const {
    if (name >= 0) return Name(name);
    if (first_name >= 0 && last_name >= 0) return Name(first_name) + " + " + Name(last_name);
    return Name(first_name >= 0 ? first_name : last_name);
  }
  std::string ContactColumns() const {
    std::string out = Name(email);
    if (phone >= 0) out += (out.empty() ? "" : " / ") + Name(phone);
    return out;
  }
};

int FindHeader(const std::vector<std::string>& keys, const std::vector<std::string>& wanted) {
  for (const auto& w : wanted) {
    for (size_t i = 0; i < keys.size(); ++i) {
      if (keys[i] == w) return static_cast<int>(i);
    }
  }
  return -1;
}

std::string ListHeader(const std::vector<std::string>& header) {
  std::string out;
  for (const auto& h : header) out += (out.empty() ? "" : ", ") + ("\"" + h + "\"");
  return out;
}

StatusOr<Columns> MapColumns(const std::vector<std::string>& header, const ImportOptions& o) {
  Columns c;
  c.header = header;
  std::vector<std::string> keys;
  for (const auto& h : header) {
    if (h.find('@') != std::string::npos) {
      return InvalidArgument(
          "the first line must be a header naming the columns (for example "
          "email,phone,name), but it looks like data");
    }
    keys.push_back(HeaderKey(h));
  }
  auto pick = [&](const std::string& option, const char* flag,
                  const std::vector<std::string>& defaults, int* out) -> Status {
    if (!option.empty()) {
      *out = FindHeader(keys, {HeaderKey(option)});
      if (*out < 0) {
        return InvalidArgument(std::string(flag) + ": no column \"" + option +
                               "\" in the header (" + ListHeader(header) + ")");
      }
    } else {
      *out = FindHeader(keys, defaults);
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(pick(o.email_column, "--email-column", kEmailHeaders, &c.email));
  RETURN_IF_ERROR(pick(o.phone_column, "--phone-column", kPhoneHeaders, &c.phone));
  if (!o.name_column.empty()) {
    RETURN_IF_ERROR(pick(o.name_column, "--name-column", {}, &c.name));
  } else {
    // "Prénom" + "Nom": there, "nom" is the family name.
    c.first_name = FindHeader(keys, kFirstNameHeaders);
    if (c.first_name >= 0) {
      c.last_name = FindHeader(keys, kLastNameHeaders);
    } else {
      c.name = FindHeader(keys, kNameHeaders);
      if (c.name < 0) c.last_name = FindHeader(keys, kLastNameHeaders);
    }
  }
  if (c.email < 0 && c.phone < 0) {
    return InvalidArgument("no email or phone column in the header (" + ListHeader(header) +
                           "); name them with --email-column / --phone-column");
  }
  static const std::regex kPurpose("[a-z0-9_]{1,64}");
  for (const auto& spec : o.consent_columns) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
      return InvalidArgument(
          "--consent-column takes PURPOSE=COLUMN (for example "
          "marketing_email=Newsletter), not \"" +
          spec + "\"");
    }
    ConsentColumn cc;
    cc.purpose = spec.substr(0, eq);
    if (!std::regex_match(cc.purpose, kPurpose)) {
      return InvalidArgument("--consent-column: a purpose is lower-case letters, digits and _");
    }
    cc.column = FindHeader(keys, {HeaderKey(spec.substr(eq + 1))});
    if (cc.column < 0) {
      return InvalidArgument("--consent-column: no column \"" + spec.substr(eq + 1) +
                             "\" in the header (" + ListHeader(header) + ")");
    }
    c.consents.push_back(cc);
  }
  return c;
}

// yes/no in the words a shop's list uses; nullopt: empty (nothing to record);
// an error for anything else.
StatusOr<std::optional<bool>> ParseConsent(std::string_view text) {
  std::string v = HeaderKey(text);
  if (v.empty()) return std::optional<bool>();
  for (const char* yes :
       {"yes", "y", "true", "1", "oui", "o", "x", "granted", "optin", "consented", "subscribed"}) {
    if (v == yes) return std::optional<bool>(true);
  }
  for (const char* no :
       {"no", "n", "false", "0", "non", "withdrawn", "refused", "optout", "unsubscribed"}) {
    if (v == no) return std::optional<bool>(false);
  }
  return InvalidArgument("not a consent answer");
}

// --- Text ---------------------------------------------------------------------

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

// Windows-1252 (a superset of Latin-1 for printable text) to UTF-8.
std::string FromWindows1252(std::string_view in) {
  static const char16_t k80[32] = {0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                   0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
                                   0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                   0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  std::string out;
  out.reserve(in.size() + in.size() / 4);
  for (char ch : in) {
    unsigned c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
      continue;
    }
    unsigned cp = c < 0xA0 ? k80[c - 0x80] : c;
    if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// Guesses the delimiter from the first line: the most frequent of , ; TAB
// outside quotes (',' on a tie).
char SniffDelimiter(int fd) {
  char buf[8192];
  ssize_t n = ::pread(fd, buf, sizeof(buf), 0);
  size_t counts[3] = {0, 0, 0};
  bool quoted = false;
  for (ssize_t i = 0; i < n; ++i) {
    char c = buf[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    if (c == ',') ++counts[0];
    if (c == ';') ++counts[1];
    if (c == '\t') ++counts[2];
  }
  if (counts[1] > counts[0] && counts[1] >= counts[2]) return ';';
  if (counts[2] > counts[0] && counts[2] > counts[1]) return '\t';
  return ',';
}

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 360000) return "--:--";
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

// --- The pipeline: reader -> sender -> report -------------------------------

struct Rejection {
  int64_t line = 0;
  std::string reason, column, detail;
};

struct Row {
  int64_t line = 0;
  json item;
  std::vector<std::pair<size_t, bool>> consents;  // index into Columns::consents
  // Filled in by the sender:
  std::string customer_id;
  bool created = false;
  bool settled = false;
};

struct Batch {
  int64_t number = 0;
  std::vector<Row> rows;
  std::vector<Rejection> rejections;
  int64_t rows_read = 0;  // data rows (and unreadable records) in this batch
  size_t body_bytes = 0;
  // Results:
  bool sent = false;  // every row settled
  int64_t created = 0, present = 0;
  int64_t consents_granted = 0, consents_withdrawn = 0, consents_kept = 0;
};

// What the progress display shows while batches are still in flight.
struct Live {
  std::atomic<int64_t> read{0};    // rows the reader has produced
  std::atomic<int64_t> offset{0};  // bytes the reader has consumed
  std::atomic<int64_t> created{0}, present{0}, rejected{0};
};

// The reader: opens the file, maps its header to columns, and cuts its rows
// into batches, rejecting on the way the rows that cannot be sent (no
// contact, wrong field count, bad encoding or consent answer). One thread.
class RowReader {
 public:
  RowReader(const ImportOptions& options, Live& live) : options_(options), live_(live) {}
  ~RowReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;

  // Opens the file and reads its header; the error names the file.
  Status Open() {
    const std::string& file = options_.file;
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return FailedPrecondition("cannot open " + file);
    ::fstat(fd_, &stat_);
    if (!S_ISREG(stat_.st_mode)) return FailedPrecondition(file + " is not a regular file");
    csv::Options csv_options;
    if (options_.delimiter == "auto") {
      csv_options.delimiter = SniffDelimiter(fd_);
    } else {
      csv_options.delimiter = options_.delimiter == "tab" ? '\t' : options_.delimiter[0];
    }
    cp1252_ = options_.encoding != "utf-8" && options_.encoding != "utf8";
    const int fd = fd_;
    reader_ = std::make_unique<csv::Reader>(
        [fd](char* buf, size_t capacity) -> long {
          for (;;) {
            ssize_t n = ::read(fd, buf, capacity);
            if (n < 0 && errno == EINTR) continue;
            return static_cast<long>(n);
          }
        },
        csv_options);

    csv::Record record;
    csv::Error error;
    csv::Outcome outcome = reader_->Next(&record, &error);
    if (outcome == csv::Outcome::kEnd) return FailedPrecondition(file + " is empty");
    if (outcome == csv::Outcome::kError) {
      return FailedPrecondition(file + ": the header cannot be read: " + error.message);
    }
    for (auto& f : record.fields) header_.push_back(Trim(cp1252_ ? FromWindows1252(f) : f));
    for (const auto& h : header_) {
      if (!IsValidUtf8(h)) {
        return FailedPrecondition(file +
                                  " is not UTF-8 text; save it as \"CSV UTF-8\" or pass "
                                  "--encoding windows-1252");
      }
    }
    auto mapped = MapColumns(header_, options_);
    if (!mapped.ok()) return FailedPrecondition(file + ": " + mapped.status().message());
    columns_ = *mapped;
    return Status::Ok();
  }

  const Columns& columns() const { return columns_; }
  const struct stat& file_stat() const { return stat_; }
  // Set once reading the file failed (the batch that hit it is still returned).
  const std::string& read_error() const { return read_error_; }

  // The next batch, or nullptr at the end of the file (or once `stop` says
  // so, or after a read error). REQUIRES: Open() succeeded.
  std::unique_ptr<Batch> NextBatch(const std::function<bool()>& stop) {
    if (done_) return nullptr;
    auto batch = std::make_unique<Batch>();
    if (carry_) {
      batch->body_bytes += carry_size_;
      batch->rows.push_back(std::move(*carry_));
      carry_.reset();
    }
    const size_t batch_rows = static_cast<size_t>(std::clamp(options_.batch_size, 1, 500));
    const size_t batch_bytes = static_cast<size_t>(options_.batch_bytes);
    while (!stop()) {
      csv::Record record;
      csv::Error error;
      csv::Outcome outcome = reader_->Next(&record, &error);
      if (outcome == csv::Outcome::kEnd) break;
      live_.offset = reader_->offset();
      ++live_.read;
      ++batch->rows_read;
      if (outcome == csv::Outcome::kError) {
        ++live_.rejected;
        batch->rejections.push_back(
            {error.line, std::string(csv::ErrorCodeName(error.code)), "", error.message});
        if (error.code == csv::ErrorCode::kRead) {
          read_error_ = "reading " + options_.file + " failed";
          break;
        }
        continue;
      }
      std::optional<Row> row = Parse(record, *batch);
      if (!row) continue;
      size_t size = row->item.dump().size() + 1;
      if (size + kEnvelope > batch_bytes) {
        Reject(*batch, row->line, "row_too_large", "", "the row is larger than --batch-bytes");
        continue;
      }
      if (batch->rows.size() >= batch_rows || batch->body_bytes + size + kEnvelope > batch_bytes) {
        // This batch is full: the row opens the next one.
        carry_ = std::move(row);
        carry_size_ = size;
        batch->number = next_number_++;
        return batch;
      }
      batch->body_bytes += size;
      batch->rows.push_back(std::move(*row));
    }
    done_ = true;
    if (batch->rows.empty() && batch->rejections.empty() && batch->rows_read == 0) return nullptr;
    batch->number = next_number_++;
    return batch;
  }

 private:
  static constexpr size_t kEnvelope = 16;  // {"items":[ ... ]}

  void Reject(Batch& batch, int64_t line, std::string reason, std::string column,
              std::string detail) {
    ++live_.rejected;
    batch.rejections.push_back({line, std::move(reason), std::move(column), std::move(detail)});
  }

  // The row to send, or nullopt when it is rejected (into batch).
  std::optional<Row> Parse(csv::Record& record, Batch& batch) {
    auto& fields = record.fields;
    if (cp1252_) {
      for (auto& f : fields) f = FromWindows1252(f);
    }
    const int64_t line = record.line;
    bool blank = std::all_of(fields.begin(), fields.end(),
                             [](const std::string& f) { return Trim(f).empty(); });
    if (blank) {
      Reject(batch, line, "empty_row", "", "the row is empty");
      return std::nullopt;
    }
    if (fields.size() != header_.size()) {
      Reject(batch, line, "field_count", "",
             "the row has " + std::to_string(fields.size()) + " fields, the header has " +
                 std::to_string(header_.size()) +
                 " (a value with the delimiter in it must be quoted)");
      return std::nullopt;
    }
    auto value = [&](int column) {
      return column >= 0 ? Trim(fields[static_cast<size_t>(column)]) : std::string();
    };
    const Columns& c = columns_;
    std::string email = value(c.email);
    std::string phone = value(c.phone);
    std::string name = value(c.name);
    if (c.name < 0) {
      std::string first = value(c.first_name), last = value(c.last_name);
      name = first.empty() ? last : last.empty() ? first : first + " " + last;
    }
    for (auto [text, column] :
         {std::pair{&email, c.Name(c.email)}, std::pair{&phone, c.Name(c.phone)},
          std::pair{&name, c.NameColumns()}}) {
      if (!IsValidUtf8(*text)) {
        Reject(batch, line, "encoding_invalid", column,
               cp1252_ ? "not valid text"
                       : "not UTF-8 text; save the file as \"CSV UTF-8\" or pass "
                         "--encoding windows-1252");
        return std::nullopt;
      }
    }
    if (email.empty() && phone.empty()) {
      Reject(batch, line, "contact_required", c.ContactColumns(),
             "the row has neither an email nor a phone number");
      return std::nullopt;
    }
    Row row;
    row.line = line;
    for (size_t i = 0; i < c.consents.size(); ++i) {
      int column = c.consents[i].column;
      auto answer = ParseConsent(fields[static_cast<size_t>(column)]);
      if (!answer.ok()) {
        Reject(batch, line, "consent_invalid", c.Name(column),
               "a consent answer is yes or no (oui/non, true/false, 1/0), or empty");
        return std::nullopt;
      }
      if (*answer) row.consents.emplace_back(i, **answer);
    }
    row.item = {{"op", "find_or_create"}};
    if (!email.empty()) row.item["email"] = email;
    if (!phone.empty()) row.item["phone"] = phone;
    if (!name.empty()) row.item["name"] = name;
    return row;
  }

  const ImportOptions& options_;
  Live& live_;
  int fd_ = -1;
  struct stat stat_ {};
  bool cp1252_ = false;
  std::unique_ptr<csv::Reader> reader_;
  std::vector<std::string> header_;
  Columns columns_;
  std::optional<Row> carry_;  // the first row of the next batch
  size_t carry_size_ = 0;
  int64_t next_number_ = 0;
  bool done_ = false;
  std::string read_error_;
};

// The sender: up to --concurrency workers, each with its own ApiClient (one
// connection), send batches and record consents; batches come back in file
// order for the report. Thread-safe.
class BatchSender {
 public:
  BatchSender(const ApiOptions& api, const ImportOptions& options, const Columns& columns,
              std::string key_prefix, Live& live)
      : api_(api),
        options_(options),
        columns_(columns),
        key_prefix_(std::move(key_prefix)),
        live_(live) {}

  // Producer side.
  void Submit(std::unique_ptr<Batch> batch) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return open_ < MaxOpen() || aborted_; });
    ++open_;
    ++submitted_;
    todo_.push_back(std::move(batch));
    work_.notify_one();
  }
  void InputDone() {
    std::lock_guard lock(mu_);
    input_done_ = true;
    work_.notify_all();
    finished_.notify_all();
  }
  bool aborted() {
    std::lock_guard lock(mu_);
    return aborted_;
  }
  std::string abort_reason() {
    std::lock_guard lock(mu_);
    return abort_reason_;
  }
  void Abort(const std::string& why) {
    std::lock_guard lock(mu_);
    if (!aborted_) {
      aborted_ = true;
      abort_reason_ = why;
    }
    work_.notify_all();
    room_.notify_all();
    finished_.notify_all();
    pause_.notify_all();
  }

  // Worker side: sends batches until the input is done.
  void Work() {
    ApiOptions api = api_;
    api.connect_timeout = std::chrono::seconds(10);
    api.read_timeout = std::chrono::seconds(300);
    api.write_timeout = std::chrono::seconds(60);
    ApiClient client(api, [this](std::chrono::milliseconds ms) { return Pause(ms); });
    for (;;) {
      std::unique_ptr<Batch> batch;
      {
        std::unique_lock lock(mu_);
        work_.wait(lock, [&] { return !todo_.empty() || input_done_ || aborted_; });
        if (todo_.empty()) return;
        batch = std::move(todo_.front());
        todo_.pop_front();
      }
      if (!aborted()) Send(client, *batch);
      std::lock_guard lock(mu_);
      done_[batch->number] = std::move(batch);
      finished_.notify_all();
    }
  }

  // Report side: takes finished batches in order; nullptr when none is ready
  // within `wait`; *all_done once every batch is taken.
  std::unique_ptr<Batch> NextFinished(std::chrono::milliseconds wait, bool* all_done) {
    std::unique_lock lock(mu_);
    finished_.wait_for(lock, wait, [&] {
      return done_.count(next_final_) > 0 || (input_done_ && next_final_ == submitted_);
    });
    *all_done = input_done_ && next_final_ == submitted_;
    auto it = done_.find(next_final_);
    if (it == done_.end()) return nullptr;
    auto batch = std::move(it->second);
    done_.erase(it);
    ++next_final_;
    --open_;
    room_.notify_all();
    return batch;
  }

  std::atomic<bool> rate_limited{false};  // some rows were rate-limited

 private:
  size_t MaxOpen() const { return static_cast<size_t>(options_.concurrency) * 2 + 2; }

  // Sleeps `ms` unless the import is aborted meanwhile; false if it was.
  bool Pause(std::chrono::milliseconds ms) {
    std::unique_lock lock(mu_);
    pause_.wait_for(lock, ms, [&] { return aborted_; });
    return !aborted_;
  }

  // Sends with the importer's retries: a network error is retried with the
  // same body and Idempotency-Key (safe: the server answers a repeat from its
  // record); 503 up to `attempts` times; 429 for as long as the server says
  // to wait, since being told to slow down is not a failure.
  StatusOr<ApiResponse> Request(ApiClient& client, const std::string& method,
                                const std::string& path, std::string body, std::string key,
                                int attempts) {
    ApiRequest request;
    request.method = method;
    request.path = path;
    request.body = std::move(body);
    request.idempotency_key = std::move(key);
    request.retry.attempts = attempts;
    request.retry.max_busy_waits = attempts;
    request.retry.max_rate_limited_waits = -1;
    auto r = client.Send(request);
    if (r.ok() && r->rate_limited_waits > 0) rate_limited = true;
    return r;
  }

  // A 4xx on a whole request: the import cannot go on.
  Status Refused(const ApiResponse& r, const std::string& what) {
    std::string hint;
    if (r.status == 401) hint = " (check --token)";
    if (r.status == 403) {
      hint = " (the account's role must allow customer.create and customer.search)";
    }
    if (r.status == 413) hint = " (try a smaller --batch-bytes)";
    return FailedPrecondition(what + ": " + r.Describe() + hint);
  }

  std::string ColumnFor(const std::string& code) const {
    if (code == "email_invalid" || code == "email_taken") return columns_.Name(columns_.email);
    if (code == "phone_invalid") return columns_.Name(columns_.phone);
    if (code == "name_invalid") return columns_.NameColumns();
    if (code == "contact_required") return columns_.ContactColumns();
    return "";
  }

  void Send(ApiClient& client, Batch& batch) {
    Status st = SendRows(client, batch);
    if (st.ok()) st = RecordConsents(client, batch);
    if (!st.ok()) {
      if (st.code() != StatusCode::kAborted) Abort(st.message());
      return;
    }
    batch.sent = true;
  }

  Status SendRows(ApiClient& client, Batch& batch) {
    std::vector<size_t> pending;
    for (size_t i = 0; i < batch.rows.size(); ++i) pending.push_back(i);
    int round = 0;
    int busy_rounds = 0;
    while (!pending.empty()) {
      json items = json::array();
      for (size_t i : pending) items.push_back(batch.rows[i].item);
      std::string key = key_prefix_ + "-" + std::to_string(batch.number);
      if (round > 0) key += "-r" + std::to_string(round);
      ASSIGN_OR_RETURN(ApiResponse r, Request(client, "POST", "/v1/customers/batch",
                                              json{{"items", std::move(items)}}.dump(), key, 8));
      if (r.status != 200 || !r.body.is_object() || !r.body["results"].is_array()) {
        return Refused(r, "the server refused batch " + std::to_string(batch.number + 1));
      }
      std::vector<size_t> again;
      std::chrono::milliseconds wait{0};
      bool item_rate_limited = false;
      for (const auto& result : r.body["results"]) {
        size_t index = result.value("index", size_t{0});
        if (index >= pending.size()) continue;
        Row& row = batch.rows[pending[index]];
        if (result.contains("customer") && result["customer"].is_object()) {
          row.customer_id = result["customer"].value("id", "");
          row.created = result.value("created", false);
          row.settled = true;
          ++(row.created ? batch.created : batch.present);
          ++(row.created ? live_.created : live_.present);
          continue;
        }
        int status = result.value("status", 0);
        json error = result.contains("error") && result["error"].is_object() ? result["error"]
                                                                             : json::object();
        std::string code = error.value("code", "");
        std::string detail = error.value("detail", "");
        if (status == 429 || status >= 500) {
          // Not the row's fault: the server is busy or rate-limiting us.
          again.push_back(pending[index]);
          if (status == 429) {
            rate_limited = true;
            item_rate_limited = true;
            // The item says when its limit has room again; an item without
            // that (an older server) waits 5 s.
            std::chrono::seconds after = RetryAfterOf(error).value_or(std::chrono::seconds(5));
            wait = std::max<std::chrono::milliseconds>(
                wait, std::clamp(after, std::chrono::seconds(1), std::chrono::seconds(60)));
          } else {
            wait = std::max<std::chrono::milliseconds>(wait, std::chrono::seconds(1));
          }
          continue;
        }
        row.settled = true;
        ++live_.rejected;
        batch.rejections.push_back({row.line, code.empty() ? "rejected" : code, ColumnFor(code),
                                    detail.empty() ? "HTTP " + std::to_string(status) : detail});
      }
      // Rows the response did not mention (it should mention all): send again.
      for (size_t i : pending) {
        if (!batch.rows[i].settled && std::find(again.begin(), again.end(), i) == again.end()) {
          again.push_back(i);
        }
      }
      if (again.empty()) break;
      // Waiting out a rate limit is progress; rows the server keeps failing
      // (5xx) are not.
      if (!item_rate_limited && ++busy_rounds > 8) {
        return Unavailable("the server kept failing rows of batch " +
                           std::to_string(batch.number + 1) + " (HTTP 5xx)");
      }
      std::sort(again.begin(), again.end());
      pending = std::move(again);
      ++round;
      if (!Pause(wait > std::chrono::milliseconds(0) ? wait : std::chrono::seconds(1))) {
        return Aborted("stopped");
      }
    }
    return Status::Ok();
  }

  // Consent for the rows of a batch: for customers created now, every answer
  // the file gives; for customers already there, only purposes the ledger has
  // nothing for yet.
  Status RecordConsents(ApiClient& client, Batch& batch) {
    for (Row& row : batch.rows) {
      if (row.consents.empty() || row.customer_id.empty()) continue;
      bool need_check = !row.created;
      for (auto [index, granted] : row.consents) {
        const std::string& purpose = columns_.consents[index].purpose;
        std::string path = "/v1/customers/" + row.customer_id + "/consents";
        bool ours = false;  // we sent a PUT for it whose outcome we did not see
        for (int attempt = 0;; ++attempt) {
          if (attempt >= 8) {
            return Unavailable("cannot record consent for the row on line " +
                               std::to_string(row.line));
          }
          if (attempt > 0 &&
              !Pause(std::chrono::milliseconds(std::min<int64_t>(500LL << attempt, 30000)))) {
            return Aborted("stopped");
          }
          if (aborted()) return Aborted("stopped");
          if (need_check) {
            auto r = Request(client, "GET", path, "", "", 1);
            if (!r.ok()) continue;
            if (r->status == 404) break;  // erased meanwhile
            if (r->status != 200) return Refused(*r, "cannot read consents");
            const json& states = r->body["consents"];
            if (states.is_object() && states.contains(purpose) && states[purpose].contains("at") &&
                !states[purpose]["at"].is_null()) {
              if (ours) {
                ++(granted ? batch.consents_granted : batch.consents_withdrawn);
              } else {
                ++batch.consents_kept;
              }
              break;
            }
          }
          json body = {{"granted", granted},
                       {"channel", "import"},
                       {"notice_version", options_.consent_notice}};
          auto r = Request(client, "PUT", path + "/" + purpose, body.dump(), "", 1);
          if (!r.ok() || r->status >= 500) {
            need_check = true;  // it may have been recorded: look before sending again
            ours = true;
            continue;
          }
          if (r->status == 404) break;
          if (r->status != 200) {
            return Refused(*r, "cannot record consent for \"" + purpose + "\"");
          }
          ++(granted ? batch.consents_granted : batch.consents_withdrawn);
          break;
        }
      }
    }
    return Status::Ok();
  }

  const ApiOptions& api_;
  const ImportOptions& options_;
  const Columns& columns_;
  const std::string key_prefix_;
  Live& live_;

  std::mutex mu_;
  std::condition_variable work_, room_, finished_, pause_;
  std::deque<std::unique_ptr<Batch>> todo_;         // GUARDED_BY(mu_)
  std::map<int64_t, std::unique_ptr<Batch>> done_;  // GUARDED_BY(mu_)
  size_t open_ = 0;                                 // submitted, not yet finalized
  int64_t submitted_ = 0;
  int64_t next_final_ = 0;
  bool input_done_ = false;
  bool aborted_ = false;
  std::string abort_reason_;
};

// --- Progress -----------------------------------------------------------------

struct Totals {
  int64_t read = 0, created = 0, present = 0, rejected = 0, not_processed = 0;
  int64_t consents_granted = 0, consents_withdrawn = 0, consents_kept = 0;
};

class Progress {
 public:
  Progress(int64_t total_bytes, bool enabled)
      : total_(total_bytes),
        enabled_(enabled),
        tty_(::isatty(STDERR_FILENO) == 1),
        start_(SteadyClock::now()),
        last_(start_) {}

  double Elapsed() const {
    return std::chrono::duration<double>(SteadyClock::now() - start_).count();
  }

  void Update(const Live& t, bool force) {
    if (!enabled_) return;
    auto now = SteadyClock::now();
    auto interval = tty_ ? std::chrono::milliseconds(200) : std::chrono::seconds(5);
    if (!force && now - last_ < interval) return;
    last_ = now;
    double elapsed = Elapsed();
    const int64_t created = t.created, present = t.present, rejected = t.rejected;
    const int64_t read = t.read;
    int64_t done = created + present + rejected;
    double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
    // The share of the file read, times the share of what was read that is done.
    double frac = total_ > 0 ? std::min(1.0, static_cast<double>(t.offset) / total_) : 0;
    if (read > 0) frac *= static_cast<double>(done) / static_cast<double>(read);
    // No estimate before the server has answered a batch.
    double eta = frac > 0 && created + present > 0 ? elapsed * (1 - frac) / frac : -1;
    if (tty_) {
      constexpr int kWidth = 28;
      int filled = static_cast<int>(frac * kWidth);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(kWidth - filled), '.');
      std::fprintf(stderr, "\r[%s] %3.0f%%  %lld rows  %.0f rows/s  ETA %s  ", bar.c_str(),
                   frac * 100, static_cast<long long>(done), rate, FormatDuration(eta).c_str());
      drawn_ = true;
    } else {
      std::fprintf(stderr,
                   "import: %.0f%%, %lld rows (%lld created, %lld already present, %lld "
                   "rejected), %.0f rows/s, ETA %s\n",
                   frac * 100, static_cast<long long>(done), static_cast<long long>(created),
                   static_cast<long long>(present), static_cast<long long>(rejected), rate,
                   FormatDuration(eta).c_str());
    }
    std::fflush(stderr);
  }

  // A message that must not be drawn over by the bar.
  void Note(const std::string& text) {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
    std::fprintf(stderr, "contact-vault: %s\n", text.c_str());
  }

  void End() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  int64_t total_;
  bool enabled_, tty_;
  SteadyClock::time_point start_, last_;
  bool drawn_ = false;
};

// The report: takes batches back from the sender in file order, adds up the
// totals and writes each rejection (line, reason code, column, detail; never
// a value) to the report file, so the report is sorted by line.
class ImportReport {
 public:
  ImportReport() = default;
  ~ImportReport() { Close(); }
  ImportReport(const ImportReport&) = delete;
  ImportReport& operator=(const ImportReport&) = delete;

  // Creates the report file (mode 0600) and writes its header.
  Status Open(const std::string& path) {
    path_ = path;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return FailedPrecondition("cannot write the report " + path);
    file_ = ::fdopen(fd, "w");
    Write({"line", "reason", "column", "detail"}, false);
    return Status::Ok();
  }

  void Add(Batch& batch) {
    totals_.read += batch.rows_read;
    // Rows settled before a stop count as what they became; the others were
    // not processed (a re-run takes care of them).
    totals_.created += batch.created;
    totals_.present += batch.present;
    totals_.consents_granted += batch.consents_granted;
    totals_.consents_withdrawn += batch.consents_withdrawn;
    totals_.consents_kept += batch.consents_kept;
    totals_.not_processed += std::count_if(batch.rows.begin(), batch.rows.end(),
                                           [](const Row& row) { return !row.settled; });
    std::vector<Rejection> rejections = std::move(batch.rejections);
    std::sort(rejections.begin(), rejections.end(),
              [](const Rejection& a, const Rejection& b) { return a.line < b.line; });
    for (const auto& r : rejections) Write({std::to_string(r.line), r.reason, r.column, r.detail});
    totals_.rejected += static_cast<int64_t>(rejections.size());
  }

  void Close() {
    if (file_ != nullptr) std::fclose(file_);
    file_ = nullptr;
  }

  void PrintSummary(const std::string& file, const Columns& columns, bool stopped,
                    double elapsed) const {
    const Totals& t = totals_;
    int64_t handled = t.created + t.present + t.rejected;
    std::printf("import %s: %s\n", stopped ? "stopped" : "finished", file.c_str());
    std::printf("  read:            %lld rows\n", static_cast<long long>(t.read));
    std::printf("  created:         %lld\n", static_cast<long long>(t.created));
    std::printf("  already present: %lld\n", static_cast<long long>(t.present));
    std::printf("  rejected:        %lld%s\n", static_cast<long long>(t.rejected),
                t.rejected > 0 ? (" (line numbers and reasons in " + path_ + ")").c_str() : "");
    if (stopped) {
      std::printf("  not processed:   %lld (and the rest of the file was not read)\n",
                  static_cast<long long>(t.not_processed));
    }
    if (!columns.consents.empty()) {
      std::printf(
          "  consents:        %lld recorded (%lld granted, %lld withdrawn), %lld already "
          "in the ledger and kept\n",
          static_cast<long long>(t.consents_granted + t.consents_withdrawn),
          static_cast<long long>(t.consents_granted), static_cast<long long>(t.consents_withdrawn),
          static_cast<long long>(t.consents_kept));
    }
    std::printf("  elapsed:         %.1f s\n", elapsed);
    std::printf("  rate:            %.0f rows/s\n",
                elapsed > 0 ? static_cast<double>(handled) / elapsed : 0.0);
    std::fflush(stdout);
  }

 private:
  void Write(const std::vector<std::string>& fields, bool defuse_formulas = true) {
    std::string line = csv::FormatRecord(fields, ',', defuse_formulas);
    std::fwrite(line.data(), 1, line.size(), file_);
  }

  std::string path_;
  FILE* file_ = nullptr;
  Totals totals_;
};

// Idempotency keys: this file (device, inode, size, mtime, path) and this
// run, then the batch number.
std::string KeyPrefix(const std::string& file, const struct stat& st) {
  crypto::EnsureSodium();
  std::string identity = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
                         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) +
                         "." + std::to_string(st.st_mtim.tv_nsec) + ":" + file + ":" +
                         crypto::RandomBytes(16);
  unsigned char digest[12];
  crypto_generichash(digest, sizeof(digest),
                     reinterpret_cast<const unsigned char*>(identity.data()), identity.size(),
                     nullptr, 0);
  return "import-" + crypto::HexEncode(std::string_view(reinterpret_cast<char*>(digest), 12));
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "contact-vault: %s\n", message.c_str());
  return 1;
}

void PrintColumns(const std::string& file, const Columns& columns) {
  std::printf(
      "importing %s: %s%s%s%s\n", file.c_str(),
      columns.email >= 0 ? ("email from \"" + columns.Name(columns.email) + "\"").c_str()
                         : "no email column",
      columns.phone >= 0 ? (", phone from \"" + columns.Name(columns.phone) + "\"").c_str()
                         : ", no phone column",
      columns.NameColumns().empty() ? ", no name column"
                                    : (", name from \"" + columns.NameColumns() + "\"").c_str(),
      columns.consents.empty()
          ? ""
          : (", " + std::to_string(columns.consents.size()) + " consent column(s)").c_str());
  std::fflush(stdout);
}

}  // namespace

void AddImportCommand(CLI::App& cli, const std::function<void(CLI::App*)>& add_remote,
                      const ApiOptions& api, int* exit_code) {
  auto options = std::make_shared<ImportOptions>();
  auto* command = cli.add_subcommand(
      "import", "import customers from a CSV file (find-or-create: re-running adds nothing twice)");
  auto& o = *options;
  command->add_option("file", o.file, "the CSV file (UTF-8, with a header row)")
      ->required()
      ->check(CLI::ExistingFile);
  command->add_option("--report", o.report,
                      "where rejected rows are listed (default FILE.rejected.csv)");
  command->add_option("--email-column", o.email_column,
                      "header of the email column (default: email, e-mail, courriel...)");
  command->add_option("--phone-column", o.phone_column,
                      "header of the phone column (default: phone, telephone, "
                      "t\xC3\xA9l\xC3\xA9phone, mobile...)");
  command->add_option("--name-column", o.name_column,
                      "header of the name column (default: name, full name, nom; or first "
                      "name + last name, pr\xC3\xA9nom + nom)");
  command->add_option("--consent-column", o.consent_columns,
                      "PURPOSE=COLUMN: record the column's yes/no as consent to PURPOSE "
                      "(repeatable; needs --consent-notice)");
  command->add_option("--consent-notice", o.consent_notice,
                      "the privacy notice version the customers agreed to");
  command->add_option("--delimiter", o.delimiter, "auto, ',', ';' or tab")
      ->check(CLI::IsMember({"auto", ",", ";", "tab", "\t"}));
  command->add_option("--encoding", o.encoding, "utf-8 or windows-1252 (also latin-1)")
      ->check(CLI::IsMember(
          {"utf-8", "utf8", "windows-1252", "cp1252", "latin-1", "latin1", "iso-8859-1"}));
  command->add_option("--batch-size", o.batch_size, "rows per request (at most 500)")
      ->check(CLI::Range(1, 500));
  command
      ->add_option("--batch-bytes", o.batch_bytes,
                   "JSON bytes per request (below the server's body limit)")
      ->check(CLI::Range(1024, 16 * 1024 * 1024));
  command->add_option("--concurrency", o.concurrency, "requests in flight (1-16)")
      ->check(CLI::Range(1, 16));
  command->add_flag("--no-progress", o.no_progress, "no progress bar or progress lines");
  add_remote(command);
  command->callback([options, &api, exit_code] { *exit_code = RunImport(api, *options); });
}

int RunImport(const ApiOptions& api, const ImportOptions& options) {
  if (api.token.empty()) return Fail("import needs --token or CONTACT_VAULT_TOKEN");
  // A keep-alive connection the server closed while a worker paused must
  // fail the next write with an error (and be retried), not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  if (!options.consent_columns.empty() && options.consent_notice.empty()) {
    return Fail(
        "--consent-column needs --consent-notice (the notice version the customers "
        "agreed to)");
  }
  Live live;
  RowReader reader(options, live);
  if (Status st = reader.Open(); !st.ok()) return Fail(st.message());
  const Columns& columns = reader.columns();

  // The report is created before anything is sent, so a run that cannot
  // write it does nothing.
  ImportReport report;
  if (Status st =
          report.Open(options.report.empty() ? options.file + ".rejected.csv" : options.report);
      !st.ok()) {
    return Fail(st.message());
  }
  PrintColumns(options.file, columns);

  BatchSender sender(api, options, columns, KeyPrefix(options.file, reader.file_stat()), live);
  Progress progress(reader.file_stat().st_size, !options.no_progress);

  std::thread reporter([&] {
    bool warned = false;
    for (;;) {
      bool all_done = false;
      auto batch = sender.NextFinished(std::chrono::milliseconds(100), &all_done);
      if (batch) report.Add(*batch);
      if (sender.rate_limited && !warned) {
        warned = true;
        progress.Note(
            "the server is rate-limiting this account's lookups (lookup_rate_limited); "
            "rows are sent again when allowed, so the import goes on at that pace. For large "
            "imports use a service account whose role has a high lookups_per_minute.");
      }
      progress.Update(live, false);
      if (all_done) return;
    }
  });
  std::vector<std::thread> workers;
  for (int i = 0; i < options.concurrency; ++i) {
    workers.emplace_back([&] { sender.Work(); });
  }

  // This thread reads the file.
  auto stop = [&] { return sender.aborted(); };
  while (auto batch = reader.NextBatch(stop)) {
    if (!reader.read_error().empty()) sender.Abort(reader.read_error());
    sender.Submit(std::move(batch));
  }
  sender.InputDone();
  for (auto& w : workers) w.join();
  reporter.join();
  double elapsed = progress.Elapsed();
  progress.Update(live, true);
  progress.End();
  report.Close();

  bool stopped = sender.aborted();
  report.PrintSummary(options.file, columns, stopped, elapsed);
  if (stopped) {
    return Fail("the import stopped: " + sender.abort_reason() +
                ". Run the same command again to finish: rows already imported are found, "
                "not added twice.");
  }
  return 0;
}

}  // namespace vault::cli

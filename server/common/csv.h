// A streaming RFC 4180 CSV reader, and the matching writer for one record.
//
// Reading: records come one at a time from a byte source (a file descriptor,
// a string), so a file of any length is read in bounded memory: the reader
// keeps at most one record (Options::max_record_bytes of raw input, 64 KiB by
// default) plus one read chunk. It accepts
//   - fields separated by Options::delimiter (',' by default; ';' for the
//     French-locale spreadsheet exports), records ended by CRLF, LF or a lone
//     CR; the last record may lack its line break;
//   - quoted fields ("a, b"), with "" for a quote inside them, and line breaks
//     inside them (kept as they are, CRLF included);
//   - a UTF-8 byte order mark at the very start (dropped).
// A blank line is a record of one empty field (RFC 4180 has no blank-record
// rule; the caller decides what it means). Bytes are not decoded: fields are
// returned as they are, and the caller checks their encoding.
//
// Each record carries the number of the physical line it starts on (1-based,
// counting LF, CRLF and lone CR once each) and the byte offset just past it.
//
// Errors (Outcome::kError) name the line the bad record starts on and never
// quote the input (it may be personal data). After an error the reader
// resynchronises and the next call goes on with the following records:
//   - kUnterminatedQuote (a quoted field still open at the end of the input,
//     or open past max_record_bytes): reading resumes at the line after the
//     one where that quote opened, so a stray quote costs one line, not the
//     rest of the file;
//   - kBareQuote ('"' inside an unquoted field), kTextAfterQuote ("ab"c),
//     kRecordTooLong, kTooManyFields: the rest of the physical line where the
//     problem was found is skipped;
//   - kUtf16 (a UTF-16 byte order mark) and kRead (the source failed) end the
//     input: every later call returns kEnd.
// Pure (no I/O of its own, no globals); not thread-safe (one per input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace vault::csv {

struct Options {
  char delimiter = ',';
  // Raw bytes of one record, line breaks and quotes included.
  size_t max_record_bytes = 64 * 1024;
  size_t max_fields = 1024;
  // Bytes asked of the source per read.
  size_t chunk_bytes = 64 * 1024;
};

enum class ErrorCode {
  kUnterminatedQuote,
  kBareQuote,
  kTextAfterQuote,
  kRecordTooLong,
  kTooManyFields,
  kUtf16,
  kRead,
};

// A stable machine-readable name: "csv_unterminated_quote", "csv_bare_quote",
// "csv_text_after_quote", "csv_record_too_long", "csv_too_many_fields",
// "csv_utf16", "csv_read_failed".
std::string_view ErrorCodeName(ErrorCode code);

struct Record {
  std::vector<std::string> fields;
  int64_t line = 0;        // the physical line the record starts on, 1-based
  int64_t end_offset = 0;  // input bytes consumed once this record was read
};

struct Error {
  ErrorCode code = ErrorCode::kRead;
  int64_t line = 0;        // the line the bad record starts on
  int64_t end_offset = 0;  // input bytes consumed once the reader resynchronised
  std::string message;     // "line 12: …", without any of the input
};

enum class Outcome { kRecord, kError, kEnd };

class Reader {
 public:
  // Fills `buf` with up to `capacity` bytes; returns how many (0 at the end
  // of the input), or a negative number when reading failed.
  using Source = std::function<long(char* buf, size_t capacity)>;

  explicit Reader(Source source, Options options = {});
  // Reads `text`, which must outlive the reader.
  static Reader FromString(std::string_view text, Options options = {});

  // The next record (kRecord, into *record), a problem (kError, into *error;
  // call again to go on) or the end of the input (kEnd, then always kEnd).
  Outcome Next(Record* record, Error* error);

  // Input bytes consumed so far (the BOM included).
  int64_t offset() const { return consumed_ + static_cast<int64_t>(pos_); }

 private:
  enum class State { kFieldStart, kUnquoted, kQuoted, kAfterQuote };

  // Makes at least `n` bytes available from pos_, reading as needed; keeps
  // everything from start_ (the current record). False at the end.
  bool Ensure(size_t n);
  // Fills *error, resynchronises (see above), returns kError.
  Outcome Fail(ErrorCode code, int64_t record_line, const std::string& what, Error* error);
  // Skips to just past the next line break (quotes ignored), discarding.
  void SkipLine();
  // Consumes the line break at pos_ (CR, LF or CRLF).
  void ConsumeLineBreak();

  Source source_;
  Options options_;
  std::string buf_;   // input bytes [consumed_, consumed_ + buf_.size())
  size_t pos_ = 0;    // next unread byte in buf_
  size_t start_ = 0;  // start of the current record in buf_
  int64_t consumed_ = 0;
  int64_t line_ = 1;
  size_t quote_rel_ = 0;    // the open quote, relative to start_
  int64_t quote_line_ = 0;  // and its line
  bool eof_ = false;
  bool read_failed_ = false;
  bool done_ = false;
  bool started_ = false;
};

// One record as CSV text, with its CRLF: a field is quoted when it holds the
// delimiter, a quote, CR or LF, or starts or ends with a space; a quote in it
// is doubled. A field starting with = + - @ (or TAB, CR) gets a leading
// apostrophe when `defuse_formulas` is set, so that a spreadsheet does not
// run it as a formula (CSV injection).
std::string FormatRecord(const std::vector<std::string>& fields, char delimiter = ',',
                         bool defuse_formulas = false);

// One field to write, and whether it is free text (a name) whose formula,
// if it looks like one, must be defused. Ids, emails and E.164 phones (which
// start with '+') are not free text: they go out exactly as stored.
struct Field {
  std::string_view text;
  bool free_text = false;
};

// As FormatRecord, appended to `out` without copying any field, so a caller
// writing plaintext holds it in `out` alone (and can wipe it there).
void AppendRecord(std::string& out, const std::vector<Field>& fields, char delimiter = ',');

}  // namespace vault::csv

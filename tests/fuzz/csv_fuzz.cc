// Fuzzes the streaming CSV reader and writer (common/csv.h). The first byte
// picks the options (delimiter, a tiny read chunk so refills land anywhere,
// small record and field limits); the rest is the file. Properties: no crash;
// every Next() makes progress and the input ends in kEnd, then kEnd again;
// offsets and line numbers never go back and never pass the input; limits
// hold; an error names its line and never quotes the input; and every record
// read, written back with FormatRecord (formulas defused or not), reads back
// as the same fields.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "fuzz_check.h"

using vault::fuzz::Bytes;
namespace csv = vault::csv;

namespace {

csv::Reader Chunked(std::string_view text, csv::Options options) {
  auto cursor = std::make_shared<size_t>(0);
  return csv::Reader(
      [text, cursor](char* buf, size_t capacity) -> long {
        size_t n = std::min(capacity, text.size() - *cursor);
        std::copy_n(text.data() + *cursor, n, buf);
        *cursor += n;
        return static_cast<long>(n);
      },
      options);
}

bool FormulaStart(const std::string& v) {
  return !v.empty() &&
         (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r');
}

// FormatRecord's output, after a header line (so a leading BOM in the first
// field is not taken for the file's), read back with default limits.
void CheckRoundTrip(const std::vector<std::string>& fields, char delimiter, bool defuse) {
  if (fields.empty()) return;
  std::string text = "h\r\n" + csv::FormatRecord(fields, delimiter, defuse);
  csv::Options options;
  options.delimiter = delimiter;
  options.max_record_bytes = text.size() + 16;
  options.max_fields = fields.size() + 1;
  csv::Reader reader = csv::Reader::FromString(text, options);
  csv::Record header, back;
  csv::Error error;
  FUZZ_CHECK(reader.Next(&header, &error) == csv::Outcome::kRecord, "header reads");
  csv::Outcome outcome = reader.Next(&back, &error);
  FUZZ_CHECK(outcome == csv::Outcome::kRecord, "a written record reads back");
  FUZZ_CHECK(back.fields.size() == fields.size(), "same number of fields");
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string want = defuse && FormulaStart(fields[i]) ? "'" + fields[i] : fields[i];
    FUZZ_CHECK(back.fields[i] == want, "a written field reads back unchanged");
    if (defuse) FUZZ_CHECK(!FormulaStart(back.fields[i]), "formulas are defused");
  }
  FUZZ_CHECK(reader.Next(&back, &error) == csv::Outcome::kEnd, "nothing after it");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t knobs = data[0];
  std::string_view text = Bytes(data + 1, size - 1);
  csv::Options options;
  options.delimiter = (knobs & 1) ? ';' : ',';
  options.chunk_bytes = 1 + ((knobs >> 1) & 7);           // 1..8 bytes a read
  options.max_record_bytes = (knobs & 0x10) ? 64 : 4096;  // small, to trip it
  options.max_fields = (knobs & 0x20) ? 4 : 1024;
  bool defuse = (knobs & 0x40) != 0;

  csv::Reader reader = Chunked(text, options);
  int64_t last_offset = 0, last_line = 0;
  // Every call consumes input or ends it: more calls than bytes is a hang.
  size_t calls = 0;
  for (;;) {
    FUZZ_CHECK(++calls <= text.size() + 2, "the reader makes progress");
    csv::Record record;
    csv::Error error;
    csv::Outcome outcome = reader.Next(&record, &error);
    if (outcome == csv::Outcome::kEnd) break;
    int64_t offset = outcome == csv::Outcome::kRecord ? record.end_offset : error.end_offset;
    int64_t line = outcome == csv::Outcome::kRecord ? record.line : error.line;
    FUZZ_CHECK(offset > last_offset || outcome == csv::Outcome::kError, "a record consumes input");
    FUZZ_CHECK(offset >= last_offset, "offsets never go back");
    FUZZ_CHECK(offset <= static_cast<int64_t>(text.size()), "offsets stay in the input");
    FUZZ_CHECK(line >= 1 && line >= last_line, "line numbers never go back");
    last_offset = offset;
    last_line = line;
    if (outcome == csv::Outcome::kError) {
      FUZZ_CHECK(error.message.starts_with("line " + std::to_string(error.line)),
                 "an error names its line");
      FUZZ_CHECK(!csv::ErrorCodeName(error.code).empty(), "an error has a code");
      continue;
    }
    FUZZ_CHECK(!record.fields.empty(), "a record has a field");
    FUZZ_CHECK(record.fields.size() <= options.max_fields, "field limit holds");
    size_t bytes = 0;
    for (const auto& f : record.fields) bytes += f.size();
    FUZZ_CHECK(bytes <= options.max_record_bytes, "record limit holds");
    CheckRoundTrip(record.fields, options.delimiter, defuse);
  }
  csv::Record record;
  csv::Error error;
  FUZZ_CHECK(reader.Next(&record, &error) == csv::Outcome::kEnd, "kEnd stays kEnd");
  return 0;
}

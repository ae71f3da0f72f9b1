#include "common/csv.h"

#include <algorithm>
#include <utility>

namespace vault::csv {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUnterminatedQuote:
      return "csv_unterminated_quote";
    case ErrorCode::kBareQuote:
      return "csv_bare_quote";
    case ErrorCode::kTextAfterQuote:
      return "csv_text_after_quote";
    case ErrorCode::kRecordTooLong:
      return "csv_record_too_long";
    case ErrorCode::kTooManyFields:
      return "csv_too_many_fields";
    case ErrorCode::kUtf16:
      return "csv_utf16";
    case ErrorCode::kRead:
      return "csv_read_failed";
  }
  return "csv_error";
}

Reader::Reader(Source source, Options options) : source_(std::move(source)), options_(options) {
  if (options_.chunk_bytes == 0) options_.chunk_bytes = 64 * 1024;
  if (options_.max_record_bytes == 0) options_.max_record_bytes = 1;
  if (options_.max_fields == 0) options_.max_fields = 1;
}

Reader Reader::FromString(std::string_view text, Options options) {
  auto cursor = std::make_shared<size_t>(0);
  return Reader(
      [text, cursor](char* buf, size_t capacity) -> long {
        size_t n = std::min(capacity, text.size() - *cursor);
        std::copy_n(text.data() + *cursor, n, buf);
        *cursor += n;
        return static_cast<long>(n);
      },
      options);
}

bool Reader::Ensure(size_t n) {
  while (buf_.size() - pos_ < n) {
    if (eof_) return false;
    if (start_ > 0) {  // drop what no record needs any more
      buf_.erase(0, start_);
      consumed_ += static_cast<int64_t>(start_);
      pos_ -= start_;
      start_ = 0;
    }
    size_t old = buf_.size();
    buf_.resize(old + options_.chunk_bytes);
    long got = source_(buf_.data() + old, options_.chunk_bytes);
    if (got <= 0) {
      buf_.resize(old);
      eof_ = true;
      read_failed_ = got < 0;
      return false;
    }
    buf_.resize(old +
                static_cast<size_t>(std::min<long>(got, static_cast<long>(options_.chunk_bytes))));
  }
  return true;
}

void Reader::ConsumeLineBreak() {
  if (buf_[pos_] == '\r') {
    ++pos_;
    if (Ensure(1) && buf_[pos_] == '\n') ++pos_;
  } else {
    ++pos_;
  }
  ++line_;
}

void Reader::SkipLine() {
  for (;;) {
    start_ = pos_;  // nothing before pos_ is needed while skipping
    if (!Ensure(1)) return;
    auto it = std::find_if(buf_.begin() + static_cast<ptrdiff_t>(pos_), buf_.end(),
                           [](char c) { return c == '\n' || c == '\r'; });
    pos_ = static_cast<size_t>(it - buf_.begin());
    if (it != buf_.end()) {
      ConsumeLineBreak();
      start_ = pos_;
      return;
    }
  }
}

Outcome Reader::Fail(ErrorCode code, int64_t record_line, const std::string& what, Error* error) {
  error->code = code;
  error->line = record_line;
  error->message = "line " + std::to_string(record_line) + ": " + what;
  switch (code) {
    case ErrorCode::kUtf16:
    case ErrorCode::kRead:
      done_ = true;
      break;
    case ErrorCode::kUnterminatedQuote:
      // Go back to just after the opening quote and resume on the next line.
      pos_ = start_ + quote_rel_ + 1;
      line_ = quote_line_;
      SkipLine();
      break;
    default:
      SkipLine();
      break;
  }
  start_ = pos_;
  error->end_offset = offset();
  return Outcome::kError;
}

Outcome Reader::Next(Record* record, Error* error) {
  record->fields.clear();
  if (done_) return Outcome::kEnd;
  if (!started_) {
    started_ = true;
    Ensure(3);
    size_t have = buf_.size() - pos_;
    auto at = [&](size_t i) { return static_cast<unsigned char>(buf_[pos_ + i]); };
    if (have >= 2 && ((at(0) == 0xFF && at(1) == 0xFE) || (at(0) == 0xFE && at(1) == 0xFF))) {
      return Fail(ErrorCode::kUtf16, 1,
                  "the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\") and try again", error);
    }
    if (have >= 3 && at(0) == 0xEF && at(1) == 0xBB && at(2) == 0xBF) pos_ += 3;
    start_ = pos_;
  }
  start_ = pos_;
  if (!Ensure(1)) {
    if (read_failed_) return Fail(ErrorCode::kRead, line_, "the file could not be read", error);
    done_ = true;
    return Outcome::kEnd;
  }

  const char delim = options_.delimiter;
  const size_t max_bytes = options_.max_record_bytes;
  const int64_t record_line = line_;
  std::vector<std::string>& fields = record->fields;
  std::string field;
  State state = State::kFieldStart;

  auto finish = [&]() {
    record->line = record_line;
    start_ = pos_;
    record->end_offset = offset();
    return Outcome::kRecord;
  };
  auto too_many = [&]() {
    return Fail(ErrorCode::kTooManyFields, record_line,
                "more than " + std::to_string(options_.max_fields) + " fields", error);
  };

  for (;;) {
    if (pos_ - start_ > max_bytes) {
      if (state == State::kQuoted) {
        return Fail(ErrorCode::kUnterminatedQuote, record_line,
                    "a quoted field opened on line " + std::to_string(quote_line_) +
                        " is still open after " + std::to_string(max_bytes) +
                        " bytes: a closing quote is probably missing",
                    error);
      }
      return Fail(ErrorCode::kRecordTooLong, record_line,
                  "the record is longer than " + std::to_string(max_bytes) + " bytes", error);
    }
    if (!Ensure(1)) {
      if (read_failed_) return Fail(ErrorCode::kRead, line_, "the file could not be read", error);
      if (state == State::kQuoted) {
        return Fail(
            ErrorCode::kUnterminatedQuote, record_line,
            "a quoted field opened on line " + std::to_string(quote_line_) + " is never closed",
            error);
      }
      fields.push_back(std::move(field));
      if (fields.size() > options_.max_fields) return too_many();
      return finish();
    }
    // Never look further than one byte past the record limit.
    const size_t limit = std::min(buf_.size(), start_ + max_bytes + 1);
    char c = buf_[pos_];
    switch (state) {
      case State::kFieldStart:
        if (c == '"') {
          quote_rel_ = pos_ - start_;
          quote_line_ = line_;
          ++pos_;
          state = State::kQuoted;
        } else if (c == delim) {
          ++pos_;
          fields.push_back(std::move(field));
          field.clear();
          if (fields.size() > options_.max_fields) return too_many();
        } else if (c == '\n' || c == '\r') {
          fields.push_back(std::move(field));
          if (fields.size() > options_.max_fields) return too_many();
          ConsumeLineBreak();
          return finish();
        } else {
          state = State::kUnquoted;
        }
        break;

      case State::kUnquoted: {
        size_t end = pos_;
        while (end < limit && buf_[end] != delim && buf_[end] != '"' && buf_[end] != '\n' &&
               buf_[end] != '\r') {
          ++end;
        }
        field.append(buf_, pos_, end - pos_);
        pos_ = end;
        if (pos_ == limit) break;  // more input, the end, or too long: the loop decides
        c = buf_[pos_];
        if (c == '"') {
          return Fail(ErrorCode::kBareQuote, record_line,
                      "a quote inside an unquoted field; quote the whole field and double "
                      "the quotes inside it (\"\")",
                      error);
        }
        fields.push_back(std::move(field));
        field.clear();
        if (fields.size() > options_.max_fields) return too_many();
        if (c == delim) {
          ++pos_;
          state = State::kFieldStart;
        } else {
          ConsumeLineBreak();
          return finish();
        }
        break;
      }

      case State::kQuoted: {
        size_t end = pos_;
        while (end < limit && buf_[end] != '"') {
          // A line break inside quotes: CRLF, LF and a lone CR count once.
          if (buf_[end] == '\r' || (buf_[end] == '\n' && buf_[end - 1] != '\r')) ++line_;
          ++end;
        }
        field.append(buf_, pos_, end - pos_);
        pos_ = end;
        if (pos_ == limit) break;
        // A quote: either "" (one quote in the value) or the closing one.
        if (Ensure(2) && buf_[pos_ + 1] == '"') {
          field.push_back('"');
          pos_ += 2;
        } else {
          ++pos_;
          state = State::kAfterQuote;
        }
        break;
      }

      case State::kAfterQuote:
        if (c == delim) {
          ++pos_;
          fields.push_back(std::move(field));
          field.clear();
          if (fields.size() > options_.max_fields) return too_many();
          state = State::kFieldStart;
        } else if (c == '\n' || c == '\r') {
          fields.push_back(std::move(field));
          if (fields.size() > options_.max_fields) return too_many();
          ConsumeLineBreak();
          return finish();
        } else {
          return Fail(ErrorCode::kTextAfterQuote, record_line,
                      "text after the closing quote of a field; a quote inside a quoted "
                      "field must be doubled (\"\")",
                      error);
        }
        break;
    }
  }
}

void AppendRecord(std::string& out, const std::vector<Field>& fields, char delimiter) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out.push_back(delimiter);
    std::string_view value = fields[i].text;
    bool formula = fields[i].free_text && !value.empty() &&
                   (value[0] == '=' || value[0] == '+' || value[0] == '-' || value[0] == '@' ||
                    value[0] == '\t' || value[0] == '\r');
    const char specials[] = {delimiter, '"', '\r', '\n', '\0'};
    bool quote = value.find_first_of(specials) != std::string_view::npos ||
                 (!formula && !value.empty() && value.front() == ' ') ||
                 (!value.empty() && value.back() == ' ');
    if (!quote) {
      if (formula) out.push_back('\'');
      out.append(value);
      continue;
    }
    out.push_back('"');
    if (formula) out.push_back('\'');
    for (char c : value) {
      if (c == '"') out.push_back('"');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out += "\r\n";
}

std::string FormatRecord(const std::vector<std::string>& fields, char delimiter,
                         bool defuse_formulas) {
  std::vector<Field> view;
  view.reserve(fields.size());
  for (const auto& f : fields) view.push_back({f, defuse_formulas});
  std::string out;
  AppendRecord(out, view, delimiter);
  return out;
}

}  // namespace vault::csv

#include "http/framing.h"

#include <algorithm>

#include "http/message.h"

namespace vault::http {
namespace {

// RFC 9112 2.2 asks to ignore at least one empty line before a request line
// (some clients send CRLF after a body); a few more are tolerated, no more.
constexpr size_t kMaxLeadingEmptyLines = 4;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  CaseInsensitiveLess less;
  return !less(a, b) && !less(b, a);
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Each comma-separated member of a list-valued field, trimmed.
template <typename Fn>
void ForEachListMember(std::string_view value, Fn fn) {
  while (true) {
    size_t comma = value.find(',');
    fn(TrimOws(value.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

void HeadScanner::Reset() {
  head_ = RequestHead();
  refusal_ = Refusal();
  pos_ = head_start_ = fields_start_ = 0;
  in_fields_ = done_ = false;
}

HeadScanner::Result HeadScanner::Refuse(int status, std::string code, std::string detail) {
  refusal_ = {status, std::move(code), std::move(detail)};
  return Result::kRefused;
}

HeadScanner::Result HeadScanner::Scan(std::string_view buffered) {
  if (done_) return Result::kDone;
  while (true) {
    size_t lf = buffered.find('\n', pos_);
    if (lf == std::string_view::npos) {
      std::string_view partial = buffered.substr(pos_);
      size_t cr = partial.find('\r');
      if (cr != std::string_view::npos && cr + 1 < partial.size()) {
        return Refuse(400, "bad_line_ending", "a CR not followed by LF in the request head");
      }
      if (!in_fields_ && buffered.size() - head_start_ > limits_.max_request_line + 1) {
        return Refuse(414, "request_line_too_long",
                      "the request line is longer than " +
                          std::to_string(limits_.max_request_line) + " bytes");
      }
      if (in_fields_ && buffered.size() - fields_start_ > limits_.max_header_bytes + 1) {
        return Refuse(431, "headers_too_large",
                      "the header fields are larger than " +
                          std::to_string(limits_.max_header_bytes) + " bytes");
      }
      return Result::kNeedMore;
    }
    if (lf == pos_ || buffered[lf - 1] != '\r') {
      return Refuse(400, "bad_line_ending", "a LF not preceded by CR in the request head");
    }
    std::string_view line = buffered.substr(pos_, lf - 1 - pos_);
    if (line.find('\r') != std::string_view::npos) {
      return Refuse(400, "bad_line_ending", "a CR not followed by LF in the request head");
    }
    pos_ = lf + 1;
    Result r = Line(line);
    if (r != Result::kNeedMore) return r;
  }
}

HeadScanner::Result HeadScanner::Line(std::string_view line) {
  if (!in_fields_) {
    if (line.empty()) {
      head_.skipped += 2;
      head_start_ = pos_;
      if (head_.skipped > 2 * kMaxLeadingEmptyLines) {
        return Refuse(400, "bad_request_line", "empty lines instead of a request line");
      }
      return Result::kNeedMore;
    }
    if (line.size() > limits_.max_request_line) {
      return Refuse(
          414, "request_line_too_long",
          "the request line is longer than " + std::to_string(limits_.max_request_line) + " bytes");
    }
    Result r = RequestLine(line);
    in_fields_ = true;
    fields_start_ = pos_;
    return r;
  }
  if (line.empty()) return Finish();
  if (pos_ - fields_start_ > limits_.max_header_bytes) {
    return Refuse(
        431, "headers_too_large",
        "the header fields are larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
  }
  return Field(line);
}

HeadScanner::Result HeadScanner::RequestLine(std::string_view line) {
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return Refuse(400, "bad_request_line", "the request line is not: method SP target SP version");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() ||
      !std::all_of(method.begin(), method.end(), [](char c) { return IsTokenChar(c); })) {
    return Refuse(400, "bad_request_line", "the method is not a token");
  }
  if (target.empty() || target.front() != '/' ||
      !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return Refuse(400, "bad_request_line", "the request target is not an absolute path");
  }
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    bool http_x_y = version.size() == 8 && version.starts_with("HTTP/") &&
                    IsDigits(version.substr(5, 1)) && version[6] == '.' &&
                    IsDigits(version.substr(7, 1));
    if (http_x_y) return Refuse(505, "http_version_not_supported", "only HTTP/1.1 and 1.0");
    return Refuse(400, "bad_request_line", "the request line does not end in HTTP/1.1");
  }
  head_.method = method;
  head_.target = target;
  head_.version = version;
  head_.keep_alive = version == "HTTP/1.1";
  return Result::kNeedMore;
}

HeadScanner::Result HeadScanner::Field(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') {
    return Refuse(400, "obs_fold", "a field line folded onto the next (obs-fold)");
  }
  size_t colon = line.find(':');
  std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || name.empty() ||
      !std::all_of(name.begin(), name.end(), [](char c) { return IsTokenChar(c); })) {
    return Refuse(400, "bad_header_name",
                  "a field name that is not a token directly followed by ':'");
  }
  std::string_view value = TrimOws(line.substr(colon + 1));
  for (char ch : value) {
    auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      refusal_ = {400, "bad_header_value",
                  "a control character in the value of " + std::string(name), std::string(name)};
      return Result::kRefused;
    }
  }
  if (head_.fields.size() >= limits_.max_header_fields) {
    return Refuse(431, "too_many_headers",
                  "more than " + std::to_string(limits_.max_header_fields) + " header fields");
  }
  head_.fields.emplace_back(std::string(name), std::string(value));
  return Result::kNeedMore;
}

HeadScanner::Result HeadScanner::Finish() {
  size_t lengths = 0, encodings = 0, hosts = 0;
  std::string_view length, encoding;
  for (const auto& [name, value] : head_.fields) {
    if (EqualsIgnoreCase(name, "Content-Length")) {
      ++lengths;
      length = value;
    } else if (EqualsIgnoreCase(name, "Transfer-Encoding")) {
      ++encodings;
      encoding = value;
    } else if (EqualsIgnoreCase(name, "Host")) {
      ++hosts;
    } else if (EqualsIgnoreCase(name, "Connection")) {
      ForEachListMember(value, [this](std::string_view option) {
        if (EqualsIgnoreCase(option, "keep-alive") && head_.version == "HTTP/1.0") {
          head_.keep_alive = true;
        }
      });
    } else if (EqualsIgnoreCase(name, "Expect")) {
      head_.expect_continue = EqualsIgnoreCase(value, "100-continue");
    }
  }
  // A Connection: close anywhere wins over keep-alive anywhere.
  for (const auto& [name, value] : head_.fields) {
    if (!EqualsIgnoreCase(name, "Connection")) continue;
    ForEachListMember(value, [this](std::string_view option) {
      if (EqualsIgnoreCase(option, "close")) head_.keep_alive = false;
    });
  }
  if (lengths > 0 && encodings > 0) {
    return Refuse(400, "ambiguous_length",
                  "send either Content-Length or Transfer-Encoding, not both");
  }
  if (lengths > 1) return Refuse(400, "bad_content_length", "more than one Content-Length");
  if (lengths == 1) {
    // 18 digits cannot overflow 64 bits.
    if (!IsDigits(length) || length.size() > 18) {
      return Refuse(400, "bad_content_length", "Content-Length is not a decimal number");
    }
    head_.content_length = std::stoull(std::string(length));
    if (head_.content_length > limits_.max_body_bytes) {
      return Refuse(
          413, "body_too_large",
          "the request body is larger than " + std::to_string(limits_.max_body_bytes) + " bytes");
    }
    head_.framing = head_.content_length > 0 ? BodyFraming::kLength : BodyFraming::kNone;
  }
  if (encodings > 0) {
    if (encodings > 1 || !EqualsIgnoreCase(encoding, "chunked")) {
      return Refuse(400, "bad_transfer_encoding", "Transfer-Encoding other than chunked");
    }
    if (head_.version != "HTTP/1.1") {
      return Refuse(400, "bad_transfer_encoding", "Transfer-Encoding on HTTP/1.0");
    }
    head_.framing = BodyFraming::kChunked;
  }
  if (head_.version == "HTTP/1.1" ? hosts != 1 : hosts > 1) {
    return Refuse(400, "bad_host", "HTTP/1.1 needs exactly one Host field");
  }
  head_.length = pos_ - head_start_;
  done_ = true;
  return Result::kDone;
}

}  // namespace vault::http

// Strict HTTP/1.1 request-head framing (RFC 9112), fail closed. The front
// feeds the bytes of a connection as they arrive; the scanner reads each line
// once, so a client dripping bytes costs no rescans, and it refuses as soon
// as a line breaks a rule or a limit, before the rest arrives:
//   - request line: method SP origin-form SP HTTP/1.x, each part well formed;
//   - lines end in CRLF: a bare CR or bare LF is refused;
//   - field-name is a token directly followed by ':' (no whitespace before
//     the colon or inside the name); no obs-fold (a line starting with SP or
//     HTAB); values hold no control character other than HTAB;
//   - at most one Content-Length, 1*DIGIT; Transfer-Encoding only exactly
//     "chunked", only on HTTP/1.1, never with Content-Length;
//   - HTTP/1.1 has exactly one Host (HTTP/1.0 at most one).
// Every refusal closes the connection after its answer: once framing is in
// doubt, the rest of the stream cannot be trusted to be a next request.
//
// Not thread-safe: one scanner per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vault::http {

struct FramingLimits {
  size_t max_request_line = 8 * 1024;   // 414 past it
  size_t max_header_bytes = 16 * 1024;  // the field lines with their CRLFs; 431 past it
  size_t max_header_fields = 100;       // 431 past it
  uint64_t max_body_bytes = 64 * 1024;  // 413 when a Content-Length declares more
};

// Why a request was refused: the HTTP status and a stable code
// (bad_request, ambiguous_length, too_many_headers, body_too_large...).
struct Refusal {
  Refusal() = default;
  Refusal(int status, std::string code, std::string detail, std::string field = {})
      : status(status), code(std::move(code)), detail(std::move(detail)), field(std::move(field)) {}

  int status = 400;
  std::string code;
  std::string detail;
  std::string field;  // the field whose name or value was refused, if one was
};

enum class BodyFraming { kNone, kLength, kChunked };

struct RequestHead {
  std::string method;
  std::string target;
  std::string version;                                      // "HTTP/1.1" or "HTTP/1.0"
  std::vector<std::pair<std::string, std::string>> fields;  // values trimmed of OWS
  size_t skipped = 0;  // empty lines before the request line (RFC 9112 2.2)
  size_t length = 0;   // bytes of the head after `skipped`, final CRLF included
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;  // "Expect: 100-continue"
};

class HeadScanner {
 public:
  enum class Result { kNeedMore, kDone, kRefused };

  explicit HeadScanner(FramingLimits limits) : limits_(limits) {}

  // `buffered` is every byte received since the request began (the same
  // bytes as before plus any new ones). On kDone, head() holds the request
  // head, which is head().skipped + head().length bytes long; on kRefused,
  // refusal() says why. Call Reset() before the next request.
  Result Scan(std::string_view buffered);
  const RequestHead& head() const { return head_; }
  RequestHead& head() { return head_; }
  const Refusal& refusal() const { return refusal_; }
  void Reset();

 private:
  Result Refuse(int status, std::string code, std::string detail);
  Result Line(std::string_view line);  // one complete line, CRLF removed
  Result RequestLine(std::string_view line);
  Result Field(std::string_view line);
  Result Finish();

  FramingLimits limits_;
  RequestHead head_;
  Refusal refusal_;
  size_t pos_ = 0;           // start of the first line not yet read
  size_t head_start_ = 0;    // where the request line starts
  size_t fields_start_ = 0;  // where the first field line starts
  bool in_fields_ = false;
  bool done_ = false;
};

}  // namespace vault::http

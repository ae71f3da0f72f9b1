// The HTTP request and response the routes see, whatever carries them: the
// front (server/http/front.h) fills a Request from the wire and sends the
// Response back. The member names are cpp-httplib's (get_header_value,
// set_content, matches, remote_addr...) so that a handler reads the same
// against either. No Beast or Asio types here: every route includes this.
//
// Header names compare case-insensitively. Not thread-safe; a request and its
// response belong to the one handler running them.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace vault::http {

struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

// Field name -> value, in the order received for equal names.
using Headers = std::multimap<std::string, std::string, CaseInsensitiveLess>;
// Query parameter name (decoded) -> value (decoded, '+' as space).
using Params = std::multimap<std::string, std::string>;

struct Request {
  std::string method;   // "GET"; a token, as sent
  std::string target;   // the request-target as sent: "/v1/customers?q=a%20b"
  std::string path;     // the target's path, percent-decoded: "/v1/customers"
  std::string version;  // "HTTP/1.1" or "HTTP/1.0"
  Headers headers;
  Params params;
  std::string body;  // decoded (chunked framing removed)
  std::string remote_addr;
  int remote_port = 0;
  // Set by the router: [0] the whole path, [1..] the pattern's captures.
  std::vector<std::string> matches;

  bool has_header(std::string_view name) const;
  // The value of the id-th field named `name`, or "" when there is none.
  std::string get_header_value(std::string_view name, size_t id = 0) const;
  size_t get_header_value_count(std::string_view name) const;
  bool has_param(std::string_view name) const;
  std::string get_param_value(std::string_view name, size_t id = 0) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  bool has_header(std::string_view name) const;
  std::string get_header_value(std::string_view name, size_t id = 0) const;
  // Adds a field. A name that is not a token or a value holding CR, LF or
  // NUL is dropped (as httplib does): no handler can split a response.
  void set_header(std::string_view name, std::string_view value);
  // Replaces every field of that name with one.
  void replace_header(std::string_view name, std::string_view value);
  void set_content(std::string body, std::string_view content_type);
  void set_content(const char* data, size_t size, std::string_view content_type);
};

// Splits a request-target into its percent-decoded path and its query
// parameters. An invalid escape ("%zz") is kept as written.
void ParseTarget(std::string_view target, std::string& path, Params& params);
std::string PercentDecode(std::string_view text, bool plus_as_space);

// RFC 9110 token characters (method and field names).
bool IsTokenChar(unsigned char c);

// The reason phrase of an HTTP status ("Not Found"): the status line's, and
// the title of a problem+json body; "Error" for a status not listed.
const char* StatusText(int status);

}  // namespace vault::http

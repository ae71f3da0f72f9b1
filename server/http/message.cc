#include "http/message.h"

#include <algorithm>
#include <cctype>
#include <utility>

namespace vault::http {
namespace {

unsigned char Lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string ValueAt(const Headers& headers, std::string_view name, size_t id) {
  auto [first, last] = headers.equal_range(name);
  for (auto it = first; it != last; ++it, --id) {
    if (id == 0) return it->second;
  }
  return "";
}

bool IsToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsTokenChar(c); });
}

bool IsSafeValue(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return Lower(static_cast<unsigned char>(x)) < Lower(static_cast<unsigned char>(y));
  });
}

bool IsTokenChar(unsigned char c) {
  if (std::isalnum(c) && c < 0x80) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool Request::has_header(std::string_view name) const { return headers.contains(name); }
std::string Request::get_header_value(std::string_view name, size_t id) const {
  return ValueAt(headers, name, id);
}
size_t Request::get_header_value_count(std::string_view name) const {
  auto [first, last] = headers.equal_range(name);
  return static_cast<size_t>(std::distance(first, last));
}
bool Request::has_param(std::string_view name) const {
  return params.find(std::string(name)) != params.end();
}
std::string Request::get_param_value(std::string_view name, size_t id) const {
  auto [first, last] = params.equal_range(std::string(name));
  for (auto it = first; it != last; ++it, --id) {
    if (id == 0) return it->second;
  }
  return "";
}

bool Response::has_header(std::string_view name) const { return headers.contains(name); }
std::string Response::get_header_value(std::string_view name, size_t id) const {
  return ValueAt(headers, name, id);
}
void Response::set_header(std::string_view name, std::string_view value) {
  if (!IsToken(name) || !IsSafeValue(value)) return;
  headers.emplace(std::string(name), std::string(value));
}
void Response::replace_header(std::string_view name, std::string_view value) {
  if (!IsToken(name) || !IsSafeValue(value)) return;
  auto [first, last] = headers.equal_range(name);
  headers.erase(first, last);
  headers.emplace(std::string(name), std::string(value));
}
void Response::set_content(std::string content, std::string_view content_type) {
  body = std::move(content);
  replace_header("Content-Type", content_type);
}
void Response::set_content(const char* data, size_t size, std::string_view content_type) {
  set_content(std::string(data, size), content_type);
}

std::string PercentDecode(std::string_view text, bool plus_as_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_as_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

void ParseTarget(std::string_view target, std::string& path, Params& params) {
  size_t q = target.find('?');
  path = PercentDecode(target.substr(0, q), false);
  params.clear();
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key = PercentDecode(pair.substr(0, eq), true);
      std::string value =
          eq == std::string_view::npos ? std::string() : PercentDecode(pair.substr(eq + 1), true);
      params.emplace(std::move(key), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

const char* StatusText(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    case 507:
      return "Insufficient Storage";
    default:
      return "Error";
  }
}

}  // namespace vault::http

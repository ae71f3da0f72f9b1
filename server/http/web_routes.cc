// The staff web form: serves the files of server/web/ that the build embedded
// (vault::WebFiles()), "/" as "/index.html". Only that in-memory map is ever
// read, so no request path ("/../", percent-encoded or not) can reach the
// filesystem; anything else falls through to the server's 404. Every file
// goes out with a strict Content-Security-Policy (no inline script or style,
// nothing from another origin, no framing) and is never stored by caches.
#include <regex>
#include <string>
#include <string_view>

#include "http/routes.h"
#include "http/web_files.h"

namespace vault::http {
namespace {

constexpr char kContentSecurityPolicy[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "require-trusted-types-for 'script'";

std::string_view ContentTypeOf(std::string_view path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

// An exact-match pattern for the router, which takes routes as regular expressions.
std::string ExactPattern(std::string_view path) {
  static const std::regex kSpecial(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(std::string(path), kSpecial, R"(\$&)");
}

// X-Content-Type-Options: nosniff is set on every response by the server.
void SetPageHeaders(Response& res) {
  res.set_header("Content-Security-Policy", kContentSecurityPolicy);
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Opener-Policy", "same-origin");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
  res.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
  // The pages show customer data once signed in; the files are small. Nothing
  // is kept by the browser or a proxy, so an upgrade is seen at once.
  res.set_header("Cache-Control", "no-store");
}

}  // namespace

void RegisterWebRoutes(Router& server, App& app) {
  (void)app;
  for (const EmbeddedFile& file : WebFiles()) {
    std::string_view contents = file.contents;
    std::string content_type(ContentTypeOf(file.name));
    auto handler = [contents, content_type](const Request&, Response& res) {
      SetPageHeaders(res);
      res.set_content(contents.data(), contents.size(), content_type.c_str());
    };
    server.Get(ExactPattern(file.name), handler);
    if (std::string_view(file.name) == "/index.html") server.Get("/", handler);
  }
}

}  // namespace vault::http

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "http/routes.h"

namespace vault::http {

Router& Router::Add(const char* method, const std::string& pattern, Handler h) {
  routes_.push_back({method, std::regex(pattern), std::move(h)});
  return *this;
}

bool Router::Dispatch(Request& req, Response& res) const {
  // HEAD is answered by the GET route (the front sends no body).
  std::string_view method = req.method == "HEAD" ? std::string_view("GET") : req.method;
  for (const Route& route : routes_) {
    if (route.method != method) continue;
    std::smatch m;
    if (!std::regex_match(req.path, m, route.pattern)) continue;
    req.matches.assign(m.begin(), m.end());
    route.handler(req, res);
    return true;
  }
  return false;
}

std::string Router::AllowedMethods(const std::string& path) const {
  std::vector<std::string> methods;
  for (const Route& route : routes_) {
    if (!std::regex_match(path, route.pattern)) continue;
    methods.push_back(route.method);
    if (route.method == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string allow;
  for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  return allow;
}

}  // namespace vault::http

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "http/routes.h"

namespace vault::http {

Router& Router::Add(const char* method, Registrar add, const std::string& pattern, Handler h) {
  routes_.emplace_back(method, std::regex(pattern));
  (server_.*add)(pattern, std::move(h));
  return *this;
}

std::string Router::AllowedMethods(const std::string& path) const {
  std::vector<std::string> methods;
  for (const auto& [method, pattern] : routes_) {
    if (!std::regex_match(path, pattern)) continue;
    methods.push_back(method);
    if (method == "GET") methods.push_back("HEAD");  // httplib answers HEAD with GET's route
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  std::string allow;
  for (const std::string& m : methods) allow += (allow.empty() ? "" : ", ") + m;
  return allow;
}

}  // namespace vault::http

// Prometheus text-format metrics: requests by route pattern and status,
// reveals by role, audit entries written and failed, group-commit batch
// sizes. Labels are route patterns, statuses and role names only: never an
// id, a search term or any other value a client sent. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "service/health_service.h"

namespace vault::http {

class Metrics {
 public:
  void CountRequest(const std::string& method, const std::string& route, int status);
  void CountReveal(const std::string& role);
  std::string Render(const service::VaultStats& stats) const;

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;  // GUARDED_BY(mu_)
  std::map<std::string, uint64_t> reveals_;                   // GUARDED_BY(mu_)
};

// "/v1/customers/cus_0123…/reveal" -> "/v1/customers/{id}/reveal": every
// path segment that is not a fixed word of the API becomes a placeholder.
std::string RoutePattern(const std::string& path);

}  // namespace vault::http

// A small HTTPS client for the vault's API, used by the CLI's remote
// commands: bearer token, JSON bodies, problem+json errors turned into one
// readable line. Not thread-safe (one per command).
#pragma once

#include <httplib.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace vault::cli {

struct ApiOptions {
  std::string server = "https://localhost:8443";
  std::string token;    // cvk_…
  std::string ca_cert;  // PEM to trust (the dev certificate); empty: system CAs
  bool insecure = false;
};

struct ApiResponse {
  int status = 0;
  nlohmann::json body;
};

class ApiClient {
 public:
  explicit ApiClient(ApiOptions options);
  // Any 2xx returns the parsed body; anything else a Status with the
  // problem's detail and code.
  StatusOr<ApiResponse> Call(const std::string& method, const std::string& path,
                             const nlohmann::json* body = nullptr);

 private:
  ApiOptions options_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace vault::cli

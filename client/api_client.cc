#include "api_client.h"

namespace vault::cli {

ApiClient::ApiClient(ApiOptions options) : options_(std::move(options)) {
  client_ = std::make_unique<httplib::Client>(options_.server);
  client_->set_connection_timeout(5, 0);
  client_->set_read_timeout(60, 0);
  client_->set_tcp_nodelay(true);  // no 40 ms Nagle stall on each small POST
  if (options_.insecure) {
    client_->enable_server_certificate_verification(false);
  } else if (!options_.ca_cert.empty()) {
    client_->set_ca_cert_path(options_.ca_cert.c_str());
  }
}

StatusOr<ApiResponse> ApiClient::Call(const std::string& method, const std::string& path,
                                      const nlohmann::json* body) {
  httplib::Headers headers;
  if (!options_.token.empty()) headers.emplace("Authorization", "Bearer " + options_.token);
  std::string payload = body ? body->dump() : std::string();
  httplib::Result result{nullptr, httplib::Error::Unknown};
  if (method == "GET") {
    result = client_->Get(path.c_str(), headers);
  } else if (method == "POST") {
    result = client_->Post(path.c_str(), headers, payload, "application/json");
  } else if (method == "PATCH") {
    result = client_->Patch(path.c_str(), headers, payload, "application/json");
  } else if (method == "PUT") {
    result = client_->Put(path.c_str(), headers, payload, "application/json");
  } else if (method == "DELETE") {
    result = client_->Delete(path.c_str(), headers);
  } else {
    return InvalidArgument("unknown method " + method);
  }
  if (!result) {
    return Unavailable("cannot reach " + options_.server + ": " +
                       httplib::to_string(result.error()) +
                       (result.error() == httplib::Error::SSLServerVerification
                            ? " (pass --ca-cert with the server's certificate)"
                            : ""));
  }
  ApiResponse out;
  out.status = result->status;
  if (!result->body.empty()) {
    out.body = nlohmann::json::parse(result->body, nullptr, false);
  }
  if (out.status >= 200 && out.status < 300) return out;
  std::string detail = out.body.is_object() && out.body.contains("detail")
                           ? out.body["detail"].get<std::string>()
                           : "HTTP " + std::to_string(out.status);
  std::string code =
      out.body.is_object() && out.body.contains("code") ? out.body["code"].get<std::string>() : "";
  return Status(
      StatusCode::kFailedPrecondition,
      detail + " (HTTP " + std::to_string(out.status) + (code.empty() ? "" : ", " + code) + ")",
      code);
}

}  // namespace vault::cli

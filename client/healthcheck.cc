#include "healthcheck.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "api_client.h"

namespace vault::cli {
namespace {

struct HealthcheckOptions {
  std::string server = "https://localhost:8443";
  std::string ca_cert;
  int64_t timeout_ms = 3000;
};

int RunHealthcheck(const HealthcheckOptions& o) {
  ApiOptions api;
  api.server = o.server;
  api.ca_cert = o.ca_cert;  // never a token: /healthz needs none
  api.connect_timeout = std::chrono::milliseconds(o.timeout_ms);
  api.read_timeout = std::chrono::milliseconds(o.timeout_ms);
  api.write_timeout = std::chrono::milliseconds(o.timeout_ms);
  ApiClient client(api);
  ApiRequest request;
  request.path = "/healthz";  // one try: the caller (Docker, a monitor) decides on retries
  auto start = std::chrono::steady_clock::now();
  auto answer = client.Send(request);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start)
                .count();
  if (!answer.ok()) {
    std::fprintf(stderr, "contact-vault healthcheck: unhealthy: %s\n",
                 answer.status().message().c_str());
    return 1;
  }
  if (answer->status != 200) {
    std::fprintf(stderr, "contact-vault healthcheck: unhealthy: %s/healthz answered %s\n",
                 o.server.c_str(), answer->Describe().c_str());
    return 1;
  }
  std::printf("healthy: %s/healthz answered 200 in %lld ms\n", o.server.c_str(),
              static_cast<long long>(ms));
  return 0;
}

}  // namespace

void AddHealthcheckCommand(CLI::App& cli, int* exit_code) {
  auto options = std::make_shared<HealthcheckOptions>();
  if (const char* env = std::getenv("CONTACT_VAULT_SERVER"); env != nullptr && *env != '\0') {
    options->server = env;
  }
  if (const char* env = std::getenv("CONTACT_VAULT_CA_CERT"); env != nullptr && *env != '\0') {
    options->ca_cert = env;
  }
  auto* cmd = cli.add_subcommand(
      "healthcheck",
      "check that a server is up (GET /healthz; no token): exit 0 when healthy, 1 otherwise");
  cmd->add_option("--server", options->server,
                  "server URL (CONTACT_VAULT_SERVER; default https://localhost:8443)");
  cmd->add_option("--ca-cert", options->ca_cert,
                  "CA certificate to trust, PEM (CONTACT_VAULT_CA_CERT); default: system CAs");
  cmd->add_option("--timeout-ms", options->timeout_ms,
                  "give up when connecting, sending or reading takes longer (default 3000)")
      ->check(CLI::Range(int64_t{1}, int64_t{600000}));
  cmd->callback([options, exit_code] { *exit_code = RunHealthcheck(*options); });
}

}  // namespace vault::cli

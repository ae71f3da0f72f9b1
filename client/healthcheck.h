// `contact-vault healthcheck`: asks a server's GET /healthz whether it is up,
// for container health checks and monitoring. Needs no token and no data
// directory; exits 0 on a 200 (printing one short line) and 1 otherwise,
// with the reason on standard error. Each network step (connecting, sending,
// reading the answer) waits at most --timeout-ms; there is one try.
#pragma once

#include <CLI/CLI.hpp>

namespace vault::cli {

// Registers the subcommand on `cli`; when it runs, its exit code is written
// to *exit_code (which must outlive the parse).
void AddHealthcheckCommand(CLI::App& cli, int* exit_code);

}  // namespace vault::cli

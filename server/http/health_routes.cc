// GET /healthz (the process answers) and GET /readyz (the store answers a
// read and the keyring is loaded). No authentication, no PII.
#include <nlohmann/json.hpp>

#include "http/problem.h"
#include "http/routes.h"

namespace vault::http {

void RegisterHealthRoutes(Router& server, App& app) {
  server.Get("/healthz", [](const Request&, Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  server.Get("/readyz", [&app](const Request&, Response& res) {
    if (Status st = app.health->Ready(); !st.ok()) {
      WriteProblem(res, st, RequestId(res));
      return;
    }
    res.set_content(R"({"status":"ready"})", "application/json");
  });
}

}  // namespace vault::http

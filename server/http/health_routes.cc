// GET /healthz (the process answers) and GET /readyz (the store answers a
// read and the keyring is loaded). No authentication, no PII.
#include <nlohmann/json.hpp>

#include "http/problem.h"
#include "http/routes.h"
#include "store/vault_tables.h"

namespace vault::http {

void RegisterHealthRoutes(Router& server, App& app) {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"ok"})", "application/json");
  });
  server.Get("/readyz", [&app](const httplib::Request&, httplib::Response& res) {
    Status st = app.store->Read(
        [](store::Database& db) -> Status { return store::CountCustomers(db).status(); });
    if (!st.ok()) {
      WriteProblem(res, Unavailable("storage is not ready", "not_ready"), RequestId(res));
      return;
    }
    res.set_content(R"({"status":"ready"})", "application/json");
  });
}

}  // namespace vault::http

// What the routes share: the App (every service the HTTP layer calls) and
// the per-request context. Each area registers its routes with one function.
#pragma once

#include <string>

#include <httplib.h>

#include "common/config.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "service/customer_service.h"
#include "store/store.h"

namespace vault::http {

// Everything a route may call. Owned by main (or a test), outlives the server.
struct App {
  Config config;
  store::Store* store = nullptr;
  crypto::KeyringHolder* keys = nullptr;
  service::CustomerService* customers = nullptr;
};

// The request id given to this request (also sent as X-Request-Id).
std::string RequestId(const httplib::Response& res);

void RegisterHealthRoutes(httplib::Server& server, App& app);

}  // namespace vault::http

// Services: the one place that builds every service over an open vault and
// fills the App the routes call. The server (main.cc) and the in-process test
// server both wire through it, so the server under test is the one that
// ships: a service added here reaches both, and neither can forget one.
//
// Holds the services it builds; borrows the store, keys, root key, customer
// service and policy, which must outlive it. Not copyable. The App it fills
// is valid while this lives; its services are thread-safe as they state.
#pragma once

#include <memory>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/clock.h"
#include "common/config.h"
#include "crypto/keyring.h"
#include "crypto/secret_bytes.h"
#include "http/metrics.h"
#include "http/routes.h"
#include "policy/policy.h"
#include "service/access_request.h"
#include "service/access_service.h"
#include "service/admin_service.h"
#include "service/consent_ledger.h"
#include "service/customer_service.h"
#include "service/health_service.h"
#include "service/idempotency.h"
#include "service/key_rotation.h"
#include "service/marketing_export.h"
#include "service/retention_job.h"
#include "service/session_service.h"
#include "store/store.h"

namespace vault::http {

// What differs between the server and a test: sign-in settings (tests use
// the cheapest password hash), the sign-in clock, and rotation pacing.
struct WiringOptions {
  auth::AuthOptions auth;  // AuthOptionsFrom(config) unless changed
  Clock auth_clock = SystemClock();
  service::RotationOptions rotation;
};

// The vault the services work on, opened by the caller.
struct VaultParts {
  store::Store& store;
  crypto::KeyringHolder& keys;
  const crypto::SecretBytes& root;
  service::CustomerService& customers;
  const policy::Policy& policy;
};

class Services {
 public:
  Services(const Config& config, VaultParts vault, WiringOptions options);
  ~Services();
  Services(const Services&) = delete;
  Services& operator=(const Services&) = delete;

  // Every service, for the routes.
  App& app() { return app_; }

  audit::AuditLog& audit() { return *audit_; }
  auth::AuthService& auth() { return *auth_; }
  service::KeyRotator& rotator() { return *rotator_; }
  service::RetentionJob& retention() { return *retention_; }

 private:
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<auth::AuthService> auth_;
  std::unique_ptr<service::AccessService> access_;
  std::unique_ptr<service::AdminService> admin_;
  std::unique_ptr<service::KeyRotator> rotator_;
  std::unique_ptr<service::IdempotencyService> idempotency_;
  std::unique_ptr<service::ConsentLedger> consents_;
  std::unique_ptr<service::MarketingExport> marketing_;
  std::unique_ptr<service::RetentionJob> retention_;
  std::unique_ptr<service::AccessRequest> access_requests_;
  std::unique_ptr<service::SessionService> sessions_;
  std::unique_ptr<service::HealthService> health_;
  std::unique_ptr<Metrics> metrics_;
  App app_;
};

}  // namespace vault::http

#include "http/wiring.h"

#include <utility>

namespace vault::http {

Services::Services(const Config& config, VaultParts vault, WiringOptions options) {
  audit_ = std::make_unique<audit::AuditLog>(vault.store, vault.keys);
  auth_ = std::make_unique<auth::AuthService>(vault.store, vault.policy, std::move(options.auth),
                                              std::move(options.auth_clock));
  access_ = std::make_unique<service::AccessService>(vault.customers, vault.policy, *audit_);
  admin_ = std::make_unique<service::AdminService>(*auth_, vault.policy, *audit_, vault.store);
  rotator_ = std::make_unique<service::KeyRotator>(vault.store, vault.keys, vault.root, *audit_,
                                                   options.rotation);
  admin_->set_key_rotator(rotator_.get());
  idempotency_ = std::make_unique<service::IdempotencyService>(vault.store, vault.keys);
  const service::PrivacyOptions privacy = service::PrivacyOptions::FromConfig(config);
  consents_ = std::make_unique<service::ConsentLedger>(vault.store, vault.policy, *audit_, privacy);
  marketing_ = std::make_unique<service::MarketingExport>(vault.customers, vault.store,
                                                          vault.policy, *audit_, privacy);
  retention_ = std::make_unique<service::RetentionJob>(vault.customers, vault.store, vault.policy,
                                                       *audit_, privacy);
  access_requests_ = std::make_unique<service::AccessRequest>(vault.customers, vault.store,
                                                              vault.policy, *audit_, privacy);
  access_->set_erasure_scrub([this] { return retention_->ScrubWal(); });
  sessions_ = std::make_unique<service::SessionService>(*auth_, vault.policy, *audit_);
  health_ = std::make_unique<service::HealthService>(vault.store, *audit_);
  metrics_ = std::make_unique<Metrics>();

  app_.config = config;
  app_.access = access_.get();
  app_.admin = admin_.get();
  app_.auth = auth_.get();
  app_.sessions = sessions_.get();
  app_.health = health_.get();
  app_.metrics = metrics_.get();
  app_.idempotency = idempotency_.get();
  app_.consents = consents_.get();
  app_.marketing = marketing_.get();
  app_.retention = retention_.get();
  app_.access_requests = access_requests_.get();
}

// In the reverse order of their dependencies: the privacy schedule and the
// rotation job stop before the services they use go.
Services::~Services() {
  health_.reset();
  sessions_.reset();
  access_requests_.reset();
  retention_.reset();
  marketing_.reset();
  consents_.reset();
  idempotency_.reset();
  metrics_.reset();
  admin_.reset();
  rotator_.reset();
  access_.reset();
  auth_.reset();
  audit_.reset();
}

}  // namespace vault::http

// CustomerService: customers on plain C++ types, encrypted on the way in and
// decrypted on the way out. It normalizes and validates input, keeps one DEK
// per record (wrapped by the active data KEK), seals each field under it, and
// finds records by blind index only. It knows nothing of roles or HTTP; the
// access layer above it decides who may call what and records the audit.
//
// Every mutating call takes an `InTransaction` hook that runs inside the same
// group-commit transaction as the change, after it: the audit entry goes there,
// so the change and its entry are durable together or not at all.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "policy/policy.h"
#include "store/store.h"
#include "store/vault_tables.h"

namespace vault::service {

// The contact fields are the policy's fields: one enum for both rooms.
using ContactField = policy::Field;
const char* ContactFieldName(ContactField field);

// Plaintext held in process memory only, for the duration of one request.
struct Customer {
  std::string id;
  std::optional<std::string> email;  // normalized
  std::optional<std::string> phone;  // E.164
  std::optional<std::string> name;
  int64_t created_at = 0;  // Unix seconds
  int64_t updated_at = 0;
  int64_t last_seen_at = 0;
};

// Overwrites the plaintext fields of `c` (email, phone, name) in place, so
// they do not linger in freed memory; the one way a caller drops a Customer
// it decrypted.
void WipeCustomer(Customer& c);

struct CustomerInput {
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> name;
};

// For each field: nullopt leaves it as is; a value sets it; an empty value
// (set but "") removes it.
struct CustomerPatch {
  std::optional<std::string> email;
  std::optional<std::string> phone;
  std::optional<std::string> name;
};

// Which fields to decrypt; fewer fields, less work and less plaintext.
struct FieldSet {
  bool email = true, phone = true, name = true;
  static FieldSet All() { return {}; }
  static FieldSet None() { return {false, false, false}; }
};

using InTransaction = std::function<Status(store::Database&, const std::string& id)>;

struct CustomerServiceOptions {
  std::string default_region = "CA";
  // Touch() moves last_seen_at only when it is older than this (seconds):
  // retention counts in days, and most lookups then rewrite nothing.
  int64_t last_seen_resolution_s = 3600;
};

class CustomerService {
 public:
  CustomerService(store::Store& store, crypto::KeyringHolder& keys, CustomerServiceOptions options,
                  Clock clock = SystemClock());

  // InvalidArgument naming the field for bad input or when neither email nor
  // phone is given; AlreadyExists naming the existing id for a taken email.
  StatusOr<Customer> Create(const CustomerInput& input, const InTransaction& hook = {});

  // NotFound if absent.
  StatusOr<Customer> Get(std::string_view id, FieldSet fields = FieldSet::All()) const;

  // Every customer whose email (or phone) equals the given one after
  // normalization; an invalid term is InvalidArgument. Consults every usable
  // index key, so lookups keep working during index rotation.
  StatusOr<std::vector<Customer>> FindByEmail(std::string_view email,
                                              FieldSet fields = FieldSet::All()) const;
  StatusOr<std::vector<Customer>> FindByPhone(std::string_view phone,
                                              FieldSet fields = FieldSet::All()) const;

  // Whether customer `id`'s email (or phone) equals `value`, by blind index,
  // decrypting nothing. NotFound if the customer does not exist; false if the
  // field is empty.
  StatusOr<bool> Verify(std::string_view id, ContactField field, std::string_view value) const;

  StatusOr<Customer> Update(std::string_view id, const CustomerPatch& patch,
                            const InTransaction& hook = {});

  // Crypto-shred: deletes the wrapped DEK, ciphertexts and indexes in one
  // transaction. NotFound if absent.
  Status Erase(std::string_view id, const InTransaction& hook = {});

  // Records that these customers were seen now (retention, to the
  // resolution of the options), and runs `hook` (the lookup's audit entry)
  // in the same transaction, which returns as `durability` asks.
  Status Touch(const std::vector<std::string>& ids,
               const std::function<Status(store::Database&)>& hook = {},
               store::Durability durability = store::Durability::kDurable);

  const CustomerServiceOptions& options() const { return options_; }

 private:
  StatusOr<Customer> Decrypt(const crypto::Keyring& ring, const store::CustomerRow& row,
                             FieldSet fields) const;
  StatusOr<std::vector<Customer>> FindBy(ContactField field, std::string_view term,
                                         FieldSet fields) const;

  store::Store& store_;
  crypto::KeyringHolder& keys_;
  CustomerServiceOptions options_;
  Clock clock_;
};

// Normalizes `value` for `field` (email, phone) and returns the probes for it
// under every usable index key of `ring`.
StatusOr<std::vector<store::IndexProbe>> IndexProbes(const crypto::Keyring& ring,
                                                     ContactField field,
                                                     std::string_view normalized);

// A new random customer id: "cus_" + 32 hex digits.
std::string NewCustomerId();
bool IsCustomerId(std::string_view id);

}  // namespace vault::service

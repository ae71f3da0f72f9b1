#include "service/customer_service.h"

#include <sodium.h>

#include <algorithm>

#include "common/text.h"
#include "crypto/aead.h"
#include "crypto/blind_index.h"
#include "crypto/envelope.h"
#include "crypto/util.h"
#include "service/contact_normalizer.h"

namespace vault::service {
namespace {

using crypto::IndexKind;
using crypto::KeyPurpose;

constexpr std::string_view kCustomerIdPrefix = "cus_";

IndexKind KindOf(ContactField field) {
  return field == ContactField::kEmail ? IndexKind::kEmail : IndexKind::kPhone;
}

struct NormalizedInput {
  std::optional<std::string> email, phone, name;
};

// Normalizes the fields that are set; "" means "remove" when `allow_empty`.
Status NormalizeInto(const CustomerInput& in, const std::string& region, bool allow_empty,
                     NormalizedInput* out) {
  if (in.email) {
    if (allow_empty && in.email->empty()) {
      out->email = "";
    } else {
      ASSIGN_OR_RETURN(out->email, NormalizeEmail(*in.email));
    }
  }
  if (in.phone) {
    if (allow_empty && in.phone->empty()) {
      out->phone = "";
    } else {
      ASSIGN_OR_RETURN(out->phone, NormalizePhone(*in.phone, region));
    }
  }
  if (in.name) {
    if (allow_empty && in.name->empty()) {
      out->name = "";
    } else {
      ASSIGN_OR_RETURN(out->name, NormalizeName(*in.name));
    }
  }
  return Status::Ok();
}

Status ChecksEmailFree(store::Database& db, const crypto::Keyring& ring, const std::string& email,
                       std::string_view self_id) {
  ASSIGN_OR_RETURN(auto probes, IndexProbes(ring, ContactField::kEmail, email));
  ASSIGN_OR_RETURN(auto rows, store::FindByEmailIndex(db, probes));
  for (const auto& row : rows) {
    if (row.id != self_id) {
      return AlreadyExists("a customer with this email exists already: " + row.id,
                           Reason::kDuplicateEmail);
    }
  }
  return Status::Ok();
}

// Seals (or clears) one field of `row` under `dek` and the active index key.
void SealInto(const crypto::Keyring& ring, const crypto::SecretBytes& dek, const std::string& id,
              ContactField field, const std::string& value, store::CustomerRow* row) {
  std::optional<std::string> ct, idx;
  uint32_t idx_key = 0;
  if (!value.empty()) {
    ct = crypto::SealField(dek, id, ContactFieldName(field), value);
    if (field != ContactField::kName) {
      idx_key = ring.ActiveId(KeyPurpose::kIndex);
      idx = crypto::BlindIndex(*ring.Find(idx_key, KeyPurpose::kIndex), KindOf(field), value);
    }
  }
  switch (field) {
    case ContactField::kEmail:
      row->email_ct = std::move(ct);
      row->email_idx = std::move(idx);
      row->email_idx_key_id = idx_key;
      break;
    case ContactField::kPhone:
      row->phone_ct = std::move(ct);
      row->phone_idx = std::move(idx);
      row->phone_idx_key_id = idx_key;
      break;
    case ContactField::kName:
      row->name_ct = std::move(ct);
      break;
  }
}

StatusOr<crypto::SecretBytes> UnwrapRowDek(const crypto::Keyring& ring,
                                           const store::CustomerRow& row) {
  const crypto::SecretBytes* kek = ring.Find(row.dek_key_id, KeyPurpose::kData);
  if (kek == nullptr) return crypto::DecryptionFailed();
  return crypto::UnwrapDek(*kek, row.dek_key_id, row.id, row.dek);
}

}  // namespace

const char* ContactFieldName(ContactField field) {
  return policy::FieldName(field).data();  // views of string literals
}

std::string NewCustomerId() {
  return std::string(kCustomerIdPrefix) + crypto::HexEncode(crypto::RandomBytes(16));
}

void WipeCustomer(Customer& c) {
  for (auto* v : {&c.email, &c.phone, &c.name}) {
    if (*v) crypto::WipeString(**v);
  }
}

bool IsCustomerId(std::string_view id) {
  return id.starts_with(kCustomerIdPrefix) && IsLowerHex(id.substr(kCustomerIdPrefix.size()), 32);
}

StatusOr<std::vector<store::IndexProbe>> IndexProbes(const crypto::Keyring& ring,
                                                     ContactField field,
                                                     std::string_view normalized) {
  std::vector<store::IndexProbe> probes;
  for (uint32_t key_id : ring.UsableIds(KeyPurpose::kIndex)) {
    probes.push_back({key_id, crypto::BlindIndex(*ring.Find(key_id, KeyPurpose::kIndex),
                                                 KindOf(field), normalized)});
  }
  return probes;
}

CustomerService::CustomerService(store::Store& store, crypto::KeyringHolder& keys,
                                 CustomerServiceOptions options, Clock clock)
    : store_(store), keys_(keys), options_(std::move(options)), clock_(std::move(clock)) {}

StatusOr<Customer> CustomerService::Create(const CustomerInput& input, const InTransaction& hook) {
  NormalizedInput in;
  RETURN_IF_ERROR(NormalizeInto(input, options_.default_region, false, &in));
  if (!in.email && !in.phone) {
    return InvalidArgument("a customer needs an email or a phone number", "contact_required");
  }
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  Customer customer;
  customer.id = NewCustomerId();
  customer.email = in.email;
  customer.phone = in.phone;
  customer.name = in.name;
  customer.created_at = customer.updated_at = customer.last_seen_at = clock_() / 1000;

  store::CustomerRow row;
  row.id = customer.id;
  crypto::SecretBytes dek = crypto::NewDek();
  row.dek_key_id = ring->ActiveId(KeyPurpose::kData);
  row.dek =
      crypto::WrapDek(*ring->Find(row.dek_key_id, KeyPurpose::kData), row.dek_key_id, row.id, dek);
  SealInto(*ring, dek, row.id, ContactField::kEmail, in.email.value_or(""), &row);
  SealInto(*ring, dek, row.id, ContactField::kPhone, in.phone.value_or(""), &row);
  SealInto(*ring, dek, row.id, ContactField::kName, in.name.value_or(""), &row);
  row.created_at = row.updated_at = row.last_seen_at = customer.created_at;

  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    // The keyring may have rotated while we waited: re-seal under the one
    // that is current inside the writer, so no record lands on an old key.
    std::shared_ptr<const crypto::Keyring> now = keys_.Get();
    if (now != ring) {
      ring = now;
      row.dek_key_id = ring->ActiveId(KeyPurpose::kData);
      row.dek = crypto::WrapDek(*ring->Find(row.dek_key_id, KeyPurpose::kData), row.dek_key_id,
                                row.id, dek);
      SealInto(*ring, dek, row.id, ContactField::kEmail, in.email.value_or(""), &row);
      SealInto(*ring, dek, row.id, ContactField::kPhone, in.phone.value_or(""), &row);
    }
    if (in.email) RETURN_IF_ERROR(ChecksEmailFree(db, *ring, *in.email, ""));
    RETURN_IF_ERROR(store::InsertCustomer(db, row));
    if (hook) RETURN_IF_ERROR(hook(db, row.id));
    return Status::Ok();
  }));
  return customer;
}

StatusOr<Customer> CustomerService::Decrypt(const crypto::Keyring& ring,
                                            const store::CustomerRow& row, FieldSet fields) const {
  Customer c;
  c.id = row.id;
  c.created_at = row.created_at;
  c.updated_at = row.updated_at;
  c.last_seen_at = row.last_seen_at;
  bool any = (fields.email && row.email_ct) || (fields.phone && row.phone_ct) ||
             (fields.name && row.name_ct);
  if (!any) return c;
  ASSIGN_OR_RETURN(crypto::SecretBytes dek, UnwrapRowDek(ring, row));
  if (fields.email && row.email_ct) {
    ASSIGN_OR_RETURN(c.email, crypto::OpenField(dek, row.id, "email", *row.email_ct));
  }
  if (fields.phone && row.phone_ct) {
    ASSIGN_OR_RETURN(c.phone, crypto::OpenField(dek, row.id, "phone", *row.phone_ct));
  }
  if (fields.name && row.name_ct) {
    ASSIGN_OR_RETURN(c.name, crypto::OpenField(dek, row.id, "name", *row.name_ct));
  }
  return c;
}

StatusOr<Customer> CustomerService::Get(std::string_view id, FieldSet fields) const {
  if (!IsCustomerId(id)) return NotFound("no such customer", Reason::kCustomerNotFound);
  std::optional<store::CustomerRow> row;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindCustomer(db, id));
    return Status::Ok();
  }));
  if (!row) return NotFound("no such customer", Reason::kCustomerNotFound);
  return Decrypt(*keys_.Get(), *row, fields);
}

StatusOr<std::vector<Customer>> CustomerService::FindBy(ContactField field, std::string_view term,
                                                        FieldSet fields) const {
  std::string normalized;
  if (field == ContactField::kEmail) {
    ASSIGN_OR_RETURN(normalized, NormalizeEmail(term));
  } else {
    ASSIGN_OR_RETURN(normalized, NormalizePhone(term, options_.default_region));
  }
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  ASSIGN_OR_RETURN(auto probes, IndexProbes(*ring, field, normalized));
  crypto::WipeString(normalized);
  std::vector<store::CustomerRow> rows;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    if (field == ContactField::kEmail) {
      ASSIGN_OR_RETURN(rows, store::FindByEmailIndex(db, probes));
    } else {
      ASSIGN_OR_RETURN(rows, store::FindByPhoneIndex(db, probes));
    }
    return Status::Ok();
  }));
  std::vector<Customer> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    ASSIGN_OR_RETURN(Customer c, Decrypt(*ring, row, fields));
    out.push_back(std::move(c));
  }
  return out;
}

StatusOr<std::vector<Customer>> CustomerService::FindByEmail(std::string_view email,
                                                             FieldSet fields) const {
  return FindBy(ContactField::kEmail, email, fields);
}

StatusOr<std::vector<Customer>> CustomerService::FindByPhone(std::string_view phone,
                                                             FieldSet fields) const {
  return FindBy(ContactField::kPhone, phone, fields);
}

StatusOr<bool> CustomerService::Verify(std::string_view id, ContactField field,
                                       std::string_view value) const {
  if (field == ContactField::kName) {
    return InvalidArgument("only email and phone can be verified", "field_invalid");
  }
  if (!IsCustomerId(id)) return NotFound("no such customer", Reason::kCustomerNotFound);
  std::string normalized;
  if (field == ContactField::kEmail) {
    ASSIGN_OR_RETURN(normalized, NormalizeEmail(value));
  } else {
    ASSIGN_OR_RETURN(normalized, NormalizePhone(value, options_.default_region));
  }
  std::optional<store::CustomerRow> row;
  RETURN_IF_ERROR(store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(row, store::FindCustomer(db, id));
    return Status::Ok();
  }));
  if (!row) return NotFound("no such customer", Reason::kCustomerNotFound);
  const auto& stored = field == ContactField::kEmail ? row->email_idx : row->phone_idx;
  uint32_t key_id = field == ContactField::kEmail ? row->email_idx_key_id : row->phone_idx_key_id;
  if (!stored) return false;
  std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
  const crypto::SecretBytes* key = ring->Find(key_id, KeyPurpose::kIndex);
  if (key == nullptr) return crypto::DecryptionFailed();
  std::string probe = crypto::BlindIndex(*key, KindOf(field), normalized);
  crypto::WipeString(normalized);
  return stored->size() == probe.size() &&
         sodium_memcmp(stored->data(), probe.data(), probe.size()) == 0;
}

StatusOr<Customer> CustomerService::Update(std::string_view id, const CustomerPatch& patch,
                                           const InTransaction& hook) {
  if (!IsCustomerId(id)) return NotFound("no such customer", Reason::kCustomerNotFound);
  NormalizedInput in;
  RETURN_IF_ERROR(NormalizeInto(CustomerInput{patch.email, patch.phone, patch.name},
                                options_.default_region, true, &in));
  Customer result;
  RETURN_IF_ERROR(store_.Write([&](store::Database& db) -> Status {
    std::shared_ptr<const crypto::Keyring> ring = keys_.Get();
    ASSIGN_OR_RETURN(auto found, store::FindCustomer(db, id));
    if (!found) return NotFound("no such customer", Reason::kCustomerNotFound);
    store::CustomerRow row = std::move(*found);
    ASSIGN_OR_RETURN(crypto::SecretBytes dek, UnwrapRowDek(*ring, row));
    if (in.email) {
      if (!in.email->empty()) RETURN_IF_ERROR(ChecksEmailFree(db, *ring, *in.email, id));
      SealInto(*ring, dek, row.id, ContactField::kEmail, *in.email, &row);
    }
    if (in.phone) SealInto(*ring, dek, row.id, ContactField::kPhone, *in.phone, &row);
    if (in.name) SealInto(*ring, dek, row.id, ContactField::kName, *in.name, &row);
    if (!row.email_ct && !row.phone_ct) {
      return InvalidArgument("a customer needs an email or a phone number", "contact_required");
    }
    row.updated_at = clock_() / 1000;
    RETURN_IF_ERROR(store::UpdateCustomer(db, row));
    if (hook) RETURN_IF_ERROR(hook(db, row.id));
    ASSIGN_OR_RETURN(result, Decrypt(*ring, row, FieldSet::All()));
    return Status::Ok();
  }));
  return result;
}

Status CustomerService::Erase(std::string_view id, const InTransaction& hook) {
  if (!IsCustomerId(id)) return NotFound("no such customer", Reason::kCustomerNotFound);
  return store_.Write([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(bool deleted, store::DeleteCustomer(db, id));
    if (!deleted) return NotFound("no such customer", Reason::kCustomerNotFound);
    if (hook) RETURN_IF_ERROR(hook(db, std::string(id)));
    return Status::Ok();
  });
}

Status CustomerService::Touch(const std::vector<std::string>& ids,
                              const std::function<Status(store::Database&)>& hook,
                              store::Durability durability) {
  int64_t now = clock_() / 1000;
  // Essential: searches and reveals touch, and must stay possible on a full disk.
  return store_.WriteEssential(
      [&](store::Database& db) -> Status {
        for (const auto& id : ids) {
          RETURN_IF_ERROR(store::TouchCustomer(db, id, now, options_.last_seen_resolution_s));
        }
        if (hook) RETURN_IF_ERROR(hook(db));
        return Status::Ok();
      },
      durability);
}

}  // namespace vault::service

#include "service/access_service.h"

#include "common/text.h"
#include "crypto/secret_bytes.h"
#include "policy/masking.h"

namespace vault::service {
namespace {

using audit::AuditAction;
using policy::Action;
using policy::Level;

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr ContactField kAllContactFields[] = {ContactField::kEmail, ContactField::kPhone,
                                              ContactField::kName};

std::string Mask(ContactField field, const std::string& value) {
  switch (field) {
    case ContactField::kEmail:
      return policy::MaskEmail(value);
    case ContactField::kPhone:
      return policy::MaskPhone(value);
    case ContactField::kName:
      return policy::MaskName(value);
  }
  return "•••";
}

const std::optional<std::string>& ValueOf(const Customer& c, ContactField field) {
  switch (field) {
    case ContactField::kEmail:
      return c.email;
    case ContactField::kPhone:
      return c.phone;
    case ContactField::kName:
      return c.name;
  }
  return c.name;
}

}  // namespace

AccessService::AccessService(CustomerService& customers, const policy::Policy& policy,
                             audit::AuditLog& audit, Clock clock)
    : customers_(customers),
      policy_(policy),
      audit_(audit),
      clock_(clock),
      guard_(
          audit, policy,
          {store::Durability::kWritten, RefusalDetail::kReasonIfEmpty, RefusalNames::kPermission}),
      unread_item_guard_(
          audit, policy,
          {store::Durability::kDurable, RefusalDetail::kReason, RefusalNames::kPermission}),
      lookups_(clock) {}

std::string AccessService::FieldLevels(const auth::Principal& who,
                                       const std::vector<ContactField>& fields) const {
  std::string out;
  for (ContactField f : fields) {
    if (!out.empty()) out.push_back(',');
    out += std::string(policy::FieldName(f)) + ":" +
           std::string(policy::LevelName(policy_.FieldLevel(who.roles, f)));
  }
  return out;
}

Status AccessService::CheckLookupRate(const auth::Principal& who, const RequestMeta& meta,
                                      AuditAction action, std::string_view record_id) {
  int limit = policy_.LookupsPerMinute(who.roles);
  if (lookups_.Allow(who.Label(), limit, kMinuteMs)) return Status::Ok();
  std::chrono::milliseconds wait = lookups_.RetryAfter(who.Label(), limit, kMinuteMs);
  return guard_.Refuse(
      EntryFor(who, meta, action, record_id),
      RateLimited("lookup limit reached (" + std::to_string(limit) + " per minute); try again in " +
                      std::to_string((wait.count() + 999) / 1000) + " s",
                  "lookup_rate_limited", wait));
}

Status AccessService::ConflictAsSeenBy(const auth::Principal& who, const Status& failure) const {
  if (!failure.Is(Reason::kDuplicateEmail)) return failure;
  bool could_search = policy_.Allows(who.roles, Action::kCustomerSearch) &&
                      policy_.FieldLevel(who.roles, ContactField::kEmail) >= Level::kMatch;
  if (could_search) return failure;
  return AlreadyExists("a customer with this email exists already", Reason::kDuplicateEmail);
}

Status AccessService::RecordUnauthenticated(const RequestMeta& meta, AuditAction action,
                                            std::string_view detail) {
  audit::Entry e = EntryFor(auth::Principal{}, meta, action, "");
  e.outcome = "unauthenticated";
  e.detail = std::string(detail);
  return audit_.Record(e, store::Durability::kWritten).status();
}

FieldSet AccessService::VisibleFields(const auth::Principal& who) const {
  FieldSet set;
  set.email = policy_.FieldLevel(who.roles, ContactField::kEmail) >= Level::kMasked;
  set.phone = policy_.FieldLevel(who.roles, ContactField::kPhone) >= Level::kMasked;
  set.name = policy_.FieldLevel(who.roles, ContactField::kName) >= Level::kMasked;
  return set;
}

CustomerView AccessService::Render(const auth::Principal& who, const Customer& c) const {
  CustomerView view;
  view.id = c.id;
  view.created_at = c.created_at;
  view.updated_at = c.updated_at;
  for (ContactField f : kAllContactFields) {
    FieldView& fv = f == ContactField::kEmail   ? view.email
                    : f == ContactField::kPhone ? view.phone
                                                : view.name;
    fv.level = policy_.FieldLevel(who.roles, f);
    const auto& value = ValueOf(c, f);
    if (fv.level >= Level::kMatch) fv.present = value.has_value();
    // Plaintext is never in a view: it travels only through Reveal.
    if (fv.level >= Level::kMasked && value) fv.value = Mask(f, *value);
  }
  return view;
}

StatusOr<CustomerView> AccessService::Create(const auth::Principal& who, const RequestMeta& meta,
                                             const CustomerInput& input) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerCreate, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerCreate, entry));
  // A create answers "that email is taken" (409), so it is a lookup too:
  // without this, creates would enumerate customers past the lookup limit.
  RETURN_IF_ERROR(CheckLookupRate(who, meta, entry.action, ""));
  std::vector<ContactField> given;
  if (input.email) given.push_back(ContactField::kEmail);
  if (input.phone) given.push_back(ContactField::kPhone);
  if (input.name) given.push_back(ContactField::kName);
  entry.fields = FieldLevels(who, given);
  auto created = customers_.Create(input, [&](store::Database& db, const std::string& id) {
    audit::Entry e = entry;
    e.record_id = id;
    return audit_.Append(db, e).status();
  });
  if (!created.ok()) return guard_.RefuseChange(entry, ConflictAsSeenBy(who, created.status()));
  CustomerView view = Render(who, *created);
  WipeCustomer(*created);
  return view;
}

StatusOr<std::vector<CustomerView>> AccessService::Search(const auth::Principal& who,
                                                          const RequestMeta& meta,
                                                          const SearchQuery& query) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerSearch, "");
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerSearch, entry));
  if (query.email.has_value() == query.phone.has_value()) {
    return guard_.Refuse(
        entry, InvalidArgument("search by exactly one of email or phone", "search_term_invalid"));
  }
  ContactField field = query.email ? ContactField::kEmail : ContactField::kPhone;
  entry.fields = FieldLevels(who, {field});
  if (policy_.FieldLevel(who.roles, field) < Level::kMatch) {
    return guard_.Refuse(
        entry, Forbidden(std::string("your role may not search by ") + ContactFieldName(field)));
  }
  RETURN_IF_ERROR(CheckLookupRate(who, meta, entry.action, ""));
  auto found = query.email ? customers_.FindByEmail(*query.email, VisibleFields(who))
                           : customers_.FindByPhone(*query.phone, VisibleFields(who));
  if (!found.ok()) return guard_.Refuse(entry, found.status());
  std::vector<std::string> ids;
  std::vector<CustomerView> views;
  for (auto& c : *found) {
    ids.push_back(c.id);
    views.push_back(Render(who, c));
    WipeCustomer(c);
  }
  entry.outcome = views.empty() ? "no_match" : "success";
  entry.detail = "matches=" + std::to_string(views.size());
  if (views.size() == 1) entry.record_id = ids[0];
  // A lookup reveals no plaintext: its entry is committed before the answer
  // (a killed process cannot lose it) without waiting for the fsync.
  Status st = customers_.Touch(
      ids, [&](store::Database& db) { return audit_.Append(db, entry).status(); },
      store::Durability::kWritten);
  if (!st.ok()) return IsAuditUnavailable(st) ? st : audit::AuditUnavailable();
  return views;
}

StatusOr<bool> AccessService::Verify(const auth::Principal& who, const RequestMeta& meta,
                                     std::string_view id, ContactField field,
                                     std::string_view value) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerVerify, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerVerify, entry));
  entry.fields = FieldLevels(who, {field});
  if (field == ContactField::kName || policy_.FieldLevel(who.roles, field) < Level::kMatch) {
    return guard_.Refuse(
        entry, Forbidden(std::string("your role may not verify ") + ContactFieldName(field)));
  }
  RETURN_IF_ERROR(CheckLookupRate(who, meta, entry.action, id));
  auto match = customers_.Verify(id, field, value);
  if (!match.ok()) return guard_.Refuse(entry, match.status());
  entry.outcome = *match ? "match" : "no_match";
  RETURN_IF_ERROR(audit_.Record(entry, store::Durability::kWritten).status());
  return *match;
}

StatusOr<CustomerView> AccessService::Get(const auth::Principal& who, const RequestMeta& meta,
                                          std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerRead, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerRead, entry));
  entry.fields =
      FieldLevels(who, {kAllContactFields[0], kAllContactFields[1], kAllContactFields[2]});
  auto c = customers_.Get(id, VisibleFields(who));
  if (!c.ok()) return guard_.Refuse(entry, c.status());
  RETURN_IF_ERROR(audit_.Record(entry, store::Durability::kWritten).status());
  CustomerView view = Render(who, *c);
  WipeCustomer(*c);
  return view;
}

StatusOr<RevealResult> AccessService::Reveal(const auth::Principal& who, const RequestMeta& meta,
                                             std::string_view id,
                                             const std::vector<ContactField>& fields,
                                             std::string_view reason) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerReveal, id);
  // A refused reveal records which fields were asked for, like a granted one.
  entry.fields = FieldLevels(who, fields);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerReveal, entry));
  std::optional<std::string> stated = NormalizeReason(reason);
  if (!stated) {
    return guard_.Refuse(entry, InvalidArgument("a reveal needs a reason of 1 to 200 characters",
                                                "reason_required"));
  }
  entry.reason = *std::move(stated);
  if (fields.empty()) {
    return guard_.Refuse(entry,
                         InvalidArgument("name at least one field to reveal", "fields_required"));
  }
  for (ContactField f : fields) {
    if (policy_.FieldLevel(who.roles, f) < Level::kPlaintext) {
      return guard_.Refuse(
          entry, Forbidden(std::string("your role may not reveal ") + ContactFieldName(f)));
    }
  }
  FieldSet wanted = FieldSet::None();
  for (ContactField f : fields) {
    if (f == ContactField::kEmail) wanted.email = true;
    if (f == ContactField::kPhone) wanted.phone = true;
    if (f == ContactField::kName) wanted.name = true;
  }
  auto c = customers_.Get(id, wanted);
  if (!c.ok()) return guard_.Refuse(entry, c.status());

  // The quota check and the entry share one transaction, so two concurrent
  // reveals cannot both take the last unit; the entry is durable before any
  // plaintext leaves this function.
  int quota = policy_.RevealQuotaPerHour(who.roles);
  int64_t used = 0;
  Status st = customers_.Touch({}, [&](store::Database& db) -> Status {
    const int64_t now = clock_();
    ASSIGN_OR_RETURN(used, store::CountReveals(db, who.Label(), now - kHourMs));
    if (used >= quota) {
      // One unit comes back when the reveal `used - quota` places from the
      // oldest leaves the hour.
      ASSIGN_OR_RETURN(auto freed_at, store::RevealTimeAfter(db, who.Label(), now - kHourMs,
                                                             used - std::max(quota, 1)));
      int64_t wait_ms = freed_at && quota > 0 ? *freed_at + kHourMs - now : kHourMs;
      return RateLimited("reveal quota spent (" + std::to_string(quota) + " per hour)",
                         Reason::kRevealQuotaExceeded, std::chrono::milliseconds(wait_ms));
    }
    return audit_.Append(db, entry).status();
  });
  if (!st.ok()) {
    WipeCustomer(*c);
    if (st.Is(Reason::kRevealQuotaExceeded)) return guard_.Refuse(entry, st);
    return IsAuditUnavailable(st) ? st : audit::AuditUnavailable();
  }
  RevealResult result;
  result.id = c->id;
  result.quota_remaining = static_cast<int>(std::max<int64_t>(0, quota - used - 1));
  for (ContactField f : fields) {
    const auto& v = ValueOf(*c, f);
    if (v) result.values[ContactFieldName(f)] = *v;
  }
  WipeCustomer(*c);
  return result;
}

StatusOr<CustomerView> AccessService::Update(const auth::Principal& who, const RequestMeta& meta,
                                             std::string_view id, const CustomerPatch& patch) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerUpdate, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerUpdate, entry));
  std::vector<ContactField> changed;
  if (patch.email) changed.push_back(ContactField::kEmail);
  if (patch.phone) changed.push_back(ContactField::kPhone);
  if (patch.name) changed.push_back(ContactField::kName);
  entry.fields = FieldLevels(who, changed);
  if (changed.empty()) {
    return guard_.Refuse(entry, InvalidArgument("nothing to update", "patch_empty"));
  }
  // A new email is tested against every stored one (409 when taken): a
  // lookup, spent like a search, or PATCH would enumerate customers.
  if (patch.email && !patch.email->empty()) {
    RETURN_IF_ERROR(CheckLookupRate(who, meta, entry.action, id));
  }
  auto updated = customers_.Update(id, patch, [&](store::Database& db, const std::string&) {
    return audit_.Append(db, entry).status();
  });
  if (!updated.ok()) return guard_.RefuseChange(entry, ConflictAsSeenBy(who, updated.status()));
  CustomerView view = Render(who, *updated);
  WipeCustomer(*updated);
  return view;
}

StatusOr<ErasureReceipt> AccessService::Erase(const auth::Principal& who, const RequestMeta& meta,
                                              std::string_view id) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kCustomerErase, id);
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerErase, entry));
  entry.fields = "email,phone,name";
  ErasureReceipt receipt;
  Status st = customers_.Erase(id, [&](store::Database& db, const std::string&) -> Status {
    ASSIGN_OR_RETURN(receipt.audit, audit_.Append(db, entry));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.RefuseChange(entry, st);
  // The erased record's old pages sit in the WAL until a checkpoint: fold
  // them in now, so no copy outlives the erasure.
  if (erasure_scrub_) erasure_scrub_().IgnoreError();
  receipt.id = std::string(id);
  receipt.erased_at_ms = receipt.audit.time_ms;
  receipt.actor = who.Label();
  return receipt;
}

StatusOr<std::vector<BatchItemResult>> AccessService::Batch(const auth::Principal& who,
                                                            const RequestMeta& meta,
                                                            const std::vector<BatchItem>& items) {
  if (items.empty() || items.size() > kMaxBatchItems) {
    return InvalidArgument("\"items\" must be an array of 1 to 500 objects", "batch_invalid");
  }
  std::vector<BatchItemResult> results;
  results.reserve(items.size());
  for (const BatchItem& item : items) {
    BatchItemResult result;
    if (!item.unread.ok()) {
      // Every item leaves one entry, a malformed one included.
      RETURN_IF_ERROR(unread_item_guard_.RecordRefusal(EntryFor(who, meta, item.unread_action, ""),
                                                       item.unread));
      result.status = item.unread;
    } else if (item.op == BatchItem::Op::kCreate) {
      auto created = Create(who, meta, item.input);
      result.status = created.status();
      if (created.ok()) {
        result.customer = *std::move(created);
        result.created = true;
      }
    } else {
      auto found = FindOrCreate(who, meta, item.input);
      result.status = found.status();
      if (found.ok()) {
        result.customer = std::move(found->customer);
        result.created = found->created;
      }
    }
    // The audit cannot be written: stop, nothing more is done blind.
    if (IsAuditUnavailable(result.status)) return result.status;
    results.push_back(std::move(result));
  }
  return results;
}

StatusOr<FindOrCreateResult> AccessService::FindOrCreate(const auth::Principal& who,
                                                         const RequestMeta& meta,
                                                         const CustomerInput& input) {
  // Refused as the search it starts with.
  RETURN_IF_ERROR(guard_.Authorize(who, Action::kCustomerSearch,
                                   EntryFor(who, meta, AuditAction::kCustomerSearch, "")));
  if (!input.email && !input.phone) {
    return guard_.Refuse(
        EntryFor(who, meta, AuditAction::kCustomerFindOrCreate, ""),
        InvalidArgument("a customer needs an email or a phone number", "contact_required"));
  }
  SearchQuery query;
  if (input.email) {
    query.email = input.email;
  } else {
    query.phone = input.phone;
  }
  ASSIGN_OR_RETURN(auto matches, Search(who, meta, query));
  if (!matches.empty()) return FindOrCreateResult{matches.front(), false};
  auto created = Create(who, meta, input);
  if (!created.ok() && created.status().code() == StatusCode::kAlreadyExists && input.email) {
    // Lost a race with another terminal creating the same customer.
    ASSIGN_OR_RETURN(matches, Search(who, meta, query));
    if (!matches.empty()) return FindOrCreateResult{matches.front(), false};
  }
  if (!created.ok()) return created.status();
  return FindOrCreateResult{*created, true};
}

}  // namespace vault::service

#include "service/marketing_export.h"

#include <utility>

#include "common/csv.h"
#include "crypto/secret_bytes.h"
#include "store/privacy_tables.h"

namespace vault::service {

using audit::AuditAction;

MarketingExport::MarketingExport(CustomerService& customers, store::Store& store,
                                 const policy::Policy& policy, audit::AuditLog& audit,
                                 PrivacyOptions options)
    : customers_(customers),
      store_(store),
      policy_(policy),
      audit_(audit),
      options_(std::move(options)),
      guard_(audit, policy, kPrivacyRefusals) {}

StatusOr<MarketingCsv> MarketingExport::Export(const auth::Principal& who, const RequestMeta& meta,
                                               std::string_view purpose) {
  audit::Entry entry = EntryFor(who, meta, AuditAction::kMarketingExport, "");
  RETURN_IF_ERROR(guard_.Authorize(who, policy::Action::kMarketingExport, entry));
  if (!options_.KnownPurpose(purpose)) {
    return guard_.Refuse(entry, InvalidArgument("unknown consent purpose", "purpose_unknown"));
  }
  entry.detail = "purpose=" + std::string(purpose);
  auto field_it = options_.export_fields.find(std::string(purpose));
  if (field_it == options_.export_fields.end()) {
    return guard_.Refuse(entry, InvalidArgument("this purpose has no marketing export "
                                                "(privacy.export_fields)",
                                                "purpose_not_exportable"));
  }
  // The purpose's own field goes out because the customer consented to being
  // contacted through it; any other field only where the role may see it in
  // plaintext anyway. Never the other contact field.
  const ContactField field = field_it->second;
  const bool with_name =
      policy_.FieldLevel(who.roles, ContactField::kName) == policy::Level::kPlaintext;
  FieldSet wanted = FieldSet::None();
  wanted.email = field == ContactField::kEmail;
  wanted.phone = field == ContactField::kPhone;
  wanted.name = with_name;

  MarketingCsv out;
  out.purpose = std::string(purpose);
  out.columns = {"id", ContactFieldName(field)};
  if (with_name) out.columns.push_back("name");
  entry.fields = std::string(ContactFieldName(field)) + ":plaintext";
  if (with_name) entry.fields += ",name:plaintext";

  std::vector<std::string> ids;
  Status st = store_.Read([&](store::Database& db) -> Status {
    ASSIGN_OR_RETURN(ids, store::CustomersConsentingTo(db, purpose));
    return Status::Ok();
  });
  if (!st.ok()) return guard_.Refuse(entry, st);

  out.csv = csv::FormatRecord(out.columns);
  for (const auto& id : ids) {
    auto c = customers_.Get(id, wanted);
    if (!c.ok()) {
      if (c.status().code() == StatusCode::kNotFound) continue;  // erased meanwhile
      crypto::WipeString(out.csv);
      return guard_.Refuse(entry, c.status());
    }
    const auto& value = field == ContactField::kEmail ? c->email : c->phone;
    if (value) {
      // Ids, emails and E.164 phones go out exactly as stored; only the
      // name is free text.
      std::vector<csv::Field> record = {{c->id}, {*value}};
      if (with_name) record.push_back({c->name ? std::string_view(*c->name) : "", true});
      csv::AppendRecord(out.csv, record);
      ++out.rows;
    }
    WipeCustomer(*c);
  }
  entry.detail += " rows=" + std::to_string(out.rows);
  auto recorded = audit_.Record(entry);
  if (!recorded.ok()) {
    crypto::WipeString(out.csv);
    return recorded.status();
  }
  return out;
}

}  // namespace vault::service

#include "service/privacy_options.h"

#include <algorithm>

namespace vault::service {

PrivacyOptions PrivacyOptions::FromConfig(const Config& config) {
  PrivacyOptions o;
  o.officer = {config.privacy_officer_name, config.privacy_officer_email,
               config.privacy_officer_phone};
  o.purposes = config.consent_purposes;
  for (const auto& [version, hash] : config.notices) o.notices.push_back({version, hash});
  for (const auto& [purpose, field] : config.export_fields) {
    o.export_fields[purpose] = field == "phone" ? ContactField::kPhone : ContactField::kEmail;
  }
  o.erase_after_days_unseen = config.erase_after_days_unseen;
  for (const auto& [purpose, days] : config.retention_days_with_consent) {
    o.days_with_consent[purpose] = days;
  }
  o.schedule_minutes = config.retention_schedule_minutes;
  return o;
}

bool PrivacyOptions::KnownPurpose(std::string_view purpose) const {
  return std::find(purposes.begin(), purposes.end(), purpose) != purposes.end();
}

const NoticeVersion* PrivacyOptions::FindNotice(std::string_view version) const {
  for (const auto& n : notices) {
    if (n.version == version) return &n;
  }
  return nullptr;
}

std::vector<ConsentState> ConsentStates(const PrivacyOptions& options,
                                        const std::vector<store::ConsentRow>& current) {
  std::vector<ConsentState> out;
  for (const auto& purpose : options.purposes) {
    ConsentState s;
    s.purpose = purpose;
    for (const auto& row : current) {
      if (row.purpose != purpose) continue;
      s.recorded = true;
      s.granted = row.granted;
      s.at_ms = row.time_ms;
      s.channel = row.channel;
      s.notice_version = row.notice_version;
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace vault::service

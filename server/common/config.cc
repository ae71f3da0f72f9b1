#include "common/config.h"

#include <arpa/inet.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>

#include "common/text.h"

namespace vault {
namespace {

std::string Where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line) + ": ";
}

using Setter = std::function<Status(const toml::node&, Config&)>;

template <typename T>
Setter Int(T Config::*member, int64_t lo, int64_t hi) {
  return [=](const toml::node& node, Config& c) -> Status {
    // Only an integer node is read as one: toml++ converts a float to int64_t
    // without a range check (undefined behaviour for 3.1e31, found by fuzzing).
    auto v = node.is_integer() ? node.value<int64_t>() : std::nullopt;
    if (!v || *v < lo || *v > hi) {
      return InvalidArgument("must be an integer from " + std::to_string(lo) + " to " +
                             std::to_string(hi));
    }
    c.*member = static_cast<T>(*v);
    return Status::Ok();
  };
}

Setter Str(std::string Config::*member) {
  return [=](const toml::node& node, Config& c) -> Status {
    if (!node.is_string()) return InvalidArgument("must be a string");
    c.*member = *node.value<std::string>();
    return Status::Ok();
  };
}

Setter Bool(bool Config::*member) {
  return [=](const toml::node& node, Config& c) -> Status {
    if (!node.is_boolean()) return InvalidArgument("must be true or false");
    c.*member = *node.value<bool>();
    return Status::Ok();
  };
}

// A name of a purpose or notice version: what may go into the ledger.
bool IsToken(std::string_view s, size_t max_size, bool allow_upper_and_punct) {
  if (s.empty() || s.size() > max_size) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (allow_upper_and_punct) ok = ok || (c >= 'A' && c <= 'Z') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

Setter StrList(std::vector<std::string> Config::*member) {
  return [=](const toml::node& node, Config& c) -> Status {
    const toml::array* array = node.as_array();
    if (array == nullptr) return InvalidArgument("must be an array of strings");
    std::vector<std::string> out;
    for (const toml::node& element : *array) {
      if (!element.is_string()) return InvalidArgument("must be an array of strings");
      out.push_back(*element.value<std::string>());
    }
    c.*member = std::move(out);
    return Status::Ok();
  };
}

Setter StrMap(std::map<std::string, std::string> Config::*member) {
  return [=](const toml::node& node, Config& c) -> Status {
    const toml::table* table = node.as_table();
    if (table == nullptr) return InvalidArgument("must be a table of strings");
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : *table) {
      if (!value.is_string()) return InvalidArgument("must be a table of strings");
      out[std::string(key.str())] = *value.value<std::string>();
    }
    c.*member = std::move(out);
    return Status::Ok();
  };
}

Setter IntMap(std::map<std::string, int> Config::*member, int64_t lo, int64_t hi) {
  return [=](const toml::node& node, Config& c) -> Status {
    const toml::table* table = node.as_table();
    std::string what =
        "must be a table of integers from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (table == nullptr) return InvalidArgument(what);
    std::map<std::string, int> out;
    for (const auto& [key, value] : *table) {
      auto v = value.is_integer() ? value.value<int64_t>() : std::nullopt;
      if (!v || *v < lo || *v > hi) return InvalidArgument(what);
      out[std::string(key.str())] = static_cast<int>(*v);
    }
    c.*member = std::move(out);
    return Status::Ok();
  };
}

// The [privacy] and [retention] settings must agree with each other.
Status CheckPrivacy(const Config& c) {
  auto known = [&](const std::string& purpose) {
    return std::find(c.consent_purposes.begin(), c.consent_purposes.end(), purpose) !=
           c.consent_purposes.end();
  };
  for (size_t i = 0; i < c.consent_purposes.size(); ++i) {
    const std::string& p = c.consent_purposes[i];
    if (!IsToken(p, 64, false)) {
      return InvalidArgument("privacy.consent_purposes: \"" + p +
                             "\" must be 1 to 64 of a-z, 0-9 and _");
    }
    if (std::find(c.consent_purposes.begin(), c.consent_purposes.begin() + i, p) !=
        c.consent_purposes.begin() + i) {
      return InvalidArgument("privacy.consent_purposes names \"" + p + "\" twice");
    }
  }
  for (const auto& [version, hash] : c.notices) {
    if (!IsToken(version, 64, true)) {
      return InvalidArgument(
          "privacy.notices: a version must be 1 to 64 of A-Z, a-z, "
          "0-9, '.', '-' and '_'");
    }
    if (!IsLowerHex(hash, 64)) {
      return InvalidArgument("privacy.notices: the hash of \"" + version +
                             "\" must be a SHA-256 in 64 lowercase hex digits");
    }
  }
  for (const auto& [purpose, field] : c.export_fields) {
    if (!known(purpose)) {
      return InvalidArgument("privacy.export_fields: \"" + purpose +
                             "\" is not in privacy.consent_purposes");
    }
    if (field != "email" && field != "phone") {
      return InvalidArgument("privacy.export_fields: the field of \"" + purpose +
                             "\" must be \"email\" or \"phone\"");
    }
  }
  for (const auto& [purpose, days] : c.retention_days_with_consent) {
    if (!known(purpose)) {
      return InvalidArgument("retention.days_with_consent: \"" + purpose +
                             "\" is not in privacy.consent_purposes");
    }
    if (c.erase_after_days_unseen == 0) {
      return InvalidArgument(
          "retention.days_with_consent needs "
          "retention.erase_after_days_unseen above 0");
    }
    if (days < c.erase_after_days_unseen) {
      return InvalidArgument("retention.days_with_consent: \"" + purpose +
                             "\" keeps customers less long than "
                             "retention.erase_after_days_unseen");
    }
  }
  return Status::Ok();
}

// The [front] and [metrics] settings that span keys.
Status CheckFront(const Config& c) {
  if (c.max_connections_per_client > c.max_connections) {
    return InvalidArgument(
        "front.max_connections_per_client must not be above front.max_connections");
  }
  if (c.metrics_listen != "off" && !ParseHostPort(c.metrics_listen)) {
    return InvalidArgument(
        "metrics.listen must be \"off\" or \"host:port\" (an IP address or localhost, "
        "a port from 0 to 65535), such as \"127.0.0.1:9464\"");
  }
  return Status::Ok();
}

// The checks that span keys, after the file and again after the environment.
Status CheckWhole(const Config& config, std::string_view source_name) {
  if (config.default_region.size() != 2) {
    return InvalidArgument(std::string(source_name) +
                               ": customers.default_region must be a two-letter "
                               "region code such as \"CA\"",
                           "config_invalid");
  }
  if (Status st = CheckFront(config); !st.ok()) {
    return InvalidArgument(std::string(source_name) + ": " + st.message(), "config_invalid");
  }
  if (Status st = CheckPrivacy(config); !st.ok()) {
    return InvalidArgument(std::string(source_name) + ": " + st.message(), "config_invalid");
  }
  return Status::Ok();
}

const std::map<std::string, std::map<std::string, Setter>>& Schema() {
  static const auto* kSchema = new std::map<std::string, std::map<std::string, Setter>>{
      {"server",
       {{"listen", Str(&Config::listen)},
        {"port", Int(&Config::port, 0, 65535)},
        {"tls_cert", Str(&Config::tls_cert)},
        {"tls_key", Str(&Config::tls_key)},
        {"allow_plain_http", Bool(&Config::allow_plain_http)},
        {"threads", Int(&Config::threads, 1, 1024)},
        {"dev_mode", Bool(&Config::dev_mode)}}},
      {"front",
       {{"io_threads", Int(&Config::io_threads, 0, 256)},
        {"max_queued_requests", Int(&Config::max_queued_requests, 0, 1'000'000)},
        {"max_request_line_bytes", Int(&Config::max_request_line_bytes, 256, 1 << 20)},
        {"max_header_bytes", Int(&Config::max_header_bytes, 1024, 1 << 20)},
        {"max_header_fields", Int(&Config::max_header_fields, 8, 10'000)},
        {"min_body_bytes_per_second", Int(&Config::min_body_bytes_per_second, 1, 1 << 30)},
        {"idle_timeout_seconds", Int(&Config::idle_timeout_seconds, 1, 3600)},
        {"max_connections", Int(&Config::max_connections, 1, 1'000'000)},
        {"max_connections_per_client", Int(&Config::max_connections_per_client, 1, 1'000'000)},
        {"retry_after_seconds", Int(&Config::retry_after_seconds, 1, 3600)}}},
      {"metrics", {{"listen", Str(&Config::metrics_listen)}}},
      {"debug", {{"allow_core_dumps", Bool(&Config::allow_core_dumps)}}},
      {"storage",
       {{"data_dir", Str(&Config::data_dir)}, {"readers", Int(&Config::readers, 1, 64)}}},
      {"keys",
       {{"root_key_file", Str(&Config::root_key_file)},
        {"rotation_pause_ms", Int(&Config::rotation_pause_ms, 0, 10'000)}}},
      {"customers", {{"default_region", Str(&Config::default_region)}}},
      {"policy", {{"file", Str(&Config::policy_file)}}},
      {"limits",
       {{"max_body_bytes", Int(&Config::max_body_bytes, 1024, 64 << 20)},
        {"max_json_depth", Int(&Config::max_json_depth, 2, 64)},
        {"read_timeout_seconds", Int(&Config::read_timeout_seconds, 1, 600)},
        {"write_timeout_seconds", Int(&Config::write_timeout_seconds, 1, 600)}}},
      {"sessions",
       {{"idle_minutes", Int(&Config::session_idle_minutes, 1, 24 * 60)},
        {"absolute_minutes", Int(&Config::session_absolute_minutes, 1, 7 * 24 * 60)},
        {"login_attempts_per_window", Int(&Config::login_attempts_per_window, 1, 1000)},
        {"login_window_minutes", Int(&Config::login_window_minutes, 1, 24 * 60)},
        {"max_concurrent_password_hashes", Int(&Config::max_concurrent_password_hashes, 1, 64)}}},
      {"log", {{"level", Str(&Config::log_level)}}},
      {"privacy",
       {{"officer_name", Str(&Config::privacy_officer_name)},
        {"officer_email", Str(&Config::privacy_officer_email)},
        {"officer_phone", Str(&Config::privacy_officer_phone)},
        {"consent_purposes", StrList(&Config::consent_purposes)},
        {"notices", StrMap(&Config::notices)},
        {"export_fields", StrMap(&Config::export_fields)}}},
      {"retention",
       {{"erase_after_days_unseen", Int(&Config::erase_after_days_unseen, 0, 36500)},
        {"days_with_consent", IntMap(&Config::retention_days_with_consent, 1, 36500)},
        {"schedule_minutes", Int(&Config::retention_schedule_minutes, 0, 7 * 24 * 60)}}},
  };
  return *kSchema;
}

}  // namespace

std::optional<HostPort> ParseHostPort(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size() || colon + 6 < text.size()) {
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  std::string_view digits = text.substr(colon + 1);
  int port = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    port = port * 10 + (c - '0');
  }
  if (port > 65535) return std::nullopt;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::string h(host);
  unsigned char buffer[16];
  bool ip =
      inet_pton(AF_INET, h.c_str(), buffer) == 1 || inet_pton(AF_INET6, h.c_str(), buffer) == 1;
  if (!ip && h != "localhost") return std::nullopt;
  return HostPort{h, port};
}

StatusOr<Config> ParseConfig(std::string_view toml_text, std::string_view source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(Where(source_name, e.source()) + std::string(e.description()),
                           "config_invalid");
  }
  Config config;
  for (const auto& [section_key, section_node] : root) {
    std::string section(section_key.str());
    auto schema_it = Schema().find(section);
    if (schema_it == Schema().end() || !section_node.is_table()) {
      return InvalidArgument(
          Where(source_name, section_key.source()) + "unknown section [" + section + "]",
          "config_invalid");
    }
    for (const auto& [key, node] : *section_node.as_table()) {
      std::string name(key.str());
      auto it = schema_it->second.find(name);
      if (it == schema_it->second.end()) {
        return InvalidArgument(
            Where(source_name, key.source()) + "unknown key " + section + "." + name,
            "config_invalid");
      }
      Status st = it->second(node, config);
      if (!st.ok()) {
        return InvalidArgument(
            Where(source_name, node.source()) + section + "." + name + " " + st.message(),
            "config_invalid");
      }
    }
  }
  RETURN_IF_ERROR(CheckWhole(config, source_name));
  return config;
}

namespace {

// The older names of three overrides, kept working.
constexpr std::pair<const char*, const char*> kEnvironmentAliases[] = {
    {"CONTACT_VAULT_DATA_DIR", "CONTACT_VAULT_STORAGE_DATA_DIR"},
    {"CONTACT_VAULT_PORT", "CONTACT_VAULT_SERVER_PORT"},
    {"CONTACT_VAULT_ROOT_KEY_FILE", "CONTACT_VAULT_KEYS_ROOT_KEY_FILE"},
};

// Sets section.key from an environment value. The text is read as a TOML
// value when it is one (8443, true, ["a", "b"]) and as a string otherwise, or
// when the key wants a string ("5145550199" for privacy.officer_phone).
Status SetFromText(const Setter& setter, const std::string& text, Config& config) {
  std::optional<toml::table> parsed;
  try {
    parsed = toml::parse("v = " + text);
  } catch (const toml::parse_error&) {
  }
  if (parsed && parsed->size() == 1 && parsed->contains("v") && !(*parsed)["v"].is_string()) {
    if (setter(*parsed->get("v"), config).ok()) return Status::Ok();
  }
  return setter(toml::value<std::string>(text), config);
}

}  // namespace

Status ApplyEnvironment(Config& config, const std::map<std::string, std::string>& environment) {
  std::map<std::string, std::string> env = environment;
  for (const auto& [old_name, name] : kEnvironmentAliases) {
    auto it = env.find(old_name);
    if (it != env.end() && !env.contains(name)) env[name] = it->second;
  }
  constexpr std::string_view kPrefix = "CONTACT_VAULT_";
  for (const auto& [name, value] : env) {
    if (!name.starts_with(kPrefix) || value.empty()) continue;
    std::string rest = name.substr(kPrefix.size());
    std::transform(rest.begin(), rest.end(), rest.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    size_t cut = rest.find('_');
    if (cut == std::string::npos) continue;  // CONTACT_VAULT_TOKEN and the like
    auto section = Schema().find(rest.substr(0, cut));
    if (section == Schema().end()) continue;  // CONTACT_VAULT_CA_CERT and the like
    std::string key = rest.substr(cut + 1);
    auto setter = section->second.find(key);
    if (setter == section->second.end()) {
      return InvalidArgument(name + ": unknown key " + section->first + "." + key,
                             "config_invalid");
    }
    if (Status st = SetFromText(setter->second, value, config); !st.ok()) {
      return InvalidArgument(name + ": " + section->first + "." + key + " " + st.message(),
                             "config_invalid");
    }
  }
  if (auto it = env.find("CONTACT_VAULT_PASSPHRASE"); it != env.end() && !it->second.empty()) {
    config.root_passphrase = it->second;
  }
  return CheckWhole(config, "the environment");
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string_view::npos) env.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return env;
}

StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file " + path, "config_unreadable");
  std::stringstream buffer;
  buffer << in.rdbuf();
  ASSIGN_OR_RETURN(Config config, ParseConfig(buffer.str(), path));
  RETURN_IF_ERROR(ApplyEnvironment(config, ProcessEnvironment()));
  return config;
}

}  // namespace vault

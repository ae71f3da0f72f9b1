#include "common/config.h"

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include <toml++/toml.h>

namespace vault {
namespace {

std::string Where(std::string_view source, const toml::source_region& region) {
  return std::string(source) + ":" + std::to_string(region.begin.line) + ": ";
}

using Setter = std::function<Status(const toml::node&, Config&)>;

template <typename T>
Setter Int(T Config::*member, int64_t lo, int64_t hi) {
  return [=](const toml::node& node, Config& c) -> Status {
    auto v = node.value<int64_t>();
    if (!node.is_integer() || !v || *v < lo || *v > hi) {
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
      {"storage",
       {{"data_dir", Str(&Config::data_dir)}, {"readers", Int(&Config::readers, 1, 64)}}},
      {"keys", {{"root_key_file", Str(&Config::root_key_file)}}},
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
        {"max_concurrent_password_hashes",
         Int(&Config::max_concurrent_password_hashes, 1, 64)}}},
      {"log", {{"level", Str(&Config::log_level)}}},
  };
  return *kSchema;
}

}  // namespace

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
      return InvalidArgument(Where(source_name, section_key.source()) +
                                 "unknown section [" + section + "]",
                             "config_invalid");
    }
    for (const auto& [key, node] : *section_node.as_table()) {
      std::string name(key.str());
      auto it = schema_it->second.find(name);
      if (it == schema_it->second.end()) {
        return InvalidArgument(Where(source_name, key.source()) + "unknown key " +
                                   section + "." + name,
                               "config_invalid");
      }
      Status st = it->second(node, config);
      if (!st.ok()) {
        return InvalidArgument(Where(source_name, node.source()) + section + "." + name +
                                   " " + st.message(),
                               "config_invalid");
      }
    }
  }
  if (config.default_region.size() != 2) {
    return InvalidArgument(std::string(source_name) +
                               ": customers.default_region must be a two-letter "
                               "region code such as \"CA\"",
                           "config_invalid");
  }
  return config;
}

void ApplyEnvironment(Config& config) {
  if (const char* v = std::getenv("CONTACT_VAULT_DATA_DIR"); v && *v) config.data_dir = v;
  if (const char* v = std::getenv("CONTACT_VAULT_PORT"); v && *v) config.port = std::atoi(v);
  if (const char* v = std::getenv("CONTACT_VAULT_ROOT_KEY_FILE"); v && *v) {
    config.root_key_file = v;
  }
  if (const char* v = std::getenv("CONTACT_VAULT_PASSPHRASE"); v && *v) {
    config.root_passphrase = v;
  }
}

StatusOr<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read config file " + path, "config_unreadable");
  std::stringstream buffer;
  buffer << in.rdbuf();
  ASSIGN_OR_RETURN(Config config, ParseConfig(buffer.str(), path));
  ApplyEnvironment(config);
  return config;
}

}  // namespace vault

// contact-vault: the admin CLI.
//  Local commands work on a data directory with its root key: init, dev-cert,
//  dev-accounts, audit verify --data-dir.
//  Remote commands talk to a running server's API with a token
//  (--token or CONTACT_VAULT_TOKEN): employee, service-account, token,
//  customer, audit.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>

#include "api_client.h"
#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/file_lock.h"
#include "crypto/util.h"
#include "csv_import.h"
#include "http/dev_cert.h"
#include "policy/policy.h"
#include "policy/shipped_policy.h"
#include "service/vault.h"
#include "store/vault_tables.h"

namespace {

using nlohmann::json;
using vault::Status;

int Fail(const std::string& message) {
  std::fprintf(stderr, "contact-vault: %s\n", message.c_str());
  return 1;
}

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// "-" reads one line from standard input, so PII need not sit in argv.
std::string ValueOrStdin(const std::string& value) {
  if (value != "-") return value;
  std::string line;
  std::getline(std::cin, line);
  return line;
}

std::vector<std::string> SplitCommas(const std::string& s) { return vault::auth::SplitRoles(s); }

struct Local {
  std::string data_dir = "var/dev";
  std::string key_file;
  std::string policy_file;  // default: config/policy.toml, else the shipped one

  vault::StatusOr<vault::policy::Policy> LoadPolicy() const {
    if (!policy_file.empty()) return vault::policy::Policy::LoadFile(policy_file);
    if (::access("config/policy.toml", R_OK) == 0) {
      return vault::policy::Policy::LoadFile("config/policy.toml");
    }
    const auto& shipped = vault::ShippedPolicy();
    return vault::policy::Policy::Parse(shipped.contents, "(shipped policy.toml)");
  }

  vault::service::RootKeySource Root() const {
    vault::service::RootKeySource root;
    root.key_file = key_file.empty() ? data_dir + "/root.key" : key_file;
    std::string pass = Env("CONTACT_VAULT_PASSPHRASE");
    if (!pass.empty()) root.passphrase = pass;
    return root;
  }
};

std::string GeneratePassword() {
  // 18 random bytes -> 24 base64url characters.
  return vault::crypto::Base64UrlEncode(vault::crypto::RandomBytes(18));
}

// Creates employees (and optionally a token) straight in the database: for
// init and for the development accounts of `make run`.
int CreateLocalEmployees(const Local& local,
                         const std::vector<std::pair<std::string, std::string>>& employees,
                         bool with_passwords, bool admin_token) {
  auto vault =
      vault::service::OpenVaultAt(vault::service::DatabasePathIn(local.data_dir), local.Root());
  if (!vault.ok()) return Fail(vault.status().message());
  auto policy = local.LoadPolicy();
  if (!policy.ok()) return Fail(policy.status().message());
  vault::auth::AuthService auth(*vault->store, *policy, {});
  vault::audit::AuditLog audit(*vault->store, *vault->keys);
  for (const auto& [username, role] : employees) {
    vault::auth::NewEmployee e;
    e.username = username;
    e.display_name = username;
    e.roles = {role};
    std::string password;
    if (with_passwords) {
      password = GeneratePassword();
      e.password = password;
    }
    vault::audit::Entry entry(vault::audit::AuditAction::kAdminEmployeesCreate);
    entry.principal = "cli:" + Env("USER", "local");
    entry.record_id = username;
    entry.detail = "roles=" + role;
    auto row = auth.CreateEmployee(
        e, [&](vault::store::Database& db) { return audit.Append(db, entry).status(); });
    if (!row.ok()) {
      if (row.status().code() == vault::StatusCode::kAlreadyExists) continue;
      return Fail(row.status().message());
    }
    if (with_passwords) {
      std::printf("  %-10s role %-16s password %s\n", username.c_str(), role.c_str(),
                  password.c_str());
    }
    if (admin_token) {
      vault::audit::Entry tentry = entry;
      tentry.action = vault::audit::AuditAction::kAdminTokensCreate;
      tentry.record_id = "employee:" + username;
      tentry.detail = "";
      auto token = auth.IssueToken(
          "employee", username, "created by contact-vault init", std::nullopt,
          [&](vault::store::Database& db) { return audit.Append(db, tentry).status(); });
      if (!token.ok()) return Fail(token.status().message());
      std::printf("admin API token (shown once, stored only as a hash):\n  %s\n",
                  token->token.c_str());
    }
  }
  return 0;
}

void PrintJson(const json& j) { std::printf("%s\n", j.dump(2).c_str()); }

int64_t ParseSince(const std::string& text) {
  if (text.empty()) return 0;
  if (text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (end == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// Prints rotation progress once, or until the job ends with --watch: a
// live bar on a terminal, one plain line a second otherwise.
template <typename Run>
int WatchRotation(Run& run, bool watch) {
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  for (;;) {
    auto r = run("GET", "/v1/admin/keys/rotation", nullptr);
    if (!r.ok()) return Fail(r.status().message());
    const json& p = r->body;
    std::string state = p.value("state", "none");
    if (state == "none") {
      std::printf("no rotation has run\n");
      return 0;
    }
    int64_t done = p.value("done", int64_t{0});
    int64_t total = p.value("total", int64_t{0});
    double rate = p.value("rate_per_second", 0.0);
    double eta = p.value("eta_seconds", 0.0);
    double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    if (tty) {
      int width = 30;
      int filled = static_cast<int>(frac * width);
      std::string bar(static_cast<size_t>(filled), '#');
      bar.append(static_cast<size_t>(width - filled), '.');
      std::printf("\r%s key rotation [%s] %3.0f%% %lld/%lld %.0f/s ETA %.0fs   ",
                  p.value("purpose", "").c_str(), bar.c_str(), frac * 100,
                  static_cast<long long>(done), static_cast<long long>(total), rate, eta);
    } else {
      std::printf("%s key rotation %s: %lld/%lld done, %.0f records/s, ETA %.0f s\n",
                  p.value("purpose", "").c_str(), state.c_str(), static_cast<long long>(done),
                  static_cast<long long>(total), rate, eta);
    }
    std::fflush(stdout);
    if (!watch || state != "running") {
      if (tty) std::printf("\n%s\n", state.c_str());
      return 0;
    }
    ::usleep(tty ? 200000 : 1000000);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"contact-vault: administer a Contact Vault"};
  cli.require_subcommand(1);

  Local local;
  vault::cli::ApiOptions api;
  api.server = Env("CONTACT_VAULT_SERVER", api.server);
  api.token = Env("CONTACT_VAULT_TOKEN");
  api.ca_cert = Env("CONTACT_VAULT_CA_CERT");
  auto add_remote = [&](CLI::App* cmd) {
    cmd->add_option("--server", api.server, "server URL (CONTACT_VAULT_SERVER)");
    cmd->add_option("--token", api.token, "API token (CONTACT_VAULT_TOKEN)");
    cmd->add_option("--ca-cert", api.ca_cert, "CA certificate to trust (CONTACT_VAULT_CA_CERT)");
    cmd->add_flag("--insecure", api.insecure, "do not verify the server's certificate");
  };
  auto add_local = [&](CLI::App* cmd, bool required) {
    auto* opt = cmd->add_option("--data-dir", local.data_dir, "the data directory");
    if (required) opt->required();
    cmd->add_option("--root-key-file", local.key_file, "root key file (default DATA_DIR/root.key)");
    cmd->add_option("--policy", local.policy_file,
                    "policy file (default config/policy.toml, else the shipped one)");
  };

  // --- init ---
  bool use_passphrase = false;
  auto* init =
      cli.add_subcommand("init", "create a data directory, root key, database and first admin");
  add_local(init, true);
  init->add_flag("--passphrase", use_passphrase,
                 "derive the root key from CONTACT_VAULT_PASSPHRASE instead of a key file");

  auto* dev_cert = cli.add_subcommand(
      "dev-cert", "create a self-signed development certificate in DATA_DIR/tls");
  add_local(dev_cert, true);

  auto* dev_accounts = cli.add_subcommand(
      "dev-accounts", "development only: create admin, cashier and support sign-ins");
  add_local(dev_accounts, true);

  // --- employees ---
  auto* employee = cli.add_subcommand("employee", "manage employees")->require_subcommand(1);
  std::string username, display_name, roles, name;
  bool password_stdin = false;
  auto* employee_add = employee->add_subcommand("add", "add an employee");
  employee_add->add_option("username", username)->required();
  employee_add->add_option("--roles", roles, "comma-separated roles")->required();
  employee_add->add_option("--display-name", display_name);
  employee_add->add_flag("--password-stdin", password_stdin,
                         "read the password from standard input (default: generate one)");
  add_remote(employee_add);
  auto* employee_list = employee->add_subcommand("list", "list employees");
  add_remote(employee_list);
  auto* employee_disable = employee->add_subcommand("disable", "disable an employee");
  employee_disable->add_option("username", username)->required();
  add_remote(employee_disable);

  auto* service_account =
      cli.add_subcommand("service-account", "manage service accounts")->require_subcommand(1);
  auto* sa_add = service_account->add_subcommand("add", "add a service account (a POS terminal)");
  sa_add->add_option("name", name)->required();
  sa_add->add_option("--roles", roles, "comma-separated roles")->default_val("pos");
  add_remote(sa_add);
  auto* sa_list = service_account->add_subcommand("list", "list service accounts");
  add_remote(sa_list);

  auto* token = cli.add_subcommand("token", "manage API tokens")->require_subcommand(1);
  std::string token_employee, token_service, description, token_id;
  int64_t expires_days = 0;
  auto* token_create = token->add_subcommand("create", "create an API token (shown once)");
  token_create->add_option("--employee", token_employee);
  token_create->add_option("--service-account", token_service);
  token_create->add_option("--description", description);
  token_create->add_option("--expires-in-days", expires_days);
  add_remote(token_create);
  auto* token_revoke = token->add_subcommand("revoke", "revoke an API token");
  token_revoke->add_option("id", token_id)->required();
  add_remote(token_revoke);
  auto* token_list = token->add_subcommand("list", "list API tokens");
  add_remote(token_list);

  // --- customers ---
  auto* customer =
      cli.add_subcommand("customer", "customers (PII: pass '-' to read a value from stdin)")
          ->require_subcommand(1);
  std::string email, phone, customer_id, fields = "phone", reason;
  auto* customer_add = customer->add_subcommand("add", "create a customer");
  customer_add->add_option("--email", email);
  customer_add->add_option("--phone", phone);
  customer_add->add_option("--name", name);
  add_remote(customer_add);
  auto* customer_search = customer->add_subcommand("search", "find customers by email or phone");
  customer_search->add_option("--email", email);
  customer_search->add_option("--phone", phone);
  add_remote(customer_search);
  auto* customer_reveal = customer->add_subcommand("reveal", "reveal fields with a reason");
  customer_reveal->add_option("id", customer_id)->required();
  customer_reveal->add_option("--fields", fields, "comma-separated: email,phone,name");
  customer_reveal->add_option("--reason", reason)->required();
  add_remote(customer_reveal);
  std::string export_out;
  auto* customer_export = customer->add_subcommand(
      "export", "access request: everything held about a customer, as JSON (audited)");
  customer_export->add_option("id", customer_id)->required();
  customer_export->add_option("--reason", reason, "why (recorded in the audit log)")->required();
  customer_export->add_option("--out", export_out, "file to write (default: standard output)");
  add_remote(customer_export);

  // --- retention ---
  auto* retention =
      cli.add_subcommand("retention", "erase customers no longer needed")->require_subcommand(1);
  bool dry_run = false;
  auto* retention_run = retention->add_subcommand(
      "run", "run the retention rules now (customer.erase); --dry-run only counts");
  retention_run->add_flag("--dry-run", dry_run, "list how many would be erased and why");
  add_remote(retention_run);

  // --- audit ---
  auto* audit = cli.add_subcommand("audit", "the audit log")->require_subcommand(1);
  bool verify_local = false;
  auto* audit_verify = audit->add_subcommand("verify", "walk the hash chain");
  audit_verify->add_flag("--local", verify_local,
                         "open the database directly (with --data-dir and its root key)");
  add_local(audit_verify, false);
  add_remote(audit_verify);
  std::string since, out_file;
  auto* audit_export = audit->add_subcommand("export", "write entries as JSON lines for a SIEM");
  audit_export->add_option("--since", since, "Unix ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)");
  audit_export->add_option("--out", out_file, "file to write (default: standard output)");
  add_remote(audit_export);

  // --- keys ---
  auto* keys = cli.add_subcommand("keys", "keys: list, rotate, destroy, rekey the root")
                   ->require_subcommand(1);
  auto* keys_list = keys->add_subcommand("list", "list keys and how many records use each");
  add_remote(keys_list);
  std::string purpose = "data";
  bool watch = false;
  auto* keys_rotate = keys->add_subcommand("rotate", "start an online rotation");
  keys_rotate->add_option("--purpose", purpose, "data or index")
      ->check(CLI::IsMember({"data", "index"}));
  keys_rotate->add_flag("--watch", watch, "follow progress until done");
  add_remote(keys_rotate);
  auto* keys_status = keys->add_subcommand("status", "progress of the current or last rotation");
  keys_status->add_flag("--watch", watch, "follow progress until done");
  add_remote(keys_status);
  uint32_t key_id = 0;
  auto* keys_destroy = keys->add_subcommand("destroy", "destroy a key no record uses any more");
  keys_destroy->add_option("id", key_id)->required();
  add_remote(keys_destroy);
  std::string new_key_file;
  bool new_passphrase = false;
  auto* rekey = keys->add_subcommand(
      "rekey-root", "offline: rewrap the keyring under a new root key (server stopped)");
  add_local(rekey, true);
  rekey->add_option("--new-root-key-file", new_key_file,
                    "where the new key goes (default: replace the current key file)");
  rekey->add_flag("--new-passphrase", new_passphrase,
                  "use CONTACT_VAULT_NEW_PASSPHRASE as the new root instead of a key file");

  std::string backup_file;
  auto* backup = cli.add_subcommand("backup", "online backup of the database (ciphertext only)");
  backup->add_option("file", backup_file)->required();
  add_local(backup, true);
  auto* restore = cli.add_subcommand("restore", "offline: replace the database with a backup");
  restore->add_option("file", backup_file)->required();
  add_local(restore, true);

  vault::cli::ImportCommand import_cmd(cli, add_remote);

  CLI11_PARSE(cli, argc, argv);

  if (init->parsed()) {
    vault::service::InitOptions options;
    options.data_dir = local.data_dir;
    options.root.key_file = local.key_file.empty() ? local.data_dir + "/root.key" : local.key_file;
    if (use_passphrase) {
      std::string pass = Env("CONTACT_VAULT_PASSPHRASE");
      if (pass.empty()) return Fail("--passphrase needs CONTACT_VAULT_PASSPHRASE set");
      options.root.passphrase = pass;
    }
    Status st = vault::service::InitVault(options);
    if (!st.ok()) return Fail(st.message());
    std::printf("created vault in %s\n", local.data_dir.c_str());
    if (!use_passphrase) {
      std::printf("root key: %s (mode 0600; keep a copy apart from the database)\n",
                  options.root.key_file.c_str());
    }
    local.key_file = options.root.key_file;
    return CreateLocalEmployees(local, {{"admin", "admin"}}, false, true);
  }
  if (dev_cert->parsed()) {
    Status st = vault::http::EnsureDevCertificate(local.data_dir + "/tls/cert.pem",
                                                  local.data_dir + "/tls/key.pem");
    if (!st.ok()) return Fail(st.message());
    std::printf("%s/tls/cert.pem\n", local.data_dir.c_str());
    return 0;
  }
  if (dev_accounts->parsed()) {
    std::printf("development sign-ins (shown once):\n");
    return CreateLocalEmployees(
        local, {{"devadmin", "admin"}, {"cashier", "cashier"}, {"support", "support"}}, true,
        false);
  }
  if (rekey->parsed() || restore->parsed()) {
    auto lock = vault::FileLock::Acquire(local.data_dir + "/server.lock", "contact-vault-server");
    if (!lock.ok()) return Fail(lock.status().message());
    std::string db = vault::service::DatabasePathIn(local.data_dir);
    if (restore->parsed()) {
      Status st = vault::service::RestoreVault(backup_file, db, local.Root());
      if (!st.ok()) return Fail(st.message());
      std::printf("restored %s from %s\n", db.c_str(), backup_file.c_str());
      return 0;
    }
    vault::service::RootKeySource new_root;
    if (new_passphrase) {
      std::string pass = Env("CONTACT_VAULT_NEW_PASSPHRASE");
      if (pass.empty()) return Fail("--new-passphrase needs CONTACT_VAULT_NEW_PASSPHRASE set");
      new_root.passphrase = pass;
    } else {
      new_root.key_file = new_key_file.empty() ? local.Root().key_file : new_key_file;
    }
    Status st = vault::service::RekeyRoot(db, local.Root(), new_root);
    if (!st.ok()) return Fail(st.message());
    if (new_passphrase) {
      std::printf("keyring rewrapped under the new passphrase\n");
    } else {
      std::printf("keyring rewrapped under the new root key in %s\n", new_root.key_file.c_str());
      if (new_root.key_file != local.Root().key_file) {
        std::printf(
            "the old root key file %s no longer opens the database: destroy it "
            "(shred -u) once the new one is backed up\n",
            local.Root().key_file.c_str());
      }
    }
    return 0;
  }
  if (backup->parsed()) {
    Status st =
        vault::service::BackupVault(vault::service::DatabasePathIn(local.data_dir), backup_file);
    if (!st.ok()) return Fail(st.message());
    std::printf("backup written to %s (ciphertext and the keyring wrapped by today's root key)\n",
                backup_file.c_str());
    return 0;
  }
  if (audit_verify->parsed() && verify_local) {
    auto vault =
        vault::service::OpenVaultAt(vault::service::DatabasePathIn(local.data_dir), local.Root());
    if (!vault.ok()) return Fail(vault.status().message());
    vault::audit::AuditLog log(*vault->store, *vault->keys);
    auto result = log.Verify();
    if (!result.ok()) return Fail(result.status().message());
    if (result->intact) {
      std::printf("%lld entries, chain intact\n", static_cast<long long>(result->entries));
      return 0;
    }
    std::printf("chain broken at entry %lld: %s\n",
                static_cast<long long>(result->first_broken_seq), result->problem.c_str());
    return 2;
  }

  // Everything below talks to the server.
  if (api.token.empty()) return Fail("this command needs --token or CONTACT_VAULT_TOKEN");
  if (import_cmd.parsed()) return import_cmd.Run(api);
  vault::cli::ApiClient client(api);
  auto run = [&](const std::string& method, const std::string& path,
                 const json* body) -> vault::StatusOr<vault::cli::ApiResponse> {
    return client.Call(method, path, body);
  };

  vault::StatusOr<vault::cli::ApiResponse> r = vault::Internal("no command");
  if (employee_add->parsed()) {
    std::string password;
    if (password_stdin) {
      std::getline(std::cin, password);
    } else {
      password = GeneratePassword();
    }
    json body = {{"username", username}, {"roles", SplitCommas(roles)}, {"password", password}};
    if (!display_name.empty()) body["display_name"] = display_name;
    r = run("POST", "/v1/admin/employees", &body);
    if (r.ok() && !password_stdin) {
      std::printf("password for %s (shown once): %s\n", username.c_str(), password.c_str());
    }
  } else if (employee_list->parsed()) {
    r = run("GET", "/v1/admin/employees", nullptr);
  } else if (employee_disable->parsed()) {
    json body = {{"active", false}};
    r = run("PATCH", "/v1/admin/employees/" + username, &body);
  } else if (sa_add->parsed()) {
    json body = {{"name", name}, {"roles", SplitCommas(roles)}};
    r = run("POST", "/v1/admin/service-accounts", &body);
  } else if (sa_list->parsed()) {
    r = run("GET", "/v1/admin/service-accounts", nullptr);
  } else if (token_create->parsed()) {
    if (token_employee.empty() == token_service.empty()) {
      return Fail("name exactly one of --employee or --service-account");
    }
    json body = {{"kind", token_employee.empty() ? "service" : "employee"},
                 {"name", token_employee.empty() ? token_service : token_employee},
                 {"description", description}};
    if (expires_days > 0) body["expires_in_seconds"] = expires_days * 24 * 3600;
    r = run("POST", "/v1/admin/tokens", &body);
  } else if (token_revoke->parsed()) {
    r = run("DELETE", "/v1/admin/tokens/" + token_id, nullptr);
    if (r.ok()) std::printf("revoked %s\n", token_id.c_str());
  } else if (token_list->parsed()) {
    r = run("GET", "/v1/admin/tokens", nullptr);
  } else if (customer_add->parsed()) {
    json body = json::object();
    if (!email.empty()) body["email"] = ValueOrStdin(email);
    if (!phone.empty()) body["phone"] = ValueOrStdin(phone);
    if (!name.empty()) body["name"] = ValueOrStdin(name);
    r = run("POST", "/v1/customers", &body);
  } else if (customer_search->parsed()) {
    json body = json::object();
    if (!email.empty()) body["email"] = ValueOrStdin(email);
    if (!phone.empty()) body["phone"] = ValueOrStdin(phone);
    r = run("POST", "/v1/customers/search", &body);
  } else if (customer_reveal->parsed()) {
    json body = {{"fields", SplitCommas(fields)}, {"reason", reason}};
    r = run("POST", "/v1/customers/" + customer_id + "/reveal", &body);
  } else if (customer_export->parsed()) {
    json body = {{"reason", reason}};
    r = run("POST", "/v1/customers/" + customer_id + "/export", &body);
    if (r.ok() && !export_out.empty()) {
      // Mode 0600 from the first byte: the file holds plaintext.
      int fd = ::open(export_out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      std::string text = r->body.dump(2) + "\n";
      bool written =
          fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
      if (fd >= 0) ::close(fd);
      if (!written) return Fail("cannot write " + export_out);
      std::printf("wrote %s (it holds plaintext: keep it safe and delete it when done)\n",
                  export_out.c_str());
      return 0;
    }
  } else if (retention_run->parsed()) {
    json body = {{"dry_run", dry_run}};
    r = run("POST", "/v1/admin/retention/run", &body);
    if (!r.ok()) return Fail(r.status().message());
    const json& rep = r->body;
    int64_t days = rep["rules"].value("erase_after_days_unseen", int64_t{0});
    if (days == 0) {
      std::printf("retention is off (retention.erase_after_days_unseen = 0)\n");
      return 0;
    }
    int64_t n = rep.value("erasures", int64_t{0});
    std::printf(
        "%s%lld customer%s %s (rule: erase when unseen for over %lld days; "
        "%lld past it, %lld kept by consent)\n",
        dry_run ? "dry run: " : "", static_cast<long long>(n), n == 1 ? "" : "s",
        dry_run ? "would be erased" : "erased", static_cast<long long>(days),
        static_cast<long long>(rep.value("examined", int64_t{0})),
        static_cast<long long>(rep.value("kept_by_consent", int64_t{0})));
    for (const auto& [why, count] : rep["by_reason"].items()) {
      std::printf("  %6lld  %s\n", static_cast<long long>(count.get<int64_t>()), why.c_str());
    }
    return 0;
  } else if (keys_list->parsed()) {
    r = run("GET", "/v1/admin/keys", nullptr);
  } else if (keys_destroy->parsed()) {
    r = run("POST", "/v1/admin/keys/" + std::to_string(key_id) + "/destroy", nullptr);
    if (r.ok()) std::printf("key %u destroyed\n", key_id);
  } else if (keys_rotate->parsed() || keys_status->parsed()) {
    if (keys_rotate->parsed()) {
      json body = {{"purpose", purpose}};
      r = run("POST", "/v1/admin/keys/rotate", &body);
      if (!r.ok()) return Fail(r.status().message());
    }
    return WatchRotation(run, watch);
  } else if (audit_verify->parsed()) {
    r = run("GET", "/v1/audit/verify", nullptr);
    if (r.ok()) {
      std::printf("%s\n", r->body.value("message", "").c_str());
      return r->body.value("intact", false) ? 0 : 2;
    }
  } else if (audit_export->parsed()) {
    int64_t since_ms = ParseSince(since);
    if (since_ms < 0) return Fail("--since must be Unix ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS");
    std::ofstream file;
    if (!out_file.empty()) {
      file.open(out_file, std::ios::trunc);
      if (!file) return Fail("cannot write " + out_file);
    }
    std::ostream& out = out_file.empty() ? std::cout : file;
    int64_t cursor = 0;
    int64_t count = 0;
    for (;;) {
      std::string path = "/v1/audit?limit=1000&since=" + std::to_string(since_ms) +
                         "&cursor=" + std::to_string(cursor);
      auto page = run("GET", path, nullptr);
      if (!page.ok()) return Fail(page.status().message());
      for (const auto& e : page->body["entries"]) {
        out << e.dump() << "\n";
        ++count;
      }
      if (page->body["next_cursor"].is_null()) break;
      cursor = page->body["next_cursor"].get<int64_t>();
    }
    std::fprintf(stderr, "exported %lld entries\n", static_cast<long long>(count));
    return 0;
  }
  if (!r.ok()) return Fail(r.status().message());
  if (!r->body.is_null()) PrintJson(r->body);
  return 0;
}

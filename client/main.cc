// contact-vault: the admin CLI. `main` only registers the subcommands; each
// has its own function, run by CLI11 when it is the one chosen.
//  Local commands work on a data directory with its root key: init, dev-cert,
//  dev-accounts, backup, restore, keys rekey-root, audit verify --local.
//  Remote commands talk to a running server's API with a token
//  (--token or CONTACT_VAULT_TOKEN): employee, service-account, token,
//  customer, retention, audit, keys, import.
//  `healthcheck` asks a server whether it is up, without a token.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "api_client.h"
#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "common/file_lock.h"
#include "crypto/util.h"
#include "csv_import.h"
#include "healthcheck.h"
#include "http/dev_cert.h"
#include "policy/policy.h"
#include "policy/shipped_policy.h"
#include "service/vault.h"
#include "store/vault_tables.h"

namespace {

using nlohmann::json;
using vault::Status;
using vault::StatusOr;
using vault::cli::ApiClient;
using vault::cli::ApiResponse;

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

  StatusOr<vault::policy::Policy> LoadPolicy() const {
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

  std::string Database() const { return vault::service::DatabasePathIn(data_dir); }
};

// What every subcommand shares: the local and remote options (only the chosen
// subcommand's are parsed) and the exit code its function returns.
struct Context {
  Local local;
  vault::cli::ApiOptions api;
  int exit_code = 0;

  void AddRemoteOptions(CLI::App* cmd) {
    cmd->add_option("--server", api.server, "server URL (CONTACT_VAULT_SERVER)");
    cmd->add_option("--token", api.token, "API token (CONTACT_VAULT_TOKEN)");
    cmd->add_option("--ca-cert", api.ca_cert, "CA certificate to trust (CONTACT_VAULT_CA_CERT)");
    cmd->add_flag("--insecure", api.insecure, "do not verify the server's certificate");
  }
  void AddLocalOptions(CLI::App* cmd, bool required) {
    auto* opt = cmd->add_option("--data-dir", local.data_dir, "the data directory");
    if (required) opt->required();
    cmd->add_option("--root-key-file", local.key_file, "root key file (default DATA_DIR/root.key)");
    cmd->add_option("--policy", local.policy_file,
                    "policy file (default config/policy.toml, else the shipped one)");
  }

  // Runs `fn` when `cmd` is chosen; its result is the exit code.
  void OnRun(CLI::App* cmd, std::function<int()> fn) {
    cmd->callback([this, fn = std::move(fn)] { exit_code = fn(); });
  }
  // As OnRun, for a command that talks to the server: adds the remote
  // options and hands `fn` a client once a token is known.
  void OnRemote(CLI::App* cmd, std::function<int(ApiClient&)> fn) {
    AddRemoteOptions(cmd);
    OnRun(cmd, [this, fn = std::move(fn)] {
      if (api.token.empty()) return Fail("this command needs --token or CONTACT_VAULT_TOKEN");
      ApiClient client(api);
      return fn(client);
    });
  }
};

// The answer of a remote command: its body as JSON, or the error.
int PrintResult(const StatusOr<ApiResponse>& r) {
  if (!r.ok()) return Fail(r.status().message());
  if (!r->body.is_null() && !r->body.is_discarded()) std::printf("%s\n", r->body.dump(2).c_str());
  return 0;
}

// A remote command that sends one request and prints the answer.
void AddSimpleRemote(Context& ctx, CLI::App* cmd, std::string method,
                     std::function<std::string()> path) {
  ctx.OnRemote(cmd, [method = std::move(method), path = std::move(path)](ApiClient& client) {
    return PrintResult(client.Call(method, path()));
  });
}

std::string GeneratePassword() {
  // 18 random bytes -> 24 base64url characters.
  return vault::crypto::Base64UrlEncode(vault::crypto::RandomBytes(18));
}

// --- local commands ---------------------------------------------------------

// Creates employees (and optionally a token) straight in the database: for
// init and for the development accounts of `make run`.
int CreateLocalEmployees(const Local& local,
                         const std::vector<std::pair<std::string, std::string>>& employees,
                         bool with_passwords, bool admin_token) {
  auto vault = vault::service::OpenVaultAt(local.Database(), local.Root());
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

void AddInit(CLI::App& cli, Context& ctx) {
  auto passphrase = std::make_shared<bool>(false);
  auto* cmd =
      cli.add_subcommand("init", "create a data directory, root key, database and first admin");
  ctx.AddLocalOptions(cmd, true);
  cmd->add_flag("--passphrase", *passphrase,
                "derive the root key from CONTACT_VAULT_PASSPHRASE instead of a key file");
  auto existing_root_key = std::make_shared<bool>(false);
  cmd->add_flag("--existing-root-key", *existing_root_key,
                "use the key already in --root-key-file (a mounted secret) instead of "
                "creating one");
  ctx.OnRun(cmd, [&ctx, passphrase, existing_root_key] {
    Local& local = ctx.local;
    vault::service::InitOptions options;
    options.data_dir = local.data_dir;
    options.root.key_file = local.key_file.empty() ? local.data_dir + "/root.key" : local.key_file;
    options.existing_key_file = *existing_root_key;
    if (*existing_root_key && (*passphrase || local.key_file.empty())) {
      return Fail("--existing-root-key needs --root-key-file and no --passphrase");
    }
    if (*passphrase) {
      std::string pass = Env("CONTACT_VAULT_PASSPHRASE");
      if (pass.empty()) return Fail("--passphrase needs CONTACT_VAULT_PASSPHRASE set");
      options.root.passphrase = pass;
    }
    Status st = vault::service::InitVault(options);
    if (!st.ok()) return Fail(st.message());
    std::printf("created vault in %s\n", local.data_dir.c_str());
    if (*existing_root_key) {
      std::printf("root key: %s (the existing key; keep a copy apart from the database)\n",
                  options.root.key_file.c_str());
    } else if (!*passphrase) {
      std::printf("root key: %s (mode 0600; keep a copy apart from the database)\n",
                  options.root.key_file.c_str());
    }
    local.key_file = options.root.key_file;
    return CreateLocalEmployees(local, {{"admin", "admin"}}, false, true);
  });
}

void AddDevCommands(CLI::App& cli, Context& ctx) {
  auto* dev_cert = cli.add_subcommand(
      "dev-cert", "create a self-signed development certificate in DATA_DIR/tls");
  ctx.AddLocalOptions(dev_cert, true);
  ctx.OnRun(dev_cert, [&ctx] {
    const std::string& dir = ctx.local.data_dir;
    Status st = vault::http::EnsureDevCertificate(dir + "/tls/cert.pem", dir + "/tls/key.pem");
    if (!st.ok()) return Fail(st.message());
    std::printf("%s/tls/cert.pem\n", dir.c_str());
    return 0;
  });

  auto* dev_accounts = cli.add_subcommand(
      "dev-accounts", "development only: create admin, cashier and support sign-ins");
  ctx.AddLocalOptions(dev_accounts, true);
  ctx.OnRun(dev_accounts, [&ctx] {
    std::printf("development sign-ins (shown once):\n");
    return CreateLocalEmployees(
        ctx.local, {{"devadmin", "admin"}, {"cashier", "cashier"}, {"support", "support"}}, true,
        false);
  });
}

void AddBackupRestore(CLI::App& cli, Context& ctx) {
  auto file = std::make_shared<std::string>();
  auto* backup = cli.add_subcommand("backup", "online backup of the database (ciphertext only)");
  backup->add_option("file", *file, "the backup file to write")->required();
  ctx.AddLocalOptions(backup, true);
  ctx.OnRun(backup, [&ctx, file] {
    Status st = vault::service::BackupVault(ctx.local.Database(), *file);
    if (!st.ok()) return Fail(st.message());
    std::printf("backup written to %s (ciphertext and the keyring wrapped by today's root key)\n",
                file->c_str());
    return 0;
  });

  auto* restore = cli.add_subcommand("restore", "offline: replace the database with a backup");
  restore->add_option("file", *file, "the backup file to restore")->required();
  ctx.AddLocalOptions(restore, true);
  ctx.OnRun(restore, [&ctx, file] {
    const Local& local = ctx.local;
    auto lock = vault::FileLock::Acquire(local.data_dir + "/server.lock", "contact-vault-server");
    if (!lock.ok()) return Fail(lock.status().message());
    Status st = vault::service::RestoreVault(*file, local.Database(), local.Root());
    if (!st.ok()) return Fail(st.message());
    std::printf("restored %s from %s\n", local.Database().c_str(), file->c_str());
    return 0;
  });
}

struct RekeyArgs {
  std::string new_key_file;
  bool new_passphrase = false;
};

int RunRekeyRoot(const Local& local, const RekeyArgs& args) {
  auto lock = vault::FileLock::Acquire(local.data_dir + "/server.lock", "contact-vault-server");
  if (!lock.ok()) return Fail(lock.status().message());
  vault::service::RootKeySource new_root;
  if (args.new_passphrase) {
    std::string pass = Env("CONTACT_VAULT_NEW_PASSPHRASE");
    if (pass.empty()) return Fail("--new-passphrase needs CONTACT_VAULT_NEW_PASSPHRASE set");
    new_root.passphrase = pass;
  } else {
    new_root.key_file = args.new_key_file.empty() ? local.Root().key_file : args.new_key_file;
  }
  Status st = vault::service::RekeyRoot(local.Database(), local.Root(), new_root);
  if (!st.ok()) return Fail(st.message());
  if (args.new_passphrase) {
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

// --- people and tokens --------------------------------------------------------

struct EmployeeArgs {
  std::string username, display_name, roles;
  bool password_stdin = false;
};

int RunEmployeeAdd(ApiClient& client, const EmployeeArgs& args) {
  std::string password;
  if (args.password_stdin) {
    std::getline(std::cin, password);
  } else {
    password = GeneratePassword();
  }
  json body = {
      {"username", args.username}, {"roles", SplitCommas(args.roles)}, {"password", password}};
  if (!args.display_name.empty()) body["display_name"] = args.display_name;
  auto r = client.Call("POST", "/v1/admin/employees", &body);
  if (r.ok() && !args.password_stdin) {
    std::printf("password for %s (shown once): %s\n", args.username.c_str(), password.c_str());
  }
  return PrintResult(r);
}

void AddEmployeeCommands(CLI::App& cli, Context& ctx) {
  auto* employee = cli.add_subcommand("employee", "manage employees")->require_subcommand(1);
  auto args = std::make_shared<EmployeeArgs>();
  auto* add = employee->add_subcommand("add", "add an employee");
  add->add_option("username", args->username, "the sign-in name")->required();
  add->add_option("--roles", args->roles, "comma-separated roles")->required();
  add->add_option("--display-name", args->display_name, "the name shown (default: the username)");
  add->add_flag("--password-stdin", args->password_stdin,
                "read the password from standard input (default: generate one)");
  ctx.OnRemote(add, [args](ApiClient& client) { return RunEmployeeAdd(client, *args); });

  AddSimpleRemote(ctx, employee->add_subcommand("list", "list employees"), "GET",
                  [] { return "/v1/admin/employees"; });

  auto* disable = employee->add_subcommand("disable", "disable an employee");
  disable->add_option("username", args->username, "the employee's sign-in name")->required();
  ctx.OnRemote(disable, [args](ApiClient& client) {
    json body = {{"active", false}};
    return PrintResult(client.Call("PATCH", "/v1/admin/employees/" + args->username, &body));
  });
}

void AddServiceAccountCommands(CLI::App& cli, Context& ctx) {
  auto* service_account =
      cli.add_subcommand("service-account", "manage service accounts")->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto roles = std::make_shared<std::string>();
  auto* add = service_account->add_subcommand("add", "add a service account (a POS terminal)");
  add->add_option("name", *name, "the account's name (letters, digits, - and _)")->required();
  add->add_option("--roles", *roles, "comma-separated roles")->default_val("pos");
  ctx.OnRemote(add, [name, roles](ApiClient& client) {
    json body = {{"name", *name}, {"roles", SplitCommas(*roles)}};
    return PrintResult(client.Call("POST", "/v1/admin/service-accounts", &body));
  });
  AddSimpleRemote(ctx, service_account->add_subcommand("list", "list service accounts"), "GET",
                  [] { return "/v1/admin/service-accounts"; });
}

struct TokenArgs {
  std::string employee, service, description, id;
  int64_t expires_days = 0;
};

int RunTokenCreate(ApiClient& client, const TokenArgs& args) {
  if (args.employee.empty() == args.service.empty()) {
    return Fail("name exactly one of --employee or --service-account");
  }
  json body = {{"kind", args.employee.empty() ? "service" : "employee"},
               {"name", args.employee.empty() ? args.service : args.employee},
               {"description", args.description}};
  if (args.expires_days > 0) body["expires_in_seconds"] = args.expires_days * 24 * 3600;
  return PrintResult(client.Call("POST", "/v1/admin/tokens", &body));
}

void AddTokenCommands(CLI::App& cli, Context& ctx) {
  auto* token = cli.add_subcommand("token", "manage API tokens")->require_subcommand(1);
  auto args = std::make_shared<TokenArgs>();
  auto* create = token->add_subcommand("create", "create an API token (shown once)");
  create->add_option("--employee", args->employee, "the employee the token acts as");
  create->add_option("--service-account", args->service, "the service account the token acts as");
  create->add_option("--description", args->description, "what the token is for");
  create->add_option("--expires-in-days", args->expires_days,
                     "days until the token stops working (default: never)");
  ctx.OnRemote(create, [args](ApiClient& client) { return RunTokenCreate(client, *args); });

  auto* revoke = token->add_subcommand("revoke", "revoke an API token");
  revoke->add_option("id", args->id, "the token's id (as token list shows it)")->required();
  ctx.OnRemote(revoke, [args](ApiClient& client) {
    auto r = client.Call("DELETE", "/v1/admin/tokens/" + args->id);
    if (r.ok()) std::printf("revoked %s\n", args->id.c_str());
    return PrintResult(r);
  });
  AddSimpleRemote(ctx, token->add_subcommand("list", "list API tokens"), "GET",
                  [] { return "/v1/admin/tokens"; });
}

// --- customers ----------------------------------------------------------------

struct CustomerArgs {
  std::string email, phone, name, id, fields = "phone", reason, out;
};

// Writes an access export with mode 0600 from the first byte: it holds plaintext.
int WriteExport(const json& body, const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  std::string text = body.dump(2) + "\n";
  bool written =
      fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  if (fd >= 0) ::close(fd);
  if (!written) return Fail("cannot write " + path);
  std::printf("wrote %s (it holds plaintext: keep it safe and delete it when done)\n",
              path.c_str());
  return 0;
}

void AddCustomerCommands(CLI::App& cli, Context& ctx) {
  auto* customer =
      cli.add_subcommand("customer", "customers (PII: pass '-' to read a value from stdin)")
          ->require_subcommand(1);
  auto args = std::make_shared<CustomerArgs>();
  auto* add = customer->add_subcommand("add", "create a customer");
  add->add_option("--email", args->email, "the email address ('-': read from stdin)");
  add->add_option("--phone", args->phone, "the phone number ('-': read from stdin)");
  add->add_option("--name", args->name, "the name ('-': read from stdin)");
  ctx.OnRemote(add, [args](ApiClient& client) {
    json body = json::object();
    if (!args->email.empty()) body["email"] = ValueOrStdin(args->email);
    if (!args->phone.empty()) body["phone"] = ValueOrStdin(args->phone);
    if (!args->name.empty()) body["name"] = ValueOrStdin(args->name);
    return PrintResult(client.Call("POST", "/v1/customers", &body));
  });

  auto* search = customer->add_subcommand("search", "find customers by email or phone");
  search->add_option("--email", args->email, "the email to look for ('-': read from stdin)");
  search->add_option("--phone", args->phone, "the phone to look for ('-': read from stdin)");
  ctx.OnRemote(search, [args](ApiClient& client) {
    json body = json::object();
    if (!args->email.empty()) body["email"] = ValueOrStdin(args->email);
    if (!args->phone.empty()) body["phone"] = ValueOrStdin(args->phone);
    return PrintResult(client.Call("POST", "/v1/customers/search", &body));
  });

  auto* reveal = customer->add_subcommand("reveal", "reveal fields with a reason");
  reveal->add_option("id", args->id, "the customer id (cus_...)")->required();
  reveal->add_option("--fields", args->fields, "comma-separated: email,phone,name");
  reveal->add_option("--reason", args->reason, "why (recorded in the audit log)")->required();
  ctx.OnRemote(reveal, [args](ApiClient& client) {
    json body = {{"fields", SplitCommas(args->fields)}, {"reason", args->reason}};
    return PrintResult(client.Call("POST", "/v1/customers/" + args->id + "/reveal", &body));
  });

  auto* exporter = customer->add_subcommand(
      "export", "access request: everything held about a customer, as JSON (audited)");
  exporter->add_option("id", args->id, "the customer id (cus_...)")->required();
  exporter->add_option("--reason", args->reason, "why (recorded in the audit log)")->required();
  exporter->add_option("--out", args->out, "file to write (default: standard output)");
  ctx.OnRemote(exporter, [args](ApiClient& client) {
    json body = {{"reason", args->reason}};
    auto r = client.Call("POST", "/v1/customers/" + args->id + "/export", &body);
    if (r.ok() && !args->out.empty()) return WriteExport(r->body, args->out);
    return PrintResult(r);
  });
}

int RunRetention(ApiClient& client, bool dry_run) {
  json body = {{"dry_run", dry_run}};
  auto r = client.Call("POST", "/v1/admin/retention/run", &body);
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
}

void AddRetentionCommands(CLI::App& cli, Context& ctx) {
  auto* retention =
      cli.add_subcommand("retention", "erase customers no longer needed")->require_subcommand(1);
  auto dry_run = std::make_shared<bool>(false);
  auto* run = retention->add_subcommand(
      "run", "run the retention rules now (customer.erase); --dry-run only counts");
  run->add_flag("--dry-run", *dry_run, "list how many would be erased and why");
  ctx.OnRemote(run, [dry_run](ApiClient& client) { return RunRetention(client, *dry_run); });
}

// --- audit --------------------------------------------------------------------

int RunAuditVerifyLocal(const Local& local) {
  auto vault = vault::service::OpenVaultAt(local.Database(), local.Root());
  if (!vault.ok()) return Fail(vault.status().message());
  vault::audit::AuditLog log(*vault->store, *vault->keys);
  auto result = log.Verify();
  if (!result.ok()) return Fail(result.status().message());
  if (result->intact) {
    std::printf("%lld entries, chain intact\n", static_cast<long long>(result->entries));
    return 0;
  }
  std::printf("chain broken at entry %lld: %s\n", static_cast<long long>(result->first_broken_seq),
              result->problem.c_str());
  return 2;
}

int RunAuditVerifyRemote(ApiClient& client) {
  auto r = client.Call("GET", "/v1/audit/verify");
  if (!r.ok()) return Fail(r.status().message());
  std::printf("%s\n", r->body.value("message", "").c_str());
  return r->body.value("intact", false) ? 0 : 2;
}

int64_t ParseSince(const std::string& text) {
  if (text.empty()) return 0;
  if (text.find_first_not_of("0123456789") == std::string::npos) return std::stoll(text);
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) end = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (end == nullptr) return -1;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int RunAuditExport(ApiClient& client, const std::string& since, const std::string& out_file) {
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
    auto page = client.Call("GET", path);
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

void AddAuditCommands(CLI::App& cli, Context& ctx) {
  auto* audit = cli.add_subcommand("audit", "the audit log")->require_subcommand(1);
  auto verify_local = std::make_shared<bool>(false);
  auto* verify = audit->add_subcommand("verify", "walk the hash chain");
  verify->add_flag("--local", *verify_local,
                   "open the database directly (with --data-dir and its root key)");
  ctx.AddLocalOptions(verify, false);
  ctx.AddRemoteOptions(verify);
  ctx.OnRun(verify, [&ctx, verify_local] {
    if (*verify_local) return RunAuditVerifyLocal(ctx.local);
    if (ctx.api.token.empty()) return Fail("this command needs --token or CONTACT_VAULT_TOKEN");
    ApiClient client(ctx.api);
    return RunAuditVerifyRemote(client);
  });

  auto since = std::make_shared<std::string>();
  auto out_file = std::make_shared<std::string>();
  auto* exporter = audit->add_subcommand("export", "write entries as JSON lines for a SIEM");
  exporter->add_option("--since", *since, "Unix ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC)");
  exporter->add_option("--out", *out_file, "file to write (default: standard output)");
  ctx.OnRemote(exporter, [since, out_file](ApiClient& client) {
    return RunAuditExport(client, *since, *out_file);
  });
}

// --- keys -----------------------------------------------------------------------

// Prints rotation progress once, or until the job ends with --watch: a
// live bar on a terminal, one plain line a second otherwise.
int WatchRotation(ApiClient& client, bool watch) {
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  for (;;) {
    auto r = client.Call("GET", "/v1/admin/keys/rotation");
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

void AddKeyCommands(CLI::App& cli, Context& ctx) {
  auto* keys = cli.add_subcommand("keys", "keys: list, rotate, destroy, rekey the root")
                   ->require_subcommand(1);
  AddSimpleRemote(ctx, keys->add_subcommand("list", "list keys and how many records use each"),
                  "GET", [] { return "/v1/admin/keys"; });

  auto purpose = std::make_shared<std::string>("data");
  auto watch = std::make_shared<bool>(false);
  auto* rotate = keys->add_subcommand("rotate", "start an online rotation");
  rotate->add_option("--purpose", *purpose, "data or index")
      ->check(CLI::IsMember({"data", "index"}));
  rotate->add_flag("--watch", *watch, "follow progress until done");
  ctx.OnRemote(rotate, [purpose, watch](ApiClient& client) {
    json body = {{"purpose", *purpose}};
    auto r = client.Call("POST", "/v1/admin/keys/rotate", &body);
    if (!r.ok()) return Fail(r.status().message());
    return WatchRotation(client, *watch);
  });

  auto* status = keys->add_subcommand("status", "progress of the current or last rotation");
  status->add_flag("--watch", *watch, "follow progress until done");
  ctx.OnRemote(status, [watch](ApiClient& client) { return WatchRotation(client, *watch); });

  auto key_id = std::make_shared<uint32_t>(0);
  auto* destroy = keys->add_subcommand("destroy", "destroy a key no record uses any more");
  destroy->add_option("id", *key_id, "the key's id (as keys list shows it)")->required();
  ctx.OnRemote(destroy, [key_id](ApiClient& client) {
    auto r = client.Call("POST", "/v1/admin/keys/" + std::to_string(*key_id) + "/destroy");
    if (r.ok()) std::printf("key %u destroyed\n", *key_id);
    return PrintResult(r);
  });

  auto rekey_args = std::make_shared<RekeyArgs>();
  auto* rekey = keys->add_subcommand(
      "rekey-root", "offline: rewrap the keyring under a new root key (server stopped)");
  ctx.AddLocalOptions(rekey, true);
  rekey->add_option("--new-root-key-file", rekey_args->new_key_file,
                    "where the new key goes (default: replace the current key file)");
  rekey->add_flag("--new-passphrase", rekey_args->new_passphrase,
                  "use CONTACT_VAULT_NEW_PASSPHRASE as the new root instead of a key file");
  ctx.OnRun(rekey, [&ctx, rekey_args] { return RunRekeyRoot(ctx.local, *rekey_args); });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"contact-vault: administer a Contact Vault"};
  cli.require_subcommand(1);

  Context ctx;
  ctx.api.server = Env("CONTACT_VAULT_SERVER", ctx.api.server);
  ctx.api.token = Env("CONTACT_VAULT_TOKEN");
  ctx.api.ca_cert = Env("CONTACT_VAULT_CA_CERT");

  AddInit(cli, ctx);
  AddDevCommands(cli, ctx);
  AddEmployeeCommands(cli, ctx);
  AddServiceAccountCommands(cli, ctx);
  AddTokenCommands(cli, ctx);
  AddCustomerCommands(cli, ctx);
  AddRetentionCommands(cli, ctx);
  AddAuditCommands(cli, ctx);
  AddKeyCommands(cli, ctx);
  AddBackupRestore(cli, ctx);
  vault::cli::AddImportCommand(
      cli, [&ctx](CLI::App* cmd) { ctx.AddRemoteOptions(cmd); }, ctx.api, &ctx.exit_code);
  vault::cli::AddHealthcheckCommand(cli, &ctx.exit_code);

  CLI11_PARSE(cli, argc, argv);
  return ctx.exit_code;
}

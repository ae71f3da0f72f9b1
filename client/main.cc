// contact-vault: the admin CLI. Local commands work on a data directory
// (init); remote commands talk to a running server's API with a token.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "http/dev_cert.h"
#include "service/vault.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "contact-vault: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"contact-vault: administer a Contact Vault"};
  cli.require_subcommand(1);

  std::string data_dir;
  std::string key_file;
  bool use_passphrase = false;
  auto* init = cli.add_subcommand("init", "create a data directory, root key and database");
  init->add_option("--data-dir", data_dir, "the data directory to create")->required();
  init->add_option("--root-key-file", key_file,
                   "where to write the root key (default DATA_DIR/root.key)");
  init->add_flag("--passphrase", use_passphrase,
                 "derive the root key from CONTACT_VAULT_PASSPHRASE instead of a key file");

  auto* dev_cert = cli.add_subcommand(
      "dev-cert", "create a self-signed development certificate in DATA_DIR/tls");
  dev_cert->add_option("--data-dir", data_dir, "the data directory")->required();

  CLI11_PARSE(cli, argc, argv);

  if (dev_cert->parsed()) {
    vault::Status st = vault::http::EnsureDevCertificate(data_dir + "/tls/cert.pem",
                                                         data_dir + "/tls/key.pem");
    if (!st.ok()) return Fail(st.message());
    std::printf("%s/tls/cert.pem\n", data_dir.c_str());
    return 0;
  }

  if (init->parsed()) {
    vault::service::InitOptions options;
    options.data_dir = data_dir;
    options.root.key_file = key_file.empty() ? data_dir + "/root.key" : key_file;
    if (use_passphrase) {
      const char* pass = std::getenv("CONTACT_VAULT_PASSPHRASE");
      if (pass == nullptr || *pass == '\0') {
        return Fail("--passphrase needs CONTACT_VAULT_PASSPHRASE set");
      }
      options.root.passphrase = pass;
    }
    vault::Status st = vault::service::InitVault(options);
    if (!st.ok()) return Fail(st.message());
    std::printf("created vault in %s\n", data_dir.c_str());
    if (!use_passphrase) {
      std::printf("root key: %s (mode 0600; back it up apart from the database)\n",
                  options.root.key_file.c_str());
    }
    return 0;
  }
  return 0;
}

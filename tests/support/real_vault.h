// RealVaultTest: a vault made by the real CLI (`contact-vault init`,
// `dev-cert`) in a temporary directory and served by the real server binary
// on a free port, for tests of what an operator does to a running server:
// kill it, restart it, back it up, rotate its keys.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/test_server.h"
#include "support/test_vault.h"

namespace vault::testing {

class RealVaultTest : public ::testing::Test {
 protected:
  // Finds the binaries (VAULT_BINARY_DIR) and names the paths; makes nothing.
  void SetUp() override;

  // Runs the CLI with `args` (60 s at most); its exit code, -1 if it did not
  // exit. `output` gets stdout and stderr.
  int RunCli(std::vector<std::string> args, std::string* output);

  // init (keeping the admin token it prints), dev-cert, and a config that
  // listens on a free loopback port. `keys_settings` are more lines for the
  // config's [keys] table.
  void InitVault(const std::string& keys_settings = "");

  // Starts the server and a client for it; its port, 0 on failure.
  int StartServer();
  // SIGTERM, then expects a clean exit within 20 s.
  void StopServer();

  // Polls the rotation job until it is no longer running (60 s at most);
  // its last progress.
  Json WaitForRotationDone();

  TempDir tmp_;
  std::string cli_, server_bin_, data_dir_, db_path_, key_file_, config_, admin_token_;
  std::unique_ptr<ChildProcess> server_;
  std::unique_ptr<TestClient> client_;
};

}  // namespace vault::testing

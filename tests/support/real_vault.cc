#include "support/real_vault.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "service/vault.h"

namespace vault::testing {

void RealVaultTest::SetUp() {
  cli_ = BinaryDir() + "/contact-vault";
  server_bin_ = BinaryDir() + "/contact-vault-server";
  ASSERT_EQ(::access(cli_.c_str(), X_OK), 0) << cli_ << " (set VAULT_BINARY_DIR)";
  ASSERT_EQ(::access(server_bin_.c_str(), X_OK), 0) << server_bin_;
  data_dir_ = tmp_.path() + "/data";
  db_path_ = service::DatabasePathIn(data_dir_);
  key_file_ = data_dir_ + "/root.key";
  config_ = tmp_.path() + "/vault.toml";
}

int RealVaultTest::RunCli(std::vector<std::string> args, std::string* output) {
  args.insert(args.begin(), cli_);
  ChildProcess child(std::move(args));
  auto status = child.Wait(std::chrono::seconds(60));
  *output = child.Output();
  EXPECT_TRUE(status.has_value()) << "contact-vault did not exit: " << *output;
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

void RealVaultTest::InitVault(const std::string& keys_settings) {
  std::string out;
  ASSERT_EQ(RunCli({"init", "--data-dir", data_dir_}, &out), 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("(cvk_[A-Za-z0-9_-]+)"))) << out;
  admin_token_ = m[1].str();
  ASSERT_EQ(RunCli({"dev-cert", "--data-dir", data_dir_}, &out), 0) << out;
  std::ofstream cfg(config_);
  cfg << "[server]\nlisten = \"127.0.0.1\"\nport = 0\nthreads = 4\n"
      << "[metrics]\nlisten = \"127.0.0.1:0\"\n"
      << "[storage]\ndata_dir = \"" << data_dir_ << "\"\n"
      << "[keys]\nroot_key_file = \"" << key_file_ << "\"\n"
      << keys_settings << "[policy]\nfile = \"" << SourceDir() << "/config/policy.toml\"\n"
      << "[log]\nlevel = \"info\"\n";
  ASSERT_TRUE(cfg.good());
}

int RealVaultTest::StartServer() {
  server_ =
      std::make_unique<ChildProcess>(std::vector<std::string>{server_bin_, "--config", config_});
  auto port = server_->WaitForOutput(std::regex("listening on https://127\\.0\\.0\\.1:([0-9]+)"),
                                     std::chrono::seconds(30));
  EXPECT_TRUE(port.has_value()) << server_->Output();
  if (!port) return 0;
  client_ = std::make_unique<TestClient>(std::stoi(*port), data_dir_ + "/tls/cert.pem");
  return std::stoi(*port);
}

void RealVaultTest::StopServer() {
  client_.reset();
  ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
  auto status = server_->Wait(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << "the server ignored SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << server_->Output();
  server_.reset();
}

Json RealVaultTest::WaitForRotationDone() {
  Json progress;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  do {
    auto r = client_->Get("/v1/admin/keys/rotation", admin_token_);
    EXPECT_EQ(r.status, 200) << r.text;
    progress = r.body;
    if (progress.value("state", "") != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return progress;
}

}  // namespace vault::testing

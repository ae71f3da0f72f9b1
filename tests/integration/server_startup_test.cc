// Runs the real binaries (contact-vault, contact-vault-server) as child
// processes: init, dev-cert, start on port 0, /healthz over TLS, SIGTERM.
// And the start-up refusals: no key, a key open to others, a wrong key.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crypto/root_key.h"
#include "crypto/secret_bytes.h"
#include "support/child_process.h"
#include "support/test_vault.h"

namespace vault {
namespace {

using vault::testing::ChildProcess;
using vault::testing::TempDir;
using Clock = std::chrono::steady_clock;

// VAULT_BINARY_DIR (set by ctest), else the directory of this test binary,
// which CMake puts beside the server and CLI.
std::string BinaryDir() {
  const char* dir = std::getenv("VAULT_BINARY_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "." : self.parent_path().string();
}

// VAULT_SOURCE_DIR (set by ctest), else the source tree this was built from.
std::string SourceDir() {
  const char* dir = std::getenv("VAULT_SOURCE_DIR");
  if (dir != nullptr && *dir != '\0') return dir;
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path().string();
}

struct Result {
  int exit_code = -1;
  std::string output;
};

class ServerStartupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cli_ = BinaryDir() + "/contact-vault";
    server_ = BinaryDir() + "/contact-vault-server";
    ASSERT_EQ(::access(cli_.c_str(), X_OK), 0) << cli_ << " (set VAULT_BINARY_DIR)";
    ASSERT_EQ(::access(server_.c_str(), X_OK), 0) << server_;
    data_dir_ = tmp_.path() + "/data";
    key_file_ = data_dir_ + "/root.key";
    config_ = tmp_.path() + "/vault.toml";
  }

  // Runs a CLI command to completion and returns its exit code and output.
  Result RunCli(std::vector<std::string> args) {
    args.insert(args.begin(), cli_);
    Result r;
    {
      ChildProcess child(std::move(args));
      auto status = child.Wait(std::chrono::seconds(30));
      EXPECT_TRUE(status.has_value()) << "contact-vault did not exit";
      if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
      r.output = child.Output();
    }
    return r;
  }

  void InitVaultAndCert() {
    Result init = RunCli({"init", "--data-dir", data_dir_});
    ASSERT_EQ(init.exit_code, 0) << init.output;
    Result cert = RunCli({"dev-cert", "--data-dir", data_dir_});
    ASSERT_EQ(cert.exit_code, 0) << cert.output;
    ASSERT_EQ(::access((data_dir_ + "/tls/cert.pem").c_str(), R_OK), 0);
  }

  void WriteConfig() {
    std::ofstream out(config_);
    out << "[server]\n"
        << "listen = \"127.0.0.1\"\n"
        << "port = 0\n"
        << "threads = 4\n"
        << "[metrics]\n"
        << "listen = \"127.0.0.1:0\"\n"
        << "[storage]\n"
        << "data_dir = \"" << data_dir_ << "\"\n"
        << "[keys]\n"
        << "root_key_file = \"" << key_file_ << "\"\n"
        << "[policy]\n"
        << "file = \"" << SourceDir() << "/config/policy.toml\"\n"
        << "[log]\n"
        << "level = \"info\"\n";
    ASSERT_TRUE(out.good());
  }

  TempDir tmp_;
  std::string cli_, server_, data_dir_, key_file_, config_;
};

// Starts the server expecting it to refuse; returns its exit code and output.
int StartRefused(const std::string& server, const std::string& config, std::string* output) {
  ChildProcess child({server, "--config", config});
  auto status = child.Wait(std::chrono::seconds(20));
  EXPECT_TRUE(status.has_value()) << "server did not exit: " << child.Output();
  *output = child.Output();
  EXPECT_TRUE(output->starts_with("contact-vault-server: ")) << *output;
  return status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

size_t Lines(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

TEST_F(ServerStartupTest, ServesHealthzAndStopsOnSigterm) {
  InitVaultAndCert();
  WriteConfig();
  ChildProcess server({server_, "--config", config_});
  auto port_text = server.WaitForOutput(std::regex("listening on https://127\\.0\\.0\\.1:([0-9]+)"),
                                        std::chrono::seconds(20));
  ASSERT_TRUE(port_text.has_value()) << "no listening line; output: " << server.Output();
  int port = std::stoi(*port_text);
  ASSERT_GT(port, 0);

  httplib::SSLClient client("127.0.0.1", port);
  client.enable_server_certificate_verification(false);
  client.set_connection_timeout(std::chrono::seconds(2));
  client.set_read_timeout(std::chrono::seconds(2));
  int status = 0;
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    auto res = client.Get("/healthz");
    if (res) {
      status = res->status;
      EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
      EXPECT_FALSE(res->get_header_value("X-Request-Id").empty());
      if (status == 200) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(status, 200) << server.Output();
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  client.stop();
  auto start = Clock::now();
  ASSERT_EQ(::kill(server.pid(), SIGTERM), 0);
  auto exited = server.Wait(std::chrono::seconds(30));
  ASSERT_TRUE(exited.has_value()) << "server ignored SIGTERM; output: " << server.Output();
  // Far below the 30 s an idle keep-alive held it once; room for closing the
  // store on a slow (sanitized, loaded) machine.
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(15));
  ASSERT_TRUE(WIFEXITED(*exited)) << "killed by signal " << WTERMSIG(*exited);
  EXPECT_EQ(WEXITSTATUS(*exited), 0) << server.Output();
}

TEST_F(ServerStartupTest, RefusesToStartWithoutAKeyFile) {
  InitVaultAndCert();
  WriteConfig();
  ASSERT_EQ(::unlink(key_file_.c_str()), 0);
  std::string out;
  int code = StartRefused(server_, config_, &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(Lines(out), 1u) << out;
  EXPECT_NE(out.find("root key"), std::string::npos) << out;
  EXPECT_EQ(out.find("listening"), std::string::npos) << out;
}

TEST_F(ServerStartupTest, RefusesToStartWithAKeyFileOpenToOthers) {
  InitVaultAndCert();
  WriteConfig();
  ASSERT_EQ(::chmod(key_file_.c_str(), 0644), 0);
  std::string out;
  int code = StartRefused(server_, config_, &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(Lines(out), 1u) << out;
  EXPECT_NE(out.find("0600"), std::string::npos) << out;
}

TEST_F(ServerStartupTest, RefusesToStartWithAWrongKey) {
  InitVaultAndCert();
  WriteConfig();
  ASSERT_EQ(::unlink(key_file_.c_str()), 0);
  ASSERT_TRUE(
      crypto::WriteRootKeyFile(key_file_, crypto::SecretBytes::Random(crypto::kRootKeySize)).ok());
  std::string out;
  int code = StartRefused(server_, config_, &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(Lines(out), 1u) << out;
  EXPECT_NE(out.find("does not open"), std::string::npos) << out;
}

TEST_F(ServerStartupTest, RefusesToStartWithoutAVault) {
  WriteConfig();
  std::string out;
  int code = StartRefused(server_, config_, &out);
  EXPECT_NE(code, 0);
  EXPECT_EQ(Lines(out), 1u) << out;
  EXPECT_NE(out.find("contact-vault init"), std::string::npos) << out;
}

TEST_F(ServerStartupTest, InitRefusesToRunTwice) {
  Result first = RunCli({"init", "--data-dir", data_dir_});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  struct stat st {};
  ASSERT_EQ(::stat(data_dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(key_file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::string key = vault::testing::ReadFileBytes(key_file_);
  Result second = RunCli({"init", "--data-dir", data_dir_});
  EXPECT_NE(second.exit_code, 0);
  EXPECT_EQ(vault::testing::ReadFileBytes(key_file_), key);
}

}  // namespace
}  // namespace vault

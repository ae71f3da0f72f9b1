// The `contact-vault` CLI as an operator and a container runtime use it: the
// real binary against the real server (RealVaultTest).
//  - `healthcheck` needs no token: 0 and one line for a healthy server, 1 and
//    the reason on stderr for a stopped one, an untrusted certificate, or a
//    server that never answers (bounded by --timeout-ms).
//  - Every option of every subcommand has help text.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/real_vault.h"

namespace vault {
namespace {

class CliTest : public testing::RealVaultTest {
 protected:
  void SetUp() override {
    RealVaultTest::SetUp();
    // Nothing in the environment may stand in for what the command is given.
    ::unsetenv("CONTACT_VAULT_TOKEN");
    ::unsetenv("CONTACT_VAULT_SERVER");
    ::unsetenv("CONTACT_VAULT_CA_CERT");
  }
  std::string Cert() const { return data_dir_ + "/tls/cert.pem"; }
};

TEST_F(CliTest, HealthcheckOfAHealthyServerIsZeroAndOneLineWithoutAToken) {
  InitVault();
  int port = StartServer();
  ASSERT_NE(port, 0);
  std::string url = "https://127.0.0.1:" + std::to_string(port);
  std::string out;
  EXPECT_EQ(RunCli({"healthcheck", "--server", url, "--ca-cert", Cert()}, &out), 0) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("^healthy: " + url +
                                                "/healthz answered 200 in "
                                                "[0-9]+ ms\n$")))
      << out;

  // The certificate is checked: without the CA to trust, it is not healthy.
  EXPECT_EQ(RunCli({"healthcheck", "--server", url}, &out), 1) << out;
  EXPECT_NE(out.find("unhealthy"), std::string::npos) << out;
  EXPECT_NE(out.find("--ca-cert"), std::string::npos) << out;

  // A stopped server is unhealthy, with the reason.
  StopServer();
  EXPECT_EQ(RunCli({"healthcheck", "--server", url, "--ca-cert", Cert()}, &out), 1) << out;
  EXPECT_NE(out.find("unhealthy: cannot reach " + url), std::string::npos) << out;
}

TEST_F(CliTest, HealthcheckOfAServerThatNeverAnswersFailsWithinTheTimeout) {
  InitVault();
  // A socket that accepts connections (the kernel completes the handshake
  // from the backlog) and never says a word.
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  std::string url = "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  std::string out;
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(
      RunCli({"healthcheck", "--server", url, "--ca-cert", Cert(), "--timeout-ms", "300"}, &out), 1)
      << out;
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  EXPECT_NE(out.find("unhealthy"), std::string::npos) << out;
  EXPECT_LT(seconds, 5.0) << out;
}

// CLI11's help: one option per line, its description after the name and type
// (or on the next line, indented, when the name is long).
std::vector<std::string> OptionsWithoutHelp(const std::string& help) {
  std::vector<std::string> lines;
  std::istringstream in(help);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::vector<std::string> missing;
  bool in_list = false;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line == "Options:" || line == "Positionals:") {
      in_list = true;
      continue;
    }
    if (line.empty() || line[0] != ' ') {
      in_list = false;
      continue;
    }
    if (!in_list) continue;
    size_t name_end = line.find_first_not_of(' ');
    if (name_end == std::string::npos || name_end > 2) continue;  // a continuation line
    // CLI11 pads the name column to kColumn characters and starts the text
    // there; a name as long as the column puts the text on the next line.
    constexpr size_t kColumn = 30;
    bool described = line.size() > kColumn && line[kColumn - 1] == ' ' && line[kColumn] != ' ';
    bool next_is_text =
        i + 1 < lines.size() && lines[i + 1].rfind(std::string(kColumn, ' '), 0) == 0;
    if (!described && !next_is_text) missing.push_back(line);
  }
  return missing;
}

TEST_F(CliTest, EveryOptionOfEverySubcommandHasHelpText) {
  const std::vector<std::vector<std::string>> commands = {
      {"init"},
      {"dev-cert"},
      {"dev-accounts"},
      {"employee", "add"},
      {"employee", "list"},
      {"employee", "disable"},
      {"service-account", "add"},
      {"service-account", "list"},
      {"token", "create"},
      {"token", "revoke"},
      {"token", "list"},
      {"customer", "add"},
      {"customer", "search"},
      {"customer", "reveal"},
      {"customer", "export"},
      {"retention", "run"},
      {"audit", "verify"},
      {"audit", "export"},
      {"keys", "list"},
      {"keys", "rotate"},
      {"keys", "status"},
      {"keys", "destroy"},
      {"keys", "rekey-root"},
      {"backup"},
      {"restore"},
      {"import"},
      {"healthcheck"},
  };
  for (std::vector<std::string> args : commands) {
    std::string name;
    for (const auto& a : args) name += (name.empty() ? "" : " ") + a;
    args.push_back("--help");
    std::string out;
    EXPECT_EQ(RunCli(args, &out), 0) << name << ":\n" << out;
    EXPECT_NE(out.find("Options:"), std::string::npos) << name << ":\n" << out;
    for (const std::string& line : OptionsWithoutHelp(out)) {
      ADD_FAILURE() << "contact-vault " << name << ": no help text for\n" << line;
    }
  }
  // The check sees a missing text (positive control).
  EXPECT_EQ(OptionsWithoutHelp("Options:\n  -h,--help                   Print this help\n"
                               "  --display-name TEXT         \n"
                               "  --purpose TEXT:{data,index} data or index\n"),
            std::vector<std::string>{"  --display-name TEXT         "});
  EXPECT_TRUE(OptionsWithoutHelp("Options:\n  --a-very-long-option-name TEXT\n"
                                 "                              described below\n")
                  .empty());
  EXPECT_EQ(OptionsWithoutHelp("Options:\n  --a-very-long-option-name TEXT\n"
                               "  --next TEXT                 described\n"),
            std::vector<std::string>{"  --a-very-long-option-name TEXT"});
}

}  // namespace
}  // namespace vault

// The real server makes itself non-dumpable (no core file, no reading its
// memory from another process of the same user) unless debug.allow_core_dumps
// says otherwise. Observed from outside: a child of the test with no
// capabilities (the same uid as the server, so only the dumpable flag stands
// in its way) tries to open /proc/PID/environ, which the kernel grants to such
// a process only when the target is dumpable. The debug setting is the
// positive control: the same probe succeeds against a dumpable server.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "support/real_vault.h"

namespace vault {
namespace {

// Forks a child that drops every capability (CAP_SYS_PTRACE would let root
// past the check) and opens /proc/`pid`/environ. Returns 0 if it could, else
// the errno it got; -1 if the probe itself failed.
int ProbeEnviron(pid_t pid) {
  pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (::syscall(SYS_capset, &header, data) != 0) ::_exit(254);
    std::string path = "/proc/" + std::to_string(pid) + "/environ";
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
      char byte;
      ssize_t n = ::read(fd, &byte, 1);
      ::_exit(n >= 0 ? 0 : (errno & 0x7f));
    }
    ::_exit(errno & 0x7f);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status) == 254 ? -1 : WEXITSTATUS(status);
}

class CoreDumpTest : public testing::RealVaultTest {
 protected:
  // The server, without capabilities; false if it did not start listening.
  bool StartServerWithoutCapabilities() {
    std::vector<std::string> args = {server_bin_, "--config", config_};
    if (::geteuid() == 0) {
      args.insert(args.begin(), {"/usr/bin/setpriv", "--bounding-set=-all", "--inh-caps=-all",
                                 "--ambient-caps=-all", "--"});
    }
    server_ = std::make_unique<testing::ChildProcess>(args, std::chrono::seconds(10));
    auto port = server_->WaitForOutput(std::regex("listening on https://127\\.0\\.0\\.1:([0-9]+)"),
                                       std::chrono::seconds(30));
    EXPECT_TRUE(port.has_value()) << server_->Output();
    return port.has_value();
  }
};

TEST_F(CoreDumpTest, ServerIsNotDumpable) {
  InitVault();
  ASSERT_TRUE(StartServerWithoutCapabilities());
  EXPECT_EQ(ProbeEnviron(server_->pid()), EACCES)
      << "a process without capabilities could read the server's /proc/PID/environ";
}

TEST_F(CoreDumpTest, DebugSettingLeavesItDumpable) {
  InitVault();
  {
    std::ofstream cfg(config_, std::ios::app);
    cfg << "[debug]\nallow_core_dumps = true\n";
    ASSERT_TRUE(cfg.good());
  }
  ASSERT_TRUE(StartServerWithoutCapabilities());
  EXPECT_EQ(ProbeEnviron(server_->pid()), 0) << "the probe cannot see a dumpable server";
  EXPECT_NE(server_->Output().find("allow_core_dumps is on"), std::string::npos)
      << server_->Output();
}

}  // namespace
}  // namespace vault

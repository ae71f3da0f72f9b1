#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace vault::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kPollInterval(5);

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> args, std::chrono::milliseconds stop_grace)
    : args_(std::move(args)), stop_grace_(stop_grace) {
  // Everything the child needs is built before fork(): between fork and
  // exec only async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (auto& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("CONTACT_VAULT_")) continue;
    env_.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_) envp.push_back(e.data());
  envp.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) std::abort();
  pid_ = ::fork();
  if (pid_ < 0) std::abort();
  if (pid_ == 0) {
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(out[1], STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(out[1]);
  fd_ = out[0];
  reader_ = std::thread([this] { Drain(); });
}

ChildProcess::~ChildProcess() {
  if (!exit_status_) {
    bool exited = false;
    if (stop_grace_ > std::chrono::milliseconds(0)) {
      ::kill(pid_, SIGTERM);
      exited = Wait(stop_grace_).has_value();
    }
    if (!exited) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  if (reader_.joinable()) reader_.join();
  ::close(fd_);
}

std::string ChildProcess::Output() {
  std::lock_guard lock(mu_);
  return output_;
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (exit_status_) return exit_status_;
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = status;
      // The child is gone, so the pipe reaches EOF: collect the tail.
      if (reader_.joinable()) reader_.join();
      return exit_status_;
    }
    if (Clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::optional<std::string> ChildProcess::WaitForOutput(const std::regex& pattern,
                                                       std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    std::smatch m;
    std::string out = Output();
    if (std::regex_search(out, m, pattern)) return m.size() > 1 ? m[1].str() : m[0].str();
    if (Clock::now() > deadline || Wait(std::chrono::milliseconds(0))) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
}

void ChildProcess::Drain() {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    std::lock_guard lock(mu_);
    output_.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace vault::testing

// ChildProcess: a program run as a child of the test, for tests of the real
// binaries (the server, the CLI). Its stdout and stderr go through one pipe
// that a background thread drains, so the child never blocks on a full pipe.
// The child gets the test's environment minus any CONTACT_VAULT_* variable, so
// the environment cannot redirect the test's config. Never used by
// production code.
//
// Not thread-safe except Output(), which may be called while the child runs.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

namespace vault::testing {

class ChildProcess {
 public:
  // Starts `args[0]` (a path, not searched in PATH) with `args`. If the child
  // is still running when this object is destroyed, it is sent SIGTERM and
  // given `stop_grace` to exit before SIGKILL; a zero grace (the default)
  // sends SIGKILL at once. Aborts the test binary if the child cannot be
  // started; a failed exec makes the child exit with status 127.
  explicit ChildProcess(std::vector<std::string> args,
                        std::chrono::milliseconds stop_grace = std::chrono::milliseconds(0));
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Everything the child wrote so far.
  std::string Output();

  // Waits up to `timeout` for exit; returns the wait status, or nullopt.
  // Once it returns a status, Output() holds everything the child wrote.
  std::optional<int> Wait(std::chrono::milliseconds timeout);

  // Waits until the output matches `pattern` (the first group is returned, or
  // the whole match if there is none), the child exits, or `timeout` passes.
  std::optional<std::string> WaitForOutput(const std::regex& pattern,
                                           std::chrono::milliseconds timeout);

 private:
  void Drain();

  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::chrono::milliseconds stop_grace_;
  pid_t pid_ = -1;
  int fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string output_;  // GUARDED_BY(mu_)
  std::optional<int> exit_status_;
};

}  // namespace vault::testing

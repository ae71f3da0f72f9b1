// contact-vault-server: wiring only. Reads the config, opens the vault (root
// key, database, keyring), builds the services and serves HTTPS until SIGTERM
// or SIGINT. Any start-up failure prints one line and exits non-zero.
#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include "common/config.h"
#include "common/file_lock.h"
#include "common/log.h"
#include "http/server.h"
#include "http/wiring.h"
#include "service/customer_service.h"
#include "service/vault.h"

namespace {

int Fail(const std::string& message) {
  vault::log::Flush();  // the lines logged before come first
  std::fprintf(stderr, "contact-vault-server: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Dozens of worker threads on a few cores: glibc would give them up to 8
  // malloc arenas per core, each keeping its own freed memory, so RSS would
  // grow with the thread count rather than the load.
  mallopt(M_ARENA_MAX, 4);
  std::string config_path = "config/vault.toml";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
    } else if (arg.starts_with("--config=")) {
      config_path = arg.substr(9);
    } else if (arg == "--help" || arg == "-h") {
      std::printf("usage: contact-vault-server [--config config/vault.toml]\n");
      return 0;
    } else {
      return Fail("unknown argument " + arg + " (try --help)");
    }
  }

  // Block the stop signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto config = vault::LoadConfig(config_path);
  if (!config.ok()) return Fail(config.status().message());
  vault::log::Level level;
  if (!vault::log::ParseLevel(config->log_level, &level)) {
    return Fail("log.level must be debug, info, warn or error");
  }
  vault::log::SetLevel(level);
  // Before any key is read: a core dump, or a process of the same user reading
  // /proc/PID/mem, would see the root key, the keyring and every per-record
  // DEK (those live inline in SecretBytes, outside sodium_malloc's
  // MADV_DONTDUMP pages). Non-dumpable covers all of them.
  if (config->allow_core_dumps) {
    vault::log::Warn("debug.allow_core_dumps is on: a core dump would hold keys");
  } else if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return Fail(std::string("prctl(PR_SET_DUMPABLE, 0): ") + std::strerror(errno));
  }

  vault::service::RootKeySource root;
  root.key_file = config->RootKeyFile();
  if (!config->root_passphrase.empty()) root.passphrase = config->root_passphrase;
  vault::store::StoreOptions store_options;
  store_options.readers = config->readers;
  store_options.reserve_bytes = int64_t{8} << 20;  // a full disk still serves reads
  auto vault = vault::service::OpenVaultAt(config->DatabasePath(), root, store_options);
  if (!vault.ok()) return Fail(vault.status().message());
  // Offline commands (root rekey, restore) refuse to run while this is held.
  auto lock =
      vault::FileLock::Acquire(config->data_dir + "/server.lock", "another contact-vault-server");
  if (!lock.ok()) return Fail(lock.status().message());

  auto policy = vault::policy::Policy::LoadFile(config->policy_file);
  if (!policy.ok()) return Fail(policy.status().message());

  vault::service::CustomerService customers(*vault->store, *vault->keys, {config->default_region});
  vault::http::WiringOptions wiring;
  wiring.auth = vault::http::AuthOptionsFrom(*config);
  wiring.rotation.pause_ms = config->rotation_pause_ms;
  vault::http::Services services(
      *config, {*vault->store, *vault->keys, *vault->root, customers, *policy}, std::move(wiring));
  if (auto st = services.rotator().ResumePending(); !st.ok()) return Fail(st.message());
  vault::http::App& app = services.app();

  vault::http::HttpServer server(app.config, app);
  auto port = server.Bind();
  if (!port.ok()) return Fail(port.status().message());
  // A stop signal may arrive before Serve() has started listening, when
  // httplib's stop() does nothing yet: keep asking until Serve() returns.
  std::atomic<bool> served{false};
  std::thread watcher([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!served) {
      vault::log::Info(std::string("received ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") +
                       ", shutting down");
    }
    while (!served) {
      server.Stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  // Before "listening on", which scripts wait for.
  if (server.metrics_port() != 0) {
    auto where = vault::ParseHostPort(config->metrics_listen);
    vault::log::Info("metrics on http://" + (where ? where->host : std::string("?")) + ":" +
                     std::to_string(server.metrics_port()) + "/metrics");
  }
  vault::log::Info(std::string("listening on ") + (server.tls() ? "https://" : "http://") +
                   config->listen + ":" + std::to_string(*port));
  // Retention runs now and then every retention.schedule_minutes.
  services.retention().StartSchedule();
  server.Serve();
  served = true;
  pthread_kill(watcher.native_handle(), SIGTERM);  // wakes the watcher if no signal came
  watcher.join();
  services.retention().StopSchedule();
  vault::log::Info("stopped");
  return 0;
}

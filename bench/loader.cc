// bench_loader: fills a vault data directory for the benchmarks, in process,
// before the server starts (the fastest honest way: the same
// CustomerService::Create the API uses, each create with its audit entry in
// the same group-commit transaction, from many threads so the writer batches
// them).
//
//   bench_loader --data-dir D --policy P --out O [--count N] [--threads T]
//                [--sample K] [--support-accounts M]
//
// Creates the vault if D holds none, and on first run the bench principals:
// a "pos" service account, an admin employee and M (default 2000) support
// employees, each
// with an API token (written to O/tokens.env and O/support_tokens.txt). Then
// creates customers 0..N-1 (bench_data.h) and writes a shuffled sample of K
// of them as "id<TAB>email<TAB>phone" lines to O/customers.tsv for the wrk
// scripts. Prints the load time.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/auth_service.h"
#include "bench_data.h"
#include "policy/policy.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/vault_tables.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench_loader: %s\n", message.c_str());
  return 1;
}

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir, policy_file, out_dir;
  int64_t count = 0;
  int threads = 128, support_accounts = 2000;
  int64_t sample = 50000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--data-dir")
      data_dir = v;
    else if (a == "--policy")
      policy_file = v;
    else if (a == "--out")
      out_dir = v;
    else if (a == "--count")
      count = std::atoll(v.c_str());
    else if (a == "--threads")
      threads = std::atoi(v.c_str());
    else if (a == "--sample")
      sample = std::atoll(v.c_str());
    else if (a == "--support-accounts")
      support_accounts = std::atoi(v.c_str());
    else
      return Fail("unknown argument " + a);
  }
  if (data_dir.empty() || policy_file.empty() || out_dir.empty()) {
    return Fail("usage: bench_loader --data-dir D --policy P --out O [--count N]");
  }
  std::string db_path = vault::service::DatabasePathIn(data_dir);
  vault::service::RootKeySource root;
  root.key_file = data_dir + "/root.key";
  if (::access(db_path.c_str(), F_OK) != 0) {
    vault::service::InitOptions init;
    init.data_dir = data_dir;
    init.root = root;
    if (auto st = vault::service::InitVault(init); !st.ok()) return Fail(st.message());
  }
  vault::store::StoreOptions store_options;
  store_options.readers = 2;
  auto vault = vault::service::OpenVaultAt(db_path, root, store_options);
  if (!vault.ok()) return Fail(vault.status().message());
  auto policy = vault::policy::Policy::LoadFile(policy_file);
  if (!policy.ok()) return Fail(policy.status().message());
  vault::auth::AuthService auth(*vault->store, *policy, {});
  vault::audit::AuditLog audit(*vault->store, *vault->keys);
  vault::service::CustomerService customers(*vault->store, *vault->keys, {"CA"});

  auto audited = [&](const std::string& action, const std::string& record) {
    return [&audit, action, record](vault::store::Database& db) -> vault::Status {
      vault::audit::Entry e;
      e.principal = "cli:bench-loader";
      e.action = action;
      e.record_id = record;
      return audit.Append(db, e).status();
    };
  };

  // --- principals and tokens (first run only) ---
  std::string tokens_path = out_dir + "/tokens.env";
  if (::access(tokens_path.c_str(), F_OK) != 0) {
    auto token_for = [&](const std::string& kind,
                         const std::string& name) -> vault::StatusOr<std::string> {
      ASSIGN_OR_RETURN(auto t, auth.IssueToken(kind, name, "benchmark", std::nullopt,
                                               audited("admin.tokens.create", name)));
      return t.token;
    };
    auto sa = auth.CreateServiceAccount("bench-pos", {"pos"},
                                        audited("admin.service_accounts.create", "bench-pos"));
    if (!sa.ok()) return Fail(sa.status().message());
    auto pos = token_for("service", "bench-pos");
    if (!pos.ok()) return Fail(pos.status().message());
    vault::auth::NewEmployee admin{"bench-admin", "bench-admin", {"admin"}, std::nullopt};
    if (auto e = auth.CreateEmployee(admin, audited("admin.employees.create", "bench-admin"));
        !e.ok()) {
      return Fail(e.status().message());
    }
    auto admin_token = token_for("employee", "bench-admin");
    if (!admin_token.ok()) return Fail(admin_token.status().message());
    // Many support employees, used in turn by the reveal workload, so each
    // stays near the shipped quota (20 reveals an hour) even though the bench
    // policy lifts it: the quota check's cost grows with a principal's recent
    // audit entries (see bench/ANALYSIS.md). Created from many threads so the
    // group commit batches them.
    std::vector<std::string> support_tokens(static_cast<size_t>(support_accounts));
    std::atomic<int> next_account{0};
    std::mutex error_mu;
    std::string error;
    std::vector<std::thread> makers;
    for (int t = 0; t < 32; ++t) {
      makers.emplace_back([&] {
        for (;;) {
          int k = next_account.fetch_add(1);
          if (k >= support_accounts) return;
          std::string name = "bench-support-" + std::to_string(k);
          vault::auth::NewEmployee e{name, name, {"support"}, std::nullopt};
          auto r = auth.CreateEmployee(e, audited("admin.employees.create", name));
          auto t = r.ok() ? token_for("employee", name) : vault::StatusOr<std::string>(r.status());
          if (!t.ok()) {
            std::lock_guard lock(error_mu);
            error = t.status().message();
            return;
          }
          support_tokens[static_cast<size_t>(k)] = *t;
        }
      });
    }
    for (auto& th : makers) th.join();
    if (!error.empty()) return Fail(error);
    std::ofstream support(out_dir + "/support_tokens.txt");
    for (const auto& t : support_tokens) support << t << "\n";
    std::ofstream env(tokens_path);
    env << "POS_TOKEN=" << *pos << "\nADMIN_TOKEN=" << *admin_token << "\n";
  }
  if (count <= 0) return 0;

  // --- customers ---
  int64_t stride = std::max<int64_t>(1, count / std::max<int64_t>(1, sample));
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> failed{0};
  std::mutex sample_mu;
  std::vector<std::string> sampled;
  std::string first_error;
  double start = Now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (;;) {
        int64_t i = next.fetch_add(1);
        if (i >= count) return;
        vault::service::CustomerInput in;
        in.email = vault::bench::EmailOf(i);
        in.phone = vault::bench::PhoneOf(i);
        in.name = vault::bench::NameOf(i);
        auto c = customers.Create(in, [&](vault::store::Database& db, const std::string& id) {
          vault::audit::Entry e;
          e.principal = "cli:bench-loader";
          e.action = "customer.create";
          e.record_id = id;
          e.fields = "email,phone,name";
          return audit.Append(db, e).status();
        });
        if (!c.ok()) {
          if (failed.fetch_add(1) == 0) {
            std::lock_guard lock(sample_mu);
            first_error = c.status().message();
          }
          continue;
        }
        if (i % stride == 0) {
          std::lock_guard lock(sample_mu);
          sampled.push_back(c->id + "\t" + *in.email + "\t" + *in.phone);
        }
        if ((i + 1) % 100000 == 0) {
          std::fprintf(stderr, "  %lld customers, %.0f/s\n", static_cast<long long>(i + 1),
                       static_cast<double>(i + 1) / (Now() - start));
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  double seconds = Now() - start;
  if (failed > 0) {
    return Fail(std::to_string(failed.load()) + " creates failed, first: " + first_error);
  }
  std::shuffle(sampled.begin(), sampled.end(), std::mt19937_64(42));
  std::ofstream tsv(out_dir + "/customers.tsv");
  for (const auto& line : sampled) tsv << line << "\n";
  auto stats = vault->store->Stats();
  std::printf("loaded %lld customers in %.1f s (%.0f/s; %llu group commits, %.1f per commit)\n",
              static_cast<long long>(count), seconds, static_cast<double>(count) / seconds,
              static_cast<unsigned long long>(stats.commits),
              stats.commits ? static_cast<double>(stats.writes) / stats.commits : 0.0);
  std::ofstream(out_dir + "/load_seconds.txt") << seconds << "\n";
  return 0;
}

// bench_floor: the in-process floor, Google Benchmark. What one lookup costs
// in our own code with no HTTP, TLS, JSON or authentication: the physical
// limit the server's figures are compared to.
//
//   BENCH_DATA_DIR=D BENCH_COUNT=N BENCH_POLICY=P bench_floor [benchmark flags]
//
// opens the loaded vault in D (customers 0..N-1 of bench_data.h; the server
// must not be running) and looks up random customers. Without BENCH_DATA_DIR
// it builds a temporary vault of BENCH_FLOOR_N (default 20000) customers.
//
//   Floor/FindByEmail2    blind index + row fetch + DEK unwrap + decrypt of two
//                         fields (email, name): CustomerService::FindByEmail
//   Floor/FindByEmail3    the same, decrypting the three fields a pos search shows
//   Part/*                each step alone, to see where the floor's time goes
//   Service/Search        AccessService::Search: the floor plus policy, lookup
//                         limit, masking and the durable audit entry (group
//                         commit) -- everything the HTTP route does below HTTP
//   GroupCommit/Create/on AccessService::Create: durable create with its audit
//                         entry in the same transaction (as the pos role)
//   GroupCommit/Reveal/on AccessService::Reveal of one field (phone) with a
//                         reason, as the support role: the quota check and the
//                         audit entry in one transaction, durable before the
//                         plaintext is returned
//
//   BENCH_GROUP_COMMIT=0 bench_floor ...
//
// opens the store without group commit (StoreOptions::group_commit = false:
// one write per transaction and one fsync per transaction, the writer waiting
// for each) and registers only GroupCommit/Create/off and GroupCommit/Reveal/off,
// the same two benchmarks: what durability costs without group commit. One
// store per file, so "off" is a second process on the same data; bench/run.sh
// runs both. Their counters writes_per_commit and writes_per_fsync come from
// the store's own statistics (thread 0's view of the whole run).
//
// Without BENCH_POLICY the policy is config/policy.toml with every positive
// reveal_quota_per_hour and lookups_per_minute raised to 1,000,000, as
// bench/run.sh does, so no limit refuses a benchmark request. Each reveal
// thread is a principal of its own (support role), so the quota count each
// reveal makes covers only that thread's reveals.
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "auth/principal.h"
#include "bench_data.h"
#include "crypto/envelope.h"
#include "crypto/keyring.h"
#include "policy/policy.h"
#include "service/access_service.h"
#include "service/contact_normalizer.h"
#include "service/customer_service.h"
#include "service/vault.h"
#include "store/vault_tables.h"

namespace {

using vault::service::ContactField;
using vault::service::FieldSet;

struct World {
  std::string temp_dir;  // removed at exit when we made it
  int64_t count = 0;
  vault::service::OpenVault vault;
  std::unique_ptr<vault::service::CustomerService> customers;
  std::unique_ptr<vault::policy::Policy> policy;
  std::unique_ptr<vault::audit::AuditLog> audit;
  std::unique_ptr<vault::service::AccessService> access;
  vault::auth::Principal pos;
  // A sample of rows and their probes, for the per-step benchmarks.
  std::vector<vault::store::CustomerRow> rows;
  std::vector<std::vector<vault::store::IndexProbe>> probes;
};

World* world = nullptr;

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench_floor: %s\n", message.c_str());
  std::exit(1);
}

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// BENCH_GROUP_COMMIT: "0" or "off" opens the store without group commit.
bool group_commit = true;

// Opens the vault in `data_dir` and the customer service over it.
void OpenStore(const std::string& data_dir, bool with_group_commit) {
  vault::service::RootKeySource root;
  root.key_file = data_dir + "/root.key";
  vault::store::StoreOptions options;
  options.readers = 4;  // as the server's default
  options.group_commit = with_group_commit;
  auto opened =
      vault::service::OpenVaultAt(vault::service::DatabasePathIn(data_dir), root, options);
  if (!opened.ok()) Die(opened.status().message());
  world->vault = std::move(opened).value();
  world->customers = std::make_unique<vault::service::CustomerService>(
      *world->vault.store, *world->vault.keys, vault::service::CustomerServiceOptions{"CA"});
}

void CloseStore() {
  world->customers.reset();
  world->vault.store.reset();
  world->vault = {};
}

// Customers 0..count-1 of bench_data.h, from 32 threads (group commit).
void Populate(const std::string& data_dir) {
  std::fprintf(stderr, "bench_floor: creating %lld customers in %s\n",
               static_cast<long long>(world->count), data_dir.c_str());
  std::atomic<int64_t> next{0};
  std::mutex mu;
  std::string error;
  std::vector<std::thread> threads;
  for (int t = 0; t < 32; ++t) {
    threads.emplace_back([&] {
      for (int64_t i = next++; i < world->count; i = next++) {
        vault::service::CustomerInput in{vault::bench::EmailOf(i), vault::bench::PhoneOf(i),
                                         vault::bench::NameOf(i)};
        if (auto c = world->customers->Create(in); !c.ok()) {
          std::lock_guard lock(mu);
          error = c.status().message();
          next = world->count;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  if (!error.empty()) Die(error);
}

// The policy: BENCH_POLICY as it is, or config/policy.toml with every positive
// reveal quota and lookup limit raised to the maximum, as bench/run.sh does.
vault::policy::Policy LoadPolicy() {
  std::string policy_file = Env("BENCH_POLICY");
  if (!policy_file.empty()) {
    auto policy = vault::policy::Policy::LoadFile(policy_file);
    if (!policy.ok()) Die(policy.status().message());
    return std::move(policy).value();
  }
  policy_file = "config/policy.toml";
  std::ifstream in(policy_file);
  if (!in)
    Die("cannot read " + policy_file + " (run from the repository root or set BENCH_POLICY)");
  std::string text, line;
  while (std::getline(in, line)) {
    for (const char* key : {"reveal_quota_per_hour = ", "lookups_per_minute = "}) {
      std::string prefix(key);
      if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line[prefix.size()] >= '1' &&
          line[prefix.size()] <= '9') {
        size_t end = prefix.size();
        while (end < line.size() && line[end] >= '0' && line[end] <= '9') ++end;
        line = prefix + "1000000" + line.substr(end);
      }
    }
    text += line + "\n";
  }
  auto policy = vault::policy::Policy::Parse(text, policy_file);
  if (!policy.ok()) Die(policy.status().message());
  return std::move(policy).value();
}

void Setup() {
  world = new World;
  std::string mode = Env("BENCH_GROUP_COMMIT", "1");
  if (mode == "0" || mode == "off" || mode == "false") {
    group_commit = false;
  } else if (mode != "1" && mode != "on" && mode != "true") {
    Die("BENCH_GROUP_COMMIT must be 1 (on) or 0 (off)");
  }
  std::string data_dir = Env("BENCH_DATA_DIR");
  if (data_dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cvfloor.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) Die("mkdtemp failed");
    world->temp_dir = tmpl;
    data_dir = tmpl + "/data";
    vault::service::InitOptions init;
    init.data_dir = data_dir;
    init.root.key_file = data_dir + "/root.key";
    if (auto st = vault::service::InitVault(init); !st.ok()) Die(st.message());
    world->count = std::atoll(Env("BENCH_FLOOR_N", "20000").c_str());
    if (world->count <= 0) Die("BENCH_FLOOR_N must be positive");
    // Loaded with group commit whatever the mode measured: the load is not
    // what is measured, and one fsync per customer would take minutes.
    OpenStore(data_dir, true);
    Populate(data_dir);
    CloseStore();
  } else {
    world->count = std::atoll(Env("BENCH_COUNT", "0").c_str());
    if (world->count <= 0) Die("BENCH_COUNT must name how many customers BENCH_DATA_DIR holds");
  }
  OpenStore(data_dir, group_commit);

  world->policy = std::make_unique<vault::policy::Policy>(LoadPolicy());
  world->audit = std::make_unique<vault::audit::AuditLog>(*world->vault.store, *world->vault.keys);
  world->access = std::make_unique<vault::service::AccessService>(*world->customers, *world->policy,
                                                                  *world->audit);
  world->pos.kind = vault::auth::Principal::Kind::kService;
  world->pos.id = 1;
  world->pos.name = "bench-floor";
  world->pos.roles = {"pos"};
  world->pos.via = "token:bench";

  // The sample for the per-step benchmarks.
  std::mt19937_64 rng(7);
  auto ring = world->vault.keys->Get();
  for (int k = 0; k < 4096; ++k) {
    int64_t i = static_cast<int64_t>(rng() % static_cast<uint64_t>(world->count));
    auto normalized = vault::service::NormalizeEmail(vault::bench::EmailOf(i));
    if (!normalized.ok()) Die(normalized.status().message());
    auto probes = vault::service::IndexProbes(*ring, ContactField::kEmail, *normalized);
    if (!probes.ok()) Die(probes.status().message());
    std::vector<vault::store::CustomerRow> found;
    auto st = world->vault.store->Read([&](vault::store::Database& db) -> vault::Status {
      ASSIGN_OR_RETURN(found, vault::store::FindByEmailIndex(db, *probes));
      return vault::Status::Ok();
    });
    if (!st.ok() || found.size() != 1) {
      Die("customer " + std::to_string(i) + " not found: is BENCH_COUNT right?");
    }
    world->rows.push_back(found[0]);
    world->probes.push_back(*probes);
  }
}

// A per-thread random customer index.
int64_t RandomCustomer(const benchmark::State& state) {
  thread_local std::mt19937_64 rng(1234 + state.thread_index());
  return static_cast<int64_t>(rng() % static_cast<uint64_t>(world->count));
}

void FindByEmail(benchmark::State& state, FieldSet fields) {
  for (auto _ : state) {
    // Building the address costs ~50 ns of the ~10 us measured.
    std::string email = vault::bench::EmailOf(RandomCustomer(state));
    auto found = world->customers->FindByEmail(email, fields);
    if (!found.ok() || found->size() != 1) {
      state.SkipWithError("lookup failed");
      break;
    }
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_FindByEmail2(benchmark::State& state) { FindByEmail(state, FieldSet{true, false, true}); }
void BM_FindByEmail3(benchmark::State& state) { FindByEmail(state, FieldSet::All()); }

void BM_NormalizeAndIndex(benchmark::State& state) {
  auto ring = world->vault.keys->Get();
  std::vector<std::string> emails;
  for (int k = 0; k < 1024; ++k) emails.push_back(vault::bench::EmailOf(RandomCustomer(state)));
  size_t k = 0;
  for (auto _ : state) {
    auto normalized = vault::service::NormalizeEmail(emails[k++ % emails.size()]);
    auto probes = vault::service::IndexProbes(*ring, ContactField::kEmail, *normalized);
    benchmark::DoNotOptimize(probes);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_RowFetch(benchmark::State& state) {
  size_t k = static_cast<size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    const auto& probes = world->probes[k++ % world->probes.size()];
    std::vector<vault::store::CustomerRow> found;
    auto st = world->vault.store->Read([&](vault::store::Database& db) -> vault::Status {
      ASSIGN_OR_RETURN(found, vault::store::FindByEmailIndex(db, probes));
      return vault::Status::Ok();
    });
    benchmark::DoNotOptimize(found);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_UnwrapDek(benchmark::State& state) {
  auto ring = world->vault.keys->Get();
  size_t k = 0;
  for (auto _ : state) {
    const auto& row = world->rows[k++ % world->rows.size()];
    auto dek =
        vault::crypto::UnwrapDek(*ring->Find(row.dek_key_id, vault::crypto::KeyPurpose::kData),
                                 row.dek_key_id, row.id, row.dek);
    benchmark::DoNotOptimize(dek);
  }
  state.SetItemsProcessed(state.iterations());
}

// What one SecretBytes costs on its own: sodium_malloc (mmap of guard pages,
// mprotect, mlock) and sodium_free (munlock, mprotect, munmap) for 32 bytes.
void BM_SodiumMallocFree(benchmark::State& state) {
  for (auto _ : state) {
    vault::crypto::SecretBytes dek(vault::crypto::kDekSize);
    benchmark::DoNotOptimize(dek.mutable_data());
  }
  state.SetItemsProcessed(state.iterations());
}

// The unwrap as it would cost with the DEK in a stack buffer wiped after use
// (the change proposed in bench/ANALYSIS.md): the same envelope (FORMATS.md:
// version(1) kek_id(4) nonce(24) ct(32) tag(16), AAD "dek" 0 id 0 kek_id) and
// the same AEAD call, without the guarded allocation.
void BM_UnwrapDekStack(benchmark::State& state) {
  auto ring = world->vault.keys->Get();
  size_t k = 0;
  for (auto _ : state) {
    const auto& row = world->rows[k++ % world->rows.size()];
    const vault::crypto::SecretBytes* kek =
        ring->Find(row.dek_key_id, vault::crypto::KeyPurpose::kData);
    std::string aad("dek", 3);
    aad.push_back('\0');
    aad.append(row.id);
    aad.push_back('\0');
    for (int shift = 24; shift >= 0; shift -= 8) {
      aad.push_back(static_cast<char>((row.dek_key_id >> shift) & 0xff));
    }
    const auto* wrapped = reinterpret_cast<const unsigned char*>(row.dek.data());
    unsigned char dek[vault::crypto::kDekSize];
    unsigned long long len = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
        dek, &len, nullptr, wrapped + 5 + 24, row.dek.size() - 5 - 24,
        reinterpret_cast<const unsigned char*>(aad.data()), aad.size(), wrapped + 5, kek->data());
    if (rc != 0) {
      state.SkipWithError("unwrap failed");
      break;
    }
    benchmark::DoNotOptimize(dek);
    sodium_memzero(dek, sizeof dek);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_OpenField(benchmark::State& state) {
  auto ring = world->vault.keys->Get();
  std::vector<vault::crypto::SecretBytes> deks;
  for (size_t k = 0; k < 256; ++k) {
    const auto& row = world->rows[k];
    auto dek =
        vault::crypto::UnwrapDek(*ring->Find(row.dek_key_id, vault::crypto::KeyPurpose::kData),
                                 row.dek_key_id, row.id, row.dek);
    deks.push_back(std::move(dek).value());
  }
  size_t k = 0;
  for (auto _ : state) {
    size_t j = k++ % deks.size();
    auto plain =
        vault::crypto::OpenField(deks[j], world->rows[j].id, "email", *world->rows[j].email_ct);
    benchmark::DoNotOptimize(plain);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ServiceSearch(benchmark::State& state) {
  vault::service::RequestMeta meta{"req_bench", "127.0.0.1"};
  for (auto _ : state) {
    vault::service::SearchQuery q;
    q.email = vault::bench::EmailOf(RandomCustomer(state));
    auto views = world->access->Search(world->pos, meta, q);
    if (!views.ok() || views->size() != 1) {
      state.SkipWithError(views.ok() ? "no match" : views.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(views);
  }
  state.SetItemsProcessed(state.iterations());
}

std::atomic<int64_t> create_counter{0};

// Thread 0's view of the store's commits and fsyncs over one benchmark run:
// writes_per_commit and writes_per_fsync, as counters.
class StoreCounters {
 public:
  explicit StoreCounters(const benchmark::State& state) : active_(state.thread_index() == 0) {
    if (active_) before_ = world->vault.store->Stats();
  }
  void Finish(benchmark::State& state) {
    if (!active_) return;
    auto after = world->vault.store->Stats();
    double writes = static_cast<double>(after.writes - before_.writes);
    double commits = static_cast<double>(after.commits - before_.commits);
    double syncs = static_cast<double>(after.syncs - before_.syncs);
    if (commits > 0) state.counters["writes_per_commit"] = writes / commits;
    if (syncs > 0) state.counters["writes_per_fsync"] = writes / syncs;
  }

 private:
  bool active_;
  vault::store::StoreStats before_;
};

void BM_ServiceCreate(benchmark::State& state) {
  vault::service::RequestMeta meta{"req_bench", "127.0.0.1"};
  std::string run = std::to_string(::getpid());
  StoreCounters counters(state);
  for (auto _ : state) {
    int64_t n = create_counter.fetch_add(1);
    vault::service::CustomerInput in;
    in.email = "floor" + run + "-" + std::to_string(n) + "@bench.example";
    in.phone = vault::bench::PhoneOf(n + 3000000);
    in.name = vault::bench::NameOf(n);
    auto view = world->access->Create(world->pos, meta, in);
    if (!view.ok()) {
      state.SkipWithError(view.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(view);
  }
  counters.Finish(state);
  state.SetItemsProcessed(state.iterations());
}

void BM_ServiceReveal(benchmark::State& state) {
  vault::service::RequestMeta meta{"req_bench", "127.0.0.1"};
  // One support employee per thread (and per process and thread count), so
  // each reveal's quota count covers only this thread's own reveals.
  vault::auth::Principal who;
  who.kind = vault::auth::Principal::Kind::kEmployee;
  who.id = 1000 + state.thread_index();
  who.name = "bench-floor-support-" + std::to_string(::getpid()) + "-" +
             std::to_string(state.threads()) + "-" + std::to_string(state.thread_index());
  who.roles = {"support"};
  who.via = "token:bench";
  const std::vector<ContactField> fields{ContactField::kPhone};
  size_t k = static_cast<size_t>(state.thread_index()) * 97;
  StoreCounters counters(state);
  for (auto _ : state) {
    const auto& row = world->rows[k++ % world->rows.size()];
    auto revealed = world->access->Reveal(who, meta, row.id, fields, "bench: call back");
    if (!revealed.ok() || revealed->values.size() != 1) {
      state.SkipWithError(revealed.ok() ? "nothing revealed" : revealed.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(revealed);
  }
  counters.Finish(state);
  state.SetItemsProcessed(state.iterations());
}

// With group commit: everything. Without: only the two durable-write
// benchmarks, under names that say so (the rest does not depend on it).
void RegisterBenchmarks() {
  if (group_commit) {
    benchmark::RegisterBenchmark("Floor/FindByEmail2", BM_FindByEmail2)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
    benchmark::RegisterBenchmark("Floor/FindByEmail3", BM_FindByEmail3)
        ->Threads(1)
        ->Threads(2)
        ->UseRealTime();
    benchmark::RegisterBenchmark("Part/NormalizeAndBlindIndex", BM_NormalizeAndIndex);
    benchmark::RegisterBenchmark("Part/RowFetch", BM_RowFetch)->UseRealTime();
    benchmark::RegisterBenchmark("Part/UnwrapDek", BM_UnwrapDek);
    benchmark::RegisterBenchmark("Part/OpenOneField", BM_OpenField);
    benchmark::RegisterBenchmark("Part/SodiumMallocFree32", BM_SodiumMallocFree);
    benchmark::RegisterBenchmark("Part/UnwrapDekIntoStackBuffer", BM_UnwrapDekStack);
    benchmark::RegisterBenchmark("Service/Search", BM_ServiceSearch)
        ->Threads(1)
        ->Threads(16)
        ->UseRealTime();
  }
  const std::string mode = group_commit ? "on" : "off";
  benchmark::RegisterBenchmark(("GroupCommit/Create/" + mode).c_str(), BM_ServiceCreate)
      ->Threads(1)
      ->Threads(32)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("GroupCommit/Reveal/" + mode).c_str(), BM_ServiceReveal)
      ->Threads(1)
      ->Threads(32)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Setup();
  RegisterBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  world->access.reset();
  world->audit.reset();
  world->customers.reset();
  world->vault.store.reset();
  if (!world->temp_dir.empty()) std::filesystem::remove_all(world->temp_dir);
  return 0;
}

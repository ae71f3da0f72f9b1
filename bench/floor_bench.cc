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
//   Service/Create        AccessService::Create: durable create with its audit
#include <benchmark/benchmark.h>
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
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

void Setup() {
  world = new World;
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
  } else {
    world->count = std::atoll(Env("BENCH_COUNT", "0").c_str());
    if (world->count <= 0) Die("BENCH_COUNT must name how many customers BENCH_DATA_DIR holds");
  }
  vault::service::RootKeySource root;
  root.key_file = data_dir + "/root.key";
  vault::store::StoreOptions options;
  options.readers = 4;  // as the server's default
  auto opened = vault::service::OpenVaultAt(vault::service::DatabasePathIn(data_dir), root,
                                            options);
  if (!opened.ok()) Die(opened.status().message());
  world->vault = std::move(opened).value();
  world->customers = std::make_unique<vault::service::CustomerService>(
      *world->vault.store, *world->vault.keys, vault::service::CustomerServiceOptions{"CA"});

  std::string policy_file = Env("BENCH_POLICY", "config/policy.toml");
  auto policy = vault::policy::Policy::LoadFile(policy_file);
  if (!policy.ok()) Die(policy.status().message());
  world->policy = std::make_unique<vault::policy::Policy>(std::move(policy).value());
  world->audit = std::make_unique<vault::audit::AuditLog>(*world->vault.store,
                                                          *world->vault.keys);
  world->access = std::make_unique<vault::service::AccessService>(
      *world->customers, *world->policy, *world->audit);
  world->pos.kind = vault::auth::Principal::Kind::kService;
  world->pos.id = 1;
  world->pos.name = "bench-floor";
  world->pos.roles = {"pos"};
  world->pos.via = "token:bench";

  if (!world->temp_dir.empty()) {
    std::fprintf(stderr, "bench_floor: creating %lld customers in %s\n",
                 static_cast<long long>(world->count), data_dir.c_str());
    for (int64_t i = 0; i < world->count; ++i) {
      vault::service::CustomerInput in{vault::bench::EmailOf(i), vault::bench::PhoneOf(i),
                                       vault::bench::NameOf(i)};
      if (auto c = world->customers->Create(in); !c.ok()) Die(c.status().message());
    }
  }

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

void BM_FindByEmail2(benchmark::State& state) {
  FindByEmail(state, FieldSet{true, false, true});
}
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
    auto dek = vault::crypto::UnwrapDek(
        *ring->Find(row.dek_key_id, vault::crypto::KeyPurpose::kData), row.dek_key_id, row.id,
        row.dek);
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
        reinterpret_cast<const unsigned char*>(aad.data()), aad.size(), wrapped + 5,
        kek->data());
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
    auto dek = vault::crypto::UnwrapDek(
        *ring->Find(row.dek_key_id, vault::crypto::KeyPurpose::kData), row.dek_key_id, row.id,
        row.dek);
    deks.push_back(std::move(dek).value());
  }
  size_t k = 0;
  for (auto _ : state) {
    size_t j = k++ % deks.size();
    auto plain = vault::crypto::OpenField(deks[j], world->rows[j].id, "email",
                                          *world->rows[j].email_ct);
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

void BM_ServiceCreate(benchmark::State& state) {
  vault::service::RequestMeta meta{"req_bench", "127.0.0.1"};
  std::string run = std::to_string(::getpid());
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
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_FindByEmail2)->Name("Floor/FindByEmail2")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_FindByEmail3)->Name("Floor/FindByEmail3")->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_NormalizeAndIndex)->Name("Part/NormalizeAndBlindIndex");
BENCHMARK(BM_RowFetch)->Name("Part/RowFetch")->UseRealTime();
BENCHMARK(BM_UnwrapDek)->Name("Part/UnwrapDek");
BENCHMARK(BM_OpenField)->Name("Part/OpenOneField");
BENCHMARK(BM_SodiumMallocFree)->Name("Part/SodiumMallocFree32");
BENCHMARK(BM_UnwrapDekStack)->Name("Part/UnwrapDekIntoStackBuffer");
BENCHMARK(BM_ServiceSearch)
    ->Name("Service/Search")
    ->Threads(1)
    ->Threads(16)
    ->UseRealTime();
BENCHMARK(BM_ServiceCreate)
    ->Name("Service/Create")
    ->Threads(1)
    ->Threads(32)
    ->UseRealTime();

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Setup();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  world->access.reset();
  world->audit.reset();
  world->customers.reset();
  world->vault.store.reset();
  if (!world->temp_dir.empty()) std::filesystem::remove_all(world->temp_dir);
  return 0;
}

# Contact Vault. `make run` and `make test` are all a newcomer needs: each
# installs missing Debian packages, builds, then runs the server or the tests.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CONFIG ?= config/vault.toml

.PHONY: deps build run test clean format

# clang and its runtimes build the fuzz targets (make fuzz, and make test's short runs).
HARDENING_DEPS = clang libclang-rt-dev

deps:
	@scripts/install-deps.sh $(HARDENING_DEPS)
	@scripts/install-js-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/dev-run.sh $(BUILD_DIR) $(CONFIG)

test: build
	@cd $(BUILD_DIR) && VAULT_SOURCE_DIR=$(CURDIR) VAULT_BINARY_DIR=$(abspath $(BUILD_DIR)) \
	  ctest --output-on-failure -j $(JOBS)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)

# Benchmarks (not part of `make test`): bench/run.sh writes bench/RESULTS.md.
.PHONY: bench
bench:
	@bench/run.sh

# Hardening (docs/SECURITY.md). Each sanitizer has its own build directory.
#   make fuzz [FUZZ_SECONDS=300]  every libFuzzer target for that long (build-fuzz)
#   make test-asan                unit + integration + hardening tests, ASan+UBSan
#   make test-tsan                the concurrency tests (group commit, rotation, online backup), TSan
#   make crash-loop [CYCLES=200]  SIGKILL the server under load, check after each restart
.PHONY: fuzz test-asan test-tsan crash-loop
FUZZ_SECONDS ?= 300
CYCLES ?= 200
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# Not under ASan: the JavaScript checks (node and chromium are not instrumented),
# the container test (the image builds its own, uninstrumented binaries)
# the fuzz runs (they have their own ASan build) and testssl (it judges the TLS
# configuration, which ASan does not change, and would take minutes longer).
ASAN_EXCLUDE = ^(format_check|openapi_lint|openapi_contract|browser|container|testssl|fuzz_build|.*_fuzz)$$
TSAN_TESTS = Concurrent|RotationTest\.|BackupTest\.BackupTakenWhileServing
SANITIZER_OPTIONS = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) JOBS=$(JOBS) scripts/fuzz.sh --build-dir build-fuzz

test-asan: deps
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DVAULT_SANITIZE=address,undefined >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@cd $(ASAN_DIR) && $(SANITIZER_OPTIONS) VAULT_SOURCE_DIR=$(CURDIR) \
	  VAULT_BINARY_DIR=$(abspath $(ASAN_DIR)) \
	  ctest --output-on-failure -j $(JOBS) -E '$(ASAN_EXCLUDE)'

test-tsan: deps
	@cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVAULT_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS) --target unit_tests integration_tests \
	  contact-vault contact-vault-server
	@cd $(TSAN_DIR) && $(SANITIZER_OPTIONS) VAULT_SOURCE_DIR=$(CURDIR) \
	  VAULT_BINARY_DIR=$(abspath $(TSAN_DIR)) \
	  ctest --output-on-failure -j $(JOBS) -R '$(TSAN_TESTS)'

crash-loop: build
	@python3 scripts/crash_loop.py --build-dir $(BUILD_DIR) --cycles $(CYCLES)

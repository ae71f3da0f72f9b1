# Contact Vault. `make run` and `make test` are all a newcomer needs: each
# installs missing Debian packages, builds, then runs the server or the tests.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CONFIG ?= config/vault.toml

.PHONY: deps build run test clean format

deps:
	@scripts/install-deps.sh
	@scripts/install-js-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@scripts/dev-run.sh $(BUILD_DIR) $(CONFIG)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

format:
	@clang-format -i $$(git ls-files '*.cc' '*.h')

clean:
	rm -rf $(BUILD_DIR)

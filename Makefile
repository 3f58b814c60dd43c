# Thin wrapper over CMake. `make` builds everything into build/.
#   make run    build and start the chat demo on http://localhost:7145
#   make test   every test: unit (ctest), integration, conformance, under ASan+UBSan
#   make bench  the benchmarks of docs/BENCHMARKS.md
#   make docs   the API reference, docs/api/, from include/tina4.h
JOBS ?= $(shell nproc)
MAKEFLAGS += --no-print-directory
BUILD ?= build
ASAN_BUILD ?= build-asan

.PHONY: all setup asan run test test-unit test-integration test-conformance bench format format-check clean install package docs

all:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

asan:
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DT4_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)

setup:
	@bash scripts/setup.sh

run: setup all
	@bash scripts/run-demo.sh $(BUILD)

# Every test runs against the sanitizer build; ASan aborts on the first error.
test: setup all asan
	@bash scripts/test.sh $(ASAN_BUILD)

test-unit: asan
	@cd $(ASAN_BUILD) && ctest --output-on-failure

bench: setup all
	@bash bench/run.sh $(BUILD)

install: all
	@cmake --install $(BUILD)

# A .deb of the library, header, pkg-config files and the tina4 command, in $(BUILD)/.
package: all
	@cd $(BUILD) && cpack -G DEB

# The API reference is generated from the header's comments (quick, no build).
docs:
	@python3 scripts/api_docs.py

format:
	@clang-format -i $$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

format-check:
	@clang-format --dry-run --Werror $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

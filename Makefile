# Thin front for CMake. A new machine needs only `make run` or `make test`:
# both install what is missing (scripts/install-deps.sh), build, and go.
BUILD      ?= build
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=
FUZZ_SECONDS ?= 60

.PHONY: all deps build run test bench fuzz fuzz-smoke test-asan test-tsan install package clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja $(BUILD)/Makefile:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS) >/dev/null

build: deps $(BUILD)/Makefile
	@cmake --build $(BUILD) -j $(JOBS)

# The point of the project: the sendfile experiment on 1 GiB, 3 runs per
# engine, naive copy vs zero-copy. Builds only the binary it runs (not the
# tests and benchmarks), with the build's chatter in a log shown on failure.
run: deps $(BUILD)/Makefile
	@echo "zcp: building build/zcp (log: $(BUILD)/make-run.log)"
	@cmake --build $(BUILD) -j $(JOBS) --target zcp >$(BUILD)/make-run.log 2>&1 || \
	  { tail -n 40 $(BUILD)/make-run.log; exit 1; }
	@$(BUILD)/zcp bench --size 1G --runs 3

test: build fuzz-smoke
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 300

bench: build
	@bench/run_bench.sh

fuzz:
	@fuzz/run.sh $(FUZZ_SECONDS)

fuzz-smoke: deps
	@fuzz/run.sh 10

test-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DZCP_SANITIZE=address,undefined -DZCP_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-asan -j $(JOBS)
	@cd build-asan && ASAN_OPTIONS="halt_on_error=1 detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1" ctest --output-on-failure -j $(JOBS) --timeout 600

test-tsan: deps
	@cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DZCP_SANITIZE=thread -DZCP_BUILD_BENCH=OFF >/dev/null
	@cmake --build build-tsan -j $(JOBS)
	@# halt_on_error: a race in a server process (stderr in a test's log) must fail its test
	@cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" ctest --output-on-failure -j $(JOBS) --timeout 600

# make install PREFIX=/opt/zcp (default /usr/local); DESTDIR works too.
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

# A Debian package in $(BUILD)/: sudo apt install ./build/zcp_*.deb
package: build
	@cd $(BUILD) && cpack -G DEB

clean:
	rm -rf $(BUILD) build-asan build-tsan build-fuzz

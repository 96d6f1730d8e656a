# Loft: the two commands a fresh Debian 12 machine needs.
#   make run    install what is missing, build, serve on the embedded default
#   make test   install what is missing, build, run every test
#   make fuzz   build the libFuzzer targets with clang (build-fuzz) and run each
#               for FUZZ_SECONDS (default 600); see fuzz/README.md
#   make sanitize  every test under AddressSanitizer + UndefinedBehaviorSanitizer
#               (build-asan; SAN_TESTS=-L unit for the unit tests only)
#   make sanitize-smoke  what CI adds to `make test`: one clang build with
#               ASan+UBSan (build-san, -O1), the unit tests in it, and every
#               libFuzzer target for SMOKE_SECONDS (default 10)
#   make tsan   the concurrent paths under ThreadSanitizer (build-tsan)
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test unit fuzz sanitize sanitize-smoke tsan clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/loft serve

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory sanitize-smoke

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

SAN_BUILD ?= build-asan
SAN_TESTS ?=

sanitize: deps
	@cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOFT_SANITIZE=ON >/dev/null
	@ninja -C $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) $(SAN_TESTS)

FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= imap_command imap_search pop3_command lmtp_command mime rfc2047_2231 mutf7 sasl config

fuzz: deps
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DLOFT_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(FUZZ_BUILD) -j $(JOBS) $(addsuffix _fuzz,$(FUZZ_TARGETS))
	@./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# The CI sanitizer pass. The fuzz configuration (clang, every library built
# with ASan+UBSan and coverage) also builds the unit tests; -O1 with line
# tables only keeps the build a few minutes. SAN_SKIP: unit tests too slow
# under ASan to run here (they run uninstrumented in `make test`).
SMOKE_BUILD ?= build-san
SMOKE_SECONDS ?= 10
SAN_SKIP ?= SearchIndexEquality
UNIT_TARGETS = util_test sqlite_test mime_test store_test auth_test net_test imap_test pop3_test lmtp_test cli_test

sanitize-smoke: deps
	@cmake -S . -B $(SMOKE_BUILD) -G Ninja -DLOFT_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
	@ninja -C $(SMOKE_BUILD) -j $(JOBS) $(UNIT_TARGETS) $(addsuffix _fuzz,$(FUZZ_TARGETS))
	cd $(SMOKE_BUILD) && ctest --output-on-failure -j $(JOBS) -L unit -E '$(SAN_SKIP)'
	@./fuzz/run.sh $(SMOKE_BUILD) $(SMOKE_SECONDS) $(FUZZ_TARGETS)

# ThreadSanitizer on the concurrent paths: the store's unit tests (stores
# appending, flagging and scanning at once; the change feed) and the event
# loop's, then the server under TSan through the integration tests of
# notifications and IDLE, simultaneous delivery and expunge, POP3 locks,
# kills during changes, and loft-bench's many-client load.
TSAN_BUILD ?= build-tsan
TSAN_IT ?= test_imap_concurrency.py test_lmtp.py test_pop3.py test_crash_changes.py test_bench_smoke.py
# Debian's python3, where install-deps puts pytest (as tests/CMakeLists.txt
# does): another python3 earlier in PATH may lack it.
PYTHON3 ?= /usr/bin/python3
export TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1

tsan: deps build
	@cmake -S . -B $(TSAN_BUILD) -G Ninja -DLOFT_TSAN=ON -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" >/dev/null
	@ninja -C $(TSAN_BUILD) -j $(JOBS) loft store_test net_test
	./$(TSAN_BUILD)/store_test --gtest_brief=1
	./$(TSAN_BUILD)/net_test --gtest_brief=1
	LOFT_BIN=$(CURDIR)/$(TSAN_BUILD)/loft LOFT_BENCH=$(CURDIR)/$(BUILD)/loft-bench LOFT_CRASH_KILLS=30 \
	  $(PYTHON3) -m pytest -q $(addprefix tests/integration/,$(TSAN_IT))

clean:
	rm -rf $(BUILD)

# Loft: the two commands a fresh Debian 12 machine needs.
#   make run    install what is missing, build, serve on the embedded default
#   make test   install what is missing, build, run every test
#   make fuzz   build the libFuzzer targets with clang (build-fuzz) and run each
#               for FUZZ_SECONDS (default 600); see fuzz/README.md
#   make sanitize  every test under AddressSanitizer + UndefinedBehaviorSanitizer
#               (build-asan; SAN_TESTS=-L unit for the unit tests only)
BUILD ?= build
JOBS ?= $(shell nproc)

.PHONY: all deps build run test unit fuzz sanitize clean

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
	@command -v clang++ >/dev/null || { [ "$$(id -u)" -eq 0 ] && apt-get install -y -qq clang || sudo apt-get install -y -qq clang; }
	@cmake -S . -B $(FUZZ_BUILD) -G Ninja -DLOFT_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@ninja -C $(FUZZ_BUILD) -j $(JOBS) $(addsuffix _fuzz,$(FUZZ_TARGETS))
	@./fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD)

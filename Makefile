# The two commands a new user types: `make run` and `make test`. Each installs the Debian
# packages that are missing, configures with CMake + Ninja, builds and runs.
BUILD_DIR ?= build
CMAKE_FLAGS ?=

.PHONY: all deps configure build run test bench clean

all: build

deps:
	@scripts/deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR)

run: build
	@scripts/run.sh $(BUILD_DIR)/ccgauge

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j2

bench: build
	$(BUILD_DIR)/ccgauge_bench --benchmark_min_time=0.2
	bench/compare.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)

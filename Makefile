# The two entry points of the README. Both run scripts/setup.sh first (packages, data, build).
.PHONY: demo test bench format fuzz

BUILD ?= build
FUZZ_SECONDS ?= 60
CI_FUZZ_SECONDS ?= 15
JOBS ?= 2

demo:
	./scripts/setup.sh
	BUILD=$(BUILD) ./scripts/demo.sh

test:
	./scripts/setup.sh
	FUZZ_SECONDS=$(CI_FUZZ_SECONDS) ./scripts/fuzz.sh
	./scripts/sanitize.sh
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow

bench:
	./scripts/setup.sh
	./$(BUILD)/bench/mpgru_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	./$(BUILD)/bench/mpgru_engine_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# libFuzzer harnesses (clang, ASan + UBSan) in build-fuzz, each run FUZZ_SECONDS seconds.
fuzz:
	./scripts/setup.sh
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

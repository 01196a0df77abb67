# The two entry points of the README. Both run scripts/setup.sh first (packages, data, build).
.PHONY: demo test bench format

BUILD ?= build
JOBS ?= 2

demo:
	./scripts/setup.sh
	BUILD=$(BUILD) ./scripts/demo.sh

test:
	./scripts/setup.sh
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) -LE slow

bench:
	./scripts/setup.sh
	./$(BUILD)/bench/mpgru_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
	./$(BUILD)/bench/mpgru_engine_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

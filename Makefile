# The two entry points of the README. Both run scripts/setup.sh first (packages, data, build).
.PHONY: demo test bench bench-peers format fuzz

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

# The integer engine side by side with PyTorch (python3-torch, optional: its rows are skipped
# without it): sequences per second, ratios and the fraction of the int8 peak, in results/engine.
bench-peers:
	./scripts/setup.sh
	mkdir -p results/engine
	./$(BUILD)/bench/mpgru_engine_peers --rounds 5 --torch bench/peers_torch.py \
	    --csv results/engine/peers.csv --md results/engine/peers.md

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

# libFuzzer harnesses (clang, ASan + UBSan) in build-fuzz, each run FUZZ_SECONDS seconds.
fuzz:
	./scripts/setup.sh
	FUZZ_SECONDS=$(FUZZ_SECONDS) ./scripts/fuzz.sh

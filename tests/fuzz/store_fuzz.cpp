// libFuzzer: opening a file as an evaluation store (SQLite) and reading its rows: anything that
// is not a store mpgru wrote is refused with an error, never a crash.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <stdexcept>

#include "fuzz_input.hpp"
#include "search/evaluation_store.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;  // a new store, not a parser input
  const auto path = mpgru::fuzz::as_file(data, size, ".sqlite");
  std::error_code ignored;
  std::filesystem::remove(path.string() + "-wal", ignored);
  std::filesystem::remove(path.string() + "-shm", ignored);
  try {
    mpgru::search::EvaluationStore store(path);
    (void)store.count();
    (void)store.all("smnist", "ckpt", "ptq");
  } catch (const std::runtime_error&) {
  }
  return 0;
}

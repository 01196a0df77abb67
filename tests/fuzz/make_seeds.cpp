// Writes the binary seed inputs of the fuzz harnesses (generated, not committed): small .mpq
// models (1 and 2 layers, one with an embedding) for model_file and model_crc, and an evaluation
// store with two rows for store. Usage: make_seeds CORPUS_DIR (writes CORPUS_DIR/<harness>/...).
#include <cstdio>
#include <filesystem>
#include <string>

#include "engine/model_file.hpp"
#include "fixtures/random_model.hpp"
#include "search/evaluation_store.hpp"

namespace {

void write_models(const std::filesystem::path& corpus) {
  using mpgru::core::GenomeLayout;
  const mpgru::engine::IntegerModel models[] = {
      mpgru::testing::random_model(mpgru::core::Genome::homogeneous(GenomeLayout{1, false}, 2), 6,
                                   4, 3, 1),
      mpgru::testing::random_model(mpgru::testing::random_genome(GenomeLayout{2, false}, 2), 5, 3,
                                   2, 2),
      mpgru::testing::random_model(mpgru::testing::random_genome(GenomeLayout{1, true}, 3), 4, 3, 2,
                                   3)};
  for (const char* harness : {"model_file", "model_crc"}) {
    std::filesystem::create_directories(corpus / harness);
    int i = 0;
    for (const auto& m : models) {
      mpgru::engine::save_model(m, corpus / harness / ("m" + std::to_string(++i) + ".mpq"));
    }
  }
}

void write_store(const std::filesystem::path& corpus) {
  std::filesystem::create_directories(corpus / "store");
  const std::filesystem::path path = corpus / "store" / "two_rows.sqlite";
  std::filesystem::remove(path);
  mpgru::search::EvaluationStore store(path);
  for (int i = 0; i < 2; ++i) {
    mpgru::search::Evaluation e;
    e.sequences = 10;
    e.correct = std::string("\xff\x01", 2);
    e.accuracy = 0.9;
    e.size_bits = 1000 + i;
    store.insert({"smnist", "ckpt", "ptq", std::string(25, static_cast<char>('2' + i))}, e);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR\n");
    return 2;
  }
  try {
    write_models(argv[1]);
    write_store(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Writes the binary seed inputs of the fuzz harnesses (generated, not committed): small .mpq
// models (1 and 2 layers, one with an embedding, one with a per-step head) for model_file and
// model_crc, an evaluation store with two rows for store, a short 16 kHz tone for wav, and the
// PyTorch files make_fixtures.py wrote (when given) for torch_file with their data.pkl records for
// torch_pickle, and small .npy files and .npz archives (stored and deflated) for numpy. Usage:
// make_seeds CORPUS_DIR [TORCH_FIXTURES_DIR] (writes CORPUS_DIR/<harness>/...).
#include <zip.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "audio/wav_file.hpp"
#include "engine/convert.hpp"
#include "engine/model_file.hpp"
#include "fixtures/random_float_model.hpp"
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
  // A per-step model (format version 2): a float model with a sigmoid head, converted.
  mpgru::quant::FloatGruModel enhancer = mpgru::testing::random_float_model(4, 3, 5, 1, 4);
  enhancer.outputs = 5;
  enhancer.classes = 0;
  const mpgru::quant::Calibration calibration = mpgru::quant::calibrate(
      enhancer, mpgru::testing::random_sequences(8, 3, 4, 2), mpgru::quant::CalibrationOptions{});
  const mpgru::engine::IntegerModel per_step = mpgru::engine::convert(
      enhancer, calibration,
      mpgru::core::Genome::homogeneous(mpgru::quant::genome_layout(enhancer), 4), 3);
  for (const char* harness : {"model_file", "model_crc"}) {
    std::filesystem::create_directories(corpus / harness);
    int i = 0;
    for (const auto& m : models) {
      mpgru::engine::save_model(m, corpus / harness / ("m" + std::to_string(++i) + ".mpq"));
    }
    mpgru::engine::save_model(per_step, corpus / harness / "per_step.mpq");
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

// 10 ms of a 1 kHz tone at 16 kHz, 16-bit mono: a valid WAV to mutate.
void write_wav(const std::filesystem::path& corpus) {
  std::filesystem::create_directories(corpus / "wav");
  std::vector<float> tone(160);
  for (size_t i = 0; i < tone.size(); ++i) {
    tone[i] =
        static_cast<float>(0.7 * std::sin(2 * M_PI * 1000.0 * static_cast<double>(i) / 16000));
  }
  mpgru::audio::write_wav_pcm16(corpus / "wav" / "tone.wav", tone, 16000);
}

// An .npy file as NumPy writes it: magic, version, little-endian header length, the header dict
// padded with spaces to a multiple of 64 bytes ending in '\n', then the element bytes.
std::string npy(const std::string& descr, const std::string& shape, bool fortran,
                const std::string& data, int major = 1) {
  const size_t length_bytes = major == 1 ? 2 : 4;
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': " + (fortran ? "True" : "False") +
                       ", 'shape': " + shape + ", }";
  header.append((64 - (8 + length_bytes + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < length_bytes; ++i) out += static_cast<char>(header.size() >> (8 * i));
  return out + header + data;
}

// `n` bytes counting up from `first`: element bytes for any dtype.
std::string counting(size_t n, int first = 0) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += static_cast<char>(first + static_cast<int>(i));
  return out;
}

// An .npz archive of `records` (name, bytes), each stored or deflated.
void write_npz(const std::filesystem::path& path,
               const std::vector<std::pair<std::string, std::string>>& records, bool deflate) {
  int error = 0;
  zip_t* zip = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  if (zip == nullptr) throw std::runtime_error(path.string() + ": cannot create");
  for (const auto& [name, bytes] : records) {
    const zip_int64_t index =
        zip_file_add(zip, name.c_str(), zip_source_buffer(zip, bytes.data(), bytes.size(), 0), 0);
    zip_set_file_compression(zip, static_cast<zip_uint64_t>(index),
                             deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0);
  }
  if (zip_close(zip) != 0) throw std::runtime_error(path.string() + ": cannot write");
}

// Lone arrays of several dtypes, byte orders, layouts and header versions, and two archives.
void write_numpy(const std::filesystem::path& corpus) {
  const std::filesystem::path dir = corpus / "numpy";
  std::filesystem::create_directories(dir);
  const std::vector<std::pair<std::string, std::string>> arrays = {
      {"x.npy", npy("<f4", "(2, 3)", false, counting(24))},
      {"fortran.npy", npy(">i2", "(2, 3, 2)", true, counting(24))},
      {"half.npy", npy("<f2", "(4,)", false, counting(8, 0x30))},
      {"double.npy", npy(">f8", "()", false, counting(8, 0x40))},
      {"labels.npy", npy("|u1", "(5,)", false, counting(5))},
      {"mask.npy", npy("|b1", "(2, 2)", true, std::string("\0\1\1\0", 4))},
      {"big.npy", npy("<u8", "(1,)", false, counting(8))},
      {"v2.npy", npy("<i4", "(0, 3)", false, "", 2)},
      {"v3.npy", npy("=i8", "(2,)", false, counting(16), 3)},
  };
  for (const auto& [name, bytes] : arrays) std::ofstream(dir / name, std::ios::binary) << bytes;
  write_npz(dir / "stored.npz", {arrays[0], arrays[4]}, false);
  write_npz(dir / "deflated.npz", {arrays[1], arrays[2], arrays[5]}, true);
}

}  // namespace

// The data.pkl record of a PyTorch zip archive ("" if it has none).
std::string data_pkl(const std::filesystem::path& archive) {
  int error = 0;
  zip_t* zip = zip_open(archive.c_str(), ZIP_RDONLY, &error);
  if (zip == nullptr) return "";
  std::string out;
  for (zip_int64_t i = 0; i < zip_get_num_entries(zip, 0); ++i) {
    const std::string name = zip_get_name(zip, static_cast<zip_uint64_t>(i), 0);
    zip_stat_t st;
    if (name.size() < 9 || name.substr(name.size() - 9) != "/data.pkl" ||
        zip_stat_index(zip, static_cast<zip_uint64_t>(i), 0, &st) != 0) {
      continue;
    }
    zip_file_t* file = zip_fopen_index(zip, static_cast<zip_uint64_t>(i), 0);
    out.resize(st.size);
    const zip_int64_t n = file != nullptr ? zip_fread(file, out.data(), st.size) : -1;
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
    if (file != nullptr) zip_fclose(file);
    break;
  }
  zip_discard(zip);
  return out;
}

// The PyTorch files make_fixtures.py wrote into `fixtures` (nothing if it is missing).
void write_torch_files(const std::filesystem::path& corpus, const std::filesystem::path& fixtures) {
  namespace fs = std::filesystem;
  fs::create_directories(corpus / "torch_file");
  fs::create_directories(corpus / "torch_pickle");
  if (!fs::is_directory(fixtures / "bad")) return;
  for (const fs::path& dir : {fixtures, fixtures / "bad"}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".pt") continue;
      const std::string name = entry.path().filename().string();
      fs::copy_file(entry.path(), corpus / "torch_file" / name,
                    fs::copy_options::overwrite_existing);
      const std::string pickle = data_pkl(entry.path());
      if (!pickle.empty()) std::ofstream(corpus / "torch_pickle" / (name + ".pkl")) << pickle;
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: make_seeds CORPUS_DIR [TORCH_FIXTURES_DIR]\n");
    return 2;
  }
  try {
    write_models(argv[1]);
    write_store(argv[1]);
    write_wav(argv[1]);
    write_torch_files(argv[1], argc == 3 ? argv[2] : "");
    write_numpy(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seeds: %s\n", e.what());
    return 1;
  }
  return 0;
}

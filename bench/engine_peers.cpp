// The integer engine side by side with PyTorch: sequences per second of mpgru's engines (the
// streaming engine and the batched engine on every kernel path this CPU has) and of PyTorch's
// nn.GRU classifier, float and dynamic int8 (bench/peers_torch.py, when python3-torch is
// installed), on the same shapes, one thread, batch 1 and 256; every configuration measured once
// per round, rounds alternating, medians reported with ratios and the fraction of the int8 peak.
//
//   mpgru_engine_peers [--rounds 5] [--csv FILE] [--md FILE] [--torch bench/peers_torch.py]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/batch_engine.hpp"
#include "engine/convert.hpp"
#include "engine/gru_engine.hpp"
#include "fixtures/random_float_model.hpp"
#include "int8_peak.hpp"

namespace {

using namespace mpgru;
using Clock = std::chrono::steady_clock;

struct Shape {
  std::string task;
  int32_t steps, features, hidden, classes;
  int64_t macs() const {
    return int64_t{steps} * 3 * hidden * (features + hidden) + int64_t{hidden} * classes;
  }
};

struct Config {
  std::string shape, engine, path;
  int bits = 8, batch = 1, threads = 1;
  std::function<std::map<std::string, double>()> measure;  // engine name -> sequences/s
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe.get()) != nullptr) out += buffer;
  return out;
}

struct Setup {
  Shape shape;
  int bits;
  quant::FloatGruModel f;
  data::Sequences data;
  engine::IntegerModel model;
};

std::unique_ptr<Setup> make_setup(const Shape& s, int bits) {
  auto setup = std::make_unique<Setup>();
  setup->shape = s;
  setup->bits = bits;
  setup->f = testing::random_float_model(s.features, s.hidden, s.classes);
  setup->data = testing::random_sequences(4096, s.steps, s.features, s.classes);
  quant::CalibrationOptions options;
  options.sequences = 256;
  const quant::Calibration c = quant::calibrate(setup->f, setup->data, options);
  setup->model = engine::convert(setup->f, c, core::Genome::homogeneous({1, false}, bits), s.steps);
  return setup;
}

// Sequences per second of `batch`-at-a-time runs over the first n sequences.
double batched(const Setup& s, engine::KernelPath path, int32_t tile, int64_t n) {
  engine::BatchEngine e(s.model, path, tile);
  std::vector<int32_t> logits(static_cast<size_t>(e.max_batch() * s.model.classes));
  const int64_t stride = s.data.steps * s.data.features;
  const auto start = Clock::now();
  for (int64_t i = 0; i < n; i += tile) {
    const auto count = static_cast<int32_t>(std::min<int64_t>(tile, n - i));
    e.run(s.data.sequence(i), stride, count, static_cast<int32_t>(s.data.steps), logits.data());
  }
  return static_cast<double>(n) / seconds_since(start);
}

double streaming(const Setup& s, engine::Kernels kernels, int64_t n) {
  engine::GruEngine e(s.model, kernels);
  std::vector<int32_t> logits(static_cast<size_t>(s.model.classes));
  const auto start = Clock::now();
  for (int64_t i = 0; i < n; ++i) {
    e.run(s.data.sequence(i), static_cast<int32_t>(s.data.steps), logits.data());
  }
  return static_cast<double>(n) / seconds_since(start);
}

double evaluated(const Setup& s, int threads, int64_t n) {
  const data::Sequences part = s.data.slice(0, n);
  engine::EvaluateOptions o;
  o.threads = threads;
  const auto start = Clock::now();
  engine::evaluate(s.model, part, o);
  return static_cast<double>(n) / seconds_since(start);
}

std::map<std::string, double> torch_rates(const std::string& script, const Shape& s, int batch,
                                          int64_t n) {
  std::ostringstream c;
  c << "OMP_NUM_THREADS=1 /usr/bin/python3 " << script << " --steps " << s.steps << " --features "
    << s.features << " --hidden " << s.hidden << " --classes " << s.classes << " --batch " << batch
    << " --sequences " << n << " 2>&1";
  std::istringstream out(run_command(c.str()));
  std::map<std::string, double> rates;
  std::string name;
  double rate;
  while (out >> name >> rate) rates[name] = rate;
  if (rates.size() != 2) throw std::runtime_error("peers_torch.py failed: " + c.str());
  return rates;
}

struct Args {
  int rounds = 5;
  std::string csv, md, torch = "bench/peers_torch.py";
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
    const std::string value = argv[++i];
    if (flag == "--rounds") {
      a.rounds = std::stoi(value);
    } else if (flag == "--csv") {
      a.csv = value;
    } else if (flag == "--md") {
      a.md = value;
    } else if (flag == "--torch") {
      a.torch = value;
    } else {
      throw std::invalid_argument("unknown flag " + flag);
    }
  }
  return a;
}

}  // namespace

int main(int argc, char** argv) try {
  const Args args = parse(argc, argv);
  const bool torch = run_command("/usr/bin/python3 -c 'import torch' 2>&1").empty();
  if (!torch) std::printf("PyTorch (python3-torch) not installed: its rows are skipped\n");
  const std::vector<engine::KernelPath> paths = engine::supported_paths();
  const std::vector<Shape> shapes = {{"smnist", 28, 28, 128, 10}, {"kws", 49, 40, 64, 12}};
  std::vector<std::unique_ptr<Setup>> setups;
  std::vector<Config> configs;
  for (const Shape& shape : shapes) {
    for (int bits : {8, 4, 2}) {
      setups.push_back(make_setup(shape, bits));
      const Setup* s = setups.back().get();
      const std::string task = shape.task;
      auto add = [&](std::string engine, std::string path, int batch, int threads,
                     std::function<double()> f) {
        configs.push_back({task, engine, path, bits, batch, threads, [engine, f] {
                             return std::map<std::string, double>{{engine, f()}};
                           }});
      };
      add("mpgru_stream", "target_clones", 1, 1,
          [s] { return streaming(*s, engine::Kernels::optimized, 512); });
      if (bits == 8) {
        add("mpgru_reference", "plain", 1, 1,
            [s] { return streaming(*s, engine::Kernels::reference, 256); });
      }
      for (engine::KernelPath p : paths) {
        add("mpgru_batched", engine::to_string(p), 1, 1, [s, p] { return batched(*s, p, 1, 512); });
        add("mpgru_batched", engine::to_string(p), 256, 1,
            [s, p] { return batched(*s, p, 64, 4096); });
      }
      add("mpgru_batched_tile256", engine::to_string(paths.back()), 256, 1,
          [s, p = paths.back()] { return batched(*s, p, 256, 4096); });
      add("mpgru_evaluate", engine::to_string(paths.back()), 256, 2,
          [s] { return evaluated(*s, 2, 4096); });
      if (torch && bits == 8) {
        for (int batch : {1, 256}) {
          const std::string script = args.torch;
          const int64_t n = batch == 1 ? 256 : 4096;
          configs.push_back({task, "torch", "float/int8", 8, batch, 1, [script, shape, batch, n] {
                               return torch_rates(script, shape, batch, n);
                             }});
        }
      }
    }
  }
  std::map<std::string, std::vector<double>> path_peaks;  // path name -> one peak per round
  std::map<std::string, std::vector<double>> rates;       // key -> one rate per round
  std::vector<std::string> order;
  auto key = [](const Config& c, const std::string& engine) {
    return c.shape + "," + std::to_string(c.bits) + "," + engine + "," + c.path + "," +
           std::to_string(c.batch) + "," + std::to_string(c.threads);
  };
  for (int round = 0; round < args.rounds; ++round) {
    for (engine::KernelPath p : paths) {
      if (p != engine::KernelPath::portable) {
        path_peaks[engine::to_string(p)].push_back(bench::int8_peak_macs_per_second(p));
      }
    }
    for (const Config& c : configs) {
      for (const auto& [engine, rate] : c.measure()) {
        const std::string k = key(c, engine);
        if (rates[k].empty()) order.push_back(k);
        rates[k].push_back(rate);
        std::printf("round %d  %-60s %10.0f seq/s\n", round + 1, k.c_str(), rate);
        std::fflush(stdout);
      }
    }
  }
  const double peak = median(path_peaks[engine::to_string(paths.back())]);
  std::ostringstream csv;
  csv << "task,bits,engine,path,batch,threads,median_seq_per_s,min,max,rounds\n";
  for (const std::string& k : order) {
    const std::vector<double>& v = rates[k];
    csv << k << ',' << median(v) << ',' << *std::min_element(v.begin(), v.end()) << ','
        << *std::max_element(v.begin(), v.end()) << ',' << v.size() << '\n';
  }
  std::ostringstream md;
  md << "int8 peaks, measured per path (independent dot-product instructions, no loads, one "
        "thread; median of "
     << args.rounds << " rounds):";
  for (const auto& [name, values] : path_peaks) {
    md << " " << name << " " << median(values) / 1e9 << " GMAC/s;";
  }
  md << " '% of int8 peak' is of the widest path's (" << engine::to_string(paths.back())
     << "), per thread; MACs per sequence: steps x 3H x (F + H) + H x classes.\n\n";
  md << "| task | bits | engine | path | batch | threads | seq/s (median) | x torch float same "
        "batch | % of int8 peak | % of its path's peak |\n"
        "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const std::string& k : order) {
    std::istringstream f(k);
    std::string task, bits, engine, path, batch, threads;
    std::getline(f, task, ',');
    std::getline(f, bits, ',');
    std::getline(f, engine, ',');
    std::getline(f, path, ',');
    std::getline(f, batch, ',');
    std::getline(f, threads, ',');
    const double r = median(rates[k]);
    const std::string torch_key = task + ",8,torch_float,float/int8," + batch + ",1";
    const double t = rates.count(torch_key) ? median(rates[torch_key]) : 0;
    int64_t macs = 0;
    for (const Shape& s : shapes) macs = s.task == task ? s.macs() : macs;
    const double own = path_peaks.count(path) ? median(path_peaks[path]) : 0;
    const double per_thread = r * static_cast<double>(macs) / std::stod(threads);
    char line[512];
    std::snprintf(line, sizeof(line), "| %s | %s | %s | %s | %s | %s | %.0f | %s | %.1f | %s |\n",
                  task.c_str(), bits.c_str(), engine.c_str(), path.c_str(), batch.c_str(),
                  threads.c_str(), r, t > 0 ? std::to_string(r / t).substr(0, 5).c_str() : "-",
                  100.0 * per_thread / peak,
                  own > 0 ? std::to_string(100.0 * per_thread / own).substr(0, 4).c_str() : "-");
    md << line;
  }
  std::printf("\n%s", md.str().c_str());
  if (!args.csv.empty()) std::ofstream(args.csv) << csv.str();
  if (!args.md.empty()) std::ofstream(args.md) << md.str();
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mpgru_engine_peers: error: %s\n", e.what());
  return 1;
}

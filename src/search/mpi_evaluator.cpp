// The MPI batch evaluator (see the header). Without MPI in the build every entry point throws.
#include "search/mpi_evaluator.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#ifdef MPGRU_HAVE_MPI
#include <mpi.h>
#endif

namespace mpgru::search::mpi {

using nlohmann::json;

json to_json(const Evaluation& e) {
  return {{"accuracy", e.accuracy},
          {"size_bits", e.size_bits},
          {"footprint_bytes", e.footprint_bytes},
          {"bops", e.bops},
          {"seconds", e.seconds},
          {"sequences", e.sequences},
          {"correct", json::binary_t(std::vector<uint8_t>(e.correct.begin(), e.correct.end()))}};
}

Evaluation evaluation_from_json(const json& j) {
  Evaluation e;
  e.accuracy = j.at("accuracy").get<double>();
  e.size_bits = j.at("size_bits").get<int64_t>();
  e.footprint_bytes = j.at("footprint_bytes").get<int64_t>();
  e.bops = j.at("bops").get<int64_t>();
  e.seconds = j.at("seconds").get<double>();
  e.sequences = j.at("sequences").get<int64_t>();
  const std::vector<uint8_t>& bytes = j.at("correct").get_binary();
  e.correct.assign(bytes.begin(), bytes.end());
  return e;
}

#ifdef MPGRU_HAVE_MPI

namespace {

constexpr int kTagJob = 1;
constexpr int kTagResult = 2;

void send_bytes(const std::string& bytes, int to, int tag) {
  MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_CHAR, to, tag, MPI_COMM_WORLD);
}

std::string receive_bytes(int from, int tag, const MPI_Status& probed) {
  int count = 0;
  MPI_Get_count(&probed, MPI_CHAR, &count);
  std::string bytes(static_cast<size_t>(count), '\0');
  MPI_Recv(bytes.data(), count, MPI_CHAR, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  return bytes;
}

std::string result_bytes(const json& result) {
  const std::vector<uint8_t> packed = json::to_msgpack(result);
  return std::string(packed.begin(), packed.end());
}

}  // namespace

bool available() {
  return true;
}

Session::Session() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw std::runtime_error(
        "--evaluator mpi: the MPI library does not provide "
        "MPI_THREAD_SERIALIZED");
  }
  if (size_ < 2) {
    MPI_Finalize();
    throw std::runtime_error(
        "--evaluator mpi needs at least 2 ranks (rank 0 searches, the others evaluate): run it "
        "as `mpirun -np N mpgru search ...` with N >= 2, or use --workers for threads");
  }
}

Session::~Session() {
  MPI_Finalize();
}

void Session::abort(int code) const {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::abort();  // MPI_Abort does not return; this satisfies [[noreturn]]
}

json broadcast_config(const json& config) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  std::string text = rank == 0 ? config.dump() : std::string();
  int size = static_cast<int>(text.size());
  MPI_Bcast(&size, 1, MPI_INT, 0, MPI_COMM_WORLD);
  text.resize(static_cast<size_t>(size));
  MPI_Bcast(text.data(), size, MPI_CHAR, 0, MPI_COMM_WORLD);
  return json::parse(text);
}

Pool::Pool(int size) {
  for (int r = size - 1; r >= 1; --r) free_.push_back(r);
  workers_ = static_cast<unsigned>(free_.size());
}

Pool::~Pool() {
  const std::string stop = json{{"kind", "stop"}}.dump();
  const std::lock_guard<std::mutex> lock(mpi_);
  for (unsigned r = 1; r <= workers_; ++r) send_bytes(stop, static_cast<int>(r), kTagJob);
}

json Pool::call(const json& job) const {
  int rank = 0;
  {
    std::unique_lock<std::mutex> lock(ranks_);
    rank_freed_.wait(lock, [this] { return !free_.empty(); });
    rank = free_.back();
    free_.pop_back();
  }
  {
    const std::lock_guard<std::mutex> lock(mpi_);
    send_bytes(job.dump(), rank, kTagJob);
  }
  std::string reply;
  for (bool received = false; !received;) {
    {
      const std::lock_guard<std::mutex> lock(mpi_);
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(rank, kTagResult, MPI_COMM_WORLD, &flag, &status);
      if (flag != 0) {
        reply = receive_bytes(rank, kTagResult, status);
        received = true;
      }
    }
    if (!received) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  {
    const std::lock_guard<std::mutex> lock(ranks_);
    free_.push_back(rank);
  }
  rank_freed_.notify_one();
  json result = json::from_msgpack(reply);
  if (!result.at("ok").get<bool>()) {
    throw std::runtime_error("MPI rank " + std::to_string(rank) + ", genome " +
                             job.at("genome").get<std::string>() + ": " +
                             result.at("error").get<std::string>());
  }
  return result;
}

Evaluation Pool::evaluate(const std::string& role, const core::Genome& genome) const {
  const json r = call({{"kind", "evaluate"}, {"role", role}, {"genome", genome.to_compact()}});
  return evaluation_from_json(r.at("validation"));
}

std::pair<Evaluation, Evaluation> Pool::report(const std::string& role,
                                               const core::Genome& genome) const {
  const json r = call({{"kind", "report"}, {"role", role}, {"genome", genome.to_compact()}});
  return {evaluation_from_json(r.at("validation")), evaluation_from_json(r.at("test"))};
}

void serve(const std::map<std::string, const GenomeFitness*>& roles) {
  for (;;) {
    MPI_Status status;
    MPI_Probe(0, kTagJob, MPI_COMM_WORLD, &status);
    const json job = json::parse(receive_bytes(0, kTagJob, status));
    const std::string kind = job.at("kind").get<std::string>();
    if (kind == "stop") return;
    json result;
    try {
      const std::string role = job.at("role").get<std::string>();
      const auto found = roles.find(role);
      if (found == roles.end()) throw std::invalid_argument("unknown role '" + role + "'");
      const GenomeFitness& f = *found->second;
      const core::Genome genome = core::Genome::parse(f.layout(), job.at("genome"));
      if (kind == "evaluate") {
        result = {{"ok", true}, {"validation", to_json(f.evaluate(genome))}};
      } else {
        const GenomeFitness::Scores s = f.report(genome);
        result = {{"ok", true}, {"validation", to_json(s.validation)}, {"test", to_json(s.test)}};
      }
    } catch (const std::exception& e) {
      result = {{"ok", false}, {"error", e.what()}};
    }
    send_bytes(result_bytes(result), 0, kTagResult);
  }
}

#else  // no MPI in this build

namespace {
[[noreturn]] void unavailable() {
  throw std::runtime_error(
      "--evaluator mpi: this mpgru was built without MPI (install libopenmpi-dev and openmpi-bin, "
      "or run scripts/setup.sh, and rebuild)");
}
}  // namespace

bool available() {
  return false;
}
Session::Session() {
  unavailable();
}
Session::~Session() = default;
void Session::abort(int code) const {
  std::exit(code);
}
json broadcast_config(const json&) {
  unavailable();
}
Pool::Pool(int) {
  unavailable();
}
Pool::~Pool() = default;
Evaluation Pool::evaluate(const std::string&, const core::Genome&) const {
  unavailable();
}
std::pair<Evaluation, Evaluation> Pool::report(const std::string&, const core::Genome&) const {
  unavailable();
}
json Pool::call(const json&) const {
  unavailable();
}
void serve(const std::map<std::string, const GenomeFitness*>&) {
  unavailable();
}

#endif

}  // namespace mpgru::search::mpi

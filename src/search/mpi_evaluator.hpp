// The MPI batch evaluator (Open MPI): `mpirun -np N mpgru search ... --evaluator mpi`. Rank 0 runs
// NSGA-II and owns the run folder and the evaluation store; ranks 1..N-1 load the data set, the
// float model and the calibration once and evaluate the genomes rank 0 sends them, one at a time,
// a free rank taking the next genome (dynamic scheduling: rank 0 runs one dispatch thread per
// worker rank through pagmo's thread batch evaluator). Only genomes the store does not hold are
// sent; each result is stored on rank 0 as it arrives, so a job that ends (a rank killed: Open MPI
// then ends every rank) loses nothing finished, and `--resume` continues it with any number of
// ranks or with threads. A result depends only on the genome, the settings and the seed, never on
// the rank: for a seed the MPI and thread evaluators give the same front.
//
// Messages are byte strings: a job is JSON {"kind": "evaluate"|"report"|"stop", "role":
// "search"|"final", "genome": compact digits}; a result is MessagePack {"ok": true,
// "validation":
// {...}, "test": {...}} or {"ok": false, "error": text} (a worker's error stops the search with
// it). MPI is used from one thread at a time (MPI_THREAD_SERIALIZED): dispatch threads take a
// mutex around every MPI call and poll for their reply.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/genome_fitness.hpp"

namespace mpgru::search::mpi {

// True if this build has MPI (CMake found Open MPI); otherwise Session throws.
bool available();

// MPI_Init_thread / MPI_Finalize. Throws std::runtime_error if MPI is unavailable, the thread
// level is not provided, or there is no worker rank (fewer than 2 ranks).
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // Ends every rank of the job (MPI_Abort): for an error on rank 0 while workers wait.
  [[noreturn]] void abort(int code) const;

 private:
  int rank_ = 0;
  int size_ = 1;
};

// Rank 0 to every worker: the search config (JSON) they load from, or an empty object to stop
// before loading (rank 0 failed early). On a worker: returns what rank 0 sent.
nlohmann::json broadcast_config(const nlohmann::json& config);

// Rank 0's side: RemoteFitness over the worker ranks 1..size-1.
class Pool final : public RemoteFitness {
 public:
  explicit Pool(int size);
  ~Pool() override;  // sends every worker "stop"
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  Evaluation evaluate(const std::string& role, const core::Genome& genome) const override;
  std::pair<Evaluation, Evaluation> report(const std::string& role,
                                           const core::Genome& genome) const override;
  // Worker ranks: the dispatch threads rank 0 needs.
  unsigned workers() const { return workers_; }

 private:
  nlohmann::json call(const nlohmann::json& job) const;

  mutable std::mutex mpi_;  // one MPI call at a time
  mutable std::mutex ranks_;
  mutable std::condition_variable rank_freed_;
  mutable std::vector<int> free_;
  unsigned workers_ = 0;
};

// A worker rank's loop: receives jobs from rank 0 and answers each with the fitness of its role
// ("search", "final": GenomeFitness without a store) until "stop"; an unknown role is
// answered with an error.
void serve(const std::map<std::string, const GenomeFitness*>& roles);

// Evaluation <-> JSON (the result message's fields; `correct` as binary).
nlohmann::json to_json(const Evaluation& e);
Evaluation evaluation_from_json(const nlohmann::json& j);

}  // namespace mpgru::search::mpi

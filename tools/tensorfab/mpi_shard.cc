#include "mpi_shard.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#ifdef TFAB_HAVE_MPI
#include <mpi.h>
#endif

namespace tfab::cli {

namespace {

// Set by Open MPI's and PMIx's launchers in every process they start.
bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr;
}

}  // namespace

#ifdef TFAB_HAVE_MPI

MpiSession::MpiSession(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return;
  MPI_Init(&argc, &argv);
  started_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks_);
}

MpiSession::~MpiSession() {
  if (started_) MPI_Finalize();
}

dse::Shard MpiSession::shard() const {
  dse::Shard s;
  if (!started_) return s;
  s.rank = rank_;
  s.ranks = ranks_;
  const int ranks = ranks_, rank = rank_;
  // Sizes first, then the bytes, to rank 0 in rank order; the buffers live
  // on from chunk to chunk.
  struct Buffers {
    std::string all;
    std::vector<std::string> parts;
  };
  auto buffers = std::make_shared<Buffers>();
  s.gather = [ranks, rank, buffers](const std::string& bytes) -> const std::vector<std::string>& {
    uint64_t size = bytes.size();
    std::vector<uint64_t> sizes(static_cast<size_t>(ranks));
    MPI_Gather(&size, 1, MPI_UINT64_T, sizes.data(), 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    std::vector<int> counts(static_cast<size_t>(ranks)), offsets(static_cast<size_t>(ranks));
    int total = 0;
    for (size_t r = 0; r < sizes.size(); ++r) {
      counts[r] = static_cast<int>(sizes[r]);
      offsets[r] = total;
      total += counts[r];
    }
    buffers->all.resize(rank == 0 ? static_cast<size_t>(total) : 0);
    MPI_Gatherv(bytes.data(), static_cast<int>(size), MPI_CHAR, buffers->all.data(), counts.data(), offsets.data(),
                MPI_CHAR, 0, MPI_COMM_WORLD);
    buffers->parts.resize(rank == 0 ? static_cast<size_t>(ranks) : 0);
    for (size_t r = 0; r < buffers->parts.size(); ++r) {
      buffers->parts[r].assign(buffers->all, static_cast<size_t>(offsets[r]), static_cast<size_t>(counts[r]));
    }
    return buffers->parts;
  };
  s.broadcast = [](int64_t v) {
    MPI_Bcast(&v, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
    return v;
  };
  return s;
}

#else

MpiSession::MpiSession(int&, char**&) {}
MpiSession::~MpiSession() = default;
dse::Shard MpiSession::shard() const { return {}; }

#endif

}  // namespace tfab::cli

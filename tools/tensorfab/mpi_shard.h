#pragma once
// The ranks of an `mpirun -np N tensorfab sweep FILE` launch. Built with
// Open MPI (Debian's libopenmpi-dev) when CMake finds it; MPI starts only
// when mpirun launched the process, so a plain run needs no MPI at all.

#include "tensorfab/dse/run.h"

namespace tfab::cli {

class MpiSession {
 public:
  MpiSession(int& argc, char**& argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  // This process's share of a sweep: rank 0 of 1 without mpirun.
  [[nodiscard]] dse::Shard shard() const;
  [[nodiscard]] int rank() const { return rank_; }

 private:
  bool started_ = false;
  int rank_ = 0, ranks_ = 1;
};

}  // namespace tfab::cli

#pragma once
// The data shipped in data/, for tests and benchmarks that read it.

#include "tensorfab/config/load.h"
#include "tensorfab/core/version.h"

namespace tfab::testing {

inline const config::Catalog& shipped() {
  static const config::Catalog kCatalog(core::kSourceDataDir);
  return kCatalog;
}

}  // namespace tfab::testing

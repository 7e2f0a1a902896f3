#pragma once
// The data shipped in data/, for tests and benchmarks that read it.

#include <gtest/gtest.h>

#include <string>

#include "tensorfab/config/load.h"
#include "tensorfab/core/version.h"
#include "tensorfab/workload/model.h"

namespace tfab::testing {

inline const config::Catalog& shipped() {
  static const config::Catalog kCatalog(core::kSourceDataDir);
  return kCatalog;
}

// A shipped model; a load failure fails the test that asked for it.
inline workload::ModelSpec shipped_model(const std::string& id) {
  auto m = workload::load_model(shipped(), id);
  EXPECT_TRUE(m.ok()) << id << ": " << (m.ok() ? "" : m.errors().front().str());
  return m.ok() ? m.value() : workload::ModelSpec{};
}

}  // namespace tfab::testing

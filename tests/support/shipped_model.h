#pragma once
// Shipped models for GoogleTest tests.

#include <gtest/gtest.h>

#include <string>

#include "support/shipped.h"
#include "tensorfab/workload/model.h"

namespace tfab::testing {

// A shipped model; a load failure fails the test that asked for it.
inline workload::ModelSpec shipped_model(const std::string& id) {
  auto m = workload::load_model(shipped(), id);
  EXPECT_TRUE(m.ok()) << id << ": " << (m.ok() ? "" : m.errors().front().str());
  return m.ok() ? m.value() : workload::ModelSpec{};
}

}  // namespace tfab::testing

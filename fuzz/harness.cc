// One libFuzzer harness per input kind: the build names the kind
// (TFAB_FUZZ_KIND, "chip", "model", ...). A valid input whose outcome holds a
// non-finite number aborts, so libFuzzer keeps it as a crash; so do crashes,
// hangs, leaks and sanitizer reports.

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const auto kind = *tfab::fuzz::kind_named(TFAB_FUZZ_KIND);
  if (auto finding = tfab::fuzz::run_one(kind, {reinterpret_cast<const char*>(data), size})) {
    std::fprintf(stderr, "tensorfab fuzz finding (%s): %s\n", TFAB_FUZZ_KIND, finding->what.c_str());
    std::abort();
  }
  return 0;
}

// Compiled once as is (the control, which must compile) and once per case
// with -DTFAB_CASE_<NAME>, which must fail on the line right after its #ifdef.
// check_compile.cmake finds that line and checks the error points at it.
#include "tensorfab/core/units.h"

namespace tfab::core {
namespace {

using namespace literals;  // NOLINT(google-build-using-namespace)

Time transfer_time(Bytes size, Bandwidth bw) { return size / bw; }

[[maybe_unused]] void use() {
  // The dimensionally correct versions of every case below.
  [[maybe_unused]] Bytes b = 1_GB;
  [[maybe_unused]] auto sum = 1_GB + 1_MiB;
  [[maybe_unused]] Time t = transfer_time(80_GiB, 3.35_TBps);
  [[maybe_unused]] Time from_number = Time::from_base(1.5);
  [[maybe_unused]] double ms = t.in(1_ms);
  [[maybe_unused]] bool earlier = 1_ms < 1_s;
  [[maybe_unused]] Energy e = 700_W * 2_s;

#ifdef TFAB_CASE_BYTES_FROM_TIME
  [[maybe_unused]] Bytes bad = 1_s;
#endif
#ifdef TFAB_CASE_ADD_BYTES_TO_TIME
  [[maybe_unused]] auto bad = 1_GB + 1_s;
#endif
#ifdef TFAB_CASE_BANDWIDTH_FOR_BYTES
  [[maybe_unused]] Time bad = transfer_time(3.35_TBps, 3.35_TBps);
#endif
#ifdef TFAB_CASE_TIME_FROM_NUMBER
  [[maybe_unused]] Time bad = 1.5;
#endif
#ifdef TFAB_CASE_NUMBER_FROM_TIME
  [[maybe_unused]] double bad = 1_ms;
#endif
#ifdef TFAB_CASE_COMPARE_POWER_ENERGY
  [[maybe_unused]] bool bad = 700_W < 1_J;
#endif
#ifdef TFAB_CASE_ENERGY_FROM_POWER
  [[maybe_unused]] Energy bad = 700_W / 2_s;
#endif
}

}  // namespace
}  // namespace tfab::core

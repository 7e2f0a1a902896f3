#pragma once
// Collectives on a cluster's network, by the alpha-beta model: a message
// costs a latency (alpha) plus its bytes over the bandwidth achieved
// (beta). Each algorithm below is costed for the group's placement and the
// cheapest is chosen, as NCCL and XLA choose per size and group:
//
//   ring          one ring over the whole group: 2(g-1) steps for an
//                 all-reduce, every step at the slowest level crossed.
//   tree          NCCL's double binary tree, pipelined in chunks: depth
//                 log2(g), the chunk size chosen to minimise
//                 (depth + chunks - 1) x (alpha + chunk / bandwidth).
//   hierarchical  reduce-scatter inside each domain, then across domains on
//                 1/m of the data, level by level, and all-gather back (the
//                 two-level NCCL/Megatron scheme, any number of levels).
//   torus         on a torus level, one ring per dimension in turn (as on
//                 TPU ICI and Trainium NeuronLink), each on the data the
//                 previous dimensions left; a group that fills part of a
//                 dimension shares that dimension's links with the others.
//
// All-to-all sends (g-1)/g of each chip's buffer away, limited at each level
// by the share that leaves the domain (and on a torus by the mean hops);
// send/recv is one message at the level the pair crosses.
//
// Contention: a fat tree's traffic above its leaf switches gets its
// bandwidth over the taper (`oversubscription`); `sharing` divides every
// level's bandwidth among that many collectives running at once.

#include <cstdint>
#include <string_view>

#include "tensorfab/core/units.h"
#include "tensorfab/system/topology.h"
#include "tensorfab/workload/training.h"

namespace tfab::system {

enum class Algorithm { kRing, kTree, kHierarchical, kTorus, kAllToAll, kPointToPoint };
[[nodiscard]] std::string_view name(Algorithm a);

// A group of `size` chips, `stride` apart in the system's chip order (the
// order in which parallel layouts nest: tensor innermost).
struct Group {
  int64_t size = 1;
  int64_t stride = 1;
};

struct CollectiveTime {
  core::Time time;
  Algorithm algorithm = Algorithm::kRing;
  size_t level = 0;  // the outermost level the group crosses
};

// One collective of `bytes` per chip (the buffer reduced or gathered, as
// NCCL counts it; for all-to-all what each chip sends in all). The group
// must fit the system: stride x size <= system.chips().
[[nodiscard]] CollectiveTime collective_time(const System& system, workload::CollectiveKind kind,
                                             core::Bytes bytes, Group group, double sharing = 1);

}  // namespace tfab::system

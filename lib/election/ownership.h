// lib/election/ownership.h
//
// Provides per-address owner selection by rendezvous (highest random weight)
// hashing: every node that knows the same live nodes and the same eligible
// sets computes the same owners without talking, and a membership change moves
// only the addresses that must move (those of a node that left, and those a
// joining node now wins). Optional bounded-load spreading caps how many
// addresses one node owns at ceil(max_load_factor * addresses / nodes); it
// trades some extra movement for balance.
//
// The score is a fixed 64-bit hash of (node, address) that does not depend on
// the process, the build or the platform, so mixed versions agree.
//
// Thread-safety: pure functions; safe to call concurrently.
//
//   std::vector<AddressRequest> requests = {
//       {"192.168.1.240", {}, /*all_nodes_eligible=*/true},
//       {"192.168.1.241", {"node-a", "node-b"}, false}};
//   absl::StatusOr<OwnerMap> owners =
//       ComputeOwners(requests, {"node-a", "node-b", "node-c"}, {});
//   // (*owners)["192.168.1.240"].owner is one of the three nodes.

#ifndef LB_ELECTION_OWNERSHIP_H_
#define LB_ELECTION_OWNERSHIP_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb::election {

// The rendezvous score of `node` for `address`; the highest score wins.
uint64_t RendezvousScore(absl::string_view node, absl::string_view address);

// An immutable list of node names. Copies share one allocation, so a single
// list can back the requests of thousands of addresses (typically every
// address of a Cluster-policy Service has the same eligible nodes).
class NodeList {
 public:
  NodeList() = default;
  NodeList(std::initializer_list<std::string> names)
      : NodeList(std::vector<std::string>(names)) {}
  // Implicit, so a vector of names can be assigned where a list is expected.
  NodeList(std::vector<std::string> names)  // NOLINT(runtime/explicit)
      : names_(names.empty() ? nullptr
                             : std::make_shared<const std::vector<std::string>>(
                                   std::move(names))) {}

  const std::string* begin() const { return names_ ? names_->data() : nullptr; }
  const std::string* end() const { return begin() + size(); }
  size_t size() const { return names_ ? names_->size() : 0; }
  bool empty() const { return size() == 0; }

  friend bool operator==(const NodeList& a, const NodeList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator!=(const NodeList& a, const NodeList& b) {
    return !(a == b);
  }

 private:
  std::shared_ptr<const std::vector<std::string>> names_;
};

// One address and the nodes the controller says may announce it.
struct AddressRequest {
  std::string address;
  // Nodes eligible for the address (e.g. nodes with a ready endpoint for an
  // externalTrafficPolicy=Local Service). Ignored if all_nodes_eligible.
  NodeList eligible;
  // Every live node is eligible (externalTrafficPolicy=Cluster).
  bool all_nodes_eligible = false;
};

struct OwnershipOptions {
  // 0 disables bounded load. Otherwise >= 1.0: no node owns more than
  // ceil(max_load_factor * A / N) addresses, where A counts addresses with at
  // least one live eligible node and N the live nodes, unless all eligible
  // nodes of an address are full.
  double max_load_factor = 0;
};

// Why an owner was chosen.
enum class OwnerReason {
  kHighestScore,        // The eligible live node with the highest score.
  kSpreadForLoad,       // Higher-scored eligible nodes were at capacity.
  kAllEligibleFull,     // Every eligible node was at capacity; top score won.
  kNoEligibleLiveNode,  // No owner: no eligible node is live.
};

absl::string_view OwnerReasonName(OwnerReason reason);

struct OwnerDecision {
  std::string owner;  // Empty iff reason == kNoEligibleLiveNode.
  OwnerReason reason = OwnerReason::kNoEligibleLiveNode;
  // Position of `owner` in the address's score ranking over live eligible
  // nodes (0 = highest score).
  int rank = 0;
};

// Address -> decision, for every requested address, in address order. A
// B-tree: a speaker holds one entry per address of the cluster.
using OwnerMap = absl::btree_map<std::string, OwnerDecision>;

// Chooses an owner for every address among `live_nodes`.
// kInvalidArgument: a duplicate or empty address, an empty or duplicate live
// node name, or max_load_factor in (0, 1) or negative.
absl::StatusOr<OwnerMap> ComputeOwners(
    const std::vector<AddressRequest>& requests,
    const std::vector<std::string>& live_nodes,
    const OwnershipOptions& options);

}  // namespace lb::election

#endif  // LB_ELECTION_OWNERSHIP_H_

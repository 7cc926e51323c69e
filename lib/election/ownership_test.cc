#include "lib/election/ownership.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

std::vector<std::string> Nodes(int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(absl::StrCat("node-", i));
  return out;
}

std::vector<AddressRequest> AllEligible(int n) {
  std::vector<AddressRequest> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(
        {absl::StrCat("10.", i / 65536, ".", (i / 256) % 256, ".", i % 256),
         {},
         true});
  }
  return out;
}

std::map<std::string, int> Loads(const OwnerMap& m) {
  std::map<std::string, int> loads;
  for (const auto& [addr, d] : m) ++loads[d.owner];
  return loads;
}

TEST_CASE("a node list is shared by its copies and compared by its names") {
  NodeList a = {"node-a", "node-b"};
  NodeList b = a;
  CHECK(b.begin() == a.begin());
  CHECK(b.size() == 2);
  CHECK(a == NodeList(std::vector<std::string>{"node-a", "node-b"}));
  CHECK(a != NodeList{"node-a"});
  NodeList empty;
  CHECK(empty.empty());
  CHECK(empty.begin() == empty.end());
  CHECK(empty == NodeList(std::vector<std::string>{}));
}

TEST_CASE("the score is a fixed function of node and address") {
  // These values must never change: nodes of different builds must agree.
  CHECK(RendezvousScore("node-a", "192.168.1.240") ==
        RendezvousScore("node-a", "192.168.1.240"));
  CHECK(RendezvousScore("node-a", "192.168.1.240") !=
        RendezvousScore("node-b", "192.168.1.240"));
  CHECK(RendezvousScore("node-a", "192.168.1.240") !=
        RendezvousScore("node-a", "192.168.1.241"));
  // Reference values computed independently from the definition
  // Mix(Mix(FNV1a64(node)) ^ FNV1a64(address)) with the splitmix64 finaliser.
  CHECK(RendezvousScore("node-a", "192.168.1.240") == 3699565849356174644ull);
  CHECK(RendezvousScore("node-b", "10.0.0.1") == 0x3486b29d03f01586ull);
}

TEST_CASE("owners do not depend on input order") {
  auto nodes = Nodes(7);
  auto requests = AllEligible(500);
  ASSIGN_OR_FAIL(OwnerMap a, ComputeOwners(requests, nodes, {}));
  std::mt19937 rng(3);
  std::shuffle(nodes.begin(), nodes.end(), rng);
  std::shuffle(requests.begin(), requests.end(), rng);
  ASSIGN_OR_FAIL(OwnerMap b, ComputeOwners(requests, nodes, {}));
  for (const auto& [addr, d] : a) {
    CHECK(b[addr].owner == d.owner);
    CHECK(d.reason == OwnerReason::kHighestScore);
  }
  OwnershipOptions bounded{1.25};
  ASSIGN_OR_FAIL(OwnerMap c, ComputeOwners(requests, nodes, bounded));
  std::shuffle(nodes.begin(), nodes.end(), rng);
  std::shuffle(requests.begin(), requests.end(), rng);
  ASSIGN_OR_FAIL(OwnerMap d, ComputeOwners(requests, nodes, bounded));
  for (const auto& [addr, dec] : c) CHECK(d[addr].owner == dec.owner);
}

TEST_CASE("only eligible live nodes own; none eligible means no owner") {
  std::vector<AddressRequest> requests = {
      {"192.168.1.240", {"node-1", "node-2"}, false},
      {"192.168.1.241", {"node-9"}, false},
      {"192.168.1.242", {}, false},
  };
  ASSIGN_OR_FAIL(OwnerMap m, ComputeOwners(requests, Nodes(3), {}));
  CHECK((m["192.168.1.240"].owner == "node-1" ||
         m["192.168.1.240"].owner == "node-2"));
  CHECK(m["192.168.1.241"].owner.empty());
  CHECK(m["192.168.1.241"].reason == OwnerReason::kNoEligibleLiveNode);
  CHECK(m["192.168.1.242"].owner.empty());
  CHECK(OwnerReasonName(m["192.168.1.242"].reason) == "no-eligible-live-node");
}

TEST_CASE("a node leaving moves only its own addresses") {
  auto nodes = Nodes(10);
  auto requests = AllEligible(5000);
  ASSIGN_OR_FAIL(OwnerMap before, ComputeOwners(requests, nodes, {}));
  nodes.erase(nodes.begin() + 4);
  ASSIGN_OR_FAIL(OwnerMap after, ComputeOwners(requests, nodes, {}));
  int moved = 0;
  for (const auto& [addr, d] : before) {
    if (d.owner != "node-4") {
      CHECK(after[addr].owner == d.owner);
    } else {
      CHECK(after[addr].owner != "node-4");
      ++moved;
    }
  }
  CHECK(moved > 0);
  // The departed node's addresses spread over the survivors.
  std::map<std::string, int> gained;
  for (const auto& [addr, d] : before) {
    if (d.owner == "node-4") ++gained[after[addr].owner];
  }
  CHECK(gained.size() == 9);
}

TEST_CASE("a node joining takes only addresses it now wins") {
  auto nodes = Nodes(9);
  auto requests = AllEligible(5000);
  ASSIGN_OR_FAIL(OwnerMap before, ComputeOwners(requests, nodes, {}));
  nodes.push_back("node-new");
  ASSIGN_OR_FAIL(OwnerMap after, ComputeOwners(requests, nodes, {}));
  int moved = 0;
  for (const auto& [addr, d] : before) {
    if (after[addr].owner != d.owner) {
      CHECK(after[addr].owner == "node-new");
      ++moved;
    }
  }
  // About 1/10 of the addresses.
  CHECK(moved > 350);
  CHECK(moved < 650);
}

TEST_CASE("plain rendezvous spreads roughly evenly") {
  ASSIGN_OR_FAIL(OwnerMap m, ComputeOwners(AllEligible(10000), Nodes(10), {}));
  for (const auto& entry : Loads(m)) {
    const int load = entry.second;
    INFO(entry.first, " owns ", load);
    CHECK(load > 850);
    CHECK(load < 1150);
  }
}

TEST_CASE("bounded load caps the largest owner") {
  // With 100 addresses per node on average, plain hashing overshoots the
  // 5% bound on at least one node; bounded load must not.
  auto nodes = Nodes(4);
  std::vector<AddressRequest> requests = AllEligible(400);
  ASSIGN_OR_FAIL(OwnerMap plain, ComputeOwners(requests, nodes, {}));
  ASSIGN_OR_FAIL(OwnerMap bounded, ComputeOwners(requests, nodes, {1.05}));
  const int cap = static_cast<int>(std::ceil(1.05 * 400 / 4));
  int plain_max = 0;
  for (const auto& [n, l] : Loads(plain)) plain_max = std::max(plain_max, l);
  for (const auto& [n, l] : Loads(bounded)) CHECK(l <= cap);
  CHECK(plain_max > cap);  // The bound did something.
  int spread = 0;
  for (const auto& [addr, d] : bounded) {
    if (d.reason == OwnerReason::kSpreadForLoad) {
      ++spread;
      CHECK(d.rank > 0);
      CHECK(d.owner != plain[addr].owner);
    } else {
      CHECK(d.owner == plain[addr].owner);
    }
  }
  CHECK(spread > 0);
}

TEST_CASE(
    "bounded load: an address whose eligible nodes are full still gets "
    "an owner") {
  std::vector<AddressRequest> requests;
  for (int i = 0; i < 10; ++i) {
    requests.push_back({absl::StrCat("10.0.0.", i), {"node-0"}, false});
  }
  ASSIGN_OR_FAIL(OwnerMap m, ComputeOwners(requests, Nodes(5), {1.0}));
  int full = 0;
  for (const auto& [addr, d] : m) {
    CHECK(d.owner == "node-0");
    if (d.reason == OwnerReason::kAllEligibleFull) ++full;
  }
  CHECK(full == 8);  // Capacity ceil(10 / 5) = 2.
}

TEST_CASE("bad input is rejected by name") {
  CHECK_STATUS(ComputeOwners(AllEligible(2), {"a", "a"}, {}),
               absl::StatusCode::kInvalidArgument, "duplicate live node");
  CHECK_STATUS(ComputeOwners(AllEligible(2), {"a", ""}, {}),
               absl::StatusCode::kInvalidArgument, "empty live node");
  std::vector<AddressRequest> dup = {{"x", {}, true}, {"x", {}, true}};
  CHECK_STATUS(ComputeOwners(dup, {"a"}, {}),
               absl::StatusCode::kInvalidArgument, "duplicate address");
  CHECK_STATUS(ComputeOwners(AllEligible(2), {"a"}, {0.5}),
               absl::StatusCode::kInvalidArgument, "max_load_factor");
}

}  // namespace
}  // namespace lb::election

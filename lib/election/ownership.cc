#include "lib/election/ownership.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace lb::election {
namespace {

// FNV-1a, 64 bit.
uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// The splitmix64 finaliser: a bijective avalanche mix.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t Combine(uint64_t node_hash, uint64_t address_hash) {
  return Mix(Mix(node_hash) ^ address_hash);
}

struct Candidate {
  uint64_t score;
  int node;  // Index into live_nodes.
};

}  // namespace

uint64_t RendezvousScore(absl::string_view node, absl::string_view address) {
  return Combine(Fnv1a(node), Fnv1a(address));
}

absl::string_view OwnerReasonName(OwnerReason reason) {
  switch (reason) {
    case OwnerReason::kHighestScore:
      return "highest-score";
    case OwnerReason::kSpreadForLoad:
      return "spread-for-load";
    case OwnerReason::kAllEligibleFull:
      return "all-eligible-full";
    case OwnerReason::kNoEligibleLiveNode:
      return "no-eligible-live-node";
  }
  return "unknown";
}

absl::StatusOr<OwnerMap> ComputeOwners(
    const std::vector<AddressRequest>& requests,
    const std::vector<std::string>& live_nodes,
    const OwnershipOptions& options) {
  if (options.max_load_factor < 0 ||
      (options.max_load_factor > 0 && options.max_load_factor < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_load_factor must be 0 (off) or >= 1, got ",
                     options.max_load_factor));
  }
  absl::flat_hash_map<absl::string_view, int> node_index;
  std::vector<uint64_t> node_hash;
  node_hash.reserve(live_nodes.size());
  for (const std::string& n : live_nodes) {
    if (n.empty()) return absl::InvalidArgumentError("empty live node name");
    if (!node_index.emplace(n, static_cast<int>(node_hash.size())).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate live node \"", n, "\""));
    }
    node_hash.push_back(Fnv1a(n));
  }
  {
    absl::flat_hash_set<absl::string_view> seen;
    for (const AddressRequest& r : requests) {
      if (r.address.empty()) {
        return absl::InvalidArgumentError("empty address in request");
      }
      if (!seen.insert(r.address).second) {
        return absl::InvalidArgumentError(
            absl::StrCat("duplicate address \"", r.address, "\""));
      }
    }
  }

  // Per address: live eligible candidates, best first.
  struct Work {
    const AddressRequest* request;
    uint64_t address_hash;
    std::vector<Candidate> ranked;
  };
  std::vector<Work> work;
  work.reserve(requests.size());
  OwnerMap out;
  int assignable = 0;
  const bool bounded = options.max_load_factor > 0;
  for (const AddressRequest& r : requests) {
    Work w{&r, Fnv1a(r.address), {}};
    auto consider = [&](int idx) {
      w.ranked.push_back({Combine(node_hash[idx], w.address_hash), idx});
    };
    if (r.all_nodes_eligible) {
      for (int i = 0; i < static_cast<int>(live_nodes.size()); ++i) {
        consider(i);
      }
    } else {
      for (const std::string& n : r.eligible) {
        auto it = node_index.find(n);
        if (it != node_index.end()) consider(it->second);
      }
    }
    auto better = [&](const Candidate& a, const Candidate& b) {
      if (a.score != b.score) return a.score > b.score;
      return live_nodes[a.node] < live_nodes[b.node];
    };
    // Remove duplicates from a repeated eligible name.
    std::sort(w.ranked.begin(), w.ranked.end(), better);
    w.ranked.erase(std::unique(w.ranked.begin(), w.ranked.end(),
                               [](const Candidate& a, const Candidate& b) {
                                 return a.node == b.node;
                               }),
                   w.ranked.end());
    if (w.ranked.empty()) {
      out[r.address] = OwnerDecision{};
      continue;
    }
    ++assignable;
    if (!bounded) {
      out[r.address] = OwnerDecision{live_nodes[w.ranked[0].node],
                                     OwnerReason::kHighestScore, 0};
      continue;
    }
    work.push_back(std::move(w));
  }
  if (!bounded) return out;

  const int capacity =
      static_cast<int>(std::ceil(options.max_load_factor * assignable /
                                 std::max<size_t>(1, live_nodes.size())));
  // A fixed order independent of the request order, so every node agrees.
  std::sort(work.begin(), work.end(), [](const Work& a, const Work& b) {
    if (a.address_hash != b.address_hash) {
      return a.address_hash < b.address_hash;
    }
    return a.request->address < b.request->address;
  });
  std::vector<int> load(live_nodes.size(), 0);
  for (const Work& w : work) {
    OwnerDecision d;
    int chosen = -1;
    for (size_t rank = 0; rank < w.ranked.size(); ++rank) {
      const int node = w.ranked[rank].node;
      if (load[node] < capacity) {
        chosen = node;
        d = {live_nodes[node],
             rank == 0 ? OwnerReason::kHighestScore
                       : OwnerReason::kSpreadForLoad,
             static_cast<int>(rank)};
        break;
      }
    }
    if (chosen < 0) {
      chosen = w.ranked[0].node;
      d = {live_nodes[chosen], OwnerReason::kAllEligibleFull, 0};
    }
    ++load[chosen];
    out[w.request->address] = std::move(d);
  }
  return out;
}

}  // namespace lb::election

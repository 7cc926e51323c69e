#include "tests/sim/election/sim_cluster.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lb::election::sim {

SkewedClock::SkewedClock(SimulatedClock& base, double rate)
    : base_(base), mono_origin_(base.Monotonic()), rate_(rate) {}

absl::Time SkewedClock::Now() {
  return base_.Now() + (base_.Monotonic() - mono_origin_) * (rate_ - 1);
}

MonoTime SkewedClock::Monotonic() {
  return mono_origin_ + (base_.Monotonic() - mono_origin_) * rate_;
}

MonoTime SkewedClock::ToBase(MonoTime t) const {
  if (t == MonoTime::InfiniteFuture() || t == MonoTime::InfinitePast()) {
    return t;
  }
  return mono_origin_ + (t - mono_origin_) / rate_;
}

void SkewedClock::SleepUntil(MonoTime deadline) {
  base_.SleepUntil(ToBase(deadline));
}

bool SkewedClock::AwaitWithDeadline(absl::Mutex* mu,
                                    const absl::Condition& cond,
                                    MonoTime deadline) {
  return base_.AwaitWithDeadline(mu, cond, ToBase(deadline));
}

absl::StatusOr<Lease> NodeStore::Get(absl::string_view ns,
                                     absl::string_view name) {
  if (!reachable_) return absl::UnavailableError("store unreachable");
  return base_.Get(ns, name);
}
absl::StatusOr<Lease> NodeStore::Create(const Lease& lease) {
  if (!reachable_) return absl::UnavailableError("store unreachable");
  return base_.Create(lease);
}
absl::StatusOr<Lease> NodeStore::Update(const Lease& lease) {
  if (!reachable_) return absl::UnavailableError("store unreachable");
  return base_.Update(lease);
}
absl::StatusOr<std::vector<Lease>> NodeStore::List(
    absl::string_view ns, absl::string_view name_prefix) {
  if (!reachable_) return absl::UnavailableError("store unreachable");
  return base_.List(ns, name_prefix);
}

SimCluster::SimCluster(SimConfig config)
    : config_(std::move(config)),
      rng_(config_.seed),
      clock_(absl::FromUnixSeconds(1700000000)),
      network_(clock_, config_.seed ^ 0x5eed),
      start_(clock_.Monotonic()) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < config_.nodes; ++i) {
    Node n;
    n.name = absl::StrCat("node-", i < 10 ? "0" : "", i);
    const double rate = 1.0 + config_.max_rate_skew * (2 * unit(rng_) - 1.0);
    n.clock = std::make_unique<SkewedClock>(clock_, rate);
    n.store = std::make_unique<NodeStore>(store_);
    nodes_.push_back(std::move(n));
  }
  for (int a = 0; a < config_.addresses; ++a) {
    AddressRequest r;
    r.address = absl::StrCat("10.0.", a / 256, ".", a % 256);
    if (unit(rng_) < config_.restricted_fraction) {
      std::vector<std::string> eligible;
      for (const Node& n : nodes_) {
        if (unit(rng_) < 0.5) eligible.push_back(n.name);
      }
      r.eligible = std::move(eligible);
    } else {
      r.all_nodes_eligible = true;
    }
    requests_.push_back(std::move(r));
  }
}

SimCluster::~SimCluster() {
  for (Node& n : nodes_) {
    n.membership.reset();
    n.transport.reset();
  }
}

void SimCluster::StartAll() {
  for (int i = 0; i < size(); ++i) Start(i);
}

void SimCluster::Start(int i) {
  Node& n = nodes_[i];
  if (n.membership) return;
  n.transport = network_.Attach(n.name);
  MembershipOptions o = config_.membership;
  o.node = n.name;
  if (o.hmac_key.empty()) o.hmac_key = "simulation-cluster-key";
  o.on_claims_changed = [this, name = n.name,
                         chained = config_.membership.on_claims_changed](
                            const std::vector<std::string>& claimed) {
    Trace(absl::StrCat(name, " claims ", absl::StrJoin(claimed, ",")));
    if (chained) chained(claimed);
  };
  Trace(absl::StrCat("start ", n.name));
  auto m = Membership::Create(*n.store, *n.transport, *n.clock, o);
  if (!m.ok()) {
    violations_.push_back(
        absl::StrCat("create ", n.name, ": ", m.status().ToString()));
    return;
  }
  n.membership = std::move(*m);
  n.next_network = MonoTime::InfinitePast();
  n.next_store = MonoTime::InfinitePast();
  (void)n.membership->SetAddresses(requests_);
}

void SimCluster::Trace(absl::string_view what) {
  trace_.push_back(absl::StrCat(
      "+", absl::FormatDuration(clock_.Monotonic() - start_), " ", what));
}

void SimCluster::Crash(int i) {
  if (nodes_[i].membership) Trace(absl::StrCat("crash ", nodes_[i].name));
  nodes_[i].membership.reset();
  nodes_[i].transport.reset();
}

void SimCluster::Leave(int i) {
  if (!nodes_[i].membership) return;
  Trace(absl::StrCat("leave ", nodes_[i].name));
  (void)nodes_[i].membership->Leave();
  Crash(i);
}

void SimCluster::Partition(
    const std::vector<std::vector<std::string>>& groups) {
  std::vector<std::string> parts;
  for (const auto& g : groups) parts.push_back(absl::StrJoin(g, ","));
  Trace(absl::StrCat("partition [", absl::StrJoin(parts, "] ["), "]"));
  network_.Partition(groups);
}
void SimCluster::Heal() {
  Trace("heal");
  network_.Heal();
}
void SimCluster::SetLoss(double p) {
  Trace(absl::StrCat("loss ", p));
  network_.SetLoss(p);
}
void SimCluster::SetDelay(absl::Duration min, absl::Duration max) {
  Trace(absl::StrCat("delay ", absl::FormatDuration(min), "..",
                     absl::FormatDuration(max)));
  delay_max_ = max;
  network_.SetDelay(min, max);
}
void SimCluster::SetStoreAvailable(bool available) {
  Trace(available ? "store up" : "store down");
  store_.SetAvailable(available);
}
void SimCluster::SetStoreReachable(int i, bool reachable) {
  Trace(absl::StrCat(nodes_[i].name, reachable ? " reaches" : " loses",
                     " the store"));
  nodes_[i].store->set_reachable(reachable);
}

absl::Duration SimCluster::DuplicateBound() const {
  MembershipOptions o = config_.membership;
  const absl::Duration base = o.suspect_timeout + o.heartbeat_interval +
                              delay_max_ + 2 * o.poll_interval;
  return base * (1 + 2 * config_.max_rate_skew) + 2 * config_.tick;
}

void SimCluster::Step() {
  clock_.AdvanceTime(config_.tick);
  for (Node& n : nodes_) {
    if (!n.membership) continue;
    if (n.clock->Monotonic() >= n.next_store) {
      n.next_store = n.membership->PollStore();
    }
    // A deadline already passed: a check that never blocks.
    const absl::StatusOr<bool> ready =
        n.transport->WaitReadable(MonoTime::InfinitePast());
    if ((ready.ok() && *ready) || n.clock->Monotonic() >= n.next_network) {
      n.next_network = n.membership->PollNetwork();
    }
  }
  if (!config_.check_every_step) return;
  const MonoTime now = clock_.Monotonic();
  const absl::Duration bound = DuplicateBound();
  // Fast path: count claims per address without building names.
  std::vector<std::vector<std::string>> claimed;
  size_t total = 0;
  for (const Node& n : nodes_) {
    if (!n.membership) continue;
    claimed.push_back(n.membership->Claimed());
    total += claimed.back().size();
  }
  bool any_duplicate = false;
  if (total > requests_.size()) {
    any_duplicate = true;
  } else {
    std::vector<std::string> all;
    all.reserve(total);
    for (auto& c : claimed) all.insert(all.end(), c.begin(), c.end());
    std::sort(all.begin(), all.end());
    any_duplicate = std::adjacent_find(all.begin(), all.end()) != all.end();
  }
  if (!any_duplicate) {
    duplicate_since_.clear();
    return;
  }
  for (const auto& [addr, claimers] : Claims()) {
    if (claimers.size() <= 1) {
      duplicate_since_.erase(addr);
      continue;
    }
    auto [it, inserted] = duplicate_since_.emplace(addr, now);
    const absl::Duration lasted = now - it->second;
    longest_duplicate_ = std::max(longest_duplicate_, lasted);
    if (lasted > bound) {
      violations_.push_back(absl::StrCat(
          absl::FormatTime(clock_.Now()), ": ", addr, " claimed by ",
          absl::StrJoin(claimers, ","), " for ", absl::FormatDuration(lasted),
          " > bound ", absl::FormatDuration(bound)));
      it->second = now;  // Report once per bound.
    }
  }
}

void SimCluster::RunFor(absl::Duration d) {
  const MonoTime end = clock_.Monotonic() + d;
  while (clock_.Monotonic() < end) Step();
}

std::map<std::string, std::vector<std::string>> SimCluster::Claims() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const AddressRequest& r : requests_) out[r.address];
  for (const Node& n : nodes_) {
    if (!n.membership) continue;
    for (const std::string& a : n.membership->Claimed()) {
      out[a].push_back(n.name);
    }
  }
  return out;
}

std::map<std::string, std::string> SimCluster::Owners() const {
  std::map<std::string, std::string> out;
  for (const auto& [a, c] : Claims()) out[a] = c.size() == 1 ? c[0] : "";
  return out;
}

std::vector<std::string> SimCluster::UpNodes() const {
  std::vector<std::string> out;
  for (const Node& n : nodes_) {
    if (n.membership) out.push_back(n.name);
  }
  return out;
}

std::vector<std::string> SimCluster::CheckConverged(bool exact) const {
  std::vector<std::string> problems;
  absl::StatusOr<OwnerMap> expected =
      ComputeOwners(requests_, UpNodes(), config_.membership.ownership);
  if (!expected.ok()) return {expected.status().ToString()};
  const auto claims = Claims();
  for (const auto& [addr, decision] : *expected) {
    const std::vector<std::string>& c = claims.at(addr);
    if (decision.owner.empty()) {
      if (!c.empty()) {
        problems.push_back(absl::StrCat(addr, " has no eligible running node ",
                                        "but is claimed by ",
                                        absl::StrJoin(c, ",")));
      }
      continue;
    }
    if (c.size() != 1) {
      problems.push_back(absl::StrCat(addr, " claimed by [",
                                      absl::StrJoin(c, ","), "], want one"));
    } else if (exact && c[0] != decision.owner) {
      problems.push_back(absl::StrCat(
          addr, " owned by ", c[0], ", rendezvous owner is ", decision.owner));
    }
  }
  return problems;
}

}  // namespace lb::election::sim

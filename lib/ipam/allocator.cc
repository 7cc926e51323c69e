#include "lib/ipam/allocator.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/ipam/occupancy.h"

namespace lb::ipam {
namespace {

int FamilyIndex(IpFamily f) { return f == IpFamily::kV4 ? 0 : 1; }
IpFamily OtherFamily(IpFamily f) {
  return f == IpFamily::kV4 ? IpFamily::kV6 : IpFamily::kV4;
}

std::string Quote(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// The compatibility class of a service for sharing: Cluster services share with
// each other; Local services only with the same backend.
std::string BackendKey(const Request& r) {
  return r.traffic_policy == TrafficPolicy::kLocal
             ? absl::StrCat("local:", r.backend)
             : std::string();
}

std::string DescribeBackend(absl::string_view key) {
  if (key.empty()) return "externalTrafficPolicy Cluster";
  return absl::StrCat("externalTrafficPolicy Local with selector \"",
                      key.substr(6), "\"");
}

using Families = absl::InlinedVector<IpFamily, 2>;

// The families a request needs, as alternatives in order of preference.
absl::InlinedVector<Families, 2> FamilyChoices(const Request& r) {
  IpFamily first = r.families.empty() ? IpFamily::kV4 : r.families[0];
  IpFamily second = OtherFamily(first);
  for (IpFamily f : r.families) {
    if (f != first) second = f;
  }
  switch (r.family_policy) {
    case IpFamilyPolicy::kSingleStack:
      return {Families{first}};
    case IpFamilyPolicy::kRequireDualStack:
      return {Families{first, second}};
    case IpFamilyPolicy::kPreferDualStack:
      return {Families{first, second}, Families{first}};
  }
  return {Families{first}};
}

std::string FamiliesText(const Families& fs) {
  std::vector<absl::string_view> names;
  for (IpFamily f : fs) names.push_back(FamilyName(f));
  return absl::StrJoin(names, " and ");
}

}  // namespace

struct Allocator::Sharing {
  std::string key;
  std::string backend;
  std::vector<ServicePort> ports;
};

struct Allocator::ServiceRecord {
  uint32_t pool = 0;
  absl::InlinedVector<IpAddress, 1> addresses;
  // Set only for services with a sharing key.
  std::unique_ptr<Sharing> sharing;
};

struct Allocator::AddressRecord {
  // Keys of services_ holding the address (several when shared).
  absl::InlinedVector<const std::string*, 1> owners;
};

struct Allocator::PoolState {
  explicit PoolState(const Pool& p) : space(p), occupied(space) {}
  PoolSpace space;
  // Addresses in use or held down.
  Occupancy occupied;
  absl::uint128 in_use[2] = {0, 0};
  absl::uint128 held[2] = {0, 0};
};

struct Allocator::Choice {
  size_t pool = 0;
  absl::InlinedVector<IpAddress, 2> addresses;
};

Assignment Allocator::ToAssignment(const Choice& c) const {
  return Assignment{pools_[c.pool]->space.pool().name,
                    {c.addresses.begin(), c.addresses.end()}};
}

Allocator::Allocator(Clock& clock, AllocatorOptions options)
    : clock_(clock),
      options_(options),
      held_(options.hold_down),
      previous_(options.remember_previous) {}

Allocator::~Allocator() = default;

// ---------------------------------------------------------------------------
// Config

std::optional<size_t> Allocator::PoolIndexOf(const IpAddress& a) const {
  auto it = std::upper_bound(
      range_index_.begin(), range_index_.end(), a,
      [](const IpAddress& x, const std::pair<IpRange, size_t>& r) {
        return x < r.first.first();
      });
  if (it == range_index_.begin()) return std::nullopt;
  --it;
  if (!it->first.Contains(a)) return std::nullopt;
  return it->second;
}

absl::Status Allocator::SetConfig(const Config& config) {
  std::vector<std::unique_ptr<PoolState>> pools;
  std::vector<std::pair<IpRange, size_t>> index;
  absl::flat_hash_map<std::string, size_t> names;
  for (const Pool& p : config.pools) {
    if (p.name.empty()) return absl::InvalidArgumentError("a pool has no name");
    if (!names.emplace(p.name, pools.size()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate pool ", Quote(p.name)));
    }
    for (const IpRange& r : p.ranges) index.emplace_back(r, pools.size());
    pools.push_back(std::make_unique<PoolState>(p));
  }
  std::sort(index.begin(), index.end(), [](const auto& a, const auto& b) {
    return a.first.first() < b.first.first();
  });
  for (size_t i = 1; i < index.size(); ++i) {
    if (index[i - 1].first.Overlaps(index[i].first)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "range ", Quote(index[i].first.ToString()), " of pool ",
          Quote(pools[index[i].second]->space.pool().name), " overlaps ",
          Quote(index[i - 1].first.ToString()), " of pool ",
          Quote(pools[index[i - 1].second]->space.pool().name)));
    }
  }
  auto find_pool = [&](const IpAddress& a) -> std::optional<size_t> {
    auto it = std::upper_bound(
        index.begin(), index.end(), a,
        [](const IpAddress& x, const std::pair<IpRange, size_t>& r) {
          return x < r.first.first();
        });
    if (it == index.begin()) return std::nullopt;
    --it;
    if (!it->first.Contains(a) || !pools[it->second]->space.IsUsable(a))
      return std::nullopt;
    return it->second;
  };

  // Every address in use must keep a pool.
  std::vector<std::string> orphans;
  std::vector<std::pair<IpAddress, size_t>> placed;
  placed.reserve(addresses_.size());
  for (const auto& [address, record] : addresses_) {
    std::optional<size_t> p = find_pool(address);
    if (!p) {
      for (const std::string* owner : record.owners) {
        orphans.push_back(
            absl::StrCat("service ", Quote(*owner), " cannot own ",
                         Quote(address.ToString()), " under new config"));
      }
      continue;
    }
    placed.emplace_back(address, *p);
  }
  // A service's addresses share one pool: the assignment names one pool, and
  // re-learning refuses addresses from two.
  std::vector<std::pair<ServiceRecord*, uint32_t>> service_pools;
  service_pools.reserve(services_.size());
  for (auto& [service, record] : services_) {
    if (record.addresses.empty()) continue;
    std::optional<size_t> first = find_pool(record.addresses[0]);
    if (!first) continue;  // an orphan, named above
    service_pools.emplace_back(&record, static_cast<uint32_t>(*first));
    for (size_t i = 1; i < record.addresses.size(); ++i) {
      std::optional<size_t> other = find_pool(record.addresses[i]);
      if (!other || *other == *first) continue;
      orphans.push_back(
          absl::StrCat("service ", Quote(service), " cannot keep ",
                       Quote(record.addresses[0].ToString()), " and ",
                       Quote(record.addresses[i].ToString()),
                       " under new config: they would be in pools ",
                       Quote(pools[*first]->space.pool().name), " and ",
                       Quote(pools[*other]->space.pool().name),
                       ", and a service's addresses share one pool"));
    }
  }
  if (!orphans.empty()) {
    std::sort(orphans.begin(), orphans.end());
    return absl::FailedPreconditionError(absl::StrCat(
        "configuration rejected: new config not compatible with assigned IPs: ",
        absl::StrJoin(orphans, "; ")));
  }

  // Commit: rebuild occupancy in the new pools, in address order. From here on
  // the members hold the new config.
  pools_ = std::move(pools);
  range_index_ = std::move(index);
  has_config_ = true;
  auto usable_pool = [this](const IpAddress& a) -> std::optional<size_t> {
    std::optional<size_t> p = PoolIndexOf(a);
    if (!p || !pools_[*p]->space.IsUsable(a)) return std::nullopt;
    return p;
  };
  std::sort(placed.begin(), placed.end());
  for (const auto& [address, p] : placed) {
    pools_[p]->occupied.Mark(address);
    ++pools_[p]->in_use[FamilyIndex(address.family())];
  }
  for (const auto& [record, pool] : service_pools) record->pool = pool;
  // Held addresses stay held where they still belong to a pool.
  for (const auto& [address, p] : held_.Repool(usable_pool)) {
    pools_[p]->occupied.Mark(address);
    ++pools_[p]->held[FamilyIndex(address.family())];
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Planning

absl::Status Allocator::CheckShareable(const IpAddress& a,
                                       const Request& request) const {
  auto it = addresses_.find(a);
  if (it == addresses_.end()) return absl::OkStatus();
  std::string backend = BackendKey(request);
  for (const std::string* owner : it->second.owners) {
    if (*owner == request.service) continue;
    const ServiceRecord& other = services_.find(*owner)->second;
    std::string prefix = absl::StrCat(Quote(a.ToString()),
                                      " is already in use by ", Quote(*owner));
    if (!other.sharing) {
      return absl::AlreadyExistsError(absl::StrCat(
          prefix,
          ", which does not allow sharing (no allow-shared-ip annotation)"));
    }
    if (request.sharing_key.empty()) {
      return absl::AlreadyExistsError(
          absl::StrCat(prefix,
                       ", and this service does not allow sharing (no "
                       "allow-shared-ip annotation)"));
    }
    if (other.sharing->key != request.sharing_key) {
      return absl::AlreadyExistsError(absl::StrCat(
          prefix, " with sharing key ", Quote(other.sharing->key),
          ", which does not match sharing key ", Quote(request.sharing_key)));
    }
    if (other.sharing->backend != backend) {
      return absl::AlreadyExistsError(absl::StrCat(
          prefix, " with ", DescribeBackend(other.sharing->backend),
          ", which is incompatible with ", DescribeBackend(backend)));
    }
    for (const ServicePort& p : request.ports) {
      for (const ServicePort& q : other.sharing->ports) {
        if (p == q) {
          return absl::AlreadyExistsError(absl::StrCat(
              "port ", p.protocol, "/", p.port, " is already in use on ",
              Quote(a.ToString()), " by ", Quote(*owner)));
        }
      }
    }
  }
  return absl::OkStatus();
}

std::optional<IpAddress> Allocator::FindInPool(const PoolState& pool,
                                               IpFamily f,
                                               const Request& request) const {
  std::optional<IpAddress> free = pool.occupied.LowestFree(f);
  // Lower addresses already used under the same sharing key win, as in MetalLB.
  if (!request.sharing_key.empty()) {
    auto by_key = by_sharing_key_.find(request.sharing_key);
    if (by_key != by_sharing_key_.end()) {
      for (const IpAddress& a : by_key->second) {
        if (a.family() != f || !pool.space.Contains(a)) continue;
        if (free && *free < a) break;
        if (CheckShareable(a, request).ok()) return a;
      }
    }
  }
  if (free) return free;
  // Only held addresses are left: reuse the one released longest ago.
  if (held_.empty()) return std::nullopt;
  return held_.Oldest([&](const IpAddress& a) {
    return a.family() == f && pool.space.Contains(a);
  });
}

absl::StatusOr<Allocator::Choice> Allocator::PlanRequested(
    const Request& request, absl::Span<const IpAddress> requested,
    IpFamilyPolicy policy) const {
  Choice choice;
  choice.addresses.assign(requested.begin(), requested.end());
  const auto& addresses = choice.addresses;
  std::optional<size_t> pool;
  for (size_t i = 0; i < addresses.size(); ++i) {
    const IpAddress& a = addresses[i];
    for (size_t j = 0; j < i; ++j) {
      if (addresses[j].family() == a.family()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "requested addresses ", Quote(addresses[j].ToString()), " and ",
            Quote(a.ToString()), " are both ", FamilyName(a.family()),
            "; at most one address per family"));
      }
    }
    std::optional<size_t> p = PoolIndexOf(a);
    if (!p) {
      return absl::FailedPreconditionError(
          absl::StrCat("requested address ", Quote(a.ToString()),
                       " is not in any configured pool"));
    }
    const PoolSpace& space = pools_[*p]->space;
    if (Unusable why = space.Check(a); why != Unusable::kNone) {
      return absl::FailedPreconditionError(absl::StrCat(
          "requested address ", Quote(a.ToString()), " cannot be used in pool ",
          Quote(space.pool().name), ": ", UnusableReason(why)));
    }
    if (!request.pool.empty() && space.pool().name != request.pool) {
      return absl::InvalidArgumentError(
          absl::StrCat("requested address ", Quote(a.ToString()),
                       " is in pool ", Quote(space.pool().name),
                       ", not in the requested pool ", Quote(request.pool)));
    }
    if (pool && *pool != *p) {
      return absl::InvalidArgumentError(
          absl::StrCat("requested addresses are in different pools (",
                       Quote(pools_[*pool]->space.pool().name), " and ",
                       Quote(space.pool().name), ")"));
    }
    pool = p;
  }
  if (policy == IpFamilyPolicy::kRequireDualStack && addresses.size() != 2) {
    return absl::InvalidArgumentError(
        "RequireDualStack needs one requested IPv4 and one requested IPv6 "
        "address");
  }
  if (policy == IpFamilyPolicy::kSingleStack && addresses.size() != 1) {
    return absl::InvalidArgumentError(
        "SingleStack takes exactly one requested address");
  }
  for (const IpAddress& a : addresses) {
    if (absl::Status s = CheckShareable(a, request); !s.ok()) return s;
  }
  // Order as the request's families.
  if (!request.families.empty() && addresses.size() > 1) {
    std::stable_sort(choice.addresses.begin(), choice.addresses.end(),
                     [&](const IpAddress& x, const IpAddress& y) {
                       return x.family() == request.families[0] &&
                              y.family() != request.families[0];
                     });
  }
  choice.pool = *pool;
  return choice;
}

absl::StatusOr<Allocator::Choice> Allocator::PlanAt(
    const Request& request) const {
  if (request.service.empty()) {
    return absl::InvalidArgumentError("request has no service key");
  }
  if (!has_config_) {
    return absl::FailedPreconditionError("no configuration loaded yet");
  }
  if (!request.requested.empty()) {
    return PlanRequested(request, request.requested, request.family_policy);
  }
  auto eligible = [&](size_t i) {
    const Pool& p = pools_[i]->space.pool();
    return request.pool.empty() ? p.auto_assign : p.name == request.pool;
  };
  if (!request.pool.empty()) {
    bool exists = false;
    for (size_t i = 0; i < pools_.size(); ++i) exists = exists || eligible(i);
    if (!exists) {
      return absl::NotFoundError(
          absl::StrCat("pool ", Quote(request.pool), " does not exist"));
    }
  }

  // The service's previous addresses, if it is returning within
  // remember_previous.
  const std::vector<IpAddress>* previous = previous_.Of(request.service);
  auto previous_in = [&](const PoolState& pool,
                         IpFamily f) -> std::optional<IpAddress> {
    if (previous == nullptr) return std::nullopt;
    for (const IpAddress& a : *previous) {
      if (a.family() != f || !pool.space.IsUsable(a) || addresses_.contains(a))
        continue;
      if (previous_.LeadsTo(a, request.service)) return a;
    }
    return std::nullopt;
  };

  bool any_pool_has_families = false;
  absl::InlinedVector<Families, 2> choices = FamilyChoices(request);
  for (const Families& families : choices) {
    for (size_t i = 0; i < pools_.size(); ++i) {
      if (!eligible(i)) continue;
      const PoolState& pool = *pools_[i];
      bool has_all = true;
      for (IpFamily f : families) has_all = has_all && pool.space.HasFamily(f);
      if (!has_all) continue;
      any_pool_has_families = true;
      Choice choice;
      choice.pool = i;
      for (IpFamily f : families) {
        std::optional<IpAddress> a = previous_in(pool, f);
        if (!a) a = FindInPool(pool, f, request);
        if (!a) break;
        choice.addresses.push_back(*a);
      }
      if (choice.addresses.size() == families.size()) return choice;
    }
  }
  std::string families = FamiliesText(choices.back());
  if (request.family_policy == IpFamilyPolicy::kRequireDualStack) {
    families = FamiliesText(choices[0]);
  }
  std::string where = request.pool.empty()
                          ? std::string("any auto-assign pool")
                          : absl::StrCat("pool ", Quote(request.pool));
  if (!any_pool_has_families) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", families, " addresses configured in ", where));
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no available ", families, " addresses in ", where));
}

absl::StatusOr<Assignment> Allocator::Plan(const Request& request) const {
  if (auto it = services_.find(request.service);
      it != services_.end() && Satisfies(it->second, request)) {
    return *Lookup(request.service);
  }
  absl::StatusOr<Choice> choice = PlanAt(request);
  if (!choice.ok()) return choice.status();
  return ToAssignment(*choice);
}

bool Allocator::Satisfies(const ServiceRecord& record,
                          const Request& request) const {
  if (record.addresses.empty()) return false;
  const Pool& pool = pools_[record.pool]->space.pool();
  if (!request.pool.empty() && request.pool != pool.name) return false;
  if (!request.requested.empty()) {
    std::vector<IpAddress> want = request.requested,
                           have(record.addresses.begin(),
                                record.addresses.end());
    std::sort(want.begin(), want.end());
    std::sort(have.begin(), have.end());
    if (want != have) return false;
  }
  bool families_ok = false;
  for (const Families& families : FamilyChoices(request)) {
    if (families.size() != record.addresses.size()) continue;
    bool match = true;
    for (IpFamily f : families) {
      match = match &&
              std::any_of(record.addresses.begin(), record.addresses.end(),
                          [f](const IpAddress& a) { return a.family() == f; });
    }
    families_ok = families_ok || match;
  }
  if (!families_ok) return false;
  for (const IpAddress& a : record.addresses) {
    if (!CheckShareable(a, request).ok()) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Mutation

void Allocator::Unhold(const IpAddress& a) {
  if (std::optional<size_t> pool = held_.Unhold(a)) {
    --pools_[*pool]->held[FamilyIndex(a.family())];
  }
}

void Allocator::PurgeExpired(MonoTime now) {
  while (std::optional<std::pair<IpAddress, size_t>> expired =
             held_.PopExpired(now)) {
    const auto& [a, pool] = *expired;
    --pools_[pool]->held[FamilyIndex(a.family())];
    pools_[pool]->occupied.Unmark(a);
  }
  previous_.Expire(now);
}

void Allocator::Detach(const std::string& service, bool hold) {
  auto it = services_.find(service);
  if (it == services_.end()) return;
  ServiceRecord& record = it->second;
  const std::string* key = &it->first;
  MonoTime now = clock_.Monotonic();
  for (const IpAddress& a : record.addresses) {
    auto ar = addresses_.find(a);
    if (ar == addresses_.end()) continue;
    auto& owners = ar->second.owners;
    owners.erase(std::remove(owners.begin(), owners.end(), key), owners.end());
    if (!owners.empty()) continue;
    addresses_.erase(ar);
    if (record.sharing) {
      auto by_key = by_sharing_key_.find(record.sharing->key);
      if (by_key != by_sharing_key_.end()) {
        by_key->second.erase(a);
        if (by_key->second.empty()) by_sharing_key_.erase(by_key);
      }
    }
    // Every address of a service is in the service's pool (SetConfig keeps it
    // so), which is therefore where it is counted, held or freed.
    --pools_[record.pool]->in_use[FamilyIndex(a.family())];
    if (hold && held_.enabled()) {
      held_.Hold(a, record.pool, now);
      ++pools_[record.pool]->held[FamilyIndex(a.family())];
    } else {
      pools_[record.pool]->occupied.Unmark(a);
    }
  }
  if (hold && previous_.enabled()) {
    previous_.Remember(service, record.addresses, now);
  }
  services_.erase(it);
}

void Allocator::Reshare(ServiceRecord& record, const Request& request) {
  absl::string_view old_key =
      record.sharing ? absl::string_view(record.sharing->key) : "";
  if (old_key != request.sharing_key) {
    // Satisfies() held, so nobody else holds these addresses: under a new key,
    // or none, nobody could share them.
    for (const IpAddress& a : record.addresses) {
      if (!old_key.empty()) {
        auto by_key = by_sharing_key_.find(old_key);
        if (by_key != by_sharing_key_.end()) {
          by_key->second.erase(a);
          if (by_key->second.empty()) by_sharing_key_.erase(by_key);
        }
      }
      if (!request.sharing_key.empty()) {
        by_sharing_key_[request.sharing_key].insert(a);
      }
    }
  }
  if (request.sharing_key.empty()) {
    record.sharing.reset();
  } else {
    record.sharing = std::make_unique<Sharing>(
        Sharing{request.sharing_key, BackendKey(request), request.ports});
  }
}

void Allocator::Commit(const Request& request, const Choice& choice) {
  auto [it, inserted] = services_.try_emplace(request.service);
  ServiceRecord& record = it->second;
  const std::string* key = &it->first;
  PoolState& pool = *pools_[choice.pool];
  record.pool = static_cast<uint32_t>(choice.pool);
  record.addresses.assign(choice.addresses.begin(), choice.addresses.end());
  if (!request.sharing_key.empty()) {
    record.sharing = std::make_unique<Sharing>(
        Sharing{request.sharing_key, BackendKey(request), request.ports});
  } else {
    record.sharing.reset();
  }
  for (const IpAddress& a : choice.addresses) {
    if (!held_.empty()) Unhold(a);
    AddressRecord& ar = addresses_[a];
    if (ar.owners.empty()) {
      pool.occupied.Mark(a);
      ++pool.in_use[FamilyIndex(a.family())];
    }
    ar.owners.push_back(key);
    if (record.sharing) by_sharing_key_[record.sharing->key].insert(a);
    // The address now belongs to this service; nobody else can come back to it.
    previous_.Claimed(a, request.service);
  }
  previous_.Forget(request.service);
  if (!pending_.empty()) pending_.erase(request.service);
}

absl::StatusOr<Assignment> Allocator::Allocate(const Request& request) {
  PurgeExpired(clock_.Monotonic());
  if (auto it = services_.find(request.service); it != services_.end()) {
    if (Satisfies(it->second, request)) {
      // Keep the addresses; refresh what sharing decisions depend on.
      Reshare(it->second, request);
      pending_.erase(request.service);
      return *Lookup(request.service);
    }
    Detach(request.service, /*hold=*/true);
  }
  absl::StatusOr<Choice> choice = PlanAt(request);
  if (!choice.ok()) {
    if (choice.status().code() == absl::StatusCode::kResourceExhausted ||
        choice.status().code() == absl::StatusCode::kAlreadyExists) {
      pending_[request.service] = request;
    }
    return choice.status();
  }
  Commit(request, *choice);
  return ToAssignment(*choice);
}

void Allocator::Reserve(size_t services) {
  services_.reserve(services);
  addresses_.reserve(services);
}

absl::Status Allocator::Assign(const Request& request,
                               absl::Span<const IpAddress> addresses) {
  if (addresses.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no addresses given to assign to ", Quote(request.service)));
  }
  if (request.service.empty()) {
    return absl::InvalidArgumentError("request has no service key");
  }
  if (!has_config_) {
    return absl::FailedPreconditionError("no configuration loaded yet");
  }
  PurgeExpired(clock_.Monotonic());
  // What the status says decides the families, whatever the policy says now.
  IpFamilyPolicy policy = addresses.size() == 2
                              ? IpFamilyPolicy::kRequireDualStack
                              : IpFamilyPolicy::kSingleStack;
  absl::StatusOr<Choice> choice = PlanRequested(request, addresses, policy);
  if (!choice.ok()) return choice.status();
  Detach(request.service, /*hold=*/false);
  Commit(request, *choice);
  return absl::OkStatus();
}

bool Allocator::Release(absl::string_view service) {
  PurgeExpired(clock_.Monotonic());
  pending_.erase(service);
  std::string key(service);
  if (!services_.contains(key)) return false;
  Detach(key, /*hold=*/true);
  return true;
}

void Allocator::ForgetPending(absl::string_view service) {
  pending_.erase(service);
}

// ---------------------------------------------------------------------------
// Queries

std::optional<Assignment> Allocator::Lookup(absl::string_view service) const {
  auto it = services_.find(service);
  if (it == services_.end()) return std::nullopt;
  return Assignment{pools_[it->second.pool]->space.pool().name,
                    {it->second.addresses.begin(), it->second.addresses.end()}};
}

std::vector<std::string> Allocator::Holders(const IpAddress& address) const {
  std::vector<std::string> out;
  if (auto it = addresses_.find(address); it != addresses_.end()) {
    for (const std::string* owner : it->second.owners) out.push_back(*owner);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> Allocator::PoolOf(const IpAddress& address) const {
  std::optional<size_t> p = PoolIndexOf(address);
  if (!p || !pools_[*p]->space.IsUsable(address)) return std::nullopt;
  return pools_[*p]->space.pool().name;
}

std::vector<std::string> Allocator::Retryable() const {
  std::vector<std::string> out;
  for (const auto& [service, request] : pending_) {
    if (PlanAt(request).ok()) out.push_back(service);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PoolUsage> Allocator::Usage() const {
  std::vector<PoolUsage> out;
  for (const auto& pool : pools_) {
    for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
      if (!pool->space.HasFamily(f)) continue;
      int fi = FamilyIndex(f);
      out.push_back(PoolUsage{pool->space.pool().name, f,
                              pool->space.Capacity(f), pool->in_use[fi],
                              pool->held[fi]});
    }
  }
  return out;
}

}  // namespace lb::ipam

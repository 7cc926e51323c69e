// K8sLeaseStore, LeaderElector and Membership over the Kubernetes API (the
// in-memory client over the stand-in's object store, on simulated time),
// including its fault injection.
#include "lib/election/k8s_lease_store.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "lib/base/simulated_clock.h"
#include "lib/election/fake_network.h"
#include "lib/election/leader_elector.h"
#include "lib/election/membership.h"
#include "lib/k8s/resource.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

struct Fixture {
  Fixture() {
    for (const char* ns : {"lb-system", "metallb-system"}) {
      REQUIRE_OK(api.Create(k8s::kNamespaces, "",
                            {{"apiVersion", "v1"},
                             {"kind", "Namespace"},
                             {"metadata", {{"name", ns}}}}));
    }
  }
  SimulatedClock clock{absl::FromUnixSeconds(1700000000)};
  k8s::testing::InMemoryClient api{clock};
  K8sLeaseStore store_impl{api};
  K8sLeaseStore* store = &store_impl;
};

Lease MakeLease(const std::string& name, const std::string& holder) {
  Lease l;
  l.ns = "lb-system";
  l.name = name;
  l.spec.holder_identity = holder;
  l.spec.lease_duration_seconds = 15;
  l.spec.acquire_time = absl::FromUnixMicros(1700000000123456);
  l.spec.renew_time = absl::FromUnixMicros(1700000001123456);
  return l;
}

TEST_CASE("create, get, update, conflict and list over the API") {
  Fixture f;
  CHECK_STATUS(f.store->Get("lb-system", "x"), absl::StatusCode::kNotFound, "");
  ASSIGN_OR_FAIL(Lease created, f.store->Create(MakeLease("speaker-a", "a")));
  CHECK_FALSE(created.resource_version.empty());
  CHECK(created.spec.renew_time == absl::FromUnixMicros(1700000001123456));
  CHECK_STATUS(f.store->Create(MakeLease("speaker-a", "b")),
               absl::StatusCode::kAlreadyExists, "");
  ASSIGN_OR_FAIL(Lease got, f.store->Get("lb-system", "speaker-a"));
  CHECK(got.spec == created.spec);
  got.spec.holder_identity = "b";
  got.spec.lease_transitions = 1;
  ASSIGN_OR_FAIL(Lease updated, f.store->Update(got));
  CHECK(updated.spec.holder_identity == "b");
  // The stored object is what the API shows.
  ASSIGN_OR_FAIL(auto object,
                 f.api.Get(k8s::kLeases, "lb-system", "speaker-a"));
  CHECK(object["spec"]["holderIdentity"] == "b");
  CHECK(object["spec"]["leaseTransitions"] == 1);
  // A writer holding the old resourceVersion gets kAborted (409 Conflict).
  created.spec.holder_identity = "c";
  CHECK_STATUS(f.store->Update(created), absl::StatusCode::kAborted, "");
  CHECK_OK(f.store->Create(MakeLease("speaker-b", "b")));
  CHECK_OK(f.store->Create(MakeLease("lb-controller", "c")));
  ASSIGN_OR_FAIL(auto list, f.store->List("lb-system", "speaker-"));
  REQUIRE(list.size() == 2);
  CHECK(list[0].name == "speaker-a");
  CHECK(list[1].name == "speaker-b");
  CHECK_STATUS(f.store->Get("", "x"), absl::StatusCode::kInvalidArgument,
               "namespace");
}

TEST_CASE("server failures come back as kUnavailable") {
  Fixture f;
  CHECK_OK(f.store->Create(MakeLease("speaker-a", "a")));
  f.api.FailNextRequests(1, 500);
  CHECK_STATUS(f.store->Get("lb-system", "speaker-a"),
               absl::StatusCode::kUnavailable, "");
  f.api.FailNextRequests(1, 503);
  CHECK_STATUS(f.store->List("lb-system", ""), absl::StatusCode::kUnavailable,
               "");
  f.api.SetReachable(false);
  absl::StatusOr<Lease> down = f.store->Get("lb-system", "speaker-a");
  CHECK(absl::IsUnavailable(down.status()));
  f.api.SetReachable(true);
  CHECK_OK(f.store->Get("lb-system", "speaker-a"));
}

TEST_CASE(
    "two electors over the API: one leader, release hands over, a "
    "leader that cannot renew steps down") {
  Fixture f;
  SimulatedClock& clock = f.clock;
  auto options = [](const char* id) {
    LeaderElectorOptions o;
    o.ns = "lb-system";
    o.name = "lb-controller";
    o.identity = id;
    return o;
  };
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(*f.store, clock, options("a")));
  ASSIGN_OR_FAIL(auto b, LeaderElector::Create(*f.store, clock, options("b")));
  a->Step();
  b->Step();
  CHECK(a->IsLeader());
  CHECK_FALSE(b->IsLeader());
  CHECK(b->ObservedLeader() == "a");
  for (int i = 0; i < 10; ++i) {
    clock.AdvanceTime(absl::Seconds(2));
    a->Step();
    b->Step();
    CHECK(a->IsLeader());
    CHECK_FALSE(b->IsLeader());
  }
  // Injected 503s: every renewal fails until the deadline; a steps down
  // before b could take over (b still sees the record as fresh).
  f.api.FailNextRequests(1000, 503);
  for (int i = 0; i < 12 && a->IsLeader(); ++i) {
    clock.AdvanceTime(absl::Seconds(1));
    a->Step();
  }
  CHECK_FALSE(a->IsLeader());
  f.api.FailNextRequests(0, 503);
  ASSIGN_OR_FAIL(auto object,
                 f.api.Get(k8s::kLeases, "lb-system", "lb-controller"));
  CHECK(object["spec"]["holderIdentity"] == "a");
  // a comes back and leads again, then releases; b takes over at once.
  clock.AdvanceTime(absl::Seconds(5));
  a->Step();
  REQUIRE(a->IsLeader());
  CHECK_OK(a->Release());
  clock.AdvanceTime(absl::Seconds(5));
  b->Step();
  CHECK(b->IsLeader());
  ASSIGN_OR_FAIL(object, f.api.Get(k8s::kLeases, "lb-system", "lb-controller"));
  CHECK(object["spec"]["holderIdentity"] == "b");
  CHECK(object["spec"]["leaseTransitions"] == 1);
}

TEST_CASE("membership over the API keeps ownership through a server outage") {
  Fixture f;
  SimulatedClock& clock = f.clock;
  FakeNetwork net(clock, 3);
  std::vector<std::unique_ptr<HeartbeatTransport>> transports;
  std::vector<std::unique_ptr<Membership>> members;
  std::vector<AddressRequest> requests;
  for (int i = 0; i < 12; ++i) {
    requests.push_back({"192.168.1." + std::to_string(i), {}, true});
  }
  for (const char* n : {"a", "b", "c"}) {
    transports.push_back(net.Attach(n));
    MembershipOptions o;
    o.node = n;
    o.hmac_key = "api-test-cluster-key";
    ASSIGN_OR_FAIL(auto m,
                   Membership::Create(*f.store, *transports.back(), clock, o));
    REQUIRE_OK(m->SetAddresses(requests));
    members.push_back(std::move(m));
  }
  auto step = [&](absl::Duration d) {
    clock.AdvanceTime(d);
    for (auto& m : members) {
      m->PollStore();
      m->PollNetwork();
    }
  };
  auto claimed = [&] {
    size_t total = 0;
    for (auto& m : members) total += m->Claimed().size();
    return total;
  };
  for (int i = 0; i < 100; ++i) step(absl::Milliseconds(10));
  CHECK(claimed() == 12);
  ASSIGN_OR_FAIL(auto leases, f.store->List("metallb-system", "speaker-"));
  CHECK(leases.size() == 3);
  const int64_t writes = members[0]->Snapshot().stats.lease_writes;
  f.api.SetReachable(false);
  for (int i = 0; i < 30; ++i) step(absl::Seconds(1));
  CHECK(claimed() == 12);
  CHECK(members[0]->Snapshot().stats.lease_write_errors > 0);
  f.api.SetReachable(true);
  for (int i = 0; i < 15; ++i) step(absl::Seconds(1));
  CHECK(members[0]->Snapshot().stats.lease_writes > writes);
  CHECK(claimed() == 12);
}

}  // namespace
}  // namespace lb::election

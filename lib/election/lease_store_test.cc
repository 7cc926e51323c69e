#include "lib/election/lease_store.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::election {
namespace {

Lease MakeLease(const std::string& name, const std::string& holder) {
  Lease l;
  l.ns = "lb-system";
  l.name = name;
  l.spec.holder_identity = holder;
  l.spec.lease_duration_seconds = 15;
  return l;
}

TEST_CASE("create, get, update with optimistic concurrency") {
  InMemoryLeaseStore store;
  CHECK_STATUS(store.Get("lb-system", "x"), absl::StatusCode::kNotFound,
               "lb-system/x");
  ASSIGN_OR_FAIL(Lease created, store.Create(MakeLease("x", "a")));
  CHECK_FALSE(created.resource_version.empty());
  CHECK_STATUS(store.Create(MakeLease("x", "b")),
               absl::StatusCode::kAlreadyExists, "already exists");
  ASSIGN_OR_FAIL(Lease got, store.Get("lb-system", "x"));
  CHECK(got.spec.holder_identity == "a");
  got.spec.holder_identity = "b";
  ASSIGN_OR_FAIL(Lease updated, store.Update(got));
  CHECK(updated.resource_version != created.resource_version);
  // A writer holding the old version loses.
  Lease stale = created;
  stale.spec.holder_identity = "c";
  CHECK_STATUS(store.Update(stale), absl::StatusCode::kAborted, "stale");
  ASSIGN_OR_FAIL(got, store.Get("lb-system", "x"));
  CHECK(got.spec.holder_identity == "b");
  CHECK_STATUS(store.Update(MakeLease("missing", "a")),
               absl::StatusCode::kNotFound, "not found");
  CHECK(store.writes() == 2);
}

TEST_CASE("bad keys are rejected by name") {
  InMemoryLeaseStore store;
  CHECK_STATUS(store.Get("", "x"), absl::StatusCode::kInvalidArgument,
               "namespace");
  CHECK_STATUS(store.Create(MakeLease("", "a")),
               absl::StatusCode::kInvalidArgument, "name");
}

TEST_CASE("list filters by namespace and prefix, in name order") {
  InMemoryLeaseStore store;
  CHECK_OK(store.Create(MakeLease("speaker-b", "b")));
  CHECK_OK(store.Create(MakeLease("speaker-a", "a")));
  CHECK_OK(store.Create(MakeLease("lb-controller", "c")));
  Lease other = MakeLease("speaker-z", "z");
  other.ns = "default";
  CHECK_OK(store.Create(other));
  ASSIGN_OR_FAIL(auto leases, store.List("lb-system", "speaker-"));
  REQUIRE(leases.size() == 2);
  CHECK(leases[0].name == "speaker-a");
  CHECK(leases[1].name == "speaker-b");
}

TEST_CASE("an outage fails every call with kUnavailable and changes nothing") {
  InMemoryLeaseStore store;
  ASSIGN_OR_FAIL(Lease l, store.Create(MakeLease("x", "a")));
  store.SetAvailable(false);
  CHECK_STATUS(store.Get("lb-system", "x"), absl::StatusCode::kUnavailable,
               "unavailable");
  l.spec.holder_identity = "b";
  CHECK_STATUS(store.Update(l), absl::StatusCode::kUnavailable, "");
  CHECK_STATUS(store.List("lb-system", ""), absl::StatusCode::kUnavailable, "");
  store.SetAvailable(true);
  ASSIGN_OR_FAIL(Lease got, store.Get("lb-system", "x"));
  CHECK(got.spec.holder_identity == "a");
}

}  // namespace
}  // namespace lb::election

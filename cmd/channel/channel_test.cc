// End-to-end: a Publisher behind a real gRPC server on localhost, Subscribers
// over plaintext and mutual TLS, and peers the server must refuse.

#include <doctest/doctest.h>
#include <grpcpp/grpcpp.h>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cmd/channel/credentials.h"
#include "cmd/channel/publisher.h"
#include "cmd/channel/subscriber.h"
#include "tests/status_matchers.h"

namespace lb::channel {
namespace {

// Test addresses as the maps key them.
IpAddress Ip(absl::string_view text) { return IpAddress::Parse(text).value(); }

DesiredState State(std::vector<std::string> addresses) {
  DesiredState s;
  for (const std::string& address : addresses) {
    v1::Announcement a;
    a.set_address(address);
    a.add_services("default/nginx");
    a.add_eligible_nodes("node-a");
    s.announcements[Ip(address)] = Announcement::FromMessage(a);
  }
  v1::Pool p;
  p.set_name("my-ip-space");
  p.set_protocol("arp");
  p.add_ranges("192.168.1.240/28");
  s.pools.push_back(p);
  return s;
}

struct Server {
  // `listen_port` 0 picks a free one.
  explicit Server(std::shared_ptr<grpc::ServerCredentials> creds,
                  int listen_port = 0,
                  AssignmentsService::StreamObserver observer = nullptr)
      : service(publisher, std::move(observer)) {
    grpc::ServerBuilder b;
    b.AddListeningPort(absl::StrCat("127.0.0.1:", listen_port), creds, &port);
    b.RegisterService(&service);
    server = b.BuildAndStart();
    REQUIRE(server != nullptr);
    REQUIRE(port > 0);
  }
  ~Server() {
    publisher.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
  }
  std::string address() const { return absl::StrCat("127.0.0.1:", port); }
  Publisher publisher;
  AssignmentsService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
};

// Waits (bounded) for `done` to hold.
bool Eventually(const std::function<bool()>& done) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

// A snapshot of `s`, as the publisher would send it at `generation`.
v1::Update SnapshotOf(const DesiredState& s, uint64_t generation,
                      uint64_t epoch = 0) {
  v1::Update u;
  u.set_snapshot(true);
  u.set_generation(generation);
  u.set_epoch(epoch);
  for (const auto& [k, a] : s.announcements) a.ToMessage(k, u.add_upserts());
  for (const v1::Pool& p : s.pools) *u.add_pools() = p;
  return u;
}

Subscriber::Options Opts() {
  Subscriber::Options o;
  o.node = "node-a";
  o.min_backoff = absl::Milliseconds(20);
  o.max_backoff = absl::Milliseconds(100);
  return o;
}

TEST_CASE("a speaker receives the snapshot, then changes, over plaintext") {
  Server server(grpc::InsecureServerCredentials());
  server.publisher.Publish(State({"192.168.1.240"}));
  Subscriber sub(
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  sub.Start();
  REQUIRE(Eventually([&] { return sub.Snapshot().generation == 1; }));
  CHECK(sub.Snapshot().announcements->count(Ip("192.168.1.240")) == 1);
  server.publisher.Publish(State({"192.168.1.240", "192.168.1.241"}));
  REQUIRE(Eventually([&] { return sub.Snapshot().generation == 2; }));
  CHECK(sub.Snapshot().announcements->size() == 2);
  server.publisher.Publish(State({"192.168.1.241"}));
  REQUIRE(Eventually([&] { return sub.Snapshot().generation == 3; }));
  CHECK(sub.Snapshot().announcements->count(Ip("192.168.1.240")) == 0);
  CHECK(sub.counters().snapshots == 1);
  CHECK(sub.counters().changes == 2);
  sub.Stop();
}

TEST_CASE(
    "the last state stays while the controller is away, and resumes after") {
  std::string address;
  ReceivedState kept;
  {
    Server server(grpc::InsecureServerCredentials());
    server.publisher.Publish(State({"192.168.1.240"}));
    address = server.address();
    Subscriber sub(
        grpc::CreateChannel(address, grpc::InsecureChannelCredentials()),
        Opts(), nullptr);
    sub.Start();
    REQUIRE(Eventually([&] { return sub.Snapshot().generation == 1; }));
    server.server->Shutdown(std::chrono::system_clock::now());
    REQUIRE(Eventually([&] { return !sub.connected(); }));
    kept = sub.Snapshot();
    CHECK(kept.announcements->count(Ip("192.168.1.240")) == 1);
    sub.Stop();
  }
}

TEST_CASE(
    "addresses outside the configured pools, or malformed, are refused and "
    "counted") {
  Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  std::vector<std::string> refusals;
  Subscriber logged(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr,
      [&](const std::string& why) { refusals.push_back(why); });
  DesiredState s = State({"192.168.1.240", "10.9.9.9"});
  v1::Update u = SnapshotOf(s, 1);
  // No DesiredState holds a malformed address; a forged or broken peer's
  // message can.
  v1::Announcement* malformed = u.add_upserts();
  malformed->set_address("not-an-ip");
  malformed->add_services("default/nginx");
  malformed->add_eligible_nodes("node-a");
  CHECK_OK(logged.Apply(u));
  CHECK(logged.Snapshot().announcements->size() == 1);
  CHECK(logged.counters().refused == 2);
  REQUIRE(refusals.size() == 2);
  // Malformed: refused as it arrives; outside the pools: once all is applied.
  CHECK(refusals[0] == "refusing malformed address \"not-an-ip\"");
  CHECK(refusals[1] == "refusing 10.9.9.9: outside every configured pool");

  // A later change leaves them refused: not reported or counted again. Once the
  // pools admit 10.9.9.9 and refuse it again, it is reported anew.
  v1::Update change;
  change.set_base_generation(1);
  change.set_generation(2);
  change.add_removals("192.168.1.240");
  CHECK_OK(logged.Apply(change));
  CHECK(logged.counters().refused == 2);
  CHECK(refusals.size() == 2);
  v1::Update wider;
  wider.set_base_generation(2);
  wider.set_generation(3);
  wider.set_pools_changed(true);
  v1::Pool all = s.pools[0];
  all.add_ranges("10.9.9.0/24");
  *wider.add_pools() = all;
  CHECK_OK(logged.Apply(wider));
  CHECK(logged.Snapshot().announcements->count(Ip("10.9.9.9")) == 1);
  v1::Update narrow = wider;
  narrow.set_base_generation(3);
  narrow.set_generation(4);
  *narrow.mutable_pools(0) = s.pools[0];
  CHECK_OK(logged.Apply(narrow));
  CHECK(logged.counters().refused == 3);
  REQUIRE(refusals.size() == 3);
  CHECK(refusals[2] == "refusing 10.9.9.9: outside every configured pool");
}

TEST_CASE(
    "a restarted controller's first state reaches a speaker that knew a later "
    "generation of the old one") {
  auto first = std::make_unique<Server>(grpc::InsecureServerCredentials());
  first->publisher.Publish(State({"192.168.1.240"}));
  first->publisher.Publish(State({"192.168.1.240", "192.168.1.241"}));
  const int port = first->port;
  Subscriber sub(
      grpc::CreateChannel(first->address(), grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  sub.Start();
  REQUIRE(Eventually([&] { return sub.Snapshot().generation == 2; }));
  first.reset();
  // The new instance, same address, has published nothing when the speaker
  // reconnects; its first state is generation 1.
  Server second(grpc::InsecureServerCredentials(), port);
  REQUIRE(Eventually([&] { return second.service.active_streams() == 1; }));
  second.publisher.Publish(State({"192.168.1.242"}));
  REQUIRE(Eventually([&] {
    return sub.Snapshot().announcements->count(Ip("192.168.1.242")) == 1;
  }));
  CHECK(sub.Snapshot().generation == 1);
  CHECK(sub.Snapshot().epoch == second.publisher.epoch());
  CHECK(sub.Snapshot().announcements->size() == 1);
  sub.Stop();
}

TEST_CASE("streams are counted and observed by the node each speaker names") {
  absl::Mutex mu;
  std::vector<std::string> seen;
  Server server(grpc::InsecureServerCredentials(), 0,
                [&](const std::string& node, bool open, const grpc::Status&) {
                  absl::MutexLock lock(&mu);
                  seen.push_back(absl::StrCat(open ? "+" : "-", node));
                });
  server.publisher.Publish(State({"192.168.1.240"}));
  auto channel =
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  Subscriber::Options a = Opts();
  a.node = "node-a";
  Subscriber::Options b = Opts();
  b.node = "node-b";
  auto sub_a = std::make_unique<Subscriber>(channel, a, nullptr);
  Subscriber sub_b(channel, b, nullptr);
  sub_a->Start();
  sub_b.Start();
  REQUIRE(Eventually([&] {
    return server.service.streams_by_node() ==
           std::map<std::string, int>{{"node-a", 1}, {"node-b", 1}};
  }));
  sub_a->Stop();
  sub_a.reset();
  REQUIRE(Eventually([&] {
    return server.service.streams_by_node() ==
           std::map<std::string, int>{{"node-b", 1}};
  }));
  absl::MutexLock lock(&mu);
  CHECK(std::count(seen.begin(), seen.end(), "+node-a") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "-node-a") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "+node-b") == 1);
  CHECK(std::count(seen.begin(), seen.end(), "-node-b") == 0);
  sub_b.Stop();
}

TEST_CASE("a state handed out is not changed by later updates") {
  Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  DesiredState s = State({"192.168.1.240", "192.168.1.241"});
  REQUIRE_OK(sub.Apply(SnapshotOf(s, 1)));
  ReceivedState held = sub.Snapshot();

  v1::Update change;
  change.set_base_generation(1);
  change.set_generation(2);
  change.add_removals("192.168.1.240");
  v1::Announcement moved;
  s.announcements[Ip("192.168.1.241")].ToMessage(Ip("192.168.1.241"), &moved);
  moved.clear_services();
  moved.add_services("default/other");
  *change.add_upserts() = moved;
  REQUIRE_OK(sub.Apply(change));

  // The held state is the one of generation 1, whole.
  REQUIRE(held.announcements->size() == 2);
  CHECK(held.announcements->at(Ip("192.168.1.241")).services ==
        std::vector<std::string>{"default/nginx"});
  ReceivedState now = sub.Snapshot();
  REQUIRE(now.announcements->size() == 1);
  CHECK(now.announcements->at(Ip("192.168.1.241")).services ==
        std::vector<std::string>{"default/other"});
  CHECK(now.announcements->at(Ip("192.168.1.241")).eligible_nodes ==
        std::vector<std::string>{"node-a"});

  // Once nobody else holds it, a change applies in place and is seen whole.
  held = ReceivedState();
  now = ReceivedState();
  v1::Update again;
  again.set_base_generation(2);
  again.set_generation(3);
  again.add_removals("192.168.1.241");
  REQUIRE_OK(sub.Apply(again));
  CHECK(sub.Snapshot().announcements->empty());
}

TEST_CASE("a change from another controller instance is refused, state kept") {
  Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  CHECK_OK(sub.Apply(SnapshotOf(State({"192.168.1.240"}), 2, /*epoch=*/7)));
  CHECK(sub.Snapshot().epoch == 7);
  v1::Update change;
  change.set_epoch(8);
  change.set_base_generation(2);
  change.set_generation(3);
  change.add_removals("192.168.1.240");
  CHECK_STATUS(sub.Apply(change), absl::StatusCode::kFailedPrecondition,
               "change from epoch 8 does not apply to state from epoch 7");
  CHECK(sub.Snapshot().announcements->size() == 1);
  CHECK(sub.counters().gaps == 1);
}

TEST_CASE(
    "candidate nodes are replaced only when an update says they changed") {
  Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  v1::Update snap;
  snap.set_snapshot(true);
  snap.set_generation(1);
  snap.add_candidate_nodes("node-a");
  snap.add_candidate_nodes("node-b");
  CHECK_OK(sub.Apply(snap));
  CHECK(sub.Snapshot().candidate_nodes ==
        std::vector<std::string>{"node-a", "node-b"});
  v1::Update unrelated;
  unrelated.set_base_generation(1);
  unrelated.set_generation(2);
  CHECK_OK(sub.Apply(unrelated));
  CHECK(sub.Snapshot().candidate_nodes.size() == 2);
  v1::Update emptied;
  emptied.set_base_generation(2);
  emptied.set_generation(3);
  emptied.set_candidate_nodes_changed(true);
  CHECK_OK(sub.Apply(emptied));
  CHECK(sub.Snapshot().candidate_nodes.empty());
}

TEST_CASE("a change that skips a generation is refused, state kept") {
  Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      Opts(), nullptr);
  CHECK_OK(sub.Apply(SnapshotOf(State({"192.168.1.240"}), 4)));
  v1::Update change;
  change.set_base_generation(5);
  change.set_generation(6);
  change.add_removals("192.168.1.240");
  CHECK_STATUS(sub.Apply(change), absl::StatusCode::kFailedPrecondition,
               "change from generation 5 does not apply at generation 4");
  CHECK(sub.Snapshot().announcements->size() == 1);
  CHECK(sub.counters().gaps == 1);
}

TEST_CASE("mutual TLS: a speaker with the cluster's certificate connects") {
  ASSIGN_OR_FAIL(ChannelPki pki,
                 GenerateChannelPki(absl::Now(), {"127.0.0.1"}));
  Server server(ServerCredentials(pki));
  server.publisher.Publish(State({"192.168.1.240"}));
  Subscriber sub(grpc::CreateChannel(server.address(), ClientCredentials(pki)),
                 Opts(), nullptr);
  sub.Start();
  CHECK(Eventually([&] { return sub.Snapshot().generation == 1; }));
  sub.Stop();
}

TEST_CASE("mutual TLS: forged and plaintext peers are refused") {
  ASSIGN_OR_FAIL(ChannelPki pki,
                 GenerateChannelPki(absl::Now(), {"127.0.0.1"}));
  ASSIGN_OR_FAIL(ChannelPki stranger,
                 GenerateChannelPki(absl::Now(), {"127.0.0.1"}));
  Server server(ServerCredentials(pki));
  server.publisher.Publish(State({"192.168.1.240"}));

  // A client certificate from another CA (the stranger also trusts only its own
  // CA, so give it ours to trust: the server must still refuse its
  // certificate).
  ChannelPki forged = stranger;
  forged.ca_cert = pki.ca_cert;
  auto forged_channel =
      grpc::CreateChannel(server.address(), ClientCredentials(forged));
  auto plain_channel =
      grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  Subscriber forged_sub(forged_channel, Opts(), nullptr);
  Subscriber plain_sub(plain_channel, Opts(), nullptr);
  forged_sub.Start();
  plain_sub.Start();
  // Their Watch calls wait for a connection; each attempt fails in the
  // handshake, leaving the channel in TRANSIENT_FAILURE.
  REQUIRE(Eventually([&] {
    return forged_channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE &&
           plain_channel->GetState(false) == GRPC_CHANNEL_TRANSIENT_FAILURE;
  }));
  CHECK(forged_sub.Snapshot().generation == 0);
  CHECK(plain_sub.Snapshot().generation == 0);
  CHECK(server.service.active_streams() == 0);
  forged_sub.Stop();
  plain_sub.Stop();
}

TEST_CASE("the PKI round-trips through Secret data") {
  ASSIGN_OR_FAIL(
      ChannelPki pki,
      GenerateChannelPki(absl::Now(), {"controller.metallb-system.svc"}));
  CHECK(absl::StartsWith(pki.ca_cert, "-----BEGIN CERTIFICATE-----"));
  CHECK(absl::StartsWith(pki.client_key, "-----BEGIN PRIVATE KEY-----"));
  ASSIGN_OR_FAIL(ChannelPki back, FromSecretData(ToSecretData(pki)));
  CHECK(back.server_cert == pki.server_cert);
  std::map<std::string, std::string> partial = ToSecretData(pki);
  partial.erase("client.key");
  CHECK_STATUS(FromSecretData(partial), absl::StatusCode::kInvalidArgument,
               "the Secret has no \"client.key\"");
  CHECK_STATUS(GenerateChannelPki(absl::Now(), {}),
               absl::StatusCode::kInvalidArgument, "at least one name");
}

}  // namespace
}  // namespace lb::channel

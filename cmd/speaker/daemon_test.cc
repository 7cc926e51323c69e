// The speaker daemon over fakes only: an in-memory API, an in-process channel
// from a Publisher, the fake heartbeat network, fake links and packet
// connections. No root, no sockets.

#include "cmd/speaker/daemon.h"

#include <doctest/doctest.h>
#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "cmd/channel/credentials.h"
#include "cmd/channel/publisher.h"
#include "lib/arp/fake_link_watcher.h"
#include "lib/arp/fake_packet_conn.h"
#include "lib/arp/wire.h"
#include "lib/base/clock.h"
#include "lib/base/status_macros.h"
#include "lib/election/fake_network.h"
#include "lib/election/heartbeat.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/eventually.h"
#include "tests/status_matchers.h"

namespace lb::speaker {
namespace {

using k8s::json;
using lb::testing::Eventually;

const arp::MacAddress kNodeMac = *arp::MacAddress::Parse("02:00:00:00:0a:01");
const arp::MacAddress kClientMac = *arp::MacAddress::Parse("02:00:00:00:0c:01");
const IpAddress kClientIp = *IpAddress::Parse("192.0.2.1");
constexpr int kIfindex = 2;

IpAddress Ip(const std::string& text) { return *IpAddress::Parse(text); }

// A stream that daemon threads write and the test reads at the same time.
class LockedText : public std::streambuf {
 public:
  std::string str() const {
    absl::MutexLock lock(&mu_);
    return text_;
  }

 protected:
  int_type overflow(int_type c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    absl::MutexLock lock(&mu_);
    text_.push_back(traits_type::to_char_type(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    absl::MutexLock lock(&mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }

 private:
  mutable absl::Mutex mu_;
  std::string text_ ABSL_GUARDED_BY(mu_);
};

// What the daemon did to the world, in order: frames sent, multicast groups
// left, connections closed, heartbeats sent (decoded).
class WorldLog {
 public:
  void Add(std::string entry) {
    absl::MutexLock lock(&mu_);
    entries_.push_back(std::move(entry));
  }
  std::vector<std::string> entries() const {
    absl::MutexLock lock(&mu_);
    return entries_;
  }
  // Index of the first entry starting with `prefix`, or -1.
  int First(absl::string_view prefix) const {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (absl::StartsWith(entries_[i], prefix)) return static_cast<int>(i);
    }
    return -1;
  }
  int Count(absl::string_view prefix) const {
    absl::MutexLock lock(&mu_);
    int n = 0;
    for (const std::string& e : entries_) n += absl::StartsWith(e, prefix);
    return n;
  }

 private:
  mutable absl::Mutex mu_;
  std::vector<std::string> entries_ ABSL_GUARDED_BY(mu_);
};

// One line per frame: "arp reply 192.0.2.100 to 192.0.2.1", "arp announce
// 192.0.2.100", "nd advert 2001:db8::100".
std::string Describe(const std::vector<uint8_t>& frame) {
  if (auto a = arp::ParseArpFrame(frame); a.ok()) {
    if (a->IsGratuitous()) {
      return absl::StrCat("arp announce ", a->sender_ip.ToString());
    }
    return absl::StrCat(
        "arp ", a->op == arp::ArpOp::kReply ? "reply " : "request ",
        a->sender_ip.ToString(), " to ", a->target_ip.ToString());
  }
  if (auto n = arp::ParseNdFrame(frame); n.ok()) {
    return absl::StrCat(
        "nd ",
        n->type == arp::NdType::kNeighborAdvertisement ? "advert " : "solicit ",
        n->target.ToString());
  }
  return "unparsable frame";
}

class RecordingConn final : public arp::PacketConn {
 public:
  RecordingConn(std::unique_ptr<arp::PacketConn> inner, WorldLog& log)
      : inner_(std::move(inner)), log_(log) {}
  ~RecordingConn() override { log_.Add("close"); }
  int ReadyFd() const override { return inner_->ReadyFd(); }
  absl::StatusOr<size_t> Receive(absl::Span<arp::ReceivedFrame> out) override {
    return inner_->Receive(out);
  }
  absl::Status Send(absl::Span<const std::vector<uint8_t>> frames,
                    size_t* sent) override {
    size_t n = 0;
    absl::Status s = inner_->Send(frames, &n);
    for (size_t i = 0; i < n; ++i) log_.Add(Describe(frames[i]));
    if (sent != nullptr) *sent = n;
    return s;
  }
  absl::Status JoinGroup(const IpAddress& group) override {
    return inner_->JoinGroup(group);
  }
  absl::Status LeaveGroup(const IpAddress& group) override {
    log_.Add(absl::StrCat("leave group ", group.ToString()));
    return inner_->LeaveGroup(group);
  }
  uint64_t TakeKernelDrops() override { return inner_->TakeKernelDrops(); }

 private:
  std::unique_ptr<arp::PacketConn> inner_;
  WorldLog& log_;
};

class RecordingFactory final : public arp::PacketConnFactory {
 public:
  RecordingFactory(arp::PacketConnFactory& inner, WorldLog& log)
      : inner_(inner), log_(log) {}
  absl::StatusOr<std::unique_ptr<arp::PacketConn>> Open(
      int ifindex, arp::Protocol protocol) override {
    LB_ASSIGN_OR_RETURN(std::unique_ptr<arp::PacketConn> conn,
                        inner_.Open(ifindex, protocol));
    return std::make_unique<RecordingConn>(std::move(conn), log_);
  }

 private:
  arp::PacketConnFactory& inner_;
  WorldLog& log_;
};

// The heartbeat key every speaker derives from the channel Secret's client
// key; pinned here so that speakers of different builds keep agreeing.
std::string HeartbeatKey(const std::string& client_key) {
  static constexpr char kLabel[] = "metallb speaker heartbeat key v1";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), client_key.data(), static_cast<int>(client_key.size()),
       reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

// Records each heartbeat sent. The first leaving one also runs
// `on_first_leaving`, on the stopping thread, before it goes out.
class RecordingTransport final : public election::HeartbeatTransport {
 public:
  RecordingTransport(std::unique_ptr<election::HeartbeatTransport> inner,
                     std::string key, WorldLog& log,
                     std::function<void()> on_first_leaving)
      : inner_(std::move(inner)),
        key_(std::move(key)),
        log_(log),
        on_first_leaving_(std::move(on_first_leaving)) {}
  absl::Status SendToPeers(absl::Span<const uint8_t> datagram) override {
    absl::StatusOr<election::Heartbeat> hb =
        election::DecodeHeartbeat(datagram, key_);
    if (hb.ok() && hb->leaving && on_first_leaving_) {
      std::function<void()> once = std::move(on_first_leaving_);
      on_first_leaving_ = nullptr;
      once();
    }
    log_.Add(!hb.ok()      ? "heartbeat undecodable"
             : hb->leaving ? "heartbeat leaving"
             : hb->active  ? "heartbeat active"
                           : "heartbeat");
    return inner_->SendToPeers(datagram);
  }
  absl::StatusOr<std::optional<std::vector<uint8_t>>> TryReceive() override {
    return inner_->TryReceive();
  }
  absl::StatusOr<bool> WaitReadable(MonoTime deadline) override {
    return inner_->WaitReadable(deadline);
  }
  void Wake() override { inner_->Wake(); }

 private:
  std::unique_ptr<election::HeartbeatTransport> inner_;
  const std::string key_;
  WorldLog& log_;
  std::function<void()> on_first_leaving_;
};

// A one-node cluster around one speaker daemon.
struct Fixture {
  RealClock clock;
  k8s::testing::InMemoryClient api{clock};
  channel::ChannelPki pki;
  channel::Publisher publisher;
  channel::AssignmentsService service{publisher};
  std::unique_ptr<grpc::Server> server;
  arp::FakeLinkWatcher links;
  arp::FakePacketConnFactory packets;
  WorldLog world;
  RecordingFactory recording{packets, world};
  election::FakeNetwork network{clock, /*seed=*/1};
  std::unique_ptr<election::HeartbeatTransport> peer = network.Attach("peer");
  LockedText log_text;
  std::ostream log_stream{&log_text};
  cmd::Logger logger{log_stream};
  cmd::Metrics metrics;
  DaemonOptions options;
  std::function<void()> on_first_leaving;  // Set before Start.
  std::unique_ptr<Daemon> daemon;

  explicit Fixture(bool create_secret = true) {
    pki = channel::GenerateChannelPki(clock.Now(), {"controller"}).value();
    REQUIRE_OK(api.Create(k8s::kNamespaces, "",
                          {{"apiVersion", "v1"},
                           {"kind", "Namespace"},
                           {"metadata", {{"name", "metallb-system"}}}})
                   .status());
    REQUIRE_OK(
        api.Create(
               k8s::kNodes, "",
               {{"apiVersion", "v1"},
                {"kind", "Node"},
                {"metadata", {{"name", "node-a"}}},
                {"status",
                 {{"addresses",
                   {{{"type", "InternalIP"}, {"address", "192.0.2.11"}}}}}}})
            .status());
    if (create_secret) CreateSecret();
    grpc::ServerBuilder builder;
    builder.RegisterService(&service);
    server = builder.BuildAndStart();
    REQUIRE(server != nullptr);
    links.SetLink(
        arp::EthernetLink(kIfindex, "eth0", kNodeMac,
                          {"192.0.2.11/24", "2001:db8::11/64", "fe80::11/64"}));
    options.node = "node-a";
    options.channel_plaintext = true;
  }

  ~Fixture() {
    if (daemon != nullptr) daemon->Stop(/*graceful=*/false);
    publisher.Shutdown();
    server->Shutdown(std::chrono::system_clock::now() +
                     std::chrono::seconds(2));
  }

  void CreateSecret() {
    json data = json::object();
    for (const auto& [k, v] : channel::ToSecretData(pki)) {
      data[k] = absl::Base64Escape(v);
    }
    REQUIRE_OK(api.Create(k8s::kSecrets, "metallb-system",
                          {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata",
                            {{"name", "metallb-channel"},
                             {"namespace", "metallb-system"}}},
                           {"data", data}})
                   .status());
  }

  SpeakerIo Io() {
    SpeakerIo io;
    io.clock = &clock;
    io.client = &api;
    io.links = &links;
    io.packets = &recording;
    io.open_heartbeats =
        [this](const std::string& local) -> absl::StatusOr<Heartbeats> {
      Heartbeats h;
      h.transport = std::make_unique<RecordingTransport>(
          network.Attach("node-a"), HeartbeatKey(pki.client_key), world,
          on_first_leaving);
      h.set_peers = [](const std::vector<std::string>&) {
        return absl::OkStatus();
      };
      h.local_address = local;
      return h;
    };
    io.dial_controller = [this](const channel::ChannelPki*) {
      // Plaintext in these tests: `tls` is null.
      return server->InProcessChannel(grpc::ChannelArguments());
    };
    return io;
  }

  absl::Status Start() {
    daemon = std::make_unique<Daemon>(options, Io(), logger, metrics);
    return daemon->Start();
  }

  // Publishes `addresses` (eligible: node-a) in pool 192.0.2.96/27 and
  // 2001:db8::100/120.
  void Publish(const std::vector<std::string>& addresses) {
    channel::DesiredState s;
    for (const std::string& address : addresses) {
      channel::v1::Announcement a;
      a.add_services(absl::StrCat("default/svc-", address));
      a.add_eligible_nodes("node-a");
      s.announcements[Ip(address)] = channel::Announcement::FromMessage(a);
    }
    channel::v1::Pool p;
    p.set_name("lan");
    p.set_protocol("arp");
    p.add_ranges("192.0.2.96/27");
    p.add_ranges("2001:db8::100/120");
    s.pools.push_back(p);
    publisher.Publish(std::move(s));
  }

  // Injects an ARP request from the client for `ip` on eth0; false when no
  // ARP connection is open there.
  bool AskArp(const std::string& ip) {
    arp::FakePacketConn* conn = packets.Conn(kIfindex, arp::Protocol::kArp);
    if (conn == nullptr) return false;
    conn->Inject(
        arp::PacketType::kBroadcast,
        arp::BuildArpFrame(arp::MakeArpRequest(kClientMac, kClientIp, Ip(ip))));
    return true;
  }

  std::string Metrics() {
    daemon->UpdateMetrics();
    return metrics.Render();
  }
  std::string Log() const { return log_text.str(); }
};

TEST_CASE("a desired address becomes a claim, then announcements and replies") {
  Fixture fx;
  REQUIRE_OK(fx.Start());
  fx.Publish({"192.0.2.100"});
  REQUIRE(Eventually([&] { return fx.daemon->ready(); }));
  INFO("log: ", fx.Log());
  // The one node claims the address and announces it...
  REQUIRE(Eventually(
      [&] { return fx.world.First("arp announce 192.0.2.100") >= 0; }));
  CHECK(absl::StrContains(fx.Metrics(),
                          "metallb_speaker_announced{ip=\"192.0.2.100\","
                          "node=\"node-a\",protocol=\"layer2\","
                          "service=\"default/svc-192.0.2.100\"} 1"));
  // ...and answers for it, with this node's MAC.
  REQUIRE(fx.AskArp("192.0.2.100"));
  REQUIRE(Eventually([&] {
    return fx.world.First("arp reply 192.0.2.100 to 192.0.2.1") >= 0;
  }));

  // Withdrawn by the controller: it stops answering. A request for another
  // address it holds, asked after, proves the first was read and ignored.
  fx.Publish({"192.0.2.101"});
  REQUIRE(Eventually(
      [&] { return fx.world.First("arp announce 192.0.2.101") >= 0; }));
  const int replies_before = fx.world.Count("arp reply 192.0.2.100");
  REQUIRE(fx.AskArp("192.0.2.100"));
  REQUIRE(fx.AskArp("192.0.2.101"));
  REQUIRE(Eventually([&] {
    return fx.world.First("arp reply 192.0.2.101 to 192.0.2.1") >= 0;
  }));
  CHECK(fx.world.Count("arp reply 192.0.2.100") == replies_before);
  const std::string metrics = fx.Metrics();
  CHECK_FALSE(absl::StrContains(metrics, "ip=\"192.0.2.100\""));
  CHECK(absl::StrContains(metrics, "ip=\"192.0.2.101\""));
}

TEST_CASE("an address outside every pool is refused, the rest announced") {
  Fixture fx;
  REQUIRE_OK(fx.Start());
  fx.Publish({"198.51.100.7", "192.0.2.100"});
  REQUIRE(Eventually([&] { return fx.daemon->ready(); }));
  REQUIRE(Eventually(
      [&] { return fx.world.First("arp announce 192.0.2.100") >= 0; }));
  INFO("log: ", fx.Log());
  CHECK(absl::StrContains(
      fx.Log(),
      "refused: refusing 198.51.100.7: outside every configured pool"));
  CHECK(absl::StrContains(fx.Metrics(),
                          "metallb_speaker_announcements_refused_total 1"));
  REQUIRE(fx.AskArp("198.51.100.7"));
  REQUIRE(fx.AskArp("192.0.2.100"));
  REQUIRE(Eventually([&] {
    return fx.world.First("arp reply 192.0.2.100 to 192.0.2.1") >= 0;
  }));
  CHECK(fx.world.First("arp announce 198.51.100.7") < 0);
  CHECK(fx.world.First("arp reply 198.51.100.7") < 0);
}

TEST_CASE("a graceful stop tells the peers while it still answers") {
  Fixture fx;
  // As the first leaving heartbeat goes out, a client asks for the address:
  // the node must still answer, or there is a gap before a peer takes over.
  fx.on_first_leaving = [&fx] {
    const int replies = fx.world.Count("arp reply 192.0.2.100");
    const bool answered =
        fx.AskArp("192.0.2.100") &&
        Eventually(
            [&] { return fx.world.Count("arp reply 192.0.2.100") > replies; },
            absl::Seconds(5));
    fx.world.Add(answered ? "answered while leaving" : "silent while leaving");
  };
  REQUIRE_OK(fx.Start());
  fx.Publish({"192.0.2.100", "2001:db8::100"});
  REQUIRE(Eventually([&] {
    return fx.world.First("arp announce 192.0.2.100") >= 0 &&
           fx.world.First("nd advert 2001:db8::100") >= 0;
  }));
  INFO("log: ", fx.Log());
  fx.daemon->Stop(/*graceful=*/true);
  const std::vector<std::string> world = fx.world.entries();
  INFO("world: ", absl::StrJoin(world, "; "));
  int withdrawn = -1;
  for (size_t i = 0; i < world.size(); ++i) {
    if (absl::StartsWith(world[i], "leave group") || world[i] == "close") {
      withdrawn = static_cast<int>(i);
      break;
    }
  }
  REQUIRE(withdrawn >= 0);
  const int answered = fx.world.First("answered while leaving");
  CHECK(answered >= 0);
  CHECK(answered < withdrawn);
  // Every leaving heartbeat went out before the addresses were let go, so
  // peers take over without waiting for silence.
  int leaving_before = 0;
  for (int i = 0; i < withdrawn; ++i) {
    leaving_before += world[i] == "heartbeat leaving";
  }
  CHECK(leaving_before == election::MembershipOptions().leave_repeats);
  // The peer heard them.
  int heard_leaving = 0;
  while (true) {
    absl::StatusOr<std::optional<std::vector<uint8_t>>> d =
        fx.peer->TryReceive();
    REQUIRE_OK(d.status());
    if (!d->has_value()) break;
    absl::StatusOr<election::Heartbeat> hb =
        election::DecodeHeartbeat(**d, HeartbeatKey(fx.pki.client_key));
    REQUIRE_OK(hb.status());
    CHECK(hb->node == "node-a");
    heard_leaving += hb->leaving;
  }
  CHECK(heard_leaving == election::MembershipOptions().leave_repeats);
  // The Lease is released: no holder, and it expires at once.
  absl::StatusOr<json> lease =
      fx.api.Get(k8s::kLeases, "metallb-system", "speaker-node-a");
  REQUIRE_OK(lease.status());
  CHECK(lease->at("spec").value("holderIdentity", "") == "");
  CHECK(lease->at("spec").value("leaseDurationSeconds", 0) == 1);
  // Every connection is closed.
  CHECK(fx.packets.open_count() == 0);
}

TEST_CASE("start waits for the channel Secret the controller creates") {
  Fixture fx(/*create_secret=*/false);
  absl::Status started = absl::UnknownError("not returned");
  std::atomic<bool> returned{false};
  std::thread starter([&] {
    started = fx.Start();
    returned = true;
  });
  REQUIRE(Eventually([&] {
    return absl::StrContains(
        fx.Log(), "waiting for Secret metallb-system/metallb-channel");
  }));
  CHECK_FALSE(returned.load());
  fx.CreateSecret();
  starter.join();
  REQUIRE_OK(started);
  fx.Publish({"192.0.2.100"});
  CHECK(Eventually(
      [&] { return fx.world.First("arp announce 192.0.2.100") >= 0; }));
}

TEST_CASE("start gives up on a Secret that never comes, naming it") {
  Fixture fx(/*create_secret=*/false);
  fx.options.secret_wait = absl::Milliseconds(100);
  absl::Status s = fx.Start();
  CHECK_STATUS(s, absl::StatusCode::kDeadlineExceeded,
               "Secret metallb-system/metallb-channel (created by the "
               "controller) is not readable");
  // Nothing was opened.
  CHECK(fx.packets.open_count() == 0);
  CHECK(fx.world.entries().empty());
}

}  // namespace
}  // namespace lb::speaker

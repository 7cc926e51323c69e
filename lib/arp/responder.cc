#include "lib/arp/responder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "lib/arp/internal/connection_set.h"
#include "lib/arp/internal/event_loop.h"
#include "lib/arp/wire.h"
#include "lib/base/status_macros.h"

namespace lb::arp {
namespace {

// Event-loop keys: (ifindex << 1 | protocol) for connections, and one for
// the link watcher.
constexpr uint64_t kLinksKey = EventLoop::kReservedKey - 1;

uint64_t EncodeKey(const std::pair<int, Protocol>& key) {
  return (static_cast<uint64_t>(key.first) << 1) |
         (key.second == Protocol::kNdp ? 1 : 0);
}

std::pair<int, Protocol> DecodeKey(uint64_t key) {
  return {static_cast<int>(key >> 1),
          (key & 1) ? Protocol::kNdp : Protocol::kArp};
}

Protocol ProtocolFor(const IpAddress& ip) {
  return ip.is_v4() ? Protocol::kArp : Protocol::kNdp;
}

}  // namespace

class Responder::View final : public OwnershipView {
 public:
  explicit View(const Responder& r) : r_(r) {}
  Ownership Lookup(const IpAddress& address,
                   int ifindex) const override ABSL_NO_THREAD_SAFETY_ANALYSIS {
    auto it = r_.addresses_.find(address);
    if (it == r_.addresses_.end() ||
        it->second.state == AddressState::kConflict) {
      return Ownership::kNotOwned;
    }
    if (!it->second.serving.count(ifindex)) return Ownership::kOtherInterface;
    return it->second.state == AddressState::kProbing ? Ownership::kProbing
                                                      : Ownership::kOwned;
  }

 private:
  const Responder& r_;
};

absl::Status ValidateResponderOptions(const ResponderOptions& o) {
  LB_RETURN_IF_ERROR(ValidatePolicy(o.interfaces));
  LB_RETURN_IF_ERROR(ValidateAnnounceOptions(o.announce));
  LB_RETURN_IF_ERROR(ValidateProbeOptions(o.probe));
  if (!(o.log_lines_per_second > 0) || o.log_burst < 1) {
    return absl::InvalidArgumentError(
        "log_lines_per_second must be positive and log_burst >= 1");
  }
  if (o.realtime_priority < 0 || o.realtime_priority > 99) {
    return absl::InvalidArgumentError(absl::StrCat(
        "realtime_priority must be in 0..99, got ", o.realtime_priority));
  }
  if (o.receive_batch < 1 || o.receive_batch > 1024) {
    return absl::InvalidArgumentError(absl::StrCat(
        "receive_batch must be in 1..1024, got ", o.receive_batch));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Responder>> Responder::Create(
    Clock& clock, LinkWatcher& links, PacketConnFactory& packets,
    ResponderOptions options) {
  LB_RETURN_IF_ERROR(ValidateResponderOptions(options));
  LB_ASSIGN_OR_RETURN(
      std::unique_ptr<EventLoop> loop,
      EventLoop::Create(clock, {options.realtime_priority, options.log}));
  LB_RETURN_IF_ERROR(Annotate(loop->Watch(links.ReadyFd(), kLinksKey),
                              "watching the link watcher"));
  auto r = std::unique_ptr<Responder>(new Responder(
      clock, links, packets, std::move(options), std::move(loop)));
  // Read the initial interface table.
  Pending p;
  {
    absl::MutexLock lock(&r->mu_);
    r->PollLinksLocked(p);
    r->ReconcileLocked(p);
  }
  r->Deliver(p);
  return r;
}

Responder::Responder(Clock& clock, LinkWatcher& links,
                     PacketConnFactory& packets, ResponderOptions options,
                     std::unique_ptr<EventLoop> loop)
    : clock_(clock),
      links_watcher_(links),
      options_(std::move(options)),
      loop_(std::move(loop)),
      conns_(std::make_unique<ConnectionSet>(
          packets, ConnectionSet::Hooks{
                       [this](const ConnKey& key, PacketConn& conn) {
                         return loop_->Watch(conn.ReadyFd(), EncodeKey(key));
                       },
                       [this](const ConnKey&, PacketConn& conn) {
                         loop_->Unwatch(conn.ReadyFd());
                       }})),
      announcer_(options_.announce),
      prober_(options_.probe),
      log_(clock, options_.log, options_.log_lines_per_second,
           options_.log_burst),
      rx_(options_.receive_batch) {}

Responder::~Responder() {
  loop_->Stop();
  absl::MutexLock lock(&mu_);
  contexts_.clear();
  conns_.reset();  // Unwatches through loop_, which is still there.
}

absl::Status Responder::ValidateAddress(const IpAddress& address,
                                        const AddressOptions& options) const {
  if (address.IsUnspecified() || address.IsMulticast()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot own ", address.ToString(),
        ": unspecified and multicast addresses are not assignable"));
  }
  for (const std::string& name : options.interfaces) {
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty interface name for ", address.ToString()));
    }
  }
  return absl::OkStatus();
}

void Responder::AddLocked(const IpAddress& address,
                          const AddressOptions& options) {
  auto [it, inserted] = addresses_.try_emplace(address);
  Entry& e = it->second;
  bool restart = inserted || e.state == AddressState::kConflict;
  e.options = options;
  if (restart) {
    e.serving.clear();
    if (options.probe_first) {
      e.state = AddressState::kProbing;
      prober_.Start(address, clock_.Monotonic());
    } else {
      e.state = AddressState::kOwned;
    }
  }
}

void Responder::RemoveLocked(const IpAddress& address) {
  auto it = addresses_.find(address);
  if (it == addresses_.end()) return;
  for (const auto& [ifindex, mac] : it->second.serving) {
    announcer_.Stop(address, ifindex);
  }
  prober_.Stop(address);
  addresses_.erase(it);
  per_address_.erase(address);
}

absl::Status Responder::AddAddress(const IpAddress& address,
                                   const AddressOptions& options) {
  LB_RETURN_IF_ERROR(ValidateAddress(address, options));
  Pending p;
  {
    absl::MutexLock lock(&mu_);
    AddLocked(address, options);
    ReconcileLocked(p);
  }
  Deliver(p);
  return absl::OkStatus();
}

absl::Status Responder::RemoveAddress(const IpAddress& address) {
  Pending p;
  {
    absl::MutexLock lock(&mu_);
    if (!addresses_.contains(address)) {
      return absl::NotFoundError(
          absl::StrCat(address.ToString(), " is not owned"));
    }
    RemoveLocked(address);
    ReconcileLocked(p);
  }
  Deliver(p);
  return absl::OkStatus();
}

absl::Status Responder::SetAddresses(
    const std::vector<std::pair<IpAddress, AddressOptions>>& addresses) {
  std::set<IpAddress> wanted;
  for (const auto& [address, options] : addresses) {
    LB_RETURN_IF_ERROR(ValidateAddress(address, options));
    if (!wanted.insert(address).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(address.ToString(), " is listed twice"));
    }
  }
  Pending p;
  {
    absl::MutexLock lock(&mu_);
    std::vector<IpAddress> gone;
    for (const auto& [address, e] : addresses_) {
      if (!wanted.count(address)) gone.push_back(address);
    }
    for (const IpAddress& a : gone) RemoveLocked(a);
    // The table keeps its capacity when entries go: after a large drop (a
    // node that claimed every address before hearing its peers), give the
    // memory back.
    if (addresses_.capacity() > 64 &&
        addresses_.size() + addresses.size() < addresses_.capacity() / 4) {
      addresses_.rehash(0);
    }
    if (per_address_.capacity() > 64 &&
        per_address_.size() * 4 < per_address_.capacity()) {
      per_address_.rehash(0);
    }
    for (const auto& [address, options] : addresses) {
      AddLocked(address, options);
    }
    ReconcileLocked(p);
  }
  Deliver(p);
  return absl::OkStatus();
}

std::vector<AddressStatus> Responder::Addresses() const {
  absl::MutexLock lock(&mu_);
  std::vector<AddressStatus> out;
  for (const auto& [address, e] : addresses_) {
    AddressStatus s{address, e.state, {}};
    for (const auto& [ifindex, mac] : e.serving) {
      s.interfaces.push_back(InterfaceName(ifindex));
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const AddressStatus& a, const AddressStatus& b) {
              return a.address < b.address;
            });
  return out;
}

std::string Responder::InterfaceName(int ifindex) const {
  auto it = links_.find(ifindex);
  return it == links_.end() ? absl::StrCat("if", ifindex) : it->second.name;
}

void Responder::PollLinksLocked(Pending& p) {
  absl::StatusOr<bool> changed = links_watcher_.Poll();
  if (!changed.ok()) {
    std::string line =
        absl::StrCat("link watcher failed: ", changed.status().ToString());
    if (log_.Admit(&line)) p.logs.emplace_back(LogLevel::kError, line);
    return;
  }
  if (*changed) {
    links_.clear();
    for (Link& l : links_watcher_.Links()) links_[l.ifindex] = std::move(l);
    ReconcileLocked(p);
  }
}

void Responder::ReconcileAddressLocked(const IpAddress& address, Entry& e) {
  InterfacePolicy policy = options_.interfaces;
  if (!e.options.interfaces.empty()) {
    policy.include = e.options.interfaces;
    policy.require_matching_prefix = false;
  }
  std::map<int, MacAddress> serving;
  for (const auto& [ifindex, link] : links_) {
    if (EvaluateLinkFor(link, address, policy) == LinkVerdict::kEligible) {
      serving[ifindex] = link.mac;
    }
  }
  if (e.state == AddressState::kOwned) {
    MonoTime now = clock_.Monotonic();
    for (const auto& [ifindex, mac] : serving) {
      auto old = e.serving.find(ifindex);
      if (old == e.serving.end() || old->second != mac) {
        announcer_.Start(address, ifindex, now);
      }
    }
  }
  for (const auto& [ifindex, mac] : e.serving) {
    if (!serving.count(ifindex)) announcer_.Stop(address, ifindex);
  }
  e.serving = std::move(serving);
  // A probe needs an interface to go out on.
  if (e.state == AddressState::kProbing) {
    prober_.SetReady(address, !e.serving.empty());
  }
}

void Responder::ReconcileLocked(Pending& p) {
  for (auto& [address, e] : addresses_) ReconcileAddressLocked(address, e);
  ReconcileConnsLocked(p);
  loop_->Kick();
}

void Responder::ReconcileConnsLocked(Pending& p) {
  ConnectionSet::Wanted wanted;
  for (const auto& [address, e] : addresses_) {
    if (e.state == AddressState::kConflict) continue;
    for (const auto& [ifindex, mac] : e.serving) {
      std::set<IpAddress>& groups = wanted[{ifindex, ProtocolFor(address)}];
      if (address.is_v6()) groups.insert(SolicitedNodeMulticast(address));
    }
  }
  for (const ConnectionSet::Failure& f : conns_->Reconcile(wanted)) {
    std::string line;
    LogLevel level;
    if (f.group.has_value()) {
      level = LogLevel::kWarning;
      line =
          absl::StrCat("cannot join ", f.group->ToString(), " on ",
                       InterfaceName(f.key.first), ": ", f.status.ToString());
    } else {
      level = LogLevel::kError;
      line = absl::StrCat(
          "cannot open ", f.key.second == Protocol::kArp ? "ARP" : "NDP",
          " socket on ", InterfaceName(f.key.first), ": ", f.status.ToString());
    }
    if (log_.Admit(&line)) p.logs.emplace_back(level, std::move(line));
  }
  contexts_.clear();
  for (const auto& [key, conn] : conns_->All()) {
    ConnContext& c = contexts_[key];
    c.conn = conn;
    auto link = links_.find(key.first);
    if (link != links_.end()) {
      c.iface = {key.first, link->second.name, link->second.mac,
                 link->second.Ipv6LinkLocal()};
    } else {
      c.iface = {key.first, InterfaceName(key.first), MacAddress(),
                 IpAddress::V6({})};
    }
    c.counters = &counters_.per_interface[c.iface.name];
  }
}

size_t Responder::SendLocked(const ConnKey& key,
                             const std::vector<std::vector<uint8_t>>& frames,
                             Pending& p) {
  if (frames.empty()) return 0;
  auto it = contexts_.find(key);
  size_t sent = 0;
  absl::Status s = it == contexts_.end()
                       ? absl::UnavailableError("no socket open")
                       : it->second.conn->Send(frames, &sent);
  if (!s.ok()) {
    size_t failed = frames.size() - sent;
    InterfaceCounters& ic = counters_.per_interface[InterfaceName(key.first)];
    counters_.send_errors += failed;
    ic.send_errors += failed;
    std::string line = absl::StrCat("send on ", InterfaceName(key.first),
                                    " failed: ", s.ToString());
    if (log_.Admit(&line)) p.logs.emplace_back(LogLevel::kWarning, line);
  }
  return sent;
}

void Responder::HandleConflictLocked(const IpAddress& address, int ifindex,
                                     const MacAddress& mac,
                                     DecisionReason reason, Pending& p) {
  auto it = addresses_.find(address);
  if (it == addresses_.end()) return;
  Entry& e = it->second;
  ++counters_.conflicts;
  ++per_address_[address].conflicts;
  MonoTime now = clock_.Monotonic();
  bool probing = e.state == AddressState::kProbing;
  if (probing) {
    prober_.Conflict(address);
    e.state = AddressState::kConflict;
    conns_dirty_ = true;
  } else {
    auto last = e.last_conflict_report.find(mac);
    if (last != e.last_conflict_report.end() &&
        now - last->second < options_.conflict_report_interval) {
      return;
    }
  }
  e.last_conflict_report[mac] = now;
  Conflict c{address, InterfaceName(ifindex), mac, reason, probing, {}};
  c.time = clock_.Now();
  std::string line = absl::StrCat(
      "conflict: ", address.ToString(), " is also claimed by ", mac.ToString(),
      " on ", c.interface, " (", DecisionReasonName(reason),
      probing ? "; claim abandoned)" : ")");
  if (log_.Admit(&line)) p.logs.emplace_back(LogLevel::kWarning, line);
  p.conflicts.push_back(std::move(c));
}

void Responder::ProcessConnLocked(const ConnKey& key, Pending& p) {
  auto it = contexts_.find(key);
  if (it == contexts_.end()) return;
  PacketConn& conn = *it->second.conn;
  const InterfaceContext& iface = it->second.iface;
  InterfaceCounters& ic = *it->second.counters;
  View view(*this);
  std::vector<std::vector<uint8_t>> replies;
  // The address each reply answers for, counted once the reply is sent.
  std::vector<IpAddress>& replied = replied_;
  replied.clear();
  // A bounded number of batches per call keeps the loop fair.
  for (int batch = 0; batch < 4; ++batch) {
    absl::StatusOr<size_t> n = conn.Receive(absl::MakeSpan(rx_));
    if (!n.ok() || *n == 0) break;
    for (size_t i = 0; i < *n; ++i) {
      const ReceivedFrame& f = rx_[i];
      Decision d = key.second == Protocol::kArp
                       ? DecideArp(iface, f.type, f.bytes(), view)
                       : DecideNd(iface, f.type, f.bytes(), view);
      ++counters_.frames_received;
      ++ic.frames_received;
      ++counters_.decisions[static_cast<size_t>(d.reason)];
      if (d.reason == DecisionReason::kMalformed) {
        ++counters_.malformed;
        ++ic.malformed;
        ++counters_.malformed_by_reason[static_cast<size_t>(d.malformed)];
        continue;
      }
      if (d.is_request && d.address.has_value() &&
          (d.reason == DecisionReason::kAnswered ||
           d.reason == DecisionReason::kAnsweredProbe ||
           d.reason == DecisionReason::kAnsweredDad ||
           d.reason == DecisionReason::kNotOwned ||
           d.reason == DecisionReason::kWrongInterface ||
           d.reason == DecisionReason::kProbing)) {
        ++counters_.requests_seen;
        ++ic.requests_seen;
        if (addresses_.contains(*d.address)) {
          ++per_address_[*d.address].requests_seen;
        }
      }
      if (d.reply.has_value()) {
        replies.push_back(std::move(*d.reply));
        replied.push_back(*d.address);
        if (d.reason == DecisionReason::kAnswered && options_.log != nullptr &&
            log_.Acquire()) {
          std::string line = d.LogLine();
          log_.Annotate(&line);
          p.logs.emplace_back(LogLevel::kInfo, std::move(line));
        }
      }
      if (d.conflict_mac.has_value() && d.address.has_value()) {
        HandleConflictLocked(*d.address, key.first, *d.conflict_mac, d.reason,
                             p);
      }
    }
    if (*n < rx_.size()) break;
  }
  size_t sent = SendLocked(key, replies, p);
  counters_.replies_sent += sent;
  ic.replies_sent += sent;
  for (size_t i = 0; i < sent; ++i) ++per_address_[replied[i]].replies_sent;
  if (conns_dirty_) {
    conns_dirty_ = false;
    ReconcileConnsLocked(p);
  }
}

void Responder::RunTimersLocked(MonoTime now, Pending& p) {
  // Probes: one per serving interface.
  Prober::Step step = prober_.TakeDue(now);
  for (const IpAddress& address : step.probe) {
    const Entry& e = addresses_.at(address);
    for (const auto& [ifindex, mac] : e.serving) {
      std::vector<std::vector<uint8_t>> frame;
      if (address.is_v4()) {
        frame.push_back(BuildArpFrame(MakeArpProbe(mac, address)));
      } else {
        frame.push_back(BuildNdFrame(
            MakeNeighborSolicitation(mac, IpAddress::V6({}), address)));
      }
      size_t sent = SendLocked({ifindex, ProtocolFor(address)}, frame, p);
      counters_.probes_sent += sent;
      per_address_[address].probes_sent += sent;
    }
  }
  // Claims that survived probing: answered from now on, and announced.
  for (const IpAddress& address : step.claimed) {
    Entry& e = addresses_.at(address);
    e.state = AddressState::kOwned;
    for (const auto& [ifindex, mac] : e.serving) {
      announcer_.Start(address, ifindex, now);
    }
  }
  // Announcements, grouped per connection, each frame with its address.
  struct Batch {
    std::vector<std::vector<uint8_t>> frames;
    std::vector<IpAddress> addresses;
  };
  std::map<ConnKey, Batch> out;
  for (const Announcer::Due& due : announcer_.TakeDue(now)) {
    auto link = links_.find(due.ifindex);
    if (link == links_.end()) continue;
    const MacAddress& mac = link->second.mac;
    Batch& batch = out[{due.ifindex, ProtocolFor(due.address)}];
    if (due.address.is_v4()) {
      batch.frames.push_back(
          BuildArpFrame(MakeGratuitousRequest(mac, due.address)));
      batch.frames.push_back(
          BuildArpFrame(MakeGratuitousReply(mac, due.address)));
    } else {
      IpAddress source = link->second.Ipv6LinkLocal();
      if (source.IsUnspecified()) source = due.address;
      batch.frames.push_back(
          BuildNdFrame(MakeUnsolicitedAdvertisement(mac, source, due.address)));
    }
    batch.addresses.resize(batch.frames.size(), due.address);
  }
  for (const auto& [key, batch] : out) {
    size_t sent = SendLocked(key, batch.frames, p);
    counters_.announcements_sent += sent;
    counters_.per_interface[InterfaceName(key.first)].announcements_sent +=
        sent;
    for (size_t i = 0; i < sent; ++i) {
      ++per_address_[batch.addresses[i]].announcements_sent;
    }
  }
}

MonoTime Responder::NextDeadlineLocked(MonoTime now) const {
  return std::min(announcer_.NextDeadline(now), prober_.NextDeadline());
}

void Responder::OnReady(absl::Span<const uint64_t> keys) {
  Pending p;
  {
    absl::MutexLock lock(&mu_);
    for (uint64_t key : keys) {
      if (key == kLinksKey) {
        PollLinksLocked(p);
      } else {
        ProcessConnLocked(DecodeKey(key), p);
      }
    }
  }
  Deliver(p);
}

MonoTime Responder::OnTimers(MonoTime now) {
  Pending p;
  MonoTime next;
  {
    absl::MutexLock lock(&mu_);
    RunTimersLocked(now, p);
    next = NextDeadlineLocked(now);
  }
  Deliver(p);
  return next;
}

CountersSnapshot Responder::Counters() const {
  absl::MutexLock lock(&mu_);
  // Kernel drop counters are read here rather than per wake-up: one
  // getsockopt less on the reply path.
  for (const auto& [key, c] : contexts_) {
    uint64_t drops = c.conn->TakeKernelDrops();
    counters_.kernel_drops += drops;
    counters_.per_interface[c.iface.name].kernel_drops += drops;
  }
  CountersSnapshot c = counters_;
  c.per_address.insert(per_address_.begin(), per_address_.end());
  c.log_lines_suppressed = log_.suppressed_total();
  return c;
}

void Responder::Deliver(Pending& p) {
  if (options_.log != nullptr) {
    for (const auto& [level, line] : p.logs) options_.log->Log(level, line);
  }
  if (options_.on_conflict) {
    for (const Conflict& c : p.conflicts) options_.on_conflict(c);
  }
}

absl::Status Responder::Start() {
  return loop_->Start(
      {[this](absl::Span<const uint64_t> keys) { OnReady(keys); },
       [this](MonoTime now) { return OnTimers(now); }});
}

void Responder::Stop() { loop_->Stop(); }

}  // namespace lb::arp

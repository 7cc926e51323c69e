// arptool: answer, announce and probe IPv4/IPv6 addresses on an Ethernet
// segment with lib/arp. See `arptool --help`.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/arp/af_packet_conn.h"
#include "lib/arp/netlink_link_watcher.h"
#include "lib/arp/responder.h"
#include "lib/arp/wire.h"
#include "lib/base/clock.h"

namespace {

using lb::IpAddress;
using lb::arp::MacAddress;

constexpr char kUsage[] = R"(Usage:
  arptool announce [options] ADDRESS...
  arptool probe [options] ADDRESS
  arptool --help

Answer ARP requests and IPv6 neighbour solicitations for ADDRESSes and
announce them, or find out who answers for an address.

announce  Owns every ADDRESS (IPv4 or IPv6) until interrupted (SIGINT or
          SIGTERM): answers requests for it from the serving interfaces,
          sends a gratuitous burst on start and whenever an interface
          (re)appears or changes its MAC, and reports other hosts claiming
          the address. On exit it prints its counters.
  -i, --interface NAME   serve only on NAME (repeatable); default: every
                         eligible interface with a prefix containing the
                         address
  --probe                probe first (ARP probe / DAD) and do not claim an
                         address someone else answers for
  --rounds N             announcements per takeover (default 5)
  --interval MS          spacing of announcements (default 1100)
  --refresh SECONDS      re-announce periodically (default 0: off)
  --rate FRAMES          announcement frames per second per interface
                         (default 2000)
  --realtime PRIO        answer from a SCHED_FIFO thread of priority PRIO
                         (1..99; needs CAP_SYS_NICE), as keepalived does
  -q, --quiet            do not log answered requests

probe     Sends requests for ADDRESS and lists every MAC that answers,
          like arping / ndisc6.
  -i, --interface NAME   interface to send on (required)
  -c, --count N          requests to send (default 3)
  -w, --wait MS          time to wait for answers after each (default 1000)
  -D, --dad              duplicate address detection: send ARP probes
                         (sender 0.0.0.0) / DAD solicitations (source ::)

Exit status (probe): 0 exactly one MAC answered, 1 none answered,
2 several MACs answered (duplicate), 64 usage error, 69 system error.
Needs CAP_NET_RAW.

Examples:
  arptool announce -i eth0 192.168.1.240 fd77::240
  arptool probe -i eth0 -c 2 192.168.1.240
  arptool probe -i eth0 --dad fd77::240
)";

int Usage(const std::string& error) {
  std::fprintf(stderr, "arptool: %s\nTry 'arptool --help'.\n", error.c_str());
  return 64;
}

class StderrSink : public lb::arp::LogSink {
 public:
  void Log(lb::arp::LogLevel level, absl::string_view message) override {
    const char* tag = level == lb::arp::LogLevel::kInfo      ? "I"
                      : level == lb::arp::LogLevel::kWarning ? "W"
                                                             : "E";
    std::fprintf(
        stderr, "%s %s %.*s\n", tag,
        absl::FormatTime("%H:%M:%E6S", absl::Now(), absl::UTCTimeZone())
            .c_str(),
        static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
  }
};

bool TakeValue(const std::vector<std::string>& args, size_t& i,
               std::string* value) {
  if (i + 1 >= args.size()) return false;
  *value = args[++i];
  return true;
}

template <typename T>
bool ParseNumber(const std::string& text, T* out) {
  return absl::SimpleAtoi(text, out) && *out >= 0;
}

void PrintCounters(const lb::arp::CountersSnapshot& c) {
  std::printf("frames_received: %llu\n", (unsigned long long)c.frames_received);
  std::printf("requests_seen: %llu\n", (unsigned long long)c.requests_seen);
  std::printf("replies_sent: %llu\n", (unsigned long long)c.replies_sent);
  std::printf("announcements_sent: %llu\n",
              (unsigned long long)c.announcements_sent);
  std::printf("probes_sent: %llu\n", (unsigned long long)c.probes_sent);
  std::printf("conflicts: %llu\n", (unsigned long long)c.conflicts);
  std::printf("malformed: %llu\n", (unsigned long long)c.malformed);
  std::printf("send_errors: %llu\n", (unsigned long long)c.send_errors);
  std::printf("kernel_drops: %llu\n", (unsigned long long)c.kernel_drops);
  for (const auto& [ip, a] : c.per_address) {
    std::printf(
        "address %s: requests=%llu replies=%llu announcements=%llu "
        "conflicts=%llu\n",
        ip.ToString().c_str(), (unsigned long long)a.requests_seen,
        (unsigned long long)a.replies_sent,
        (unsigned long long)a.announcements_sent,
        (unsigned long long)a.conflicts);
  }
  std::fflush(stdout);
}

int Announce(const std::vector<std::string>& args) {
  lb::arp::ResponderOptions options;
  lb::arp::AddressOptions address_options;
  std::vector<IpAddress> addresses;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "-i" || a == "--interface") {
      if (!TakeValue(args, i, &v)) return Usage(a + " needs a name");
      address_options.interfaces.push_back(v);
    } else if (a == "--probe") {
      address_options.probe_first = true;
    } else if (a == "--rounds") {
      if (!TakeValue(args, i, &v) || !ParseNumber(v, &options.announce.rounds))
        return Usage("--rounds needs a number");
    } else if (a == "--interval") {
      int ms;
      if (!TakeValue(args, i, &v) || !ParseNumber(v, &ms))
        return Usage("--interval needs milliseconds");
      options.announce.interval = absl::Milliseconds(ms);
    } else if (a == "--refresh") {
      int s;
      if (!TakeValue(args, i, &v) || !ParseNumber(v, &s))
        return Usage("--refresh needs seconds");
      options.announce.refresh = absl::Seconds(s);
    } else if (a == "--rate") {
      if (!TakeValue(args, i, &v) ||
          !absl::SimpleAtod(v, &options.announce.frames_per_second))
        return Usage("--rate needs frames per second");
    } else if (a == "--realtime") {
      if (!TakeValue(args, i, &v) ||
          !ParseNumber(v, &options.realtime_priority) ||
          options.realtime_priority < 1 || options.realtime_priority > 99)
        return Usage("--realtime needs a priority 1..99");
    } else if (a == "-q" || a == "--quiet") {
      quiet = true;
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option " + a);
    } else {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(a);
      if (!ip.ok()) return Usage(std::string(ip.status().message()));
      addresses.push_back(*ip);
    }
  }
  if (addresses.empty()) return Usage("announce needs at least one ADDRESS");

  // Block the stop signals before any thread starts; sigwait below.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  lb::RealClock clock;
  StderrSink sink;
  struct QuietSink : lb::arp::LogSink {
    lb::arp::LogSink* inner;
    void Log(lb::arp::LogLevel level, absl::string_view m) override {
      if (level != lb::arp::LogLevel::kInfo) inner->Log(level, m);
    }
  } quiet_sink;
  quiet_sink.inner = &sink;
  options.log = quiet ? static_cast<lb::arp::LogSink*>(&quiet_sink) : &sink;
  options.on_conflict = [](const lb::arp::Conflict& c) {
    std::fprintf(stderr, "CONFLICT %s claimed by %s on %s (%s)%s\n",
                 c.address.ToString().c_str(), c.other_mac.ToString().c_str(),
                 c.interface.c_str(),
                 std::string(lb::arp::DecisionReasonName(c.reason)).c_str(),
                 c.while_probing ? ", not claimed" : "");
    std::fflush(stderr);
  };
  absl::StatusOr<std::unique_ptr<lb::arp::NetlinkLinkWatcher>> links =
      lb::arp::NetlinkLinkWatcher::Create();
  if (!links.ok()) {
    std::fprintf(stderr, "arptool: %s\n", links.status().ToString().c_str());
    return 69;
  }
  lb::arp::AfPacketConnFactory packets;
  auto responder = lb::arp::Responder::Create(clock, **links, packets, options);
  if (!responder.ok()) {
    std::fprintf(stderr, "arptool: %s\n",
                 responder.status().ToString().c_str());
    return 64;
  }
  for (const IpAddress& ip : addresses) {
    absl::Status s = (*responder)->AddAddress(ip, address_options);
    if (!s.ok()) {
      std::fprintf(stderr, "arptool: %s\n", s.ToString().c_str());
      return 64;
    }
  }
  absl::Status s = (*responder)->Start();
  if (!s.ok()) {
    std::fprintf(stderr, "arptool: %s\n", s.ToString().c_str());
    return 69;
  }
  for (const lb::arp::AddressStatus& st : (*responder)->Addresses()) {
    std::string ifs;
    for (const std::string& n : st.interfaces) absl::StrAppend(&ifs, " ", n);
    std::fprintf(stderr, "owning %s on:%s\n", st.address.ToString().c_str(),
                 ifs.empty() ? " (no eligible interface yet)" : ifs.c_str());
  }
  std::fflush(stderr);
  int sig = 0;
  sigwait(&stop, &sig);
  (*responder)->Stop();
  PrintCounters((*responder)->Counters());
  return 0;
}

int Probe(const std::vector<std::string>& args) {
  std::string ifname;
  int count = 3;
  int wait_ms = 1000;
  bool dad = false;
  std::optional<IpAddress> target;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    std::string v;
    if (a == "-i" || a == "--interface") {
      if (!TakeValue(args, i, &ifname)) return Usage(a + " needs a name");
    } else if (a == "-c" || a == "--count") {
      if (!TakeValue(args, i, &v) || !ParseNumber(v, &count) || count < 1)
        return Usage("--count needs a positive number");
    } else if (a == "-w" || a == "--wait") {
      if (!TakeValue(args, i, &v) || !ParseNumber(v, &wait_ms))
        return Usage("--wait needs milliseconds");
    } else if (a == "-D" || a == "--dad") {
      dad = true;
    } else if (!a.empty() && a[0] == '-') {
      return Usage("unknown option " + a);
    } else if (target.has_value()) {
      return Usage("probe takes one ADDRESS");
    } else {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(a);
      if (!ip.ok()) return Usage(std::string(ip.status().message()));
      target = *ip;
    }
  }
  if (ifname.empty()) return Usage("probe needs -i INTERFACE");
  if (!target.has_value()) return Usage("probe needs an ADDRESS");

  auto links = lb::arp::NetlinkLinkWatcher::Create();
  if (!links.ok()) {
    std::fprintf(stderr, "arptool: %s\n", links.status().ToString().c_str());
    return 69;
  }
  std::optional<lb::arp::Link> link;
  for (const lb::arp::Link& l : (*links)->Links()) {
    if (l.name == ifname) link = l;
  }
  if (!link.has_value()) {
    std::fprintf(stderr, "arptool: no interface named %s\n", ifname.c_str());
    return 69;
  }
  // Our source address: one on the interface in the target's family.
  IpAddress source = target->is_v4() ? IpAddress::V4(0) : IpAddress::V6({});
  if (!dad) {
    for (const lb::arp::LinkAddress& a : link->addresses) {
      const IpAddress& ip = a.prefix.address();
      if (ip.family() != target->family() || a.tentative) continue;
      if (source.IsUnspecified() || a.prefix.Contains(*target)) source = ip;
    }
    if (source.IsUnspecified()) {
      std::fprintf(stderr,
                   "arptool: %s has no %s address to ask from; use --dad\n",
                   ifname.c_str(), target->is_v4() ? "IPv4" : "IPv6");
      return 69;
    }
  }
  lb::arp::AfPacketConnFactory packets;
  auto conn =
      packets.Open(link->ifindex, target->is_v4() ? lb::arp::Protocol::kArp
                                                  : lb::arp::Protocol::kNdp);
  if (!conn.ok()) {
    std::fprintf(stderr, "arptool: %s\n", conn.status().ToString().c_str());
    return 69;
  }
  if (target->is_v6()) {
    (void)(*conn)->JoinGroup(lb::arp::AllNodesMulticast());
  }
  std::vector<uint8_t> request =
      target->is_v4()
          ? lb::arp::BuildArpFrame(
                dad ? lb::arp::MakeArpProbe(link->mac, *target)
                    : lb::arp::MakeArpRequest(link->mac, source, *target))
          : lb::arp::BuildNdFrame(
                lb::arp::MakeNeighborSolicitation(link->mac, source, *target));
  std::printf("%s %s on %s from %s (%s)\n", dad ? "PROBE" : "ASK",
              target->ToString().c_str(), ifname.c_str(),
              source.ToString().c_str(), link->mac.ToString().c_str());
  std::map<MacAddress, int> answers;
  std::vector<lb::arp::ReceivedFrame> rx(32);
  for (int round = 0; round < count; ++round) {
    absl::Time sent_at = absl::Now();
    absl::Status s = (*conn)->Send({request});
    if (!s.ok()) {
      std::fprintf(stderr, "arptool: %s\n", s.ToString().c_str());
      return 69;
    }
    absl::Time deadline = sent_at + absl::Milliseconds(wait_ms);
    while (absl::Now() < deadline) {
      pollfd pfd{(*conn)->ReadyFd(), POLLIN, 0};
      int timeout = static_cast<int>(
          absl::ToInt64Milliseconds(deadline - absl::Now()) + 1);
      if (poll(&pfd, 1, timeout) <= 0) continue;
      absl::Time now = absl::Now();
      auto n = (*conn)->Receive(absl::MakeSpan(rx));
      if (!n.ok()) break;
      for (size_t i = 0; i < *n; ++i) {
        std::optional<MacAddress> mac;
        if (target->is_v4()) {
          auto f = lb::arp::ParseArpFrame(rx[i].bytes());
          // Only answers to us (THA = our MAC), not announcements.
          if (f.ok() && f->op == lb::arp::ArpOp::kReply &&
              f->sender_ip == *target && f->target_mac == link->mac &&
              f->sender_mac != link->mac) {
            mac = f->sender_mac;
          }
        } else {
          auto f = lb::arp::ParseNdFrame(rx[i].bytes());
          // Solicited answers, or (for DAD) any advertisement of the target.
          if (f.ok() && f->type == lb::arp::NdType::kNeighborAdvertisement &&
              f->target == *target && f->ethernet.source != link->mac &&
              (f->solicited || dad)) {
            mac = f->target_lladdr.value_or(f->ethernet.source);
          }
        }
        if (!mac.has_value()) continue;
        ++answers[*mac];
        std::printf("reply from %s at %s %.3f ms\n", target->ToString().c_str(),
                    mac->ToString().c_str(),
                    absl::ToDoubleMilliseconds(now - sent_at));
      }
    }
  }
  std::fflush(stdout);
  if (answers.empty()) {
    std::printf("no answer for %s\n", target->ToString().c_str());
    return 1;
  }
  if (answers.size() > 1) {
    std::printf("DUPLICATE: %s is answered by %zu MACs:",
                target->ToString().c_str(), answers.size());
    for (const auto& [mac, n] : answers) {
      std::printf(" %s", mac.ToString().c_str());
    }
    std::printf("\n");
    return 2;
  }
  std::printf("%s is-at %s\n", target->ToString().c_str(),
              answers.begin()->first.ToString().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage("missing command");
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& a : rest) {
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
  }
  if (args[0] == "announce") return Announce(rest);
  if (args[0] == "probe") return Probe(rest);
  return Usage("unknown command " + args[0]);
}

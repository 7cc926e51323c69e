// lan_probe: what a client on the LAN sees of one IPv4 service address, as
// timestamped events on stdout, until SIGINT or SIGTERM. It only listens and
// connects: it sends no ARP of its own, so the kernel's neighbour entry moves
// only on what the speakers send (and the kernel's own resolution).
//
//   lan_probe --interface eth0 --address 192.168.1.240 [--tcp-port 80]
//             [--tcp-every-ms 5] [--tcp-timeout-ms 300] [--no-tcp]
//             [--arp-all]
//
// One event a line, every time in CLOCK_REALTIME microseconds (the clock of
// bash's $EPOCHREALTIME), each line flushed as it is written:
//   start T
//   neigh T LLADDR STATE       the kernel's neighbour entry for ADDRESS on
//                              the interface, as netlink reports it (first the
//                              entry as it is at start, if any); LLADDR "-"
//                              when absent, STATE e.g. REACHABLE, "deleted"
//   arp T OP SENDER_MAC SENDER_IP TARGET_IP
//                              an ARP frame received on the interface whose
//                              sender is ADDRESS (any frame with --arp-all);
//                              T is the kernel's receive time; OP is
//                              "request" or "reply"
//   tcp START CONNECTED DONE ok SERVED_BY
//   tcp START - DONE fail REASON
//                              a connection to ADDRESS:PORT started at START
//                              (one every --tcp-every-ms), established at
//                              CONNECTED; on success it sent "GET /" and
//                              SERVED_BY is nginx's X-Served-By header ("-"
//                              if none); each attempt gives up after
//                              --tcp-timeout-ms and is closed with a reset, so
//                              no TIME_WAIT state piles up
// Exit status: 0 after a signal, 2 for bad usage, 1 if a socket cannot be
// opened. Needs CAP_NET_RAW (the ARP capture): run it as root inside the
// client's network namespace.

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/lan/arp_capture.h"

namespace {

using lb::bench::Ip4String;
using lb::bench::MacString;
using lb::bench::NowMicros;

struct Options {
  std::string interface;
  in_addr address{};
  int tcp_port = 80;
  int tcp_every_ms = 5;
  int tcp_timeout_ms = 300;
  bool tcp = true;
  bool arp_all = false;
};

std::mutex g_out_mu;

// Writes one event line and flushes it.
void Emit(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_out_mu);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int64_t MonotonicMillis() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string NudStateName(uint16_t state) {
  static const struct {
    uint16_t bit;
    const char* name;
  } kStates[] = {
      {NUD_INCOMPLETE, "INCOMPLETE"}, {NUD_REACHABLE, "REACHABLE"},
      {NUD_STALE, "STALE"},           {NUD_DELAY, "DELAY"},
      {NUD_PROBE, "PROBE"},           {NUD_FAILED, "FAILED"},
      {NUD_NOARP, "NOARP"},           {NUD_PERMANENT, "PERMANENT"},
  };
  std::string out;
  for (const auto& s : kStates) {
    if (state & s.bit) {
      if (!out.empty()) out += ",";
      out += s.name;
    }
  }
  return out.empty() ? "NONE" : out;
}

// --- neighbour entry (netlink) ----------------------------------------------

void HandleNeighMessage(const nlmsghdr* h, const Options& o, int ifindex) {
  if (h->nlmsg_type != RTM_NEWNEIGH && h->nlmsg_type != RTM_DELNEIGH) return;
  const auto* nd = static_cast<const ndmsg*>(NLMSG_DATA(h));
  if (nd->ndm_family != AF_INET || nd->ndm_ifindex != ifindex) return;
  int len = static_cast<int>(h->nlmsg_len) - NLMSG_LENGTH(sizeof(*nd));
  bool ours = false;
  std::string lladdr = "-";
  for (const rtattr* a = reinterpret_cast<const rtattr*>(
           reinterpret_cast<const char*>(nd) + NLMSG_ALIGN(sizeof(*nd)));
       RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == NDA_DST && RTA_PAYLOAD(a) == 4) {
      ours = std::memcmp(RTA_DATA(a), &o.address, 4) == 0;
    } else if (a->rta_type == NDA_LLADDR && RTA_PAYLOAD(a) == 6) {
      lladdr = MacString(static_cast<const uint8_t*>(RTA_DATA(a)));
    }
  }
  if (!ours) return;
  std::string state = h->nlmsg_type == RTM_DELNEIGH
                          ? std::string("deleted")
                          : NudStateName(nd->ndm_state);
  Emit("neigh " + std::to_string(NowMicros()) + " " + lladdr + " " + state);
}

bool StartNeighWatch(const Options& o, int ifindex, int* fd_out) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return false;
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_NEIGH;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    close(fd);
    return false;
  }
  // The entry as it is now: a dump, answered on the same socket.
  struct {
    nlmsghdr h;
    ndmsg nd;
  } req{};
  req.h.nlmsg_len = sizeof(req);
  req.h.nlmsg_type = RTM_GETNEIGH;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = 1;
  req.nd.ndm_family = AF_INET;
  if (send(fd, &req, sizeof(req), 0) < 0) {
    close(fd);
    return false;
  }
  *fd_out = fd;
  return true;
}

void NeighLoop(int fd, Options o, int ifindex) {
  std::vector<char> buf(1 << 16);
  while (true) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        Emit("neigh " + std::to_string(NowMicros()) + " - overrun");
        continue;
      }
      return;
    }
    // NLMSG_OK/NLMSG_NEXT, spelt out: the macros compare signed with unsigned.
    size_t offset = 0;
    while (offset + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
      const nlmsghdr* h =
          reinterpret_cast<const nlmsghdr*>(buf.data() + offset);
      if (h->nlmsg_len < sizeof(nlmsghdr) ||
          h->nlmsg_len > static_cast<size_t>(n) - offset) {
        break;
      }
      offset += NLMSG_ALIGN(h->nlmsg_len);
      HandleNeighMessage(h, o, ifindex);
    }
  }
}

// --- ARP frames
// ----------------------------------------------------------------

void ArpLoop(lb::bench::ArpCapture* capture, Options o) {
  lb::bench::ArpFrame f;
  while (capture->Read(&f)) {
    if (!o.arp_all && f.sender_ip.s_addr != o.address.s_addr) continue;
    Emit("arp " + std::to_string(f.time_us) + " " +
         (f.op == 1   ? std::string("request")
          : f.op == 2 ? std::string("reply")
                      : std::to_string(f.op)) +
         " " + MacString(f.sender_mac) + " " + Ip4String(f.sender_ip) + " " +
         Ip4String(f.target_ip));
  }
}

// --- TCP connections ---------------------------------------------------------

struct Attempt {
  int fd = -1;
  int64_t start_us = 0;
  int64_t connected_us = 0;  // 0 until established.
  int64_t deadline_ms = 0;   // Monotonic.
  std::string response;
};

void CloseWithReset(int fd) {
  linger l{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

// The X-Served-By header's value in an HTTP response head, or "-".
std::string ServedBy(const std::string& head) {
  static const char kName[] = "x-served-by:";
  std::string lower = head;
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  size_t at = lower.find(kName);
  if (at == std::string::npos) return "-";
  size_t begin = at + sizeof(kName) - 1;
  while (begin < head.size() && head[begin] == ' ') ++begin;
  size_t end = head.find_first_of("\r\n", begin);
  std::string value = head.substr(begin, end - begin);
  return value.empty() ? "-" : value;
}

void Finish(Attempt& a, bool ok, const std::string& detail) {
  std::string connected =
      a.connected_us ? std::to_string(a.connected_us) : std::string("-");
  Emit("tcp " + std::to_string(a.start_us) + " " + connected + " " +
       std::to_string(NowMicros()) + (ok ? " ok " : " fail ") + detail);
  CloseWithReset(a.fd);
  a.fd = -1;
}

void TcpLoop(Options o) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(o.tcp_port));
  to.sin_addr = o.address;
  const std::string request =
      "GET / HTTP/1.0\r\nHost: " + Ip4String(o.address) + "\r\n\r\n";
  std::vector<Attempt> attempts;
  int64_t next_start = MonotonicMillis();
  while (true) {
    int64_t now = MonotonicMillis();
    if (now >= next_start) {
      next_start += o.tcp_every_ms;
      if (next_start <= now) next_start = now + o.tcp_every_ms;
      Attempt a;
      a.start_us = NowMicros();
      a.deadline_ms = now + o.tcp_timeout_ms;
      a.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (a.fd < 0) {
        Emit("tcp " + std::to_string(a.start_us) + " - " +
             std::to_string(NowMicros()) +
             " fail socket:" + std::strerror(errno));
      } else if (connect(a.fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) !=
                     0 &&
                 errno != EINPROGRESS) {
        Finish(a, false, std::string("connect:") + std::strerror(errno));
      } else {
        attempts.push_back(std::move(a));
      }
    }
    // Expired attempts.
    now = MonotonicMillis();
    for (Attempt& a : attempts) {
      if (a.fd >= 0 && now >= a.deadline_ms) Finish(a, false, "timeout");
    }
    std::vector<Attempt> live;
    for (Attempt& a : attempts) {
      if (a.fd >= 0) live.push_back(std::move(a));
    }
    attempts = std::move(live);
    std::vector<pollfd> fds;
    for (const Attempt& a : attempts) {
      fds.push_back(
          {a.fd, static_cast<short>(a.connected_us ? POLLIN : POLLOUT), 0});
    }
    int64_t wait = next_start - MonotonicMillis();
    for (const Attempt& a : attempts) {
      wait = std::min(wait, a.deadline_ms - MonotonicMillis());
    }
    if (wait < 0) wait = 0;
    int ready = poll(fds.data(), fds.size(), static_cast<int>(wait));
    if (ready <= 0) continue;
    for (size_t i = 0; i < fds.size(); ++i) {
      Attempt& a = attempts[i];
      if (fds[i].revents == 0) continue;
      if (!a.connected_us) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          Finish(a, false, std::string("connect:") + std::strerror(err));
          continue;
        }
        a.connected_us = NowMicros();
        if (send(a.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
          Finish(a, false, "send");
        }
        continue;
      }
      char buf[4096];
      ssize_t n = recv(a.fd, buf, sizeof(buf), 0);
      if (n > 0) a.response.append(buf, n);
      size_t head_end = a.response.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        Finish(a, true, ServedBy(a.response.substr(0, head_end)));
      } else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        Finish(a, false, "closed");
      }
    }
  }
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "lan_probe: %s\nusage: lan_probe --interface IF --address IPV4 "
               "[--tcp-port N] [--tcp-every-ms N] [--tcp-timeout-ms N] "
               "[--no-tcp] [--arp-all]\n",
               why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  bool have_address = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    auto positive = [&](int* out) {
      const char* v = value();
      if (v == nullptr) return false;
      char* end = nullptr;
      long n = std::strtol(v, &end, 10);
      if (*end != '\0' || n <= 0 || n > 1000000) return false;
      *out = static_cast<int>(n);
      return true;
    };
    if (arg == "--interface") {
      const char* v = value();
      if (v == nullptr) return Usage("--interface needs a value");
      o.interface = v;
    } else if (arg == "--address") {
      const char* v = value();
      if (v == nullptr || inet_pton(AF_INET, v, &o.address) != 1) {
        return Usage("--address needs an IPv4 address");
      }
      have_address = true;
    } else if (arg == "--tcp-port") {
      if (!positive(&o.tcp_port) || o.tcp_port > 65535) {
        return Usage("bad --tcp-port");
      }
    } else if (arg == "--tcp-every-ms") {
      if (!positive(&o.tcp_every_ms)) return Usage("bad --tcp-every-ms");
    } else if (arg == "--tcp-timeout-ms") {
      if (!positive(&o.tcp_timeout_ms)) return Usage("bad --tcp-timeout-ms");
    } else if (arg == "--no-tcp") {
      o.tcp = false;
    } else if (arg == "--arp-all") {
      o.arp_all = true;
    } else {
      return Usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.interface.empty() || !have_address) {
    return Usage("--interface and --address are required");
  }
  const int ifindex = static_cast<int>(if_nametoindex(o.interface.c_str()));
  if (ifindex == 0) {
    std::fprintf(stderr, "lan_probe: no interface %s\n", o.interface.c_str());
    return 1;
  }

  // Signals are taken synchronously by main; every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  int neigh_fd = -1;
  if (!StartNeighWatch(o, ifindex, &neigh_fd)) {
    std::perror("lan_probe: netlink");
    return 1;
  }
  static lb::bench::ArpCapture capture;
  if (!capture.Open(o.interface)) {
    std::perror("lan_probe: packet socket");
    return 1;
  }
  Emit("start " + std::to_string(NowMicros()));
  // The threads block in their reads until the process exits.
  std::thread(NeighLoop, neigh_fd, o, ifindex).detach();
  std::thread(ArpLoop, &capture, o).detach();
  if (o.tcp) std::thread(TcpLoop, o).detach();
  int sig = 0;
  sigwait(&signals, &sig);
  std::lock_guard<std::mutex> lock(g_out_mu);
  std::fflush(stdout);
  std::_Exit(0);
}

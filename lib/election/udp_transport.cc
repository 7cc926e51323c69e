#include "lib/election/udp_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace lb::election {
namespace {

socklen_t AddrLen(const sockaddr_storage& ss) {
  return ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

absl::StatusOr<sockaddr_storage> ParseEndpoint(absl::string_view text) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad endpoint \"", text, "\": ", why));
  };
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) return bad("missing \":port\"");
  absl::string_view host = text.substr(0, colon);
  uint32_t port = 0;
  if (!absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return bad("port must be 0..65535");
  }
  sockaddr_storage ss;
  std::memset(&ss, 0, sizeof(ss));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    std::string h(host.substr(1, host.size() - 2));
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) != 1) {
      return bad("not an IPv6 address");
    }
    return ss;
  }
  std::string h(host);
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, h.c_str(), &a4->sin_addr) != 1) {
    return bad("not an IPv4 address (IPv6 goes in brackets)");
  }
  return ss;
}

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<UdpTransport>> UdpTransport::Create(
    absl::string_view bind_address, Clock& clock) {
  LB_ASSIGN_OR_RETURN(const sockaddr_storage local,
                      ParseEndpoint(bind_address));
  int fd =
      socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  if (bind(fd, reinterpret_cast<const sockaddr*>(&local), AddrLen(local)) !=
      0) {
    absl::Status s = Errno(absl::StrCat("bind ", bind_address));
    close(fd);
    return s;
  }
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status s = Errno("eventfd");
    close(fd);
    return s;
  }
  return std::unique_ptr<UdpTransport>(new UdpTransport(fd, wake_fd, clock));
}

UdpTransport::~UdpTransport() {
  close(fd_);
  close(wake_fd_);
}

absl::Status UdpTransport::SetPeers(const std::vector<std::string>& peers) {
  std::vector<sockaddr_storage> parsed;
  for (const std::string& p : peers) {
    LB_ASSIGN_OR_RETURN(const sockaddr_storage ss, ParseEndpoint(p));
    parsed.push_back(ss);
  }
  absl::MutexLock lock(&mu_);
  peers_ = std::move(parsed);
  return absl::OkStatus();
}

std::string UdpTransport::LocalAddress() const {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "";
  char buf[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET6) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a6->sin6_addr, buf, sizeof(buf));
    return absl::StrCat("[", buf, "]:", ntohs(a6->sin6_port));
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  inet_ntop(AF_INET, &a4->sin_addr, buf, sizeof(buf));
  return absl::StrCat(buf, ":", ntohs(a4->sin_port));
}

absl::Status UdpTransport::SendToPeers(absl::Span<const uint8_t> datagram) {
  std::vector<sockaddr_storage> peers;
  {
    absl::MutexLock lock(&mu_);
    peers = peers_;
  }
  // One sendmmsg() for every peer: the heartbeat is the idle speaker's only
  // periodic work, so it costs one system call, not one per peer.
  iovec iov{const_cast<uint8_t*>(datagram.data()), datagram.size()};
  std::vector<mmsghdr> msgs(peers.size());
  for (size_t i = 0; i < peers.size(); ++i) {
    msghdr& h = msgs[i].msg_hdr;
    h.msg_name = &peers[i];
    h.msg_namelen = AddrLen(peers[i]);
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
  }
  size_t sent = 0;
  int last_errno = 0;
  // sendmmsg() stops at the first peer it cannot send to; that peer is
  // skipped and the rest still get theirs.
  for (size_t next = 0; next < msgs.size();) {
    const int n =
        sendmmsg(fd_, &msgs[next],
                 static_cast<unsigned int>(msgs.size() - next), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      last_errno = errno;
      ++next;
      continue;
    }
    sent += static_cast<size_t>(n);
    next += static_cast<size_t>(n);
  }
  if (!peers.empty() && sent == 0) {
    return absl::UnavailableError(
        absl::StrCat("heartbeat reached none of ", peers.size(),
                     " peers: ", strerror(last_errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<uint8_t>>> UdpTransport::TryReceive() {
  std::vector<uint8_t> buf(2048);
  while (true) {
    ssize_t n = recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n >= 0) {
      buf.resize(static_cast<size_t>(n));
      return std::optional<std::vector<uint8_t>>(std::move(buf));
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return std::optional<std::vector<uint8_t>>();
    }
    // ICMP errors from an earlier send surface here; they are not fatal.
    if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == EINTR ||
        errno == ENETUNREACH) {
      continue;
    }
    return Errno("recv");
  }
}

absl::StatusOr<bool> UdpTransport::WaitReadable(MonoTime deadline) {
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    timespec timeout = {0, 0};
    timespec* wait = &timeout;
    if (deadline == MonoTime::InfiniteFuture()) {
      wait = nullptr;
    } else if (const absl::Duration left = deadline - clock_.Monotonic();
               left > absl::ZeroDuration()) {
      timeout = absl::ToTimespec(left);
    }
    const int n = ppoll(fds, 2, wait, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("ppoll");
    }
    if (fds[1].revents != 0) {
      uint64_t count = 0;
      // Resets the counter; EAGAIN means another reader got there first.
      const ssize_t ignored = read(wake_fd_, &count, sizeof(count));
      (void)ignored;
      return true;
    }
    // POLLERR too: a queued ICMP error, which TryReceive() consumes.
    if (fds[0].revents != 0) return true;
    if (wait != nullptr && clock_.Monotonic() >= deadline) return false;
  }
}

void UdpTransport::Wake() {
  const uint64_t one = 1;
  // EAGAIN only if the counter is saturated, and then a wake is pending.
  const ssize_t ignored = write(wake_fd_, &one, sizeof(one));
  (void)ignored;
}

}  // namespace lb::election

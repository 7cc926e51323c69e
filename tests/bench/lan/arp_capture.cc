#include "tests/bench/lan/arp_capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

namespace lb::bench {

int64_t NowMicros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::string MacString(const uint8_t* mac) {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

std::string Ip4String(const in_addr& ip) {
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &ip, buf, sizeof(buf));
  return buf;
}

ArpCapture::~ArpCapture() {
  if (fd_ >= 0) close(fd_);
}

bool ArpCapture::Open(const std::string& interface) {
  const int ifindex = static_cast<int>(if_nametoindex(interface.c_str()));
  if (ifindex == 0) return false;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP));
  if (fd < 0) return false;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ARP);
  sll.sll_ifindex = ifindex;
  int on = 1;
  if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return false;
  }
  fd_ = fd;
  return true;
}

bool ArpCapture::Read(ArpFrame* out) {
  uint8_t frame[2048];
  char control[256];
  while (true) {
    sockaddr_ll from{};
    iovec iov{frame, sizeof(frame)};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    ssize_t n = recvmsg(fd_, &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (from.sll_pkttype == PACKET_OUTGOING) continue;
    // Ethernet header (14), then an Ethernet/IPv4 ARP body (28).
    if (n < 14 + 28) continue;
    const uint8_t* arp = frame + 14;
    if (arp[0] != 0 || arp[1] != 1 || arp[2] != 0x08 || arp[3] != 0 ||
        arp[4] != 6 || arp[5] != 4) {
      continue;
    }
    out->time_us = NowMicros();
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr;
         c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        timespec ts;
        std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
        out->time_us =
            static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
      }
    }
    out->op = arp[6] << 8 | arp[7];
    std::memcpy(out->sender_mac, arp + 8, 6);
    std::memcpy(&out->sender_ip, arp + 14, 4);
    std::memcpy(&out->target_ip, arp + 24, 4);
    return true;
  }
}

}  // namespace lb::bench

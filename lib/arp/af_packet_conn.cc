#include "lib/arp/af_packet_conn.h"

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/arp/wire.h"

namespace lb::arp {
namespace {

absl::Status ErrnoStatus(absl::string_view what, int err) {
  std::string msg = absl::StrCat(what, ": ", std::strerror(err));
  switch (err) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(
          absl::StrCat(msg, " (needs CAP_NET_RAW)"));
    case ENODEV:
    case ENXIO:
      return absl::NotFoundError(msg);
    case ENETDOWN:
      return absl::UnavailableError(msg);
    case EAGAIN:
    case ENOBUFS:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

constexpr uint32_t kSnapLength = ReceivedFrame::kCapacity;
// The ancillary load of sll_pkttype.
constexpr uint32_t kPktTypeOffset =
    static_cast<uint32_t>(SKF_AD_OFF + SKF_AD_PKTTYPE);

// ARP: EtherType 0x0806, opcode 1 or 2, not OTHERHOST/OUTGOING.
const sock_filter kArpFilter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 6),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kPktTypeOffset),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, kSnapLength),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

// NDP: IPv6, next header ICMPv6, hop limit 255, type 135 or 136, not
// OTHERHOST/OUTGOING.
const sock_filter kNdpFilter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 10),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 8),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 21),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 255, 0, 6),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 3),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, kPktTypeOffset),
    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, PACKET_OTHERHOST, 1, 0),
    BPF_STMT(BPF_RET | BPF_K, kSnapLength),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

class AfPacketConn final : public PacketConn {
 public:
  AfPacketConn(int fd, int ifindex, uint16_t ether_type)
      : fd_(fd), ifindex_(ifindex), ether_type_(ether_type) {}
  ~AfPacketConn() override {
    close(fd_);
    for (int fd : group_fds_) close(fd);
  }

  int ReadyFd() const override { return fd_; }

  absl::StatusOr<size_t> Receive(absl::Span<ReceivedFrame> out) override {
    size_t n = out.size();
    if (n == 0) return 0;
    msgs_.resize(n);
    iovs_.resize(n);
    addrs_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      iovs_[i] = {out[i].data.data(), out[i].data.size()};
      msgs_[i] = {};
      msgs_[i].msg_hdr.msg_iov = &iovs_[i];
      msgs_[i].msg_hdr.msg_iovlen = 1;
      msgs_[i].msg_hdr.msg_name = &addrs_[i];
      msgs_[i].msg_hdr.msg_namelen = sizeof(addrs_[i]);
    }
    int got = recvmmsg(fd_, msgs_.data(), static_cast<unsigned>(n),
                       MSG_DONTWAIT | MSG_TRUNC, nullptr);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR) return 0;
      return ErrnoStatus("recvmmsg", errno);
    }
    for (int i = 0; i < got; ++i) {
      size_t len = msgs_[i].msg_len;
      out[i].truncated = (msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
                         len > ReceivedFrame::kCapacity;
      out[i].length = std::min(len, ReceivedFrame::kCapacity);
      out[i].type = static_cast<PacketType>(addrs_[i].sll_pkttype);
    }
    return static_cast<size_t>(got);
  }

  using PacketConn::Send;
  absl::Status Send(absl::Span<const std::vector<uint8_t>> frames,
                    size_t* sent_out) override {
    size_t n = frames.size();
    if (sent_out != nullptr) *sent_out = 0;
    // Reused across calls (one sender at a time) to keep the reply path
    // free of allocations.
    std::vector<mmsghdr>& msgs = tx_msgs_;
    std::vector<iovec>& iovs = tx_iovs_;
    std::vector<sockaddr_ll>& addrs = tx_addrs_;
    msgs.resize(n);
    iovs.resize(n);
    addrs.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (frames[i].size() < kEthernetHeaderSize) {
        return absl::InvalidArgumentError(absl::StrCat(
            "frame of ", frames[i].size(), " bytes has no Ethernet header"));
      }
      addrs[i] = {};
      addrs[i].sll_family = AF_PACKET;
      addrs[i].sll_protocol = htons(ether_type_);
      addrs[i].sll_ifindex = ifindex_;
      addrs[i].sll_halen = 6;
      std::memcpy(addrs[i].sll_addr, frames[i].data(), 6);
      iovs[i] = {const_cast<uint8_t*>(frames[i].data()), frames[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &addrs[i];
      msgs[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    size_t done = 0;
    while (done < n) {
      int sent = sendmmsg(fd_, msgs.data() + done,
                          static_cast<unsigned>(n - done), MSG_DONTWAIT);
      if (sent < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus(absl::StrCat("sendmmsg (", n - done, " frames)"),
                           errno);
      }
      done += static_cast<size_t>(sent);
      if (sent_out != nullptr) *sent_out = done;
    }
    return absl::OkStatus();
  }

  absl::Status JoinGroup(const IpAddress& group) override {
    return Membership(group, IPV6_JOIN_GROUP);
  }
  absl::Status LeaveGroup(const IpAddress& group) override {
    return Membership(group, IPV6_LEAVE_GROUP);
  }

  uint64_t TakeKernelDrops() override {
    tpacket_stats stats{};
    socklen_t len = sizeof(stats);
    if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &stats, &len) != 0) {
      return 0;
    }
    return stats.tp_drops;
  }

 private:
  // Groups are joined on helper UDPv6 sockets. Each membership is charged
  // to its socket's option memory (net.core.optmem_max: about 2300 groups
  // per socket at the default), so a new helper is opened when one is full.
  absl::Status Membership(const IpAddress& group, int op) {
    if (!group.is_v6() || !group.IsMulticast()) {
      return absl::InvalidArgumentError(
          absl::StrCat(group.ToString(), " is not an IPv6 multicast group"));
    }
    auto joined = joined_.find(group);
    if ((op == IPV6_JOIN_GROUP) == (joined != joined_.end())) {
      return absl::OkStatus();
    }
    ipv6_mreq mreq{};
    std::memcpy(&mreq.ipv6mr_multiaddr, group.data(), 16);
    mreq.ipv6mr_interface = static_cast<unsigned>(ifindex_);
    if (op == IPV6_LEAVE_GROUP) {
      int fd = group_fds_[joined->second];
      joined_.erase(joined);
      if (setsockopt(fd, IPPROTO_IPV6, op, &mreq, sizeof(mreq)) != 0) {
        return ErrnoStatus(absl::StrCat("leave ", group.ToString()), errno);
      }
      return absl::OkStatus();
    }
    for (size_t i = 0;; ++i) {
      if (i == group_fds_.size()) {
        int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return ErrnoStatus("socket(AF_INET6)", errno);
        group_fds_.push_back(fd);
      }
      if (setsockopt(group_fds_[i], IPPROTO_IPV6, op, &mreq, sizeof(mreq)) ==
          0) {
        joined_[group] = i;
        return absl::OkStatus();
      }
      // Full: try the next helper (a fresh one has room).
      if ((errno != ENOMEM && errno != ENOBUFS) || i + 1 > kMaxGroupSockets) {
        return ErrnoStatus(absl::StrCat("join ", group.ToString()), errno);
      }
    }
  }

  static constexpr size_t kMaxGroupSockets = 64;

  const int fd_;
  const int ifindex_;
  const uint16_t ether_type_;
  std::vector<int> group_fds_;
  std::map<IpAddress, size_t> joined_;  // group -> index into group_fds_
  std::vector<mmsghdr> msgs_;
  std::vector<iovec> iovs_;
  std::vector<sockaddr_ll> addrs_;
  std::vector<mmsghdr> tx_msgs_;
  std::vector<iovec> tx_iovs_;
  std::vector<sockaddr_ll> tx_addrs_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<PacketConn>> AfPacketConnFactory::Open(
    int ifindex, Protocol protocol) {
  if (ifindex <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid interface index ", ifindex));
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket(AF_PACKET)", errno);
  auto fail = [fd](absl::string_view what) {
    absl::Status s = ErrnoStatus(what, errno);
    close(fd);
    return s;
  };
  sock_fprog prog{};
  if (protocol == Protocol::kArp) {
    prog.len = sizeof(kArpFilter) / sizeof(kArpFilter[0]);
    prog.filter = const_cast<sock_filter*>(kArpFilter);
  } else {
    prog.len = sizeof(kNdpFilter) / sizeof(kNdpFilter[0]);
    prog.filter = const_cast<sock_filter*>(kNdpFilter);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) != 0) {
    return fail("SO_ATTACH_FILTER");
  }
  int rcvbuf = options_.receive_buffer_bytes;
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
                               sizeof(rcvbuf)) != 0) {
    // Without CAP_NET_ADMIN the size is capped by net.core.rmem_max.
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  }
  if (options_.qdisc_bypass) {
    int one = 1;
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
  }
  uint16_t ether_type = protocol == Protocol::kArp ? ETH_P_ARP : ETH_P_IPV6;
  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ether_type);
  addr.sll_ifindex = ifindex;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return fail(absl::StrCat("bind to interface ", ifindex));
  }
  return std::unique_ptr<PacketConn>(new AfPacketConn(fd, ifindex, ether_type));
}

}  // namespace lb::arp

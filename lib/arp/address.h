// lib/arp/address.h
//
// Small value types for the link layer and network layer addresses lib/arp
// deals in: a 6-byte Ethernet MAC, an IPv4 or IPv6 address, and a prefix.
// They are independent of any other library so lib/arp stays self-contained.
//
//   LB_ASSIGN_OR_RETURN(IpAddress vip, IpAddress::Parse("192.168.1.240"));
//   LB_ASSIGN_OR_RETURN(MacAddress mac,
//   MacAddress::Parse("b8:27:eb:86:e2:85")); LB_ASSIGN_OR_RETURN(IpPrefix net,
//   IpPrefix::Parse("192.168.1.0/24")); bool inside = net.Contains(vip); //
//   true
//
// Thread-safety: immutable values; safe to share.

#ifndef LB_ARP_ADDRESS_H_
#define LB_ARP_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb::arp {

// An Ethernet (EUI-48) hardware address.
class MacAddress {
 public:
  // The all-zero address 00:00:00:00:00:00.
  constexpr MacAddress() : bytes_{} {}
  explicit constexpr MacAddress(const std::array<uint8_t, 6>& bytes)
      : bytes_(bytes) {}

  // Reads 6 bytes starting at `p`. REQUIRES: `p` points at 6 readable bytes.
  static MacAddress FromBytes(const uint8_t* p);

  // Parses "aa:bb:cc:dd:ee:ff" (also accepts '-' separators, any case).
  // InvalidArgument names the offending text.
  static absl::StatusOr<MacAddress> Parse(absl::string_view text);

  static constexpr MacAddress Broadcast() {
    return MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  }

  const std::array<uint8_t, 6>& bytes() const { return bytes_; }
  bool IsZero() const;
  bool IsBroadcast() const;
  // True for group addresses (the I/G bit of the first byte), incl. broadcast.
  bool IsMulticast() const { return (bytes_[0] & 1) != 0; }

  // Lower-case, colon-separated, two digits per byte: "b8:27:eb:86:e2:85".
  std::string ToString() const;

  friend bool operator==(const MacAddress& a, const MacAddress& b) {
    return a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const MacAddress& a, const MacAddress& b) {
    return !(a == b);
  }
  friend bool operator<(const MacAddress& a, const MacAddress& b) {
    return a.bytes_ < b.bytes_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const MacAddress& m) {
    return H::combine(std::move(h), m.bytes_);
  }

 private:
  std::array<uint8_t, 6> bytes_;
};

enum class IpFamily { kV4, kV6 };

// An IPv4 or IPv6 address (no zone). Default-constructed: IPv4 0.0.0.0.
class IpAddress {
 public:
  IpAddress() : family_(IpFamily::kV4), bytes_{} {}

  // `p` points at 4 (IPv4) or 16 (IPv6) bytes in network order.
  static IpAddress V4FromBytes(const uint8_t* p);
  static IpAddress V6FromBytes(const uint8_t* p);
  // From a host-order 32-bit value: V4(0x0a000001) is 10.0.0.1.
  static IpAddress V4(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);

  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text. InvalidArgument names the
  // offending text.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }
  // Address bytes in network order: 4 for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }
  // Host-order value of an IPv4 address. REQUIRES: is_v4().
  uint32_t v4_value() const;

  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsMulticast() const;    // 224.0.0.0/4 or ff00::/8
  bool IsLinkLocal() const;    // 169.254.0.0/16 or fe80::/10

  // Canonical text: "192.168.1.240", "2001:db8::1".
  std::string ToString() const;

  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    return std::tie(a.family_, a.bytes_) < std::tie(b.family_, b.bytes_);
  }
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& ip) {
    return H::combine(std::move(h), ip.family_, ip.bytes_);
  }

 private:
  IpFamily family_;
  std::array<uint8_t, 16> bytes_;  // IPv4 uses the first 4.
};

// An address with a prefix length, as configured on an interface
// ("192.168.1.10/24"). The host bits are kept.
class IpPrefix {
 public:
  IpPrefix() = default;
  // InvalidArgument if `length` exceeds 32 (IPv4) or 128 (IPv6).
  static absl::StatusOr<IpPrefix> Create(const IpAddress& address, int length);
  // Parses "address/length"; a bare address means a host prefix.
  static absl::StatusOr<IpPrefix> Parse(absl::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  // True if `ip` is in the same family and shares the first length() bits.
  bool Contains(const IpAddress& ip) const;
  std::string ToString() const;

  friend bool operator==(const IpPrefix& a, const IpPrefix& b) {
    return a.address_ == b.address_ && a.length_ == b.length_;
  }

 private:
  IpPrefix(const IpAddress& a, int l) : address_(a), length_(l) {}
  IpAddress address_;
  int length_ = 32;
};

}  // namespace lb::arp

#endif  // LB_ARP_ADDRESS_H_

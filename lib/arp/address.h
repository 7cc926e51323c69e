// lib/arp/address.h
//
// Small value types for the addresses lib/arp deals in beyond lb::IpAddress
// (lib/base/ip_address.h): a 6-byte Ethernet MAC and an interface prefix.
//
//   LB_ASSIGN_OR_RETURN(MacAddress mac, MacAddress::Parse("b8:27:eb:86:e2:85"));
//   LB_ASSIGN_OR_RETURN(IpPrefix net, IpPrefix::Parse("192.168.1.0/24"));
//   bool inside = net.Contains(*IpAddress::Parse("192.168.1.240"));  // true
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
#include "lib/base/ip_address.h"

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

// lib/base/ip_address.h
//
// An IPv4 or IPv6 address as a value: the one address type every library and
// daemon shares. It is held as network-order bytes (so wire formats read and
// write it directly) and offers 128-bit arithmetic (so pools and allocators
// count and step through it). The family is part of the value: 10.0.0.1 and
// ::a00:1 differ.
//
//   LB_ASSIGN_OR_RETURN(IpAddress vip, IpAddress::Parse("192.168.1.240"));
//   IpAddress next = vip.Offset(1);                 // 192.168.1.241
//   std::memcpy(frame + 28, vip.data(), vip.size());  // 4 bytes on the wire
//
// Thread-safety: a value type; const methods are safe to call concurrently.

#ifndef LB_BASE_IP_ADDRESS_H_
#define LB_BASE_IP_ADDRESS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <utility>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb {

enum class IpFamily : uint8_t { kV4 = 4, kV6 = 6 };

// "IPv4" or "IPv6".
absl::string_view FamilyName(IpFamily f);

// Number of bits in an address of family `f`: 32 or 128.
inline int FamilyBits(IpFamily f) { return f == IpFamily::kV4 ? 32 : 128; }

// The largest value an address of family `f` can have: 2^32-1 or 2^128-1.
absl::uint128 MaxValue(IpFamily f);

// 17 bytes, byte-aligned, so maps keyed by address stay small.
class IpAddress {
 public:
  // IPv4 0.0.0.0.
  constexpr IpAddress() : bytes_{}, family_(IpFamily::kV4) {}

  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text (no zone, no brackets, no
  // prefix length, no leading zeros in IPv4 octets). InvalidArgument names
  // the text otherwise.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  // The address of family `f` whose numeric value is `value`.
  // REQUIRES: value <= MaxValue(f).
  static IpAddress FromValue(IpFamily f, absl::uint128 value);
  // From a host-order 32-bit value: V4(0x0a000001) is 10.0.0.1.
  static IpAddress V4(uint32_t host_order);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  // `p` points at 4 (IPv4) or 16 (IPv6) bytes in network order.
  static IpAddress V4FromBytes(const uint8_t* p);
  static IpAddress V6FromBytes(const uint8_t* p);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }

  // Address bytes in network order: 4 for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }

  // The numeric value (below 2^32 for IPv4).
  absl::uint128 value() const;
  // Host-order value of an IPv4 address. REQUIRES: is_v4().
  uint32_t v4_value() const;

  // The address `delta` above this one, or nullopt if that leaves the family's
  // space.
  std::optional<IpAddress> Checked(absl::uint128 delta) const;
  // The address `delta` above this one. REQUIRES: it does not leave the space.
  IpAddress Offset(absl::uint128 delta) const { return *Checked(delta); }

  bool IsUnspecified() const;  // 0.0.0.0 or ::
  bool IsMulticast() const;    // 224.0.0.0/4 or ff00::/8
  bool IsLinkLocal() const;    // 169.254.0.0/16 or fe80::/10

  // Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, the longest run
  // of zero groups as ::).
  std::string ToString() const;

  // Order: all IPv4 before all IPv6, then numeric.
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.bytes_ == b.bytes_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    if (a.family_ != b.family_) return a.family_ < b.family_;
    return a.bytes_ < b.bytes_;
  }
  friend bool operator>(const IpAddress& a, const IpAddress& b) {
    return b < a;
  }
  friend bool operator<=(const IpAddress& a, const IpAddress& b) {
    return !(b < a);
  }
  friend bool operator>=(const IpAddress& a, const IpAddress& b) {
    return !(a < b);
  }

  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

  friend std::ostream& operator<<(std::ostream& os, const IpAddress& a) {
    return os << a.ToString();
  }

 private:
  std::array<uint8_t, 16> bytes_;  // Network order; IPv4 uses the first 4.
  IpFamily family_;
};

}  // namespace lb

#endif  // LB_BASE_IP_ADDRESS_H_

// lib/ipam/address.h
//
// IPv4 and IPv6 addresses as values with 128-bit arithmetic. An IPv4 address is
// held as its 32-bit value; the family is part of the value, so 10.0.0.1 and
// ::a00:1 differ.
//
//   absl::StatusOr<IpAddress> a = IpAddress::Parse("192.168.1.240");
//   IpAddress next = a->Offset(1);                     // 192.168.1.241
//   std::string s = next.ToString();
//
// Thread-safety: a value type; const methods are safe to call concurrently.

#ifndef LB_IPAM_ADDRESS_H_
#define LB_IPAM_ADDRESS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb::ipam {

enum class Family : uint8_t { kV4 = 4, kV6 = 6 };

// "IPv4" or "IPv6".
absl::string_view FamilyName(Family f);

// Number of bits in an address of family `f`: 32 or 128.
inline int FamilyBits(Family f) { return f == Family::kV4 ? 32 : 128; }

class IpAddress {
 public:
  // 0.0.0.0.
  IpAddress() = default;

  // Parses dotted-quad IPv4 or RFC 4291 IPv6 text (no zone, no brackets, no
  // IPv4-mapped normalisation). Returns kInvalidArgument naming the text
  // otherwise.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  // The address of family `f` whose numeric value is `value`.
  // REQUIRES: for kV4, value < 2^32.
  static IpAddress FromValue(Family f, absl::uint128 value);
  static IpAddress V4(uint32_t value) { return FromValue(Family::kV4, value); }

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  absl::uint128 value() const { return absl::MakeUint128(hi_, lo_); }

  // The address `delta` above this one, or nullopt if that leaves the family's
  // space.
  std::optional<IpAddress> Checked(absl::uint128 delta) const;
  // The address `delta` above this one. REQUIRES: it does not leave the space.
  IpAddress Offset(absl::uint128 delta) const { return *Checked(delta); }

  // Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run
  // as ::).
  std::string ToString() const;

  // Order: all IPv4 before all IPv6, then numeric.
  friend bool operator==(const IpAddress& a, const IpAddress& b) {
    return a.family_ == b.family_ && a.hi_ == b.hi_ && a.lo_ == b.lo_;
  }
  friend bool operator!=(const IpAddress& a, const IpAddress& b) {
    return !(a == b);
  }
  friend bool operator<(const IpAddress& a, const IpAddress& b) {
    if (a.family_ != b.family_) return a.family_ < b.family_;
    if (a.hi_ != b.hi_) return a.hi_ < b.hi_;
    return a.lo_ < b.lo_;
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
    return H::combine(std::move(h), a.family_, a.hi_, a.lo_);
  }

  friend std::ostream& operator<<(std::ostream& os, const IpAddress& a) {
    return os << a.ToString();
  }

 private:
  IpAddress(Family f, uint64_t hi, uint64_t lo)
      : hi_(hi), lo_(lo), family_(f) {}

  // Two words rather than absl::uint128 keep the value 8-byte aligned (24
  // bytes).
  uint64_t hi_ = 0;
  uint64_t lo_ = 0;
  Family family_ = Family::kV4;
};

// The largest value an address of family `f` can have: 2^32-1 or 2^128-1.
absl::uint128 MaxValue(Family f);

}  // namespace lb::ipam

#endif  // LB_IPAM_ADDRESS_H_

// lib/ipam/prefix.h
//
// CIDR prefixes and inclusive address ranges.
//
//   absl::StatusOr<Prefix> p = Prefix::Parse("192.168.1.240/28");
//   p->Contains(*IpAddress::Parse("192.168.1.250"));   // true
//   absl::StatusOr<IpRange> r = IpRange::Parse("192.168.10.0-192.168.10.20");
//   r->Size();                                          // 21
//
// A CIDR whose host bits are set ("192.168.1.241/28") is an error that names
// the aligned prefix; it is never silently normalised.
//
// Thread-safety: value types; const methods are safe to call concurrently.

#ifndef LB_IPAM_PREFIX_H_
#define LB_IPAM_PREFIX_H_

#include <ostream>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/base/ip_address.h"

namespace lb::ipam {

class Prefix {
 public:
  // Parses "address/length". kInvalidArgument, naming the text, when the
  // address or length does not parse, the length exceeds the family's bits, or
  // host bits are set (the message then names the aligned prefix).
  static absl::StatusOr<Prefix> Parse(absl::string_view text);

  // The prefix of `length` bits containing `address` (host bits cleared).
  // REQUIRES: 0 <= length <= FamilyBits(address.family()).
  static Prefix Containing(IpAddress address, int length);

  IpFamily family() const { return base_.family(); }
  const IpAddress& base() const { return base_; }
  int length() const { return length_; }

  IpAddress first() const { return base_; }
  IpAddress last() const;

  // Number of addresses, saturating at 2^128-1 for ::/0.
  absl::uint128 Size() const;

  bool Contains(const IpAddress& a) const;
  // True if every address of `other` is in this prefix.
  bool Contains(const Prefix& other) const;

  std::string ToString() const;

  friend bool operator==(const Prefix& a, const Prefix& b) {
    return a.base_ == b.base_ && a.length_ == b.length_;
  }
  friend bool operator!=(const Prefix& a, const Prefix& b) { return !(a == b); }
  friend std::ostream& operator<<(std::ostream& os, const Prefix& p) {
    return os << p.ToString();
  }

 private:
  Prefix(IpAddress base, int length) : base_(base), length_(length) {}

  IpAddress base_;
  int length_ = 0;
};

// An inclusive range first..last of one family, first <= last.
class IpRange {
 public:
  // Parses "a-b" (spaces around '-' allowed, same family, a <= b) or a CIDR.
  // kInvalidArgument naming the text otherwise.
  static absl::StatusOr<IpRange> Parse(absl::string_view text);

  // REQUIRES: same family, first <= last.
  IpRange(IpAddress first, IpAddress last) : first_(first), last_(last) {}
  explicit IpRange(const Prefix& p) : first_(p.first()), last_(p.last()) {}

  IpFamily family() const { return first_.family(); }
  const IpAddress& first() const { return first_; }
  const IpAddress& last() const { return last_; }

  // Number of addresses, saturating at 2^128-1.
  absl::uint128 Size() const;

  bool Contains(const IpAddress& a) const { return first_ <= a && a <= last_; }
  bool Contains(const IpRange& r) const {
    return first_ <= r.first_ && r.last_ <= last_;
  }
  bool Overlaps(const IpRange& r) const {
    return family() == r.family() && first_ <= r.last_ && r.first_ <= last_;
  }

  // "a-b", or the CIDR text when the range is exactly one prefix.
  std::string ToString() const;

  friend bool operator==(const IpRange& a, const IpRange& b) {
    return a.first_ == b.first_ && a.last_ == b.last_;
  }
  friend std::ostream& operator<<(std::ostream& os, const IpRange& r) {
    return os << r.ToString();
  }

 private:
  IpAddress first_;
  IpAddress last_;
};

}  // namespace lb::ipam

#endif  // LB_IPAM_PREFIX_H_

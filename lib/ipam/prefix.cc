#include "lib/ipam/prefix.h"

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace lb::ipam {
namespace {

// Mask of the host bits of a `length`-bit prefix in family `f`.
absl::uint128 HostMask(IpFamily f, int length) {
  int host_bits = FamilyBits(f) - length;
  if (host_bits <= 0) return 0;
  if (host_bits >= 128) return absl::Uint128Max();
  return (absl::uint128(1) << host_bits) - 1;
}

}  // namespace

absl::StatusOr<Prefix> Prefix::Parse(absl::string_view text) {
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR \"", text, "\": ", why));
  };
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return invalid("missing /length");
  absl::StatusOr<IpAddress> address = IpAddress::Parse(text.substr(0, slash));
  if (!address.ok()) return invalid("the address does not parse");
  absl::string_view len_text = text.substr(slash + 1);
  int length = 0;
  if (len_text.empty() || len_text.size() > 3 ||
      len_text.find_first_not_of("0123456789") != absl::string_view::npos ||
      !absl::SimpleAtoi(len_text, &length) ||
      length > FamilyBits(address->family())) {
    return invalid(absl::StrCat("the prefix length must be 0 to ",
                                FamilyBits(address->family())));
  }
  Prefix aligned = Containing(*address, length);
  if (aligned.base_ != *address) {
    return invalid(absl::StrCat("host bits are set; the aligned prefix is \"",
                                aligned.ToString(), "\""));
  }
  return aligned;
}

Prefix Prefix::Containing(IpAddress address, int length) {
  absl::uint128 v = address.value() & ~HostMask(address.family(), length);
  return Prefix(IpAddress::FromValue(address.family(), v), length);
}

IpAddress Prefix::last() const {
  return IpAddress::FromValue(family(),
                              base_.value() | HostMask(family(), length_));
}

absl::uint128 Prefix::Size() const {
  absl::uint128 mask = HostMask(family(), length_);
  return mask == absl::Uint128Max() ? mask : mask + 1;
}

bool Prefix::Contains(const IpAddress& a) const {
  return a.family() == family() && first() <= a && a <= last();
}

bool Prefix::Contains(const Prefix& other) const {
  return other.family() == family() && other.length_ >= length_ &&
         Contains(other.base_);
}

std::string Prefix::ToString() const {
  return absl::StrCat(base_.ToString(), "/", length_);
}

absl::StatusOr<IpRange> IpRange::Parse(absl::string_view text) {
  size_t dash = text.find('-');
  if (dash == absl::string_view::npos) {
    absl::StatusOr<Prefix> p = Prefix::Parse(text);
    if (!p.ok()) return p.status();
    return IpRange(*p);
  }
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IP range \"", text, "\": ", why));
  };
  absl::StatusOr<IpAddress> first =
      IpAddress::Parse(absl::StripAsciiWhitespace(text.substr(0, dash)));
  absl::StatusOr<IpAddress> last =
      IpAddress::Parse(absl::StripAsciiWhitespace(text.substr(dash + 1)));
  if (!first.ok()) return invalid("the first address does not parse");
  if (!last.ok()) return invalid("the last address does not parse");
  if (first->family() != last->family()) {
    return invalid("the two addresses are of different families");
  }
  if (*last < *first) return invalid("the first address is above the last");
  return IpRange(*first, *last);
}

absl::uint128 IpRange::Size() const {
  absl::uint128 span = last_.value() - first_.value();
  return span == absl::Uint128Max() ? span : span + 1;
}

std::string IpRange::ToString() const {
  absl::uint128 size = Size();
  // A power-of-two-sized, aligned range is a prefix.
  if ((size & (size - 1)) == 0 && size != 0) {
    int host_bits = 0;
    while ((absl::uint128(1) << host_bits) != size) ++host_bits;
    Prefix p = Prefix::Containing(first_, FamilyBits(family()) - host_bits);
    if (p.first() == first_) return p.ToString();
  } else if (size == absl::Uint128Max() && first_.value() == 0) {
    return Prefix::Containing(first_, 0).ToString();
  }
  return absl::StrCat(first_.ToString(), "-", last_.ToString());
}

}  // namespace lb::ipam

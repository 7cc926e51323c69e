#include "lib/ipam/address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lb::ipam {

absl::string_view FamilyName(Family f) {
  return f == Family::kV4 ? "IPv4" : "IPv6";
}

absl::uint128 MaxValue(Family f) {
  return f == Family::kV4 ? absl::uint128(0xffffffffu) : absl::Uint128Max();
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  // inet_pton needs a NUL-terminated string and accepts nothing but the
  // address.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid IP address \"", text, "\""));
  }
  std::string buf(text);
  if (text.find(':') == absl::string_view::npos) {
    in_addr v4;
    if (inet_pton(AF_INET, buf.c_str(), &v4) == 1) {
      return V4(ntohl(v4.s_addr));
    }
  } else {
    in6_addr v6;
    if (inet_pton(AF_INET6, buf.c_str(), &v6) == 1) {
      uint64_t hi = 0, lo = 0;
      for (int i = 0; i < 8; ++i) hi = (hi << 8) | v6.s6_addr[i];
      for (int i = 8; i < 16; ++i) lo = (lo << 8) | v6.s6_addr[i];
      return IpAddress(Family::kV6, hi, lo);
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid IP address \"", text, "\""));
}

IpAddress IpAddress::FromValue(Family f, absl::uint128 value) {
  return IpAddress(f, absl::Uint128High64(value), absl::Uint128Low64(value));
}

std::optional<IpAddress> IpAddress::Checked(absl::uint128 delta) const {
  absl::uint128 v = value();
  if (delta > MaxValue(family_) - v) return std::nullopt;
  return FromValue(family_, v + delta);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    in_addr v4;
    v4.s_addr = htonl(static_cast<uint32_t>(lo_));
    inet_ntop(AF_INET, &v4, buf, sizeof(buf));
  } else {
    in6_addr v6;
    for (int i = 0; i < 8; ++i)
      v6.s6_addr[i] = static_cast<uint8_t>(hi_ >> (56 - 8 * i));
    for (int i = 0; i < 8; ++i)
      v6.s6_addr[8 + i] = static_cast<uint8_t>(lo_ >> (56 - 8 * i));
    inet_ntop(AF_INET6, &v6, buf, sizeof(buf));
  }
  return buf;
}

}  // namespace lb::ipam

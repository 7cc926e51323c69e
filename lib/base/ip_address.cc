#include "lib/base/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lb {
namespace {

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

void StoreBigEndian64(uint64_t v, uint8_t* p) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

absl::Status InvalidAddress(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid IP address \"", text, "\""));
}

}  // namespace

absl::string_view FamilyName(IpFamily f) {
  return f == IpFamily::kV4 ? "IPv4" : "IPv6";
}

absl::uint128 MaxValue(IpFamily f) {
  return f == IpFamily::kV4 ? absl::uint128(0xffffffffu) : absl::Uint128Max();
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  // inet_pton needs a NUL-terminated string and accepts nothing but the
  // address.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
    return InvalidAddress(text);
  }
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t bytes[16];
  if (text.find(':') == absl::string_view::npos) {
    if (inet_pton(AF_INET, buf, bytes) == 1) return V4FromBytes(bytes);
  } else if (inet_pton(AF_INET6, buf, bytes) == 1) {
    return V6FromBytes(bytes);
  }
  return InvalidAddress(text);
}

IpAddress IpAddress::FromValue(IpFamily f, absl::uint128 value) {
  IpAddress ip;
  ip.family_ = f;
  if (f == IpFamily::kV4) {
    uint32_t v = static_cast<uint32_t>(absl::Uint128Low64(value));
    ip.bytes_[0] = static_cast<uint8_t>(v >> 24);
    ip.bytes_[1] = static_cast<uint8_t>(v >> 16);
    ip.bytes_[2] = static_cast<uint8_t>(v >> 8);
    ip.bytes_[3] = static_cast<uint8_t>(v);
  } else {
    StoreBigEndian64(absl::Uint128High64(value), ip.bytes_.data());
    StoreBigEndian64(absl::Uint128Low64(value), ip.bytes_.data() + 8);
  }
  return ip;
}

IpAddress IpAddress::V4(uint32_t host_order) {
  return FromValue(IpFamily::kV4, host_order);
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  return V6FromBytes(bytes.data());
}

IpAddress IpAddress::V4FromBytes(const uint8_t* p) {
  IpAddress ip;
  std::memcpy(ip.bytes_.data(), p, 4);
  return ip;
}

IpAddress IpAddress::V6FromBytes(const uint8_t* p) {
  IpAddress ip;
  ip.family_ = IpFamily::kV6;
  std::memcpy(ip.bytes_.data(), p, 16);
  return ip;
}

absl::uint128 IpAddress::value() const {
  if (is_v4()) return v4_value();
  return absl::MakeUint128(LoadBigEndian64(bytes_.data()),
                           LoadBigEndian64(bytes_.data() + 8));
}

uint32_t IpAddress::v4_value() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) |
         (uint32_t{bytes_[2]} << 8) | uint32_t{bytes_[3]};
}

std::optional<IpAddress> IpAddress::Checked(absl::uint128 delta) const {
  absl::uint128 v = value();
  if (delta > MaxValue(family_) - v) return std::nullopt;
  return FromValue(family_, v + delta);
}

bool IpAddress::IsUnspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::IsMulticast() const {
  return is_v4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::IsLinkLocal() const {
  return is_v4() ? (bytes_[0] == 169 && bytes_[1] == 254)
                 : (bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace lb

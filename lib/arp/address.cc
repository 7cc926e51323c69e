#include "lib/arp/address.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lb::arp {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

MacAddress MacAddress::FromBytes(const uint8_t* p) {
  std::array<uint8_t, 6> b;
  std::memcpy(b.data(), p, 6);
  return MacAddress(b);
}

absl::StatusOr<MacAddress> MacAddress::Parse(absl::string_view text) {
  // Exactly "xx:xx:xx:xx:xx:xx" (17 characters).
  std::array<uint8_t, 6> b{};
  bool ok = text.size() == 17;
  for (size_t i = 0; ok && i < 6; ++i) {
    int hi = HexDigit(text[i * 3]);
    int lo = HexDigit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) ok = false;
    if (i < 5 && text[i * 3 + 2] != ':' && text[i * 3 + 2] != '-') ok = false;
    if (ok) b[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid MAC address \"", text, "\": want aa:bb:cc:dd:ee:ff"));
  }
  return MacAddress(b);
}

bool MacAddress::IsZero() const { return *this == MacAddress(); }
bool MacAddress::IsBroadcast() const { return *this == Broadcast(); }

std::string MacAddress::ToString() const {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1],
                         bytes_[2], bytes_[3], bytes_[4], bytes_[5]);
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

IpAddress IpAddress::V4(uint32_t v) {
  uint8_t b[4] = {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                  static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  return V4FromBytes(b);
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  return V6FromBytes(bytes.data());
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  std::string s(text);
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) == 1) return V4FromBytes(buf);
  } else if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return V6FromBytes(buf);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("invalid IP address \"", text, "\""));
}

uint32_t IpAddress::v4_value() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) |
         (uint32_t{bytes_[2]} << 8) | uint32_t{bytes_[3]};
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

absl::StatusOr<IpPrefix> IpPrefix::Create(const IpAddress& address,
                                          int length) {
  int max = address.is_v4() ? 32 : 128;
  if (length < 0 || length > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("prefix length ", length, " out of range 0..", max,
                     " for ", address.ToString()));
  }
  return IpPrefix(address, length);
}

absl::StatusOr<IpPrefix> IpPrefix::Parse(absl::string_view text) {
  size_t slash = text.find('/');
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(text.substr(0, slash));
  if (!ip.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid prefix \"", text, "\": ", ip.status().message()));
  }
  if (slash == absl::string_view::npos)
    return IpPrefix(*ip, ip->is_v4() ? 32 : 128);
  int length;
  if (!absl::SimpleAtoi(text.substr(slash + 1), &length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid prefix \"", text, "\": bad length"));
  }
  return Create(*ip, length);
}

bool IpPrefix::Contains(const IpAddress& ip) const {
  if (ip.family() != address_.family()) return false;
  int full = length_ / 8;
  if (std::memcmp(ip.data(), address_.data(), full) != 0) return false;
  int rest = length_ % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.data()[full] & mask) == (address_.data()[full] & mask);
}

std::string IpPrefix::ToString() const {
  return absl::StrCat(address_.ToString(), "/", length_);
}

}  // namespace lb::arp

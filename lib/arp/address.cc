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

#include "lib/election/heartbeat.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

#include "absl/strings/str_cat.h"

namespace lb::election {
namespace {

constexpr uint8_t kMagic[4] = {'L', 'B', 'H', 'B'};
constexpr uint8_t kVersion = 1;
constexpr size_t kHeaderBytes = 4 + 1 + 1 + 2 + 8 + 8 + 4;
constexpr size_t kMacBytes = 32;
constexpr uint8_t kFlagLeaving = 0x01;
constexpr uint8_t kFlagActive = 0x02;

// Writes the `bytes` low bytes of `v` at `p`, most significant first;
// returns the position after them.
uint8_t* PutBE(uint8_t* p, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    *p++ = static_cast<uint8_t>(v >> (8 * i));
  }
  return p;
}

uint64_t GetBE(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

void Mac(absl::string_view key, const uint8_t* data, size_t len,
         uint8_t out[kMacBytes]) {
  unsigned int out_len = kMacBytes;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, len, out,
       &out_len);
}

}  // namespace

std::vector<uint8_t> EncodeHeartbeat(const Heartbeat& hb,
                                     absl::string_view key) {
  // Sized once and written in place (appending piecewise after a reserve()
  // trips GCC's -Wstringop-overflow at -O2).
  std::vector<uint8_t> out(kHeaderBytes + hb.node.size() + kMacBytes);
  uint8_t* p = out.data();
  std::memcpy(p, kMagic, sizeof(kMagic));
  p += sizeof(kMagic);
  *p++ = kVersion;
  *p++ = static_cast<uint8_t>((hb.leaving ? kFlagLeaving : 0) |
                              (hb.active ? kFlagActive : 0));
  p = PutBE(p, hb.node.size(), 2);
  p = PutBE(p, hb.incarnation, 8);
  p = PutBE(p, hb.sequence, 8);
  p = PutBE(p, hb.stable_ms, 4);
  std::memcpy(p, hb.node.data(), hb.node.size());
  p += hb.node.size();
  Mac(key, out.data(), static_cast<size_t>(p - out.data()), p);
  return out;
}

absl::StatusOr<Heartbeat> DecodeHeartbeat(absl::Span<const uint8_t> d,
                                          absl::string_view key) {
  if (d.size() < kHeaderBytes + 1 + kMacBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat too short: ", d.size(), " bytes"));
  }
  if (std::memcmp(d.data(), kMagic, 4) != 0) {
    return absl::InvalidArgumentError("heartbeat has bad magic");
  }
  if (d[4] != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat version ", d[4], " unsupported"));
  }
  const size_t name_len = GetBE(d.data() + 6, 2);
  if (name_len == 0 || name_len > kMaxHeartbeatNodeName) {
    return absl::InvalidArgumentError(
        absl::StrCat("heartbeat node name length ", name_len, " invalid"));
  }
  if (d.size() != kHeaderBytes + name_len + kMacBytes) {
    return absl::InvalidArgumentError(absl::StrCat("heartbeat length ",
                                                   d.size(),
                                                   " does not match name "
                                                   "length ",
                                                   name_len));
  }
  const size_t signed_len = kHeaderBytes + name_len;
  uint8_t mac[kMacBytes];
  Mac(key, d.data(), signed_len, mac);
  if (CRYPTO_memcmp(mac, d.data() + signed_len, kMacBytes) != 0) {
    return absl::UnauthenticatedError("heartbeat MAC does not match");
  }
  Heartbeat hb;
  hb.leaving = (d[5] & kFlagLeaving) != 0;
  hb.active = (d[5] & kFlagActive) != 0;
  hb.incarnation = GetBE(d.data() + 8, 8);
  hb.sequence = GetBE(d.data() + 16, 8);
  hb.stable_ms = static_cast<uint32_t>(GetBE(d.data() + 24, 4));
  hb.node.assign(reinterpret_cast<const char*>(d.data() + kHeaderBytes),
                 name_len);
  return hb;
}

}  // namespace lb::election

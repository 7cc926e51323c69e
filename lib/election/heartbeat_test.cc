#include "lib/election/heartbeat.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/status_matchers.h"

namespace lb::election {
namespace {

constexpr absl::string_view kKey = "0123456789abcdef-cluster-key";

Heartbeat Sample() {
  Heartbeat hb;
  hb.node = "node-a";
  hb.incarnation = 0x0102030405060708ull;
  hb.sequence = 42;
  hb.leaving = false;
  hb.active = true;
  hb.stable_ms = 123456;
  return hb;
}

TEST_CASE("round trip keeps every field") {
  std::vector<uint8_t> wire = EncodeHeartbeat(Sample(), kKey);
  CHECK(wire.size() == 28 + 6 + 32);
  ASSIGN_OR_FAIL(Heartbeat got, DecodeHeartbeat(wire, kKey));
  CHECK(got.node == "node-a");
  CHECK(got.incarnation == 0x0102030405060708ull);
  CHECK(got.sequence == 42);
  CHECK_FALSE(got.leaving);
  CHECK(got.active);
  CHECK(got.stable_ms == 123456);
  Heartbeat leaving = Sample();
  leaving.leaving = true;
  leaving.active = false;
  ASSIGN_OR_FAIL(got, DecodeHeartbeat(EncodeHeartbeat(leaving, kKey), kKey));
  CHECK(got.leaving);
  CHECK_FALSE(got.active);
}

TEST_CASE("decodes a datagram built by an independent implementation") {
  // Built with Python's struct + hmac from the layout in heartbeat.h, key
  // "fuzz-cluster-key-0123456789".
  const std::string hex =
      "4c4248420102000600060a24181e40000000000000000007000030396e6f64652d6127"
      "c58cf1d6c8184a6ca8dd31a0d7c3ddfde2ad5299f3b491a370439b791edeeb";
  std::vector<uint8_t> wire;
  for (size_t i = 0; i < hex.size(); i += 2) {
    wire.push_back(
        static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  ASSIGN_OR_FAIL(Heartbeat got,
                 DecodeHeartbeat(wire, "fuzz-cluster-key-0123456789"));
  CHECK(got.node == "node-a");
  CHECK(got.incarnation == 1700000000000000ull);
  CHECK(got.sequence == 7);
  CHECK(got.active);
  CHECK_FALSE(got.leaving);
  CHECK(got.stable_ms == 12345);
  CHECK(EncodeHeartbeat(got, "fuzz-cluster-key-0123456789") == wire);
}

TEST_CASE("a wrong key or any flipped bit fails authentication") {
  std::vector<uint8_t> wire = EncodeHeartbeat(Sample(), kKey);
  CHECK_STATUS(DecodeHeartbeat(wire, "another-key-0123456789"),
               absl::StatusCode::kUnauthenticated, "MAC");
  // Flip one bit in each field the parser does not itself reject.
  for (size_t i : {5u, 9u, 17u, 25u, 29u, 40u, 60u}) {
    std::vector<uint8_t> bad = wire;
    bad[i] ^= 0x01;
    INFO("byte ", i);
    CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kUnauthenticated,
                 "MAC");
  }
}

TEST_CASE("malformed datagrams are rejected with the reason") {
  std::vector<uint8_t> wire = EncodeHeartbeat(Sample(), kKey);
  CHECK_STATUS(DecodeHeartbeat({}, kKey), absl::StatusCode::kInvalidArgument,
               "too short");
  std::vector<uint8_t> bad = wire;
  bad[0] = 'X';
  CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kInvalidArgument,
               "magic");
  bad = wire;
  bad[4] = 9;
  CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kInvalidArgument,
               "version 9");
  bad = wire;
  bad[7] = 0;  // Name length 0.
  bad[6] = 0;
  CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kInvalidArgument,
               "name length 0");
  bad = wire;
  bad[7] = 200;  // Longer than the datagram holds.
  CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kInvalidArgument,
               "does not match");
  bad = wire;
  bad.push_back(0);
  CHECK_STATUS(DecodeHeartbeat(bad, kKey), absl::StatusCode::kInvalidArgument,
               "does not match");
}

}  // namespace
}  // namespace lb::election

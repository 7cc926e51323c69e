// Fuzzes the API server stand-in's protobuf codec with what a client may
// send as a request body: any input gives an object or an error, never a
// crash, a hang or a sanitizer report; an object it gives is valid JSON
// (its strings UTF-8) and encodes back to a body that decodes to the same
// object.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/protobuf_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using lb::k8s::json;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<json> obj = lb::k8s::testing::DecodeProtobuf(input);
  if (!obj.ok()) return 0;
  // Throws (and so aborts) on a string that is not UTF-8.
  (void)obj->dump();
  absl::StatusOr<std::string> again = lb::k8s::testing::EncodeProtobuf(*obj);
  if (!again.ok()) std::abort();
  absl::StatusOr<json> back = lb::k8s::testing::DecodeProtobuf(*again);
  if (!back.ok() || *back != *obj) std::abort();
  return 0;
}

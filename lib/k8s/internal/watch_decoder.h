// lib/k8s/internal/watch_decoder.h
//
// Incremental decoder of a watch stream: newline-delimited JSON events
// `{"type": T, "object": O}` delivered in arbitrary chunks.
//
//   WatchDecoder decoder;
//   for (chunk : stream) LB_RETURN_IF_ERROR(decoder.Feed(chunk, &events));
//   LB_RETURN_IF_ERROR(decoder.Finish());   // DataLoss if cut mid-event
//
// Thread-safety: not thread-safe.

#ifndef LB_K8S_INTERNAL_WATCH_DECODER_H_
#define LB_K8S_INTERNAL_WATCH_DECODER_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace lb::k8s::internal {

struct RawWatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
  nlohmann::json object;
};

class WatchDecoder {
 public:
  // Largest accepted event.
  static constexpr size_t kMaxEventBytes = 32 << 20;

  // Appends complete events to `out`. DataLoss (naming the problem) for an
  // event that is not JSON, lacks `type`/`object`, has an unknown type, or
  // exceeds kMaxEventBytes; the decoder is then unusable.
  absl::Status Feed(absl::string_view data, std::vector<RawWatchEvent>* out);

  // DataLoss if the stream ended inside an event.
  absl::Status Finish() const;

 private:
  std::string buffer_;
  bool failed_ = false;
};

// Parses one event line (exposed for the fuzz target and tests).
absl::Status ParseWatchEvent(absl::string_view line, RawWatchEvent* out);

}  // namespace lb::k8s::internal

#endif  // LB_K8S_INTERNAL_WATCH_DECODER_H_

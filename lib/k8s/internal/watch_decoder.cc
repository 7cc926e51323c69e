#include "lib/k8s/internal/watch_decoder.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace lb::k8s::internal {

absl::Status ParseWatchEvent(absl::string_view line, RawWatchEvent* out) {
  nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::DataLossError(absl::StrCat(
        "watch stream: event is not valid JSON: ", line.substr(0, 80)));
  }
  if (!j.is_object()) {
    return absl::DataLossError("watch stream: event is not a JSON object");
  }
  auto type = j.find("type");
  auto object = j.find("object");
  if (type == j.end() || !type->is_string()) {
    return absl::DataLossError("watch stream: event has no string \"type\"");
  }
  if (object == j.end() || !object->is_object()) {
    return absl::DataLossError(
        "watch stream: event has no \"object\" JSON object");
  }
  std::string t = type->get<std::string>();
  if (t != "ADDED" && t != "MODIFIED" && t != "DELETED" && t != "BOOKMARK" &&
      t != "ERROR") {
    return absl::DataLossError(absl::StrCat(
        "watch stream: unknown event type \"", t.substr(0, 40), "\""));
  }
  out->type = std::move(t);
  out->object = std::move(*object);
  return absl::OkStatus();
}

absl::Status WatchDecoder::Feed(absl::string_view data,
                                std::vector<RawWatchEvent>* out) {
  if (failed_) {
    return absl::FailedPreconditionError("watch decoder already failed");
  }
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == absl::string_view::npos) {
      buffer_.append(data.data() + start, data.size() - start);
      if (buffer_.size() > kMaxEventBytes) {
        failed_ = true;
        return absl::DataLossError("watch stream: event larger than 32 MiB");
      }
      break;
    }
    absl::string_view piece = data.substr(start, nl - start);
    start = nl + 1;
    std::string joined;
    absl::string_view line = piece;
    if (!buffer_.empty()) {
      buffer_.append(piece.data(), piece.size());
      joined.swap(buffer_);
      line = joined;
    }
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    RawWatchEvent event;
    absl::Status s = ParseWatchEvent(line, &event);
    if (!s.ok()) {
      failed_ = true;
      return s;
    }
    out->push_back(std::move(event));
  }
  return absl::OkStatus();
}

absl::Status WatchDecoder::Finish() const {
  if (!absl::StripAsciiWhitespace(buffer_).empty()) {
    return absl::DataLossError(
        absl::StrCat("watch stream ended inside an event (", buffer_.size(),
                     " bytes pending)"));
  }
  return absl::OkStatus();
}

}  // namespace lb::k8s::internal

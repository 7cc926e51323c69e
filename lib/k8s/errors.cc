#include "lib/k8s/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace lb::k8s {
namespace {

constexpr char kReasonUrl[] = "k8s.io/status-reason";
constexpr char kCodeUrl[] = "k8s.io/http-code";

absl::StatusCode CodeFor(int http, absl::string_view reason) {
  switch (http) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return http >= 500 ? absl::StatusCode::kInternal
                         : absl::StatusCode::kUnknown;
  }
}

}  // namespace

absl::Status StatusFromApi(int http_code, absl::string_view reason,
                           absl::string_view message) {
  absl::Status s(CodeFor(http_code, reason),
                 reason.empty() ? std::string(message)
                                : absl::StrCat(reason, ": ", message));
  if (!reason.empty()) s.SetPayload(kReasonUrl, absl::Cord(reason));
  s.SetPayload(kCodeUrl, absl::Cord(absl::StrCat(http_code)));
  return s;
}

absl::Status StatusFromObject(int http_code, const json& j) {
  if (!j.is_object()) return StatusFromApi(http_code, "", "");
  std::string reason = j.contains("reason") && j["reason"].is_string()
                           ? j["reason"].get<std::string>()
                           : "";
  std::string message = j.contains("message") && j["message"].is_string()
                            ? j["message"].get<std::string>()
                            : "";
  int code = j.contains("code") && j["code"].is_number_integer()
                 ? j["code"].get<int>()
                 : http_code;
  if (code == 0) code = http_code;
  return StatusFromApi(code, reason, message);
}

absl::Status StatusFromHttp(int http_code, absl::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("kind") && j["kind"] == "Status") {
    return StatusFromObject(http_code, j);
  }
  std::string text(body.substr(0, 256));
  return StatusFromApi(
      http_code, "",
      absl::StrCat("HTTP ", http_code, text.empty() ? "" : ": ", text));
}

std::string Reason(const absl::Status& status) {
  auto p = status.GetPayload(kReasonUrl);
  return p.has_value() ? std::string(*p) : "";
}

int HttpCode(const absl::Status& status) {
  auto p = status.GetPayload(kCodeUrl);
  int code = 0;
  if (p.has_value() && absl::SimpleAtoi(std::string(*p), &code)) return code;
  return 0;
}

bool IsConflict(const absl::Status& status) {
  return HttpCode(status) == 409 && Reason(status) != "AlreadyExists";
}
bool IsGone(const absl::Status& status) {
  return HttpCode(status) == 410 || Reason(status) == "Expired" ||
         Reason(status) == "Gone";
}

}  // namespace lb::k8s

#include "lib/k8s/testing/api_result.h"

#include <utility>

namespace lb::k8s::testing {

json StatusObject(int code, const std::string& reason,
                  const std::string& message, json details) {
  json s = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

ApiResult ApiError(int code, const std::string& reason,
                   const std::string& message, json details) {
  return {code, StatusObject(code, reason, message, std::move(details))};
}

const char* ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

}  // namespace lb::k8s::testing

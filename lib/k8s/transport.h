// lib/k8s/transport.h
//
// The HTTP(S) exchange under HttpClient, behind an interface so tests can
// substitute a fake. NewHttpTransport gives the real one (cpp-httplib over
// OpenSSL, server verification on unless the Config turns it off); with
// HttpClient it is the only code that links cpp-httplib.
//
//   LB_ASSIGN_OR_RETURN(auto transport, NewHttpTransport(config));
//   LB_ASSIGN_OR_RETURN(HttpResponse r,
//                       transport->Do({"GET", "/version"}, /*token=*/""));
//
// Thread-safety: implementations are safe for concurrent use; a StreamCancel
// may be triggered from any thread.

#ifndef LB_K8S_TRANSPORT_H_
#define LB_K8S_TRANSPORT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/k8s/config.h"
#include "lib/k8s/stream_cancel.h"

namespace lb::k8s {

struct HttpRequest {
  std::string method;  // GET, POST, PUT, PATCH, DELETE
  std::string path;    // path and query, relative to the server URL
  std::string body;
  std::string content_type;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // From a Retry-After header; zero when absent.
  absl::Duration retry_after;
  // The text of each `Warning: 299 - "..."` header, unquoted, in order.
  std::vector<std::string> warnings;
};

// The warn-text of one Warning header value (RFC 7234: code, agent, quoted
// text, optional date); nullopt when it is not of that form.
std::optional<std::string> ParseWarningHeader(absl::string_view value);

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // One request/response. `token` (may be empty) is sent as a bearer token
  // over HTTPS. Unavailable for transport failures (refused, TLS
  // verification, timeout), with the cause in the message.
  virtual absl::StatusOr<HttpResponse> Do(const HttpRequest& request,
                                          absl::string_view token) = 0;

  // A streamed GET: the body of a 200 response is handed to `on_data` as it
  // arrives (return false to stop reading); other responses are returned
  // whole. Returns when the stream ends, is cancelled, or `read_timeout`
  // passes without data.
  virtual absl::StatusOr<HttpResponse> Stream(
      const HttpRequest& request, absl::string_view token,
      absl::Duration read_timeout,
      const std::function<bool(absl::string_view)>& on_data,
      StreamCancel* cancel) = 0;
};

// InvalidArgument for a malformed server URL or PEM data; Unimplemented for
// tls_server_name (not supported by this transport).
absl::StatusOr<std::unique_ptr<HttpTransport>> NewHttpTransport(
    const Config& config);

}  // namespace lb::k8s

#endif  // LB_K8S_TRANSPORT_H_

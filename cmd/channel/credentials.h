// cmd/channel/credentials.h
//
// Mutual TLS for the channel. One private CA signs a server certificate for the
// controller and a client certificate for speakers; each side accepts only
// peers whose certificate that CA signed. The controller generates the set on
// first start when the Secret holding it is empty; both daemons then read it
// from the Secret.
//
//   absl::StatusOr<ChannelPki> pki =
//       GenerateChannelPki(now, {"controller.metallb-system.svc"});
//   builder.AddListeningPort(addr, ServerCredentials(*pki));
//   grpc::CreateChannel(addr, ClientCredentials(*pki));

#ifndef LB_CMD_CHANNEL_CREDENTIALS_H_
#define LB_CMD_CHANNEL_CREDENTIALS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace lb::channel {

// PEM texts. Speakers need only ca_cert, client_cert and client_key.
struct ChannelPki {
  std::string ca_cert;
  std::string ca_key;
  std::string server_cert;
  std::string server_key;
  std::string client_cert;
  std::string client_key;
};

// A fresh CA (valid 10 years) with a server certificate for `server_names` (DNS
// names or IP addresses) and a client certificate, both valid 10 years from
// `now`.
absl::StatusOr<ChannelPki> GenerateChannelPki(
    absl::Time now, const std::vector<std::string>& server_names);

// The Secret data keys under which a ChannelPki is stored (ca.crt, ca.key,
// ...), and back. kInvalidArgument names a missing key.
std::map<std::string, std::string> ToSecretData(const ChannelPki& pki);
absl::StatusOr<ChannelPki> FromSecretData(
    const std::map<std::string, std::string>& data);

// Server credentials that require and verify a client certificate signed by the
// CA.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(
    const ChannelPki& pki);

// Client credentials presenting the client certificate and trusting only the
// CA.
std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(
    const ChannelPki& pki);

}  // namespace lb::channel

#endif  // LB_CMD_CHANNEL_CREDENTIALS_H_

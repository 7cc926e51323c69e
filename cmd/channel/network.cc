#include "cmd/channel/network.h"

#include "absl/strings/str_cat.h"

namespace lb::channel {

absl::StatusOr<ServingChannel> Serve(
    const std::string& address, grpc::Service* service,
    std::shared_ptr<grpc::ServerCredentials> creds) {
  ServingChannel out;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, std::move(creds), &out.port);
  builder.RegisterService(service);
  out.server = builder.BuildAndStart();
  if (out.server == nullptr || out.port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve the channel on ", address));
  }
  return out;
}

std::shared_ptr<grpc::Channel> DialController(const std::string& target,
                                              const ChannelPki* pki,
                                              const std::string& server_name) {
  std::shared_ptr<grpc::ChannelCredentials> creds =
      pki == nullptr ? grpc::InsecureChannelCredentials()
                     : ClientCredentials(*pki);
  grpc::ChannelArguments args;
  // gRPC's own reconnect backoff grows to 120 s by default; a speaker should
  // find a restarted controller within seconds. The "min" backoff is gRPC's
  // connect timeout (TCP and TLS handshake of one attempt), not a wait.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  if (pki != nullptr) args.SetSslTargetNameOverride(server_name);
  return grpc::CreateCustomChannel(target, creds, args);
}

}  // namespace lb::channel

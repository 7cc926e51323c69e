// cmd/channel/network.h
//
// The channel's real network ends, which the daemons' mains hand to the
// daemons: the controller serves the Assignments service on a TCP port, a
// speaker dials it. Tests hand the daemons in-process channels instead
// (grpc::Server::InProcessChannel), so the daemons never open sockets here.
//
//   LB_ASSIGN_OR_RETURN(ServingChannel s,
//                       Serve("0.0.0.0:7473", &service, creds));
//
//   std::shared_ptr<grpc::Channel> c =
//       DialController("controller.metallb-system.svc:7473", &pki,
//                      "controller.metallb-system.svc");
//
// Thread-safety: free functions; safe from any thread.

#ifndef LB_CMD_CHANNEL_NETWORK_H_
#define LB_CMD_CHANNEL_NETWORK_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cmd/channel/credentials.h"

namespace lb::channel {

struct ServingChannel {
  std::unique_ptr<grpc::Server> server;
  int port = 0;  // The bound port (useful when asked for port 0).
};

// Serves `service` on `address` ("host:port"; port 0 picks one) with `creds`.
// Unavailable when the address cannot be bound.
absl::StatusOr<ServingChannel> Serve(
    const std::string& address, grpc::Service* service,
    std::shared_ptr<grpc::ServerCredentials> creds);

// A channel to the controller at `target` ("host:port"): mutual TLS with the
// client certificate of `pki`, checking that the server's certificate names
// `server_name` (`target` may be an IP); plaintext when `pki` is null. It
// reconnects within seconds of a controller coming back (gRPC's own backoff
// would grow to two minutes).
std::shared_ptr<grpc::Channel> DialController(const std::string& target,
                                              const ChannelPki* pki,
                                              const std::string& server_name);

}  // namespace lb::channel

#endif  // LB_CMD_CHANNEL_NETWORK_H_

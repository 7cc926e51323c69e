// The gRPC core configuration the daemons use, replacing libgrpc's default
// (src/core/plugin_registry/grpc_plugin_registry.cc in gRPC 1.51), which also
// registers xDS, RLS, grpclb, ring-hash, priority and weighted-target
// policies, fault injection, the c-ares and fake resolvers. The channel
// between controller and speakers needs none of them: one address resolved
// by DNS (getaddrinfo) or given as an IP, pick_first, TLS. Without this
// file's definition the linker would pull the default registry and with it
// all of that code into every binary.
//
// Debian ships no gRPC core headers, so the registration functions are
// declared here with the signatures libgrpc.a exports.

namespace grpc_core {
class CoreConfiguration {
 public:
  class Builder;
};
using Builder = CoreConfiguration::Builder;
void RegisterHttpConnectHandshaker(Builder*);
void RegisterTCPConnectHandshaker(Builder*);
void RegisterPickFirstLbPolicy(Builder*);
void RegisterRoundRobinLbPolicy(Builder*);
void BuildClientChannelConfiguration(Builder*);
void SecurityRegisterHandshakerFactories(Builder*);
void RegisterClientAuthorityFilter(Builder*);
void RegisterChannelIdleFilters(Builder*);
void RegisterHttpFilters(Builder*);
void RegisterDeadlineFilter(Builder*);
void RegisterMessageSizeFilter(Builder*);
void RegisterServiceConfigChannelArgFilter(Builder*);
void RegisterResourceQuota(Builder*);
void RegisterNativeDnsResolver(Builder*);
void RegisterSockaddrResolver(Builder*);
void RegisterHttpProxyMapper(Builder*);
void RegisterSecurityFilters(Builder*);
void RegisterBuiltins(Builder*);
}  // namespace grpc_core

namespace grpc_event_engine::experimental {
void RegisterEventEngineChannelArgPreconditioning(grpc_core::Builder*);
}  // namespace grpc_event_engine::experimental

namespace grpc_core {

// Called by gRPC once, at its first initialisation. The order is the
// default's: handshakers registered later run first, and RegisterBuiltins
// runs last so its channel stacks take precedence.
void BuildCoreConfiguration(Builder* builder) {
  grpc_event_engine::experimental::RegisterEventEngineChannelArgPreconditioning(
      builder);
  RegisterHttpConnectHandshaker(builder);
  RegisterTCPConnectHandshaker(builder);
  RegisterPickFirstLbPolicy(builder);
  RegisterRoundRobinLbPolicy(builder);
  BuildClientChannelConfiguration(builder);
  SecurityRegisterHandshakerFactories(builder);
  RegisterClientAuthorityFilter(builder);
  RegisterChannelIdleFilters(builder);
  RegisterHttpFilters(builder);
  RegisterDeadlineFilter(builder);
  RegisterMessageSizeFilter(builder);
  RegisterServiceConfigChannelArgFilter(builder);
  RegisterResourceQuota(builder);
  RegisterNativeDnsResolver(builder);
  RegisterSockaddrResolver(builder);
  RegisterHttpProxyMapper(builder);
  RegisterSecurityFilters(builder);
  RegisterBuiltins(builder);
}

}  // namespace grpc_core

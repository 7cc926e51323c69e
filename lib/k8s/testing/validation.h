// lib/k8s/testing/validation.h
//
// kube-apiserver's validation of a written (decoded and defaulted) object,
// for the rules of the kinds the stand-in serves: object names and label and
// annotation syntax for every kind; Services (ports, protocols, target and
// node ports, node port range and ownership, cluster IPs and their
// immutability, traffic policies, loadBalancerClass, status ingress
// addresses); ConfigMaps and Secrets (keys, size, immutability, the
// requirements of Secret types); Deployments, DaemonSets and ReplicaSets
// (selector, template, containers); custom resources against their CRD's
// structural schema (types, enums, required fields, bounds, lengths, item
// counts) in the apiextensions-apiserver's words. A failure is 422 Invalid in
// kube-apiserver's shape: the message `Service "web" is invalid: <errors>`
// and `details.causes`, one per field error, with reason, message and field.
//
//   FieldErrors errs;
//   errs.Invalid("spec.ports[0].port", "0", "must be between 1 and 65535, "
//                "inclusive");
//   ApiResult r = Validate(type, old, obj, owners);
//   if (!r.ok()) return r;
//
// Thread-safety: pure functions and value types.

#ifndef LB_K8S_TESTING_VALIDATION_H_
#define LB_K8S_TESTING_VALIDATION_H_

#include <functional>
#include <string>
#include <vector>

#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// One field error, as k8s.io/apimachinery's field.Error prints it.
struct FieldError {
  std::string reason;  // FieldValueInvalid, FieldValueRequired, ...
  std::string field;   // spec.ports[0].port
  std::string body;    // Invalid value: 0: must be between 1 and 65535, ...
};

class FieldErrors {
 public:
  // `value` is the bad value as Go prints it (GoString() for strings).
  void Invalid(const std::string& field, const std::string& value,
               const std::string& detail);
  void Required(const std::string& field, const std::string& detail = "");
  void Forbidden(const std::string& field, const std::string& detail);
  void Duplicate(const std::string& field, const std::string& value);
  void NotSupported(const std::string& field, const std::string& value,
                    const std::vector<std::string>& supported);
  void TooLong(const std::string& field, const std::string& detail);

  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }

 private:
  void Add(const char* reason, const std::string& field, std::string body);
  std::vector<FieldError> errors_;
};

// Go's %q of `s`.
std::string GoString(const std::string& s);

// 422 Invalid for `errors` of the object `name` of `t` (200 when empty).
ApiResult InvalidResult(const ResourceType& t, const std::string& name,
                        const FieldErrors& errors);

// Who holds a Service's node ports and cluster IPs, for uniqueness: the
// owning Service's key ("ns/name"), or "" when free.
struct ServiceOwners {
  std::function<std::string(int node_port)> node_port;
  std::function<std::string(const std::string& ip)> cluster_ip;
};

// The service CIDR cluster IPs come from, and the node port range.
inline constexpr char kServiceCidr[] = "10.96.0.0/12";
inline constexpr int kNodePortMin = 30000;
inline constexpr int kNodePortMax = 32767;

// Validates `obj` of `t` (`old` the stored object for an update, else null).
ApiResult Validate(const ResourceType& t, const json* old, const json& obj,
                   const ServiceOwners& owners);

// A CustomResourceDefinition's schema defaults, filled into `obj` where
// absent.
void ApplySchemaDefaults(const json& schema, json& obj);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_VALIDATION_H_

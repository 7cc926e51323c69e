// lib/k8s/testing/schemas.h
//
// The OpenAPI v3 schemas of the built-in kinds the API server stand-in
// serves, written for the fields of those kinds (with Kubernetes' definition
// names, types, formats and the patch-strategy and list-type extensions
// kubectl reads to compute strategic merge patches). They back
// `/openapi/v3` and `/openapi/v2` (openapi.h) and the decoding checks of
// every write (field_validation.h): a field a schema does not name is an
// unknown field, as it is to kube-apiserver's typed decoder.
//
//   const json& defs = BuiltinSchemas();   // name -> schema
//   std::string name = BuiltinSchemaName(*service_type);
//   // "io.k8s.api.core.v1.Service"; defs[name]["properties"]["spec"] ...
//
// References are "#/components/schemas/NAME". A few subtrees whose fields
// are many and rarely written (affinity, topology spread constraints,
// ephemeral containers, the less common volume sources) carry
// `x-kubernetes-preserve-unknown-fields` instead of a full schema; the
// README lists them.
//
// Thread-safety: the returned map is built once and immutable.

#ifndef LB_K8S_TESTING_SCHEMAS_H_
#define LB_K8S_TESTING_SCHEMAS_H_

#include <string>

#include "lib/k8s/json.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// Definition name -> schema, for every built-in kind and what it refers to.
const json& BuiltinSchemas();

// The definition of a built-in `type`'s kind ("" if none is written).
std::string BuiltinSchemaName(const ResourceType& type);

// The schema a custom resource of `type` is decoded and served with: its
// CRD's openAPIV3Schema (or one keeping every field when it has none) plus
// apiVersion, kind and ObjectMeta.
json CustomResourceSchema(const ResourceType& type);

// The prefix of every reference: "#/components/schemas/".
inline constexpr char kSchemaRefPrefix[] = "#/components/schemas/";

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_SCHEMAS_H_

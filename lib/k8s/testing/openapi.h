// lib/k8s/testing/openapi.h
//
// The OpenAPI documents of the kinds the API server stand-in serves, as
// kube-apiserver publishes them: `/openapi/v3` (an index of one document per
// group version), `/openapi/v3/apis/GROUP/VERSION` (paths with their
// operations, parameters and patch content types, and the schemas of
// schemas.h or of a CustomResourceDefinition), and `/openapi/v2` (all of it
// in Swagger 2.0 form). kubectl reads them to decide that the server
// validates fields itself (`fieldValidation` on PATCH), to compute apply
// patches (the schemas' patch-strategy extensions) and for `kubectl explain`.
//
//   json index = OpenApiV3Index(store.types());
//   json doc = OpenApiV3Document(store.types(), "apis/apps/v1");
//   if (doc.is_null()) ...;   // not a served group version: 404
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_OPENAPI_H_
#define LB_K8S_TESTING_OPENAPI_H_

#include <string>

#include "lib/k8s/json.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."},
// ...}}, the hash changing with the document.
json OpenApiV3Index(const TypeMap& types);

// The document of `path` ("api/v1", "apis/apps/v1"); null if no kind is
// served there.
json OpenApiV3Document(const TypeMap& types, const std::string& path);

// Every served kind in one Swagger 2.0 document.
json OpenApiV2Document(const TypeMap& types);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_OPENAPI_H_

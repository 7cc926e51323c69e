// lib/k8s/testing/field_validation.h
//
// What kube-apiserver's decoder does to a written object before anything
// else sees it: a value of the wrong JSON type for its field is an error in
// Go's words, and a field the kind's schema does not name is an unknown
// field, removed from the object and, as the request's `fieldValidation`
// asks, ignored, warned about or refused (with duplicate fields, which only
// the request's text shows).
//
//   DecodeReport r = DecodeObject(BuiltinSchemas(), schema, "Service", &obj);
//   if (!r.type_error.empty()) ...;  // 400: "json: cannot unmarshal ..."
//   for (const std::string& u : r.unknown) ...;  // unknown field "spec.x"
//   std::vector<std::string> dups = DuplicateFields(request_body);
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_FIELD_VALIDATION_H_
#define LB_K8S_TESTING_FIELD_VALIDATION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/k8s/json.h"

namespace lb::k8s::testing {

// The `fieldValidation` of a write; Warn is kube-apiserver's default.
enum class FieldValidation { kIgnore, kWarn, kStrict };

// "Ignore", "Warn" or "Strict" (and "" for the default, Warn); otherwise
// InvalidArgument.
absl::StatusOr<FieldValidation> ParseFieldValidation(const std::string& value);

struct DecodeReport {
  // The first value of the wrong type, as Go's decoder says it ("json: cannot
  // unmarshal string into Go struct field ServicePort.spec.ports.nodePort of
  // type int32"); empty when every value fits its field.
  std::string type_error;
  // `unknown field "spec.ports[0].portz"` for each field no schema names,
  // fields of one object in key order; each has been removed from the object.
  std::vector<std::string> unknown;
};

// Checks `*object` against `schema`, whose references
// ("#/components/schemas/NAME") resolve in `definitions`, and removes the
// fields it does not name. `kind` names the root struct in type errors.
// `typed` checks value types as a built-in kind's Go decoder does; without
// it (a custom resource, whose types its schema validation checks) only
// unknown fields are looked for.
DecodeReport DecodeObject(const json& definitions, const json& schema,
                          const std::string& kind, bool typed, json* object);

// `duplicate field "spec.replicas"` for each key that the JSON text `body`
// repeats within one object, in document order. Empty for text that does not
// parse.
std::vector<std::string> DuplicateFields(const std::string& body);

// Go's `%+v` of what encoding/json decodes `value` into (maps with sorted
// keys: "map[a:1 b:[x y]]"), as kube-apiserver quotes a patch in errors.
std::string GoValueString(const json& value);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_FIELD_VALIDATION_H_

// lib/k8s/testing/tables.h
//
// The `meta.k8s.io/v1` Table form of objects, which `kubectl get` asks for
// (Accept: ...;as=Table) and prints: the columns kube-apiserver serves for
// Services (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, SELECTOR wide) and
// Events (LAST SEEN TYPE REASON OBJECT MESSAGE, NAME wide), a CRD's
// additionalPrinterColumns, and NAME AGE for everything else.
//
//   std::vector<const json*> objects = {&svc};
//   json table = Table(type, objects, store.resource_version(),
//                      /*with_columns=*/true, clock.Now());
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_TABLES_H_
#define LB_K8S_TESTING_TABLES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// kubectl's HumanDuration: "45s", "3m20s", "5h", "2d3h", "3y12d".
std::string HumanDuration(absl::Duration d);

// The columnDefinitions of `type`'s Table.
json ColumnDefinitions(const ResourceType& type);

// One row (cells and the object's metadata); ages are measured to `now`.
json TableRow(const ResourceType& type, const json& object, absl::Time now);

// A Table of `objects` at `resource_version`, with the column definitions
// when `with_columns` (a watch sends them with its first event only).
json Table(const ResourceType& type, const std::vector<const json*>& objects,
           int64_t resource_version, bool with_columns, absl::Time now);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_TABLES_H_

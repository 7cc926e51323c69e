// lib/k8s/testing/tables.h
//
// The `meta.k8s.io/v1` Table form of objects, which `kubectl get` asks for
// (Accept: ...;as=Table) and prints, with the columns and cell text of
// kube-apiserver 1.32 (pkg/printers/internalversion's handlers) for every
// built-in kind the stand-in serves:
//
//   pods                 NAME READY STATUS RESTARTS AGE
//                        (wide: IP NODE NOMINATED-NODE READINESS-GATES)
//   deployments          NAME READY UP-TO-DATE AVAILABLE AGE
//                        (wide: CONTAINERS IMAGES SELECTOR)
//   replicasets          NAME DESIRED CURRENT READY AGE (wide: as above)
//   daemonsets           NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE
//                        NODE-SELECTOR AGE (wide: as above)
//   services             NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE
//                        (wide: SELECTOR)
//   endpoints            NAME ENDPOINTS AGE
//   endpointslices       NAME ADDRESSTYPE PORTS ENDPOINTS AGE
//   nodes                NAME STATUS ROLES AGE VERSION (wide: INTERNAL-IP
//                        EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME)
//   events (both APIs)   LAST-SEEN TYPE REASON OBJECT MESSAGE (wide:
//                        SUBOBJECT SOURCE FIRST-SEEN COUNT NAME)
//   (cluster)rolebindings  NAME ROLE AGE (wide: USERS GROUPS SERVICEACCOUNTS)
//   namespaces, configmaps, secrets, serviceaccounts, leases,
//   poddisruptionbudgets, componentstatuses: their columns likewise.
//
// Kinds kube-apiserver prints with its default table (roles, clusterroles,
// CustomResourceDefinitions) get NAME and CREATED AT. A custom resource gets
// NAME and its CRD version's additionalPrinterColumns (JSONPath of fields,
// `[N]` and `[*]` indexes and `['key']`), or NAME and AGE when it declares
// none, as the apiextensions-apiserver serves them. Cells are strings,
// integers, booleans or null (a printer column with no value), as upstream.
// The server always sends the wide columns; kubectl hides those of
// priority 1 unless asked for `-o wide`.
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

// The columnDefinitions of `type`'s Table: each with name, type, format
// ("name" for the object's name), description and priority (1 for the
// columns `-o wide` adds).
json ColumnDefinitions(const ResourceType& type);

// One row (cells, the object's metadata and, for finished Pods, the
// Completed condition); ages are measured to `now`.
json TableRow(const ResourceType& type, const json& object, absl::Time now);

// A Table of `objects` at `resource_version`, with the column definitions
// when `with_columns` (a watch sends them with its first event only).
json Table(const ResourceType& type, const std::vector<const json*>& objects,
           int64_t resource_version, bool with_columns, absl::Time now);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_TABLES_H_

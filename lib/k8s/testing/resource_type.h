// lib/k8s/testing/resource_type.h
//
// The kinds the API server stand-in serves: for each, its group, version,
// names, scope and which subresources and defaults apply. The built-in set
// covers what kubectl, the manifests and the daemons use; a
// CustomResourceDefinition adds more (object_store.h).
//
//   for (const ResourceType& t : BuiltinTypes()) types[t.Key()] = t;
//   t.Qualified();   // "leases.coordination.k8s.io", as error messages say
//
// Thread-safety: value types and a pure function.

#ifndef LB_K8S_TESTING_RESOURCE_TYPE_H_
#define LB_K8S_TESTING_RESOURCE_TYPE_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "lib/k8s/json.h"

namespace lb::k8s::testing {

struct ResourceType {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;
  std::string list_kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  // Discovery categories: `kubectl get all` lists the kinds in "all".
  std::vector<std::string> categories;
  // Serves `/status`; writes to the main resource keep the stored status.
  bool has_status = false;
  // false for kinds a CRD defined.
  bool builtin = true;
  // A create ignores the status in its body.
  bool drop_status_on_create = false;
  // CRD only: additionalPrinterColumns of the served version.
  json printer_columns = json::array();
  // CRD only: the served version's openAPIV3Schema (null when it has none).
  json schema;
  // CRD only: the served version's selectableFields ([{jsonPath}]).
  json selectable_fields = json::array();
  // The verbs served, as discovery lists them; the HTTP front end answers
  // any other with 405 MethodNotAllowed.
  std::vector<std::string> verbs = {"create", "delete", "deletecollection",
                                    "get",    "list",   "patch",
                                    "update", "watch"};
  // The release that deprecated the kind ("1.19"), "" if none did; every
  // read of it carries DeprecationWarning().
  std::string deprecated_in;

  // "v1", "apps/v1".
  std::string GroupVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
  // "services", "leases.coordination.k8s.io".
  std::string Qualified() const {
    return group.empty() ? plural : plural + "." + group;
  }
  // "group/plural": one served version per resource.
  std::string Key() const { return group + "/" + plural; }
  // Whether `verb` ("get", "create", ...) is served.
  bool Serves(const std::string& verb) const {
    return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
  }
  // "v1 ComponentStatus is deprecated in v1.19+", as kube-apiserver warns;
  // "" for a kind not deprecated.
  std::string DeprecationWarning() const {
    if (deprecated_in.empty()) return "";
    return GroupVersion() + " " + kind + " is deprecated in v" + deprecated_in +
           "+";
  }
};

// Types by Key().
using TypeMap = std::map<std::string, ResourceType>;

// The built-in kinds, in no particular order.
std::vector<ResourceType> BuiltinTypes();

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_RESOURCE_TYPE_H_

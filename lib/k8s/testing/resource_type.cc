#include "lib/k8s/testing/resource_type.h"

#include <utility>

#include "absl/strings/ascii.h"

namespace lb::k8s::testing {

std::vector<ResourceType> BuiltinTypes() {
  auto t = [](std::string g, std::string v, std::string kind,
              std::string plural, bool ns, std::vector<std::string> shorts,
              bool status, bool drop_status = false) {
    ResourceType r;
    r.group = std::move(g);
    r.version = std::move(v);
    r.kind = kind;
    r.list_kind = kind + "List";
    r.plural = std::move(plural);
    r.singular = absl::AsciiStrToLower(kind);
    r.namespaced = ns;
    r.short_names = std::move(shorts);
    r.has_status = status;
    r.drop_status_on_create = drop_status;
    return r;
  };
  std::vector<ResourceType> types = {
      t("", "v1", "Namespace", "namespaces", false, {"ns"}, true),
      t("", "v1", "Service", "services", true, {"svc"}, true, true),
      t("", "v1", "Endpoints", "endpoints", true, {"ep"}, false),
      t("", "v1", "ConfigMap", "configmaps", true, {"cm"}, false),
      t("", "v1", "Secret", "secrets", true, {}, false),
      t("", "v1", "ServiceAccount", "serviceaccounts", true, {"sa"}, false),
      t("", "v1", "Event", "events", true, {"ev"}, false),
      t("", "v1", "Node", "nodes", false, {"no"}, true),
      t("", "v1", "Pod", "pods", true, {"po"}, true),
      t("apps", "v1", "Deployment", "deployments", true, {"deploy"}, true,
        true),
      t("apps", "v1", "DaemonSet", "daemonsets", true, {"ds"}, true, true),
      t("apps", "v1", "ReplicaSet", "replicasets", true, {"rs"}, true, true),
      t("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false,
        {}, false),
      t("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding",
        "clusterrolebindings", false, {}, false),
      t("rbac.authorization.k8s.io", "v1", "Role", "roles", true, {}, false),
      t("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true,
        {}, false),
      t("coordination.k8s.io", "v1", "Lease", "leases", true, {}, false),
      t("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, {},
        false),
      t("events.k8s.io", "v1", "Event", "events", true, {"ev"}, false),
      t("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true,
        {"pdb"}, true),
      t("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
        "customresourcedefinitions", false, {"crd", "crds"}, true),
      t("", "v1", "ComponentStatus", "componentstatuses", false, {"cs"}, false),
  };
  // Kubernetes' own "all": the workloads and Services, not configuration.
  for (ResourceType& r : types) {
    // Probed health, not stored objects: read-only, deprecated since 1.19.
    if (r.group.empty() && r.plural == "componentstatuses") {
      r.verbs = {"get", "list"};
      r.deprecated_in = "1.19";
    }
    if ((r.group.empty() && (r.plural == "pods" || r.plural == "services")) ||
        (r.group == "apps" &&
         (r.plural == "deployments" || r.plural == "daemonsets" ||
          r.plural == "replicasets"))) {
      r.categories = {"all"};
    }
  }
  return types;
}

}  // namespace lb::k8s::testing

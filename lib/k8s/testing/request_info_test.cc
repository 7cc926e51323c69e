// RequestInfoOf: requests read as kube-apiserver's RequestInfoFactory does.

#include "lib/k8s/testing/request_info.h"

#include <doctest/doctest.h>

#include <string>

namespace lb::k8s::testing {
namespace {

std::string Describe(const RequestAttributes& a) {
  if (!a.resource_request) return a.verb + " " + a.path;
  return a.verb + " " + a.api_group + "/" + a.resource +
         (a.subresource.empty() ? "" : "/" + a.subresource) + " ns=" + a.ns +
         " name=" + a.name;
}

TEST_CASE("verbs, resources, namespaces and names of requests") {
  CHECK(Describe(RequestInfoOf("GET", "/api/v1/namespaces/x/pods", {})) ==
        "list /pods ns=x name=");
  CHECK(Describe(RequestInfoOf("GET", "/api/v1/pods", {{"watch", "true"}})) ==
        "watch /pods ns= name=");
  CHECK(Describe(RequestInfoOf("GET", "/api/v1/watch/namespaces/x/pods", {})) ==
        "watch /pods ns=x name=");
  CHECK(Describe(RequestInfoOf(
            "GET", "/api/v1/namespaces/m/configmaps",
            {{"watch", "1"}, {"fieldSelector", "metadata.name=config"}})) ==
        "watch /configmaps ns=m name=config");
  CHECK(Describe(RequestInfoOf(
            "PATCH", "/apis/coordination.k8s.io/v1/namespaces/m/leases/l",
            {})) == "patch coordination.k8s.io/leases ns=m name=l");
  CHECK(Describe(RequestInfoOf("PUT", "/api/v1/namespaces/d/services/w/status",
                               {})) == "update /services/status ns=d name=w");
  CHECK(Describe(RequestInfoOf("POST",
                               "/api/v1/namespaces/m/serviceaccounts/"
                               "c/token",
                               {})) ==
        "create /serviceaccounts/token ns=m name=c");
  CHECK(Describe(RequestInfoOf("DELETE", "/api/v1/namespaces/d/pods", {})) ==
        "deletecollection /pods ns=d name=");
  CHECK(Describe(RequestInfoOf("DELETE", "/api/v1/namespaces/d", {})) ==
        "delete /namespaces ns=d name=d");
  CHECK(Describe(RequestInfoOf("PUT", "/api/v1/namespaces/d/finalize", {})) ==
        "update /namespaces/finalize ns=d name=d");
  CHECK(Describe(RequestInfoOf("GET", "/api/v1/nodes/n1", {})) ==
        "get /nodes ns= name=n1");
  CHECK(Describe(RequestInfoOf("GET", "/version", {})) == "get /version");
  CHECK(Describe(RequestInfoOf("GET", "/apis", {})) == "get /apis");
  CHECK(Describe(RequestInfoOf("GET", "/apis/apps/v1", {})) ==
        "get /apis/apps/v1");
}

}  // namespace
}  // namespace lb::k8s::testing

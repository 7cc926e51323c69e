#include "lib/k8s/testing/request_info.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"

namespace lb::k8s::testing {

RequestAttributes RequestInfoOf(
    const std::string& method, const std::string& path,
    const std::map<std::string, std::string>& query) {
  RequestAttributes a;
  a.path = path;
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t i = 0;
  if (parts.size() >= 3 && parts[0] == "api") {
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    a.api_group = parts[1];
    i = 3;
  } else {
    a.resource_request = false;
    a.verb = absl::AsciiStrToLower(method);
    return a;
  }
  std::vector<std::string> rest(parts.begin() + i, parts.end());
  bool watch_prefix = false;
  if (!rest.empty() && rest[0] == "watch") {
    watch_prefix = true;
    rest.erase(rest.begin());
  }
  if (rest.size() >= 2 && rest[0] == "namespaces") {
    a.ns = rest[1];
    // /namespaces/N and /namespaces/N/status|finalize address the namespace
    // itself; /namespaces/N/R... a resource in it.
    if (rest.size() > 2 && rest[2] != "status" && rest[2] != "finalize") {
      rest.erase(rest.begin(), rest.begin() + 2);
    }
  }
  if (!rest.empty()) a.resource = rest[0];
  if (rest.size() >= 2) a.name = rest[1];
  if (rest.size() >= 3) a.subresource = rest[2];
  auto param = [&](const char* key) {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  };
  if (method == "GET") {
    const std::string w = param("watch");
    if (!a.name.empty()) {
      a.verb = "get";
    } else if (watch_prefix || w == "true" || w == "1") {
      a.verb = "watch";
    } else {
      a.verb = "list";
    }
    if (a.name.empty() && (a.verb == "list" || a.verb == "watch")) {
      const std::string fs = param("fieldSelector");
      for (absl::string_view term : absl::StrSplit(fs, ',')) {
        if (absl::ConsumePrefix(&term, "metadata.name==") ||
            absl::ConsumePrefix(&term, "metadata.name=")) {
          a.name = std::string(term);
        }
      }
    }
  } else if (method == "POST") {
    a.verb = "create";
  } else if (method == "PUT") {
    a.verb = "update";
  } else if (method == "PATCH") {
    a.verb = "patch";
  } else if (method == "DELETE") {
    a.verb = a.name.empty() ? "deletecollection" : "delete";
  } else {
    a.verb = absl::AsciiStrToLower(method);
  }
  return a;
}

}  // namespace lb::k8s::testing

#include "lib/k8s/config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <exception>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lb::k8s {
namespace {

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

// Finds `name` in a kubeconfig list (`clusters`, `users`, `contexts`) and
// returns its `field` map.
absl::StatusOr<YAML::Node> Named(const YAML::Node& root, const char* list,
                                 const std::string& name, const char* field) {
  const YAML::Node items = root[list];
  if (items && items.IsSequence()) {
    for (const YAML::Node& item : items) {
      if (item["name"] && item["name"].as<std::string>() == name) {
        YAML::Node f = item[field];
        if (!f || f.IsNull()) return YAML::Node(YAML::NodeType::Map);
        if (!f.IsMap()) {
          return absl::InvalidArgumentError(
              absl::StrCat("kubeconfig: ", list, " entry \"", name, "\": \"",
                           field, "\" must be a map"));
        }
        return f;
      }
    }
  }
  return absl::NotFoundError(
      absl::StrCat("kubeconfig: no entry \"", name, "\" in ", list));
}

std::string Get(const YAML::Node& map, const char* key) {
  YAML::Node v = map[key];
  if (!v || v.IsNull() || !v.IsScalar()) return "";
  return v.as<std::string>();
}

absl::StatusOr<std::string> DataOrFile(const YAML::Node& map,
                                       const char* data_key,
                                       const char* file_key,
                                       const std::string& base_dir,
                                       const Environment& env) {
  std::string data = Get(map, data_key);
  if (!data.empty()) {
    std::string decoded;
    if (!absl::Base64Unescape(data, &decoded)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig: ", data_key, " is not valid base64"));
    }
    return decoded;
  }
  std::string file = Get(map, file_key);
  if (file.empty()) return std::string();
  return env.read_file(Resolve(base_dir, file));
}

}  // namespace

Environment SystemEnvironment() {
  Environment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
  env.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  return env;
}

absl::StatusOr<Config> ParseKubeconfig(const std::string& yaml,
                                       const std::string& base_dir,
                                       const std::string& context,
                                       const Environment& env) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) {
      return absl::InvalidArgumentError("kubeconfig: not a YAML map");
    }
    std::string ctx_name =
        context.empty() ? Get(root, "current-context") : context;
    if (ctx_name.empty()) {
      return absl::NotFoundError("kubeconfig: no current-context");
    }
    auto ctx = Named(root, "contexts", ctx_name, "context");
    if (!ctx.ok()) return ctx.status();
    auto cluster = Named(root, "clusters", Get(*ctx, "cluster"), "cluster");
    if (!cluster.ok()) return cluster.status();
    Config config;
    config.server = Get(*cluster, "server");
    if (config.server.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kubeconfig: cluster \"", Get(*ctx, "cluster"), "\" has no server"));
    }
    auto ca = DataOrFile(*cluster, "certificate-authority-data",
                         "certificate-authority", base_dir, env);
    if (!ca.ok()) return ca.status();
    config.ca_pem = *ca;
    config.insecure_skip_tls_verify =
        Get(*cluster, "insecure-skip-tls-verify") == "true";
    if (config.insecure_skip_tls_verify && !config.ca_pem.empty()) {
      return absl::InvalidArgumentError(
          "kubeconfig: insecure-skip-tls-verify is not allowed together with "
          "a certificate authority");
    }
    config.tls_server_name = Get(*cluster, "tls-server-name");
    std::string user_name = Get(*ctx, "user");
    if (!user_name.empty()) {
      auto user = Named(root, "users", user_name, "user");
      if (!user.ok()) return user.status();
      auto cert = DataOrFile(*user, "client-certificate-data",
                             "client-certificate", base_dir, env);
      if (!cert.ok()) return cert.status();
      auto key =
          DataOrFile(*user, "client-key-data", "client-key", base_dir, env);
      if (!key.ok()) return key.status();
      if (cert->empty() != key->empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "kubeconfig: user \"", user_name,
            "\" needs both a client certificate and a client key"));
      }
      config.client_cert_pem = *cert;
      config.client_key_pem = *key;
      config.token = Get(*user, "token");
      std::string token_file = Get(*user, "tokenFile");
      if (!token_file.empty())
        config.token_file = Resolve(base_dir, token_file);
    }
    std::string ns = Get(*ctx, "namespace");
    if (!ns.empty()) config.default_namespace = ns;
    return config;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: malformed YAML: ", e.what()));
  }
}

absl::StatusOr<Config> LoadKubeconfig(const std::string& path,
                                      const std::string& context,
                                      const Environment& env) {
  auto text = env.read_file(path);
  if (!text.ok()) return text.status();
  std::string dir;
  size_t slash = path.rfind('/');
  if (slash != std::string::npos) dir = path.substr(0, slash);
  return ParseKubeconfig(*text, dir, context, env);
}

absl::StatusOr<Config> InClusterConfig(const Environment& env,
                                       const std::string& secrets_dir) {
  auto host = env.getenv("KUBERNETES_SERVICE_HOST");
  auto port = env.getenv("KUBERNETES_SERVICE_PORT");
  if (!host.has_value() || host->empty() || !port.has_value() ||
      port->empty()) {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be set");
  }
  Config config;
  std::string h =
      absl::StrContains(*host, ':') ? absl::StrCat("[", *host, "]") : *host;
  config.server = absl::StrCat("https://", h, ":", *port);
  config.token_file = secrets_dir + "/token";
  auto token = env.read_file(config.token_file);
  if (!token.ok()) return token.status();
  config.token = std::string(absl::StripAsciiWhitespace(*token));
  auto ca = env.read_file(secrets_dir + "/ca.crt");
  if (!ca.ok()) return ca.status();
  config.ca_pem = *ca;
  auto ns = env.read_file(secrets_dir + "/namespace");
  if (ns.ok() && !absl::StripAsciiWhitespace(*ns).empty()) {
    config.default_namespace = std::string(absl::StripAsciiWhitespace(*ns));
  }
  return config;
}

}  // namespace lb::k8s

#include "lib/k8s/testing/api_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <signal.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "lib/k8s/internal/selector.h"
#include "lib/k8s/testing/internal/patch.h"
#include "lib/k8s/testing/internal/tls.h"

namespace lb::k8s::testing {
namespace {

using json = nlohmann::json;
using ::lb::k8s::internal::FieldSelector;
using ::lb::k8s::internal::LabelSelector;

struct ResourceType {
  std::string group, version, kind, list_kind, plural, singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  bool has_status = false;
  bool builtin = true;
  bool drop_status_on_create = false;
  // CRD only: additionalPrinterColumns of the served version.
  json printer_columns = json::array();

  std::string GroupVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
  std::string Qualified() const {
    return group.empty() ? plural : plural + "." + group;
  }
  std::string Key() const { return group + "/" + plural; }
};

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
  return {
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
  };
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// kubectl's HumanDuration.
std::string HumanDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 10) {
    return s % 60 == 0 ? absl::StrCat(m, "m")
                       : absl::StrCat(m, "m", s % 60, "s");
  }
  if (m < 180) return absl::StrCat(m, "m");
  int64_t h = s / 3600;
  if (h < 8) {
    return m % 60 == 0 ? absl::StrCat(h, "h")
                       : absl::StrCat(h, "h", m % 60, "m");
  }
  if (h < 48) return absl::StrCat(h, "h");
  if (h < 24 * 8) {
    return h % 24 == 0 ? absl::StrCat(h / 24, "d")
                       : absl::StrCat(h / 24, "d", h % 24, "h");
  }
  if (h < 24 * 365 * 2) return absl::StrCat(h / 24, "d");
  if (h < 24 * 365 * 8)
    return absl::StrCat(h / 24 / 365, "y", (h / 24) % 365, "d");
  return absl::StrCat(h / 24 / 365, "y");
}

const char* ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "InternalError";
  }
}

json StatusObject(int code, const std::string& reason,
                  const std::string& message, json details = json()) {
  json s = {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
  if (!details.is_null()) s["details"] = std::move(details);
  return s;
}

// What a handler produces: a full response or a watch to stream.
struct Reply {
  int code = 200;
  json body;
};

Reply Error(int code, const std::string& reason, const std::string& message,
            json details = json()) {
  return {code, StatusObject(code, reason, message, std::move(details))};
}

Reply NotFound(const ResourceType& t, const std::string& name) {
  return Error(404, "NotFound",
               absl::StrCat(t.Qualified(), " \"", name, "\" not found"),
               {{"name", name}, {"group", t.group}, {"kind", t.plural}});
}

Reply Conflict(const ResourceType& t, const std::string& name) {
  return Error(409, "Conflict",
               absl::StrCat("Operation cannot be fulfilled on ", t.Qualified(),
                            " \"", name,
                            "\": the object has been modified; please apply "
                            "your changes to the latest version and try again"),
               {{"name", name}, {"group", t.group}, {"kind", t.plural}});
}

const json& Field(const json& obj, const char* a, const char* b = nullptr) {
  static const json* const kNull = new json();
  if (!obj.is_object()) return *kNull;
  auto it = obj.find(a);
  if (it == obj.end()) return *kNull;
  if (b == nullptr) return *it;
  if (!it->is_object()) return *kNull;
  auto it2 = it->find(b);
  return it2 == it->end() ? *kNull : *it2;
}

std::string Str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

struct LogEntry {
  int64_t rv;
  std::string type_key;
  std::string event;  // ADDED, MODIFIED, DELETED
  std::shared_ptr<const json> object;
  std::shared_ptr<const json> old;  // previous state, for selector transitions
};

struct WatchState {
  ResourceType type;
  std::string ns;
  LabelSelector labels;
  FieldSelector fields;
  bool table = false;
  bool columns_sent = false;
  bool bookmarks = false;
  int64_t pos = 0;
  std::deque<std::string> pending;
  absl::Time deadline = absl::InfiniteFuture();
  absl::Time next_bookmark = absl::InfiniteFuture();
  absl::Time last_write;
  uint64_t drop_generation = 0;
  bool finished = false;
};

}  // namespace

class ApiServer::Impl {
 public:
  explicit Impl(ApiServerOptions options)
      : options_(std::move(options)), clock_(options_.clock) {
    tokens_ = options_.tokens;
    for (ResourceType& t : BuiltinTypes()) Register(t);
    absl::MutexLock l(&mu_);
    for (const char* ns :
         {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      json obj = {{"apiVersion", "v1"},
                  {"kind", "Namespace"},
                  {"metadata", {{"name", ns}}}};
      Reply r = CreateLocked(*FindType("", "namespaces"), "", obj);
      (void)r;
    }
    json kubernetes = {
        {"apiVersion", "v1"},
        {"kind", "Service"},
        {"metadata",
         {{"name", "kubernetes"},
          {"namespace", "default"},
          {"labels",
           {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
        {"spec",
         {{"clusterIP", "10.96.0.1"},
          {"ports",
           {{{"name", "https"}, {"port", 443}, {"targetPort", 6443}}}}}}};
    Reply r = CreateLocked(*FindType("", "services"), "default", kubernetes);
    (void)r;
  }

  ~Impl() { Stop(); }

  absl::Status Serve() {
    Stop();
    std::unique_ptr<httplib::Server> server;
    if (options_.tls) {
      if (cert_.cert_pem.empty()) {
        auto cert = internal::MakeSelfSignedCert(clock_->Now(), options_.host);
        if (!cert.ok()) return cert.status();
        cert_ = *cert;
      }
      BIO* cb = BIO_new_mem_buf(cert_.cert_pem.data(),
                                static_cast<int>(cert_.cert_pem.size()));
      BIO* kb = BIO_new_mem_buf(cert_.key_pem.data(),
                                static_cast<int>(cert_.key_pem.size()));
      X509* x = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
      EVP_PKEY* k = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
      BIO_free(cb);
      BIO_free(kb);
      if (x == nullptr || k == nullptr) {
        X509_free(x);
        EVP_PKEY_free(k);
        return absl::InternalError("loading the generated certificate failed");
      }
      auto ssl = std::make_unique<httplib::SSLServer>(x, k);
      X509_free(x);
      EVP_PKEY_free(k);
      if (!ssl->is_valid()) {
        return absl::InternalError("TLS server setup failed");
      }
      server = std::move(ssl);
    } else {
      server = std::make_unique<httplib::Server>();
    }
    int threads = options_.threads;
    server->new_task_queue = [threads] {
      return new httplib::ThreadPool(static_cast<size_t>(threads));
    };
    server->set_keep_alive_timeout(1);
    server->set_tcp_nodelay(true);
    server->set_read_timeout(30);
    server->set_write_timeout(30);
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Handle(req, res);
    };
    server->Get(".*", handler);
    server->Post(".*", handler);
    server->Put(".*", handler);
    server->Patch(".*", handler);
    server->Delete(".*", handler);
    int port = options_.port;
    if (port == 0) {
      port = server->bind_to_any_port(options_.host);
      if (port < 0) {
        return absl::UnavailableError(
            absl::StrCat("cannot bind ", options_.host));
      }
    } else if (!server->bind_to_port(options_.host.c_str(), port)) {
      return absl::UnavailableError(
          absl::StrCat("cannot bind ", options_.host, ":", port));
    }
    options_.port = port;
    {
      absl::MutexLock l(&mu_);
      stopping_ = false;
    }
    server_ = std::move(server);
    httplib::Server* raw = server_.get();
    thread_ = std::thread([raw] { raw->listen_after_bind(); });
    return absl::OkStatus();
  }

  void Stop() {
    if (server_ == nullptr) return;
    {
      absl::MutexLock l(&mu_);
      stopping_ = true;
    }
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  std::string url() const {
    std::string host = absl::StrContains(options_.host, ':')
                           ? absl::StrCat("[", options_.host, "]")
                           : options_.host;
    return absl::StrCat(options_.tls ? "https://" : "http://", host, ":",
                        options_.port);
  }
  int port() const { return options_.port; }
  std::string ca_pem() const { return cert_.cert_pem; }

  std::string Kubeconfig(const std::string& token) const {
    std::string out = absl::StrCat(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: lb-apiserver\n"
        "  cluster:\n    server: ",
        url(), "\n");
    if (options_.tls) {
      absl::StrAppend(&out, "    certificate-authority-data: ",
                      absl::Base64Escape(cert_.cert_pem), "\n");
    }
    absl::StrAppend(&out,
                    "contexts:\n- name: lb-apiserver\n  context:\n"
                    "    cluster: lb-apiserver\n    user: lb-apiserver\n"
                    "    namespace: default\n"
                    "current-context: lb-apiserver\n"
                    "users:\n- name: lb-apiserver\n  user:\n");
    if (token.empty()) {
      absl::StrAppend(&out, "    {}\n");
    } else {
      absl::StrAppend(&out, "    token: \"", token, "\"\n");
    }
    return out;
  }

  int64_t resource_version() const {
    absl::MutexLock l(&mu_);
    return rv_;
  }
  int open_watches() const {
    absl::MutexLock l(&mu_);
    return open_watches_;
  }
  int64_t request_count() const {
    absl::MutexLock l(&mu_);
    return requests_;
  }

  absl::StatusOr<json> GetObject(const std::string& group,
                                 const std::string& plural,
                                 const std::string& ns,
                                 const std::string& name) const {
    absl::MutexLock l(&mu_);
    auto it = types_.find(group + "/" + plural);
    if (it == types_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown resource ", plural, ".", group));
    }
    auto obj = Lookup(it->second, ns, name);
    if (obj == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(it->second.Qualified(), " \"", name, "\" not found"));
    }
    return *obj;
  }

  void DropWatches() {
    absl::MutexLock l(&mu_);
    ++drop_generation_;
  }
  void FailNextRequests(int n, int code, std::string method,
                        std::string path_suffix) {
    absl::MutexLock l(&mu_);
    fail_count_ = n;
    fail_code_ = code;
    fail_method_ = std::move(method);
    fail_path_suffix_ = std::move(path_suffix);
  }
  void SetLatency(absl::Duration d) {
    absl::MutexLock l(&mu_);
    latency_ = d;
  }
  void CompactHistory() {
    absl::MutexLock l(&mu_);
    log_.clear();
    compacted_rv_ = rv_;
  }
  void SetTokens(std::vector<std::string> tokens) {
    absl::MutexLock l(&mu_);
    tokens_ = std::move(tokens);
  }

 private:
  // ---- Registry -----------------------------------------------------------
  void Register(const ResourceType& t) {
    absl::MutexLock l(&mu_);
    RegisterLocked(t);
  }
  void RegisterLocked(const ResourceType& t)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    types_[t.Key()] = t;
    objects_[t.Key()];
  }
  const ResourceType* FindType(const std::string& group,
                               const std::string& plural) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = types_.find(group + "/" + plural);
    return it == types_.end() ? nullptr : &it->second;
  }
  const ResourceType* FindTypeGV(const std::string& group,
                                 const std::string& version,
                                 const std::string& plural) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const ResourceType* t = FindType(group, plural);
    return t != nullptr && t->version == version ? t : nullptr;
  }
  static std::string ObjKey(const std::string& ns, const std::string& name) {
    return ns.empty() ? name : ns + "/" + name;
  }
  std::shared_ptr<const json> Lookup(const ResourceType& t,
                                     const std::string& ns,
                                     const std::string& name) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = objects_.find(t.Key());
    if (it == objects_.end()) return nullptr;
    auto o = it->second.find(ObjKey(t.namespaced ? ns : "", name));
    return o == it->second.end() ? nullptr : o->second;
  }

  // ---- Discovery ----------------------------------------------------------
  json ApiVersions() const {
    return {{"kind", "APIVersions"},
            {"versions", {"v1"}},
            {"serverAddressByClientCIDRs",
             {{{"clientCIDR", "0.0.0.0/0"},
               {"serverAddress",
                absl::StrCat(options_.host, ":", options_.port)}}}}};
  }
  json GroupDoc(const std::string& group) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> versions;
    for (const auto& [k, t] : types_) {
      if (t.group == group && std::find(versions.begin(), versions.end(),
                                        t.version) == versions.end()) {
        versions.push_back(t.version);
      }
    }
    if (versions.empty()) return json();
    std::sort(versions.begin(), versions.end());
    json g = {{"name", group}, {"versions", json::array()}};
    for (const std::string& v : versions) {
      g["versions"].push_back(
          {{"groupVersion", group + "/" + v}, {"version", v}});
    }
    g["preferredVersion"] = g["versions"][0];
    return g;
  }
  json GroupList() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> groups;
    for (const auto& [k, t] : types_) {
      if (!t.group.empty() &&
          std::find(groups.begin(), groups.end(), t.group) == groups.end()) {
        groups.push_back(t.group);
      }
    }
    std::sort(groups.begin(), groups.end());
    json out = {{"kind", "APIGroupList"},
                {"apiVersion", "v1"},
                {"groups", json::array()}};
    for (const std::string& g : groups) out["groups"].push_back(GroupDoc(g));
    return out;
  }
  json ResourceList(const std::string& group, const std::string& version) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    json out = {
        {"kind", "APIResourceList"},
        {"apiVersion", "v1"},
        {"groupVersion", group.empty() ? version : group + "/" + version},
        {"resources", json::array()}};
    bool any = false;
    for (const auto& [k, t] : types_) {
      if (t.group != group || t.version != version) continue;
      any = true;
      json r = {{"name", t.plural},
                {"singularName", t.singular},
                {"namespaced", t.namespaced},
                {"kind", t.kind},
                {"verbs",
                 {"create", "delete", "deletecollection", "get", "list",
                  "patch", "update", "watch"}}};
      if (!t.short_names.empty()) r["shortNames"] = t.short_names;
      out["resources"].push_back(std::move(r));
      if (t.has_status) {
        out["resources"].push_back({{"name", t.plural + "/status"},
                                    {"singularName", ""},
                                    {"namespaced", t.namespaced},
                                    {"kind", t.kind},
                                    {"verbs", {"get", "patch", "update"}}});
      }
    }
    return any ? out : json();
  }

  // ---- Tables -------------------------------------------------------------
  json ColumnDefinitions(const ResourceType& t) const {
    auto col = [](const char* name, const char* type, const char* format,
                  int priority) {
      return json{{"name", name},
                  {"type", type},
                  {"format", format},
                  {"description", ""},
                  {"priority", priority}};
    };
    if (t.group.empty() && t.plural == "services") {
      return {col("Name", "string", "name", 0),
              col("Type", "string", "", 0),
              col("Cluster-IP", "string", "", 0),
              col("External-IP", "string", "", 0),
              col("Port(s)", "string", "", 0),
              col("Age", "string", "", 0),
              col("Selector", "string", "", 1)};
    }
    if (t.plural == "events") {
      // kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE.
      return {
          col("Last Seen", "string", "", 0), col("Type", "string", "", 0),
          col("Reason", "string", "", 0),    col("Object", "string", "", 0),
          col("Message", "string", "", 0),   col("Name", "string", "name", 1)};
    }
    json cols = {col("Name", "string", "name", 0)};
    for (const json& c : t.printer_columns) {
      cols.push_back(col(Str(c.value("name", json())).c_str(), "string", "",
                         c.value("priority", 0)));
    }
    cols.push_back(col("Age", "string", "", 0));
    return cols;
  }

  json Cells(const ResourceType& t, const json& obj) const {
    const json& md = Field(obj, "metadata");
    std::string age = "<unknown>";
    absl::Time created;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, Str(Field(md, "creationTimestamp")),
                        &created, &err)) {
      age = HumanDuration(clock_->Now() - created);
    }
    if (t.plural == "events") return EventCells(t, obj, age);
    json cells = {Str(Field(md, "name"))};
    if (t.group.empty() && t.plural == "services") {
      const json& spec = Field(obj, "spec");
      std::string type = Str(Field(spec, "type"));
      std::string cluster_ip = Str(Field(spec, "clusterIP"));
      if (cluster_ip.empty()) cluster_ip = "<none>";
      std::vector<std::string> external;
      for (const json& ing : Field(obj, "status", "loadBalancer")
                                 .value("ingress", json::array())) {
        std::string v = Str(Field(ing, "ip"));
        if (v.empty()) v = Str(Field(ing, "hostname"));
        if (!v.empty()) external.push_back(v);
      }
      for (const json& ip : Field(spec, "externalIPs").is_array()
                                ? Field(spec, "externalIPs")
                                : json::array()) {
        external.push_back(Str(ip));
      }
      std::string ext = absl::StrJoin(external, ",");
      if (ext.empty()) {
        ext = type == "LoadBalancer" ? "<pending>" : "<none>";
      }
      if (type == "ExternalName") ext = Str(Field(spec, "externalName"));
      std::vector<std::string> ports;
      if (Field(spec, "ports").is_array()) {
        for (const json& p : Field(spec, "ports")) {
          std::string s = Str(Field(p, "port"));
          if (!Field(p, "nodePort").is_null()) {
            absl::StrAppend(&s, ":", Str(Field(p, "nodePort")));
          }
          absl::StrAppend(&s, "/", Str(Field(p, "protocol")));
          ports.push_back(s);
        }
      }
      std::vector<std::string> sel;
      if (Field(spec, "selector").is_object()) {
        for (auto it = Field(spec, "selector").begin();
             it != Field(spec, "selector").end(); ++it) {
          sel.push_back(it.key() + "=" + Str(it.value()));
        }
      }
      cells.push_back(type);
      cells.push_back(cluster_ip);
      cells.push_back(ext);
      cells.push_back(ports.empty() ? "<none>" : absl::StrJoin(ports, ","));
      cells.push_back(age);
      cells.push_back(sel.empty() ? "<none>" : absl::StrJoin(sel, ","));
      return cells;
    }
    for (const json& c : t.printer_columns) {
      std::string path = Str(c.value("jsonPath", json()));
      const json* cur = &obj;
      for (absl::string_view part :
           absl::StrSplit(path, '.', absl::SkipEmpty())) {
        if (!cur->is_object() || !cur->contains(std::string(part))) {
          cur = nullptr;
          break;
        }
        cur = &(*cur)[std::string(part)];
      }
      cells.push_back(cur == nullptr ? "<none>" : Str(*cur));
    }
    cells.push_back(age);
    return cells;
  }

  // Core v1 and events.k8s.io/v1 Events; `age` is the object's age, the
  // fallback for LAST SEEN.
  json EventCells(const ResourceType& t, const json& obj,
                  const std::string& age) const {
    const bool core = t.group.empty();
    std::string last_seen = age;
    for (const char* field : {"lastTimestamp", "eventTime"}) {
      absl::Time when;
      std::string err;
      if (absl::ParseTime(absl::RFC3339_full, Str(Field(obj, field)), &when,
                          &err)) {
        last_seen = HumanDuration(clock_->Now() - when);
        break;
      }
    }
    const json& about = Field(obj, core ? "involvedObject" : "regarding");
    std::string object =
        absl::StrCat(absl::AsciiStrToLower(Str(Field(about, "kind"))), "/",
                     Str(Field(about, "name")));
    return {last_seen,
            Str(Field(obj, "type")),
            Str(Field(obj, "reason")),
            object,
            Str(Field(obj, core ? "message" : "note")),
            Str(Field(obj, "metadata", "name"))};
  }

  json Row(const ResourceType& t, const json& obj) const {
    return {{"cells", Cells(t, obj)},
            {"object",
             {{"kind", "PartialObjectMetadata"},
              {"apiVersion", "meta.k8s.io/v1"},
              {"metadata", Field(obj, "metadata")}}}};
  }

  json Table(const ResourceType& t, const std::vector<const json*>& objs,
             int64_t rv, bool with_columns) const {
    json table = {{"kind", "Table"},
                  {"apiVersion", "meta.k8s.io/v1"},
                  {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                  {"rows", json::array()}};
    if (with_columns) table["columnDefinitions"] = ColumnDefinitions(t);
    for (const json* o : objs) table["rows"].push_back(Row(t, *o));
    return table;
  }

  // ---- Writes -------------------------------------------------------------
  std::string NewUid() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    ++uid_counter_;
    return absl::StrFormat(
        "6c8b5f1e-%04x-4%03x-8000-%012x", (uid_counter_ >> 28) & 0xffff,
        (uid_counter_ >> 16) & 0xfff, uid_counter_ & 0xffffffffffff);
  }

  // Applies the server-side defaults of `t` to `obj`; `old` is the stored
  // state for updates. Returns a Reply with code != 200 on invalid input.
  Reply Default(const ResourceType& t, const json* old, json& obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (t.group.empty() && t.plural == "services")
      return DefaultService(old, obj);
    if (t.group.empty() && t.plural == "namespaces") {
      if (!obj["spec"].is_object()) obj["spec"] = json::object();
      if (!obj["spec"].contains("finalizers")) {
        obj["spec"]["finalizers"] = {"kubernetes"};
      }
      if (!obj["status"].is_object()) obj["status"] = json::object();
      if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Active";
    }
    if (t.group.empty() && t.plural == "secrets") {
      if (!obj.contains("type")) obj["type"] = "Opaque";
      if (obj.contains("stringData") && obj["stringData"].is_object()) {
        if (!obj["data"].is_object()) obj["data"] = json::object();
        for (auto it = obj["stringData"].begin(); it != obj["stringData"].end();
             ++it) {
          obj["data"][it.key()] = absl::Base64Escape(Str(it.value()));
        }
        obj.erase("stringData");
      }
    }
    if (t.group == "apiextensions.k8s.io") return DefaultCrd(old, obj);
    return {200, json()};
  }

  Reply DefaultService(const json* old, json& obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!obj["spec"].is_object()) obj["spec"] = json::object();
    json& spec = obj["spec"];
    const json& old_spec = old != nullptr ? Field(*old, "spec") : json();
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    std::string type = Str(spec["type"]);
    if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
        type != "ExternalName") {
      return Error(
          422, "Invalid",
          absl::StrCat("Service \"", Str(obj["metadata"]["name"]),
                       "\" is invalid: spec.type: Unsupported value: \"", type,
                       "\""));
    }
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    if (type != "ExternalName") {
      if (Str(spec.value("clusterIP", json())).empty()) {
        std::string ip = Str(Field(old_spec, "clusterIP"));
        if (ip.empty()) {
          ++cluster_ip_counter_;
          ip = absl::StrCat("10.96.", (cluster_ip_counter_ >> 8) & 0xff, ".",
                            cluster_ip_counter_ & 0xff);
        }
        spec["clusterIP"] = ip;
      }
      if (!spec.contains("clusterIPs")) {
        spec["clusterIPs"] = {spec["clusterIP"]};
      }
      if (!spec.contains("ipFamilies")) spec["ipFamilies"] = {"IPv4"};
      if (!spec.contains("ipFamilyPolicy")) {
        spec["ipFamilyPolicy"] = "SingleStack";
      }
      if (!spec.contains("internalTrafficPolicy")) {
        spec["internalTrafficPolicy"] = "Cluster";
      }
    }
    bool external = type == "NodePort" || type == "LoadBalancer";
    if (type == "LoadBalancer" &&
        !spec.contains("allocateLoadBalancerNodePorts")) {
      spec["allocateLoadBalancerNodePorts"] = true;
    }
    bool node_ports =
        type == "NodePort" ||
        (type == "LoadBalancer" &&
         spec.value("allocateLoadBalancerNodePorts", true) != false);
    if (external && !spec.contains("externalTrafficPolicy")) {
      spec["externalTrafficPolicy"] = "Cluster";
    }
    if (spec.contains("ports") && spec["ports"].is_array()) {
      int index = 0;
      for (json& p : spec["ports"]) {
        if (!p.is_object() || !p.contains("port") ||
            !p["port"].is_number_integer() || p["port"].get<int64_t>() < 1 ||
            p["port"].get<int64_t>() > 65535) {
          return Error(
              422, "Invalid",
              absl::StrCat("Service \"", Str(obj["metadata"]["name"]),
                           "\" is invalid: spec.ports[", index,
                           "].port: Invalid value: ",
                           p.is_object() ? Str(p.value("port", json())) : "",
                           ": must be between 1 and 65535, inclusive"));
        }
        if (!p.contains("protocol")) p["protocol"] = "TCP";
        if (!p.contains("targetPort")) p["targetPort"] = p["port"];
        if (node_ports && !p.contains("nodePort")) {
          int node_port = 0;
          if (Field(old_spec, "ports").is_array()) {
            for (const json& op : Field(old_spec, "ports")) {
              if (op.value("port", json()) == p["port"] &&
                  op.value("protocol", json("TCP")) == p["protocol"] &&
                  op.contains("nodePort")) {
                node_port = op["nodePort"].get<int>();
              }
            }
          }
          if (node_port == 0) node_port = AllocateNodePort();
          if (node_port == 0) {
            return Error(422, "Invalid",
                         "spec.ports.nodePort: no node ports left in "
                         "30000-32767");
          }
          p["nodePort"] = node_port;
        }
        ++index;
      }
    }
    if (type == "LoadBalancer" &&
        spec.value("externalTrafficPolicy", "") == "Local" &&
        !spec.contains("healthCheckNodePort")) {
      int hc = Field(old_spec, "healthCheckNodePort").is_number_integer()
                   ? Field(old_spec, "healthCheckNodePort").get<int>()
                   : AllocateNodePort();
      spec["healthCheckNodePort"] = hc;
    }
    if (!obj["status"].is_object()) obj["status"] = json::object();
    if (!obj["status"]["loadBalancer"].is_object()) {
      obj["status"]["loadBalancer"] = json::object();
    }
    json& lb = obj["status"]["loadBalancer"];
    if (lb.contains("ingress") && lb["ingress"].is_array()) {
      for (json& ing : lb["ingress"]) {
        if (ing.is_object() && ing.contains("ip") && !ing.contains("ipMode")) {
          ing["ipMode"] = "VIP";
        }
      }
    }
    return {200, json()};
  }

  int AllocateNodePort() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (next_node_port_ > 32767) return 0;
    return next_node_port_++;
  }

  Reply DefaultCrd(const json* old, json& obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const json& spec = Field(obj, "spec");
    std::string group = Str(Field(spec, "group"));
    const json& names = Field(spec, "names");
    std::string plural = Str(Field(names, "plural"));
    std::string kind = Str(Field(names, "kind"));
    std::string name = Str(Field(obj, "metadata", "name"));
    if (group.empty() || plural.empty() || kind.empty()) {
      return Error(422, "Invalid",
                   absl::StrCat("CustomResourceDefinition.apiextensions.k8s.io "
                                "\"",
                                name,
                                "\" is invalid: spec: Required value: group, "
                                "names.plural and names.kind are required"));
    }
    if (name != plural + "." + group) {
      return Error(
          422, "Invalid",
          absl::StrCat("CustomResourceDefinition.apiextensions.k8s.io "
                       "\"",
                       name,
                       "\" is invalid: metadata.name: Invalid value: "
                       "\"",
                       name, "\": must be spec.names.plural+\".\"+spec.group"));
    }
    json accepted = names;
    if (!accepted.contains("singular")) {
      accepted["singular"] = absl::AsciiStrToLower(kind);
    }
    if (!accepted.contains("listKind")) accepted["listKind"] = kind + "List";
    std::string now = Rfc3339(clock_->Now());
    obj["status"] = {{"acceptedNames", accepted},
                     {"storedVersions", json::array()},
                     {"conditions",
                      {{{"type", "NamesAccepted"},
                        {"status", "True"},
                        {"reason", "NoConflicts"},
                        {"message", "no conflicts found"},
                        {"lastTransitionTime", now}},
                       {{"type", "Established"},
                        {"status", "True"},
                        {"reason", "InitialNamesAccepted"},
                        {"message", "the initial names have been accepted"},
                        {"lastTransitionTime", now}}}}};
    return {200, json()};
  }

  void RegisterCrdLocked(const json& crd) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const json& spec = Field(crd, "spec");
    const json& names = Field(crd, "status", "acceptedNames");
    const json& versions = Field(spec, "versions");
    if (!versions.is_array()) return;
    for (const json& v : versions) {
      if (v.value("served", true) == false) continue;
      ResourceType t;
      t.group = Str(Field(spec, "group"));
      t.version = Str(Field(v, "name"));
      t.kind = Str(Field(names, "kind"));
      t.list_kind = Str(Field(names, "listKind"));
      t.plural = Str(Field(names, "plural"));
      t.singular = Str(Field(names, "singular"));
      t.namespaced = Str(Field(spec, "scope")) != "Cluster";
      if (Field(names, "shortNames").is_array()) {
        for (const json& s : Field(names, "shortNames")) {
          t.short_names.push_back(Str(s));
        }
      }
      t.has_status = Field(v, "subresources", "status").is_object();
      t.drop_status_on_create = t.has_status;
      t.builtin = false;
      if (Field(v, "additionalPrinterColumns").is_array()) {
        t.printer_columns = Field(v, "additionalPrinterColumns");
      }
      // Only one served version per resource in this stand-in: the first.
      if (FindType(t.group, t.plural) == nullptr ||
          !FindType(t.group, t.plural)->builtin) {
        auto existing = types_.find(t.Key());
        if (existing != types_.end() && existing->second.version != t.version) {
          continue;
        }
        RegisterLocked(t);
      }
    }
  }

  void Append(const ResourceType& t, const std::string& event,
              std::shared_ptr<const json> obj, std::shared_ptr<const json> old)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    log_.push_back({rv_, t.Key(), event, std::move(obj), std::move(old)});
    while (static_cast<int64_t>(log_.size()) > options_.history_limit) {
      compacted_rv_ = std::max(compacted_rv_, log_.front().rv);
      log_.pop_front();
    }
  }

  Reply CreateLocked(const ResourceType& t, const std::string& ns, json obj)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!obj.is_object()) {
      return Error(400, "BadRequest", "the request body must be a JSON object");
    }
    if (obj.contains("kind") && Str(obj["kind"]) != t.kind) {
      return Error(400, "BadRequest",
                   absl::StrCat("the kind \"", Str(obj["kind"]),
                                "\" of the body does not match the URL's \"",
                                t.kind, "\""));
    }
    if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
    json& md = obj["metadata"];
    std::string name = Str(md.value("name", json()));
    if (name.empty() && md.contains("generateName")) {
      name =
          absl::StrCat(Str(md["generateName"]),
                       absl::StrFormat("%05x", (rv_ * 2654435761u) & 0xfffff));
      md["name"] = name;
    }
    if (name.empty()) {
      return Error(422, "Invalid",
                   absl::StrCat(t.kind,
                                " \"\" is invalid: metadata.name: Required "
                                "value: name or generateName is required"));
    }
    if (t.namespaced) {
      std::string body_ns = Str(md.value("namespace", json()));
      if (!body_ns.empty() && body_ns != ns) {
        return Error(400, "BadRequest",
                     "the namespace of the provided object does not match the "
                     "namespace sent on the request");
      }
      md["namespace"] = ns;
      if (Lookup(*FindType("", "namespaces"), "", ns) == nullptr) {
        return Error(404, "NotFound",
                     absl::StrCat("namespaces \"", ns, "\" not found"),
                     {{"name", ns}, {"kind", "namespaces"}});
      }
    } else {
      md.erase("namespace");
    }
    if (Lookup(t, ns, name) != nullptr) {
      return Error(
          409, "AlreadyExists",
          absl::StrCat(t.Qualified(), " \"", name, "\" already exists"),
          {{"name", name}, {"group", t.group}, {"kind", t.plural}});
    }
    obj["apiVersion"] = t.GroupVersion();
    obj["kind"] = t.kind;
    if (t.drop_status_on_create) obj.erase("status");
    md["uid"] = NewUid();
    md["creationTimestamp"] = Rfc3339(clock_->Now());
    md["generation"] = 1;
    md.erase("deletionTimestamp");
    Reply d = Default(t, nullptr, obj);
    if (d.code != 200) return d;
    ++rv_;
    obj["metadata"]["resourceVersion"] = std::to_string(rv_);
    auto stored = std::make_shared<const json>(std::move(obj));
    objects_[t.Key()][ObjKey(t.namespaced ? ns : "", name)] = stored;
    Append(t, "ADDED", stored, nullptr);
    if (t.group == "apiextensions.k8s.io") RegisterCrdLocked(*stored);
    return {201, *stored};
  }

  // Stores `obj` as the new state of the existing `old`.
  Reply CommitUpdate(const ResourceType& t, const json& old, json obj,
                     bool status_only) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const json& old_md = old["metadata"];
    if (!obj.is_object()) {
      return Error(400, "BadRequest", "the request body must be a JSON object");
    }
    std::string name = Str(old_md["name"]);
    if (status_only) {
      json merged = old;
      if (obj.contains("status")) {
        merged["status"] = obj["status"];
      } else {
        merged.erase("status");
      }
      obj = std::move(merged);
    } else {
      if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
      if (t.has_status) {
        if (old.contains("status")) {
          obj["status"] = old["status"];
        } else {
          obj.erase("status");
        }
      }
    }
    json& md = obj["metadata"];
    if (md.contains("name") && Str(md["name"]) != name) {
      return Error(
          400, "BadRequest",
          absl::StrCat("the name of the object (", Str(md["name"]),
                       ") does not match the name on the URL (", name, ")"));
    }
    md["name"] = name;
    if (t.namespaced) md["namespace"] = old_md["namespace"];
    for (const char* f : {"uid", "creationTimestamp", "generation",
                          "deletionTimestamp", "resourceVersion"}) {
      if (old_md.contains(f)) {
        md[f] = old_md[f];
      } else {
        md.erase(f);
      }
    }
    obj["apiVersion"] = t.GroupVersion();
    obj["kind"] = t.kind;
    Reply d = Default(t, &old, obj);
    if (d.code != 200) return d;
    if (obj == old) return {200, old};
    // Generation follows changes outside metadata and status.
    json a = obj, b = old;
    for (json* x : {&a, &b}) {
      x->erase("metadata");
      x->erase("status");
    }
    if (a != b) {
      md["generation"] = old_md.value("generation", 0) + 1;
    }
    std::string ns = t.namespaced ? Str(old_md["namespace"]) : "";
    auto old_ptr = Lookup(t, ns, name);
    ++rv_;
    md["resourceVersion"] = std::to_string(rv_);
    if (md.contains("deletionTimestamp") &&
        (!md.contains("finalizers") || md["finalizers"].empty())) {
      auto gone = std::make_shared<const json>(std::move(obj));
      objects_[t.Key()].erase(ObjKey(ns, name));
      Append(t, "DELETED", gone, old_ptr);
      return {200, *gone};
    }
    auto stored = std::make_shared<const json>(std::move(obj));
    objects_[t.Key()][ObjKey(ns, name)] = stored;
    Append(t, "MODIFIED", stored, old_ptr);
    if (t.group == "apiextensions.k8s.io") RegisterCrdLocked(*stored);
    return {200, *stored};
  }

  Reply UpdateLocked(const ResourceType& t, const std::string& ns,
                     const std::string& name, const std::string& sub, json body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto old = Lookup(t, ns, name);
    if (old == nullptr) return NotFound(t, name);
    if (!body.is_object()) {
      return Error(400, "BadRequest", "the request body must be a JSON object");
    }
    std::string rv = Str(Field(body, "metadata", "resourceVersion"));
    if (rv.empty() && t.plural == "leases") {
      return Error(422, "Invalid",
                   absl::StrCat("Lease.coordination.k8s.io \"", name,
                                "\" is invalid: metadata.resourceVersion: "
                                "Invalid value: 0x0: must be specified for an "
                                "update"));
    }
    if (!rv.empty() && rv != Str((*old)["metadata"]["resourceVersion"])) {
      return Conflict(t, name);
    }
    return CommitUpdate(t, *old, std::move(body), sub == "status");
  }

  Reply PatchLocked(const ResourceType& t, const std::string& ns,
                    const std::string& name, const std::string& sub,
                    const std::string& content_type, const json& patch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto old = Lookup(t, ns, name);
    bool apply = absl::StartsWith(content_type, "application/apply-patch");
    if (old == nullptr) {
      if (apply && sub.empty()) return CreateLocked(t, ns, patch);
      return NotFound(t, name);
    }
    json patched;
    if (absl::StartsWith(content_type, "application/json-patch+json")) {
      auto r = internal::ApplyJsonPatch(*old, patch);
      if (!r.ok()) {
        return Error(
            r.status().code() == absl::StatusCode::kInvalidArgument ? 400 : 422,
            r.status().code() == absl::StatusCode::kInvalidArgument
                ? "BadRequest"
                : "Invalid",
            std::string(r.status().message()));
      }
      patched = std::move(*r);
    } else if (absl::StartsWith(content_type, "application/merge-patch+json") ||
               apply) {
      if (!patch.is_object()) {
        return Error(400, "BadRequest", "a merge patch must be a JSON object");
      }
      patched = internal::ApplyMergePatch(*old, patch);
    } else if (absl::StartsWith(content_type,
                                "application/strategic-merge-patch+json")) {
      if (!t.builtin) {
        return Error(415, "UnsupportedMediaType",
                     absl::StrCat("the body of the request was in an unknown "
                                  "format - accepted media types include: "
                                  "application/json-patch+json, "
                                  "application/merge-patch+json, "
                                  "application/apply-patch+yaml"));
      }
      auto r = internal::ApplyStrategicMergePatch(t.kind, *old, patch);
      if (!r.ok()) {
        return Error(400, "BadRequest", std::string(r.status().message()));
      }
      patched = std::move(*r);
    } else {
      return Error(415, "UnsupportedMediaType",
                   absl::StrCat("the body of the request was in an unknown "
                                "format - accepted media types include: "
                                "application/json-patch+json, "
                                "application/merge-patch+json, "
                                "application/apply-patch+yaml, "
                                "application/strategic-merge-patch+json"));
    }
    std::string rv = Str(Field(patched, "metadata", "resourceVersion"));
    if (!rv.empty() && rv != Str((*old)["metadata"]["resourceVersion"])) {
      return Conflict(t, name);
    }
    return CommitUpdate(t, *old, std::move(patched), sub == "status");
  }

  Reply DeleteLocked(const ResourceType& t, const std::string& ns,
                     const std::string& name, const json& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto old = Lookup(t, ns, name);
    if (old == nullptr) return NotFound(t, name);
    const json& pre = Field(options, "preconditions");
    if ((!Field(pre, "resourceVersion").is_null() &&
         Str(Field(pre, "resourceVersion")) !=
             Str((*old)["metadata"]["resourceVersion"])) ||
        (!Field(pre, "uid").is_null() &&
         Str(Field(pre, "uid")) != Str((*old)["metadata"]["uid"]))) {
      return Error(
          409, "Conflict",
          absl::StrCat("Operation cannot be fulfilled on ", t.Qualified(),
                       " \"", name, "\": Precondition failed"));
    }
    const json& fin = Field((*old)["metadata"], "finalizers");
    if (fin.is_array() && !fin.empty()) {
      if (!(*old)["metadata"].contains("deletionTimestamp")) {
        json obj = *old;
        obj["metadata"]["deletionTimestamp"] = Rfc3339(clock_->Now());
        ++rv_;
        obj["metadata"]["resourceVersion"] = std::to_string(rv_);
        auto stored = std::make_shared<const json>(std::move(obj));
        objects_[t.Key()][ObjKey(t.namespaced ? ns : "", name)] = stored;
        Append(t, "MODIFIED", stored, old);
        return {202, *stored};
      }
      return {202, *old};
    }
    if (t.group.empty() && t.plural == "namespaces") {
      for (auto& [key, type] : types_) {
        if (!type.namespaced) continue;
        auto& objs = objects_[key];
        std::vector<std::string> names;
        for (const auto& [k, o] : objs) {
          if (Str((*o)["metadata"]["namespace"]) == name) {
            names.push_back(Str((*o)["metadata"]["name"]));
          }
        }
        for (const std::string& n : names) RemoveLocked(type, name, n);
      }
    }
    json gone = RemoveLocked(t, ns, name);
    if (t.group == "apiextensions.k8s.io") {
      std::string group = Str(Field(gone, "spec", "group"));
      std::string plural = Str(Field(Field(gone, "spec"), "names", "plural"));
      const ResourceType* ct = FindType(group, plural);
      if (ct != nullptr && !ct->builtin) {
        ResourceType copy = *ct;
        std::vector<std::string> keys;
        for (const auto& [k, o] : objects_[copy.Key()]) keys.push_back(k);
        for (const auto& k : keys) {
          auto o = objects_[copy.Key()][k];
          RemoveLocked(copy, Str((*o)["metadata"].value("namespace", json(""))),
                       Str((*o)["metadata"]["name"]));
        }
        types_.erase(copy.Key());
        objects_.erase(copy.Key());
      }
    }
    return {200, gone};
  }

  json RemoveLocked(const ResourceType& t, const std::string& ns,
                    const std::string& name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::string key = ObjKey(t.namespaced ? ns : "", name);
    auto old = objects_[t.Key()][key];
    objects_[t.Key()].erase(key);
    json obj = *old;
    ++rv_;
    obj["metadata"]["resourceVersion"] = std::to_string(rv_);
    auto gone = std::make_shared<const json>(std::move(obj));
    Append(t, "DELETED", gone, old);
    return *gone;
  }

  // ---- Reads --------------------------------------------------------------
  bool Matches(const WatchState& w, const json& obj) const {
    if (w.type.namespaced && !w.ns.empty() &&
        Str(Field(obj, "metadata", "namespace")) != w.ns) {
      return false;
    }
    return w.labels.Matches(Field(obj, "metadata", "labels")) &&
           w.fields.Matches(obj);
  }

  std::vector<std::shared_ptr<const json>> ListLocked(const WatchState& w) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::shared_ptr<const json>> out;
    auto it = objects_.find(w.type.Key());
    if (it == objects_.end()) return out;
    for (const auto& [k, o] : it->second) {
      if (Matches(w, *o)) out.push_back(o);
    }
    return out;
  }

  std::string EventLine(WatchState& w, const std::string& type,
                        const json& obj) const {
    json event = {{"type", type}};
    if (w.table && type != "BOOKMARK" && type != "ERROR") {
      std::vector<const json*> one = {&obj};
      event["object"] = Table(w.type, one, 0, !w.columns_sent);
      event["object"]["metadata"]["resourceVersion"] =
          Field(obj, "metadata", "resourceVersion");
      w.columns_sent = true;
    } else {
      event["object"] = obj;
    }
    return event.dump() + "\n";
  }

  // Produces the next piece of a watch stream in `out`; returns true when the
  // stream is over.
  bool NextWatchChunk(WatchState& w, std::string* out) {
    absl::MutexLock l(&mu_);
    if (!w.pending.empty()) {
      while (!w.pending.empty()) {
        out->append(w.pending.front());
        w.pending.pop_front();
      }
      return false;
    }
    auto stream_over = [&] {
      mu_.AssertHeld();
      return stopping_ || drop_generation_ != w.drop_generation;
    };
    auto has_news = [&] {
      mu_.AssertHeld();
      return rv_ > w.pos || stream_over();
    };
    absl::Time now = clock_->Now();
    if (!has_news()) {
      absl::Time until = std::min(
          {now + absl::Milliseconds(200), w.deadline, w.next_bookmark});
      clock_->AwaitWithTimeout(&mu_, absl::Condition(&has_news), until - now);
      now = clock_->Now();
    }
    if (stream_over()) return true;
    if (w.pos < compacted_rv_) {
      json status =
          StatusObject(410, "Expired",
                       absl::StrCat("too old resource version: ", w.pos, " (",
                                    compacted_rv_ + 1, ")"));
      out->append(json{{"type", "ERROR"}, {"object", status}}.dump() + "\n");
      return true;
    }
    // Events after w.pos, in order.
    auto it = std::upper_bound(
        log_.begin(), log_.end(), w.pos,
        [](int64_t rv, const LogEntry& e) { return rv < e.rv; });
    int emitted = 0;
    for (; it != log_.end() && emitted < 1000; ++it) {
      const LogEntry& e = *it;
      w.pos = e.rv;
      if (e.type_key != w.type.Key()) continue;
      bool now_matches = Matches(w, *e.object);
      bool was_matching = e.old != nullptr && Matches(w, *e.old);
      std::string type = e.event;
      if (e.event == "MODIFIED") {
        if (now_matches && !was_matching) type = "ADDED";
        if (!now_matches && was_matching) type = "DELETED";
        if (!now_matches && !was_matching) continue;
      } else if (!now_matches) {
        continue;
      }
      out->append(EventLine(w, type, *e.object));
      ++emitted;
    }
    if (it == log_.end()) w.pos = std::max(w.pos, rv_);
    if (emitted > 0) w.last_write = now;
    if (w.bookmarks && now >= w.next_bookmark) {
      out->append(BookmarkLine(w));
      w.next_bookmark = now + options_.bookmark_interval;
      w.last_write = now;
    }
    if (now >= w.deadline) {
      if (w.bookmarks) out->append(BookmarkLine(w));
      return true;
    }
    if (out->empty() && now - w.last_write >= absl::Seconds(1)) {
      // Whitespace between events is legal; it lets a write notice a client
      // that has gone away.
      out->append("\n");
      w.last_write = now;
    }
    return false;
  }

  std::string BookmarkLine(const WatchState& w) const {
    json obj = {{"kind", w.type.kind},
                {"apiVersion", w.type.GroupVersion()},
                {"metadata", {{"resourceVersion", std::to_string(w.pos)}}}};
    return json{{"type", "BOOKMARK"}, {"object", obj}}.dump() + "\n";
  }

  // ---- HTTP ---------------------------------------------------------------
  static void Send(httplib::Response& res, const Reply& r) {
    res.status = r.code;
    res.set_content(r.body.dump(), "application/json");
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    try {
      HandleUnsafe(req, res);
    } catch (const std::exception& e) {
      Send(res, Error(500, "InternalError",
                      absl::StrCat("internal error: ", e.what())));
    }
  }

  void HandleUnsafe(const httplib::Request& req, httplib::Response& res) {
    absl::Duration latency;
    {
      absl::MutexLock l(&mu_);
      ++requests_;
      latency = latency_;
    }
    if (latency > absl::ZeroDuration()) clock_->Sleep(latency);
    {
      absl::MutexLock l(&mu_);
      if (options_.tls && !tokens_.empty()) {
        std::string auth = req.get_header_value("Authorization");
        bool ok = false;
        for (const std::string& t : tokens_) ok |= (auth == "Bearer " + t);
        if (!ok) {
          Send(res, Error(401, "Unauthorized", "Unauthorized"));
          return;
        }
      }
      if (fail_count_ > 0 &&
          (fail_method_.empty() || req.method == fail_method_) &&
          absl::EndsWith(req.path, fail_path_suffix_)) {
        --fail_count_;
        Send(res,
             Error(fail_code_, ReasonForCode(fail_code_),
                   absl::StrCat("injected failure (HTTP ", fail_code_, ")")));
        return;
      }
    }
    std::vector<std::string> seg =
        absl::StrSplit(req.path, '/', absl::SkipEmpty());
    if (req.method == "GET") {
      if (seg.size() == 1 && seg[0] == "version") {
        Send(res, {200,
                   {{"major", "1"},
                    {"minor", "32"},
                    {"gitVersion", "v1.32.0-lb-apiserver"},
                    {"gitCommit", "0000000000000000000000000000000000000000"},
                    {"gitTreeState", "clean"},
                    {"buildDate", "2024-12-11T00:00:00Z"},
                    {"goVersion", "go1.23.0"},
                    {"compiler", "gc"},
                    {"platform", "linux/amd64"}}});
        return;
      }
      if (seg.size() == 1 && seg[0] == "api") {
        Send(res, {200, ApiVersions()});
        return;
      }
      absl::MutexLock l(&mu_);
      if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") {
        Send(res, {200, ResourceList("", "v1")});
        return;
      }
      if (seg.size() == 1 && seg[0] == "apis") {
        Send(res, {200, GroupList()});
        return;
      }
      if (seg.size() == 2 && seg[0] == "apis") {
        json g = GroupDoc(seg[1]);
        if (!g.is_null()) {
          g["kind"] = "APIGroup";
          g["apiVersion"] = "v1";
          Send(res, {200, g});
          return;
        }
      }
      if (seg.size() == 3 && seg[0] == "apis") {
        json r = ResourceList(seg[1], seg[2]);
        if (!r.is_null()) {
          Send(res, {200, r});
          return;
        }
      }
    }
    HandleResource(req, res, seg);
  }

  void HandleResource(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& seg) {
    std::string group, version;
    size_t i;
    if (seg.size() >= 3 && seg[0] == "api") {
      version = seg[1];
      i = 2;
    } else if (seg.size() >= 4 && seg[0] == "apis") {
      group = seg[1];
      version = seg[2];
      i = 3;
    } else {
      Send(res, Error(404, "NotFound",
                      "the server could not find the requested "
                      "resource"));
      return;
    }
    std::string ns, plural, name, sub;
    absl::ReleasableMutexLock l(&mu_);
    if (seg[i] == "namespaces" && seg.size() >= i + 3 &&
        FindTypeGV(group, version, seg[i + 2]) != nullptr &&
        FindTypeGV(group, version, seg[i + 2])->namespaced) {
      ns = seg[i + 1];
      i += 2;
    }
    plural = seg[i];
    if (seg.size() > i + 1) name = seg[i + 1];
    if (seg.size() > i + 2) sub = seg[i + 2];
    const ResourceType* tp = FindTypeGV(group, version, plural);
    if (tp == nullptr || seg.size() > i + 3 ||
        (!sub.empty() && (sub != "status" || !tp->has_status)) ||
        (!tp->namespaced && !ns.empty())) {
      Send(res, Error(404, "NotFound",
                      "the server could not find the requested resource"));
      return;
    }
    ResourceType t = *tp;
    std::string content_type = req.get_header_value("Content-Type");
    bool has_body =
        req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (has_body && absl::StrContains(content_type, "protobuf")) {
      Send(res, Error(415, "UnsupportedMediaType",
                      "the body of the request was in an unknown format - "
                      "accepted media types include: application/json"));
      return;
    }
    json body;
    if (!req.body.empty()) {
      if (absl::StartsWith(content_type, "application/apply-patch+yaml") &&
          (req.body[0] != '{')) {
        Send(res, Error(415, "UnsupportedMediaType",
                        "this server accepts apply patches in JSON form only"));
        return;
      }
      body = json::parse(req.body, nullptr, false);
      if (body.is_discarded()) {
        Send(res,
             Error(400, "BadRequest", "the request body is not valid JSON"));
        return;
      }
    } else if (has_body) {
      Send(res, Error(400, "BadRequest", "the request needs a body"));
      return;
    }
    if (req.method == "POST") {
      if (!name.empty()) {
        Send(res, Error(405, "MethodNotAllowed",
                        "the server does not allow this method on the "
                        "requested resource"));
        return;
      }
      if (t.namespaced && ns.empty()) {
        ns = Str(Field(body, "metadata", "namespace"));
        if (ns.empty()) ns = "default";
      }
      Send(res, CreateLocked(t, ns, std::move(body)));
      return;
    }
    if (req.method == "PUT" || req.method == "PATCH" ||
        req.method == "DELETE") {
      if (name.empty()) {
        Send(res, Error(405, "MethodNotAllowed",
                        "the server does not allow this method on the "
                        "requested resource"));
        return;
      }
      if (req.method == "PUT") {
        Send(res, UpdateLocked(t, ns, name, sub, std::move(body)));
      } else if (req.method == "PATCH") {
        Send(res, PatchLocked(t, ns, name, sub, content_type, body));
      } else {
        Send(res, DeleteLocked(t, ns, name, body));
      }
      return;
    }
    // GET
    bool table = absl::StrContains(req.get_header_value("Accept"), "as=Table");
    if (!name.empty()) {
      auto obj = Lookup(t, ns, name);
      if (obj == nullptr) {
        Send(res, NotFound(t, name));
        return;
      }
      if (table) {
        std::vector<const json*> one = {obj.get()};
        Send(res, {200, Table(t, one, rv_, true)});
      } else {
        Send(res, {200, *obj});
      }
      return;
    }
    auto w = std::make_shared<WatchState>();
    w->type = t;
    w->ns = ns;
    w->table = table;
    auto labels = LabelSelector::Parse(req.get_param_value("labelSelector"));
    auto fields = FieldSelector::Parse(req.get_param_value("fieldSelector"));
    if (!labels.ok() || !fields.ok()) {
      Send(res, Error(400, "BadRequest",
                      std::string(!labels.ok() ? labels.status().message()
                                               : fields.status().message())));
      return;
    }
    w->labels = *labels;
    w->fields = *fields;
    std::string watch = req.get_param_value("watch");
    if (watch != "true" && watch != "1") {
      auto objs = ListLocked(*w);
      if (table) {
        std::vector<const json*> ptrs;
        for (const auto& o : objs) ptrs.push_back(o.get());
        Send(res, {200, Table(t, ptrs, rv_, true)});
        return;
      }
      json list = {{"apiVersion", t.GroupVersion()},
                   {"kind", t.list_kind},
                   {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                   {"items", json::array()}};
      for (const auto& o : objs) list["items"].push_back(*o);
      Send(res, {200, std::move(list)});
      return;
    }
    // Watch.
    std::string rv = req.get_param_value("resourceVersion");
    bool initial = req.get_param_value("sendInitialEvents") == "true";
    w->bookmarks = req.get_param_value("allowWatchBookmarks") == "true" ||
                   req.get_param_value("allowWatchBookmarks") == "1";
    absl::Time now = clock_->Now();
    w->last_write = now;
    int64_t timeout = 0;
    if (!req.get_param_value("timeoutSeconds").empty() &&
        absl::SimpleAtoi(req.get_param_value("timeoutSeconds"), &timeout) &&
        timeout > 0) {
      w->deadline = now + absl::Seconds(timeout);
    }
    if (w->bookmarks) w->next_bookmark = now + options_.bookmark_interval;
    w->drop_generation = drop_generation_;
    if (rv.empty() || rv == "0" || initial) {
      if (!rv.empty() && rv != "0" && initial) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(rv, &n)) n = 0;
        (void)n;
      }
      for (const auto& o : ListLocked(*w)) {
        w->pending.push_back(EventLine(*w, "ADDED", *o));
      }
      w->pos = rv_;
      if (initial) {
        json obj = {
            {"kind", t.kind},
            {"apiVersion", t.GroupVersion()},
            {"metadata",
             {{"resourceVersion", std::to_string(rv_)},
              {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
        w->pending.push_back(
            json{{"type", "BOOKMARK"}, {"object", obj}}.dump() + "\n");
      }
    } else if (!absl::SimpleAtoi(rv, &w->pos) || w->pos < 0) {
      Send(res, Error(400, "BadRequest",
                      absl::StrCat("invalid resourceVersion \"", rv, "\"")));
      return;
    }
    ++open_watches_;
    l.Release();
    res.status = 200;
    // The `;stream=watch` parameter also keeps cpp-httplib from compressing
    // (and so buffering) the stream.
    res.set_chunked_content_provider(
        "application/json;stream=watch",
        [this, w](size_t, httplib::DataSink& sink) {
          std::string out;
          bool done;
          try {
            done = NextWatchChunk(*w, &out);
          } catch (const std::exception&) {
            done = true;
          }
          if (!out.empty() && !sink.write(out.data(), out.size())) {
            return false;
          }
          if (done) sink.done();
          return true;
        },
        [this](bool) {
          absl::MutexLock l(&mu_);
          --open_watches_;
        });
  }

  ApiServerOptions options_;
  Clock* clock_;
  internal::SelfSignedCert cert_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::map<std::string, ResourceType> types_ ABSL_GUARDED_BY(mu_);
  // type key -> object key ("ns/name" or "name") -> object
  absl::flat_hash_map<std::string,
                      std::map<std::string, std::shared_ptr<const json>>>
      objects_ ABSL_GUARDED_BY(mu_);
  std::deque<LogEntry> log_ ABSL_GUARDED_BY(mu_);
  int64_t rv_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t compacted_rv_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t uid_counter_ ABSL_GUARDED_BY(mu_) = 0;
  int cluster_ip_counter_ ABSL_GUARDED_BY(mu_) = 9;
  int next_node_port_ ABSL_GUARDED_BY(mu_) = 30000;
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
  uint64_t drop_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_count_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 500;
  std::string fail_method_ ABSL_GUARDED_BY(mu_);
  std::string fail_path_suffix_ ABSL_GUARDED_BY(mu_);
  absl::Duration latency_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int open_watches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(
    ApiServerOptions options) {
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("ApiServerOptions.clock is required");
  }
  if (options.threads < 4) {
    return absl::InvalidArgumentError("ApiServerOptions.threads must be >= 4");
  }
  signal(SIGPIPE, SIG_IGN);
  auto impl = std::make_unique<Impl>(std::move(options));
  absl::Status s = impl->Serve();
  if (!s.ok()) return s;
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl)));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ApiServer::~ApiServer() = default;
std::string ApiServer::url() const { return impl_->url(); }
int ApiServer::port() const { return impl_->port(); }
std::string ApiServer::ca_pem() const { return impl_->ca_pem(); }
std::string ApiServer::Kubeconfig(const std::string& token) const {
  return impl_->Kubeconfig(token);
}
absl::Status ApiServer::WriteKubeconfig(const std::string& path,
                                        const std::string& token) const {
  std::ofstream out(path, std::ios::trunc);
  out << impl_->Kubeconfig(token);
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}
int64_t ApiServer::resource_version() const {
  return impl_->resource_version();
}
int ApiServer::open_watches() const { return impl_->open_watches(); }
int64_t ApiServer::request_count() const { return impl_->request_count(); }
absl::StatusOr<nlohmann::json> ApiServer::GetObject(
    const std::string& group, const std::string& plural, const std::string& ns,
    const std::string& name) const {
  return impl_->GetObject(group, plural, ns, name);
}
void ApiServer::DropWatches() { impl_->DropWatches(); }
void ApiServer::FailNextRequests(int n, int http_code, std::string method,
                                 std::string path_suffix) {
  impl_->FailNextRequests(n, http_code, std::move(method),
                          std::move(path_suffix));
}
void ApiServer::SetLatency(absl::Duration latency) {
  impl_->SetLatency(latency);
}
void ApiServer::CompactHistory() { impl_->CompactHistory(); }
void ApiServer::SetTokens(std::vector<std::string> tokens) {
  impl_->SetTokens(std::move(tokens));
}
void ApiServer::Stop() { impl_->Stop(); }
absl::Status ApiServer::Restart() { return impl_->Serve(); }

}  // namespace lb::k8s::testing

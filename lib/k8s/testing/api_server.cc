#include "lib/k8s/testing/api_server.h"

#include <httplib.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/content_negotiation.h"
#include "lib/k8s/testing/discovery.h"
#include "lib/k8s/testing/field_validation.h"
#include "lib/k8s/testing/internal/fields.h"
#include "lib/k8s/testing/internal/tls.h"
#include "lib/k8s/testing/list_options.h"
#include "lib/k8s/testing/object_store.h"
#include "lib/k8s/testing/openapi.h"
#include "lib/k8s/testing/protobuf_codec.h"
#include "lib/k8s/testing/rbac.h"
#include "lib/k8s/testing/request_info.h"
#include "lib/k8s/testing/resource_type.h"
#include "lib/k8s/testing/service_account_token.h"
#include "lib/k8s/testing/tables.h"
#include "lib/k8s/testing/user_info.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Str;

struct WatchState {
  ResourceType type;
  Selection selection;
  bool table = false;
  bool columns_sent = false;
  bool bookmarks = false;
  int64_t pos = 0;
  std::deque<std::string> pending;
  MonoTime deadline = MonoTime::InfiniteFuture();
  MonoTime next_bookmark = MonoTime::InfiniteFuture();
  MonoTime last_write;
  uint64_t drop_generation = 0;
  // The stream ends once `pending` is sent.
  bool finished = false;
};

// cpp-httplib's task queue with threads started on demand: a request waits
// for a thread only when `max_threads` are busy, so open watches (each holding
// one) do not starve other requests.
class ElasticTaskQueue : public httplib::TaskQueue {
 public:
  explicit ElasticTaskQueue(size_t max_threads) : max_threads_(max_threads) {}
  ~ElasticTaskQueue() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    absl::MutexLock l(&mu_);
    if (shutdown_) return;
    queue_.push_back(std::move(fn));
    if (queue_.size() > idle_ && threads_.size() < max_threads_) {
      threads_.emplace_back([this] { Work(); });
    }
  }

  void shutdown() override {
    std::vector<std::thread> threads;
    {
      absl::MutexLock l(&mu_);
      shutdown_ = true;
      threads.swap(threads_);
    }
    for (std::thread& t : threads) t.join();
  }

 private:
  void Work() {
    absl::MutexLock l(&mu_);
    while (true) {
      ++idle_;
      mu_.Await(absl::Condition(
          +[](ElasticTaskQueue* q) ABSL_EXCLUSIVE_LOCKS_REQUIRED(q->mu_) {
            return q->shutdown_ || !q->queue_.empty();
          },
          this));
      --idle_;
      if (queue_.empty()) return;  // shut down
      std::function<void()> fn = std::move(queue_.front());
      queue_.pop_front();
      mu_.Unlock();
      fn();
      mu_.Lock();
    }
  }

  const size_t max_threads_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  size_t idle_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

// The list and watch parameters of a GET on a collection; false (with a 400
// in `*error`) for a limit that is not a number.
bool ListQueryOf(const httplib::Request& req, bool watch, ListQuery* q,
                 ApiResult* error) {
  q->watch = watch;
  q->resource_version = req.get_param_value("resourceVersion");
  q->resource_version_match = req.get_param_value("resourceVersionMatch");
  if (req.has_param("sendInitialEvents")) {
    const std::string v = req.get_param_value("sendInitialEvents");
    q->send_initial_events = v == "true" || v == "1";
  }
  q->continue_token = req.get_param_value("continue");
  const std::string limit = req.get_param_value("limit");
  if (!limit.empty() && !absl::SimpleAtoi(limit, &q->limit)) {
    *error = ApiError(400, "BadRequest",
                      absl::StrCat("limit: invalid value \"", limit, "\""));
    return false;
  }
  return true;
}

// The write options of a request: `dryRun` from the query (each value "All")
// or, for DELETE, from its DeleteOptions body; `fieldValidation`,
// `fieldManager` and `force` (Go's true spellings) from the query, and the
// User-Agent. A 422 naming the options kind
// (CreateOptions, UpdateOptions, PatchOptions, DeleteOptions) for any other
// value, as kube-apiserver answers.
// The options kind a write's query parameters are, as errors name it.
const char* OptionsKind(const std::string& method) {
  return method == "POST"    ? "CreateOptions"
         : method == "PUT"   ? "UpdateOptions"
         : method == "PATCH" ? "PatchOptions"
                             : "DeleteOptions";
}

ApiResult WriteOptionsOf(const httplib::Request& req, const json& body,
                         WriteOptions* out) {
  std::vector<std::string> values;
  const size_t n = req.get_param_value_count("dryRun");
  for (size_t i = 0; i < n; ++i) {
    values.push_back(req.get_param_value("dryRun", i));
  }
  if (req.method == "DELETE" && body.is_object() && body.contains("dryRun")) {
    const json& d = body["dryRun"];
    if (!d.is_array()) {
      return ApiError(400, "BadRequest",
                      "DeleteOptions.dryRun must be a list of strings");
    }
    for (const json& v : d) {
      values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  for (const std::string& v : values) {
    if (v == "All") continue;
    const char* kind = OptionsKind(req.method);
    return ApiError(
        422, "Invalid",
        absl::StrCat(kind,
                     ".meta.k8s.io \"\" is invalid: dryRun: Unsupported "
                     "value: \"",
                     v, "\": supported values: \"All\""));
  }
  out->dry_run = !values.empty();
  const std::string directive = req.get_param_value("fieldValidation");
  absl::StatusOr<FieldValidation> v = ParseFieldValidation(directive);
  if (!v.ok()) {
    const char* kind = OptionsKind(req.method);
    return ApiError(422, "Invalid",
                    absl::StrCat(kind, ".meta.k8s.io \"\" is invalid: ",
                                 v.status().message()));
  }
  out->field_validation = *v;
  out->field_manager = req.get_param_value("fieldManager");
  out->user_agent = req.get_header_value("User-Agent");
  if (req.has_param("force")) {
    const std::string force = req.get_param_value("force");
    out->force = force == "true" || force == "True" || force == "TRUE" ||
                 force == "t" || force == "T" || force == "1";
  }
  if (*v != FieldValidation::kIgnore && req.method != "DELETE") {
    out->duplicate_fields = DuplicateFields(req.body);
  }
  return {200, json()};
}

// The DeleteOptions of a DELETE: its body or, when it has none, the
// query's propagationPolicy, as kube-apiserver reads them.
json DeleteOptionsOf(const httplib::Request& req, json body) {
  if (!req.body.empty() || !req.has_param("propagationPolicy")) return body;
  return {{"propagationPolicy", req.get_param_value("propagationPolicy")}};
}

// The patch a PATCH request's Content-Type names; InvalidArgument (a 415 for
// the caller) for any other.
absl::StatusOr<PatchType> PatchTypeOf(const std::string& content_type) {
  if (absl::StartsWith(content_type, "application/json-patch+json")) {
    return PatchType::kJson;
  }
  if (absl::StartsWith(content_type, "application/merge-patch+json")) {
    return PatchType::kMerge;
  }
  if (absl::StartsWith(content_type,
                       "application/strategic-merge-patch+json")) {
    return PatchType::kStrategicMerge;
  }
  if (absl::StartsWith(content_type, "application/apply-patch")) {
    return PatchType::kApply;
  }
  return absl::InvalidArgumentError(
      "the body of the request was in an unknown format - accepted media "
      "types include: application/json-patch+json, "
      "application/merge-patch+json, application/apply-patch+yaml, "
      "application/strategic-merge-patch+json");
}

}  // namespace

class ApiServer::Impl {
 public:
  explicit Impl(ApiServerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock),
        store_(ObjectStoreOptions{options_.history_limit, /*seed=*/0,
                                  options_.host},
               clock_->Now()) {
    tokens_ = options_.tokens;
    // The roles and bindings every cluster starts with.
    for (const json& obj : BootstrapRbacObjects()) {
      const std::string kind = Str(Field(obj, "kind"));
      const ResourceType* t = store_.FindType(
          "rbac.authorization.k8s.io",
          kind == "ClusterRole" ? "clusterroles" : "clusterrolebindings");
      if (t != nullptr) store_.Create(*t, "", obj, clock_->Now());
    }
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
      return new ElasticTaskQueue(static_cast<size_t>(threads));
    };
    // cpp-httplib listens with a backlog of 5, which hundreds of clients
    // connecting at once overflow (each dropped SYN costs the client a
    // second); the listening socket is captured so it listens with
    // somaxconn's backlog instead, as Go's servers do.
    auto listen_fd = std::make_shared<int>(-1);
    server->set_socket_options([listen_fd](socket_t sock) {
      httplib::default_socket_options(sock);
      *listen_fd = sock;
    });
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
    if (*listen_fd >= 0) ::listen(*listen_fd, SOMAXCONN);
    {
      absl::MutexLock l(&mu_);
      stopping_ = false;
    }
    server_ = std::move(server);
    httplib::Server* raw = server_.get();
    thread_ = std::thread([raw] { raw->listen_after_bind(); });
    if (options_.collect_delay != absl::InfiniteDuration()) {
      collector_ = std::thread([this] { CollectUntilStopped(); });
    }
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
    if (collector_.joinable()) collector_.join();
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
    return store_.resource_version();
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
    const ResourceType* t = store_.FindType(group, plural);
    if (t == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown resource ", plural, ".", group));
    }
    ObjectRef obj = store_.Get(*t, ns, name);
    if (obj == nullptr) {
      return absl::NotFoundError(
          absl::StrCat(t->Qualified(), " \"", name, "\" not found"));
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
    store_.CompactHistory();
  }
  void SetTokens(std::vector<std::string> tokens) {
    absl::MutexLock l(&mu_);
    tokens_ = std::move(tokens);
  }

 private:
  // The collector thread: runs ObjectStore::Collect() as
  // ApiServerOptions::collect_delay says, until Stop().
  void CollectUntilStopped() {
    const absl::Duration delay =
        std::max(options_.collect_delay, absl::ZeroDuration());
    absl::MutexLock l(&mu_);
    auto stopping = [this] {
      mu_.AssertHeld();
      return stopping_;
    };
    auto changed = [this] {
      mu_.AssertHeld();
      return stopping_ || store_.resource_version() != collected_rv_;
    };
    while (true) {
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&changed),
                                MonoTime::InfiniteFuture());
      if (stopping_) return;
      const MonoTime first = clock_->Monotonic();
      while (true) {
        const MonoTime due =
            std::min(std::max(first, last_delete_) + delay, first + 5 * delay);
        if (clock_->Monotonic() >= due) break;
        clock_->AwaitWithDeadline(&mu_, absl::Condition(&stopping), due);
        if (stopping_) return;
      }
      const int64_t before = store_.resource_version();
      // A pass that changed something may have made more work (dependents of
      // what it deleted): the next looks again.
      collected_rv_ =
          store_.Collect(clock_->Now()) ? before : store_.resource_version();
    }
  }

  std::string EventLine(WatchState& w, const std::string& type,
                        const json& obj) const {
    json event = {{"type", type}};
    if (w.table && type != "BOOKMARK" && type != "ERROR") {
      std::vector<const json*> one = {&obj};
      event["object"] = Table(w.type, one, 0, !w.columns_sent, clock_->Now());
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
      return w.finished;
    }
    auto stream_over = [&] {
      mu_.AssertHeld();
      return stopping_ || drop_generation_ != w.drop_generation;
    };
    auto has_news = [&] {
      mu_.AssertHeld();
      return store_.resource_version() > w.pos || stream_over();
    };
    MonoTime now = clock_->Monotonic();
    if (!has_news()) {
      MonoTime until = std::min(
          {now + absl::Milliseconds(200), w.deadline, w.next_bookmark});
      clock_->AwaitWithDeadline(&mu_, absl::Condition(&has_news), until);
      now = clock_->Monotonic();
    }
    if (stream_over()) return true;
    // Events after w.pos, in order; a compacted past ends the stream.
    std::vector<StoredEvent> events;
    ApiResult read =
        store_.ReadHistory(w.type, w.selection, &w.pos, 1000, &events);
    if (!read.ok()) {
      out->append(json{{"type", "ERROR"}, {"object", read.body}}.dump() + "\n");
      return true;
    }
    const size_t emitted = events.size();
    for (const StoredEvent& e : events) {
      out->append(EventLine(w, e.type, *e.object));
    }
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
  // Adds a `Warning: 299 - "..."` header (RFC 7234's warn-text is a quoted
  // string).
  static void Warn(httplib::Response& res, const std::string& w) {
    res.set_header(
        "Warning",
        absl::StrCat("299 - \"",
                     absl::StrReplaceAll(w, {{"\\", "\\\\"}, {"\"", "\\\""}}),
                     "\""));
  }

  static void Send(httplib::Response& res, const ApiResult& r) {
    res.status = r.code;
    for (const std::string& w : r.warnings) Warn(res, w);
    res.set_content(r.body.dump(), "application/json");
  }

  // GET /openapi/v2, /openapi/v3 and /openapi/v3/{api/v1,apis/G/V}. The v2
  // document is served as JSON only: a client that accepts nothing but
  // protobuf gets 406.
  void ServeOpenApi(const httplib::Request& req,
                    const std::vector<std::string>& seg, httplib::Response& res)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    const std::string accept = req.get_header_value("Accept");
    if (seg.size() == 2 && seg[1] == "v2") {
      if (!accept.empty() && !absl::StrContains(accept, "json") &&
          !absl::StrContains(accept, "*/*")) {
        Send(res, ApiError(406, "NotAcceptable",
                           "only the following media types are accepted: "
                           "application/json"));
        return;
      }
      Send(res, {200, OpenApiV2Document(store_.types())});
      return;
    }
    if (seg.size() == 2 && seg[1] == "v3") {
      Send(res, {200, OpenApiV3Index(store_.types())});
      return;
    }
    if (seg.size() >= 4 && seg[1] == "v3") {
      std::vector<std::string> rest(seg.begin() + 2, seg.end());
      json doc = OpenApiV3Document(store_.types(), absl::StrJoin(rest, "/"));
      if (!doc.is_null()) {
        Send(res, {200, std::move(doc)});
        return;
      }
    }
    Send(res, ApiError(404, "NotFound",
                       "the server could not find the requested resource"));
  }

  // GET /healthz, /livez, /readyz and their per-check paths (e.g.
  // /readyz/etcd): "ok", or with ?verbose one "[+]check ok" line per check,
  // as kube-apiserver answers. False for any other path.
  static bool ServeHealth(const httplib::Request& req, httplib::Response& res) {
    std::vector<std::string> seg =
        absl::StrSplit(req.path, '/', absl::SkipEmpty());
    if (seg.empty() || seg.size() > 2) return false;
    const std::string& endpoint = seg[0];
    std::vector<std::string> checks = {"ping", "log", "etcd"};
    if (endpoint == "readyz") {
      checks.push_back("informer-sync");
      checks.push_back("shutdown");
    } else if (endpoint != "livez" && endpoint != "healthz") {
      return false;
    }
    if (seg.size() == 2) {
      if (std::find(checks.begin(), checks.end(), seg[1]) == checks.end()) {
        res.status = 404;
        res.set_content("404 page not found\n", "text/plain; charset=utf-8");
        return true;
      }
      checks = {seg[1]};
    }
    res.status = 200;
    if (!req.has_param("verbose")) {
      res.set_content("ok", "text/plain; charset=utf-8");
      return true;
    }
    std::string body;
    for (const std::string& c : checks)
      absl::StrAppend(&body, "[+]", c, " ok\n");
    absl::StrAppend(&body, seg.size() == 2 ? seg[1] : endpoint,
                    " check passed\n");
    res.set_content(body, "text/plain; charset=utf-8");
    return true;
  }

  void Handle(const httplib::Request& req, httplib::Response& res) {
    AuditEvent audit;
    try {
      HandleUnsafe(req, res, &audit);
    } catch (const std::exception& e) {
      Send(res, ApiError(500, "InternalError",
                         absl::StrCat("internal error: ", e.what())));
    }
    if (options_.on_request && !audit.verb.empty()) {
      audit.code = res.status;
      options_.on_request(audit);
    }
  }

  // Serves `req`; fills `*audit` once the caller is known (left empty for
  // health checks).
  void HandleUnsafe(const httplib::Request& req, httplib::Response& res,
                    AuditEvent* audit) {
    absl::Duration latency;
    {
      absl::MutexLock l(&mu_);
      ++requests_;
      latency = latency_;
    }
    if (latency > absl::ZeroDuration()) clock_->Sleep(latency);
    // Health needs no credentials: kube-apiserver grants it to anonymous
    // callers (system:public-info-viewer).
    if (req.method == "GET" && ServeHealth(req, res)) return;
    UserInfo user;
    {
      absl::MutexLock l(&mu_);
      std::optional<UserInfo> who = Authenticate(req);
      if (!who.has_value()) {
        Send(res, ApiError(401, "Unauthorized", "Unauthorized"));
        return;
      }
      user = *std::move(who);
      std::map<std::string, std::string> query;
      for (const auto& [k, v] : req.params) query.emplace(k, v);
      RequestAttributes attrs = RequestInfoOf(req.method, req.path, query);
      audit->user = user.name;
      audit->groups = user.groups;
      audit->resource_request = attrs.resource_request;
      audit->verb = attrs.verb;
      audit->api_group = attrs.api_group;
      audit->resource = attrs.resource;
      audit->subresource = attrs.subresource;
      audit->ns = attrs.ns;
      audit->name = attrs.name;
      audit->path = attrs.path;
      if (!IsPrivileged(user)) {
        Decision d = Decide(store_, user, attrs);
        if (!d.allowed) {
          Send(res, Forbidden(user, attrs, d.reason));
          return;
        }
      }
      if (fail_count_ > 0 &&
          (fail_method_.empty() || req.method == fail_method_) &&
          absl::EndsWith(req.path, fail_path_suffix_)) {
        --fail_count_;
        Send(res, ApiError(fail_code_, ReasonForCode(fail_code_),
                           absl::StrCat("injected failure (HTTP ", fail_code_,
                                        ")")));
        return;
      }
    }
    std::vector<std::string> seg =
        absl::StrSplit(req.path, '/', absl::SkipEmpty());
    if (req.method == "GET") {
      if (seg.size() == 1 && seg[0] == "version") {
        Send(res, {200, VersionInfo()});
        return;
      }
      if (seg.size() == 1 && seg[0] == "api") {
        Send(res, {200, ApiVersions(
                            absl::StrCat(options_.host, ":", options_.port))});
        return;
      }
      absl::MutexLock l(&mu_);
      if (!seg.empty() && seg[0] == "openapi") {
        ServeOpenApi(req, seg, res);
        return;
      }
      if (seg.size() == 2 && seg[0] == "api" && seg[1] == "v1") {
        Send(res, {200, ResourceList(store_.types(), "", "v1")});
        return;
      }
      if (seg.size() == 1 && seg[0] == "apis") {
        Send(res, {200, GroupList(store_.types())});
        return;
      }
      if (seg.size() == 2 && seg[0] == "apis") {
        json g = GroupDoc(store_.types(), seg[1]);
        if (!g.is_null()) {
          g["kind"] = "APIGroup";
          g["apiVersion"] = "v1";
          Send(res, {200, g});
          return;
        }
      }
      if (seg.size() == 3 && seg[0] == "apis") {
        json r = ResourceList(store_.types(), seg[1], seg[2]);
        if (!r.is_null()) {
          Send(res, {200, r});
          return;
        }
      }
    }
    if (req.method == "POST" && ServeReview(req, user, res)) return;
    HandleResource(req, res, seg);
  }

  // Who a request is from: the holder of one of `tokens_` is the cluster's
  // admin (system:masters), a service-account token this server issued for
  // a ServiceAccount that still exists is that account, a request without
  // credentials is system:anonymous; nullopt (401) for a bearer token that
  // is none of these. With no tokens configured, or over plain HTTP, every
  // request is the admin's: the anonymous-admin mode of unit tests.
  std::optional<UserInfo> Authenticate(const httplib::Request& req)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    UserInfo admin;
    admin.name = "kubernetes-admin";
    admin.groups = {kSystemPrivilegedGroup, kAllAuthenticated};
    if (!options_.tls || tokens_.empty()) return admin;
    const std::string auth = req.get_header_value("Authorization");
    if (auth.empty()) return AnonymousUser();
    absl::string_view token = auth;
    if (!absl::ConsumePrefix(&token, "Bearer ")) return std::nullopt;
    for (const std::string& t : tokens_) {
      if (token == t) return admin;
    }
    std::optional<UserInfo> sa = issuer_.Verify(
        std::string(token), clock_->Now(), {kServiceAccountTokenIssuer});
    if (!sa.has_value()) return std::nullopt;
    // The account must still exist, with the uid the token names.
    std::vector<std::string> parts = absl::StrSplit(sa->name, ':');
    const ResourceType* accounts = store_.FindType("", "serviceaccounts");
    ObjectRef stored = parts.size() == 4 && accounts != nullptr
                           ? store_.Get(*accounts, parts[2], parts[3])
                           : nullptr;
    if (stored == nullptr ||
        Str(Field(*stored, "metadata", "uid")) != sa->uid) {
      return std::nullopt;
    }
    return sa;
  }

  static bool IsPrivileged(const UserInfo& user) {
    return std::find(user.groups.begin(), user.groups.end(),
                     kSystemPrivilegedGroup) != user.groups.end();
  }

  // POST of a SelfSubjectAccessReview (`kubectl auth can-i`) or a
  // SelfSubjectReview (`kubectl auth whoami`), answered for `user`; false
  // for any other request.
  bool ServeReview(const httplib::Request& req, const UserInfo& user,
                   httplib::Response& res) {
    const bool access =
        req.path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    const bool self =
        req.path == "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    if (!access && !self) return false;
    const char* kind = access ? "SelfSubjectAccessReview" : "SelfSubjectReview";
    ResponseFormat format;
    if (ApiResult n = NegotiateResponse(req.get_header_value("Accept"),
                                        /*protobuf_models=*/true,
                                        /*watch=*/false, &format);
        !n.ok()) {
      Send(res, n);
      return true;
    }
    absl::Cleanup encode_response = [&res, &format] {
      if (!format.protobuf) return;
      EncodedResponse out =
          EncodeResponse(format, res.status, std::move(res.body));
      res.status = out.code;
      res.set_content(out.body, out.content_type);
    };
    json body;
    if (MediaTypeOf(req.get_header_value("Content-Type")) ==
        kProtobufMediaType) {
      if (ApiResult d = DecodeProtobufBody(req.body, kind, &body); !d.ok()) {
        Send(res, d);
        return true;
      }
    } else {
      body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded()) {
        Send(res,
             ApiError(400, "BadRequest", "the request body is not valid JSON"));
        return true;
      }
    }
    absl::MutexLock l(&mu_);
    if (access) {
      Send(res, ReviewAccess(store_, user, body));
    } else {
      Send(res, {201, ReviewSelf(user, body, clock_->Now())});
    }
    return true;
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
      Send(res, ApiError(404, "NotFound",
                         "the server could not find the requested "
                         "resource"));
      return;
    }
    std::string ns, plural, name, sub;
    absl::ReleasableMutexLock l(&mu_);
    if (seg[i] == "namespaces" && seg.size() >= i + 3 &&
        store_.FindType(group, version, seg[i + 2]) != nullptr &&
        store_.FindType(group, version, seg[i + 2])->namespaced) {
      ns = seg[i + 1];
      i += 2;
    }
    plural = seg[i];
    if (seg.size() > i + 1) name = seg[i + 1];
    if (seg.size() > i + 2) sub = seg[i + 2];
    const ResourceType* tp = store_.FindType(group, version, plural);
    if (tp == nullptr || seg.size() > i + 3 ||
        (!sub.empty() && !(sub == "status" && tp->has_status) &&
         !(sub == "token" && tp->group.empty() &&
           tp->plural == "serviceaccounts" && req.method == "POST")) ||
        (!tp->namespaced && !ns.empty())) {
      Send(res, ApiError(404, "NotFound",
                         "the server could not find the requested resource"));
      return;
    }
    ResourceType t = *tp;
    const std::string watch_param = req.get_param_value("watch");
    // Reads of a deprecated kind warn; a verb the kind does not serve is
    // refused (405) before anything else is looked at.
    if (req.method == "GET" && !t.deprecated_in.empty()) {
      Warn(res, t.DeprecationWarning());
    }
    const bool watch = watch_param == "true" || watch_param == "1";
    const char* verb = req.method == "POST"     ? "create"
                       : req.method == "PUT"    ? "update"
                       : req.method == "PATCH"  ? "patch"
                       : req.method == "DELETE" ? "delete"
                       : !name.empty()          ? "get"
                       : watch                  ? "watch"
                                                : "list";
    if (!t.Serves(verb)) {
      Send(res, ApiError(405, "MethodNotAllowed",
                         std::string(verb) == "watch"
                             ? absl::StrCat("watch is not supported on "
                                            "resources of kind \"",
                                            t.Qualified(), "\"")
                             : "the server does not allow this method on the "
                               "requested resource"));
      return;
    }
    // The response's media type is settled before anything is done, as
    // kube-apiserver does; the JSON answer is re-encoded on the way out.
    ResponseFormat format;
    if (ApiResult n = NegotiateResponse(
            req.get_header_value("Accept"),
            sub == "token"
                ? ProtobufModels("authentication.k8s.io/v1", "TokenRequest")
                : ProtobufModels(t.GroupVersion(), t.kind),
            req.method == "GET" && name.empty() &&
                (watch_param == "true" || watch_param == "1"),
            &format);
        !n.ok()) {
      Send(res, n);
      return;
    }
    absl::Cleanup encode_response = [&res, &format] {
      if (!format.protobuf ||
          res.get_header_value("Content-Type") != "application/json") {
        return;
      }
      EncodedResponse out =
          EncodeResponse(format, res.status, std::move(res.body));
      res.status = out.code;
      res.set_content(out.body, out.content_type);
    };
    std::string content_type = req.get_header_value("Content-Type");
    bool has_body =
        req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    json body;
    if (!req.body.empty() && MediaTypeOf(content_type) == kProtobufMediaType) {
      // No patch type is protobuf; other bodies decode to the JSON form.
      ApiResult d =
          req.method == "PATCH"
              ? ApiError(
                    415, "UnsupportedMediaType",
                    std::string(PatchTypeOf(content_type).status().message()))
              : DecodeProtobufBody(req.body,
                                   req.method == "DELETE" ? "DeleteOptions"
                                   : sub == "token"       ? "TokenRequest"
                                                          : t.kind,
                                   &body);
      if (!d.ok()) {
        Send(res, d);
        return;
      }
    } else if (has_body && absl::StrContains(content_type, "protobuf")) {
      Send(res, ApiError(415, "UnsupportedMediaType",
                         "the body of the request was in an unknown format - "
                         "accepted media types include: application/json, "
                         "application/vnd.kubernetes.protobuf"));
      return;
    } else if (!req.body.empty()) {
      if (absl::StartsWith(content_type, "application/apply-patch+yaml") &&
          (req.body[0] != '{')) {
        Send(res,
             ApiError(415, "UnsupportedMediaType",
                      "this server accepts apply patches in JSON form only"));
        return;
      }
      body = json::parse(req.body, nullptr, false);
      if (body.is_discarded()) {
        Send(res,
             ApiError(400, "BadRequest", "the request body is not valid JSON"));
        return;
      }
    } else if (has_body) {
      Send(res, ApiError(400, "BadRequest", "the request needs a body"));
      return;
    }
    WriteOptions write;
    if (ApiResult w = WriteOptionsOf(req, body, &write); w.code != 200) {
      Send(res, w);
      return;
    }
    if (sub == "token") {
      // TokenRequest: a bound token for the ServiceAccount, signed by this
      // server (`kubectl create token`).
      ObjectRef account = store_.Get(t, ns, name);
      if (account == nullptr) {
        Send(res,
             ApiError(404, "NotFound",
                      absl::StrCat("serviceaccounts \"", name, "\" not found"),
                      {{"name", name}, {"kind", "serviceaccounts"}}));
        return;
      }
      json bound;
      const json& ref = Field(body, "spec", "boundObjectRef");
      if (ref.is_object()) {
        const std::string kind = Str(Field(ref, "kind"));
        const ResourceType* bt =
            store_.FindType("", kind == "Pod"      ? "pods"
                                : kind == "Secret" ? "secrets"
                                                   : "nodes");
        ObjectRef obj = bt == nullptr
                            ? nullptr
                            : store_.Get(*bt, ns, Str(Field(ref, "name")));
        if (obj != nullptr) bound = *obj;
      }
      Send(res,
           AnswerTokenRequest(issuer_, *account, body, clock_->Now(), bound));
      return;
    }
    if (req.method == "POST") {
      if (!name.empty()) {
        Send(res, ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the "
                           "requested resource"));
        return;
      }
      if (t.namespaced && ns.empty()) {
        ns = Str(Field(body, "metadata", "namespace"));
        if (ns.empty()) ns = "default";
      }
      Send(res, store_.Create(t, ns, std::move(body), clock_->Now(), write));
      return;
    }
    if (req.method == "PUT" || req.method == "PATCH" ||
        req.method == "DELETE") {
      if (name.empty()) {
        Send(res, ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the "
                           "requested resource"));
        return;
      }
      if (req.method == "PUT") {
        Send(res, store_.Update(t, ns, name, sub == "status", std::move(body),
                                clock_->Now(), write));
      } else if (req.method == "PATCH") {
        absl::StatusOr<PatchType> type = PatchTypeOf(content_type);
        if (!type.ok()) {
          Send(res, ApiError(415, "UnsupportedMediaType",
                             std::string(type.status().message())));
          return;
        }
        Send(res, store_.Patch(t, ns, name, sub == "status", *type, body,
                               clock_->Now(), write));
      } else {
        last_delete_ = clock_->Monotonic();
        Send(res,
             store_.Delete(t, ns, name, DeleteOptionsOf(req, std::move(body)),
                           clock_->Now(), write));
      }
      return;
    }
    // GET
    bool table = format.table;
    if (!name.empty()) {
      ObjectRef obj = store_.Get(t, ns, name);
      if (obj == nullptr) {
        Send(
            res,
            ApiError(404, "NotFound",
                     absl::StrCat(t.Qualified(), " \"", name, "\" not found"),
                     {{"name", name}, {"group", t.group}, {"kind", t.plural}}));
        return;
      }
      if (table) {
        std::vector<const json*> one = {obj.get()};
        Send(res, {200, Table(t, one, store_.resource_version(), true,
                              clock_->Now())});
      } else {
        Send(res, {200, *obj});
      }
      return;
    }
    ListQuery query;
    if (ApiResult e; !ListQueryOf(req, watch, &query, &e)) {
      Send(res, e);
      return;
    }
    if (ApiResult v = ValidateListQuery(query); !v.ok()) {
      Send(res, v);
      return;
    }
    auto w = std::make_shared<WatchState>();
    w->type = t;
    w->table = table;
    absl::StatusOr<Selection> selection =
        Selection::Parse(ns, req.get_param_value("labelSelector"),
                         req.get_param_value("fieldSelector"));
    if (!selection.ok()) {
      Send(res, ApiError(400, "BadRequest",
                         std::string(selection.status().message())));
      return;
    }
    if (ApiResult f = CheckFieldSelector(t, selection->fields); !f.ok()) {
      Send(res, f);
      return;
    }
    w->selection = *std::move(selection);
    // A version the store has not reached yet is waited for, a while.
    int64_t requested = 0;
    if (absl::SimpleAtoi(query.resource_version, &requested) &&
        requested > store_.resource_version()) {
      auto reached = [&] {
        mu_.AssertHeld();
        return store_.resource_version() >= requested || stopping_;
      };
      clock_->AwaitWithDeadline(
          &mu_, absl::Condition(&reached),
          clock_->Monotonic() + options_.future_version_wait);
    }
    if (!watch) {
      ListPage page;
      if (ApiResult r = store_.ListObjects(t, w->selection, query, &page);
          !r.ok()) {
        Send(res, r);
        return;
      }
      // Stored objects are immutable: the response is built and encoded
      // without holding up other requests.
      l.Release();
      json meta = {{"resourceVersion", std::to_string(page.resource_version)}};
      if (!page.continue_token.empty()) {
        meta["continue"] = page.continue_token;
      }
      if (page.remaining_item_count.has_value()) {
        meta["remainingItemCount"] = *page.remaining_item_count;
      }
      if (table) {
        std::vector<const json*> ptrs;
        for (const auto& o : page.items) ptrs.push_back(o.get());
        json tbl = Table(t, ptrs, page.resource_version, true, clock_->Now());
        tbl["metadata"] = meta;
        Send(res, {200, std::move(tbl)});
        return;
      }
      json list = {{"apiVersion", t.GroupVersion()},
                   {"kind", t.list_kind},
                   {"metadata", std::move(meta)},
                   {"items", json::array()}};
      for (const auto& o : page.items) {
        list["items"].push_back(*o);
        // Items of built-in lists carry no apiVersion or kind, as
        // kube-apiserver's typed lists encode them; custom resources' do.
        if (t.builtin) {
          list["items"].back().erase("apiVersion");
          list["items"].back().erase("kind");
        }
      }
      Send(res, {200, std::move(list)});
      return;
    }
    // Watch.
    std::string rv = query.resource_version;
    bool initial = query.send_initial_events.value_or(false);
    w->bookmarks = req.get_param_value("allowWatchBookmarks") == "true" ||
                   req.get_param_value("allowWatchBookmarks") == "1";
    MonoTime now = clock_->Monotonic();
    w->last_write = now;
    int64_t timeout = 0;
    if (!req.get_param_value("timeoutSeconds").empty() &&
        absl::SimpleAtoi(req.get_param_value("timeoutSeconds"), &timeout) &&
        timeout > 0) {
      w->deadline = now + absl::Seconds(timeout);
    } else {
      std::uniform_real_distribution<double> factor(1.0, 2.0);
      w->deadline = now + options_.min_request_timeout * factor(rng_);
    }
    if (w->bookmarks) w->next_bookmark = now + options_.bookmark_interval;
    w->drop_generation = drop_generation_;
    if (requested > store_.resource_version()) {
      // kube-apiserver answers such a watch with one ERROR event.
      ApiResult too_large =
          TooLargeResourceVersion(requested, store_.resource_version());
      w->pending.push_back(
          json{{"type", "ERROR"}, {"object", too_large.body}}.dump() + "\n");
      w->finished = true;
    } else if (rv.empty() || rv == "0" || initial) {
      for (const auto& o : store_.List(t, w->selection)) {
        w->pending.push_back(EventLine(*w, "ADDED", *o));
      }
      w->pos = store_.resource_version();
      if (initial) {
        json obj = {
            {"kind", t.kind},
            {"apiVersion", t.GroupVersion()},
            {"metadata",
             {{"resourceVersion", std::to_string(store_.resource_version())},
              {"annotations", {{"k8s.io/initial-events-end", "true"}}}}}};
        w->pending.push_back(
            json{{"type", "BOOKMARK"}, {"object", obj}}.dump() + "\n");
      }
    } else {
      w->pos = requested;
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
  std::thread collector_;

  mutable absl::Mutex mu_;
  ObjectStore store_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tokens_ ABSL_GUARDED_BY(mu_);
  TokenIssuer issuer_ ABSL_GUARDED_BY(mu_);
  uint64_t drop_generation_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_count_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 500;
  std::string fail_method_ ABSL_GUARDED_BY(mu_);
  std::string fail_path_suffix_ ABSL_GUARDED_BY(mu_);
  absl::Duration latency_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int open_watches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_){std::random_device{}()};
  // The collector looks at the store once its resourceVersion is past this;
  // when the latest DELETE came.
  int64_t collected_rv_ ABSL_GUARDED_BY(mu_) = -1;
  MonoTime last_delete_ ABSL_GUARDED_BY(mu_) = MonoTime::InfinitePast();
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

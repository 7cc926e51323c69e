#include "lib/k8s/http_client.h"

#include <algorithm>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/internal/watch_decoder.h"

namespace lb::k8s {
namespace {

std::string SubPath(Subresource sub) {
  return sub == Subresource::kStatus ? "/status" : "";
}

bool Retryable(int status) {
  return status == 429 || status == 500 || status == 502 || status == 503 ||
         status == 504;
}

}  // namespace

std::string UrlEncode(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '_' || c == '.' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(
    const Config& config, Clock& clock) {
  LB_ASSIGN_OR_RETURN(std::unique_ptr<HttpTransport> transport,
                      NewHttpTransport(config));
  return std::make_unique<HttpClient>(config, clock, std::move(transport));
}

HttpClient::HttpClient(Config config, Clock& clock,
                       std::unique_ptr<HttpTransport> transport,
                       Environment env)
    : config_(std::move(config)),
      clock_(clock),
      transport_(std::move(transport)),
      env_(std::move(env)) {
  if (config_.qps > 0) {
    limiter_.emplace(config_.qps, std::max(1, config_.burst),
                     clock_.Monotonic());
  }
  token_ = config_.token;
  if (!config_.token.empty()) token_read_ = clock_.Monotonic();
}

void HttpClient::WaitForRequestSlot() {
  absl::Duration wait;
  {
    absl::MutexLock l(&limiter_mu_);
    if (!limiter_.has_value()) return;
    // The token is taken now (the bucket may go negative) so that waiters
    // are served in the order they arrived.
    wait = limiter_->Reserve(clock_.Monotonic());
  }
  if (wait > absl::ZeroDuration()) clock_.Sleep(wait);
}

std::string HttpClient::Token() {
  absl::MutexLock l(&mu_);
  if (!config_.token_file.empty() &&
      clock_.Monotonic() - token_read_ >= config_.token_reload_interval) {
    auto text = env_.read_file(config_.token_file);
    if (text.ok()) {
      token_ = std::string(absl::StripAsciiWhitespace(*text));
      token_read_ = clock_.Monotonic();
    }
  }
  return token_;
}

void HttpClient::InvalidateToken() {
  absl::MutexLock l(&mu_);
  token_read_ = MonoTime::InfinitePast();
}

absl::StatusOr<json> HttpClient::Send(const std::string& method,
                                      const std::string& path,
                                      const std::string& body,
                                      const std::string& content_type) {
  LB_ASSIGN_OR_RETURN(std::string raw,
                      SendRaw(method, path, body, content_type));
  json j = json::parse(raw, nullptr, false);
  if (j.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat(method, " ", path, ": response is not valid JSON"));
  }
  return j;
}

absl::StatusOr<std::string> HttpClient::SendRaw(
    const std::string& method, const std::string& path, const std::string& body,
    const std::string& content_type) {
  HttpRequest req{method, path, body, content_type};
  bool reauthed = false;
  for (int attempt = 0;; ++attempt) {
    WaitForRequestSlot();
    absl::StatusOr<HttpResponse> res;
    try {
      res = transport_->Do(req, Token());
    } catch (const std::exception& e) {
      return absl::InternalError(
          absl::StrCat(method, " ", path, ": ", e.what()));
    }
    if (!res.ok()) return res.status();
    if (res->status == 401 && !reauthed && !config_.token_file.empty()) {
      // The token may have rotated: re-read it and try once more.
      reauthed = true;
      InvalidateToken();
      continue;
    }
    if (Retryable(res->status) && res->retry_after > absl::ZeroDuration() &&
        attempt < config_.max_retries) {
      clock_.Sleep(std::min(res->retry_after, absl::Seconds(10)));
      continue;
    }
    if (config_.on_warning) {
      for (const std::string& w : res->warnings) config_.on_warning(w);
    }
    if (res->status < 200 || res->status > 299) {
      return StatusFromHttp(res->status, res->body);
    }
    return std::move(res->body);
  }
}

absl::StatusOr<json> HttpClient::DoGet(const Resource& r, const std::string& ns,
                                       const std::string& name,
                                       Subresource sub) {
  return Send("GET", r.ItemPath(ns, name) + SubPath(sub), "", "");
}

std::string HttpClient::ListPath(const Resource& r, const std::string& ns,
                                 const ListOptions& options,
                                 const std::string& continue_token) {
  std::string path = r.CollectionPath(ns);
  std::string sep = "?";
  auto add = [&](const char* k, const std::string& v) {
    if (v.empty()) return;
    absl::StrAppend(&path, sep, k, "=", UrlEncode(v));
    sep = "&";
  };
  add("labelSelector", options.label_selector);
  add("fieldSelector", options.field_selector);
  // A continued page is read from the first page's snapshot; the server
  // refuses a resourceVersion beside the token.
  if (continue_token.empty()) add("resourceVersion", options.resource_version);
  if (options.limit > 0) add("limit", absl::StrCat(options.limit));
  add("continue", continue_token);
  return path;
}

namespace {

// metadata.<key> of a list response when it is a string, else "".
std::string ListMeta(const json& list, const char* key) {
  auto md = list.find("metadata");
  if (md == list.end() || !md->is_object()) return "";
  auto v = md->find(key);
  return v != md->end() && v->is_string() ? v->get<std::string>() : "";
}

}  // namespace

absl::StatusOr<std::string> HttpClient::DoListEach(
    const Resource& r, const std::string& ns, const ListOptions& options,
    const std::function<void(json item)>& on_item) {
  std::string version, continue_token;
  do {
    std::string path = ListPath(r, ns, options, continue_token);
    LB_ASSIGN_OR_RETURN(std::string body, SendRaw("GET", path, "", ""));
    // Items are the objects ending at depth 2 under the top-level "items"
    // key; each is handed over and dropped from the tree being built.
    bool in_items = false;
    json::parser_callback_t cb = [&](int depth, json::parse_event_t event,
                                     json& parsed) {
      if (depth == 1 && event == json::parse_event_t::key) {
        in_items = parsed.is_string() && parsed.get<std::string>() == "items";
      }
      if (in_items && depth == 2 && event == json::parse_event_t::object_end) {
        if (!parsed.contains("kind")) parsed["kind"] = r.kind;
        if (!parsed.contains("apiVersion")) {
          parsed["apiVersion"] = r.ApiVersion();
        }
        on_item(std::move(parsed));
        return false;
      }
      return true;
    };
    json rest = json::parse(body, cb, /*allow_exceptions=*/false);
    if (rest.is_discarded() || !rest.is_object()) {
      return absl::DataLossError(
          absl::StrCat("GET ", path, ": response is not a JSON object"));
    }
    auto items = rest.find("items");
    if (items == rest.end() || !(items->is_array() || items->is_null()) ||
        (items->is_array() && !items->empty())) {
      return absl::DataLossError(
          absl::StrCat("GET ", path, ": response is not a list of objects"));
    }
    if (continue_token.empty()) version = ListMeta(rest, "resourceVersion");
    continue_token = ListMeta(rest, "continue");
  } while (!continue_token.empty());
  return version;
}

absl::StatusOr<ObjectList> HttpClient::DoList(const Resource& r,
                                              const std::string& ns,
                                              const ListOptions& options) {
  ObjectList list;
  ListOptions page_options = options;
  std::string continue_token;
  do {
    std::string path = ListPath(r, ns, page_options, continue_token);
    absl::StatusOr<json> page = Send("GET", path, "", "");
    if (!page.ok() && IsGone(page.status()) && !continue_token.empty()) {
      // The snapshot expired between pages: the whole list at once.
      list = ObjectList();
      page_options.limit = 0;
      continue_token.clear();
      path = ListPath(r, ns, page_options, continue_token);
      page = Send("GET", path, "", "");
    }
    if (!page.ok()) return page.status();
    json& j = *page;
    if (!j.is_object() || !j.contains("items") ||
        !(j["items"].is_array() || j["items"].is_null())) {
      return absl::DataLossError(
          absl::StrCat("GET ", path, ": response is not a list"));
    }
    if (j["items"].is_array()) {
      list.items.reserve(list.items.size() + j["items"].size());
      for (json& item : j["items"]) {
        if (!item.is_object()) {
          return absl::DataLossError(
              absl::StrCat("GET ", path, ": list item is not an object"));
        }
        // Built-in lists omit kind/apiVersion on items; restore them.
        if (!item.contains("kind")) item["kind"] = r.kind;
        if (!item.contains("apiVersion")) item["apiVersion"] = r.ApiVersion();
        list.items.push_back(std::move(item));
      }
    }
    if (continue_token.empty()) {
      list.resource_version = ListMeta(j, "resourceVersion");
    }
    continue_token = ListMeta(j, "continue");
  } while (!continue_token.empty());
  return list;
}

namespace {

// The query of a write with `options` ("" or "?...").
std::string WriteQuery(const WriteOptions& options) {
  std::string q;
  if (options.dry_run) absl::StrAppend(&q, "?dryRun=All");
  if (!options.field_validation.empty()) {
    absl::StrAppend(&q, q.empty() ? "?" : "&",
                    "fieldValidation=", options.field_validation);
  }
  return q;
}

}  // namespace

absl::StatusOr<json> HttpClient::DoCreate(const Resource& r,
                                          const std::string& ns,
                                          const json& object,
                                          const WriteOptions& options) {
  return Send("POST", r.CollectionPath(ns) + WriteQuery(options), object.dump(),
              "application/json");
}

absl::StatusOr<json> HttpClient::DoUpdate(const Resource& r,
                                          const std::string& ns,
                                          const json& object, Subresource sub,
                                          const WriteOptions& options) {
  std::string name;
  if (object.is_object() && object.contains("metadata") &&
      object["metadata"].is_object() && object["metadata"].contains("name") &&
      object["metadata"]["name"].is_string()) {
    name = object["metadata"]["name"].get<std::string>();
  }
  if (name.empty()) {
    return absl::InvalidArgumentError("Update: object has no metadata.name");
  }
  return Send("PUT", r.ItemPath(ns, name) + SubPath(sub) + WriteQuery(options),
              object.dump(), "application/json");
}

absl::StatusOr<json> HttpClient::DoMergePatch(
    const Resource& r, const std::string& ns, const std::string& name,
    const json& patch, Subresource sub, const WriteOptions& options) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("MergePatch: patch must be an object");
  }
  return Send("PATCH",
              r.ItemPath(ns, name) + SubPath(sub) + WriteQuery(options),
              patch.dump(), "application/merge-patch+json");
}

absl::StatusOr<json> HttpClient::DoJsonPatch(const Resource& r,
                                             const std::string& ns,
                                             const std::string& name,
                                             const json& patch, Subresource sub,
                                             const WriteOptions& options) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError("JsonPatch: patch must be an array");
  }
  return Send("PATCH",
              r.ItemPath(ns, name) + SubPath(sub) + WriteQuery(options),
              patch.dump(), "application/json-patch+json");
}

absl::Status HttpClient::DoDelete(const Resource& r, const std::string& ns,
                                  const std::string& name,
                                  const std::string& resource_version,
                                  const WriteOptions& options) {
  json body = {{"kind", "DeleteOptions"},
               {"apiVersion", "v1"},
               {"propagationPolicy", "Background"}};
  if (!resource_version.empty()) {
    body["preconditions"] = {{"resourceVersion", resource_version}};
  }
  if (options.dry_run) body["dryRun"] = {"All"};
  return Send("DELETE", r.ItemPath(ns, name), body.dump(), "application/json")
      .status();
}

absl::Status HttpClient::DoWatch(
    const Resource& r, const std::string& ns, const WatchOptions& options,
    const std::function<bool(WatchEvent)>& on_event, StreamCancel* cancel) {
  std::string path =
      absl::StrCat(r.CollectionPath(ns), "?watch=true&timeoutSeconds=",
                   std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout)));
  if (options.allow_bookmarks) path += "&allowWatchBookmarks=true";
  if (!options.resource_version.empty()) {
    absl::StrAppend(&path,
                    "&resourceVersion=", UrlEncode(options.resource_version));
  }
  if (!options.label_selector.empty()) {
    absl::StrAppend(&path,
                    "&labelSelector=", UrlEncode(options.label_selector));
  }
  if (!options.field_selector.empty()) {
    absl::StrAppend(&path,
                    "&fieldSelector=", UrlEncode(options.field_selector));
  }
  WaitForRequestSlot();
  internal::WatchDecoder decoder;
  std::vector<internal::RawWatchEvent> events;
  absl::Status stream_status;
  bool stopped = false;
  auto on_data = [&](absl::string_view data) {
    events.clear();
    absl::Status s = decoder.Feed(data, &events);
    for (internal::RawWatchEvent& e : events) {
      if (e.type == "ERROR") {
        const json& o = e.object;
        int code = o.contains("code") && o["code"].is_number_integer()
                       ? o["code"].get<int>()
                       : 500;
        std::string reason = o.contains("reason") && o["reason"].is_string()
                                 ? o["reason"].get<std::string>()
                                 : "";
        std::string message = o.contains("message") && o["message"].is_string()
                                  ? o["message"].get<std::string>()
                                  : "watch error";
        stream_status = StatusFromApi(code, reason, message);
        return false;
      }
      WatchEvent ev;
      ev.type = e.type == "ADDED"      ? WatchEvent::Type::kAdded
                : e.type == "MODIFIED" ? WatchEvent::Type::kModified
                : e.type == "DELETED"  ? WatchEvent::Type::kDeleted
                                       : WatchEvent::Type::kBookmark;
      ev.object = std::move(e.object);
      if (!on_event(std::move(ev))) {
        stopped = true;
        return false;
      }
    }
    if (!s.ok()) {
      stream_status = s;
      return false;
    }
    return true;
  };
  std::string token = Token();
  absl::StatusOr<HttpResponse> res;
  try {
    res = transport_->Stream({"GET", path, "", ""}, token,
                             options.timeout + absl::Seconds(30), on_data,
                             cancel);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("watch ", path, ": ", e.what()));
  }
  if (!stream_status.ok()) return stream_status;
  if (!res.ok()) return res.status();
  if (res->status == 401 && !config_.token_file.empty()) InvalidateToken();
  if (res->status != 200) return StatusFromHttp(res->status, res->body);
  if (stopped) return absl::OkStatus();
  return decoder.Finish();
}

}  // namespace lb::k8s

// The client facing a broken server: malformed JSON, truncated watch streams,
// non-Status error bodies. Each is an error naming the problem, never a crash.

#include <doctest/doctest.h>

#include <deque>
#include <memory>

#include "lib/base/simulated_clock.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/internal/watch_decoder.h"
#include "tests/status_matchers.h"

namespace lb::k8s {
namespace {

// Answers each request with the next scripted response; streams deliver the
// body in the given chunks.
class ScriptedTransport : public HttpTransport {
 public:
  struct Step {
    int status;
    std::vector<std::string> chunks;
  };
  explicit ScriptedTransport(std::deque<Step> steps)
      : steps_(std::move(steps)) {}

  absl::StatusOr<HttpResponse> Do(const HttpRequest& req,
                                  absl::string_view) override {
    requests.push_back(req.method + " " + req.path);
    Step s = Next();
    HttpResponse r;
    r.status = s.status;
    for (const auto& c : s.chunks) r.body += c;
    return r;
  }
  absl::StatusOr<HttpResponse> Stream(
      const HttpRequest& req, absl::string_view, absl::Duration,
      const std::function<bool(absl::string_view)>& on_data,
      StreamCancel*) override {
    requests.push_back(req.method + " " + req.path);
    Step s = Next();
    HttpResponse r;
    r.status = s.status;
    for (const auto& c : s.chunks) {
      if (s.status != 200) {
        r.body += c;
      } else if (!on_data(c)) {
        break;
      }
    }
    return r;
  }
  std::vector<std::string> requests;

 private:
  Step Next() {
    if (steps_.empty()) return {500, {"script exhausted"}};
    Step s = steps_.front();
    steps_.pop_front();
    return s;
  }
  std::deque<Step> steps_;
};

std::unique_ptr<Client> MakeClient(SimulatedClock& clock,
                                   std::deque<ScriptedTransport::Step> steps,
                                   ScriptedTransport** raw = nullptr) {
  Config config;
  config.server = "http://127.0.0.1:1";
  config.qps = 0;
  auto t = std::make_unique<ScriptedTransport>(std::move(steps));
  if (raw != nullptr) *raw = t.get();
  return std::make_unique<HttpClient>(config, clock, std::move(t));
}

TEST_CASE("malformed and unexpected bodies are errors") {
  SimulatedClock clock;
  auto c =
      MakeClient(clock, {{200, {"{not json"}},
                         {200, {R"({"kind":"ServiceList","items":{"a":1}})"}},
                         {200, {R"({"items":[1,2]})"}},
                         {502, {"<html>bad gateway</html>"}},
                         {404,
                          {R"({"kind":"Status","code":404,"reason":"NotFound",)"
                           R"("message":"services \"x\" not found"})"}}});
  CHECK_STATUS(c->Get(kServices, "default", "x"), absl::StatusCode::kDataLoss,
               "not valid JSON");
  CHECK_STATUS(c->List(kServices, "default"), absl::StatusCode::kDataLoss,
               "not a list");
  CHECK_STATUS(c->List(kServices, "default"), absl::StatusCode::kDataLoss,
               "not an object");
  absl::Status s = c->Get(kServices, "default", "x").status();
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(absl::StrContains(s.message(), "HTTP 502"));
  CHECK(Reason(s).empty());
  s = c->Get(kServices, "default", "x").status();
  CHECK(absl::IsNotFound(s));
  CHECK(s.message() == "NotFound: services \"x\" not found");
}

TEST_CASE("watch streams: split events, truncation, garbage, ERROR events") {
  SimulatedClock clock;
  const std::string a =
      R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"5"}}})";
  const std::string b =
      R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7"}}})";
  ScriptedTransport* t = nullptr;
  auto c = MakeClient(
      clock,
      {// One event split across chunks, then two in one chunk.
       {200, {a.substr(0, 10), a.substr(10) + "\n", b + "\n\n" + a + "\n"}},
       // Cut off in the middle of an event.
       {200, {a + "\n", a.substr(0, 20)}},
       // Garbage line.
       {200, {"hello\n"}},
       // Unknown type.
       {200,
        {R"({"type":"EXPLODED","object":{}})"
         "\n"}},
       // 410 as an ERROR event inside a 200 stream.
       {200,
        {R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired",)"
         R"x("message":"too old resource version: 1 (5)"}})x"
         "\n"}},
       // 410 as an HTTP response.
       {410,
        {R"({"kind":"Status","code":410,"reason":"Gone","message":"gone"})"}}},
      &t);
  std::vector<WatchEvent> events;
  auto collect = [&](WatchEvent e) {
    events.push_back(std::move(e));
    return true;
  };
  CHECK_OK(c->Watch(kServices, "default", {}, collect));
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == WatchEvent::Type::kAdded);
  CHECK(events[1].type == WatchEvent::Type::kBookmark);
  CHECK(events[2].object["metadata"]["name"] == "a");
  events.clear();
  CHECK_STATUS(c->Watch(kServices, "default", {}, collect),
               absl::StatusCode::kDataLoss, "ended inside an event");
  CHECK(events.size() == 1);
  CHECK_STATUS(c->Watch(kServices, "default", {}, collect),
               absl::StatusCode::kDataLoss, "not valid JSON");
  CHECK_STATUS(c->Watch(kServices, "default", {}, collect),
               absl::StatusCode::kDataLoss, "unknown event type");
  absl::Status s = c->Watch(kServices, "default", {}, collect);
  CHECK(IsGone(s));
  CHECK(Reason(s) == "Expired");
  s = c->Watch(kServices, "default", {}, collect);
  CHECK(IsGone(s));
  CHECK(absl::StrContains(t->requests[0], "watch=true"));
  CHECK(absl::StrContains(t->requests[0], "allowWatchBookmarks=true"));
}

TEST_CASE("watch decoder limits") {
  internal::WatchDecoder d;
  std::vector<internal::RawWatchEvent> out;
  CHECK_STATUS(d.Feed(R"({"type":"ADDED"})"
                      "\n",
                      &out),
               absl::StatusCode::kDataLoss, "no \"object\"");
  CHECK_STATUS(d.Feed("{}\n", &out), absl::StatusCode::kFailedPrecondition,
               "already failed");
  internal::WatchDecoder big;
  std::string huge(internal::WatchDecoder::kMaxEventBytes + 1, 'x');
  CHECK_STATUS(big.Feed(huge, &out), absl::StatusCode::kDataLoss,
               "larger than");
}

}  // namespace
}  // namespace lb::k8s

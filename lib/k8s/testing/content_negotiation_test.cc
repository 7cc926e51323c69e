// Content negotiation as kube-apiserver does it, over the media types the
// stand-in produces, and the protobuf request and response adapters.

#include "lib/k8s/testing/content_negotiation.h"

#include <doctest/doctest.h>

#include <string>

#include "absl/strings/match.h"
#include "lib/k8s/testing/protobuf_codec.h"

namespace lb::k8s::testing {
namespace {

// kubectl's typed clients (create configmap|secret|...).
constexpr char kTyped[] =
    "application/vnd.kubernetes.protobuf,application/json";
// kubectl get: a Table, else the object.
constexpr char kKubectlGet[] =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;"
    "as=Table;v=v1beta1;g=meta.k8s.io,application/json";
constexpr char kProtobufOnly[] = "application/vnd.kubernetes.protobuf";

ResponseFormat Negotiated(const std::string& accept, bool protobuf,
                          bool watch = false) {
  ResponseFormat f;
  ApiResult r = NegotiateResponse(accept, protobuf, watch, &f);
  INFO("accept: ", accept, " -> ", r.body.dump());
  REQUIRE(r.ok());
  return f;
}

std::string NotAcceptable(const std::string& accept, bool protobuf,
                          bool watch = false) {
  ResponseFormat f;
  ApiResult r = NegotiateResponse(accept, protobuf, watch, &f);
  INFO("accept: ", accept);
  REQUIRE(r.code == 406);
  CHECK(r.body["reason"] == "NotAcceptable");
  CHECK(r.body["kind"] == "Status");
  return r.body["message"].get<std::string>();
}

TEST_CASE("the first type of the Accept header the server produces wins") {
  CHECK_FALSE(Negotiated("", true).protobuf);
  ResponseFormat typed = Negotiated(kTyped, true);
  CHECK(typed.protobuf);
  CHECK(typed.json_acceptable);
  CHECK_FALSE(typed.table);
  // A kind without a message here: the same header is answered in JSON.
  CHECK_FALSE(Negotiated(kTyped, false).protobuf);
  ResponseFormat only = Negotiated(kProtobufOnly, true);
  CHECK(only.protobuf);
  CHECK_FALSE(only.json_acceptable);
  // Wildcards take the first type produced, JSON.
  CHECK_FALSE(Negotiated("*/*", true).protobuf);
  CHECK_FALSE(Negotiated("application/*", true).protobuf);
  CHECK(Negotiated("text/html, application/vnd.kubernetes.protobuf", true)
            .protobuf);
}

TEST_CASE("q values order the ranges, then concrete before wildcards") {
  CHECK(Negotiated("application/json;q=0.5, "
                   "application/vnd.kubernetes.protobuf",
                   true)
            .protobuf);
  CHECK_FALSE(Negotiated("application/vnd.kubernetes.protobuf;q=0.1, "
                         "application/json",
                         true)
                  .protobuf);
  CHECK(Negotiated("*/*, application/vnd.kubernetes.protobuf", true).protobuf);
}

TEST_CASE("Tables are JSON; watches stream JSON") {
  ResponseFormat get = Negotiated(kKubectlGet, true);
  CHECK(get.table);
  CHECK_FALSE(get.protobuf);
  // A protobuf Table is not produced here: the next range, plain JSON, wins.
  ResponseFormat f = Negotiated(
      "application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, "
      "application/json",
      true);
  CHECK_FALSE(f.protobuf);
  CHECK_FALSE(f.table);
  CHECK_FALSE(Negotiated(kTyped, true, /*watch=*/true).protobuf);
  CHECK(
      Negotiated("application/json;stream=watch", true, true).json_acceptable);
}

TEST_CASE("406 NotAcceptable names the types produced") {
  CHECK(NotAcceptable("application/xml", true) ==
        "only the following media types are accepted: application/json, "
        "application/vnd.kubernetes.protobuf");
  CHECK(NotAcceptable("application/yaml", false) ==
        "only the following media types are accepted: application/json");
  // Protobuf only, for a kind without a message (as for a custom resource).
  CHECK(NotAcceptable(kProtobufOnly, false) ==
        "only the following media types are accepted: application/json");
  CHECK(NotAcceptable(kProtobufOnly, true, /*watch=*/true) ==
        "only the following media types are accepted: "
        "application/json;stream=watch");
  // A server version or a stream other than watch is not served.
  NotAcceptable("application/json;sv=v2", true);
  NotAcceptable("application/json;stream=other", true);
}

TEST_CASE("media type of a Content-Type header") {
  CHECK(MediaTypeOf("application/vnd.kubernetes.protobuf") ==
        kProtobufMediaType);
  CHECK(MediaTypeOf(" Application/Vnd.Kubernetes.Protobuf ; charset=x") ==
        kProtobufMediaType);
  CHECK(MediaTypeOf("application/json") == "application/json");
  CHECK(MediaTypeOf("").empty());
}

const json kConfigMap = json::parse(R"({"apiVersion": "v1",
    "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}})");

TEST_CASE("protobuf request bodies: the object, or kube-apiserver's Status") {
  absl::StatusOr<std::string> pb = EncodeProtobuf(kConfigMap);
  REQUIRE(pb.ok());
  json out;
  CHECK(DecodeProtobufBody(*pb, "ConfigMap", &out).ok());
  CHECK(out == kConfigMap);

  ApiResult r = DecodeProtobufBody(*pb, "Secret", &out);
  CHECK(r.code == 400);
  CHECK(r.body["reason"] == "BadRequest");
  CHECK(r.body["message"] ==
        "the kind \"ConfigMap\" of the body does not match the request's "
        "\"Secret\"");

  r = DecodeProtobufBody(pb->substr(0, pb->size() - 3), "ConfigMap", &out);
  CHECK(r.code == 400);
  CHECK(absl::StrContains(r.body["message"].get<std::string>(),
                          "the protobuf body of the request is malformed: "));

  // An unmodelled field (ObjectMeta field 18): 415. The envelope
  // {typeMeta {v1, ConfigMap}, raw {metadata {18: ""}}}.
  const std::string body(
      "k8s\0\x0a\x0f\x0a\x02v1\x12\x09"
      "ConfigMap\x12\x05\x0a\x03\x92\x01\x00",
      28);
  r = DecodeProtobufBody(body, "ConfigMap", &out);
  CHECK(r.code == 415);
  CHECK(r.body["reason"] == "UnsupportedMediaType");
  CHECK(absl::StrContains(
      r.body["message"].get<std::string>(),
      "the body of the request was in an unknown format - accepted media "
      "types include: application/json (metadata: field 18"));
}

TEST_CASE("responses: protobuf when negotiated and encodable") {
  ResponseFormat typed;
  typed.protobuf = true;
  EncodedResponse out = EncodeResponse(typed, 201, kConfigMap.dump());
  CHECK(out.code == 201);
  CHECK(out.content_type == kProtobufMediaType);
  absl::StatusOr<json> back = DecodeProtobuf(out.body);
  REQUIRE(back.ok());
  CHECK(*back == kConfigMap);

  // Status failures are encoded too.
  const json status = StatusObject(409, "AlreadyExists", "exists");
  out = EncodeResponse(typed, 409, status.dump());
  CHECK(out.content_type == kProtobufMediaType);
  CHECK(DecodeProtobuf(out.body).value()["reason"] == "AlreadyExists");

  // No message for a Lease: JSON when the client takes it, else 406.
  const json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", {{"name", "l"}}}};
  out = EncodeResponse(typed, 200, lease.dump());
  CHECK(out.code == 200);
  CHECK(out.content_type == "application/json");
  CHECK(json::parse(out.body) == lease);
  ResponseFormat only = typed;
  only.json_acceptable = false;
  out = EncodeResponse(only, 200, lease.dump());
  CHECK(out.code == 406);
  CHECK(out.content_type == "application/json");
  CHECK(absl::StrContains(json::parse(out.body)["message"].get<std::string>(),
                          "only the following media types are accepted: "
                          "application/json"));

  // JSON stays JSON.
  out = EncodeResponse(ResponseFormat{}, 200, kConfigMap.dump());
  CHECK(out.content_type == "application/json");
  CHECK(out.body == kConfigMap.dump());
}

}  // namespace
}  // namespace lb::k8s::testing

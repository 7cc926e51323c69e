// Service-account tokens (service_account_token.h): issuing and verifying
// them, their claims, and the TokenRequest answer with its validation.

#include "lib/k8s/testing/service_account_token.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// The JSON of a token's `index`th segment (0 header, 1 claims).
json Segment(const std::string& token, int index) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  REQUIRE(parts.size() == 3);
  std::string text;
  REQUIRE(absl::WebSafeBase64Unescape(parts[index], &text));
  return json::parse(text);
}

std::string Encode(const json& j) {
  return absl::WebSafeBase64Escape(j.dump());
}

// `token` with its `index`th segment replaced.
std::string Replace(const std::string& token, int index,
                    const std::string& segment) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  parts[index] = segment;
  return parts[0] + "." + parts[1] + "." + parts[2];
}

json ServiceAccount() {
  return {{"apiVersion", "v1"},
          {"kind", "ServiceAccount"},
          {"metadata",
           {{"name", "lb"}, {"namespace", "kube-system"}, {"uid", "sa-uid"}}}};
}

TEST_CASE("a token verifies with its issuer and carries the account") {
  TokenIssuer issuer(7);
  std::string token =
      issuer.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1));
  std::optional<UserInfo> user = issuer.Verify(token, kNow);
  REQUIRE(user.has_value());
  CHECK(user->name == "system:serviceaccount:ns1:app");
  CHECK(user->uid == "uid-1");
  CHECK(user->groups == std::vector<std::string>{"system:serviceaccounts",
                                                 "system:serviceaccounts:ns1",
                                                 "system:authenticated"});
  std::string jti = Segment(token, 1)["jti"];
  CHECK(user->extra ==
        json{{"authentication.kubernetes.io/credential-id", {"JTI=" + jti}}});
  // Valid through its whole window, ends included.
  CHECK(issuer.Verify(token, kNow + absl::Minutes(30)).has_value());
  CHECK(issuer.Verify(token, kNow + absl::Hours(1)).has_value());
}

TEST_CASE("the claims are kube-apiserver's") {
  TokenIssuer issuer(7);
  std::string token =
      issuer.Issue("ns1", "app", "uid-1", {"vault", "other"},
                   kNow + absl::Milliseconds(700), absl::Minutes(10));
  json header = Segment(token, 0);
  CHECK(header["alg"] == "HS256");
  CHECK(header["kid"].is_string());
  json claims = Segment(token, 1);
  CHECK(claims["iss"] == "https://kubernetes.default.svc.cluster.local");
  CHECK(claims["sub"] == "system:serviceaccount:ns1:app");
  CHECK(claims["aud"] == json({"vault", "other"}));
  CHECK(claims["iat"] == 1800000000);
  CHECK(claims["nbf"] == 1800000000);
  CHECK(claims["exp"] == 1800000600);
  std::string jti = claims["jti"];
  CHECK(jti.size() == 36);
  CHECK(jti[14] == '4');
  CHECK(claims["kubernetes.io"] ==
        json{{"namespace", "ns1"},
             {"serviceaccount", {{"name", "app"}, {"uid", "uid-1"}}}});

  // Audiences default to the API server's, always as a list.
  claims =
      Segment(issuer.Issue("ns1", "app", "u", {}, kNow, absl::Hours(1)), 1);
  CHECK(claims["aud"] ==
        json({"https://kubernetes.default.svc.cluster.local"}));
  // Every token gets its own jti.
  CHECK(claims["jti"] != jti);
}

TEST_CASE("a token bound to a pod names it, and so does the identity") {
  TokenIssuer issuer(7);
  std::string token =
      issuer.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1),
                   BoundObjectRef{"Pod", "app-0", "pod-uid"});
  CHECK(Segment(token, 1)["kubernetes.io"]["pod"] ==
        json{{"name", "app-0"}, {"uid", "pod-uid"}});
  std::optional<UserInfo> user = issuer.Verify(token, kNow);
  REQUIRE(user.has_value());
  CHECK(user->extra["authentication.kubernetes.io/pod-name"] ==
        json({"app-0"}));
  CHECK(user->extra["authentication.kubernetes.io/pod-uid"] ==
        json({"pod-uid"}));
  token = issuer.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1),
                       BoundObjectRef{"Secret", "s", "secret-uid"});
  CHECK(Segment(token, 1)["kubernetes.io"]["secret"] ==
        json{{"name", "s"}, {"uid", "secret-uid"}});
}

TEST_CASE("expired and not yet valid tokens are refused") {
  TokenIssuer issuer(7);
  std::string token =
      issuer.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1));
  CHECK_FALSE(issuer.Verify(token, kNow + absl::Hours(1) + absl::Seconds(1))
                  .has_value());
  CHECK_FALSE(issuer.Verify(token, kNow + absl::Hours(48)).has_value());
  CHECK_FALSE(issuer.Verify(token, kNow - absl::Seconds(1)).has_value());
}

TEST_CASE("a tampered token is refused") {
  TokenIssuer issuer(7);
  std::string token =
      issuer.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1));
  REQUIRE(issuer.Verify(token, kNow).has_value());

  // A changed signature.
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  std::string sig = parts[2];
  sig[5] = sig[5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(issuer.Verify(Replace(token, 2, sig), kNow).has_value());
  // A signature with stray bits in its last character decodes to the same
  // bytes but is not the encoding the issuer wrote.
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string last = parts[2];
  REQUIRE(last.size() == 43);
  last.back() = alphabet[alphabet.find(last.back()) ^ 1];
  CHECK_FALSE(issuer.Verify(Replace(token, 2, last), kNow).has_value());
  CHECK_FALSE(issuer.Verify(Replace(token, 2, ""), kNow).has_value());

  // Changed claims under the old signature.
  json claims = Segment(token, 1);
  claims["sub"] = "system:serviceaccount:kube-system:admin";
  claims["kubernetes.io"]["namespace"] = "kube-system";
  claims["kubernetes.io"]["serviceaccount"]["name"] = "admin";
  CHECK_FALSE(
      issuer.Verify(Replace(token, 1, Encode(claims)), kNow).has_value());
  claims = Segment(token, 1);
  claims["exp"] = claims["exp"].get<int64_t>() + 86400;
  CHECK_FALSE(
      issuer.Verify(Replace(token, 1, Encode(claims)), kNow + absl::Hours(2))
          .has_value());

  // alg "none" with no signature.
  json none = {{"alg", "none"}};
  CHECK_FALSE(
      issuer.Verify(Replace(Replace(token, 0, Encode(none)), 2, ""), kNow)
          .has_value());

  // Not a JWT at all.
  for (const char* bad : {"", "a.b", "a.b.c.d", "...", "not-a-token"}) {
    CHECK_FALSE(issuer.Verify(bad, kNow).has_value());
  }
}

TEST_CASE("another issuer's token is refused") {
  TokenIssuer a(1);
  TokenIssuer b(2);
  TokenIssuer random_a;
  TokenIssuer random_b;
  std::string token = a.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1));
  CHECK(a.Verify(token, kNow).has_value());
  CHECK_FALSE(b.Verify(token, kNow).has_value());
  CHECK_FALSE(random_a.Verify(token, kNow).has_value());
  std::string r =
      random_a.Issue("ns1", "app", "uid-1", {}, kNow, absl::Hours(1));
  CHECK(random_a.Verify(r, kNow).has_value());
  CHECK_FALSE(random_b.Verify(r, kNow).has_value());
  // The same seed is the same key: tokens survive an issuer's restart.
  CHECK(TokenIssuer(1).Verify(token, kNow).has_value());
}

TEST_CASE("a token is only good for its audiences") {
  TokenIssuer issuer(7);
  std::string api = issuer.Issue("ns1", "app", "u", {}, kNow, absl::Hours(1));
  std::string vault =
      issuer.Issue("ns1", "app", "u", {"vault"}, kNow, absl::Hours(1));
  const std::vector<std::string> apiserver = {kServiceAccountTokenIssuer};
  CHECK(issuer.Verify(api, kNow, apiserver).has_value());
  CHECK_FALSE(issuer.Verify(vault, kNow, apiserver).has_value());
  CHECK(issuer.Verify(vault, kNow, {"x", "vault"}).has_value());
  CHECK(issuer.Verify(vault, kNow).has_value());
}

TEST_CASE("the TokenRequest answer") {
  TokenIssuer issuer(7);
  json request = {{"apiVersion", "authentication.k8s.io/v1"},
                  {"kind", "TokenRequest"},
                  {"metadata", {{"creationTimestamp", nullptr}}},
                  {"spec", {{"audiences", nullptr}}}};
  ApiResult r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow);
  INFO(r.body.dump());
  REQUIRE(r.code == 201);
  CHECK(r.body["kind"] == "TokenRequest");
  CHECK(r.body["apiVersion"] == "authentication.k8s.io/v1");
  CHECK(r.body["metadata"] ==
        json{{"name", "lb"},
             {"namespace", "kube-system"},
             {"creationTimestamp", "2027-01-15T08:00:00Z"}});
  CHECK(r.body["spec"] ==
        json{{"audiences", {"https://kubernetes.default.svc.cluster.local"}},
             {"expirationSeconds", 3600}});
  CHECK(r.body["status"]["expirationTimestamp"] == "2027-01-15T09:00:00Z");
  std::string token = r.body["status"]["token"];
  std::optional<UserInfo> user = issuer.Verify(token, kNow);
  REQUIRE(user.has_value());
  CHECK(user->name == "system:serviceaccount:kube-system:lb");
  CHECK(user->uid == "sa-uid");
  CHECK(Segment(token, 1)["exp"] == 1800003600);

  request["spec"] = {{"audiences", {"vault"}}, {"expirationSeconds", 600}};
  request["metadata"] = {{"name", "lb"}, {"namespace", "kube-system"}};
  r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow);
  REQUIRE(r.code == 201);
  CHECK(r.body["status"]["expirationTimestamp"] == "2027-01-15T08:10:00Z");
  CHECK(Segment(r.body["status"]["token"], 1)["aud"] == json({"vault"}));
}

TEST_CASE("the 10-minute rule and the other refusals") {
  TokenIssuer issuer(7);
  json request = {{"spec", {{"expirationSeconds", 599}}}};
  ApiResult r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow);
  CHECK(r.code == 422);
  CHECK(r.body["reason"] == "Invalid");
  CHECK(r.body["message"] ==
        "TokenRequest.authentication.k8s.io \"\" is invalid: "
        "spec.expirationSeconds: Invalid value: 599: may not specify a "
        "duration less than 10 minutes");
  CHECK(r.body["details"]["group"] == "authentication.k8s.io");
  CHECK(r.body["details"]["kind"] == "TokenRequest");
  CHECK(r.body["details"]["causes"] ==
        json::array({{{"reason", "FieldValueInvalid"},
                      {"message",
                       "Invalid value: 599: may not specify a duration less "
                       "than 10 minutes"},
                      {"field", "spec.expirationSeconds"}}}));
  CHECK(ValidateTokenRequest(request).code == 422);
  CHECK(ValidateTokenRequest({{"spec", {{"expirationSeconds", 600}}}}).ok());
  CHECK(ValidateTokenRequest(json::object()).ok());
  r = ValidateTokenRequest(
      {{"spec", {{"expirationSeconds", (int64_t{1} << 32) + 1}}}});
  CHECK(r.body["message"] ==
        "TokenRequest.authentication.k8s.io \"\" is invalid: "
        "spec.expirationSeconds: Invalid value: 4294967297: may not specify "
        "a duration larger than 2^32 seconds");
  r = ValidateTokenRequest({{"spec", {{"expirationSeconds", "600"}}}});
  CHECK(r.code == 400);
  CHECK(r.body["message"] ==
        "TokenRequest in version \"v1\" cannot be handled as a TokenRequest: "
        "json: cannot unmarshal string into Go struct field "
        "TokenRequestSpec.spec.expirationSeconds of type int64");

  r = AnswerTokenRequest(issuer, ServiceAccount(),
                         {{"metadata", {{"name", "other"}}}}, kNow);
  CHECK(r.code == 422);
  CHECK(r.body["message"] ==
        "TokenRequest.authentication.k8s.io \"lb\" is invalid: "
        "metadata.name: Invalid value: \"other\": must match the service "
        "account name if specified");
  r = AnswerTokenRequest(issuer, ServiceAccount(),
                         {{"metadata", {{"namespace", "default"}}}}, kNow);
  CHECK(r.code == 422);

  r = AnswerTokenRequest(issuer, ServiceAccount(),
                         {{"spec",
                           {{"boundObjectRef",
                             {{"apiVersion", "apps/v1"},
                              {"kind", "Deployment"},
                              {"name", "d"}}}}}},
                         kNow);
  CHECK(r.code == 400);
  CHECK(r.body["message"] ==
        "cannot bind token to object of type apps/v1, Kind=Deployment");
  CHECK(AnswerTokenRequest(issuer, ServiceAccount(), json("x"), kNow).code ==
        400);
}

TEST_CASE("a TokenRequest bound to a pod") {
  TokenIssuer issuer(7);
  json request = {
      {"spec",
       {{"boundObjectRef",
         {{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", "lb-0"}}}}}};
  json pod = {{"metadata", {{"name", "lb-0"}, {"uid", "pod-uid"}}},
              {"spec", {{"serviceAccountName", "lb"}}}};
  ApiResult r =
      AnswerTokenRequest(issuer, ServiceAccount(), request, kNow, pod);
  REQUIRE(r.code == 201);
  CHECK(r.body["spec"]["boundObjectRef"] == request["spec"]["boundObjectRef"]);
  CHECK(Segment(r.body["status"]["token"], 1)["kubernetes.io"]["pod"] ==
        json{{"name", "lb-0"}, {"uid", "pod-uid"}});

  // Without the stored pod, the reference's uid is taken as given.
  request["spec"]["boundObjectRef"]["uid"] = "given";
  r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow);
  REQUIRE(r.code == 201);
  CHECK(Segment(r.body["status"]["token"], 1)["kubernetes.io"]["pod"]["uid"] ==
        "given");

  r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow, pod);
  CHECK(r.code == 409);
  CHECK(r.body["message"] ==
        "Operation cannot be fulfilled on Pod \"lb-0\": the UID in the bound "
        "object reference (given) does not match the UID in record. The "
        "object might have been deleted and then recreated");

  pod["spec"]["serviceAccountName"] = "someone-else";
  request["spec"]["boundObjectRef"].erase("uid");
  r = AnswerTokenRequest(issuer, ServiceAccount(), request, kNow, pod);
  CHECK(r.code == 400);
  CHECK(r.body["message"] ==
        "cannot bind token for serviceaccount \"lb\" to pod running with "
        "different serviceaccount name.");
}

}  // namespace
}  // namespace lb::k8s::testing

// lib/k8s/testing/service_account_token.h
//
// Bound service-account tokens as kube-apiserver issues them (the
// TokenRequest API, `kubectl create token`) and checks them when they come
// back as bearer tokens.
//
//   TokenIssuer issuer;   // a random key
//   std::string jwt = issuer.Issue("default", "web", sa_uid, {}, now,
//                                  absl::Hours(1));
//   std::optional<UserInfo> who =
//       issuer.Verify(jwt, now, {kServiceAccountTokenIssuer});
//
// Tokens are JWTs (RFC 7519) with kube-apiserver's claims: iss, sub
// "system:serviceaccount:<ns>:<name>", aud (always a list), exp, iat, nbf, a
// random jti (a UUID) and the private claim "kubernetes.io" {namespace,
// serviceaccount {name, uid}, and pod, secret or node {name, uid} for a
// token bound to one}. kube-apiserver signs with RS256 and the
// --service-account-signing-key-file; here they are signed HS256 (HMAC
// SHA-256) with a 32-byte key the issuer keeps, so only the issuer that
// made a token can verify it and nothing outside can (there is no JWKS).
// The header is {"alg":"HS256","kid":<a digest of the key>}.
//
// Thread-safety: Issue() is not thread-safe (it draws jtis from the
// issuer's generator); Verify() is const and may run alongside other
// Verify() calls.

#ifndef LB_K8S_TESTING_SERVICE_ACCOUNT_TOKEN_H_
#define LB_K8S_TESTING_SERVICE_ACCOUNT_TOKEN_H_

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/user_info.h"

namespace lb::k8s::testing {

// The issuer (iss) of every token, and the audience a token gets when its
// request names none (kube-apiserver's --api-audiences default).
inline constexpr char kServiceAccountTokenIssuer[] =
    "https://kubernetes.default.svc.cluster.local";
// TokenRequest spec.expirationSeconds: the default and the bounds
// kube-apiserver's validation allows.
inline constexpr int64_t kDefaultTokenExpirationSeconds = 3600;
inline constexpr int64_t kMinTokenExpirationSeconds = 600;
inline constexpr int64_t kMaxTokenExpirationSeconds = int64_t{1} << 32;

// The object a token is bound to: it lives no longer than the object does.
struct BoundObjectRef {
  std::string kind;  // "Pod", "Secret" or "Node"
  std::string name;
  std::string uid;
};

class TokenIssuer {
 public:
  // `seed` 0 = a random key (and jtis) from the system's entropy; any other
  // seed gives the same key and the same sequence of jtis every time.
  explicit TokenIssuer(uint64_t seed = 0);

  // A token for the service account `ns`/`name` (whose metadata.uid is
  // `uid`), valid from `now` (iat, nbf) for `lifetime` (exp, whole seconds),
  // with `audiences` (empty: {kServiceAccountTokenIssuer}). No bounds are
  // checked here: ValidateTokenRequest() holds the API's.
  std::string Issue(const std::string& ns, const std::string& name,
                    const std::string& uid,
                    const std::vector<std::string>& audiences, absl::Time now,
                    absl::Duration lifetime);
  // The same, bound to `bound` (the "pod", "secret" or "node" claim).
  std::string Issue(const std::string& ns, const std::string& name,
                    const std::string& uid,
                    const std::vector<std::string>& audiences, absl::Time now,
                    absl::Duration lifetime, const BoundObjectRef& bound);

  // The identity a token carries if it is well formed, its signature is
  // this issuer's, its iss is kServiceAccountTokenIssuer and `now` is within
  // [nbf, exp]; nullopt otherwise. The user is
  // system:serviceaccount:<ns>:<name> with the account's uid, groups
  // system:serviceaccounts, system:serviceaccounts:<ns>,
  // system:authenticated, and extra authentication.kubernetes.io/
  // credential-id ["JTI=<jti>"] (plus pod-name and pod-uid, or node-name
  // and node-uid, for a token bound to a Pod or a Node).
  std::optional<UserInfo> Verify(const std::string& token,
                                 absl::Time now) const;
  // The same, and the token's aud must share an entry with `audiences`, as
  // kube-apiserver requires of a bearer token (its --api-audiences:
  // {kServiceAccountTokenIssuer} by default).
  std::optional<UserInfo> Verify(
      const std::string& token, absl::Time now,
      const std::vector<std::string>& audiences) const;

 private:
  std::string Sign(const std::string& signing_input) const;
  std::string NewJti();

  std::string key_;
  std::string kid_;
  std::mt19937_64 rng_;
};

// kube-apiserver's static validation of a TokenRequest (authentication.k8s.io
// /v1): spec.expirationSeconds (absent: the default) must be an integer of
// at least 600 ("may not specify a duration less than 10 minutes") and at
// most 2^32; 200 when it is, else 422 Invalid as kube-apiserver words it:
//   TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds:
//   Invalid value: 599: may not specify a duration less than 10 minutes
// (the name is empty: kube-apiserver reports these under no name).
ApiResult ValidateTokenRequest(const json& request);

// The answer to a POST of `request` (a TokenRequest) to
// serviceaccounts/<name>/token, `service_account` being the stored
// ServiceAccount: 201 with the TokenRequest, its metadata.name and
// namespace filled from the account and creationTimestamp `now`, its spec
// defaulted (audiences {kServiceAccountTokenIssuer}, expirationSeconds
// 3600), and status {token, expirationTimestamp (now + expirationSeconds,
// RFC 3339)}. 422 when the body's metadata.name or namespace is set and
// not the account's, or ValidateTokenRequest() fails; 400 when the body is
// not an object, expirationSeconds is not an integer, or
// spec.boundObjectRef is not a Pod, Secret or Node (of the core group).
// The token is bound to spec.boundObjectRef as given; that the object
// exists (and that the ServiceAccount does: 404) is the caller's to check,
// or the second form's.
ApiResult AnswerTokenRequest(TokenIssuer& issuer, const json& service_account,
                             const json& request, absl::Time now);
// The same, with `bound_object` the stored object spec.boundObjectRef names
// (ignored when there is no boundObjectRef): the token is bound to its uid;
// 409 Conflict when boundObjectRef.uid is set and differs from it, and 400
// when it is a Pod that runs as another service account.
ApiResult AnswerTokenRequest(TokenIssuer& issuer, const json& service_account,
                             const json& request, absl::Time now,
                             const json& bound_object);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_SERVICE_ACCOUNT_TOKEN_H_

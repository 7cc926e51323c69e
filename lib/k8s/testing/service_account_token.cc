#include "lib/k8s/testing/service_account_token.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/k8s/testing/internal/fields.h"
#include "lib/k8s/testing/resource_type.h"
#include "lib/k8s/testing/validation.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Rfc3339;
using internal::Str;

constexpr char kAuthenticationGroup[] = "authentication.k8s.io";
constexpr char kPrivateClaim[] = "kubernetes.io";
constexpr char kExtraPrefix[] = "authentication.kubernetes.io/";
constexpr size_t kKeyBytes = 32;

std::string Sha256(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

// `n` bytes from the system's entropy: OpenSSL's generator, else
// std::random_device.
std::string EntropyBytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()),
                 static_cast<int>(n)) == 1) {
    return out;
  }
  std::random_device device;
  for (char& c : out) c = static_cast<char>(device() & 0xff);
  return out;
}

std::string Base64Url(const std::string& data) {
  return absl::WebSafeBase64Escape(data);
}

// The bytes of an unpadded base64url segment; false unless `segment` is the
// canonical encoding of what it decodes to (no padding, no stray bits).
bool DecodeSegment(absl::string_view segment, std::string* out) {
  if (!absl::WebSafeBase64Unescape(segment, out)) return false;
  return absl::WebSafeBase64Escape(*out) == segment;
}

// A JSON object from a base64url segment, or null.
json DecodeObject(absl::string_view segment) {
  std::string text;
  if (!DecodeSegment(segment, &text)) return json();
  json v = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return v.is_object() ? v : json();
}

// A NumericDate claim as a time; false when absent or not a number.
bool NumericDate(const json& claims, const char* key, absl::Time* out) {
  const json& v = Field(claims, key);
  if (v.is_number_integer()) {
    *out = absl::FromUnixSeconds(v.get<int64_t>());
    return true;
  }
  if (v.is_number()) {
    *out = absl::FromUnixMicros(static_cast<int64_t>(v.get<double>() * 1e6));
    return true;
  }
  return false;
}

// The aud claim: a list of strings, or one string.
std::vector<std::string> Audiences(const json& claims) {
  const json& v = Field(claims, "aud");
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (v.is_array()) {
    for (const json& a : v) {
      if (a.is_string()) out.push_back(a.get<std::string>());
    }
  }
  return out;
}

ResourceType TokenRequestType() {
  ResourceType t;
  t.group = kAuthenticationGroup;
  t.version = "v1";
  t.kind = "TokenRequest";
  t.plural = "tokenrequests";
  return t;
}

ApiResult CannotDecode(const std::string& error) {
  return ApiError(
      400, "BadRequest",
      absl::StrCat("TokenRequest in version \"v1\" cannot be handled as a "
                   "TokenRequest: json: cannot unmarshal ",
                   error));
}

// Go's JSON name of a mistyped value's kind ("string", "number 1.5").
std::string GoJsonKind(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  if (v.is_object()) return "object";
  if (v.is_array()) return "array";
  return absl::StrCat("number ", v.dump());
}

}  // namespace

TokenIssuer::TokenIssuer(uint64_t seed) {
  uint64_t rng_seed = seed;
  if (seed == 0) {
    key_ = EntropyBytes(kKeyBytes);
    std::string s = EntropyBytes(sizeof(rng_seed));
    for (char c : s) rng_seed = (rng_seed << 8) | static_cast<unsigned char>(c);
  } else {
    std::string material = "lb-k8s-testing service account token key ";
    for (int i = 0; i < 8; ++i) {
      material.push_back(static_cast<char>((seed >> (8 * i)) & 0xff));
    }
    key_ = Sha256(material);
  }
  rng_.seed(rng_seed);
  kid_ = Base64Url(Sha256("kid " + key_));
}

std::string TokenIssuer::Sign(const std::string& signing_input) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()),
       signing_input.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string TokenIssuer::NewJti() {
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  // RFC 4122 version 4, variant 10.
  hi = (hi & ~uint64_t{0xf000}) | 0x4000;
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string TokenIssuer::Issue(const std::string& ns, const std::string& name,
                               const std::string& uid,
                               const std::vector<std::string>& audiences,
                               absl::Time now, absl::Duration lifetime) {
  return Issue(ns, name, uid, audiences, now, lifetime, BoundObjectRef{});
}

std::string TokenIssuer::Issue(const std::string& ns, const std::string& name,
                               const std::string& uid,
                               const std::vector<std::string>& audiences,
                               absl::Time now, absl::Duration lifetime,
                               const BoundObjectRef& bound) {
  const int64_t iat = absl::ToUnixSeconds(now);
  json priv = {{"namespace", ns},
               {"serviceaccount", {{"name", name}, {"uid", uid}}}};
  if (bound.kind == "Pod" || bound.kind == "Secret" || bound.kind == "Node") {
    std::string claim = bound.kind == "Pod"      ? "pod"
                        : bound.kind == "Secret" ? "secret"
                                                 : "node";
    priv[claim] = {{"name", bound.name}, {"uid", bound.uid}};
  }
  json claims = {
      {"iss", kServiceAccountTokenIssuer},
      {"sub", ServiceAccountUsername(ns, name)},
      {"aud", audiences.empty()
                  ? std::vector<std::string>{kServiceAccountTokenIssuer}
                  : audiences},
      {"iat", iat},
      {"nbf", iat},
      {"exp", iat + absl::ToInt64Seconds(lifetime)},
      {"jti", NewJti()},
      {kPrivateClaim, std::move(priv)},
  };
  json header = {{"alg", "HS256"}, {"kid", kid_}};
  std::string signing_input =
      absl::StrCat(Base64Url(header.dump()), ".", Base64Url(claims.dump()));
  return absl::StrCat(signing_input, ".", Base64Url(Sign(signing_input)));
}

std::optional<UserInfo> TokenIssuer::Verify(const std::string& token,
                                            absl::Time now) const {
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return std::nullopt;
  json header = DecodeObject(parts[0]);
  if (Str(Field(header, "alg")) != "HS256") return std::nullopt;
  std::string signature;
  if (!DecodeSegment(parts[2], &signature)) return std::nullopt;
  std::string expected = Sign(absl::StrCat(parts[0], ".", parts[1]));
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  json claims = DecodeObject(parts[1]);
  if (Str(Field(claims, "iss")) != kServiceAccountTokenIssuer) {
    return std::nullopt;
  }
  absl::Time nbf;
  absl::Time exp;
  if (!NumericDate(claims, "nbf", &nbf) || !NumericDate(claims, "exp", &exp) ||
      now < nbf || now > exp) {
    return std::nullopt;
  }
  const json& priv = Field(claims, kPrivateClaim);
  const json& ns = Field(priv, "namespace");
  const json& sa_name = Field(priv, "serviceaccount", "name");
  const json& sa_uid = Field(priv, "serviceaccount", "uid");
  if (!ns.is_string() || !sa_name.is_string() || !sa_uid.is_string() ||
      Str(ns).empty() || Str(sa_name).empty()) {
    return std::nullopt;
  }
  if (Str(Field(claims, "sub")) !=
      ServiceAccountUsername(Str(ns), Str(sa_name))) {
    return std::nullopt;
  }
  UserInfo user = ServiceAccountUser(Str(ns), Str(sa_name), Str(sa_uid));
  std::string jti = Str(Field(claims, "jti"));
  if (!jti.empty()) user.extra[kCredentialIdKey] = {"JTI=" + jti};
  for (const char* kind : {"pod", "node"}) {
    const json& ref = Field(priv, kind);
    if (!ref.is_object()) continue;
    user.extra[absl::StrCat(kExtraPrefix, kind, "-name")] = {
        Str(Field(ref, "name"))};
    user.extra[absl::StrCat(kExtraPrefix, kind, "-uid")] = {
        Str(Field(ref, "uid"))};
  }
  return user;
}

std::optional<UserInfo> TokenIssuer::Verify(
    const std::string& token, absl::Time now,
    const std::vector<std::string>& audiences) const {
  std::optional<UserInfo> user = Verify(token, now);
  if (!user.has_value()) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  for (const std::string& aud : Audiences(DecodeObject(parts[1]))) {
    for (const std::string& want : audiences) {
      if (aud == want) return user;
    }
  }
  return std::nullopt;
}

ApiResult ValidateTokenRequest(const json& request) {
  const json& seconds = Field(Field(request, "spec"), "expirationSeconds");
  if (seconds.is_null()) return {200, json()};
  if (!seconds.is_number_integer()) {
    return CannotDecode(
        absl::StrCat(GoJsonKind(seconds),
                     " into Go struct field TokenRequestSpec.spec."
                     "expirationSeconds of type int64"));
  }
  int64_t n = seconds.get<int64_t>();
  FieldErrors errs;
  if (n < kMinTokenExpirationSeconds) {
    errs.Invalid("spec.expirationSeconds", std::to_string(n),
                 "may not specify a duration less than 10 minutes");
  }
  if (n > kMaxTokenExpirationSeconds) {
    errs.Invalid("spec.expirationSeconds", std::to_string(n),
                 "may not specify a duration larger than 2^32 seconds");
  }
  return InvalidResult(TokenRequestType(), "", errs);
}

ApiResult AnswerTokenRequest(TokenIssuer& issuer, const json& service_account,
                             const json& request, absl::Time now) {
  return AnswerTokenRequest(issuer, service_account, request, now, json());
}

ApiResult AnswerTokenRequest(TokenIssuer& issuer, const json& service_account,
                             const json& request, absl::Time now,
                             const json& bound_object) {
  if (!request.is_object()) {
    return CannotDecode(absl::StrCat(GoJsonKind(request),
                                     " into Go value of type "
                                     "v1.TokenRequest"));
  }
  const std::string name = Str(Field(service_account, "metadata", "name"));
  const std::string ns = Str(Field(service_account, "metadata", "namespace"));
  const std::string uid = Str(Field(service_account, "metadata", "uid"));
  const ResourceType type = TokenRequestType();

  // The body's name and namespace, when set, must be the URL's.
  const std::string req_name = Str(Field(request, "metadata", "name"));
  const std::string req_ns = Str(Field(request, "metadata", "namespace"));
  if (!req_name.empty() && req_name != name) {
    FieldErrors errs;
    errs.Invalid("metadata.name", GoString(req_name),
                 "must match the service account name if specified");
    return InvalidResult(type, name, errs);
  }
  if (!req_ns.empty() && req_ns != ns) {
    FieldErrors errs;
    errs.Invalid("metadata.namespace", GoString(req_ns),
                 "must match the service account namespace if specified");
    return InvalidResult(type, name, errs);
  }

  json out = request;
  out["apiVersion"] = absl::StrCat(kAuthenticationGroup, "/v1");
  out["kind"] = "TokenRequest";
  if (!out["metadata"].is_object()) out["metadata"] = json::object();
  out["metadata"]["name"] = name;
  out["metadata"]["namespace"] = ns;
  out["metadata"]["creationTimestamp"] = Rfc3339(now);
  if (!out["spec"].is_object()) out["spec"] = json::object();
  json& spec = out["spec"];
  out.erase("status");

  std::vector<std::string> audiences;
  const json& auds = Field(spec, "audiences");
  if (!auds.is_null() && !auds.is_array()) {
    return CannotDecode(absl::StrCat(
        GoJsonKind(auds),
        " into Go struct field TokenRequestSpec.spec.audiences of type "
        "[]string"));
  }
  if (auds.is_array()) {
    for (const json& a : auds) {
      if (!a.is_string()) {
        return CannotDecode(absl::StrCat(
            GoJsonKind(a),
            " into Go struct field TokenRequestSpec.spec.audiences of type "
            "string"));
      }
      audiences.push_back(a.get<std::string>());
    }
  }
  if (audiences.empty()) audiences = {kServiceAccountTokenIssuer};
  spec["audiences"] = audiences;
  if (Field(spec, "expirationSeconds").is_null()) {
    spec["expirationSeconds"] = kDefaultTokenExpirationSeconds;
  }
  ApiResult valid = ValidateTokenRequest(out);
  if (!valid.ok()) return valid;
  const int64_t seconds = spec["expirationSeconds"].get<int64_t>();

  std::optional<BoundObjectRef> bound;
  const json& ref = Field(spec, "boundObjectRef");
  if (ref.is_object()) {
    std::string api_version = Str(Field(ref, "apiVersion"));
    std::string kind = Str(Field(ref, "kind"));
    std::string group;
    std::string version = api_version;
    if (size_t slash = api_version.find('/'); slash != std::string::npos) {
      group = api_version.substr(0, slash);
      version = api_version.substr(slash + 1);
    }
    if (!group.empty() ||
        (kind != "Pod" && kind != "Secret" && kind != "Node")) {
      return ApiError(400, "BadRequest",
                      absl::StrCat("cannot bind token to object of type ",
                                   group, "/", version, ", Kind=", kind));
    }
    BoundObjectRef b{kind, Str(Field(ref, "name")), Str(Field(ref, "uid"))};
    if (bound_object.is_object()) {
      if (kind == "Pod") {
        std::string pod_sa =
            Str(Field(bound_object, "spec", "serviceAccountName"));
        if (pod_sa.empty()) pod_sa = "default";
        if (pod_sa != name) {
          return ApiError(
              400, "BadRequest",
              absl::StrCat("cannot bind token for serviceaccount ",
                           GoString(name),
                           " to pod running with different serviceaccount "
                           "name."));
        }
      }
      std::string stored_uid = Str(Field(bound_object, "metadata", "uid"));
      if (!b.uid.empty() && b.uid != stored_uid) {
        return ApiError(
            409, "Conflict",
            absl::StrCat("Operation cannot be fulfilled on ", kind, " ",
                         GoString(b.name),
                         ": the UID in the bound object reference (", b.uid,
                         ") does not match the UID in record. The object "
                         "might have been deleted and then recreated"),
            {{"name", b.name}, {"kind", kind}});
      }
      b.uid = stored_uid;
    }
    bound = std::move(b);
  }

  std::string token =
      issuer.Issue(ns, name, uid, audiences, now, absl::Seconds(seconds),
                   bound.value_or(BoundObjectRef{}));
  out["status"] = {
      {"token", std::move(token)},
      {"expirationTimestamp", Rfc3339(now + absl::Seconds(seconds))}};
  return {201, std::move(out)};
}

}  // namespace lb::k8s::testing

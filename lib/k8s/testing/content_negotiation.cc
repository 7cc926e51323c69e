#include "lib/k8s/testing/content_negotiation.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "lib/k8s/testing/protobuf_codec.h"

namespace lb::k8s::testing {
namespace {

constexpr char kJson[] = "application/json";

// One media range of an Accept header, as goautoneg parses it (case kept).
struct Clause {
  std::string type;
  std::string subtype;
  double q = 1.0;
  std::map<std::string, std::string> params;
};

std::vector<Clause> ParseAccept(absl::string_view header) {
  std::vector<Clause> clauses;
  for (absl::string_view part : absl::StrSplit(header, ',')) {
    std::vector<absl::string_view> pieces = absl::StrSplit(part, ';');
    std::vector<absl::string_view> range = absl::StrSplit(pieces[0], '/');
    Clause c;
    c.type = std::string(absl::StripAsciiWhitespace(range[0]));
    if (range.size() == 1 && c.type == "*") {
      c.subtype = "*";
    } else if (range.size() == 2) {
      c.subtype = std::string(absl::StripAsciiWhitespace(range[1]));
    } else {
      continue;
    }
    for (size_t i = 1; i < pieces.size(); ++i) {
      std::vector<absl::string_view> kv =
          absl::StrSplit(pieces[i], absl::MaxSplits('=', 1));
      if (kv.size() != 2) continue;
      const std::string key(absl::StripAsciiWhitespace(kv[0]));
      if (key == "q") {
        if (!absl::SimpleAtod(absl::StripAsciiWhitespace(kv[1]), &c.q)) {
          c.q = 0;
        }
      } else {
        c.params[key] = std::string(absl::StripAsciiWhitespace(kv[1]));
      }
    }
    clauses.push_back(std::move(c));
  }
  std::stable_sort(clauses.begin(), clauses.end(),
                   [](const Clause& a, const Clause& b) {
                     if (a.q != b.q) return a.q > b.q;
                     if ((a.type != "*") != (b.type != "*")) {
                       return a.type != "*";
                     }
                     return a.subtype != "*" && b.subtype == "*";
                   });
  return clauses;
}

struct Produced {
  std::string type;
  std::string subtype;
  bool protobuf;
};

bool Matches(const Clause& c, const Produced& p) {
  return (c.type == p.type && (c.subtype == p.subtype || c.subtype == "*")) ||
         (c.type == "*" && c.subtype == "*");
}

// Whether `c`'s parameters are served for `p`: a conversion (`as`) only as
// JSON, a stream only as a JSON watch, no server version (`sv`).
bool ParamsServed(const Clause& c, const Produced& p) {
  for (const auto& [key, value] : c.params) {
    if (key == "as" && p.protobuf) return false;
    if (key == "stream" && !value.empty() && (value != "watch" || p.protobuf)) {
      return false;
    }
    if (key == "sv" && !value.empty()) return false;
  }
  return true;
}

}  // namespace

ApiResult NegotiateResponse(absl::string_view accept, bool protobuf, bool watch,
                            ResponseFormat* out) {
  std::vector<Produced> produced = {{"application", "json", false}};
  if (protobuf && !watch) {
    produced.push_back({"application", "vnd.kubernetes.protobuf", true});
  }
  *out = ResponseFormat{};
  if (accept.empty()) return {200, json()};
  const std::vector<Clause> clauses = ParseAccept(accept);
  const Clause* chosen = nullptr;
  const Produced* as = nullptr;
  bool json_acceptable = false;
  for (const Clause& c : clauses) {
    for (const Produced& p : produced) {
      if (!Matches(c, p) || !ParamsServed(c, p)) continue;
      if (chosen == nullptr) {
        chosen = &c;
        as = &p;
      }
      if (!p.protobuf) json_acceptable = true;
    }
  }
  if (chosen == nullptr) {
    std::vector<std::string> names;
    for (const Produced& p : produced) {
      names.push_back(
          absl::StrCat(p.type, "/", p.subtype, watch ? ";stream=watch" : ""));
    }
    return ApiError(406, "NotAcceptable",
                    absl::StrCat("only the following media types are "
                                 "accepted: ",
                                 absl::StrJoin(names, ", ")));
  }
  out->protobuf = as->protobuf;
  out->json_acceptable = json_acceptable;
  auto it = chosen->params.find("as");
  out->table =
      !as->protobuf && it != chosen->params.end() && it->second == "Table";
  return {200, json()};
}

std::string MediaTypeOf(absl::string_view content_type) {
  absl::string_view type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

ApiResult DecodeProtobufBody(absl::string_view body, absl::string_view kind,
                             json* out) {
  absl::StatusOr<json> obj = DecodeProtobuf(body);
  if (!obj.ok()) {
    if (absl::IsUnimplemented(obj.status())) {
      return ApiError(
          415, "UnsupportedMediaType",
          absl::StrCat("the body of the request was in an unknown format - "
                       "accepted media types include: application/json (",
                       obj.status().message(), ")"));
    }
    return ApiError(400, "BadRequest",
                    absl::StrCat("the protobuf body of the request is "
                                 "malformed: ",
                                 obj.status().message()));
  }
  const std::string body_kind = (*obj)["kind"].get<std::string>();
  if (body_kind != kind) {
    return ApiError(400, "BadRequest",
                    absl::StrCat("the kind \"", body_kind,
                                 "\" of the body does not match the "
                                 "request's \"",
                                 kind, "\""));
  }
  *out = *std::move(obj);
  return {200, json()};
}

EncodedResponse EncodeResponse(const ResponseFormat& format, int code,
                               std::string json_body) {
  if (!format.protobuf) return {code, std::move(json_body), kJson};
  json obj = json::parse(json_body, nullptr, /*allow_exceptions=*/false);
  absl::StatusOr<std::string> pb = obj.is_discarded()
                                       ? absl::InvalidArgumentError("not JSON")
                                       : EncodeProtobuf(obj);
  if (pb.ok()) return {code, *std::move(pb), kProtobufMediaType};
  if (format.json_acceptable || code < 200 || code >= 300) {
    return {code, std::move(json_body), kJson};
  }
  return {
      406,
      StatusObject(406, "NotAcceptable",
                   absl::StrCat("this server cannot encode the object as ",
                                kProtobufMediaType, " (", pb.status().message(),
                                "); only the following media types are "
                                "accepted: application/json"))
          .dump(),
      kJson};
}

}  // namespace lb::k8s::testing

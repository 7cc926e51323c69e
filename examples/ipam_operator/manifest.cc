#include "examples/ipam_operator/manifest.h"

#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "lib/ipam/yaml.h"

namespace lb::examples {
namespace {

std::string Str(const YAML::Node& n, const std::string& fallback = "") {
  return n && n.IsScalar() ? n.Scalar() : fallback;
}

}  // namespace

absl::StatusOr<ipam::ParsedConfig> LoadConfig(const std::string& text) {
  absl::StatusOr<std::string> config = ipam::ExtractConfigFromManifest(text);
  if (!config.ok()) return config.status();
  return ipam::ParseConfig(*config);
}

absl::StatusOr<std::vector<Service>> LoadServices(const std::string& text) {
  std::vector<Service> out;
  absl::StatusOr<std::vector<ipam::YamlDocument>> docs =
      ipam::LoadYamlDocuments(text);
  if (!docs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse manifest: ", docs.status().message()));
  }
  try {
    for (const ipam::YamlDocument& d : *docs) {
      const YAML::Node& doc = d.node;
      if (!doc.IsMap() || Str(doc["kind"]) != "Service") continue;
      const YAML::Node meta = doc["metadata"];
      const YAML::Node spec = doc["spec"];
      Service s;
      s.fields.key = absl::StrCat(Str(meta["namespace"], "default"), "/",
                                  Str(meta["name"]));
      if (meta["annotations"] && meta["annotations"].IsMap()) {
        for (const auto& kv : meta["annotations"]) {
          s.fields.annotations[kv.first.Scalar()] = Str(kv.second);
        }
      }
      if (spec && spec.IsMap()) {
        s.type = Str(spec["type"], "ClusterIP");
        s.fields.load_balancer_ip = Str(spec["loadBalancerIP"]);
        s.fields.external_traffic_policy = Str(spec["externalTrafficPolicy"]);
        s.fields.ip_family_policy = Str(spec["ipFamilyPolicy"]);
        if (spec["ipFamilies"] && spec["ipFamilies"].IsSequence()) {
          for (const auto& f : spec["ipFamilies"])
            s.fields.ip_families.push_back(Str(f));
        }
        if (spec["selector"] && spec["selector"].IsMap()) {
          for (const auto& kv : spec["selector"]) {
            s.fields.selector[kv.first.Scalar()] = Str(kv.second);
          }
        }
        if (spec["ports"] && spec["ports"].IsSequence()) {
          for (const auto& p : spec["ports"]) {
            s.fields.ports.push_back(
                {Str(p["protocol"], "TCP"),
                 static_cast<uint16_t>(p["port"].as<int>(0))});
          }
        }
      }
      YAML::Node status = doc["status"];
      YAML::Node lb =
          status && status.IsMap() ? status["loadBalancer"] : YAML::Node();
      YAML::Node ingress = lb && lb.IsMap() ? lb["ingress"] : YAML::Node();
      if (ingress && ingress.IsSequence()) {
        for (const auto& i : ingress) {
          if (i.IsMap()) s.ingress.push_back(Str(i["ip"]));
        }
      }
      out.push_back(std::move(s));
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse manifest: ", e.what()));
  }
  return out;
}

}  // namespace lb::examples

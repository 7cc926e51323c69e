#include "cmd/common/metrics.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace lb::cmd {

void Metrics::Set(const std::string& name, const Labels& labels, double value,
                  const std::string& help) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  f.help = help;
  f.series[labels] = value;
}

void Metrics::Add(const std::string& name, const Labels& labels, double delta,
                  const std::string& help) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  f.help = help;
  f.counter = true;
  f.series[labels] += delta;
}

void Metrics::SetCounter(const std::string& name, const Labels& labels,
                         double value, const std::string& help) {
  absl::MutexLock lock(&mu_);
  Family& f = families_[name];
  f.help = help;
  f.counter = true;
  f.series[labels] = value;
}

void Metrics::Clear(const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it != families_.end()) it->second.series.clear();
}

double Metrics::Get(const std::string& name, const Labels& labels) const {
  absl::MutexLock lock(&mu_);
  auto it = families_.find(name);
  if (it == families_.end()) return 0;
  auto s = it->second.series.find(labels);
  return s == it->second.series.end() ? 0 : s->second;
}

std::string Metrics::Render() const {
  absl::MutexLock lock(&mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", f.help, "\n# TYPE ", name, " ",
                    f.counter ? "counter" : "gauge", "\n");
    for (const auto& [labels, value] : f.series) {
      std::vector<std::string> parts;
      for (const auto& [k, v] : labels) {
        std::string escaped = absl::StrReplaceAll(
            v, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
        parts.push_back(absl::StrCat(k, "=\"", escaped, "\""));
      }
      absl::StrAppend(&out, name, parts.empty() ? "" : "{",
                      absl::StrJoin(parts, ","), parts.empty() ? "" : "}", " ",
                      value, "\n");
    }
  }
  return out;
}

}  // namespace lb::cmd

// cmd/common/metrics.h
//
// A small Prometheus registry: gauges and counters with labels, rendered in the
// text exposition format for /metrics. Owned by main and passed to what updates
// it.
//
//   Metrics m;
//   m.Set("metallb_k8s_client_config_loaded_bool", {}, 1,
//         "1 if the config was loaded");
//   m.Add("metallb_k8s_client_updates_total", {}, 1, "Work-queue items processed");
//   std::string text = m.Render();
//
// Thread-safety: all methods are safe to call concurrently.

#ifndef LB_CMD_COMMON_METRICS_H_
#define LB_CMD_COMMON_METRICS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace lb::cmd {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  // Sets a gauge.
  void Set(const std::string& name, const Labels& labels, double value,
           const std::string& help) ABSL_LOCKS_EXCLUDED(mu_);
  // Adds to a counter.
  void Add(const std::string& name, const Labels& labels, double delta,
           const std::string& help) ABSL_LOCKS_EXCLUDED(mu_);
  // Sets a counter to `value`, for totals kept elsewhere (e.g. a library's
  // counters copied in when metrics are rendered).
  void SetCounter(const std::string& name, const Labels& labels, double value,
                  const std::string& help) ABSL_LOCKS_EXCLUDED(mu_);
  // Removes every series of `name` (e.g. the pools of a replaced config).
  void Clear(const std::string& name) ABSL_LOCKS_EXCLUDED(mu_);
  double Get(const std::string& name, const Labels& labels) const
      ABSL_LOCKS_EXCLUDED(mu_);

  std::string Render() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Family {
    std::string help;
    bool counter = false;
    std::map<Labels, double> series;
  };
  mutable absl::Mutex mu_;
  std::map<std::string, Family> families_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::cmd

#endif  // LB_CMD_COMMON_METRICS_H_

// tests/kubectl/kubectl_runner.h
//
// Runs the real /usr/bin/kubectl against a stand-in API server with a private
// kubeconfig and discovery cache.
//
//   KubectlRunner kubectl(server->Kubeconfig("token"));
//   KubectlResult r = kubectl.Run({"get", "service", "nginx"});
//   CHECK(r.exit_code == 0);
//
// Thread-safety: not thread-safe.

#ifndef LB_TESTS_KUBECTL_KUBECTL_RUNNER_H_
#define LB_TESTS_KUBECTL_KUBECTL_RUNNER_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace lb::k8s::testing {

struct KubectlResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

class KubectlRunner {
 public:
  // Writes `kubeconfig` into a fresh temporary directory that also holds the
  // discovery cache.
  explicit KubectlRunner(const std::string& kubeconfig);
  ~KubectlRunner();

  // Runs kubectl with `args` (plus --kubeconfig/--cache-dir) to completion.
  KubectlResult Run(const std::vector<std::string>& args);

  // Starts kubectl in the background with stdout+stderr going to a file;
  // returns its pid. ReadBackground() returns what it printed so far.
  pid_t Start(const std::vector<std::string>& args);
  std::string ReadBackground() const;
  // Waits until the background output contains `text` (up to `seconds`).
  bool WaitForBackground(const std::string& text, int seconds) const;
  // Ends the background process; returns its exit status (-1 if killed).
  int StopBackground();
  // Waits for the background process to exit by itself.
  int WaitBackground(int seconds);

  const std::string& dir() const { return dir_; }

 private:
  std::vector<std::string> Argv(const std::vector<std::string>& args) const;
  std::string dir_;
  pid_t background_ = -1;
};

}  // namespace lb::k8s::testing

#endif  // LB_TESTS_KUBECTL_KUBECTL_RUNNER_H_

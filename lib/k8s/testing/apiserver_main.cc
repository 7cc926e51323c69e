// apiserver: the Kubernetes API server stand-in as a process.
//
//   apiserver [--tls] [--token T] [--host H] [--port N] [--history N]
//             [--min_request_timeout D] [--collect_delay D]
//             [--audit_log FILE]
//             [--kubeconfig-out FILE]
//
// Prints "serving on URL" once it accepts requests, then serves until
// SIGTERM or SIGINT (exit 0). Tests switch outages with signals:
//
//   SIGUSR1  stop serving: open connections (watches too) are closed and new
//            ones refused; the stored state is kept. Prints "stopped serving".
//   SIGUSR2  serve again on the same address with the state kept. Prints
//            "serving again on URL", or "cannot serve again: ..." (the process
//            then keeps waiting for signals).

#include <signal.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/testing/api_server.h"
#include "nlohmann/json.hpp"

ABSL_FLAG(bool, tls, false, "serve HTTPS with a self-signed certificate");
ABSL_FLAG(std::string, token, "",
          "comma-separated bearer tokens accepted in --tls mode (empty: any)");
ABSL_FLAG(std::string, host, "127.0.0.1", "listen address");
ABSL_FLAG(int, port, 0, "listen port (0: pick a free one)");
ABSL_FLAG(std::string, audit_log, "",
          "append one JSON line per request to FILE: user, groups, verb, "
          "apiGroup, resource, subresource, namespace, name, path, code");
ABSL_FLAG(std::string, kubeconfig_out, "",
          "write a kubeconfig for this server to FILE");
ABSL_FLAG(int64_t, history, 100000, "watch events kept for resuming watches");
// Durations are strings read by absl::ParseDuration ("30m", "250ms",
// "inf"): absl::Duration flags do not build with TSan.
ABSL_FLAG(std::string, min_request_timeout, "30m",
          "a watch without timeoutSeconds ends after a random time between "
          "this and twice this");
ABSL_FLAG(std::string, collect_delay, "1s",
          "how long after the latest DELETE the contents of deleted "
          "namespaces and the dependents of deleted owners are deleted "
          "(\"inf\": never)");

namespace {

// Reads the duration flag `name` whose value is `text` into `*out`; false,
// having said why on stderr, when it is not a duration.
bool ParseDurationFlag(const char* name, const std::string& text,
                       absl::Duration* out) {
  if (absl::ParseDuration(text, out)) return true;
  std::cerr << "apiserver: --" << name << ": not a duration: " << text << "\n";
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Accept the dashed spelling `--kubeconfig-out` as well.
  std::vector<std::string> args(argv, argv + argc);
  std::vector<char*> argp;
  for (std::string& a : args) {
    if (a.rfind("--kubeconfig-out", 0) == 0) {
      a = "--kubeconfig_out" + a.substr(strlen("--kubeconfig-out"));
    }
    argp.push_back(a.data());
  }
  absl::ParseCommandLine(static_cast<int>(argp.size()), argp.data());

  // Blocked before the server's threads start, so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  lb::RealClock clock;
  lb::k8s::testing::ApiServerOptions options;
  options.clock = &clock;
  options.tls = absl::GetFlag(FLAGS_tls);
  std::vector<std::string> tokens =
      absl::StrSplit(absl::GetFlag(FLAGS_token), ',', absl::SkipEmpty());
  options.tokens = tokens;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.history_limit = absl::GetFlag(FLAGS_history);
  std::ofstream audit_file;
  absl::Mutex audit_mu;
  if (!absl::GetFlag(FLAGS_audit_log).empty()) {
    audit_file.open(absl::GetFlag(FLAGS_audit_log), std::ios::app);
    if (!audit_file) {
      std::cerr << "apiserver: cannot open " << absl::GetFlag(FLAGS_audit_log)
                << "\n";
      return 1;
    }
    options.on_request = [&](const lb::k8s::testing::AuditEvent& e) {
      nlohmann::json line = {
          {"user", e.user},         {"groups", e.groups},
          {"verb", e.verb},         {"apiGroup", e.api_group},
          {"resource", e.resource}, {"subresource", e.subresource},
          {"namespace", e.ns},      {"name", e.name},
          {"path", e.path},         {"resourceRequest", e.resource_request},
          {"code", e.code}};
      absl::MutexLock l(&audit_mu);
      audit_file << line.dump() << std::endl;
    };
  }
  if (!ParseDurationFlag("min_request_timeout",
                         absl::GetFlag(FLAGS_min_request_timeout),
                         &options.min_request_timeout) ||
      !ParseDurationFlag("collect_delay", absl::GetFlag(FLAGS_collect_delay),
                         &options.collect_delay)) {
    return 2;
  }
  auto server = lb::k8s::testing::ApiServer::Start(options);
  if (!server.ok()) {
    std::cerr << "apiserver: " << server.status() << "\n";
    return 1;
  }
  std::string out = absl::GetFlag(FLAGS_kubeconfig_out);
  if (!out.empty()) {
    absl::Status s = (*server)->WriteKubeconfig(
        out, tokens.empty() ? std::string() : tokens[0]);
    if (!s.ok()) {
      std::cerr << "apiserver: " << s << "\n";
      return 1;
    }
  }
  std::cout << "serving on " << (*server)->url() << std::endl;
  while (true) {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGUSR1) {
      (*server)->Stop();
      std::cout << "stopped serving" << std::endl;
    } else if (sig == SIGUSR2) {
      absl::Status s = (*server)->Restart();
      if (s.ok()) {
        std::cout << "serving again on " << (*server)->url() << std::endl;
      } else {
        std::cout << "cannot serve again: " << s << std::endl;
      }
    } else {
      return 0;
    }
  }
}

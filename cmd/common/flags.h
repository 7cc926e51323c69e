// cmd/common/flags.h
//
// The daemons' command lines: `--name VALUE` or `--name=VALUE`, booleans as
// `--name` or `--name=true|false`, and a usage text generated from the flags
// in the order they were defined.
//
//   FlagSet flags("speaker", "Answers ARP and NDP for the addresses this "
//                            "node owns.");
//   flags.String("node-name", "NAME", &options.node,
//                "this node (default $METALLB_NODE_NAME)");
//   flags.Port("port", &options.metrics_port,
//              "/metrics, /healthz, /readyz (default 7472)");
//   flags.Bool("channel-plaintext", &options.channel_plaintext,
//              "connect without TLS (local demos only)");
//   flags.ParseOrExit(argc, argv);   // --help: usage, exit 0; bad flag: exit 2
//
// Help text may hold '\n': continuation lines are indented under the first.
//
// Thread-safety: not thread-safe; use from main.

#ifndef LB_CMD_COMMON_FLAGS_H_
#define LB_CMD_COMMON_FLAGS_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb::cmd {

class FlagSet {
 public:
  // `program` names the binary in the usage text and in errors; `synopsis`
  // is the paragraph under the usage line(s). `usage_lines` are extra forms
  // of invocation ("controller --check-config FILE").
  FlagSet(std::string program, std::string synopsis,
          std::vector<std::string> usage_lines = {});

  void String(std::string name, std::string metavar, std::string* target,
              std::string help);
  // 0..65535.
  void Port(std::string name, int* target, std::string help);
  // A number > 0.
  void PositiveDouble(std::string name, std::string metavar, double* target,
                      std::string help);
  void PositiveInt(std::string name, std::string metavar, int* target,
                   std::string help);
  // `--name` sets true; `--name=true` / `--name=false` set either.
  void Bool(std::string name, bool* target, std::string help);
  // Accepted with or without a value and ignored (flags other tools pass,
  // e.g. klog's --logtostderr). Not listed in the usage text.
  void Ignored(std::string name);

  // Parses argv[1..argc). Returns true to run, false when --help/-h asked for
  // the usage text. InvalidArgument names the bad flag or value; targets of
  // flags parsed before the error may have been set.
  absl::StatusOr<bool> Parse(int argc, const char* const* argv);

  // For main: Parse; on --help prints Usage() to stdout and exits 0, on an
  // error prints "PROGRAM: message" and Usage() to stderr and exits 2.
  void ParseOrExit(int argc, const char* const* argv);

  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string metavar;  // Empty for booleans.
    std::string help;
    bool boolean = false;
    bool listed = true;
    // Stores a value; InvalidArgument (without the flag's name) if bad.
    std::function<absl::Status(absl::string_view)> set;
  };
  const Flag* Find(absl::string_view name) const;

  std::string program_;
  std::string synopsis_;
  std::vector<std::string> usage_lines_;
  std::vector<Flag> flags_;
};

}  // namespace lb::cmd

#endif  // LB_CMD_COMMON_FLAGS_H_

// cmd/speaker/command_line.h
//
// The speaker's flags and MetalLB's environment variables (METALLB_NODE_NAME,
// METALLB_NODE_IP, METALLB_NAMESPACE), parsed into what main wires up.
//
//   CommandLine cl = ParseCommandLineOrExit(argc, argv);   // exits on --help
//
// Thread-safety: call from main.

#ifndef LB_CMD_SPEAKER_COMMAND_LINE_H_
#define LB_CMD_SPEAKER_COMMAND_LINE_H_

#include <string>

#include "cmd/common/connect.h"
#include "cmd/common/flags.h"
#include "cmd/common/status_server.h"
#include "cmd/speaker/daemon.h"

namespace lb::speaker {

struct CommandLine {
  DaemonOptions daemon;
  cmd::ApiOptions api;
  cmd::StatusServerOptions status;
  // The controller's channel, host:port.
  std::string controller = "controller.metallb-system.svc:7473";
  // The name the controller's certificate carries (checked instead of the
  // host in `controller`, which may be an IP).
  std::string controller_name = "controller.metallb-system.svc";
};

// The flags, writing into `cl`, whose fields hold the defaults (taken from
// the environment by ParseCommandLineOrExit).
cmd::FlagSet Flags(CommandLine& cl);

// Defaults from the environment, then the flags. Prints the usage and exits
// 0 on --help, 2 on a bad flag.
CommandLine ParseCommandLineOrExit(int argc, const char* const* argv);

}  // namespace lb::speaker

#endif  // LB_CMD_SPEAKER_COMMAND_LINE_H_

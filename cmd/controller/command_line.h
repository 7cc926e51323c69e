// cmd/controller/command_line.h
//
// The controller's flags and MetalLB's environment variables
// (METALLB_NAMESPACE, METALLB_POD_NAME), parsed into what main wires up.
//
//   CommandLine cl = ParseCommandLineOrExit(argc, argv);   // exits on --help
//   if (!cl.check_config.empty()) return CheckConfigFile(...);
//
// Thread-safety: call from main.

#ifndef LB_CMD_CONTROLLER_COMMAND_LINE_H_
#define LB_CMD_CONTROLLER_COMMAND_LINE_H_

#include <string>

#include "cmd/common/connect.h"
#include "cmd/common/flags.h"
#include "cmd/common/status_server.h"
#include "cmd/controller/daemon.h"

namespace lb::controller {

struct CommandLine {
  DaemonOptions daemon;
  cmd::ApiOptions api;
  cmd::StatusServerOptions status;
  // Where the channel is served: host and port (0 picks one).
  std::string channel_host = "0.0.0.0";
  int channel_port = 7473;
  // Non-empty: validate this file and exit instead of running.
  std::string check_config;
};

// The flags, writing into `cl`, whose fields hold the defaults.
cmd::FlagSet Flags(CommandLine& cl);

// Defaults (the environment, a fresh Lease identity), then the flags. Prints
// the usage and exits 0 on --help, 2 on a bad flag.
CommandLine ParseCommandLineOrExit(int argc, const char* const* argv);

}  // namespace lb::controller

#endif  // LB_CMD_CONTROLLER_COMMAND_LINE_H_

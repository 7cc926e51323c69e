// cmd/common/process.h
//
// What both daemons' mains do to the process before and after the daemon
// runs: termination signals waited for on main's thread, SIGPIPE ignored, and
// glibc's heap tuned.
//
//   int main(int argc, char** argv) {
//     lb::cmd::TerminationSignals signals;   // first: threads inherit the mask
//     lb::cmd::TuneMalloc(/*arenas=*/1);
//     ... start the daemon ...
//     int sig = signals.Wait();              // SIGTERM or SIGINT
//     ... stop the daemon ...
//   }
//
// Thread-safety: construct TerminationSignals on main's thread before any
// other thread starts; Wait() from that thread.

#ifndef LB_CMD_COMMON_PROCESS_H_
#define LB_CMD_COMMON_PROCESS_H_

#include <signal.h>

namespace lb::cmd {

class TerminationSignals {
 public:
  // Blocks SIGTERM and SIGINT in this thread (and so in every thread started
  // from it later) and ignores SIGPIPE: a peer closing a socket mid-write
  // must not end the process.
  TerminationSignals();
  TerminationSignals(const TerminationSignals&) = delete;
  TerminationSignals& operator=(const TerminationSignals&) = delete;

  // Waits for SIGTERM or SIGINT and returns its number. Another thread ends
  // the wait with kill(getpid(), SIGTERM).
  int Wait();

 private:
  sigset_t set_;
};

// Sets glibc's malloc to `arenas` arenas (instead of one per thread, each
// keeping its own freed memory) and a fixed mmap threshold of 128 KiB (glibc
// otherwise raises it to the largest buffer freed, a list response or a
// snapshot, and later buffers of that size stay in the heap).
void TuneMalloc(int arenas);

}  // namespace lb::cmd

#endif  // LB_CMD_COMMON_PROCESS_H_

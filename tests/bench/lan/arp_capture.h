// tests/bench/lan/arp_capture.h
//
// A passive capture of the ARP frames one interface receives, with the
// kernel's receive time, for the LAN benchmarks' observers. It sends nothing.
//
//   ArpCapture capture;
//   if (!capture.Open("eth0")) ...;      // errno says why
//   ArpFrame f;
//   while (capture.Read(&f)) { ... }     // blocks; false on a socket error
//
// Thread-safety: one reader at a time.

#ifndef LB_TESTS_BENCH_LAN_ARP_CAPTURE_H_
#define LB_TESTS_BENCH_LAN_ARP_CAPTURE_H_

#include <netinet/in.h>

#include <cstdint>
#include <string>

namespace lb::bench {

struct ArpFrame {
  int64_t time_us = 0;  // Kernel receive time, CLOCK_REALTIME.
  int op = 0;           // 1 request, 2 reply.
  uint8_t sender_mac[6] = {};
  in_addr sender_ip{};
  in_addr target_ip{};
};

class ArpCapture {
 public:
  ArpCapture() = default;
  ~ArpCapture();
  ArpCapture(const ArpCapture&) = delete;
  ArpCapture& operator=(const ArpCapture&) = delete;

  // Binds to `interface` in the current network namespace; needs
  // CAP_NET_RAW. False (errno set) on failure.
  bool Open(const std::string& interface);
  // The next Ethernet/IPv4 ARP frame received (frames this host sends are
  // skipped). Blocks; false on a socket error.
  bool Read(ArpFrame* frame);

 private:
  int fd_ = -1;
};

std::string MacString(const uint8_t* mac);
std::string Ip4String(const in_addr& ip);

// CLOCK_REALTIME in microseconds (the clock of bash's $EPOCHREALTIME).
int64_t NowMicros();

}  // namespace lb::bench

#endif  // LB_TESTS_BENCH_LAN_ARP_CAPTURE_H_

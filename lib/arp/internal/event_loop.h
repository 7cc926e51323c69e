// lib/arp/internal/event_loop.h
//
// The responder's two threads. The I/O thread waits in epoll for the file
// descriptors it watches and hands the keys of the readable ones to a
// handler; it never wakes otherwise. The timer thread waits on the injected
// Clock (so that tests move its time) until the deadline the timer handler
// last returned, or until Kick(), and runs the handler again.
//
//   auto loop = EventLoop::Create(clock, {}).value();
//   loop->Watch(conn.ReadyFd(), /*key=*/7);
//   loop->Start({[&](absl::Span<const uint64_t> keys) { Read(keys); },
//                [&](MonoTime now) { return RunTimers(now); }});
//   ...
//   loop->Kick();  // the schedule changed: the timer handler runs again
//   loop->Stop();
//
// Thread-safety: Watch, Unwatch and Kick may be called from any thread, the
// handlers included. Start and Stop are called by the owner, never from a
// handler (Stop joins the threads).

#ifndef LB_ARP_INTERNAL_EVENT_LOOP_H_
#define LB_ARP_INTERNAL_EVENT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "lib/arp/log_sink.h"
#include "lib/base/clock.h"

namespace lb::arp {

class EventLoop {
 public:
  struct Options {
    // If > 0, the I/O thread runs with SCHED_FIFO at this priority (1..99);
    // if that is refused, a warning goes to `log` and it runs normally.
    int realtime_priority = 0;
    // Warnings and errors of the loop itself. May be null.
    LogSink* log = nullptr;
  };
  struct Handlers {
    // On the I/O thread: the keys of the descriptors found readable by one
    // wait, in no particular order. A level-triggered watch: a descriptor
    // left readable is reported again.
    std::function<void(absl::Span<const uint64_t> keys)> ready;
    // On the timer thread, at Start(), after every Kick() and when the
    // deadline it last returned has passed: runs what is due at `now` and
    // returns the next deadline (MonoTime::InfiniteFuture() for none).
    std::function<MonoTime(MonoTime now)> timers;
  };
  // Not available as a key: the loop's own wake-up descriptor uses it.
  static constexpr uint64_t kReservedKey = ~uint64_t{0};

  // Internal if epoll or eventfd cannot be created.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(Clock& clock,
                                                           Options options);
  ~EventLoop();  // Stops.

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Reports `fd` readable under `key`. InvalidArgument for kReservedKey,
  // Internal if epoll refuses the descriptor.
  absl::Status Watch(int fd, uint64_t key);
  // Stops watching `fd`; call before closing it.
  void Unwatch(int fd);

  // Starts both threads. FailedPrecondition if running.
  absl::Status Start(Handlers handlers);
  // Stops and joins both threads; the watches stay. Idempotent.
  void Stop();
  // Makes the timer thread run its handler again soon.
  void Kick();

 private:
  EventLoop(Clock& clock, Options options, int epoll_fd, int wake_fd);
  void IoLoop();
  void TimerLoop();
  bool TimerWakeLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return kicked_;
  }

  Clock& clock_;
  const Options options_;
  const int epoll_fd_;
  const int wake_fd_;
  // Set by Start() before the threads run; read-only while they do.
  Handlers handlers_;
  std::atomic<bool> stop_{false};

  absl::Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  bool kicked_ ABSL_GUARDED_BY(mu_) = false;
  std::thread io_thread_;
  std::thread timer_thread_;
};

}  // namespace lb::arp

#endif  // LB_ARP_INTERNAL_EVENT_LOOP_H_

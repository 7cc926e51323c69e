#include "lib/arp/internal/event_loop.h"

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lb::arp {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

void Drain(int fd) {
  uint64_t v;
  while (read(fd, &v, sizeof(v)) > 0) {
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(Clock& clock,
                                                             Options options) {
  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return ErrnoError("epoll_create1");
  int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    absl::Status s = ErrnoError("eventfd");
    close(epoll_fd);
    return s;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kReservedKey;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    absl::Status s = ErrnoError("epoll_ctl on the wake-up eventfd");
    close(epoll_fd);
    close(wake_fd);
    return s;
  }
  return std::unique_ptr<EventLoop>(
      new EventLoop(clock, options, epoll_fd, wake_fd));
}

EventLoop::EventLoop(Clock& clock, Options options, int epoll_fd, int wake_fd)
    : clock_(clock),
      options_(options),
      epoll_fd_(epoll_fd),
      wake_fd_(wake_fd) {}

EventLoop::~EventLoop() {
  Stop();
  close(epoll_fd_);
  close(wake_fd_);
}

absl::Status EventLoop::Watch(int fd, uint64_t key) {
  if (key == kReservedKey) {
    return absl::InvalidArgumentError("the key ~0 is reserved");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = key;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return ErrnoError(absl::StrCat("epoll_ctl(ADD) of descriptor ", fd));
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  (void)epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

absl::Status EventLoop::Start(Handlers handlers) {
  absl::MutexLock lock(&mu_);
  if (running_) return absl::FailedPreconditionError("already running");
  Drain(wake_fd_);
  handlers_ = std::move(handlers);
  running_ = true;
  stop_ = false;
  kicked_ = true;  // The timer handler runs once at start.
  io_thread_ = std::thread([this] { IoLoop(); });
  timer_thread_ = std::thread([this] { TimerLoop(); });
  return absl::OkStatus();
}

void EventLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!running_) return;
    stop_ = true;
    kicked_ = true;
  }
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
  io_thread_.join();
  timer_thread_.join();
  absl::MutexLock lock(&mu_);
  running_ = false;
}

void EventLoop::Kick() {
  absl::MutexLock lock(&mu_);
  kicked_ = true;
}

void EventLoop::IoLoop() {
  if (options_.realtime_priority > 0) {
    sched_param param{};
    param.sched_priority = options_.realtime_priority;
    int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
    if (err != 0 && options_.log != nullptr) {
      options_.log->Log(
          LogLevel::kWarning,
          absl::StrCat("cannot run the event loop with SCHED_FIFO priority ",
                       options_.realtime_priority, ": ", std::strerror(err)));
    }
  }
  constexpr int kMaxEvents = 32;
  epoll_event events[kMaxEvents];
  uint64_t keys[kMaxEvents];
  while (true) {
    int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      // Not expected with a valid epoll fd; say so rather than go quiet.
      if (options_.log != nullptr) {
        options_.log->Log(LogLevel::kError,
                          absl::StrCat("event loop stopped: epoll_wait: ",
                                       std::strerror(errno)));
      }
      break;
    }
    if (stop_) break;
    size_t count = 0;
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 != kReservedKey)
        keys[count++] = events[i].data.u64;
    }
    if (count > 0) handlers_.ready(absl::MakeConstSpan(keys, count));
  }
}

void EventLoop::TimerLoop() {
  MonoTime deadline = MonoTime::InfiniteFuture();
  mu_.Lock();
  while (!stop_) {
    if (!kicked_ && deadline > clock_.Monotonic()) {
      clock_.AwaitWithDeadline(
          &mu_, absl::Condition(this, &EventLoop::TimerWakeLocked), deadline);
    }
    if (stop_) break;
    kicked_ = false;
    mu_.Unlock();
    deadline = handlers_.timers(clock_.Monotonic());
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace lb::arp

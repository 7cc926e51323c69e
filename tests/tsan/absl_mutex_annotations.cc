// ThreadSanitizer builds only (--config=tsan links this into every binary).
//
// Debian's Abseil is not built with TSan, so TSan cannot see that absl::Mutex
// orders memory accesses and reports every access guarded by one as a race.
// This file interposes the Mutex and CondVar entry points our code calls, runs
// the library's own implementation (found with dlsym(RTLD_NEXT)), and tells
// TSan about the happens-before edges: release before unlocking (or waiting),
// acquire after locking (or waking). Readers are treated as writers, which can
// hide a read/read pair but never invents an edge between unrelated accesses.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);

// Read by TSan at start-up. Only code not built with TSan is suppressed:
// Abseil's deadlock-detection graph is guarded by its own uninstrumented spin
// lock. (Tests that run gRPC or OpenSSL threads are tagged no_tsan instead:
// their internal synchronization is invisible too, and suppressing every stack
// that passes through them would hide our own races as well.)
extern "C" const char* __tsan_default_suppressions() {
  return "race:absl::*::synchronization_internal::GraphCycles\n";
}

namespace {

// The next definition of `symbol` after this one (the library's).
template <typename Fn>
Fn Next(const char* symbol) {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    std::fprintf(stderr, "tsan annotations: %s not found\n", symbol);
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

using MutexFn = void (*)(absl::Mutex*);
using MutexBoolFn = bool (*)(absl::Mutex*);
using CondFn = void (*)(absl::Mutex*, const absl::Condition&);
using CondDurationFn = bool (*)(absl::Mutex*, const absl::Condition&,
                                absl::Duration);
using CondTimeFn = bool (*)(absl::Mutex*, const absl::Condition&, absl::Time);
using WaitFn = void (*)(absl::CondVar*, absl::Mutex*);
using WaitDurationFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Duration);
using WaitTimeFn = bool (*)(absl::CondVar*, absl::Mutex*, absl::Time);

// A condition the library evaluates while it holds the lock internally (and
// then may release it internally), where TSan sees neither: each evaluation
// acquires before and releases after.
struct Annotated {
  const absl::Condition* cond;
  absl::Mutex* mu;
  static bool Eval(Annotated* self) {
    __tsan_acquire(self->mu);
    bool result = self->cond->Eval();
    __tsan_release(self->mu);
    return result;
  }
};

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

// Entry points that take the lock.
#define LB_ACQUIRING(Name, Symbol)               \
  void Mutex::Name() {                           \
    static MutexFn real = Next<MutexFn>(Symbol); \
    real(this);                                  \
    __tsan_acquire(this);                        \
  }
LB_ACQUIRING(Lock, "_ZN4absl7debian35Mutex4LockEv")
LB_ACQUIRING(ReaderLock, "_ZN4absl7debian35Mutex10ReaderLockEv")
#undef LB_ACQUIRING

#define LB_RELEASING(Name, Symbol)               \
  void Mutex::Name() {                           \
    static MutexFn real = Next<MutexFn>(Symbol); \
    __tsan_release(this);                        \
    real(this);                                  \
  }
LB_RELEASING(Unlock, "_ZN4absl7debian35Mutex6UnlockEv")
LB_RELEASING(ReaderUnlock, "_ZN4absl7debian35Mutex12ReaderUnlockEv")
#undef LB_RELEASING

#define LB_TRYING(Name, Symbol)                          \
  bool Mutex::Name() {                                   \
    static MutexBoolFn real = Next<MutexBoolFn>(Symbol); \
    bool locked = real(this);                            \
    if (locked) __tsan_acquire(this);                    \
    return locked;                                       \
  }
LB_TRYING(TryLock, "_ZN4absl7debian35Mutex7TryLockEv")
LB_TRYING(ReaderTryLock, "_ZN4absl7debian35Mutex13ReaderTryLockEv")
#undef LB_TRYING

void Mutex::LockWhen(const Condition& cond) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  // Other threads evaluate the condition: publish it to them.
  __tsan_release(this);
  static CondFn real =
      Next<CondFn>("_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  real(this, annotated);
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  // Other threads evaluate the condition: publish it to them.
  __tsan_release(this);
  static CondFn real =
      Next<CondFn>("_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, annotated);
  __tsan_acquire(this);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  // Other threads evaluate the condition: publish it to them.
  __tsan_release(this);
  static CondDurationFn real = Next<CondDurationFn>(
      "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_"
      "8DurationE");
  bool r = real(this, annotated, timeout);
  __tsan_acquire(this);
  return r;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  // Other threads evaluate the condition: publish it to them.
  __tsan_release(this);
  static CondTimeFn real = Next<CondTimeFn>(
      "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_"
      "4TimeE");
  bool r = real(this, annotated, deadline);
  __tsan_acquire(this);
  return r;
}

// Waiting releases the lock and takes it again.
void Mutex::Await(const Condition& cond) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  static CondFn real =
      Next<CondFn>("_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  real(this, annotated);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  static CondDurationFn real = Next<CondDurationFn>(
      "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_"
      "8DurationE");
  __tsan_release(this);
  bool r = real(this, annotated, timeout);
  __tsan_acquire(this);
  return r;
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  Annotated wrapped{&cond, this};
  const Condition annotated(&Annotated::Eval, &wrapped);
  static CondTimeFn real = Next<CondTimeFn>(
      "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  bool r = real(this, annotated, deadline);
  __tsan_acquire(this);
  return r;
}

void CondVar::Wait(Mutex* mu) {
  static WaitFn real =
      Next<WaitFn>("_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mu);
  real(this, mu);
  __tsan_acquire(mu);
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  static WaitDurationFn real = Next<WaitDurationFn>(
      "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mu);
  bool r = real(this, mu, timeout);
  __tsan_acquire(mu);
  return r;
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  static WaitTimeFn real = Next<WaitTimeFn>(
      "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mu);
  bool r = real(this, mu, deadline);
  __tsan_acquire(mu);
  return r;
}

ABSL_NAMESPACE_END
}  // namespace absl

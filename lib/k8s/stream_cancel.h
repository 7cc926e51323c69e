// lib/k8s/stream_cancel.h
//
// Lets one thread end a watch stream another thread is reading: the reader
// passes a StreamCancel to Client::Watch, another thread calls Cancel().
// Whatever implements the stream (an HTTP transport, an in-memory client)
// registers how to interrupt it.
//
//   StreamCancel cancel;
//   std::thread reader(
//       [&] { client.Watch(kServices, "", {}, on_event, &cancel); });
//   cancel.Cancel();   // Watch returns Cancelled
//   reader.join();
//   cancel.Reset();    // usable for the next stream
//
// Thread-safety: every method may be called from any thread.

#ifndef LB_K8S_STREAM_CANCEL_H_
#define LB_K8S_STREAM_CANCEL_H_

#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace lb::k8s {

class StreamCancel {
 public:
  // Ends the stream (now, or as soon as it starts).
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);
  bool cancelled() const ABSL_LOCKS_EXCLUDED(mu_);
  // For stream implementations: `fn` is called by Cancel(). Returns false,
  // registering nothing, if already cancelled. `fn` may still run after
  // Unregister returns (a Cancel() racing with it), so it must own or share
  // whatever it touches.
  bool Register(std::function<void()> fn) ABSL_LOCKS_EXCLUDED(mu_);
  void Unregister() ABSL_LOCKS_EXCLUDED(mu_);
  // Makes a cancelled StreamCancel usable for the next stream.
  void Reset() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void()> fn_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::k8s

#endif  // LB_K8S_STREAM_CANCEL_H_

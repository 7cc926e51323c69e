#include "lib/k8s/workqueue.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "lib/base/simulated_clock.h"

namespace lb::k8s {
namespace {

TEST_CASE("keys are deduplicated while waiting and while processing") {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.Add("a");
  q.Add("b");
  q.Add("a");
  CHECK(q.Len() == 2);
  std::string key;
  REQUIRE(q.Get(&key));
  CHECK(key == "a");
  q.Add("a");  // while processing: not handed out twice
  CHECK(q.Len() == 1);
  REQUIRE(q.Get(&key));
  CHECK(key == "b");
  CHECK(q.Len() == 0);
  q.Done("a");  // re-queued because it was added meanwhile
  CHECK(q.Len() == 1);
  REQUIRE(q.Get(&key));
  CHECK(key == "a");
  q.Done("a");
  q.Done("b");
  CHECK(q.Len() == 0);
}

TEST_CASE("after a large burst drains, keys are still deduplicated") {
  SimulatedClock clock;
  WorkQueue q(clock);
  const int n = 5000;
  for (int i = 0; i < n; ++i) q.Add(std::to_string(i));
  std::vector<std::string> taken;
  std::string key;
  for (int i = 0; i < n; ++i) {
    REQUIRE(q.Get(&key));
    taken.push_back(key);
  }
  q.Add("7");  // while processing
  for (const std::string& k : taken) q.Done(k);
  CHECK(q.Len() == 1);
  REQUIRE(q.Get(&key));
  CHECK(key == "7");
  q.Add("7");
  q.Add("7");
  q.Done("7");
  CHECK(q.Len() == 1);
}

TEST_CASE("rate-limited retries back off exponentially on the clock") {
  SimulatedClock clock;
  WorkQueueOptions o;
  o.base_delay = absl::Milliseconds(10);
  o.max_delay = absl::Milliseconds(40);
  WorkQueue q(clock, o);
  q.AddRateLimited("k");  // 10ms
  CHECK(q.NumRequeues("k") == 1);
  CHECK(q.Len() == 0);
  std::string key;
  std::thread worker([&] { CHECK(q.Get(&key)); });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  clock.AdvanceTime(absl::Milliseconds(9));
  CHECK(q.Len() == 0);
  clock.AdvanceTime(absl::Milliseconds(1));
  worker.join();
  CHECK(key == "k");
  q.Done("k");
  q.AddRateLimited("k");  // 20ms
  q.AddRateLimited("k");  // 40ms
  q.AddRateLimited("k");  // capped at 40ms
  CHECK(q.NumRequeues("k") == 4);
  q.Forget("k");
  CHECK(q.NumRequeues("k") == 0);
  clock.AdvanceTime(absl::Milliseconds(40));
  REQUIRE(q.Get(&key));
  CHECK(key == "k");
  CHECK(q.Len() == 0);  // the three delayed adds collapsed into one
}

TEST_CASE(
    "a new earlier delayed key wakes a waiting worker; shutdown ends Get") {
  SimulatedClock clock;
  WorkQueue q(clock);
  q.AddAfter("late", absl::Seconds(10));
  std::string key;
  std::thread worker([&] { CHECK(q.Get(&key)); });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  q.AddAfter("early", absl::Seconds(1));
  clock.AdvanceTime(absl::Seconds(1));
  worker.join();
  CHECK(key == "early");
  std::thread waiter([&] { CHECK_FALSE(q.Get(&key)); });
  q.Done("early");
  q.ShutDown();
  waiter.join();
  q.Add("ignored");
  CHECK(q.Len() == 0);
}

}  // namespace
}  // namespace lb::k8s

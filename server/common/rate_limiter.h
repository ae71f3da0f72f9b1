// "At most `limit` events per `window_ms`" per key, kept in memory: used for
// sign-in attempts and for per-principal lookup limits. Thread-safe.
//
// A sliding-window counter: each key holds the count of the current fixed
// window (which starts at the key's first event) and of the one before it,
// and weighs the previous count by the part of it the sliding window still
// covers. That is O(1) time and a fixed 24 bytes per key whatever the limit
// (a limit of 1,000,000 costs what a limit of 5 does), at the price of
// assuming the previous window's events were spread evenly.
//
// REQUIRES for every call on a key: the same window_ms, 0 < window_ms <= 2^36.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>

#include "common/clock.h"

namespace vault {

class RateLimiter {
 public:
  // The whole state of one key.
  struct Window {
    int64_t start_ms = 0;   // the current fixed window is [start_ms, start_ms + window)
    int32_t previous = 0;   // events in the window before it
    int32_t current = 0;    // events in the current window
    int64_t window_ms = 0;  // for the sweep of idle keys
  };
  static_assert(std::is_trivially_copyable_v<Window> && sizeof(Window) == 24,
                "a key's state is a fixed size, whatever the limit");

  explicit RateLimiter(Clock clock = SystemClock()) : clock_(std::move(clock)) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Records one event for `key` if the window has room for it under `limit`;
  // returns whether it did. limit <= 0 allows nothing.
  bool Allow(const std::string& key, int limit, int64_t window_ms);
  // How long until `key` may have one more event under `limit` (zero: now).
  // Allow() at now + RetryAfter() succeeds, unless other events came between.
  std::chrono::milliseconds RetryAfter(const std::string& key, int limit, int64_t window_ms);
  // Records an event without checking (failed sign-ins).
  void Add(const std::string& key, int64_t window_ms);
  void Reset(const std::string& key);
  // Keys with state (idle keys are swept once there are more than kSweepAt).
  size_t Keys();

  static constexpr size_t kSweepAt = 100000;

 private:
  // REQUIRES: mu_ is held.
  Window& StateFor(const std::string& key, int64_t now, int64_t window_ms);

  Clock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;  // GUARDED_BY(mu_)
};

}  // namespace vault

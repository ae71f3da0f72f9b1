// A sliding-window counter per key ("at most N events per window"), kept in
// memory. Used for sign-in attempts and for per-principal search and verify
// limits. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace vault {

class RateLimiter {
 public:
  explicit RateLimiter(Clock clock = SystemClock()) : clock_(std::move(clock)) {}

  // Records one event for `key` if fewer than `limit` happened in the last
  // `window_ms`; returns whether it was allowed. limit <= 0 allows nothing.
  bool Allow(const std::string& key, int limit, int64_t window_ms);
  // Events of `key` still inside the window (without recording one).
  int Count(const std::string& key, int64_t window_ms);
  // Milliseconds until `key` may have another event under `limit`.
  int64_t RetryAfterMs(const std::string& key, int limit, int64_t window_ms);
  // Records an event without checking (failed sign-ins).
  void Add(const std::string& key);
  void Reset(const std::string& key);

 private:
  void Prune(std::deque<int64_t>& events, int64_t now, int64_t window_ms);

  Clock clock_;
  std::mutex mu_;
  std::unordered_map<std::string, std::deque<int64_t>> events_;  // GUARDED_BY(mu_)
};

}  // namespace vault

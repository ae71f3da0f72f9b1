#include "common/rate_limiter.h"

#include <algorithm>
#include <iterator>

namespace vault {
namespace {

// Counts stop here: far above any limit the policy allows (1,000,000), and
// small enough that count * window_ms cannot overflow for windows <= 2^36 ms.
constexpr int32_t kMaxCount = 1 << 24;

// Moves `w` forward to the fixed window that holds `now`.
void Roll(RateLimiter::Window& w, int64_t now, int64_t window_ms) {
  if (w.window_ms != window_ms) {
    w = RateLimiter::Window{now, 0, 0, window_ms};
    return;
  }
  if (now < w.start_ms + window_ms) return;
  int64_t windows = (now - w.start_ms) / window_ms;
  w.previous = windows == 1 ? w.current : 0;
  w.current = 0;
  w.start_ms += windows * window_ms;
}

// Whether one more event fits at `elapsed` ms into the current window:
// previous * (window - elapsed) / window + current + 1 <= limit, in integers.
bool HasRoom(const RateLimiter::Window& w, int64_t elapsed, int limit) {
  if (w.current >= limit) return false;
  return int64_t{w.previous} * (w.window_ms - elapsed) <=
         int64_t{limit - w.current - 1} * w.window_ms;
}

}  // namespace

RateLimiter::Window& RateLimiter::StateFor(const std::string& key, int64_t now, int64_t window_ms) {
  if (windows_.size() > kSweepAt) {
    // Bound memory under a flood of distinct keys: drop keys with no events
    // in either window.
    for (auto it = windows_.begin(); it != windows_.end();) {
      Roll(it->second, now, it->second.window_ms);
      bool idle = it->second.previous == 0 && it->second.current == 0;
      it = idle ? windows_.erase(it) : std::next(it);
    }
  }
  auto [it, inserted] = windows_.try_emplace(key, Window{now, 0, 0, window_ms});
  if (!inserted) Roll(it->second, now, window_ms);
  return it->second;
}

bool RateLimiter::Allow(const std::string& key, int limit, int64_t window_ms) {
  if (limit <= 0) return false;
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  Window& w = StateFor(key, now, window_ms);
  if (!HasRoom(w, now - w.start_ms, limit)) return false;
  ++w.current;
  return true;
}

std::chrono::milliseconds RateLimiter::RetryAfter(const std::string& key, int limit,
                                                  int64_t window_ms) {
  if (limit <= 0) return std::chrono::milliseconds(window_ms);  // never; say a window
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  auto found = windows_.find(key);
  if (found == windows_.end()) return std::chrono::milliseconds(0);
  Window w = found->second;
  Roll(w, now, window_ms);
  // The earliest `elapsed` in this window or the next two with room: the
  // weighted previous count falls linearly, so solve HasRoom for elapsed.
  for (int step = 0; step < 3; ++step) {
    if (w.current < limit) {
      int64_t room = int64_t{limit - w.current - 1} * window_ms;
      int64_t elapsed = w.previous == 0 ? 0 : window_ms - room / w.previous;
      if (elapsed < window_ms) {
        return std::chrono::milliseconds(std::max<int64_t>(0, w.start_ms + elapsed - now));
      }
    }
    w.previous = w.current;
    w.current = 0;
    w.start_ms += window_ms;
  }
  return std::chrono::milliseconds(w.start_ms - now);  // not reached: both counts are 0 by now
}

void RateLimiter::Add(const std::string& key, int64_t window_ms) {
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  Window& w = StateFor(key, now, window_ms);
  w.current = std::min(w.current + 1, kMaxCount);
}

void RateLimiter::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  windows_.erase(key);
}

size_t RateLimiter::Keys() {
  std::lock_guard lock(mu_);
  return windows_.size();
}

}  // namespace vault

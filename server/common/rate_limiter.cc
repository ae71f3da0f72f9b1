#include "common/rate_limiter.h"

#include <algorithm>
#include <iterator>

namespace vault {

void RateLimiter::Prune(std::deque<int64_t>& events, int64_t now, int64_t window_ms) {
  while (!events.empty() && events.front() <= now - window_ms) events.pop_front();
}

bool RateLimiter::Allow(const std::string& key, int limit, int64_t window_ms) {
  if (limit <= 0) return false;
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  if (events_.size() > 100000) {
    // Bound memory under a flood of distinct keys: drop idle entries.
    for (auto it = events_.begin(); it != events_.end();) {
      Prune(it->second, now, window_ms);
      it = it->second.empty() ? events_.erase(it) : std::next(it);
    }
  }
  auto& events = events_[key];
  Prune(events, now, window_ms);
  if (events.size() >= static_cast<size_t>(limit)) return false;
  events.push_back(now);
  return true;
}

int RateLimiter::Count(const std::string& key, int64_t window_ms) {
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  auto it = events_.find(key);
  if (it == events_.end()) return 0;
  Prune(it->second, now, window_ms);
  return static_cast<int>(it->second.size());
}

int64_t RateLimiter::RetryAfterMs(const std::string& key, int limit, int64_t window_ms) {
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  auto it = events_.find(key);
  if (it == events_.end()) return 0;
  Prune(it->second, now, window_ms);
  if (limit > 0 && it->second.size() < static_cast<size_t>(limit)) return 0;
  if (it->second.empty()) return 0;
  size_t idx = it->second.size() - static_cast<size_t>(std::max(limit, 1));
  return it->second[idx] + window_ms - now;
}

void RateLimiter::Add(const std::string& key) {
  int64_t now = clock_();
  std::lock_guard lock(mu_);
  events_[key].push_back(now);
}

void RateLimiter::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  events_.erase(key);
}

}  // namespace vault

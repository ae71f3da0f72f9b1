// Time as Unix milliseconds behind a replaceable function, so tests can move
// time forward (session timeouts, retention) without sleeping. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

namespace vault {

using Clock = std::function<int64_t()>;  // Unix milliseconds

inline int64_t SystemNowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline Clock SystemClock() { return &SystemNowMillis; }

}  // namespace vault

#include "common/rate_limiter.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace vault {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMinute = 60'000;

// A clock the test moves by hand: no sleeps.
class RateLimiterTest : public ::testing::Test {
 protected:
  int64_t now_ = 1'767'225'600'000;
  RateLimiter limiter_{[this] { return now_; }};
};

TEST_F(RateLimiterTest, AllowsTheLimitThenRefuses) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter_.Allow("k", 5, kMinute)) << i;
  EXPECT_FALSE(limiter_.Allow("k", 5, kMinute));
  // A refused event is not recorded: still refused, not further behind.
  EXPECT_FALSE(limiter_.Allow("k", 5, kMinute));
  EXPECT_GT(limiter_.RetryAfter("k", 5, kMinute), milliseconds(0));
  // A higher limit has room for more of the same events.
  EXPECT_TRUE(limiter_.Allow("k", 6, kMinute));
}

TEST_F(RateLimiterTest, NothingIsAllowedUnderALimitOfZero) {
  EXPECT_FALSE(limiter_.Allow("k", 0, kMinute));
  EXPECT_FALSE(limiter_.Allow("k", -1, kMinute));
  EXPECT_EQ(limiter_.RetryAfter("k", 0, kMinute), milliseconds(kMinute));
}

TEST_F(RateLimiterTest, RoomComesBackAsTheWindowSlides) {
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter_.Allow("k", 10, kMinute));
  // The whole window is spent until it has passed...
  now_ += kMinute - 1;
  EXPECT_FALSE(limiter_.Allow("k", 10, kMinute));
  // ...and then the burst slides out of it a tenth of a window per event.
  now_ += 1;
  EXPECT_FALSE(limiter_.Allow("k", 10, kMinute));
  now_ += kMinute / 10;
  EXPECT_TRUE(limiter_.Allow("k", 10, kMinute));
  EXPECT_FALSE(limiter_.Allow("k", 10, kMinute));
  // Two idle windows later, the full limit is there again.
  now_ += 2 * kMinute;
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter_.Allow("k", 10, kMinute)) << i;
  EXPECT_FALSE(limiter_.Allow("k", 10, kMinute));
}

TEST_F(RateLimiterTest, ASteadyPaceUnderTheLimitIsNeverRefused) {
  // 8.6 events per window for ten windows, under a limit of 10. (The counter
  // weighs the previous window as if its events were spread evenly, so a pace
  // of exactly the limit may be refused at a window's start.)
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(limiter_.Allow("k", 10, kMinute)) << i;
    now_ += 7'000;
  }
  // Twice the limit's pace for five windows: about the limit is let through.
  int allowed = 0;
  for (int i = 0; i < 100; ++i) {
    allowed += limiter_.Allow("k", 10, kMinute);
    now_ += 3'000;
  }
  EXPECT_GE(allowed, 40);
  EXPECT_LE(allowed, 50);
}

TEST_F(RateLimiterTest, KeysAreIndependent) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter_.Allow("alice", 3, kMinute));
  EXPECT_FALSE(limiter_.Allow("alice", 3, kMinute));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter_.Allow("bob", 3, kMinute)) << i;
  EXPECT_EQ(limiter_.RetryAfter("carol", 3, kMinute), milliseconds(0));
  limiter_.Reset("alice");
  EXPECT_TRUE(limiter_.Allow("alice", 3, kMinute));
  EXPECT_FALSE(limiter_.Allow("bob", 3, kMinute));
  EXPECT_EQ(limiter_.Keys(), 2u);
}

TEST_F(RateLimiterTest, AddCountsWithoutAsking) {
  for (int i = 0; i < 7; ++i) limiter_.Add("user:x", kMinute);
  EXPECT_GT(limiter_.RetryAfter("user:x", 5, kMinute), milliseconds(0));
  EXPECT_FALSE(limiter_.Allow("user:x", 5, kMinute));
  EXPECT_TRUE(limiter_.Allow("user:x", 8, kMinute));
}

// RetryAfter is exact: one millisecond earlier is refused, at it is allowed.
void ExpectRetryAfterIsExact(RateLimiter& limiter, int64_t& now, const std::string& key,
                             int limit) {
  milliseconds wait = limiter.RetryAfter(key, limit, kMinute);
  ASSERT_GT(wait, milliseconds(0));
  int64_t start = now;
  now = start + wait.count() - 1;
  EXPECT_FALSE(limiter.Allow(key, limit, kMinute)) << "at " << wait.count() - 1 << " ms";
  now = start + wait.count();
  EXPECT_TRUE(limiter.Allow(key, limit, kMinute)) << "at " << wait.count() << " ms";
}

TEST_F(RateLimiterTest, RetryAfterIsWhenTheNextEventIsAllowed) {
  // A burst: the window must pass, then a sixtieth of the next one.
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(limiter_.Allow("burst", 60, kMinute));
  EXPECT_EQ(limiter_.RetryAfter("burst", 60, kMinute), milliseconds(kMinute + kMinute / 60));
  now_ += 15'000;
  EXPECT_EQ(limiter_.RetryAfter("burst", 60, kMinute), milliseconds(kMinute + 1'000 - 15'000));
  ExpectRetryAfterIsExact(limiter_, now_, "burst", 60);
  // Spread events, over a window boundary, under a limit that is not a
  // divisor of the window.
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(limiter_.Allow("spread", 7, kMinute));
    now_ += 13'000;
  }
  while (limiter_.Allow("spread", 7, kMinute)) now_ += 1'000;
  ExpectRetryAfterIsExact(limiter_, now_, "spread", 7);
  ExpectRetryAfterIsExact(limiter_, now_, "spread", 7);
  EXPECT_EQ(limiter_.RetryAfter("never-seen", 7, kMinute), milliseconds(0));
}

TEST_F(RateLimiterTest, AMillionPerWindowCostsOneFixedEntry) {
  constexpr int kLimit = 1'000'000;  // the most the policy allows
  ASSERT_TRUE(limiter_.Allow("pos", kLimit, kMinute));
  const size_t heap_before = mallinfo2().uordblks;
  for (int i = 1; i < kLimit; ++i) {
    if (!limiter_.Allow("pos", kLimit, kMinute)) FAIL() << "refused event " << i;
  }
  const size_t heap_after = mallinfo2().uordblks;
  EXPECT_FALSE(limiter_.Allow("pos", kLimit, kMinute));
  EXPECT_EQ(limiter_.RetryAfter("pos", kLimit, kMinute), milliseconds(kMinute + 1));
  EXPECT_EQ(limiter_.Keys(), 1u);
  // A list of timestamps would hold 8 MB here; the counter allocates nothing.
  EXPECT_LT(heap_after, heap_before + 4096) << "heap grew by " << heap_after - heap_before;
  static_assert(sizeof(RateLimiter::Window) == 24);
}

TEST_F(RateLimiterTest, IdleKeysAreSweptUnderAFloodOfKeys) {
  for (size_t i = 0; i <= RateLimiter::kSweepAt; ++i) {
    ASSERT_TRUE(limiter_.Allow("flood:" + std::to_string(i), 5, kMinute));
  }
  ASSERT_EQ(limiter_.Keys(), RateLimiter::kSweepAt + 1);
  now_ += kMinute;
  // The previous window still counts: nothing is swept yet.
  ASSERT_TRUE(limiter_.Allow("fresh", 5, kMinute));
  EXPECT_EQ(limiter_.Keys(), RateLimiter::kSweepAt + 2);
  now_ += kMinute;
  ASSERT_TRUE(limiter_.Allow("fresher", 5, kMinute));
  EXPECT_LE(limiter_.Keys(), 2u);
}

}  // namespace
}  // namespace vault

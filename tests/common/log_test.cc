#include "common/log.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace vault::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// A sink the test can hold shut: the writer thread blocks in it until
// Open(), or until 5 s after the sink was made (so that a synchronous logger,
// which would block the test's own thread here, fails the test rather than
// hanging it).
class GatedSink {
 public:
  void operator()(std::string_view line) {
    std::unique_lock lock(mu_);
    lines_.emplace_back(line);
    entered_ = true;
    cv_.notify_all();
    cv_.wait_until(lock, deadline_, [&] { return open_; });
  }
  bool WaitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return entered_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  std::vector<std::string> Lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  const steady_clock::time_point deadline_ = steady_clock::now() + std::chrono::seconds(5);
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  bool open_ = false;
  std::vector<std::string> lines_;
};

// The message after "<timestamp> <level> ".
std::string Message(const std::string& line) {
  size_t first = line.find(' ');
  size_t second = line.find(' ', first + 1);
  return second == std::string::npos ? "" : line.substr(second + 1);
}

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    Flush();
    SetSink(nullptr);
    SetQueueCapacity(kDefaultQueueLines);
    SetLevel(Level::kInfo);
  }
};

TEST_F(LogTest, ControlCharactersAreEscapedSoALineStaysOneLine) {
  std::vector<std::string> lines;
  SetSink([&](std::string_view line) { lines.emplace_back(line); });
  Info("http GET /x \x1b[31mred\r\n2026-01-01T00:00:00.000Z info forged\x7f!");
  Info(std::string_view("nul\0here", 8));
  Flush();
  SetSink(nullptr);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\\x1b[31mred\\x0d\\x0a2026-01-01T00:00:00.000Z info forged\\x7f"),
            std::string::npos)
      << lines[0];
  EXPECT_EQ(lines[0].find_first_of("\r\n\x1b\x7f"), std::string::npos);
  EXPECT_NE(lines[1].find("nul\\x00here"), std::string::npos) << lines[1];
  // A positive control: printable text is kept as it is.
  EXPECT_NE(lines[0].find("http GET /x "), std::string::npos);
}

TEST_F(LogTest, ASlowOutputDoesNotSlowTheCaller) {
  auto sink = std::make_shared<GatedSink>();
  SetSink([sink](std::string_view line) { (*sink)(line); });
  auto start = steady_clock::now();
  for (int i = 0; i < 100; ++i) Info("line " + std::to_string(i));
  Error("an error, queued behind them");
  auto elapsed = steady_clock::now() - start;
  // The output is shut for the whole time: the caller only queued.
  EXPECT_LT(elapsed, milliseconds(1000));
  sink->Open();
  Flush();
  std::vector<std::string> lines = sink->Lines();
  ASSERT_EQ(lines.size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(Message(lines[i]), "line " + std::to_string(i));
  EXPECT_EQ(Message(lines[100]), "an error, queued behind them");
  EXPECT_NE(lines[100].find(" error "), std::string::npos);
}

TEST_F(LogTest, InfoLinesDroppedOnAFullQueueAreCountedAndSummarized) {
  SetQueueCapacity(3);
  auto sink = std::make_shared<GatedSink>();
  SetSink([sink](std::string_view line) { (*sink)(line); });
  uint64_t dropped_before = DroppedLines();
  Info("first");
  ASSERT_TRUE(sink->WaitEntered());                  // the writer holds "first"; the queue is empty
  for (const char* m : {"a1", "a2", "a3"}) Info(m);  // fills the queue
  for (const char* m : {"d1", "d2", "d3", "d4", "d5"}) Info(m);  // no room: dropped
  Debug("not even formatted: below the level");
  EXPECT_EQ(DroppedLines() - dropped_before, 5u);
  sink->Open();
  Flush();
  Info("after");
  Flush();
  std::vector<std::string> lines = sink->Lines();
  ASSERT_EQ(lines.size(), 6u);
  std::vector<std::string> messages;
  for (const auto& l : lines) messages.push_back(Message(l));
  EXPECT_EQ(messages,
            (std::vector<std::string>{"first", "a1", "a2", "a3", "5 log lines dropped", "after"}));
  EXPECT_NE(lines[4].find(" warn "), std::string::npos) << lines[4];
  EXPECT_EQ(DroppedLines() - dropped_before, 5u);  // the summary is not a new drop
}

TEST_F(LogTest, ErrorsAndWarningsAreNeverDroppedUnderAFloodFromManyThreads) {
  SetQueueCapacity(2);
  std::mutex mu;
  std::vector<std::string> lines;
  SetSink([&](std::string_view line) {
    std::this_thread::sleep_for(std::chrono::microseconds(20));  // a slow disk
    std::lock_guard lock(mu);
    lines.emplace_back(line);
  });
  uint64_t dropped_before = DroppedLines();
  constexpr int kThreads = 8;
  constexpr int kPerThread = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = std::to_string(t) + " " + std::to_string(i);
        if (i % 3 == 0) Error("e " + id);
        if (i % 3 == 1) Warn("w " + id);
        Info("i " + id);
      }
    });
  }
  for (auto& th : threads) th.join();
  Flush();
  uint64_t dropped = DroppedLines() - dropped_before;

  std::lock_guard lock(mu);
  std::map<std::string, int> seen;
  std::map<int, int> last_error_of_thread;
  int infos = 0;
  uint64_t summarized = 0;
  for (const auto& line : lines) {
    std::string m = Message(line);
    if (m.starts_with("i ")) ++infos;
    unsigned long long n = 0;
    if (std::sscanf(m.c_str(), "%llu log lines dropped", &n) == 1) summarized += n;
    if (m.starts_with("e ") || m.starts_with("w ")) {
      ++seen[m];
      if (m[0] == 'e') {
        int t = 0, i = 0;
        ASSERT_EQ(std::sscanf(m.c_str(), "e %d %d", &t, &i), 2);
        auto it = last_error_of_thread.find(t);
        if (it != last_error_of_thread.end()) {
          EXPECT_LT(it->second, i) << "out of order";
        }
        last_error_of_thread[t] = i;
      }
    }
  }
  // Every error and warning, exactly once.
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      std::string id = std::to_string(t) + " " + std::to_string(i);
      if (i % 3 == 0) {
        EXPECT_EQ(seen["e " + id], 1) << id;
      } else if (i % 3 == 1) {
        EXPECT_EQ(seen["w " + id], 1) << id;
      }
    }
  }
  // The flood did overflow the queue, and every info line is written or counted.
  EXPECT_GT(dropped, 0u);
  EXPECT_EQ(static_cast<uint64_t>(infos) + dropped, uint64_t{kThreads * kPerThread});
  EXPECT_EQ(summarized, dropped);
}

// The process ends (std::exit, as main() returning does) with lines still
// queued behind a slow output: the exit hook writes every one.
TEST_F(LogTest, ExitFlushesEveryQueuedLine) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // a fresh process, its own writer
  const std::string path = ::testing::TempDir() + "vault_log_exit_test.log";
  std::remove(path.c_str());
  constexpr int kLines = 300;
  EXPECT_EXIT(
      {
        SetSink([path](std::string_view line) {
          std::this_thread::sleep_for(milliseconds(1));
          if (FILE* f = std::fopen(path.c_str(), "a")) {
            std::fprintf(f, "%.*s\n", static_cast<int>(line.size()), line.data());
            std::fclose(f);
          }
        });
        for (int i = 0; i < kLines; ++i) Info("queued " + std::to_string(i));
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  std::ifstream in(path);
  std::set<std::string> got;
  for (std::string line; std::getline(in, line);) got.insert(Message(line));
  EXPECT_EQ(got.size(), static_cast<size_t>(kLines));
  for (int i = 0; i < kLines; ++i) EXPECT_TRUE(got.count("queued " + std::to_string(i))) << i;
  std::remove(path.c_str());
}

}  // namespace
}  // namespace vault::log

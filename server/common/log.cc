#include "common/log.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vault::log {
namespace {

const char* Name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "?";
}

// Control characters (ANSI escapes, CR, LF, NUL) become \xNN: a line is one
// line, and no text that reached a message can move the cursor or forge
// another line on the terminal or in the file.
std::string Escaped(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char ch : message) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof(hex), "\\x%02x", c);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out;
}

std::string Format(Level level, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  int ms = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  std::string line;
  line.reserve(32 + message.size());
  line += stamp;
  line += ' ';
  line += Name(level);
  line += ' ';
  line += Escaped(message);
  return line;
}

// The queue and the writer. Never destroyed (a detached thread uses it until
// the process ends); the atexit hook flushes it.
class Logger {
 public:
  Logger() {
    std::thread([this] { Run(); }).detach();
    std::atexit([] { log::Flush(); });
  }

  void Push(Level level, std::string line) {
    std::unique_lock lock(mu_);
    if (queue_.size() >= capacity_) {
      if (level < Level::kWarn) {
        ++pending_dropped_;
        dropped_total_.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      not_full_.wait(lock, [&] { return queue_.size() < capacity_; });
    }
    queue_.push_back(std::move(line));
    if (queue_.size() == 1) not_empty_.notify_one();
  }

  // Writes what is queued now, in the calling thread, and returns once every
  // line pushed before the call is written (the writer may hold a batch).
  void Flush() {
    // Once out_mu_ is held no batch is in flight: a line pushed before the
    // call is either written already or still queued; drain the queue here.
    std::lock_guard out(out_mu_);
    WriteBatchLocked();
  }

  void SetSink(std::function<void(std::string_view)> sink) {
    std::lock_guard out(out_mu_);
    WriteBatchLocked();
    sink_ = std::move(sink);
  }

  void SetCapacity(size_t lines) {
    std::lock_guard lock(mu_);
    capacity_ = lines == 0 ? 1 : lines;
    not_full_.notify_all();
  }

  uint64_t Dropped() const { return dropped_total_.load(std::memory_order_relaxed); }

 private:
  void Run() {
    for (;;) {
      {
        std::unique_lock lock(mu_);
        not_empty_.wait(lock, [&] { return !queue_.empty() || pending_dropped_ > 0; });
      }
      std::lock_guard out(out_mu_);
      WriteBatchLocked();
    }
  }

  // Takes everything queued (and the count of lines dropped meanwhile) and
  // writes it. Holding out_mu_ keeps batches in order and the sink serial.
  void WriteBatchLocked() {
    std::deque<std::string> batch;
    uint64_t dropped = 0;
    {
      std::lock_guard lock(mu_);
      batch.swap(queue_);
      dropped = pending_dropped_;
      pending_dropped_ = 0;
      if (!batch.empty()) not_full_.notify_all();
    }
    if (dropped > 0) {
      batch.push_back(Format(Level::kWarn, std::to_string(dropped) + " log lines dropped"));
    }
    if (batch.empty()) return;
    if (sink_) {
      for (const std::string& line : batch) sink_(line);
      return;
    }
    std::string text;
    size_t size = 0;
    for (const std::string& line : batch) size += line.size() + 1;
    text.reserve(size);
    for (const std::string& line : batch) {
      text += line;
      text += '\n';
    }
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }

  std::mutex mu_;  // guards the queue and the counters below
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::string> queue_;
  size_t capacity_ = kDefaultQueueLines;
  uint64_t pending_dropped_ = 0;
  std::atomic<uint64_t> dropped_total_{0};

  std::mutex out_mu_;  // held while a batch is written; guards sink_
  std::function<void(std::string_view)> sink_;
};

Logger& TheLogger() {
  static auto* logger = new Logger();
  return *logger;
}

std::atomic<Level> g_level{Level::kInfo};

}  // namespace

void SetLevel(Level level) { g_level = level; }

bool ParseLevel(std::string_view name, Level* out) {
  for (Level l : {Level::kDebug, Level::kInfo, Level::kWarn, Level::kError}) {
    if (name == Name(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void SetSink(std::function<void(std::string_view)> sink) { TheLogger().SetSink(std::move(sink)); }

void SetQueueCapacity(size_t lines) { TheLogger().SetCapacity(lines); }

void Write(Level level, std::string_view message) {
  if (level < g_level.load()) return;
  TheLogger().Push(level, Format(level, message));
}

void Flush() { TheLogger().Flush(); }

uint64_t DroppedLines() { return TheLogger().Dropped(); }

}  // namespace vault::log

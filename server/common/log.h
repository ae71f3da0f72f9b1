// Structured one-line logging to stderr (or a test's sink). Callers pass
// only non-PII values: routes, ids, codes, counts. Nothing in the vault ever
// logs a request body, a search term or a key. Thread-safe.
//
// Asynchronous: Write() formats the line in the caller (timestamp, level,
// control characters escaped as \xNN) and pushes it to a bounded queue; one
// writer thread, started on the first line, writes the queue out in order
// (to stderr in one write per batch, or line by line to the sink).
// Contracts:
// - An error or warning line is never dropped: when the queue is full its
//   caller blocks until there is room.
// - A debug or info line (the access lines) is dropped when the queue is
//   full, and counted: DroppedLines() is the total since start (/metrics
//   serves it as vault_log_lines_dropped_total), and once room returns the
//   writer writes one warn line "N log lines dropped" after the lines that
//   were queued when they were dropped.
// - Flush() returns once every line queued before the call is written (it
//   writes them in the calling thread if the writer is behind). It runs at
//   exit (atexit), and before every abort and fail-closed exit; callers that
//   end the process otherwise call it first.
// - The sink is called from the writer thread (or a flushing thread), one
//   line at a time, never concurrently; it must not log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace vault::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetLevel(Level level);
bool ParseLevel(std::string_view name, Level* out);
// Replaces the output (default: stderr). Tests capture lines with this. The
// lines queued before the call go to the previous output first.
void SetSink(std::function<void(std::string_view line)> sink);
// Lines the queue holds at most (default kDefaultQueueLines, at least 1).
inline constexpr size_t kDefaultQueueLines = 16384;
void SetQueueCapacity(size_t lines);

void Write(Level level, std::string_view message);
inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

// Writes every line queued before the call; returns when they are written.
void Flush();
// Debug and info lines dropped on a full queue since the process started.
uint64_t DroppedLines();

}  // namespace vault::log

// Structured one-line logging to stderr (or a test's sink). Callers pass
// only non-PII values: routes, ids, codes, counts. Nothing in the vault ever
// logs a request body, a search term or a key. Thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace vault::log {

enum class Level { kDebug, kInfo, kWarn, kError };

void SetLevel(Level level);
bool ParseLevel(std::string_view name, Level* out);
// Replaces the output (default: stderr). Tests capture lines with this.
void SetSink(std::function<void(std::string_view line)> sink);

void Write(Level level, std::string_view message);
inline void Debug(std::string_view m) { Write(Level::kDebug, m); }
inline void Info(std::string_view m) { Write(Level::kInfo, m); }
inline void Warn(std::string_view m) { Write(Level::kWarn, m); }
inline void Error(std::string_view m) { Write(Level::kError, m); }

}  // namespace vault::log

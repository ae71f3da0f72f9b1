// Fuzzes the server config parser (common/config.h: ParseConfig) with
// arbitrary text. Properties: no crash, no uncaught exception; a refusal is
// InvalidArgument "config_invalid" naming the source; an accepted config
// keeps every limit inside its documented range.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/config.h"
#include "fuzz_check.h"

using vault::fuzz::Bytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = vault::ParseConfig(Bytes(data, size), "fuzz.toml");
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == vault::StatusCode::kInvalidArgument, "400");
    FUZZ_CHECK(parsed.status().reason() == "config_invalid", "refusal reason");
    FUZZ_CHECK(parsed.status().message().starts_with("fuzz.toml"), "names the file");
    return 0;
  }
  const vault::Config& c = *parsed;
  FUZZ_CHECK(c.port >= 0 && c.port <= 65535, "port");
  FUZZ_CHECK(c.threads >= 1 && c.threads <= 1024, "threads");
  FUZZ_CHECK(c.readers >= 1 && c.readers <= 64, "readers");
  FUZZ_CHECK(c.max_body_bytes >= 1024 && c.max_body_bytes <= (64 << 20), "body limit");
  FUZZ_CHECK(c.max_json_depth >= 2 && c.max_json_depth <= 64, "depth limit");
  FUZZ_CHECK(c.read_timeout_seconds >= 1 && c.write_timeout_seconds >= 1, "timeouts");
  FUZZ_CHECK(c.default_region.size() == 2, "region");
  FUZZ_CHECK(!c.DatabasePath().empty(), "database path");
  return 0;
}

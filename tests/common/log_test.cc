#include "common/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vault::log {
namespace {

TEST(LogTest, ControlCharactersAreEscapedSoALineStaysOneLine) {
  std::vector<std::string> lines;
  SetSink([&](std::string_view line) { lines.emplace_back(line); });
  Info("http GET /x \x1b[31mred\r\n2026-01-01T00:00:00.000Z info forged\x7f!");
  Info(std::string_view("nul\0here", 8));
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

}  // namespace
}  // namespace vault::log

#include "common/text.h"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace vault {
namespace {

constexpr std::size_t kMaxNameLength = 200;  // Bytes, after normalizing.
constexpr std::size_t kMaxReasonCodePoints = 200;

constexpr std::string_view kAsciiWhitespace = " \t\n\v\f\r";

Status NameInvalid() { return InvalidArgument("name is not a valid name", "name_invalid"); }

// Decodes one UTF-8 sequence starting at text[*pos]. On success stores the
// code point in *code_point, advances *pos past the sequence and returns true.
// Returns false (leaving *pos unchanged) on any malformed sequence.
bool DecodeUtf8(std::string_view text, std::size_t* pos, char32_t* code_point) {
  const std::size_t start = *pos;
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(start);
  std::size_t length;
  char32_t cp;
  char32_t min_code_point;
  if (lead < 0x80) {
    *code_point = lead;
    *pos = start + 1;
    return true;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    cp = lead & 0x1F;
    min_code_point = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    cp = lead & 0x0F;
    min_code_point = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    cp = lead & 0x07;
    min_code_point = 0x10000;
  } else {
    return false;  // A continuation byte or 0xF8..0xFF as a lead byte.
  }
  if (text.size() - start < length) {
    return false;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const unsigned char next = byte(start + i);
    if ((next & 0xC0) != 0x80) {
      return false;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min_code_point || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    return false;
  }
  *code_point = cp;
  *pos = start + length;
  return true;
}

// Whitespace that NormalizeName collapses: ASCII whitespace and the Unicode
// space separators (Zs) plus the line and paragraph separators.
bool IsNameWhitespace(char32_t cp) {
  return cp == U' ' || cp == U'\t' || cp == U'\n' || cp == U'\v' || cp == U'\f' || cp == U'\r' ||
         cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Characters a name may not contain: controls (Cc) and the bidirectional
// embedding/override/isolate controls, which can make a name display as
// something other than what is stored.
bool IsForbiddenInName(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  std::size_t pos = 0;
  char32_t cp;
  while (pos < text.size()) {
    if (!DecodeUtf8(text, &pos, &cp)) {
      return false;
    }
  }
  return true;
}

std::string_view TrimAsciiWhitespace(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(kAsciiWhitespace);
  if (begin == std::string_view::npos) {
    return {};
  }
  const std::size_t end = text.find_last_not_of(kAsciiWhitespace);
  return text.substr(begin, end - begin + 1);
}

StatusOr<std::string> NormalizeName(std::string_view input) {
  std::string name;
  name.reserve(input.size() < kMaxNameLength ? input.size() : kMaxNameLength);
  bool pending_space = false;
  std::size_t pos = 0;
  while (pos < input.size()) {
    const std::size_t start = pos;
    char32_t cp;
    if (!DecodeUtf8(input, &pos, &cp)) {
      return NameInvalid();  // Not well-formed UTF-8.
    }
    if (IsNameWhitespace(cp)) {
      pending_space = !name.empty();
      continue;
    }
    if (IsForbiddenInName(cp)) {
      return NameInvalid();
    }
    if (pending_space) {
      name.push_back(' ');
      pending_space = false;
    }
    name.append(input.substr(start, pos - start));
    if (name.size() > kMaxNameLength) {
      return NameInvalid();
    }
  }
  if (name.empty()) {
    return NameInvalid();
  }
  return name;
}

bool IsLowerHex(std::string_view text, size_t digits) {
  return text.size() == digits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<std::string> NormalizeReason(std::string_view reason) {
  const std::string_view trimmed = TrimAsciiWhitespace(reason);
  std::size_t code_points = 0;
  std::size_t pos = 0;
  char32_t cp;
  while (pos < trimmed.size()) {
    if (!DecodeUtf8(trimmed, &pos, &cp)) {
      return std::nullopt;
    }
    ++code_points;
  }
  if (code_points == 0 || code_points > kMaxReasonCodePoints) {
    return std::nullopt;
  }
  return std::string(trimmed);
}

}  // namespace vault

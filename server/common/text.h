// Checks and canonical forms for text that people type: UTF-8 validity,
// trimming, display names, hex ids and the stated reasons of audited actions. Shared
// by every layer that accepts such text (auth, service, the CLI), so a name
// or a reason is held to one rule wherever it enters. Errors never repeat
// the input: these messages reach logs and clients. All functions are pure
// and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace vault {

// True iff `text` is well-formed UTF-8 (RFC 3629): no overlong encodings, no
// surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated
// sequences. The empty string is valid.
bool IsValidUtf8(std::string_view text);

// `text` without leading and trailing ASCII whitespace (" \t\n\v\f\r").
std::string_view TrimAsciiWhitespace(std::string_view text);

// Returns the name trimmed, with each internal run of whitespace (ASCII
// whitespace including tabs and newlines, and the Unicode space separators
// such as U+00A0) collapsed to one ASCII space. Requires valid UTF-8, no
// other control characters (C0, DEL, C1) and no bidirectional embedding,
// override or isolate controls (U+202A..U+202E, U+2066..U+2069), and a result
// of 1..200 bytes. No Unicode normalization (NFC) is applied. Returns
// InvalidArgument (reason "name_invalid") otherwise.
StatusOr<std::string> NormalizeName(std::string_view input);

// True iff `text` is exactly `digits` lower-case hex digits (0-9, a-f): the
// one check for the hex parts of ids, tokens and hashes.
bool IsLowerHex(std::string_view text, size_t digits);

// The stated reason for an audited action (a reveal, an access export):
// `reason` trimmed of ASCII whitespace, if that is valid UTF-8 of 1 to 200
// code points ("é" is one); nullopt otherwise. Callers turn nullopt into
// their own InvalidArgument "reason_required".
std::optional<std::string> NormalizeReason(std::string_view reason);

}  // namespace vault

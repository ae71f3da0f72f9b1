// Small crypto utilities: one-time libsodium start-up, random bytes, and the
// hex and base64url codecs. All functions are thread-safe.
#pragma once

#include <string>

namespace vault::crypto {

// Initialises libsodium once; aborts if it cannot (no usable CSPRNG).
void EnsureSodium();

// `size` random bytes from the CSPRNG, as a plain string (for nonces, ids,
// salts: values that are not secret).
std::string RandomBytes(size_t size);

// Lower-case hex of `bytes`, and back (nullopt-like empty + false on bad hex).
std::string HexEncode(std::string_view bytes);
bool HexDecode(std::string_view hex, std::string* out);

// URL-safe base64 without padding, and back.
std::string Base64UrlEncode(std::string_view bytes);
bool Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace vault::crypto

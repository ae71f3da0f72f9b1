// Blind index: keyed BLAKE2b-256 over a domain-separated, already normalized
// value ("email" 0x00 ‖ value, "phone" 0x00 ‖ value). Equal inputs under one
// key give equal indexes, so exact lookups need no decryption; without the key
// the index reveals nothing but equality. Stateless; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "crypto/secret_bytes.h"

namespace vault::crypto {

inline constexpr size_t kBlindIndexSize = 32;

enum class IndexKind { kEmail, kPhone };

// Keyed BLAKE2b-256 of `domain` 0x00 ‖ `data`: the one keyed digest of the
// vault (blind indexes, request fingerprints). REQUIRES: key.size() == 32.
std::string KeyedDigest(const SecretBytes& key, std::string_view domain, std::string_view data);

// REQUIRES: index_key.size() == 32; `normalized` has passed the service's
// normalizer (NormalizeEmail / NormalizePhone).
std::string BlindIndex(const SecretBytes& index_key, IndexKind kind, std::string_view normalized);

}  // namespace vault::crypto

#include "crypto/blind_index.h"

#include <sodium.h>

#include <cstdlib>

#include "common/log.h"

namespace vault::crypto {

std::string BlindIndex(const SecretBytes& index_key, IndexKind kind, std::string_view normalized) {
  return KeyedDigest(index_key, kind == IndexKind::kEmail ? "email" : "phone", normalized);
}

std::string KeyedDigest(const SecretBytes& key, std::string_view domain, std::string_view data) {
  if (key.size() != crypto_generichash_KEYBYTES) {
    log::Flush();
    std::abort();
  }
  crypto_generichash_state state;
  crypto_generichash_init(&state, key.data(), key.size(), kBlindIndexSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  const unsigned char zero = 0;
  crypto_generichash_update(&state, &zero, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  std::string out(kBlindIndexSize, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()), out.size());
  sodium_memzero(&state, sizeof(state));
  return out;
}

}  // namespace vault::crypto

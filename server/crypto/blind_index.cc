#include "crypto/blind_index.h"

#include <sodium.h>

#include <cstdlib>

namespace vault::crypto {

std::string BlindIndex(const SecretBytes& index_key, IndexKind kind,
                       std::string_view normalized) {
  if (index_key.size() != crypto_generichash_KEYBYTES) std::abort();
  std::string_view domain = kind == IndexKind::kEmail ? "email" : "phone";
  crypto_generichash_state state;
  crypto_generichash_init(&state, index_key.data(), index_key.size(), kBlindIndexSize);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(domain.data()),
                            domain.size());
  const unsigned char zero = 0;
  crypto_generichash_update(&state, &zero, 1);
  crypto_generichash_update(&state,
                            reinterpret_cast<const unsigned char*>(normalized.data()),
                            normalized.size());
  std::string out(kBlindIndexSize, '\0');
  crypto_generichash_final(&state, reinterpret_cast<unsigned char*>(out.data()),
                           out.size());
  sodium_memzero(&state, sizeof(state));
  return out;
}

}  // namespace vault::crypto

#include "crypto/secret_bytes.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "common/log.h"
#include "crypto/util.h"

namespace vault::crypto {

SecretBytes::SecretBytes(size_t size, Storage storage) : size_(size) {
  EnsureSodium();
  if (size == 0) return;
  if (storage == Storage::kInline && size <= kInlineCapacity) {
    data_ = inline_;
    return;  // zeroed by its initializer
  }
  data_ = static_cast<unsigned char*>(sodium_malloc(size));
  if (data_ == nullptr) {
    log::Flush();
    std::abort();  // Can't happen short of memory exhaustion; refuse to go on.
  }
  sodium_memzero(data_, size);
}

SecretBytes SecretBytes::CopyFrom(std::string_view bytes, Storage storage) {
  SecretBytes out(bytes.size(), storage);
  if (!bytes.empty()) std::memcpy(out.data_, bytes.data(), bytes.size());
  return out;
}

SecretBytes SecretBytes::Random(size_t size, Storage storage) {
  SecretBytes out(size, storage);
  if (size > 0) randombytes_buf(out.data_, size);
  return out;
}

void SecretBytes::Release() {
  if (data_ == inline_) {
    sodium_memzero(inline_, sizeof inline_);
  } else if (data_ != nullptr) {
    sodium_free(data_);  // sodium_free wipes first.
  }
  data_ = nullptr;
  size_ = 0;
}

SecretBytes::~SecretBytes() { Release(); }

SecretBytes::SecretBytes(SecretBytes&& other) noexcept { *this = std::move(other); }

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this == &other) return *this;
  Release();
  if (other.data_ == other.inline_) {
    std::memcpy(inline_, other.inline_, other.size_);
    data_ = inline_;
    size_ = other.size_;
    other.Release();  // wipes the source's copy
  } else {
    data_ = other.data_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

bool SecretBytes::Equals(const SecretBytes& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data_, size_) == 0;
}

void WipeString(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace vault::crypto

// SecretBytes: key material in guarded memory (sodium_malloc: guard pages,
// canary, mlock where the OS allows), wiped when freed. Non-copyable, movable.
// No operator<<, no implicit conversions: the bytes are reached only through
// the deliberately named `ExposeSecret()`, so every use is easy to grep.
// Thread-compatible: const access from many threads is safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vault::crypto {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Allocates `size` zeroed bytes. Aborts if guarded memory cannot be had:
  // running without it would silently weaken every key.
  explicit SecretBytes(size_t size);
  // Copies `bytes` into guarded memory. The caller wipes its own copy.
  static SecretBytes CopyFrom(std::string_view bytes);
  // `size` bytes from the CSPRNG.
  static SecretBytes Random(size_t size);

  ~SecretBytes();
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The raw secret. Keep the view no longer than this object.
  std::string_view ExposeSecret() const {
    return {reinterpret_cast<const char*>(data_), size_};
  }
  unsigned char* mutable_data() { return data_; }
  const unsigned char* data() const { return data_; }

  // Constant-time comparison.
  bool Equals(const SecretBytes& other) const;

 private:
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// Overwrites a std::string's bytes (for transient plaintext) before it goes.
void WipeString(std::string& s);

}  // namespace vault::crypto

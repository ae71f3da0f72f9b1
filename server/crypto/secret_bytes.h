// SecretBytes: key material in guarded memory (sodium_malloc: guard pages,
// canary, mlock where the OS allows), wiped when freed. Non-copyable, movable.
//
// Storage::kInline keeps up to 32 bytes inside the object instead, wiped when
// it goes or moves: for the per-record DEKs that live for one request.
// Guarded memory costs 8 system calls and a write lock on the process's
// memory map per allocation (~22 µs, bench Part/SodiumMallocFree32), more
// than the rest of a lookup, and its guard pages protect a 32-byte key from
// nothing the process's other memory is not exposed to as well. Long-lived
// keys (root, KEKs, index and audit keys) stay guarded.
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
  enum class Storage { kGuarded, kInline };
  static constexpr size_t kInlineCapacity = 32;

  SecretBytes() = default;
  // Allocates `size` zeroed bytes. Aborts if guarded memory cannot be had:
  // running without it would silently weaken every key. kInline with more
  // than kInlineCapacity bytes is guarded.
  explicit SecretBytes(size_t size, Storage storage = Storage::kGuarded);
  // Copies `bytes` in. The caller wipes its own copy.
  static SecretBytes CopyFrom(std::string_view bytes, Storage storage = Storage::kGuarded);
  // `size` bytes from the CSPRNG.
  static SecretBytes Random(size_t size, Storage storage = Storage::kGuarded);

  ~SecretBytes();
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The raw secret. Keep the view no longer than this object.
  std::string_view ExposeSecret() const { return {reinterpret_cast<const char*>(data_), size_}; }
  unsigned char* mutable_data() { return data_; }
  const unsigned char* data() const { return data_; }

  // Constant-time comparison.
  bool Equals(const SecretBytes& other) const;

  bool is_inline() const { return data_ == inline_; }

 private:
  void Release();  // wipes and frees; leaves the object empty

  unsigned char* data_ = nullptr;  // inline_, sodium_malloc'd, or null
  size_t size_ = 0;
  alignas(16) unsigned char inline_[kInlineCapacity] = {};
};

// Overwrites a std::string's bytes (for transient plaintext) before it goes.
void WipeString(std::string& s);

}  // namespace vault::crypto

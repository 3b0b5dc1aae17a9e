// SHA-256 (FIPS 180-4), for artifact digests: the plan, the filter, the policy cache key.
//
// Written here rather than taken from libcrypto because sbx-run computes these digests on every
// start: OpenSSL 3's EVP layer loads its configuration and providers first, which cost more than
// the launcher's whole budget for hashing. tests/unit/sha256_test.cc checks it against libcrypto.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sbx {

class Sha256 {
 public:
  Sha256();
  void update(std::string_view bytes);
  std::array<std::uint8_t, 32> finish();
  std::string finishHex();  // finish() as 64 lower-case hex digits

 private:
  void compress(const std::uint8_t* block);
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed so far
};

// The digest of `bytes` as 64 lower-case hex digits.
std::string sha256Hex(std::string_view bytes);

}  // namespace sbx

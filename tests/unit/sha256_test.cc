// sbxc's SHA-256 (common/util/sha256.cc) against the FIPS 180-4 examples and against libcrypto
// on inputs of every length around the block and padding boundaries, fed whole and in pieces.
#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <random>
#include <string>

#include "util/sha256.h"

namespace {

std::string libcryptoHex(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) out += {kHex[digest[i] >> 4], kHex[digest[i] & 15]};
  return out;
}

std::string hex(const std::array<std::uint8_t, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : digest) out += {kHex[b >> 4], kHex[b & 15]};
  return out;
}

}  // namespace

TEST_CASE("sha256: the FIPS 180-4 examples") {
  CHECK(sbx::sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sbx::sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sbx::sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(sbx::sha256Hex(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: equal to libcrypto for every length up to 300 bytes, whole and in pieces") {
  std::mt19937 random(20261130);
  for (std::size_t length = 0; length <= 300; ++length) {
    std::string bytes(length, '\0');
    for (auto& c : bytes) c = static_cast<char>(random());
    CAPTURE(length);
    std::string expected = libcryptoHex(bytes);
    CHECK(sbx::sha256Hex(bytes) == expected);
    sbx::Sha256 pieces;
    for (std::size_t at = 0; at < length;) {
      std::size_t n = std::min<std::size_t>(random() % 70, length - at);
      pieces.update(std::string_view(bytes).substr(at, n));
      at += n;
    }
    CHECK(hex(pieces.finish()) == expected);
  }
}

// SHA-256 (OpenSSL's libcrypto) as lower-case hex: plan digests and the compile cache's keys.
#pragma once
#include <string>
#include <string_view>

namespace sbx::run {

std::string sha256Hex(std::string_view bytes);

}  // namespace sbx::run

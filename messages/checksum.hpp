// The checksum of the vocabulary: artifacts and token hashes are sha256 hex.
#pragma once

#include <string>
#include <string_view>

namespace ce {

/// sha256 of bytes as lower-case hex (OpenSSL EVP). Throws std::runtime_error if OpenSSL fails.
std::string sha256_hex(std::string_view bytes);

}  // namespace ce

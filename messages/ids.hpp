// Identifiers that stay unique across nodes and restarts.
#pragma once

#include <string>
#include <string_view>

namespace ce {

/// Makes ids of the form `<prefix>_<26 chars>`: a ULID (48-bit millisecond
/// time, 80 random bits) in Crockford base32. Ids from one generator sort by
/// creation time; two nodes or two runs collide with negligible probability.
/// Not thread-safe: each actor owns its own generator.
class id_generator {
 public:
  id_generator();
  std::string next(std::string_view prefix);

 private:
  unsigned long long last_ms_ = 0;
  unsigned long long rand_hi_ = 0;  // 16 bits used
  unsigned long long rand_lo_ = 0;  // 64 bits used
};

}  // namespace ce

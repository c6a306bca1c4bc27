#include "messages/ids.hpp"

#include <random>

#include "messages/clock.hpp"

namespace ce {

namespace {
constexpr char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

std::mt19937_64& rng() {
  thread_local std::mt19937_64 gen{std::random_device{}()};
  return gen;
}
}  // namespace

id_generator::id_generator() = default;

std::string id_generator::next(std::string_view prefix) {
  auto ms = static_cast<unsigned long long>(now_ms());
  if (ms > last_ms_) {
    last_ms_ = ms;
    rand_hi_ = rng()() & 0xFFFF;
    rand_lo_ = rng()();
  } else {
    // Same (or earlier) millisecond: increment the random part so ids stay
    // unique and ordered within this generator (the ULID monotonic rule).
    if (++rand_lo_ == 0) rand_hi_ = (rand_hi_ + 1) & 0xFFFF;
  }
  // 128 bits: 48 time | 16 rand_hi | 64 rand_lo -> 26 base32 digits (130 bits).
  unsigned __int128 v = (static_cast<unsigned __int128>(last_ms_ & 0xFFFFFFFFFFFFULL) << 80) |
                        (static_cast<unsigned __int128>(rand_hi_) << 64) | rand_lo_;
  char digits[26];
  for (int i = 25; i >= 0; --i) {
    digits[i] = crockford[static_cast<unsigned>(v & 31)];
    v >>= 5;
  }
  std::string out;
  out.reserve(prefix.size() + 27);
  out.append(prefix);
  out.push_back('_');
  out.append(digits, 26);
  return out;
}

}  // namespace ce

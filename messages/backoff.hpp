// How long to wait before trying again: one formula for every retry loop.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace ce {

/// The wait before attempt `attempt + 1` (1-based): exponential backoff
/// (base · 2^(attempt-1), capped at `ceiling`) with equal jitter — half of it
/// fixed, half random — so that callers failing together do not retry together.
template <class Rng>
std::chrono::milliseconds exponential_backoff(std::chrono::milliseconds base,
                                              std::chrono::milliseconds ceiling, int attempt,
                                              Rng& rng) {
  int64_t cap = ceiling.count();
  int64_t delay = base.count();
  for (int i = 1; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  std::uniform_int_distribution<int64_t> jitter(0, delay / 2);
  return std::chrono::milliseconds(delay - delay / 2 + jitter(rng));
}

}  // namespace ce

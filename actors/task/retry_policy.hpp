// When and how long to wait before a failed step runs again: pure logic.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace ce::task_logic {

/// Retries apply to failures a step marks transient; permanent ones fail at once.
struct retry_policy {
  int max_attempts = 3;  // attempts in all, the first one included; 1: no retry
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{5000};
};

/// True if a step that failed on attempt `attempt` (1-based) runs again.
inline bool should_retry(const retry_policy& policy, int attempt, bool transient) {
  return transient && attempt < policy.max_attempts;
}

/// The wait before attempt `attempt + 1`: exponential backoff
/// (base · 2^(attempt-1), capped at max_delay) with equal jitter — half of it
/// fixed, half random — so that steps failing together do not retry together.
template <class Rng>
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int attempt, Rng& rng) {
  int64_t ceiling = policy.max_delay.count();
  int64_t delay = policy.base_delay.count();
  for (int i = 1; i < attempt && delay < ceiling; ++i) delay *= 2;
  delay = std::min(delay, ceiling);
  std::uniform_int_distribution<int64_t> jitter(0, delay / 2);
  return std::chrono::milliseconds(delay - delay / 2 + jitter(rng));
}

}  // namespace ce::task_logic

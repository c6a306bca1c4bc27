// Limits on what one client may ask of the node: request rates per token and
// per address, concurrent connections per address and in all, WebSocket
// messages per connection. Pure logic with a clock passed in; the sessions apply it.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ce::net {

using limit_clock = std::chrono::steady_clock;

/// A token bucket: `per_second` on average, bursts of up to max(per_second, 1).
class token_bucket {
 public:
  explicit token_bucket(double per_second = 0, limit_clock::time_point now = {});
  /// Zero when one more is allowed at `now` (and it is counted), else how
  /// long until one would be. A rate of 0 allows everything.
  std::chrono::milliseconds take(limit_clock::time_point now);
  /// Full again: idle long enough that it remembers nothing.
  bool full(limit_clock::time_point now) const;

 private:
  double rate_;
  double capacity_;
  double tokens_;
  limit_clock::time_point last_;
};

/// One token bucket per key (a token's hash, an address); thread-safe.
class rate_limiter {
 public:
  explicit rate_limiter(double per_second) : per_second_(per_second) {}
  bool enabled() const { return per_second_ > 0; }
  double rate() const { return per_second_; }
  std::chrono::milliseconds take(const std::string& key, limit_clock::time_point now);

 private:
  double per_second_;
  std::mutex mutex_;
  std::unordered_map<std::string, token_bucket> buckets_;
};

/// Concurrent connections per address and in all; thread-safe.
class connection_limits : public std::enable_shared_from_this<connection_limits> {
 public:
  /// 0: no limit.
  connection_limits(std::size_t per_address, std::size_t total)
      : per_address_(per_address), total_limit_(total) {}
  /// A slot for one connection from `address`, given back when the last copy
  /// of the handle is gone; null when a limit is reached: `why` says which,
  /// `node_full` whether it is the node's total (else the address's share).
  std::shared_ptr<void> admit(const std::string& address, std::string& why, bool& node_full);
  std::size_t open() const;

 private:
  void release(const std::string& address);
  std::size_t per_address_;
  std::size_t total_limit_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> by_address_;
  std::size_t total_ = 0;
};

/// A rate for a sentence: "5", "0.5".
std::string rate_text(double per_second);

/// Retry-After for a wait: whole seconds, at least 1.
long retry_after_seconds(std::chrono::milliseconds wait);

}  // namespace ce::net

#include "net/limits.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ce::net {

token_bucket::token_bucket(double per_second, limit_clock::time_point now)
    : rate_(per_second),
      capacity_(std::max(per_second, 1.0)),
      tokens_(std::max(per_second, 1.0)),
      last_(now) {}

std::chrono::milliseconds token_bucket::take(limit_clock::time_point now) {
  if (rate_ <= 0) return std::chrono::milliseconds(0);
  if (now > last_) {
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(capacity_, tokens_ + elapsed.count() * rate_);
    last_ = now;
  }
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return std::chrono::milliseconds(0);
  }
  auto wait_s = (1 - tokens_) / rate_;
  return std::chrono::milliseconds(static_cast<long>(std::ceil(wait_s * 1000)));
}

bool token_bucket::full(limit_clock::time_point now) const {
  if (rate_ <= 0) return true;
  std::chrono::duration<double> elapsed = now - last_;
  return tokens_ + elapsed.count() * rate_ >= capacity_;
}

std::chrono::milliseconds rate_limiter::take(const std::string& key, limit_clock::time_point now) {
  if (!enabled()) return std::chrono::milliseconds(0);
  std::lock_guard<std::mutex> lock(mutex_);
  // Forget keys that are idle again, so many one-off clients do not pile up.
  if (buckets_.size() > 10000)
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.full(now) ? buckets_.erase(it) : std::next(it);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) it = buckets_.emplace(key, token_bucket{per_second_, now}).first;
  return it->second.take(now);
}

std::shared_ptr<void> connection_limits::admit(const std::string& address, std::string& why,
                                               bool& node_full) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    node_full = total_limit_ > 0 && total_ >= total_limit_;
    if (node_full) {
      why = "the node serves " + std::to_string(total_limit_) +
            " connections, the most allowed; try again later";
      return nullptr;
    }
    auto& mine = by_address_[address];
    if (per_address_ > 0 && mine >= per_address_) {
      if (mine == 0) by_address_.erase(address);
      why = "this address holds " + std::to_string(per_address_) +
            " connections, the most allowed; close one first";
      return nullptr;
    }
    ++mine;
    ++total_;
  }
  // Not null, owns nothing: its deleter gives the slot back.
  auto self = shared_from_this();
  return std::shared_ptr<void>(static_cast<void*>(this),
                               [self, address](void*) { self->release(address); });
}

void connection_limits::release(const std::string& address) {
  std::lock_guard<std::mutex> lock(mutex_);
  --total_;
  auto it = by_address_.find(address);
  if (it != by_address_.end() && --it->second == 0) by_address_.erase(it);
}

std::size_t connection_limits::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return total_;
}

std::string rate_text(double per_second) {
  std::ostringstream out;
  out << per_second;  // shortest form for the usual values: 5, 0.5, 12.5
  return out.str();
}

long retry_after_seconds(std::chrono::milliseconds wait) {
  return std::max<long>(1, static_cast<long>((wait.count() + 999) / 1000));
}

}  // namespace ce::net

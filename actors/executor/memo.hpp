// A bounded, thread-safe memo for deterministic work: the same key always
// yields the same immutable value, so a value once made is shared by pointer
// between every step (on any actor thread) that asks for it again.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

namespace ce::executor {

template <class Value>
class bounded_memo {
 public:
  using value_ptr = std::shared_ptr<const Value>;

  explicit bounded_memo(std::size_t capacity) : capacity_(capacity) {}

  /// The value for `key`, made by `make()` the first time. `make` runs outside the lock:
  /// two threads missing at once may both make it, and both get an equal value. The least
  /// recently used entry leaves when the memo is full.
  template <class Make>
  value_ptr get_or_make(const std::string& key, Make&& make) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (auto it = index_.find(key); it != index_.end()) {
        order_.splice(order_.begin(), order_, it->second);
        ++hits_;
        return it->second->second;
      }
      ++misses_;
    }
    value_ptr made = std::make_shared<const Value>(make());
    std::lock_guard<std::mutex> guard(mutex_);
    if (index_.count(key) || capacity_ == 0) return made;
    order_.emplace_front(key, made);
    index_.emplace(key, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    return made;
  }

  struct counters {
    std::size_t hits = 0, misses = 0, entries = 0;
  };
  counters stats() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return {hits_, misses_, order_.size()};
  }

 private:
  using entry = std::pair<std::string, value_ptr>;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::list<entry> order_;  // most recently used first
  std::unordered_map<std::string, typename std::list<entry>::iterator> index_;
  std::size_t hits_ = 0, misses_ = 0;
};

}  // namespace ce::executor

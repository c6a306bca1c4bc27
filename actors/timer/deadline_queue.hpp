// Deadlines of many owners in one ordered queue: pure logic, no actors.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace ce::timer {

/// Armed deadlines ordered by due time. An owner (a task actor) arms tokens
/// and disarms all of its own at once when it ends; what comes due is taken
/// out in due order.
template <class Owner, class TimePoint>
class deadline_queue {
 public:
  struct entry {
    Owner owner;
    uint64_t token = 0;
  };

  void arm(Owner owner, uint64_t token, TimePoint due) {
    due_.emplace(due, entry{std::move(owner), token});
  }

  /// Forgets every deadline of `owner`; returns how many there were.
  std::size_t disarm(const Owner& owner) {
    std::size_t removed = 0;
    for (auto it = due_.begin(); it != due_.end();) {
      if (it->second.owner == owner) {
        it = due_.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
    return removed;
  }

  /// Removes and returns the deadlines due at or before `now`, earliest first.
  std::vector<entry> take_due(TimePoint now) {
    std::vector<entry> out;
    auto end = due_.upper_bound(now);
    for (auto it = due_.begin(); it != end; ++it) out.push_back(std::move(it->second));
    due_.erase(due_.begin(), end);
    return out;
  }

  bool empty() const { return due_.empty(); }
  TimePoint earliest() const { return due_.begin()->first; }  // only when not empty
  std::size_t size() const { return due_.size(); }

 private:
  std::multimap<TimePoint, entry> due_;
};

}  // namespace ce::timer

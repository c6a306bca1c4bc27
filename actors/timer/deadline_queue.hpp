// Deadlines of many owners in one ordered queue: pure logic, no actors.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <unordered_map>
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
    auto it = due_.emplace(due, entry{owner, token});
    by_owner_[std::move(owner)].push_back(it);
  }

  /// Forgets every deadline of `owner` (only those, not a scan of all);
  /// returns how many there were.
  std::size_t disarm(const Owner& owner) {
    auto found = by_owner_.find(owner);
    if (found == by_owner_.end()) return 0;
    auto removed = found->second.size();
    for (auto it : found->second) due_.erase(it);
    by_owner_.erase(found);
    return removed;
  }

  /// Removes and returns the deadlines due at or before `now`, earliest first.
  std::vector<entry> take_due(TimePoint now) {
    std::vector<entry> out;
    auto end = due_.upper_bound(now);
    for (auto it = due_.begin(); it != end; ++it) {
      forget(it);
      out.push_back(std::move(it->second));
    }
    due_.erase(due_.begin(), end);
    return out;
  }

  bool empty() const { return due_.empty(); }
  TimePoint earliest() const { return due_.begin()->first; }  // only when not empty
  std::size_t size() const { return due_.size(); }

 private:
  using position = typename std::multimap<TimePoint, entry>::iterator;

  /// Drops a deadline from its owner's index (it is about to leave due_).
  void forget(position it) {
    auto found = by_owner_.find(it->second.owner);
    if (found == by_owner_.end()) return;
    auto& list = found->second;
    list.erase(std::find(list.begin(), list.end(), it));
    if (list.empty()) by_owner_.erase(found);
  }

  std::multimap<TimePoint, entry> due_;
  std::unordered_map<Owner, std::vector<position>> by_owner_;  // a few per owner
};

}  // namespace ce::timer

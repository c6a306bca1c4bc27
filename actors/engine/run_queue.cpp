#include "actors/engine/run_queue.hpp"

namespace ce::engine {

namespace {

/// critical -> 0 ... low -> 3: the map's order is the start order.
int rank(priority p) {
  return static_cast<int>(priority::critical) - static_cast<int>(p);
}

}  // namespace

bool run_queue::has_slot_for(const std::string& user) const {
  if (max_running_ > 0 && running_.size() >= max_running_) return false;
  if (max_per_user_ == 0) return true;
  auto it = running_by_user_.find(user);
  return it == running_by_user_.end() || it->second < max_per_user_;
}

void run_queue::occupy(const std::string& task_id, const std::string& user) {
  if (running_.emplace(task_id, user).second) ++running_by_user_[user];
}

void run_queue::release(const std::string& task_id) {
  auto it = running_.find(task_id);
  if (it == running_.end()) return;
  auto user = running_by_user_.find(it->second);
  if (user != running_by_user_.end() && --user->second == 0) running_by_user_.erase(user);
  running_.erase(it);
}

std::size_t run_queue::enqueue(const std::string& task_id, const std::string& user, priority prio,
                               uint64_t arrival) {
  key k{rank(prio), arrival};
  queue_[k] = {task_id, user};
  queued_keys_[task_id] = k;
  return position(task_id);
}

bool run_queue::remove(const std::string& task_id) {
  auto it = queued_keys_.find(task_id);
  if (it == queued_keys_.end()) return false;
  queue_.erase(it->second);
  queued_keys_.erase(it);
  return true;
}

std::optional<std::string> run_queue::next_to_start() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (!has_slot_for(it->second.user)) {
      if (max_running_ > 0 && running_.size() >= max_running_) return std::nullopt;
      continue;  // this user is at their cap; someone behind may start
    }
    auto task_id = it->second.task_id;
    queued_keys_.erase(task_id);
    queue_.erase(it);
    return task_id;
  }
  return std::nullopt;
}

std::size_t run_queue::position(const std::string& task_id) const {
  auto found = queued_keys_.find(task_id);
  if (found == queued_keys_.end()) return 0;
  std::size_t place = 1;
  for (auto it = queue_.begin(); it != queue_.end() && it->first < found->second; ++it) ++place;
  return place;
}

}  // namespace ce::engine

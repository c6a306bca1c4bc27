// Which executions run now and which wait: pure logic, no actors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>

#include "messages/domain.hpp"

namespace ce::engine {

/// Running slots and the queue in front of them. At most `max_running`
/// executions run at once and at most `max_per_user` of one user (0: no
/// limit); the rest wait, critical before high before medium before low and
/// first come first served within a priority. A user at their cap does not
/// block the users behind them.
class run_queue {
 public:
  run_queue(std::size_t max_running = 0, std::size_t max_per_user = 0)
      : max_running_(max_running), max_per_user_(max_per_user) {}

  /// True if an execution of `user` may start now.
  bool has_slot_for(const std::string& user) const;
  /// An execution holds a slot (from now until released).
  void occupy(const std::string& task_id, const std::string& user);
  /// Frees the task's slot, if it holds one.
  void release(const std::string& task_id);
  bool holds_slot(const std::string& task_id) const { return running_.count(task_id) > 0; }

  /// Puts an execution in the queue; returns its position (1: next).
  std::size_t enqueue(const std::string& task_id, const std::string& user, priority prio,
                      uint64_t arrival);
  /// Takes a task out of the queue (cancelled); false if it was not queued.
  bool remove(const std::string& task_id);
  /// The next queued execution that may start now (removed from the queue), if any.
  std::optional<std::string> next_to_start();

  /// 1-based place in the queue; 0 if not queued.
  std::size_t position(const std::string& task_id) const;
  std::size_t queued() const { return queue_.size(); }
  std::size_t running() const { return running_.size(); }

 private:
  // Sorted by (priority rank, arrival): critical first, then oldest first.
  using key = std::tuple<int, uint64_t>;
  struct waiting {
    std::string task_id;
    std::string user;
  };
  std::size_t max_running_;
  std::size_t max_per_user_;
  std::map<key, waiting> queue_;
  std::unordered_map<std::string, key> queued_keys_;      // task id -> its key
  std::unordered_map<std::string, std::string> running_;  // task id -> user
  std::unordered_map<std::string, std::size_t> running_by_user_;
};

}  // namespace ce::engine

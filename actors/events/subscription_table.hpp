// Who wants which task's events: pure logic, no actors.
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "messages/event_sink.hpp"

namespace ce::events {

/// Subscriptions of sinks to task ids, with "*" meaning every task.
class subscription_table {
 public:
  static constexpr const char* every_task = "*";

  /// Events with seq <= after are not delivered to this subscription (the
  /// subscriber got them from a replay).
  void add(const event_sink_ptr& sink, const std::string& task_id, uint64_t after = 0);
  void remove(const event_sink_ptr& sink, const std::string& task_id);
  /// Removes every subscription of the sink.
  void drop(const event_sink_ptr& sink);
  /// The sinks an event of this task with this seq goes to, each once.
  std::vector<event_sink*> targets(const std::string& task_id, uint64_t seq) const;
  /// Number of (sink, task) pairs.
  std::size_t size() const { return pairs_; }

 private:
  std::unordered_map<std::string, std::unordered_map<event_sink_ptr, uint64_t>> by_task_;
  std::unordered_map<event_sink_ptr, std::unordered_set<std::string>> by_sink_;
  std::size_t pairs_ = 0;
};

}  // namespace ce::events

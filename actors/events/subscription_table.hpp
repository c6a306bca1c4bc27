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

  void add(const event_sink_ptr& sink, const std::string& task_id);
  void remove(const event_sink_ptr& sink, const std::string& task_id);
  /// Removes every subscription of the sink.
  void drop(const event_sink_ptr& sink);
  /// The sinks an event of this task goes to, each once.
  std::vector<event_sink*> targets(const std::string& task_id) const;
  /// Number of (sink, task) pairs.
  std::size_t size() const { return pairs_; }

private:
  std::unordered_map<std::string, std::unordered_set<event_sink_ptr>> by_task_;
  std::unordered_map<event_sink_ptr, std::unordered_set<std::string>> by_sink_;
  std::size_t pairs_ = 0;
};

}  // namespace ce::events

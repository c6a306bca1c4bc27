// Who wants which task's events: pure logic, no actors.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "messages/event_sink.hpp"

namespace ce::events {

/// Subscriptions of sinks to task ids, with "*" meaning every task. The table
/// holds its sinks weakly: a connection that goes away without unsubscribing
/// is not kept alive by it, and its entries go the next time they are met.
class subscription_table {
 public:
  static constexpr const char* every_task = "*";

  /// Events with seq <= after are not delivered to this subscription (the
  /// subscriber got them from a replay).
  void add(const event_sink_ptr& sink, const std::string& task_id, uint64_t after = 0);
  void remove(const event_sink_ptr& sink, const std::string& task_id);
  /// Removes every subscription of the sink.
  void drop(const event_sink_ptr& sink);
  /// The live sinks an event of this task with this seq goes to, each once.
  /// Entries of sinks that no longer exist are removed on the way.
  std::vector<event_sink_ptr> targets(const std::string& task_id, uint64_t seq);
  /// Number of (sink, task) pairs.
  std::size_t size() const { return pairs_; }

 private:
  using sink_key = const event_sink*;
  struct subscription {
    std::weak_ptr<event_sink> sink;
    uint64_t after = 0;
  };
  struct sink_entry {
    std::weak_ptr<event_sink> sink;
    std::unordered_set<std::string> task_ids;
  };
  void drop(sink_key key);

  std::unordered_map<std::string, std::unordered_map<sink_key, subscription>> by_task_;
  std::unordered_map<sink_key, sink_entry> by_sink_;
  std::size_t pairs_ = 0;
};

}  // namespace ce::events

// The engine's records of tasks, plans, results and artifacts: pure logic.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "messages/domain.hpp"
#include "messages/protocol.hpp"

namespace ce::engine {

/// Everything the node knows about one task.
struct task_record {
  task current;
  std::vector<execution_result> results;  // in completion order
  verification_result verification;
  bool has_verification = false;
  std::map<std::string, artifact> artifacts;  // by name, latest version
};

/// Tasks in creation order with their plans and outputs; answers filtered,
/// paginated reads and keeps statistics up to date incrementally.
class task_registry {
public:
  /// Adds a new task. Its id must be unused.
  void add(task t);
  /// Replaces a task's state (status, result, refs). Unknown ids are ignored.
  void update(const task& t, timestamp_ms now);

  task_record* find(const std::string& task_id);
  const task_record* find(const std::string& task_id) const;

  void put_plan(plan p);
  plan* find_plan(const std::string& plan_id);

  void add_result(const std::string& task_id, execution_result r);
  void set_verification(const std::string& task_id, verification_result v);

  /// Newest first. Returns false when the cursor is malformed.
  bool list(const task_query& query, task_page& out) const;

  /// Statistics at time `now`.
  engine_statistics statistics(timestamp_ms now) const;

  std::size_t size() const { return order_.size(); }

  /// Tasks a crash interrupted: neither pending nor terminal, in creation order.
  std::vector<std::string> interrupted() const;
  std::size_t plan_count() const { return plans_.size(); }

private:
  std::unordered_map<std::string, task_record> tasks_;
  std::vector<std::string> order_;  // creation order
  std::unordered_map<std::string, plan> plans_;
  // incremental statistics
  std::map<task_status, uint64_t> by_status_;
  std::map<task_type, uint64_t> by_type_;
  std::map<priority, uint64_t> by_priority_;
  uint64_t finished_ = 0;     // completed + failed
  uint64_t completed_ = 0;
  uint64_t terminal_ = 0;
  double duration_sum_ms_ = 0;  // over completed + failed
  mutable std::deque<timestamp_ms> recent_finishes_;  // last 60 s
};

std::string make_task_cursor(uint64_t position);
bool parse_task_cursor(const std::string& text, uint64_t& position);

}  // namespace ce::engine

// The engine's records of tasks, plans, results and artifacts: pure logic.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/store/sqlite_store.hpp"
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
  /// Bytes of its artifacts by sha256, while held here (always without a store; with one,
  /// until the task ends: the store has them).
  std::map<std::string, shared<std::string>> bytes;
};

/// How long terminal tasks stay in memory once a store can give them back.
struct retention {
  bool enabled = false;  // false: everything stays (memory-only mode)
  // At most this many terminal tasks and standalone plans (but the one just
  // finished or read stays until the next one, even with 0).
  std::size_t terminal_tasks = 1000;
  timestamp_ms max_age_ms = 3600 * 1000;  // none older than this (since it ended / was read)
};

/// The tasks a node holds in memory with their plans and outputs, and
/// statistics over every task it ever had, kept up to date incrementally.
/// Active tasks always stay; terminal ones leave after the retention limits
/// (read back from the store on demand). Without retention it keeps
/// everything and answers lists itself.
class task_registry {
 public:
  explicit task_registry(retention keep = {}) : keep_(keep) {}

  /// Adds a new task. Its id must be unused.
  void add(task t);
  /// Starts the totals from the store's (tasks not in memory count too).
  void seed(const store::task_totals& totals);
  /// Puts an active task read back at start into memory (already counted by seed).
  void restore(stored_task t);
  /// Puts a task read back from the store into memory for a while (already
  /// counted); ignored if it is there.
  void admit(stored_task t, timestamp_ms now);
  /// Same for a plan read back from the store.
  void admit_plan(plan p, timestamp_ms now);
  /// Replaces a task's state (status, result, refs). Unknown ids are ignored.
  void update(const task& t, timestamp_ms now);

  task_record* find(const std::string& task_id);
  const task_record* find(const std::string& task_id) const;

  /// Inserts or replaces a plan (timestamps the retention of a standalone one).
  void put_plan(plan p, timestamp_ms now);
  /// Same for a snapshot shared with others (no copy).
  void put_plan(shared<plan> p, timestamp_ms now);
  const plan* find_plan(const std::string& plan_id) const;
  /// The held snapshot of a plan, shared (no copy); nullopt if not held.
  std::optional<shared<plan>> shared_plan(const std::string& plan_id) const;

  void add_result(const std::string& task_id, execution_result r,
                  const std::vector<stored_blob>& blobs = {});
  void set_verification(const std::string& task_id, verification_result v);

  /// Newest first. Returns false when the cursor is malformed. Only without
  /// retention (with it, lists come from the store).
  bool list(const task_query& query, task_page& out) const;

  /// Statistics at time `now`.
  engine_statistics statistics(timestamp_ms now) const;

  /// Pending tasks (created, not executed): all of them, and one user's.
  uint64_t pending_total() const;
  uint64_t pending_of(const std::string& user_id) const;
  /// Every task the node has, in memory or not.
  uint64_t total_tasks() const { return total_tasks_; }
  /// Tasks and plans held in memory now.
  std::size_t tasks_in_memory() const { return tasks_.size(); }
  std::size_t plans_in_memory() const { return plans_.size(); }

  /// Tasks a crash interrupted: neither pending nor terminal, in creation order.
  std::vector<std::string> interrupted() const;

 private:
  /// Lets terminal tasks and standalone plans go beyond the retention limits,
  /// oldest first, but not `just_touched` (which the caller still reads).
  void evict(timestamp_ms now, const std::string& just_touched = {});
  /// Starts (or restarts) the retention clock of a terminal task or standalone plan.
  void retain(const std::string& id, bool is_plan, timestamp_ms now);
  void insert_stored(stored_task t);

  struct retained_entry {
    std::string id;
    bool is_plan = false;
    timestamp_ms since = 0;
    uint64_t stamp = 0;  // matches retained_stamps_ unless retained again since
  };
  retention keep_;
  std::unordered_map<std::string, task_record> tasks_;
  std::vector<std::string> order_;  // creation order; only without retention
  std::unordered_map<std::string, shared<plan>> plans_;
  std::deque<retained_entry> retained_;                        // oldest first
  std::unordered_map<std::string, uint64_t> retained_stamps_;  // id -> current stamp
  uint64_t next_stamp_ = 0;
  uint64_t total_tasks_ = 0;
  uint64_t total_plans_ = 0;
  /// Pending tasks per user; pending tasks always stay in memory.
  std::unordered_map<std::string, uint64_t> pending_by_user_;
  void count_pending(const task& t, int64_t delta);
  // incremental statistics
  std::map<task_status, uint64_t> by_status_;
  std::map<task_type, uint64_t> by_type_;
  std::map<priority, uint64_t> by_priority_;
  uint64_t finished_ = 0;  // completed + failed
  uint64_t completed_ = 0;
  uint64_t terminal_ = 0;
  double duration_sum_ms_ = 0;                        // over completed + failed
  mutable std::deque<timestamp_ms> recent_finishes_;  // last 60 s
};

std::string make_task_cursor(uint64_t position);
bool parse_task_cursor(const std::string& text, uint64_t& position);

}  // namespace ce::engine

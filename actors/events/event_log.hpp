// The node's event history: pure logic, no actors.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "messages/domain.hpp"
#include "messages/protocol.hpp"

namespace ce::events {

/// Appends events with a strictly increasing per-node `seq` and answers
/// per-task and global reads. Ids are "evt_<node>_<seq>": unique across nodes,
/// and across restarts once the seq continues from the store.
///
/// With a window (`max_events` > 0) only the newest events stay; the reads
/// say whether memory can answer them (holds_task, holds_after) and the
/// store answers the rest.
class event_log {
 public:
  explicit event_log(std::string node_id, uint64_t next_seq = 1, std::size_t max_events = 0);

  /// Starts from a store holding `stored` events in all, of which `newest`
  /// (in seq order) are kept in memory; seqs continue after `last_seq`.
  void start_from_store(uint64_t stored, uint64_t last_seq, std::vector<event> newest);

  /// True if memory holds every event of the task.
  bool holds_task(const std::string& task_id) const;
  /// True if memory holds every event with seq > since.
  bool holds_after(uint64_t since) const;
  /// Events ever appended, including those only in the store.
  uint64_t total() const { return total_; }

  /// Stamps id, seq and (if unset) timestamp, stores the event, returns it.
  const event& append(event e, timestamp_ms now);

  /// Stamps id, seq and (if unset) timestamp without storing: the event
  /// becomes readable with append_stamped once it is durable.
  event stamp(event e, timestamp_ms now);
  /// Stores an event stamped before (in seq order) or read back from the store.
  void append_stamped(event e);

  /// The task's events with seq > since, oldest first.
  std::vector<event> for_task(const std::string& task_id, uint64_t since) const;

  /// Every event with seq > since, oldest first.
  std::vector<event> after(uint64_t since) const;

  /// True if any event of the task is in memory.
  bool knows_task(const std::string& task_id) const { return by_task_.count(task_id) > 0; }

  /// One page of all events (optionally of one task or type), newest first.
  /// Returns false (and leaves `out` alone) when the cursor is malformed.
  bool page(const event_query& query, event_page& out) const;

  /// Events held in memory (holes left by failed commits included).
  uint64_t size() const { return events_.size(); }
  uint64_t last_seq() const { return next_seq_ - 1; }
  /// Highest seq that is readable (durable); stamped events may be above it.
  uint64_t last_appended_seq() const { return last_appended_; }

 private:
  std::string node_id_;
  uint64_t next_seq_;
  uint64_t first_seq_;  // seq of events_.front()
  uint64_t last_appended_ = 0;
  std::size_t max_events_;  // 0: keep all
  uint64_t total_ = 0;
  uint64_t complete_from_ = 0;  // every event with seq >= this is in memory
  std::deque<event> events_;    // in seq order
  std::unordered_map<std::string, std::deque<uint64_t>> by_task_;  // task id -> seqs
  std::unordered_set<std::string> partial_;  // tasks whose older events left memory
  const event* at_seq(uint64_t seq) const;
  void drop_oldest();
};

/// Cursor text for "continue below this seq" (opaque to clients).
std::string make_event_cursor(uint64_t seq);
bool parse_event_cursor(const std::string& text, uint64_t& seq);

}  // namespace ce::events

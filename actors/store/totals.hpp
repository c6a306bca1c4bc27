// Statistics of one user's tasks: the same figures /api/statistics gives for
// the node, computed from totals. Pure logic.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "actors/store/sqlite_store.hpp"
#include "messages/protocol.hpp"

namespace ce::store {

/// The totals of these tasks as of `now` (plans and events left 0).
task_totals totals_of(const std::vector<task>& tasks, timestamp_ms now);

/// Counts behind the statistics, however they were gathered.
struct task_counts {
  std::map<task_status, uint64_t> by_status;
  std::map<task_type, uint64_t> by_type;
  std::map<priority, uint64_t> by_priority;
  uint64_t total = 0;
  uint64_t terminal = 0;
  uint64_t finished = 0;  // completed + failed
  uint64_t completed = 0;
  double duration_sum_ms = 0;  // over completed + failed
  uint64_t finishes_last_minute = 0;
};

/// The statistics these counts stand for: counts by status, type and priority
/// (those above zero), average duration and success rate over the tasks that
/// finished executing, throughput over the last minute, queue figures.
engine_statistics statistics_from(const task_counts& counts);

/// The same for totals, as of `now`; plans and events come from the totals.
engine_statistics statistics_of(const task_totals& totals, timestamp_ms now);

}  // namespace ce::store

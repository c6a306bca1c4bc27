// Statistics of one user's tasks: the same figures /api/statistics gives for
// the node, computed from totals. Pure logic.
#pragma once

#include <vector>

#include "actors/store/sqlite_store.hpp"
#include "messages/protocol.hpp"

namespace ce::store {

/// The totals of these tasks as of `now` (plans and events left 0).
task_totals totals_of(const std::vector<task>& tasks, timestamp_ms now);

/// The statistics these totals stand for, as of `now`: counts by status,
/// type and priority, average duration and success rate over the tasks that
/// finished executing, throughput over the last minute, queue figures.
engine_statistics statistics_of(const task_totals& totals, timestamp_ms now);

}  // namespace ce::store

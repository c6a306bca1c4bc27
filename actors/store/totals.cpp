#include "actors/store/totals.hpp"

#include <algorithm>
#include <map>
#include <tuple>

namespace ce::store {

task_totals totals_of(const std::vector<task>& tasks, timestamp_ms now) {
  task_totals out;
  std::map<std::tuple<task_status, task_type, priority>, uint64_t> groups;
  for (const auto& t : tasks) {
    ++groups[{t.status, t.type, t.prio}];
    if (t.status == task_status::completed || t.status == task_status::failed)
      out.duration_sum_ms += static_cast<double>(t.completed_at - t.created_at);
    if (is_terminal(t.status) && t.completed_at >= now - 60000)
      out.recent_finishes.push_back(t.completed_at);
  }
  for (const auto& [key, n] : groups)
    out.groups.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n});
  std::sort(out.recent_finishes.begin(), out.recent_finishes.end());
  return out;
}

engine_statistics statistics_of(const task_totals& totals, timestamp_ms now) {
  std::map<task_status, uint64_t> by_status;
  std::map<task_type, uint64_t> by_type;
  std::map<priority, uint64_t> by_priority;
  engine_statistics s;
  uint64_t finished = 0, completed = 0;
  for (const auto& g : totals.groups) {
    by_status[g.status] += g.count;
    by_type[g.type] += g.count;
    by_priority[g.prio] += g.count;
    s.total_tasks += g.count;
    if (is_terminal(g.status)) s.terminal_tasks += g.count;
    if (g.status == task_status::completed || g.status == task_status::failed) finished += g.count;
    if (g.status == task_status::completed) completed += g.count;
  }
  for (auto [status, n] : by_status) s.by_status.push_back({std::string(to_string(status)), n});
  for (auto [type, n] : by_type) s.by_type.push_back({std::string(to_string(type)), n});
  for (auto [prio, n] : by_priority) s.by_priority.push_back({std::string(to_string(prio)), n});
  // As the node's figures: a percentage over the tasks that finished executing.
  s.average_duration_ms = finished ? totals.duration_sum_ms / static_cast<double>(finished) : 0;
  s.success_rate =
      finished ? 100.0 * static_cast<double>(completed) / static_cast<double>(finished) : 0;
  auto count = [&](task_status st) {
    auto it = by_status.find(st);
    return it == by_status.end() ? uint64_t{0} : it->second;
  };
  s.running_tasks =
      count(task_status::planning) + count(task_status::executing) + count(task_status::verifying);
  s.queue_depth = count(task_status::queued);
  s.awaiting_approval = count(task_status::awaiting_approval);
  s.throughput_per_minute = static_cast<double>(
      std::count_if(totals.recent_finishes.begin(), totals.recent_finishes.end(),
                    [&](timestamp_ms at) { return at >= now - 60000; }));
  s.plans = totals.plans;
  s.events = totals.events;
  return s;
}

}  // namespace ce::store

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

engine_statistics statistics_from(const task_counts& counts) {
  engine_statistics s;
  s.total_tasks = counts.total;
  for (auto [status, n] : counts.by_status)
    if (n > 0) s.by_status.push_back({std::string(to_string(status)), n});
  for (auto [type, n] : counts.by_type)
    if (n > 0) s.by_type.push_back({std::string(to_string(type)), n});
  for (auto [prio, n] : counts.by_priority)
    if (n > 0) s.by_priority.push_back({std::string(to_string(prio)), n});
  s.terminal_tasks = counts.terminal;
  // A percentage over the tasks that finished executing, as the original counted it:
  // cancelled tasks are neither a success nor a failure.
  const auto finished = static_cast<double>(counts.finished);
  s.average_duration_ms = counts.finished ? counts.duration_sum_ms / finished : 0;
  s.success_rate = counts.finished ? 100.0 * static_cast<double>(counts.completed) / finished : 0;
  auto count = [&](task_status st) {
    auto it = counts.by_status.find(st);
    return it == counts.by_status.end() ? uint64_t{0} : it->second;
  };
  s.running_tasks =
      count(task_status::planning) + count(task_status::executing) + count(task_status::verifying);
  s.queue_depth = count(task_status::queued);
  s.awaiting_approval = count(task_status::awaiting_approval);
  s.throughput_per_minute = static_cast<double>(counts.finishes_last_minute);
  return s;
}

engine_statistics statistics_of(const task_totals& totals, timestamp_ms now) {
  task_counts counts;
  for (const auto& g : totals.groups) {
    counts.by_status[g.status] += g.count;
    counts.by_type[g.type] += g.count;
    counts.by_priority[g.prio] += g.count;
    counts.total += g.count;
    if (is_terminal(g.status)) counts.terminal += g.count;
    if (g.status == task_status::completed || g.status == task_status::failed)
      counts.finished += g.count;
    if (g.status == task_status::completed) counts.completed += g.count;
  }
  counts.duration_sum_ms = totals.duration_sum_ms;
  counts.finishes_last_minute = static_cast<uint64_t>(
      std::count_if(totals.recent_finishes.begin(), totals.recent_finishes.end(),
                    [&](timestamp_ms at) { return at >= now - 60000; }));
  auto s = statistics_from(counts);
  s.plans = totals.plans;
  s.events = totals.events;
  return s;
}

}  // namespace ce::store

#include "actors/engine/task_registry.hpp"

#include <charconv>

namespace ce::engine {

void task_registry::add(task t) {
  ++by_status_[t.status];
  ++by_type_[t.type];
  ++by_priority_[t.prio];
  order_.push_back(t.id);
  auto id = t.id;
  tasks_[id].current = std::move(t);
}

void task_registry::update(const task& t, timestamp_ms now) {
  auto it = tasks_.find(t.id);
  if (it == tasks_.end()) return;
  task& old = it->second.current;
  if (old.status != t.status) {
    --by_status_[old.status];
    ++by_status_[t.status];
    if (is_terminal(t.status) && !is_terminal(old.status)) {
      ++terminal_;
      if (t.status != task_status::cancelled) {
        ++finished_;
        duration_sum_ms_ += static_cast<double>(t.completed_at - t.created_at);
      }
      if (t.status == task_status::completed) ++completed_;
      recent_finishes_.push_back(now);
      while (recent_finishes_.front() < now - 60000) recent_finishes_.pop_front();
    }
  }
  old = t;
}

task_record* task_registry::find(const std::string& task_id) {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

const task_record* task_registry::find(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

void task_registry::put_plan(plan p) {
  auto id = p.id;
  plans_[id] = std::move(p);
}

plan* task_registry::find_plan(const std::string& plan_id) {
  auto it = plans_.find(plan_id);
  return it == plans_.end() ? nullptr : &it->second;
}

void task_registry::add_result(const std::string& task_id, execution_result r) {
  auto* rec = find(task_id);
  if (!rec) return;
  for (const auto& a : r.artifacts) rec->artifacts[a.name] = a;
  rec->results.push_back(std::move(r));
}

void task_registry::set_verification(const std::string& task_id, verification_result v) {
  auto* rec = find(task_id);
  if (!rec) return;
  rec->verification = std::move(v);
  rec->has_verification = true;
}

bool task_registry::list(const task_query& query, task_page& out) const {
  uint64_t below = order_.size();  // exclusive upper bound on the position
  if (!query.cursor.empty()) {
    if (!parse_task_cursor(query.cursor, below) || below > order_.size()) return false;
  }
  uint32_t limit = query.limit == 0 ? 50 : query.limit;
  auto matches = [&](const task& t) {
    return (query.user_id.empty() || t.user_id == query.user_id) &&
           (query.status.empty() || to_string(t.status) == query.status) &&
           (query.type.empty() || to_string(t.type) == query.type) &&
           (query.prio.empty() || to_string(t.prio) == query.prio);
  };
  bool filtered = !query.user_id.empty() || !query.status.empty() || !query.type.empty() ||
                  !query.prio.empty();
  task_page page;
  for (uint64_t pos = below; pos > 0; --pos) {
    const task& t = tasks_.at(order_[pos - 1]).current;
    if (!matches(t)) continue;
    if (page.tasks.size() == limit) {
      page.next_cursor = make_task_cursor(pos);  // resume at and below this position
      break;
    }
    page.tasks.push_back(t);
  }
  if (!filtered) {
    page.total = order_.size();
  } else {
    for (const auto& id : order_)
      if (matches(tasks_.at(id).current)) ++page.total;
  }
  out = std::move(page);
  return true;
}

engine_statistics task_registry::statistics(timestamp_ms now) const {
  engine_statistics s;
  s.total_tasks = order_.size();
  for (auto [status, n] : by_status_)
    if (n > 0) s.by_status.push_back({std::string(to_string(status)), n});
  for (auto [type, n] : by_type_)
    if (n > 0) s.by_type.push_back({std::string(to_string(type)), n});
  for (auto [prio, n] : by_priority_)
    if (n > 0) s.by_priority.push_back({std::string(to_string(prio)), n});
  s.terminal_tasks = terminal_;
  s.average_duration_ms = finished_ ? duration_sum_ms_ / static_cast<double>(finished_) : 0;
  s.success_rate = terminal_ ? static_cast<double>(completed_) / static_cast<double>(terminal_) : 0;
  auto count = [&](task_status st) {
    auto it = by_status_.find(st);
    return it == by_status_.end() ? uint64_t{0} : it->second;
  };
  s.running_tasks = count(task_status::planning) + count(task_status::executing) +
                    count(task_status::verifying);
  s.queue_depth = count(task_status::queued);
  s.awaiting_approval = count(task_status::awaiting_approval);
  while (!recent_finishes_.empty() && recent_finishes_.front() < now - 60000)
    recent_finishes_.pop_front();
  s.throughput_per_minute = static_cast<double>(recent_finishes_.size());
  s.plans = plans_.size();
  return s;
}

std::vector<std::string> task_registry::interrupted() const {
  std::vector<std::string> out;
  for (const auto& id : order_) {
    auto status = tasks_.at(id).current.status;
    if (status != task_status::pending && !is_terminal(status)) out.push_back(id);
  }
  return out;
}

std::string make_task_cursor(uint64_t position) { return "t" + std::to_string(position); }

bool parse_task_cursor(const std::string& text, uint64_t& position) {
  if (text.size() < 2 || text[0] != 't') return false;
  auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), position);
  return ec == std::errc{} && p == text.data() + text.size();
}

}  // namespace ce::engine

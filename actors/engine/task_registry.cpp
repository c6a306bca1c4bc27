#include "actors/engine/task_registry.hpp"

#include "actors/store/totals.hpp"

#include <algorithm>
#include <charconv>

namespace ce::engine {

void task_registry::count_pending(const task& t, int64_t delta) {
  if (t.status != task_status::pending) return;
  auto it = pending_by_user_.find(t.user_id);
  if (delta > 0) {
    if (it == pending_by_user_.end()) it = pending_by_user_.emplace(t.user_id, 0).first;
    it->second += static_cast<uint64_t>(delta);
  } else if (it != pending_by_user_.end()) {  // never below zero
    auto down = static_cast<uint64_t>(-delta);
    if (it->second <= down)
      pending_by_user_.erase(it);
    else
      it->second -= down;
  }
}

uint64_t task_registry::pending_total() const {
  auto it = by_status_.find(task_status::pending);
  return it == by_status_.end() ? 0 : it->second;
}

uint64_t task_registry::pending_of(const std::string& user_id) const {
  auto it = pending_by_user_.find(user_id);
  return it == pending_by_user_.end() ? 0 : it->second;
}

void task_registry::add(task t) {
  count_pending(t, +1);
  ++by_status_[t.status];
  ++by_type_[t.type];
  ++by_priority_[t.prio];
  ++total_tasks_;
  if (!keep_.enabled) order_.push_back(t.id);
  auto id = t.id;
  tasks_[id].current = std::move(t);
}

void task_registry::seed(const store::task_totals& totals) {
  for (const auto& g : totals.groups) {
    by_status_[g.status] += g.count;
    by_type_[g.type] += g.count;
    by_priority_[g.prio] += g.count;
    total_tasks_ += g.count;
    if (is_terminal(g.status)) terminal_ += g.count;
    if (g.status == task_status::completed || g.status == task_status::failed) finished_ += g.count;
    if (g.status == task_status::completed) completed_ += g.count;
  }
  duration_sum_ms_ += totals.duration_sum_ms;
  for (auto at : totals.recent_finishes) recent_finishes_.push_back(at);
  total_plans_ += totals.plans;
}

void task_registry::insert_stored(stored_task t) {
  auto id = t.subject.id;
  auto& rec = tasks_[id];
  rec.current = std::move(t.subject);
  for (auto& r : t.results)
    for (const auto& a : r.artifacts) rec.artifacts[a.name] = a;
  rec.results = std::move(t.results);
  rec.verification = std::move(t.verification);
  rec.has_verification = t.has_verification;
  for (auto& [name, file] : t.files) rec.bytes.emplace(file.checksum, file.bytes);
  if (t.has_plan) {
    auto plan_id = t.the_plan.id;
    plans_.emplace(plan_id, shared<plan>(std::move(t.the_plan)));
  }
}

void task_registry::restore(stored_task t) {
  if (!keep_.enabled) order_.push_back(t.subject.id);
  count_pending(t.subject, +1);
  insert_stored(std::move(t));
}

void task_registry::admit(stored_task t, timestamp_ms now) {
  if (tasks_.count(t.subject.id)) return;
  auto id = t.subject.id;
  bool terminal = is_terminal(t.subject.status);
  insert_stored(std::move(t));
  if (terminal) retain(id, false, now);
  evict(now, id);  // what is admitted now stays for the caller
}

void task_registry::admit_plan(plan p, timestamp_ms now) {
  if (plans_.count(p.id)) return;
  auto id = p.id;
  bool standalone = p.task_id.empty();
  plans_.emplace(id, shared<plan>(std::move(p)));
  // A task's plan leaves with its task.
  if (standalone) retain(id, true, now);
  evict(now, id);
}

void task_registry::retain(const std::string& id, bool is_plan, timestamp_ms now) {
  if (!keep_.enabled) return;
  auto stamp = ++next_stamp_;
  retained_stamps_[id] = stamp;
  retained_.push_back({id, is_plan, now, stamp});
}

void task_registry::evict(timestamp_ms now, const std::string& just_touched) {
  if (!keep_.enabled) return;
  while (!retained_.empty()) {
    const auto& oldest = retained_.front();
    if (oldest.id == just_touched) break;  // only older ones go (a limit of 0 keeps it)
    auto current = retained_stamps_.find(oldest.id);
    if (current == retained_stamps_.end() || current->second != oldest.stamp) {
      retained_.pop_front();  // retained again later; that entry counts
      continue;
    }
    bool over_count = retained_stamps_.size() > keep_.terminal_tasks;
    bool too_old = oldest.since < now - keep_.max_age_ms;
    if (!over_count && !too_old) break;
    if (oldest.is_plan) {
      plans_.erase(oldest.id);
    } else if (auto it = tasks_.find(oldest.id); it != tasks_.end()) {
      plans_.erase(it->second.current.execution.plan_id);
      tasks_.erase(it);
    }
    retained_stamps_.erase(current);
    retained_.pop_front();
  }
}

void task_registry::update(const task& t, timestamp_ms now) {
  auto it = tasks_.find(t.id);
  if (it == tasks_.end()) return;
  task& old = it->second.current;
  bool ended = false;
  if (old.status != t.status) {
    count_pending(old, -1);
    count_pending(t, +1);
    --by_status_[old.status];
    ++by_status_[t.status];
    if (is_terminal(t.status) && !is_terminal(old.status)) {
      ended = true;
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
  if (ended) {
    retain(t.id, false, now);
    evict(now, t.id);  // its waiters are answered from memory first
  }
}

task_record* task_registry::find(const std::string& task_id) {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

const task_record* task_registry::find(const std::string& task_id) const {
  auto it = tasks_.find(task_id);
  return it == tasks_.end() ? nullptr : &it->second;
}

void task_registry::put_plan(plan p, timestamp_ms now) {
  put_plan(shared<plan>(std::move(p)), now);
}

void task_registry::put_plan(shared<plan> p, timestamp_ms now) {
  auto id = p->id;
  auto [it, is_new] = plans_.insert_or_assign(id, std::move(p));
  if (!is_new) return;
  // Every change of a stored plan that left memory reads it back first
  // (admit_plan), so a plan new to memory is a new plan.
  ++total_plans_;
  if (it->second->task_id.empty()) {
    retain(id, true, now);
    evict(now, id);
  }
}

const plan* task_registry::find_plan(const std::string& plan_id) const {
  auto it = plans_.find(plan_id);
  return it == plans_.end() ? nullptr : &it->second.get();
}

std::optional<shared<plan>> task_registry::shared_plan(const std::string& plan_id) const {
  auto it = plans_.find(plan_id);
  if (it == plans_.end()) return std::nullopt;
  return it->second;
}

void task_registry::add_result(const std::string& task_id, execution_result r,
                               const std::vector<stored_blob>& blobs) {
  auto* rec = find(task_id);
  if (!rec) return;
  for (const auto& b : blobs) rec->bytes.emplace(b.checksum, b.bytes);
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
  bool filtered =
      !query.user_id.empty() || !query.status.empty() || !query.type.empty() || !query.prio.empty();
  task_page page;
  std::size_t bytes = 0;
  for (uint64_t pos = below; pos > 0; --pos) {
    const task& t = tasks_.at(order_[pos - 1]).current;
    if (!matches(t)) continue;
    if (page.tasks.size() == limit || bytes >= max_page_bytes) {
      page.next_cursor = make_task_cursor(pos);  // resume at and below this position
      break;
    }
    page.tasks.push_back(t);
    bytes += page_bytes(t);
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
  while (!recent_finishes_.empty() && recent_finishes_.front() < now - 60000)
    recent_finishes_.pop_front();
  store::task_counts counts{by_status_,   by_type_,         by_priority_,
                            total_tasks_, terminal_,        finished_,
                            completed_,   duration_sum_ms_, recent_finishes_.size()};
  auto s = store::statistics_from(counts);
  s.plans = total_plans_;
  return s;
}

std::vector<std::string> task_registry::interrupted() const {
  std::vector<const task*> found;
  for (const auto& [id, rec] : tasks_) {
    auto status = rec.current.status;
    if (status != task_status::pending && !is_terminal(status)) found.push_back(&rec.current);
  }
  std::sort(found.begin(), found.end(), [](const task* a, const task* b) {
    return a->created_at != b->created_at ? a->created_at < b->created_at : a->id < b->id;
  });
  std::vector<std::string> out;
  for (const auto* t : found) out.push_back(t->id);
  return out;
}

std::string make_task_cursor(uint64_t position) {
  return "t" + std::to_string(position);
}

bool parse_task_cursor(const std::string& text, uint64_t& position) {
  if (text.size() < 2 || text[0] != 't') return false;
  auto [p, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), position);
  return ec == std::errc{} && p == text.data() + text.size();
}

}  // namespace ce::engine

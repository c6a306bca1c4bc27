#include "actors/events/subscription_table.hpp"

namespace ce::events {

void subscription_table::add(const event_sink_ptr& sink, const std::string& task_id,
                             uint64_t after) {
  sink_key key = sink.get();
  // The address of a sink that is gone may be reused by a new one.
  if (auto s = by_sink_.find(key); s != by_sink_.end() && s->second.sink.expired()) drop(key);
  if (by_task_[task_id].emplace(key, subscription{sink, after}).second) {
    auto& entry = by_sink_[key];
    entry.sink = sink;
    entry.task_ids.insert(task_id);
    ++pairs_;
  }
}

void subscription_table::remove(const event_sink_ptr& sink, const std::string& task_id) {
  sink_key key = sink.get();
  auto it = by_task_.find(task_id);
  if (it == by_task_.end() || it->second.erase(key) == 0) return;
  --pairs_;
  if (it->second.empty()) by_task_.erase(it);
  auto s = by_sink_.find(key);
  if (s != by_sink_.end()) {
    s->second.task_ids.erase(task_id);
    if (s->second.task_ids.empty()) by_sink_.erase(s);
  }
}

void subscription_table::drop(const event_sink_ptr& sink) {
  drop(sink.get());
}

void subscription_table::drop(sink_key key) {
  auto s = by_sink_.find(key);
  if (s == by_sink_.end()) return;
  for (const auto& task_id : s->second.task_ids) {
    auto it = by_task_.find(task_id);
    if (it == by_task_.end()) continue;
    it->second.erase(key);
    --pairs_;
    if (it->second.empty()) by_task_.erase(it);
  }
  by_sink_.erase(s);
}

std::vector<event_sink_ptr> subscription_table::targets(const std::string& task_id, uint64_t seq) {
  std::vector<event_sink_ptr> out;
  std::vector<sink_key> gone;
  auto collect = [&](const std::unordered_map<sink_key, subscription>& subscribers,
                     const std::unordered_map<sink_key, subscription>* also_specific) {
    for (const auto& [key, sub] : subscribers) {
      // A sink subscribed to both the task and "*" gets the event once.
      if (also_specific != nullptr && also_specific->count(key)) continue;
      auto sink = sub.sink.lock();
      if (!sink) {
        gone.push_back(key);
      } else if (seq > sub.after) {
        out.push_back(std::move(sink));
      }
    }
  };
  auto specific = by_task_.find(task_id);
  const std::unordered_map<sink_key, subscription>* specific_subscribers = nullptr;
  if (specific != by_task_.end()) {
    specific_subscribers = &specific->second;
    collect(specific->second, nullptr);
  }
  if (auto every = by_task_.find(every_task); every != by_task_.end())
    collect(every->second, specific_subscribers);
  for (auto key : gone) drop(key);
  return out;
}

}  // namespace ce::events

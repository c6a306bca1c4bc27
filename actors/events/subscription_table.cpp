#include "actors/events/subscription_table.hpp"

namespace ce::events {

void subscription_table::add(const event_sink_ptr& sink, const std::string& task_id,
                             uint64_t after) {
  if (by_task_[task_id].emplace(sink, after).second) {
    by_sink_[sink].insert(task_id);
    ++pairs_;
  }
}

void subscription_table::remove(const event_sink_ptr& sink, const std::string& task_id) {
  auto it = by_task_.find(task_id);
  if (it == by_task_.end() || it->second.erase(sink) == 0) return;
  --pairs_;
  if (it->second.empty()) by_task_.erase(it);
  auto s = by_sink_.find(sink);
  if (s != by_sink_.end()) {
    s->second.erase(task_id);
    if (s->second.empty()) by_sink_.erase(s);
  }
}

void subscription_table::drop(const event_sink_ptr& sink) {
  auto s = by_sink_.find(sink);
  if (s == by_sink_.end()) return;
  for (const auto& task_id : s->second) {
    auto it = by_task_.find(task_id);
    if (it == by_task_.end()) continue;
    it->second.erase(sink);
    --pairs_;
    if (it->second.empty()) by_task_.erase(it);
  }
  by_sink_.erase(s);
}

std::vector<event_sink*> subscription_table::targets(const std::string& task_id,
                                                     uint64_t seq) const {
  std::vector<event_sink*> out;
  auto specific = by_task_.find(task_id);
  auto every = by_task_.find(every_task);
  if (specific != by_task_.end())
    for (const auto& [sink, after] : specific->second)
      if (seq > after) out.push_back(sink.get());
  if (every != by_task_.end()) {
    for (const auto& [sink, after] : every->second) {
      // A sink subscribed to both gets the event once.
      if (specific != by_task_.end() && specific->second.count(sink)) continue;
      if (seq > after) out.push_back(sink.get());
    }
  }
  return out;
}

}  // namespace ce::events

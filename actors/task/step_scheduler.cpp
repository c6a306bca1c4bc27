#include "actors/task/step_scheduler.hpp"

#include <algorithm>

namespace ce::task_logic {

step_scheduler::step_scheduler(const std::vector<plan_step>& steps) {
  std::vector<const plan_step*> sorted;
  for (const auto& s : steps) sorted.push_back(&s);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const plan_step* a, const plan_step* b) { return a->order < b->order; });
  for (const auto* s : sorted) {
    order_.push_back(s->id);
    nodes_[s->id] = node{s->depends_on, step_status::pending};
  }
}

std::vector<std::string> step_scheduler::take_ready() {
  std::vector<std::string> ready;
  if (halted_ || failed_ > 0) return ready;
  for (const auto& id : order_) {
    auto& n = nodes_[id];
    if (n.status != step_status::pending) continue;
    bool deps_done = std::all_of(n.depends_on.begin(), n.depends_on.end(), [&](const auto& d) {
      auto it = nodes_.find(d);
      return it != nodes_.end() && it->second.status == step_status::completed;
    });
    if (!deps_done) continue;
    n.status = step_status::running;
    ++running_;
    ready.push_back(id);
  }
  return ready;
}

void step_scheduler::mark_completed(const std::string& step_id) {
  auto it = nodes_.find(step_id);
  if (it == nodes_.end()) return;
  if (it->second.status == step_status::running) --running_;
  it->second.status = step_status::completed;
}

void step_scheduler::mark_failed(const std::string& step_id) {
  auto it = nodes_.find(step_id);
  if (it == nodes_.end()) return;
  if (it->second.status == step_status::running) --running_;
  if (it->second.status != step_status::failed) ++failed_;
  it->second.status = step_status::failed;
}

bool step_scheduler::finished() const {
  if (running_ > 0) return false;
  if (halted_ || failed_ > 0) return true;
  // Nothing running and nothing startable: finished when every step is done.
  // (A plan validated before execution has no unreachable steps.)
  return std::all_of(nodes_.begin(), nodes_.end(),
                     [](const auto& kv) { return kv.second.status == step_status::completed; });
}

std::vector<std::string> step_scheduler::not_run() const {
  std::vector<std::string> out;
  for (const auto& id : order_)
    if (nodes_.at(id).status == step_status::pending) out.push_back(id);
  return out;
}

step_status step_scheduler::status_of(const std::string& step_id) const {
  auto it = nodes_.find(step_id);
  return it == nodes_.end() ? step_status::skipped : it->second.status;
}

}  // namespace ce::task_logic

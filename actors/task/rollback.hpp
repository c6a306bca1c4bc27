// Which steps a rollback undoes: pure logic, no actors.
#pragma once

#include <string>
#include <vector>

#include "messages/domain.hpp"

namespace ce::task_logic {

/// The id of the step that undoes `step_id` (its results are stored under it).
inline std::string undo_step_id(const std::string& step_id) {
  return "rollback_" + step_id;
}

/// Steps of `p` that completed, have a rollback action and were not undone
/// since (a successful undo result after their own), the last completed first.
inline std::vector<std::string> steps_to_undo(const plan& p,
                                              const std::vector<execution_result>& results) {
  std::vector<std::string> out;
  for (auto r = results.rbegin(); r != results.rend(); ++r) {
    if (r->status != execution_status::success) continue;
    const plan_step* step = nullptr;
    for (const auto& s : p.steps)
      if (s.id == r->step_id) step = &s;
    if (step == nullptr || step->rollback_action.empty()) continue;
    // An undo that succeeded later in `results` (already seen going backwards).
    bool undone = false;
    for (auto later = results.rbegin(); later != r; ++later)
      undone = undone || (later->step_id == undo_step_id(step->id) &&
                          later->status == execution_status::success);
    bool listed = false;
    for (const auto& id : out) listed = listed || id == step->id;
    if (!undone && !listed) out.push_back(step->id);
  }
  return out;
}

}  // namespace ce::task_logic

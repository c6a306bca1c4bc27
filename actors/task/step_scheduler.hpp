// Which plan steps may run now: pure logic, no actors.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "messages/domain.hpp"

namespace ce::task_logic {

/// Tracks step states over a plan's dependency graph. A step is ready the
/// moment all of its dependencies completed; once any step failed, nothing
/// new starts and the steps that never ran count as skipped.
class step_scheduler {
 public:
  explicit step_scheduler(const std::vector<plan_step>& steps);

  /// Steps that may start now; they are marked running.
  std::vector<std::string> take_ready();

  void mark_completed(const std::string& step_id);
  void mark_failed(const std::string& step_id);
  /// Marks a step completed without running it (recovery: done before).
  void mark_already_done(const std::string& step_id) { mark_completed(step_id); }

  bool running_any() const { return running_ > 0; }
  bool failed_any() const { return failed_ > 0; }
  /// True when nothing runs and nothing more will start.
  bool finished() const;
  /// Steps that never ran (after a failure or cancel).
  std::vector<std::string> not_run() const;
  /// Stops starting new steps (cancel).
  void halt() { halted_ = true; }
  bool halted() const { return halted_; }

  step_status status_of(const std::string& step_id) const;

 private:
  struct node {
    std::vector<std::string> depends_on;
    step_status status = step_status::pending;
  };
  std::vector<std::string> order_;  // plan order, for stable start order
  std::unordered_map<std::string, node> nodes_;
  int running_ = 0;
  int failed_ = 0;
  bool halted_ = false;
};

}  // namespace ce::task_logic

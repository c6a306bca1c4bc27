// The safety-monitor child of a task actor: runs the pre- and post-execution
// checks and watches the resource-creation rate while steps run.
#pragma once

#include <optional>

#include "actors/safety/safety_checks.hpp"
#include "messages/interfaces.hpp"

namespace ce::safety {

struct safety_monitor_state {
  safety_policy policy;
  std::optional<execution_monitor> monitor;  // armed with the first progress report
  bool violated = false;                     // report a rate violation once
  static inline const char* name = "safety_monitor";
};

/// `task` receives `violation` messages; the monitor exits with its parent
/// (it is linked by the task actor).
safety_monitor_actor::behavior_type safety_monitor_behavior(
    safety_monitor_actor::stateful_pointer<safety_monitor_state> self, task_actor task,
    safety_policy policy, timestamp_ms execution_started_at);

}  // namespace ce::safety

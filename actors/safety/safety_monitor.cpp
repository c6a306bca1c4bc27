#include "actors/safety/safety_monitor.hpp"

namespace ce::safety {

safety_monitor_actor::behavior_type safety_monitor_behavior(
    safety_monitor_actor::stateful_pointer<safety_monitor_state> self, task_actor task,
    safety_policy policy, timestamp_ms execution_started_at) {
  self->state.policy = policy;
  self->state.monitor.emplace(policy, execution_started_at);
  return {
      [=](atoms::pre_check, const shared<plan>& p) {
        return run_pre_execution(*p, self->state.policy);
      },
      [=](atoms::progress, int32_t resources_created, timestamp_ms at) {
        // The task waits for this answer before it starts the next steps:
        // nothing more is deployed once the rate is broken.
        if (self->state.violated) return false;
        if (auto failed = self->state.monitor->on_resources_created(resources_created, at)) {
          self->state.violated = true;
          self->send(task, atoms::violation::value, *failed);
          return false;
        }
        return true;
      },
      [=](atoms::post_check, const shared<plan>& p, const std::vector<execution_result>& results,
          const verification_result& verification, const shared<workspace>& files) {
        return run_post_execution(*p, results, verification, self->state.policy, &files.get());
      },
  };
}

}  // namespace ce::safety

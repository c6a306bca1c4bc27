#include "actors/planner/planner_actor.hpp"

#include "actors/planner/planner.hpp"
#include "messages/clock.hpp"

namespace ce::planner {

planner_actor::behavior_type planner_behavior(planner_actor::pointer self) {
  return {
      [=](atoms::make_plan, const plan_job& job) {
        auto result = make_plan(job.plan_id, job.task_id, job.type, job.context, now_ms());
        self->quit();  // one plan per child; the answer is still delivered (after a throw
                       // the exception's reason stands instead)
        return result;
      },
  };
}

}  // namespace ce::planner

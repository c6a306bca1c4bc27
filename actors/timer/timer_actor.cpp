#include "actors/timer/timer_actor.hpp"

namespace ce::timer {

namespace {

using self_ptr = timer_actor::stateful_pointer<timer_state>;
using clock_type = timer_state::clock_type;

/// Makes sure a tick arrives by the earliest deadline.
void schedule_wake_up(self_ptr self) {
  auto& st = self->state;
  if (st.queue.empty()) return;
  auto due = st.queue.earliest();
  if (!st.wake_ups.empty() && *st.wake_ups.begin() <= due) return;  // one is on its way
  st.wake_ups.insert(due);
  auto delay = std::max(due - clock_type::now(), clock_type::duration::zero());
  self->delayed_send(self, delay, atoms::tick::value,
                     static_cast<int64_t>(due.time_since_epoch().count()));
}

}  // namespace

timer_actor::behavior_type timer_behavior(timer_actor::stateful_pointer<timer_state> self) {
  return {
      [=](atoms::arm, const task_actor& owner, uint64_t token, caf::timespan delay) {
        self->state.queue.arm(owner.address(), token, clock_type::now() + delay);
        schedule_wake_up(self);
      },
      [=](atoms::disarm, const task_actor& owner) { self->state.queue.disarm(owner.address()); },
      [=](atoms::tick, int64_t due_ticks) {
        auto& st = self->state;
        st.wake_ups.erase(clock_type::time_point{clock_type::duration{due_ticks}});
        for (auto& due : st.queue.take_due(clock_type::now()))
          if (auto owner = caf::actor_cast<task_actor>(due.owner))  // gone: nothing to do
            self->send(owner, atoms::deadline::value, due.token);
        schedule_wake_up(self);
      },
  };
}

}  // namespace ce::timer

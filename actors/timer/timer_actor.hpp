// The timer actor: long deadlines (execution timeouts, approval expiry) for
// every task actor of a node.
//
// A CAF 0.17 delayed_send cannot be cancelled and holds a strong reference
// to its receiver until it is due: an hour-long deadline per task would keep
// every finished task actor alive for that hour. The timer holds only weak
// addresses, forgets a task actor's deadlines when it disarms them, and keeps
// at most one wake-up of its own per distinct due time.
#pragma once

#include <chrono>
#include <set>

#include "actors/timer/deadline_queue.hpp"
#include "messages/interfaces.hpp"

namespace ce::timer {

struct timer_state {
  using clock_type = std::chrono::steady_clock;
  deadline_queue<caf::actor_addr, clock_type::time_point> queue;
  std::set<clock_type::time_point> wake_ups;  // delayed ticks on their way
  static inline const char* name = "timer";
};

timer_actor::behavior_type timer_behavior(timer_actor::stateful_pointer<timer_state> self);

}  // namespace ce::timer

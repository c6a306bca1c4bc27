// The event-log actor: owns the node's event_log.
#pragma once

#include "actors/events/event_log.hpp"
#include "messages/interfaces.hpp"

namespace ce::events {

struct event_log_state {
  event_log log{""};
  static inline const char* name = "event_log";
};

event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id);

}  // namespace ce::events

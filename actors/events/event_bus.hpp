// The event-bus actor: fans events out to subscribed sinks.
#pragma once

#include "actors/events/subscription_table.hpp"
#include "messages/interfaces.hpp"

namespace ce::events {

struct event_bus_state {
  subscription_table subscriptions;
  static inline const char* name = "event_bus";
};

event_bus_actor::behavior_type event_bus_behavior(
    event_bus_actor::stateful_pointer<event_bus_state> self);

}  // namespace ce::events

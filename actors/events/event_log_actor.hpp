// The event-log actor: owns the node's event_log and feeds the event bus.
#pragma once

#include "actors/events/event_log.hpp"
#include "messages/interfaces.hpp"

namespace ce::events {

struct event_log_state {
  event_log log{""};
  event_bus_actor bus;
  store_actor store;
  static inline const char* name = "event_log";
};

/// `history` is what the store held at start (seq order); new seqs continue after it.
event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id,
    event_bus_actor bus, store_actor store, std::vector<event> history);

}  // namespace ce::events

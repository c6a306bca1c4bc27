// The event-log actor: owns the node's event_log and feeds the event bus.
#pragma once

#include <map>
#include <utility>

#include "actors/events/event_log.hpp"
#include "messages/interfaces.hpp"

namespace ce::events {

/// Where the log starts: what the store held, and how much to keep in memory.
struct event_log_start {
  std::vector<event> newest;  // seq order
  uint64_t stored = 0;        // events in the store in all
  uint64_t last_seq = 0;      // new seqs continue after it
  std::size_t window = 0;     // events kept in memory; 0: all (memory-only mode)
  /// Subscribing to a task id not known (yet) answers `subscribed` and waits for its
  /// events, as the original service did (legacy mode); otherwise it is an error frame.
  bool subscribe_unknown = false;
};

struct event_log_state {
  event_log log{""};
  event_bus_actor bus;
  store_actor store;
  store_reader_actor reader;  // null in memory-only mode
  /// Subscriptions waiting for a replay read from the store; an unsubscribe
  /// that arrives first cancels the registration.
  std::map<std::pair<const event_sink*, std::string>, uint64_t> pending_subscriptions;
  uint64_t next_pending = 0;
  bool subscribe_unknown = false;  // see event_log_start
  static inline const char* name = "event_log";
};

/// Reads that memory cannot answer (events older than the window, lists)
/// go to `reader` when there is one.
event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id,
    event_bus_actor bus, store_actor store, store_reader_actor reader, event_log_start start);

}  // namespace ce::events

// Where live events go: a subscriber's outgoing queue (a WebSocket connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>

namespace ce {

/// A subscriber's outgoing queue. Implementations must never block the
/// caller (an actor thread): they queue the frame and return.
class event_sink {
 public:
  virtual ~event_sink() = default;
  /// Queues one text frame; `seq` > 0 marks a task_event frame with that seq.
  virtual void deliver(std::shared_ptr<const std::string> frame, uint64_t seq) = 0;
  /// Whether the events of tasks owned by `user_id` may reach this sink
  /// (a connection sees only what its caller may see).
  virtual bool may_see(const std::string& user_id) const {
    (void)user_id;
    return true;
  }
};

using event_sink_ptr = std::shared_ptr<event_sink>;

}  // namespace ce

// A sink lives in this process only; remote subscribers go through their own
// node's bus, so the pointer never needs to be serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(ce::event_sink_ptr)

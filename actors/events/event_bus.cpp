#include "actors/events/event_bus.hpp"

#include "messages/ws_protocol.hpp"

namespace ce::events {

event_bus_actor::behavior_type event_bus_behavior(
    event_bus_actor::stateful_pointer<event_bus_state> self) {
  return {
      [=](atoms::publish, const event& e) {
        auto targets = self->state.subscriptions.targets(e.task_id, e.seq);
        if (targets.empty()) return;
        // Serialized once, shared by every subscriber.
        auto frame = std::make_shared<const std::string>(ws::event_frame(e));
        // A connection gets only the events of tasks its caller may see.
        for (const auto& sink : targets)
          if (sink->may_see(e.user_id)) sink->deliver(frame, e.seq);
      },
      [=](atoms::subscribe, const event_sink_ptr& sink, const std::string& task_id,
          uint64_t after) { self->state.subscriptions.add(sink, task_id, after); },
      [=](atoms::unsubscribe, const event_sink_ptr& sink, const std::string& task_id) {
        self->state.subscriptions.remove(sink, task_id);
      },
      [=](atoms::drop_sink, const event_sink_ptr& sink) { self->state.subscriptions.drop(sink); },
      [=](atoms::count_subscribers) {
        return static_cast<uint64_t>(self->state.subscriptions.size());
      },
  };
}

}  // namespace ce::events

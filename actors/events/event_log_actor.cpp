#include "actors/events/event_log_actor.hpp"

#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/ws_protocol.hpp"

namespace ce::events {

event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id,
    event_bus_actor bus) {
  self->state.log = event_log{std::move(node_id)};
  self->state.bus = std::move(bus);
  return {
      [=](atoms::emit, event& e) {
        const auto& stamped = self->state.log.append(std::move(e), now_ms());
        self->send(self->state.bus, atoms::publish::value, stamped);
      },
      [=](atoms::subscribe, const event_sink_ptr& sink, const std::string& task_id,
          bool has_since, uint64_t since) {
        auto& log = self->state.log;
        bool every = task_id == "*";
        if (!every && !log.knows_task(task_id)) {
          sink->deliver(std::make_shared<const std::string>(
                            ws::error_frame("unknown task id " + task_id + "; not subscribed")),
                        0);
          return;
        }
        sink->deliver(std::make_shared<const std::string>(
                          ws::subscribed_frame(task_id, log.last_seq())),
                      0);
        // Replay and registration happen in this one handler, and the bus gets
        // every later event after the registration: no gap, no duplicate.
        if (has_since) {
          auto replay = every ? log.after(since) : log.for_task(task_id, since);
          for (const auto& e : replay)
            sink->deliver(std::make_shared<const std::string>(ws::event_frame(e)), e.seq);
        }
        self->send(self->state.bus, atoms::subscribe::value, sink, task_id);
      },
      [=](atoms::unsubscribe, const event_sink_ptr& sink, const std::string& task_id) {
        self->send(self->state.bus, atoms::unsubscribe::value, sink, task_id);
        sink->deliver(std::make_shared<const std::string>(ws::unsubscribed_frame(task_id)), 0);
      },
      [=](atoms::drop_sink, const event_sink_ptr& sink) {
        self->send(self->state.bus, atoms::drop_sink::value, sink);
      },
      [=](atoms::task_events, const std::string& task_id, uint64_t since) {
        return self->state.log.for_task(task_id, since);
      },
      [=](atoms::list_events, const event_query& query) -> caf::result<event_page> {
        event_page page;
        if (!self->state.log.page(query, page))
          return make_error(errc::invalid_input, "cursor is not one this server handed out");
        return page;
      },
      [=](atoms::count_events) { return self->state.log.size(); },
  };
}

}  // namespace ce::events

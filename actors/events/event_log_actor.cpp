#include "actors/events/event_log_actor.hpp"

#include "messages/clock.hpp"
#include "messages/errors.hpp"

namespace ce::events {

event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id) {
  self->state.log = event_log{std::move(node_id)};
  return {
      [=](atoms::emit, event& e) { self->state.log.append(std::move(e), now_ms()); },
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

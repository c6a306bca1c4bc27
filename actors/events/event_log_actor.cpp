#include "actors/events/event_log_actor.hpp"

#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/ws_protocol.hpp"

#include <spdlog/spdlog.h>

namespace ce::events {

event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id,
    event_bus_actor bus, store_actor store, std::vector<event> history) {
  self->state.log = event_log{std::move(node_id)};
  for (auto& e : history) self->state.log.append_stamped(std::move(e));
  self->state.bus = std::move(bus);
  self->state.store = std::move(store);
  return {
      [=](atoms::emit, event& e) {
        // An event is readable and published only once it is on disk: what a
        // client has seen survives a crash. The store answers in commit order,
        // so events still become visible in seq order.
        change_set changes;
        changes.events.push_back(self->state.log.stamp(std::move(e), now_ms()));
        self->request(self->state.store, caf::infinite, atoms::persist::value, changes)
            .then(
                [=](uint64_t) {
                  const auto& stamped = changes.events.front();
                  self->state.log.append_stamped(stamped);
                  self->send(self->state.bus, atoms::publish::value, stamped);
                },
                [=](caf::error& err) {
                  spdlog::error("event {} of task {} was not saved and is dropped: {}",
                                changes.events.front().type, changes.events.front().task_id,
                                self->system().render(err));
                });
      },
      [=](atoms::emit, event& e, change_set& changes) -> caf::result<event> {
        auto promise = self->make_response_promise<event>();
        changes.events.push_back(self->state.log.stamp(std::move(e), now_ms()));
        self->request(self->state.store, caf::infinite, atoms::persist::value, changes)
            .then(
                [=](uint64_t) mutable {
                  const auto& stamped = changes.events.back();
                  self->state.log.append_stamped(stamped);
                  self->send(self->state.bus, atoms::publish::value, stamped);
                  promise.deliver(stamped);
                },
                [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::persist, change_set& changes) -> caf::result<uint64_t> {
        // Not delegated: the answer must come back through this actor, in the
        // same order as the answers to event commits.
        auto promise = self->make_response_promise<uint64_t>();
        self->request(self->state.store, caf::infinite, atoms::persist::value, std::move(changes))
            .then([=](uint64_t commit) mutable { promise.deliver(commit); },
                  [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::subscribe, const event_sink_ptr& sink, const std::string& task_id, bool has_since,
          uint64_t since) {
        auto& log = self->state.log;
        bool every = task_id == "*";
        if (!every && !log.knows_task(task_id)) {
          sink->deliver(std::make_shared<const std::string>(
                            ws::error_frame("unknown task id " + task_id + "; not subscribed")),
                        0);
          return;
        }
        auto durable = log.last_appended_seq();
        sink->deliver(std::make_shared<const std::string>(ws::subscribed_frame(task_id, durable)),
                      0);
        // Replay (what is durable) and registration happen in this one
        // handler; every event appended later reaches the bus after the
        // registration. Live delivery starts above what the replay covered:
        // no gap, no duplicate.
        uint64_t live_after = 0;
        if (has_since) {
          auto replay = every ? log.after(since) : log.for_task(task_id, since);
          for (const auto& e : replay)
            sink->deliver(std::make_shared<const std::string>(ws::event_frame(e)), e.seq);
          live_after = std::max(since, durable);
        }
        self->send(self->state.bus, atoms::subscribe::value, sink, task_id, live_after);
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

#include "actors/events/event_log_actor.hpp"

#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/ws_protocol.hpp"

#include <spdlog/spdlog.h>

namespace ce::events {

namespace {

using self_ptr = event_log_actor::stateful_pointer<event_log_state>;

/// At most this many events are replayed from the store to one "*"
/// subscription; a client that needs more pages through GET /api/events.
constexpr uint64_t max_store_replay = 100000;
constexpr auto read_timeout = std::chrono::seconds(30);

void deliver_frame(const event_sink_ptr& sink, std::string frame, uint64_t seq = 0) {
  sink->deliver(std::make_shared<const std::string>(std::move(frame)), seq);
}

/// Sends the subscribed frame and the replay (events after `since`, from
/// `older` read from the store, then from memory), and registers the sink
/// for everything after what it has been sent: no gap, no duplicate. Runs in
/// one handler, so no event reaches the bus in between.
void replay_and_register(self_ptr self, const event_sink_ptr& sink, const std::string& task_id,
                         bool has_since, uint64_t since, const std::vector<event>& older) {
  auto& log = self->state.log;
  bool every = task_id == "*";
  auto durable = log.last_appended_seq();
  deliver_frame(sink, ws::subscribed_frame(task_id, durable));
  uint64_t live_after = 0;
  if (has_since) {
    uint64_t sent = since;
    for (const auto& e : older) {
      if (sink->may_see(e.user_id)) deliver_frame(sink, ws::event_frame(e), e.seq);
      sent = std::max(sent, e.seq);
    }
    auto newer = every ? log.after(sent) : log.for_task(task_id, sent);
    for (const auto& e : newer)
      if (sink->may_see(e.user_id)) deliver_frame(sink, ws::event_frame(e), e.seq);
    live_after = std::max(sent, durable);
  }
  self->send(self->state.bus, atoms::subscribe::value, sink, task_id, live_after);
}

void replay_and_register(self_ptr self, const event_sink_ptr& sink, const std::string& task_id,
                         bool has_since, uint64_t since, const std::vector<event>& older);

/// A subscription to a task id nobody knows: refused, or (legacy mode) kept for events
/// that may come.
void unknown_task(self_ptr self, const event_sink_ptr& sink, const std::string& task_id,
                  bool has_since, uint64_t since) {
  if (self->state.subscribe_unknown)
    return replay_and_register(self, sink, task_id, has_since, since, {});
  deliver_frame(sink, ws::error_frame("unknown task id " + task_id + "; not subscribed"));
}

void subscribe(self_ptr self, const event_sink_ptr& sink, const std::string& task_id,
               bool has_since, uint64_t since) {
  auto& st = self->state;
  bool every = task_id == "*";
  bool in_memory =
      every ? (!has_since || st.log.holds_after(since))
            : st.log.holds_task(task_id) ||
                  (st.log.knows_task(task_id) && (!has_since || st.log.holds_after(since)));
  if (in_memory || !st.reader) {
    if (!every && !st.log.knows_task(task_id))
      return unknown_task(self, sink, task_id, has_since, since);
    return replay_and_register(self, sink, task_id, has_since, since, {});
  }
  // Older events (or the task itself) are only in the store.
  auto key = std::make_pair(sink.get(), task_id);
  auto token = ++st.next_pending;
  st.pending_subscriptions[key] = token;
  auto still_wanted = [=] {
    auto it = self->state.pending_subscriptions.find(key);
    if (it == self->state.pending_subscriptions.end() || it->second != token) return false;
    self->state.pending_subscriptions.erase(it);
    return true;
  };
  auto failed = [=](caf::error& err) {
    if (!still_wanted()) return;
    spdlog::error("replay for a subscription to {} failed: {}", task_id,
                  self->system().render(err));
    deliver_frame(
        sink, ws::error_frame("the events of " + task_id + " could not be read; not subscribed"));
  };
  if (every) {
    self->request(st.reader, read_timeout, atoms::events_after::value, since, max_store_replay)
        .then(
            [=](std::vector<event>& older) {
              if (!still_wanted()) return;
              if (older.size() == max_store_replay && older.front().seq > since + 1)
                deliver_frame(
                    sink, ws::error_frame("replay limited to the newest " +
                                          std::to_string(max_store_replay) + " events after seq " +
                                          std::to_string(since) +
                                          "; page through GET /api/events for older ones"));
              replay_and_register(self, sink, task_id, true, since, older);
            },
            failed);
    return;
  }
  self->request(st.reader, read_timeout, atoms::task_events::value, task_id,
                has_since ? since : uint64_t{0})
      .then(
          [=](std::vector<event>& older) {
            if (!still_wanted()) return;
            if (older.empty() && !self->state.log.knows_task(task_id)) {
              // No events after `since` may still mean a known task.
              if (!has_since || since == 0)
                return unknown_task(self, sink, task_id, has_since, since);
            }
            if (!has_since) older.clear();  // only existence was in question
            replay_and_register(self, sink, task_id, has_since, since, older);
          },
          failed);
}

}  // namespace

event_log_actor::behavior_type event_log_behavior(
    event_log_actor::stateful_pointer<event_log_state> self, std::string node_id,
    event_bus_actor bus, store_actor store, store_reader_actor reader, event_log_start start) {
  self->state.log = event_log{std::move(node_id), 1, start.window};
  self->state.log.start_from_store(start.stored, start.last_seq, std::move(start.newest));
  self->state.bus = std::move(bus);
  self->state.store = std::move(store);
  self->state.reader = std::move(reader);
  self->state.subscribe_unknown = start.subscribe_unknown;
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
          uint64_t since) { subscribe(self, sink, task_id, has_since, since); },
      [=](atoms::unsubscribe, const event_sink_ptr& sink, const std::string& task_id) {
        self->state.pending_subscriptions.erase(std::make_pair(sink.get(), task_id));
        self->send(self->state.bus, atoms::unsubscribe::value, sink, task_id);
        sink->deliver(std::make_shared<const std::string>(ws::unsubscribed_frame(task_id)), 0);
      },
      [=](atoms::drop_sink, const event_sink_ptr& sink) {
        auto& pending = self->state.pending_subscriptions;
        for (auto it = pending.begin(); it != pending.end();)
          it = it->first.first == sink.get() ? pending.erase(it) : std::next(it);
        self->send(self->state.bus, atoms::drop_sink::value, sink);
      },
      [=](atoms::task_events, const std::string& task_id,
          uint64_t since) -> caf::result<std::vector<event>> {
        auto& log = self->state.log;
        if (!self->state.reader || log.holds_task(task_id) ||
            (log.knows_task(task_id) && log.holds_after(since)))
          return log.for_task(task_id, since);
        auto promise = self->make_response_promise<std::vector<event>>();
        self->request(self->state.reader, read_timeout, atoms::task_events::value, task_id, since)
            .then([=](std::vector<event>& events) mutable { promise.deliver(std::move(events)); },
                  [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::list_events, const event_query& query) -> caf::result<event_page> {
        // With a store, pages are indexed queries over every event there is.
        if (self->state.reader) {
          auto promise = self->make_response_promise<event_page>();
          bool filtered = !query.task_id.empty() || !query.type.empty() || !query.user_id.empty();
          self->request(self->state.reader, read_timeout, atoms::list_events::value, query)
              .then(
                  [=](event_page& page) mutable {
                    if (!filtered) page.total = self->state.log.total();
                    promise.deliver(std::move(page));
                  },
                  [=](caf::error& err) mutable { promise.deliver(err); });
          return promise;
        }
        event_page page;
        if (!self->state.log.page(query, page))
          return make_error(errc::invalid_input, "cursor is not one this server handed out");
        return page;
      },
      [=](atoms::count_events) {
        return caf::make_result(self->state.log.total(), self->state.log.size());
      },
  };
}

}  // namespace ce::events

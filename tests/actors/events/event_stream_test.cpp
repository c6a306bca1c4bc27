// The event log and bus together: a subscription with a replay while events
// keep coming has no gap and no duplicate.
#include <condition_variable>
#include <mutex>
#include <set>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/events/event_bus.hpp"
#include "actors/events/event_log_actor.hpp"
#include "actors/store/store_actor.hpp"

using namespace ce;

namespace {

/// Collects the seqs of event frames it receives (from actor threads).
struct recording_sink : event_sink {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<uint64_t> seqs;
  std::vector<std::string> control;  // subscribed/unsubscribed/error frames
  void deliver(std::shared_ptr<const std::string> frame, uint64_t seq) override {
    std::lock_guard<std::mutex> guard{mutex};
    if (seq > 0)
      seqs.push_back(seq);
    else
      control.push_back(*frame);
    changed.notify_all();
  }
  bool wait_for_seq(uint64_t seq) {
    std::unique_lock<std::mutex> lock{mutex};
    return changed.wait_for(lock, std::chrono::seconds(30),
                            [&] { return !seqs.empty() && seqs.back() >= seq; });
  }
};

event make(const std::string& task_id) {
  event e;
  e.task_id = task_id;
  e.type = "step_completed";
  return e;
}

}  // namespace

TEST_CASE("a replay from since followed by live events has no gap and no duplicate", "[events]") {
  caf::actor_system_config cfg;
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system system{cfg};
  auto store = system.spawn(store::store_behavior, std::shared_ptr<store::sqlite_store>{},
                            store::group_commit_options{});  // memory-only
  auto bus = system.spawn(events::event_bus_behavior);
  auto log = system.spawn(events::event_log_behavior, std::string("n"), bus, store,
                          store_reader_actor{}, events::event_log_start{});

  // 2,000 events, the subscription lands somewhere in the middle of them.
  constexpr uint64_t total = 2000;
  for (uint64_t i = 0; i < total / 2; ++i) caf::anon_send(log, atoms::emit::value, make("t1"));
  // A task is known once its first event is durable (as task_created is
  // before a task's 201); wait for that, the rest may still be in flight.
  uint64_t visible = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (visible == 0 && std::chrono::steady_clock::now() < deadline) {
    caf::scoped_actor self{system};
    self->request(log, std::chrono::seconds(10), atoms::count_events::value)
        .receive([&](uint64_t n, uint64_t) { visible = n; }, [](caf::error&) {});
  }
  REQUIRE(visible > 0);
  auto sink = std::make_shared<recording_sink>();
  constexpr uint64_t since = 300;  // the client last saw seq 300
  caf::anon_send(log, atoms::subscribe::value, event_sink_ptr{sink}, std::string("t1"), true,
                 since);
  for (uint64_t i = total / 2; i < total; ++i) caf::anon_send(log, atoms::emit::value, make("t1"));

  bool complete = sink->wait_for_seq(total);
  std::lock_guard<std::mutex> guard{sink->mutex};
  INFO("received " << sink->seqs.size() << " events, last "
                   << (sink->seqs.empty() ? 0 : sink->seqs.back()));
  REQUIRE(complete);
  REQUIRE(sink->seqs.size() == total - since);
  for (size_t i = 0; i < sink->seqs.size(); ++i) CHECK(sink->seqs[i] == since + 1 + i);
  REQUIRE_FALSE(sink->control.empty());
  CHECK(sink->control.front().find("\"subscribed\"") != std::string::npos);
  caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

TEST_CASE("an unknown task id is refused with an error frame and no subscription", "[events]") {
  caf::actor_system_config cfg;
  cfg.set("logger.console", caf::atom("none"));
  caf::actor_system system{cfg};
  auto store = system.spawn(store::store_behavior, std::shared_ptr<store::sqlite_store>{},
                            store::group_commit_options{});  // memory-only
  auto bus = system.spawn(events::event_bus_behavior);
  auto log = system.spawn(events::event_log_behavior, std::string("n"), bus, store,
                          store_reader_actor{}, events::event_log_start{});
  auto sink = std::make_shared<recording_sink>();
  caf::anon_send(log, atoms::subscribe::value, event_sink_ptr{sink}, std::string("nope"), false,
                 uint64_t{0});
  caf::scoped_actor self{system};
  uint64_t subscriptions = 99;
  // The bus hears from the log in order, so once it answers, the subscribe was decided.
  self->request(log, std::chrono::seconds(10), atoms::count_events::value)
      .receive([](uint64_t, uint64_t) {}, [](caf::error&) {});
  self->request(bus, std::chrono::seconds(10), atoms::count_subscribers::value)
      .receive([&](uint64_t n) { subscriptions = n; }, [](caf::error&) {});
  CHECK(subscriptions == 0);
  std::lock_guard<std::mutex> guard{sink->mutex};
  REQUIRE(sink->control.size() == 1);
  CHECK(sink->control[0].find("unknown task id nope") != std::string::npos);
  caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
}

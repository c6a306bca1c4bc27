#include "actors/engine/run_queue.hpp"

#include <catch2/catch.hpp>

using ce::priority;
using ce::engine::run_queue;

TEST_CASE("the queue starts critical before high before medium before low, oldest first",
          "[queue]") {
  run_queue q{1, 0};
  q.occupy("running", "u");
  q.enqueue("low", "u", priority::low, 1);
  q.enqueue("medium", "u", priority::medium, 2);
  q.enqueue("high_1", "u", priority::high, 3);
  q.enqueue("critical", "u", priority::critical, 4);
  q.enqueue("high_2", "u", priority::high, 5);
  CHECK(q.position("critical") == 1);
  CHECK(q.position("high_2") == 3);
  CHECK(q.position("low") == 5);
  CHECK_FALSE(q.next_to_start());  // the one slot is taken
  for (const char* expected : {"critical", "high_1", "high_2", "medium", "low"}) {
    q.release("running");
    auto next = q.next_to_start();
    REQUIRE(next);
    CHECK(*next == expected);
    q.occupy(*next, "u");
    q.release(*next);
    q.occupy("running", "u");
  }
  CHECK(q.queued() == 0);
}

TEST_CASE("a user at the cap does not block the users behind them", "[queue]") {
  run_queue q{10, 1};
  q.occupy("a1", "alice");
  CHECK_FALSE(q.has_slot_for("alice"));
  CHECK(q.has_slot_for("bob"));
  q.enqueue("a2", "alice", priority::critical, 1);
  q.enqueue("b1", "bob", priority::low, 2);
  auto next = q.next_to_start();
  REQUIRE(next);
  CHECK(*next == "b1");
  CHECK_FALSE(q.next_to_start());  // only alice's left, and she is at her cap
  q.release("a1");
  next = q.next_to_start();
  REQUIRE(next);
  CHECK(*next == "a2");
}

TEST_CASE("a removed task leaves the queue and the others move up", "[queue]") {
  run_queue q{1, 0};
  q.occupy("running", "u");
  q.enqueue("t1", "u", priority::medium, 1);
  q.enqueue("t2", "u", priority::medium, 2);
  CHECK(q.remove("t1"));
  CHECK_FALSE(q.remove("t1"));
  CHECK(q.position("t1") == 0);
  CHECK(q.position("t2") == 1);
}

TEST_CASE("without limits everything has a slot; releasing twice is harmless", "[queue]") {
  run_queue q;
  for (int i = 0; i < 1000; ++i) q.occupy("t" + std::to_string(i), "u");
  CHECK(q.has_slot_for("u"));
  q.release("t1");
  q.release("t1");
  CHECK(q.running() == 999);
}

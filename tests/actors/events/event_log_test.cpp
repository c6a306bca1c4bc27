#include "actors/events/event_log.hpp"

#include <set>

#include <catch2/catch.hpp>

using ce::event;
using ce::event_page;
using ce::event_query;
using ce::events::event_log;

namespace {
event make(const std::string& task_id, const std::string& type) {
  event e;
  e.task_id = task_id;
  e.type = type;
  return e;
}
}  // namespace

TEST_CASE("every appended event gets the next seq and a node-scoped id", "[events]") {
  event_log log{"node-a"};
  auto& first = log.append(make("t1", "task_created"), 1000);
  CHECK(first.seq == 1);
  CHECK(first.id == "evt_node-a_1");
  CHECK(first.timestamp == 1000);
  auto& second = log.append(make("t2", "task_created"), 1001);
  CHECK(second.seq == 2);
  CHECK(log.last_seq() == 2);
}

TEST_CASE("a restarted log continues the sequence where it stopped", "[events]") {
  event_log log{"node-a", 42};  // the store says 41 events exist
  CHECK(log.append(make("t1", "task_created"), 1).seq == 42);
}

TEST_CASE("a task's events come back oldest first, after the given seq", "[events]") {
  event_log log{"n"};
  log.append(make("t1", "task_created"), 1);
  log.append(make("t2", "task_created"), 2);
  log.append(make("t1", "planning_started"), 3);
  log.append(make("t1", "task_completed"), 4);
  auto all = log.for_task("t1", 0);
  REQUIRE(all.size() == 3);
  CHECK(all[0].type == "task_created");
  CHECK(all[2].type == "task_completed");
  auto after = log.for_task("t1", 3);
  REQUIRE(after.size() == 1);
  CHECK(after[0].seq == 4);
  CHECK(log.for_task("unknown", 0).empty());
}

TEST_CASE("global pages are newest first and a cursor walks every event exactly once", "[events]") {
  event_log log{"n"};
  for (int i = 0; i < 25; ++i) log.append(make("t" + std::to_string(i % 3), "x"), i);
  event_query q;
  q.limit = 10;
  std::set<uint64_t> seen;
  uint64_t previous = UINT64_MAX;
  int pages = 0;
  for (;;) {
    event_page page;
    REQUIRE(log.page(q, page));
    ++pages;
    for (const auto& e : page.events) {
      CHECK(e.seq < previous);  // newest first, strictly
      previous = e.seq;
      CHECK(seen.insert(e.seq).second);
    }
    CHECK(page.total == 25);
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  CHECK(seen.size() == 25);
  CHECK(pages == 3);  // 10 + 10 + 5
}

TEST_CASE("pages can be narrowed to one task or one type", "[events]") {
  event_log log{"n"};
  log.append(make("a", "task_created"), 1);
  log.append(make("b", "task_created"), 2);
  log.append(make("a", "task_completed"), 3);
  event_page page;
  event_query by_task;
  by_task.task_id = "a";
  REQUIRE(log.page(by_task, page));
  REQUIRE(page.events.size() == 2);
  CHECK(page.events[0].type == "task_completed");
  event_query by_type;
  by_type.type = "task_created";
  REQUIRE(log.page(by_type, page));
  CHECK(page.events.size() == 2);
}

TEST_CASE("a cursor the server never handed out is refused", "[events]") {
  event_log log{"n"};
  event_page page;
  event_query q;
  for (const char* bad : {"x12", "e", "e12abc", "12"}) {
    q.cursor = bad;
    CHECK_FALSE(log.page(q, page));
  }
}

// ---- a window over the store: only the newest events stay in memory --------

namespace {

std::vector<uint64_t> seqs_of(const std::vector<event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

/// An event as the store gives it back: stamped already.
event stored(uint64_t seq, const std::string& task_id, const std::string& type) {
  event e = make(task_id, type);
  e.seq = seq;
  e.id = "evt_n_" + std::to_string(seq);
  e.timestamp = static_cast<ce::timestamp_ms>(seq);
  return e;
}

}  // namespace

TEST_CASE("a window of 3 keeps only the newest 3 events", "[events][window]") {
  event_log log{"n", 1, 3};
  for (int i = 0; i < 5; ++i) log.append(make("t", "x"), i);
  CHECK(log.size() == 3);
  CHECK(seqs_of(log.after(0)) == std::vector<uint64_t>{3, 4, 5});
  CHECK(seqs_of(log.for_task("t", 0)) == std::vector<uint64_t>{3, 4, 5});
  CHECK(log.last_seq() == 5);
  CHECK(log.total() == 5);
}

TEST_CASE("a task whose oldest event left the window is known but no longer held whole",
          "[events][window]") {
  event_log log{"n", 1, 3};
  log.append(make("a", "task_created"), 1);      // seq 1
  log.append(make("a", "planning_started"), 2);  // seq 2
  log.append(make("b", "task_created"), 3);      // seq 3
  CHECK(log.holds_task("a"));
  CHECK(log.holds_task("b"));

  log.append(make("b", "planning_started"), 4);  // seq 1 drops out
  CHECK_FALSE(log.holds_task("a"));
  CHECK(log.knows_task("a"));
  CHECK(log.holds_task("b"));

  log.append(make("b", "task_completed"), 5);  // seq 2, a's last, drops out
  CHECK_FALSE(log.knows_task("a"));
  CHECK_FALSE(log.holds_task("a"));
  CHECK(log.holds_task("b"));
}

TEST_CASE("holds_after is true exactly when every later event is in memory", "[events][window]") {
  event_log unbounded{"n"};
  for (int i = 0; i < 5; ++i) unbounded.append(make("t", "x"), i);
  CHECK(unbounded.holds_after(0));

  event_log log{"n", 1, 3};
  for (int i = 0; i < 5; ++i) log.append(make("t", "x"), i);  // seqs 3..5 remain
  CHECK_FALSE(log.holds_after(0));
  CHECK_FALSE(log.holds_after(1));  // seq 2 is gone
  CHECK(log.holds_after(2));
  CHECK(log.holds_after(4));
  CHECK(log.holds_after(5));  // nothing after the last
}

TEST_CASE("a log started from part of the store knows which tasks it holds whole",
          "[events][window]") {
  event_log log{"n", 1, 100};
  // The store holds 10 events (seq 1..10); the newest 3 are loaded. Task a
  // began before the loaded window, task b within it.
  log.start_from_store(10, 10,
                       {stored(8, "a", "step_completed"), stored(9, "b", "task_created"),
                        stored(10, "b", "planning_started")});
  CHECK(log.size() == 3);
  CHECK(log.knows_task("a"));
  CHECK_FALSE(log.holds_task("a"));
  CHECK(log.holds_task("b"));
  CHECK(log.holds_after(7));
  CHECK_FALSE(log.holds_after(6));
  CHECK(log.total() == 10);

  const auto& next = log.append(make("c", "task_created"), 20);
  CHECK(next.seq == 11);
  CHECK(next.id == "evt_n_11");
  CHECK(log.holds_task("c"));
  CHECK(log.total() == 11);
  CHECK(seqs_of(log.after(9)) == std::vector<uint64_t>{10, 11});
}

TEST_CASE("a log started from the whole store holds every task and every seq", "[events][window]") {
  event_log log{"n", 1, 100};
  log.start_from_store(2, 2, {stored(1, "a", "step_completed"), stored(2, "a", "task_completed")});
  CHECK(log.holds_task("a"));
  CHECK(log.holds_after(0));
  CHECK(log.total() == 2);
  CHECK(log.append(make("a", "x"), 3).seq == 3);
}

TEST_CASE("a log started with no events loaded continues after the store's last seq",
          "[events][window]") {
  event_log log{"n", 1, 100};
  log.start_from_store(40, 41, {});  // one seq lost to a failed commit
  CHECK(log.size() == 0);
  CHECK(log.total() == 40);
  CHECK(log.holds_after(41));
  CHECK_FALSE(log.holds_after(40));
  const auto& e = log.append(make("a", "step_started"), 5);
  CHECK(e.seq == 42);
  CHECK_FALSE(log.holds_task("a"));  // its earlier events are in the store only
  CHECK(log.total() == 41);
}

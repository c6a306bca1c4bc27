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

TEST_CASE("global pages are newest first and a cursor walks every event exactly once",
          "[events]") {
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

#include "actors/engine/task_registry.hpp"

#include <set>

#include <catch2/catch.hpp>

using namespace ce;
using ce::engine::task_registry;

namespace {
task make_task(int n, const std::string& user, task_type type = task_type::generate) {
  task t;
  t.id = "task_" + std::to_string(n);
  t.user_id = user;
  t.type = type;
  t.created_at = t.updated_at = 1000 + n;
  return t;
}
}  // namespace

TEST_CASE("tasks list newest first and a cursor pages through each exactly once",
          "[registry]") {
  task_registry r;
  for (int i = 0; i < 120; ++i) r.add(make_task(i, "u"));
  task_query q;
  q.limit = 50;
  std::set<std::string> seen;
  std::string last_id = "task_999";
  int pages = 0;
  for (;;) {
    task_page page;
    REQUIRE(r.list(q, page));
    ++pages;
    CHECK(page.total == 120);
    for (const auto& t : page.tasks) CHECK(seen.insert(t.id).second);
    if (pages == 1) CHECK(page.tasks.front().id == "task_119");
    if (page.next_cursor.empty()) break;
    q.cursor = page.next_cursor;
  }
  CHECK(pages == 3);  // 50 + 50 + 20
  CHECK(seen.size() == 120);
}

TEST_CASE("filters narrow the list and its total", "[registry]") {
  task_registry r;
  r.add(make_task(1, "alice", task_type::deploy));
  r.add(make_task(2, "bob"));
  r.add(make_task(3, "alice"));
  task_query q;
  q.user_id = "alice";
  task_page page;
  REQUIRE(r.list(q, page));
  CHECK(page.total == 2);
  CHECK(page.tasks.size() == 2);
  q.type = "deploy";
  REQUIRE(r.list(q, page));
  REQUIRE(page.tasks.size() == 1);
  CHECK(page.tasks[0].id == "task_1");
  q = {};
  q.status = "completed";
  REQUIRE(r.list(q, page));
  CHECK(page.tasks.empty());
}

TEST_CASE("a malformed cursor is refused", "[registry]") {
  task_registry r;
  r.add(make_task(1, "u"));
  task_query q;
  task_page page;
  for (const char* bad : {"abc", "t", "t99", "e1"}) {
    q.cursor = bad;
    CHECK_FALSE(r.list(q, page));
  }
}

TEST_CASE("statistics follow status changes", "[registry]") {
  task_registry r;
  r.add(make_task(1, "u"));
  r.add(make_task(2, "u"));
  r.add(make_task(3, "u"));
  auto t1 = r.find("task_1")->current;
  t1.status = task_status::completed;
  t1.completed_at = t1.created_at + 400;
  r.update(t1, 5000);
  auto t2 = r.find("task_2")->current;
  t2.status = task_status::failed;
  t2.completed_at = t2.created_at + 200;
  r.update(t2, 5000);
  auto s = r.statistics(5000);
  CHECK(s.total_tasks == 3);
  CHECK(s.terminal_tasks == 2);
  CHECK(s.success_rate == Approx(0.5));
  CHECK(s.average_duration_ms == Approx(300));  // (400 + 200) / 2
  CHECK(s.throughput_per_minute == 2);
  bool pending_counted = false;
  for (const auto& c : s.by_status)
    if (c.name == "pending") pending_counted = c.count == 1;
  CHECK(pending_counted);
  CHECK(r.statistics(5000 + 61000).throughput_per_minute == 0);  // a minute later
}

TEST_CASE("a task's artifacts keep the latest version of each name", "[registry]") {
  task_registry r;
  r.add(make_task(1, "u"));
  execution_result first;
  artifact a;
  a.name = "vpc.tf";
  a.checksum = "old";
  first.artifacts.push_back(a);
  r.add_result("task_1", first);
  execution_result second;
  a.checksum = "new";
  second.artifacts.push_back(a);
  r.add_result("task_1", second);
  const auto* rec = r.find("task_1");
  REQUIRE(rec->artifacts.size() == 1);
  CHECK(rec->artifacts.at("vpc.tf").checksum == "new");
  CHECK(rec->results.size() == 2);
}

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

TEST_CASE("tasks list newest first and a cursor pages through each exactly once", "[registry]") {
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
  CHECK(s.success_rate == Approx(50));          // a percentage: 1 completed of 2 finished
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

// ---- retention: terminal tasks and standalone plans leaving memory ----------

namespace {

using ce::engine::retention;

/// Retention with a count limit and an age limit far beyond any test's clock.
retention keep_at_most(std::size_t terminal_tasks) {
  retention keep;
  keep.enabled = true;
  keep.terminal_tasks = terminal_tasks;
  keep.max_age_ms = 1000000000;
  return keep;
}

/// Retention with an age limit and a count limit no test reaches.
retention keep_for(timestamp_ms max_age_ms) {
  retention keep;
  keep.enabled = true;
  keep.terminal_tasks = 1000000;
  keep.max_age_ms = max_age_ms;
  return keep;
}

/// Adds task n with a plan "plan_<n>" that belongs to it.
void add_with_plan(task_registry& r, int n, timestamp_ms now) {
  auto t = make_task(n, "u");
  plan p;
  p.id = "plan_" + std::to_string(n);
  p.task_id = t.id;
  t.execution.plan_id = p.id;
  r.add(t);
  r.put_plan(p, now);
}

void finish(task_registry& r, const std::string& id, task_status status, timestamp_ms now) {
  REQUIRE(r.find(id) != nullptr);
  auto t = r.find(id)->current;
  t.status = status;
  t.completed_at = now;
  t.updated_at = now;
  r.update(t, now);
}

plan standalone_plan(const std::string& id) {
  plan p;
  p.id = id;
  return p;
}

uint64_t status_count(const engine_statistics& s, const std::string& status) {
  for (const auto& c : s.by_status)
    if (c.name == status) return c.count;
  return 0;
}

}  // namespace

TEST_CASE("with a limit of 2, only the 2 newest terminal tasks and their plans stay in memory",
          "[registry][retention]") {
  task_registry r{keep_at_most(2)};
  for (int n = 1; n <= 7; ++n) add_with_plan(r, n, 100);
  for (int n = 1; n <= 5; ++n)
    finish(r, "task_" + std::to_string(n), task_status::completed, 1000 + n);

  for (int n : {1, 2, 3}) {
    INFO("task_" << n);
    CHECK(r.find("task_" + std::to_string(n)) == nullptr);
    CHECK(r.find_plan("plan_" + std::to_string(n)) == nullptr);
  }
  for (int n : {4, 5, 6, 7}) {  // the 2 newest terminal ones and the 2 active ones
    INFO("task_" << n);
    CHECK(r.find("task_" + std::to_string(n)) != nullptr);
    CHECK(r.find_plan("plan_" + std::to_string(n)) != nullptr);
  }
  CHECK(r.tasks_in_memory() == 4);
  CHECK(r.plans_in_memory() == 4);
}

TEST_CASE("admitting a terminal task at the limit lets the oldest retained one go",
          "[registry][retention]") {
  task_registry r{keep_at_most(1)};
  add_with_plan(r, 1, 100);
  finish(r, "task_1", task_status::completed, 1000);
  stored_task back;
  back.subject = make_task(50, "u");
  back.subject.status = task_status::completed;
  r.admit(back, 2000);
  CHECK(r.find("task_50") != nullptr);
  CHECK(r.find("task_1") == nullptr);
  CHECK(r.tasks_in_memory() == 1);
}

TEST_CASE("active tasks stay in memory however many tasks finish", "[registry][retention]") {
  task_registry r{keep_at_most(1)};
  for (int n = 1; n <= 10; ++n) add_with_plan(r, n, 100);
  for (int n = 1; n <= 8; ++n)
    finish(r, "task_" + std::to_string(n), task_status::failed, 1000 + n);
  CHECK(r.find("task_9") != nullptr);
  CHECK(r.find("task_10") != nullptr);
  CHECK(r.find_plan("plan_9") != nullptr);
  CHECK(r.find("task_1") == nullptr);  // the oldest terminal one left
  CHECK(r.find_plan("plan_1") == nullptr);
  CHECK(r.find("task_8") != nullptr);  // the newest terminal one stays
}

TEST_CASE("statistics count every task whether or not it is still in memory",
          "[registry][retention]") {
  task_registry evicting{keep_at_most(1)};
  task_registry keeping;  // no retention: holds everything
  for (auto* r : {&evicting, &keeping}) {
    for (int n = 1; n <= 6; ++n) add_with_plan(*r, n, 100);
    finish(*r, "task_1", task_status::completed, 2000);
    finish(*r, "task_2", task_status::failed, 2100);
    finish(*r, "task_3", task_status::completed, 2200);
    finish(*r, "task_4", task_status::cancelled, 2300);
  }
  REQUIRE(evicting.tasks_in_memory() < keeping.tasks_in_memory());  // eviction did happen

  auto kept = keeping.statistics(2400);
  auto s = evicting.statistics(2400);
  CHECK(s.total_tasks == 6);
  CHECK(s.total_tasks == kept.total_tasks);
  CHECK(status_count(s, "completed") == 2);
  CHECK(status_count(s, "failed") == 1);
  CHECK(status_count(s, "cancelled") == 1);
  CHECK(status_count(s, "pending") == 2);
  CHECK(s.success_rate == Approx(200.0 / 3));  // 2 completed of 3 finished; cancelled not counted
  CHECK(s.success_rate == Approx(kept.success_rate));
  CHECK(s.average_duration_ms == Approx(kept.average_duration_ms));
  CHECK(s.terminal_tasks == kept.terminal_tasks);
  CHECK(s.throughput_per_minute == kept.throughput_per_minute);
  CHECK(s.plans == 6);
  CHECK(s.plans == kept.plans);
}

TEST_CASE("a terminal task older than max_age leaves at the next update or admit",
          "[registry][retention]") {
  const timestamp_ms max_age = 5000;
  task_registry r{keep_for(max_age)};
  for (int n = 1; n <= 4; ++n) add_with_plan(r, n, 100);
  finish(r, "task_1", task_status::completed, 10000);
  finish(r, "task_2", task_status::completed, 10000 + max_age);  // task_1 exactly max_age old
  CHECK(r.find("task_1") != nullptr);
  finish(r, "task_3", task_status::completed, 10000 + max_age + 1);  // now one ms too old
  CHECK(r.find("task_1") == nullptr);
  CHECK(r.find_plan("plan_1") == nullptr);
  CHECK(r.find("task_2") != nullptr);

  // Nothing leaves by itself; an admit at a later time evicts what got too old.
  stored_task other;
  other.subject = make_task(50, "u");
  other.subject.status = task_status::completed;
  r.admit(other, 10000 + 2 * max_age + 1);
  CHECK(r.find("task_2") == nullptr);
  CHECK(r.find("task_3") != nullptr);
  CHECK(r.find("task_4") != nullptr);  // active
  CHECK(r.find("task_50") != nullptr);
}

TEST_CASE("an admitted task is found again, with its plan and results, on a fresh clock",
          "[registry][retention]") {
  const timestamp_ms max_age = 5000;
  task_registry r{keep_for(max_age)};
  for (int n = 1; n <= 4; ++n) add_with_plan(r, n, 100);
  finish(r, "task_1", task_status::completed, 10000);
  finish(r, "task_2", task_status::completed, 16000);
  REQUIRE(r.find("task_1") == nullptr);
  const auto totals_before = r.statistics(16000).total_tasks;

  // What the store gives back for task_1.
  stored_task back;
  back.subject = make_task(1, "u");
  back.subject.status = task_status::completed;
  back.subject.execution.plan_id = "plan_1";
  back.the_plan.id = "plan_1";
  back.the_plan.task_id = "task_1";
  back.has_plan = true;
  execution_result result;
  result.id = "res_1";
  artifact a;
  a.name = "vpc.tf";
  result.artifacts.push_back(a);
  back.results.push_back(result);
  back.verification.id = "ver_1";
  back.has_verification = true;
  r.admit(back, 17000);

  const auto* rec = r.find("task_1");
  REQUIRE(rec != nullptr);
  CHECK(rec->results.size() == 1);
  CHECK(rec->artifacts.count("vpc.tf") == 1);
  CHECK(rec->has_verification);
  CHECK(r.find_plan("plan_1") != nullptr);
  CHECK(r.statistics(17000).total_tasks == totals_before);  // admitting is not adding

  // Admitting what is already in memory changes nothing.
  stored_task stale = back;
  stale.subject.status = task_status::failed;
  r.admit(stale, 17000);
  CHECK(r.find("task_1")->current.status == task_status::completed);

  // Ended at 10000 but admitted at 17000: at 21000 it is 4000 old, not 11000.
  finish(r, "task_3", task_status::completed, 17000 + max_age);
  CHECK(r.find("task_1") != nullptr);
  r.admit_plan(standalone_plan("plan_x"), 17000 + max_age + 1);
  CHECK(r.find("task_1") == nullptr);
  CHECK(r.find_plan("plan_1") == nullptr);
}

TEST_CASE("standalone plans are retained like terminal tasks; a task's plan stays with its task",
          "[registry][retention]") {
  const timestamp_ms max_age = 5000;
  task_registry r{keep_for(max_age)};
  add_with_plan(r, 1, 10000);  // active: its plan must stay however old
  r.put_plan(standalone_plan("plan_a"), 10000);
  r.put_plan(standalone_plan("plan_b"), 10000 + max_age + 1);
  CHECK(r.find_plan("plan_a") == nullptr);
  CHECK(r.find_plan("plan_b") != nullptr);
  CHECK(r.find_plan("plan_1") != nullptr);
  CHECK(r.plans_in_memory() == 2);
  CHECK(r.statistics(0).plans == 3);  // every plan ever made

  r.admit_plan(standalone_plan("plan_a"), 20000);
  CHECK(r.find_plan("plan_a") != nullptr);
  CHECK(r.statistics(0).plans == 3);  // reading back is not making

  // Changing a plan in memory keeps its place; only new plans count.
  auto changed = standalone_plan("plan_a");
  changed.approved_by = "alice";
  r.put_plan(changed, 20001);
  CHECK(r.find_plan("plan_a")->approved_by == "alice");
  CHECK(r.statistics(0).plans == 3);

  finish(r, "task_1", task_status::completed, 30000);
  CHECK(r.find_plan("plan_1") != nullptr);
  r.put_plan(standalone_plan("plan_c"), 30000 + max_age + 1);
  CHECK(r.find("task_1") == nullptr);
  CHECK(r.find_plan("plan_1") == nullptr);  // left with its task
  CHECK(r.find_plan("plan_a") == nullptr);
  CHECK(r.find_plan("plan_c") != nullptr);
}

TEST_CASE("standalone plans and terminal tasks share the count limit", "[registry][retention]") {
  task_registry r{keep_at_most(2)};
  r.put_plan(standalone_plan("plan_a"), 1);
  r.put_plan(standalone_plan("plan_b"), 2);
  r.put_plan(standalone_plan("plan_c"), 3);
  CHECK(r.find_plan("plan_a") == nullptr);
  CHECK(r.find_plan("plan_b") != nullptr);
  CHECK(r.find_plan("plan_c") != nullptr);
  CHECK(r.plans_in_memory() == 2);
}

TEST_CASE("seeded store totals add to the tasks added since", "[registry][retention]") {
  task_registry r{keep_at_most(100)};
  const timestamp_ms now = 100000;
  store::task_totals totals;
  totals.groups.push_back({task_status::completed, task_type::generate, priority::medium, 3});
  totals.groups.push_back({task_status::failed, task_type::deploy, priority::high, 1});
  totals.groups.push_back({task_status::executing, task_type::generate, priority::low, 1});
  totals.duration_sum_ms = 1000;  // over the 4 finished ones
  totals.recent_finishes = {now - 1000};
  totals.plans = 5;
  r.seed(totals);

  // The executing task comes back from the store: counted by seed, not again.
  stored_task running;
  running.subject = make_task(0, "u");
  running.subject.status = task_status::executing;
  r.restore(running);
  CHECK(r.find("task_0") != nullptr);
  CHECK(r.interrupted() == std::vector<std::string>{"task_0"});

  r.add(make_task(1, "u"));
  r.add(make_task(2, "u"));
  auto t1 = r.find("task_1")->current;
  t1.status = task_status::completed;
  t1.completed_at = t1.created_at + 200;
  r.update(t1, now);
  r.put_plan(standalone_plan("plan_new"), now);

  auto s = r.statistics(now);
  CHECK(s.total_tasks == 5 + 2);
  CHECK(status_count(s, "completed") == 3 + 1);
  CHECK(status_count(s, "failed") == 1);
  CHECK(status_count(s, "executing") == 1);
  CHECK(status_count(s, "pending") == 1);
  CHECK(s.terminal_tasks == 5);
  CHECK(s.success_rate == Approx(80));  // 4 completed of 5 finished
  CHECK(s.average_duration_ms == Approx((1000.0 + 200.0) / 5.0));
  CHECK(s.throughput_per_minute == 2);  // one from the store, one now
  CHECK(s.running_tasks == 1);
  CHECK(s.plans == 5 + 1);
}

TEST_CASE("without retention nothing ever leaves memory", "[registry][retention]") {
  task_registry r;
  for (int n = 1; n <= 30; ++n) add_with_plan(r, n, 0);
  for (int n = 1; n <= 30; ++n)
    finish(r, "task_" + std::to_string(n), task_status::completed, 1000 + n);
  for (int n = 1; n <= 20; ++n) r.put_plan(standalone_plan("plan_s" + std::to_string(n)), n);
  const timestamp_ms far_later = 1000000000;
  r.put_plan(standalone_plan("plan_last"), far_later);
  stored_task other;
  other.subject = make_task(99, "u");
  r.admit(other, far_later);
  CHECK(r.tasks_in_memory() == 31);
  CHECK(r.plans_in_memory() == 30 + 20 + 1);
  CHECK(r.find("task_1") != nullptr);
  CHECK(r.find_plan("plan_s1") != nullptr);
  task_page page;
  REQUIRE(r.list({}, page));
  CHECK(page.total == 30);  // list() knows the tasks it added
}

TEST_CASE("with a limit of 0, a task stays only until the next one finishes or is read",
          "[registry][retention]") {
  // The engine answers execute?wait=true callers from the record right after
  // the task ends, and a read from the record it just admitted.
  task_registry r{keep_at_most(0)};
  for (int n = 1; n <= 3; ++n) add_with_plan(r, n, 100);
  finish(r, "task_1", task_status::completed, 1000);
  CHECK(r.find("task_1") != nullptr);
  finish(r, "task_2", task_status::completed, 1001);
  CHECK(r.find("task_1") == nullptr);
  CHECK(r.find("task_2") != nullptr);
  stored_task back;
  back.subject = make_task(50, "u");
  back.subject.status = task_status::completed;
  r.admit(back, 1002);
  CHECK(r.find("task_50") != nullptr);
  CHECK(r.find("task_2") == nullptr);
  CHECK(r.find("task_3") != nullptr);  // active
  CHECK(r.tasks_in_memory() == 2);
}

TEST_CASE("pending tasks are counted in all and per user as they come and go", "[registry]") {
  task_registry r;
  r.add(make_task(1, "alice"));
  r.add(make_task(2, "alice"));
  r.add(make_task(3, "bob"));
  CHECK(r.pending_total() == 3);
  CHECK(r.pending_of("alice") == 2);
  CHECK(r.pending_of("bob") == 1);
  CHECK(r.pending_of("carol") == 0);
  auto executing = make_task(1, "alice");
  executing.status = task_status::planning;
  r.update(executing, 10);
  auto cancelled = make_task(3, "bob");
  cancelled.status = task_status::cancelled;
  r.update(cancelled, 11);
  CHECK(r.pending_total() == 1);
  CHECK(r.pending_of("alice") == 1);
  CHECK(r.pending_of("bob") == 0);
}

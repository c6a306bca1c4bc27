#include "actors/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace ce;
using ce::store::recovered_state;
using ce::store::sqlite_store;

namespace {

/// One minute: the window of `recent_finishes` (throughput per minute).
constexpr timestamp_ms one_minute_ms = 60000;

std::string db_path(const ce::testing::temp_dir& dir) {
  return dir.path() + "/core-engine.db";
}

std::unique_ptr<sqlite_store> open_store(const std::string& path) {
  std::string error;
  auto store = sqlite_store::open(path, error);
  INFO(error);
  REQUIRE(store);
  return store;
}

task make_task(const std::string& id, const std::string& user, task_status status,
               timestamp_ms created_at, timestamp_ms completed_at = 0,
               task_type type = task_type::generate, priority prio = priority::medium) {
  task t;
  t.id = id;
  t.user_id = user;
  t.status = status;
  t.type = type;
  t.prio = prio;
  t.created_at = t.updated_at = created_at;
  t.completed_at = completed_at;
  return t;
}

event make_event(uint64_t seq, const std::string& task_id, const std::string& type) {
  event e;
  e.seq = seq;
  e.id = "evt_n_" + std::to_string(seq);
  e.task_id = task_id;
  e.type = type;
  e.timestamp = 1000 + static_cast<timestamp_ms>(seq);
  return e;
}

void commit(sqlite_store& store, const change_set& changes) {
  std::string error;
  bool committed = store.commit({&changes}, error);
  INFO(error);
  REQUIRE(committed);
}

void commit_tasks(sqlite_store& store, const std::vector<task>& tasks) {
  change_set changes;
  changes.tasks = tasks;
  commit(store, changes);
}

std::vector<std::string> ids_of(const std::vector<task>& tasks) {
  std::vector<std::string> out;
  for (const auto& t : tasks) out.push_back(t.id);
  return out;
}

std::vector<uint64_t> seqs_of(const std::vector<event>& events) {
  std::vector<uint64_t> out;
  for (const auto& e : events) out.push_back(e.seq);
  return out;
}

/// Walks every page of a task list; checks each page's total on the way.
std::vector<std::string> walk_tasks(sqlite_store& store, task_query query, uint64_t expected_total,
                                    int& pages) {
  std::vector<std::string> seen;
  pages = 0;
  for (;;) {
    task_page page;
    REQUIRE(store.list_tasks(query, page));
    ++pages;
    CHECK(page.total == expected_total);
    for (const auto& t : page.tasks) seen.push_back(t.id);
    if (page.next_cursor.empty()) break;
    REQUIRE(pages < 100);  // a cursor that never ends
    query.cursor = page.next_cursor;
  }
  return seen;
}

/// Sum of the totals' group counts that satisfy `pred`.
template <class Pred>
uint64_t count_groups(const store::task_totals& totals, Pred pred) {
  uint64_t n = 0;
  for (const auto& g : totals.groups)
    if (pred(g)) n += g.count;
  return n;
}

}  // namespace

TEST_CASE("task pages walk every task exactly once, newest first, with the full total", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  // 23 tasks, 5 per page: 4 full pages and one of 3.
  std::vector<task> tasks;
  for (int i = 0; i < 23; ++i)
    tasks.push_back(make_task("task_" + std::to_string(i), "u", task_status::pending, 1000 + i));
  commit_tasks(*store, tasks);

  task_query query;
  query.limit = 5;
  int pages = 0;
  auto seen = walk_tasks(*store, query, 23, pages);
  CHECK(pages == 5);
  std::vector<std::string> expected;
  for (int i = 22; i >= 0; --i) expected.push_back("task_" + std::to_string(i));
  CHECK(seen == expected);
}

TEST_CASE("a status change keeps a task at its place in the newest-first list", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  commit_tasks(*store, {make_task("a", "u", task_status::pending, 1),
                        make_task("b", "u", task_status::pending, 2)});
  commit_tasks(*store, {make_task("a", "u", task_status::completed, 1, 5)});
  task_page page;
  REQUIRE(store->list_tasks({}, page));
  CHECK(ids_of(page.tasks) == std::vector<std::string>{"b", "a"});
  CHECK(page.tasks[1].status == task_status::completed);
  CHECK(page.total == 2);
}

TEST_CASE("filtered task pages walk only the matching tasks and count only them", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  // 30 tasks cycling through 3 users, 2 types, 3 statuses and 2 priorities at
  // different rates, so that each filter narrows the others.
  const std::vector<std::string> users{"alice", "bob", "carol"};
  const std::vector<task_type> types{task_type::generate, task_type::deploy};
  const std::vector<task_status> statuses{task_status::pending, task_status::completed,
                                          task_status::failed};
  const std::vector<priority> prios{priority::low, priority::high};
  std::vector<task> tasks;
  for (int i = 0; i < 30; ++i)
    tasks.push_back(make_task("task_" + std::to_string(i), users[i % 3], statuses[(i / 4) % 3],
                              1000 + i, 0, types[i % 2], prios[(i / 7) % 2]));
  commit_tasks(*store, tasks);

  auto expected_ids = [&](auto pred) {
    std::vector<std::string> out;
    for (auto it = tasks.rbegin(); it != tasks.rend(); ++it)
      if (pred(*it)) out.push_back(it->id);
    return out;
  };

  SECTION("by user") {
    task_query query;
    query.user_id = "alice";
    query.limit = 3;
    auto expected = expected_ids([](const task& t) { return t.user_id == "alice"; });
    int pages = 0;
    CHECK(walk_tasks(*store, query, expected.size(), pages) == expected);
    CHECK(pages == 4);  // 10 tasks, 3 per page
  }
  SECTION("user, type, status and priority combine") {
    task_query query;
    query.user_id = "alice";
    query.type = "generate";
    query.status = "pending";
    query.prio = "low";
    query.limit = 1;
    auto expected = expected_ids([](const task& t) {
      return t.user_id == "alice" && t.type == task_type::generate &&
             t.status == task_status::pending && t.prio == priority::low;
    });
    REQUIRE_FALSE(expected.empty());  // the data set must exercise the filter
    int pages = 0;
    CHECK(walk_tasks(*store, query, expected.size(), pages) == expected);
  }
  SECTION("type and priority combine") {
    task_query query;
    query.type = "deploy";
    query.prio = "high";
    query.limit = 4;
    auto expected = expected_ids(
        [](const task& t) { return t.type == task_type::deploy && t.prio == priority::high; });
    int pages = 0;
    CHECK(walk_tasks(*store, query, expected.size(), pages) == expected);
  }
  SECTION("a filter nothing matches gives an empty page and total 0") {
    task_query query;
    query.user_id = "nobody";
    task_page page;
    REQUIRE(store->list_tasks(query, page));
    CHECK(page.tasks.empty());
    CHECK(page.total == 0);
    CHECK(page.next_cursor.empty());
  }
}

TEST_CASE("a malformed or foreign task cursor is refused and the page left untouched", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  commit_tasks(*store, {make_task("a", "u", task_status::pending, 1)});
  task_page page;
  page.total = 77;  // a marker: a refused query must not touch the page
  task_query query;
  for (const char* bad : {"x1", "t", "tabc", "e5", "t-1", "t5x"}) {
    query.cursor = bad;
    INFO(bad);
    CHECK_FALSE(store->list_tasks(query, page));
    CHECK(page.total == 77);
  }
}

TEST_CASE("event pages filter by task and by type and count what matches", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  change_set changes;
  // seq 1..12: tasks a, b, c in turn; even seqs are "step_completed".
  for (uint64_t seq = 1; seq <= 12; ++seq)
    changes.events.push_back(make_event(seq, std::string(1, static_cast<char>('a' + (seq - 1) % 3)),
                                        seq % 2 == 0 ? "step_completed" : "task_created"));
  commit(*store, changes);

  SECTION("all events, newest first, every one exactly once across pages") {
    event_query query;
    query.limit = 5;
    std::vector<uint64_t> seen;
    int pages = 0;
    for (;;) {
      event_page page;
      REQUIRE(store->list_events(query, page));
      ++pages;
      CHECK(page.total == 12);
      for (auto seq : seqs_of(page.events)) seen.push_back(seq);
      if (page.next_cursor.empty()) break;
      REQUIRE(pages < 100);
      query.cursor = page.next_cursor;
    }
    CHECK(pages == 3);  // 5 + 5 + 2
    CHECK(seen == std::vector<uint64_t>{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1});
  }
  SECTION("one task") {
    event_query query;
    query.task_id = "a";  // seqs 1, 4, 7, 10
    query.limit = 3;
    event_page page;
    REQUIRE(store->list_events(query, page));
    CHECK(seqs_of(page.events) == std::vector<uint64_t>{10, 7, 4});
    CHECK(page.total == 4);
    REQUIRE_FALSE(page.next_cursor.empty());
    query.cursor = page.next_cursor;
    REQUIRE(store->list_events(query, page));
    CHECK(seqs_of(page.events) == std::vector<uint64_t>{1});
    CHECK(page.next_cursor.empty());
  }
  SECTION("one type") {
    event_query query;
    query.type = "step_completed";  // even seqs
    event_page page;
    REQUIRE(store->list_events(query, page));
    CHECK(seqs_of(page.events) == std::vector<uint64_t>{12, 10, 8, 6, 4, 2});
    CHECK(page.total == 6);
  }
  SECTION("task and type combine") {
    event_query query;
    query.task_id = "a";
    query.type = "step_completed";  // a's even seqs: 4, 10
    event_page page;
    REQUIRE(store->list_events(query, page));
    CHECK(seqs_of(page.events) == std::vector<uint64_t>{10, 4});
    CHECK(page.total == 2);
  }
  SECTION("a malformed or foreign cursor is refused") {
    event_query query;
    for (const char* bad : {"t5", "e", "eabc", "x1"}) {
      query.cursor = bad;
      INFO(bad);
      event_page page;
      CHECK_FALSE(store->list_events(query, page));
    }
  }
}

TEST_CASE("a task's events after a seq come back oldest first", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  change_set changes;
  for (uint64_t seq = 1; seq <= 8; ++seq)
    changes.events.push_back(make_event(seq, seq % 2 ? "a" : "b", "x"));
  commit(*store, changes);
  CHECK(seqs_of(store->task_events("a", 0)) == std::vector<uint64_t>{1, 3, 5, 7});
  CHECK(seqs_of(store->task_events("a", 3)) == std::vector<uint64_t>{5, 7});
  CHECK(store->task_events("a", 7).empty());
  CHECK(store->task_events("unknown", 0).empty());
}

TEST_CASE("events after a seq give the newest `limit` of them in ascending order", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  change_set changes;
  for (uint64_t seq = 1; seq <= 10; ++seq) changes.events.push_back(make_event(seq, "a", "x"));
  commit(*store, changes);
  CHECK(seqs_of(store->events_after(2, 3)) == std::vector<uint64_t>{8, 9, 10});
  CHECK(seqs_of(store->events_after(7, 10)) == std::vector<uint64_t>{8, 9, 10});
  CHECK(store->events_after(10, 5).empty());
}

TEST_CASE("a found task carries its plan, its results in commit order and its verification",
          "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  auto t = make_task("task_1", "u", task_status::completed, 1000, 2000);
  t.execution.plan_id = "plan_1";
  plan p;
  p.id = "plan_1";
  p.task_id = "task_1";
  p.steps.resize(3);
  plan standalone;
  standalone.id = "plan_standalone";
  change_set first;
  first.tasks.push_back(t);
  first.plans = {shared<plan>(p), shared<plan>(standalone)};
  // Ids deliberately not in alphabetical order: the order is the commit order.
  for (const char* id : {"res_z", "res_a"}) {
    execution_result r;
    r.id = id;
    r.step_id = std::string("step_") + id;
    first.results.push_back(r);
    first.result_task_ids.push_back("task_1");
  }
  commit(*store, first);
  change_set second;
  execution_result last;
  last.id = "res_m";
  second.results.push_back(last);
  second.result_task_ids.push_back("task_1");
  verification_result v;
  v.id = "ver_1";
  v.passed = 4;
  second.verifications.push_back(v);
  second.verification_task_ids.push_back("task_1");
  commit(*store, second);

  stored_task found;
  REQUIRE(store->find_task("task_1", found));
  CHECK(found.subject.id == "task_1");
  CHECK(found.subject.status == task_status::completed);
  REQUIRE(found.has_plan);
  CHECK(found.the_plan.id == "plan_1");
  CHECK(found.the_plan.steps.size() == 3);
  std::vector<std::string> result_ids;
  for (const auto& r : found.results) result_ids.push_back(r.id);
  CHECK(result_ids == std::vector<std::string>{"res_z", "res_a", "res_m"});
  CHECK(found.results[0].step_id == "step_res_z");
  REQUIRE(found.has_verification);
  CHECK(found.verification.id == "ver_1");
  CHECK(found.verification.passed == 4);

  CHECK_FALSE(store->find_task("task_unknown", found));
  CHECK(store->has_task("task_1"));
  CHECK_FALSE(store->has_task("task_unknown"));
  plan read_back;
  REQUIRE(store->find_plan("plan_standalone", read_back));
  CHECK(read_back.task_id.empty());
  CHECK_FALSE(store->find_plan("plan_unknown", read_back));
}

TEST_CASE("a task without plan or verification is found without them", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  commit_tasks(*store, {make_task("task_1", "u", task_status::pending, 1)});
  stored_task found;
  REQUIRE(store->find_task("task_1", found));
  CHECK_FALSE(found.has_plan);
  CHECK_FALSE(found.has_verification);
  CHECK(found.results.empty());
}

TEST_CASE("load gives the active tasks, the newest events, the last seq and the totals",
          "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  const timestamp_ms now = 100000;
  auto executing =
      make_task("t_exec", "u", task_status::executing, 500, 0, task_type::deploy, priority::high);
  executing.execution.plan_id = "plan_exec";
  plan exec_plan;
  exec_plan.id = "plan_exec";
  exec_plan.task_id = "t_exec";
  plan standalone;
  standalone.id = "plan_alone";
  execution_result r;
  r.id = "res_1";
  change_set changes;
  changes.tasks = {
      make_task("t_pending", "u", task_status::pending, 100),
      executing,
      // finished long before `now`: counts for the duration, not for the last minute
      make_task("t_old", "u", task_status::completed, 1000, 1400),
      // finished within the last minute of `now`
      make_task("t_done", "u", task_status::completed, 2000, now - 1000),
      make_task("t_failed", "u", task_status::failed, 3000, now - 30000, task_type::deploy),
      // cancelled: no duration, but it did finish in the last minute
      make_task("t_cancelled", "u", task_status::cancelled, 4000, now - 500),
      make_task("t_awaiting", "u", task_status::awaiting_approval, 5000),
  };
  changes.plans = {shared<plan>(exec_plan), shared<plan>(standalone)};
  changes.results.push_back(r);
  changes.result_task_ids.push_back("t_exec");
  for (uint64_t seq = 1; seq <= 9; ++seq) changes.events.push_back(make_event(seq, "t_exec", "x"));
  commit(*store, changes);

  recovered_state state;
  std::string error;
  bool loaded = store->load(state, 4, now, error);
  INFO(error);
  REQUIRE(loaded);

  // Non-terminal ones only, in creation (insertion) order.
  std::vector<std::string> active;
  for (const auto& t : state.active) active.push_back(t.subject.id);
  CHECK(active == std::vector<std::string>{"t_pending", "t_exec", "t_awaiting"});
  const auto& exec = state.active[1];
  CHECK(exec.has_plan);
  CHECK(exec.the_plan.id == "plan_exec");
  CHECK(exec.results.size() == 1);

  CHECK(seqs_of(state.recent_events) == std::vector<uint64_t>{6, 7, 8, 9});
  CHECK(state.last_seq == 9);

  const auto& totals = state.totals;
  CHECK(count_groups(totals, [](auto&) { return true; }) == 7);
  CHECK(count_groups(totals, [](auto& g) { return g.status == task_status::completed; }) == 2);
  CHECK(count_groups(totals, [](auto& g) { return g.status == task_status::failed; }) == 1);
  CHECK(count_groups(totals, [](auto& g) { return g.status == task_status::executing; }) == 1);
  CHECK(count_groups(totals, [](auto& g) { return g.type == task_type::deploy; }) == 2);
  CHECK(count_groups(totals, [](auto& g) { return g.prio == priority::high; }) == 1);
  CHECK(count_groups(totals, [](auto& g) {
          return g.status == task_status::failed && g.type == task_type::deploy &&
                 g.prio == priority::medium;
        }) == 1);
  // completed + failed only: 400 + (now - 1000 - 2000) + (now - 30000 - 3000)
  CHECK(totals.duration_sum_ms == Approx(400.0 + (now - 3000) + (now - 33000)));
  CHECK(totals.recent_finishes == std::vector<timestamp_ms>{now - 30000, now - 1000, now - 500});
  CHECK(totals.plans == 2);
  CHECK(totals.events == 9);
}

TEST_CASE("load of an empty store gives nothing and seq 0", "[store]") {
  ce::testing::temp_dir dir;
  auto store = open_store(db_path(dir));
  recovered_state state;
  std::string error;
  REQUIRE(store->load(state, 100, 1000, error));
  CHECK(state.active.empty());
  CHECK(state.recent_events.empty());
  CHECK(state.last_seq == 0);
  CHECK(state.totals.groups.empty());
  CHECK(state.totals.plans == 0);
  CHECK(state.totals.events == 0);
}

TEST_CASE("a reader connection sees what the writer commits after it opened", "[store]") {
  ce::testing::temp_dir dir;
  auto path = db_path(dir);
  auto writer = open_store(path);
  commit_tasks(*writer, {make_task("task_1", "u", task_status::pending, 1)});
  std::string error;
  auto reader = sqlite_store::open_reader(path, error);
  INFO(error);
  REQUIRE(reader);
  CHECK(reader->has_task("task_1"));
  CHECK_FALSE(reader->has_task("task_2"));

  change_set later;
  later.tasks.push_back(make_task("task_2", "u", task_status::completed, 2, 3));
  later.events.push_back(make_event(1, "task_2", "task_created"));
  commit(*writer, later);

  CHECK(reader->has_task("task_2"));
  stored_task found;
  REQUIRE(reader->find_task("task_2", found));
  CHECK(found.subject.status == task_status::completed);
  task_page page;
  REQUIRE(reader->list_tasks({}, page));
  CHECK(page.total == 2);
  CHECK(seqs_of(reader->events_after(0, 10)) == std::vector<uint64_t>{1});
}

TEST_CASE("a version-1 database is upgraded in place and its durations count", "[store]") {
  ce::testing::temp_dir dir;
  auto path = db_path(dir);
  const timestamp_ms created = 1000;
  const timestamp_ms finished = 4000;
  {
    auto store = open_store(path);
    commit_tasks(*store, {make_task("task_old", "u", task_status::completed, created, finished)});
  }
  // Turn the file into what version 1 wrote: no completed_at column, user_version 1.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    char* message = nullptr;
    int rc = sqlite3_exec(db,
                          "DROP INDEX tasks_by_completion; "
                          "ALTER TABLE tasks DROP COLUMN completed_at; "
                          "PRAGMA user_version=1;",
                          nullptr, nullptr, &message);
    std::string why = message ? message : "";
    sqlite3_free(message);
    INFO(why);
    CHECK(rc == SQLITE_OK);
    sqlite3_stmt* probe = nullptr;
    // The column is really gone (the prepare fails), so the upgrade has to add it.
    CHECK(sqlite3_prepare_v2(db, "SELECT completed_at FROM tasks", -1, &probe, nullptr) !=
          SQLITE_OK);
    sqlite3_finalize(probe);
    sqlite3_close(db);
  }

  auto store = open_store(path);
  recovered_state state;
  std::string error;
  bool loaded = store->load(state, 10, finished + 1000, error);
  INFO(error);
  REQUIRE(loaded);
  CHECK(state.totals.duration_sum_ms == Approx(finished - created));
  CHECK(state.totals.recent_finishes == std::vector<timestamp_ms>{finished});
  stored_task found;
  REQUIRE(store->find_task("task_old", found));
  CHECK(found.subject.completed_at == finished);
  store.reset();

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* version = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &version, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(version) == SQLITE_ROW);
  CHECK(sqlite3_column_int(version, 0) == sqlite_store::schema_version);
  sqlite3_finalize(version);
  sqlite3_close(db);
}

TEST_CASE("a database written by a newer schema version is refused", "[store]") {
  ce::testing::temp_dir dir;
  auto path = db_path(dir);
  open_store(path).reset();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const auto pragma = "PRAGMA user_version=" + std::to_string(sqlite_store::schema_version + 1);
  REQUIRE(sqlite3_exec(db, pragma.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  CHECK_FALSE(sqlite_store::open(path, error));
  CHECK_THAT(error, Catch::Contains("newer"));
}

TEST_CASE("a task stored before tasks carried queue_position still reads back", "[store][compat]") {
  ce::testing::temp_dir dir;
  auto task_written = make_task("task_old", "alice", task_status::completed, 1000, 2000);
  task_written.result.present = true;
  task_written.result.errors = {"kept"};
  {
    auto store = open_store(db_path(dir));
    change_set c;
    c.tasks.push_back(task_written);
    commit(*store, c);
  }
  // The older layout is the same bytes without the trailing uint32.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(db_path(dir).c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE tasks SET doc = substr(doc, 1, length(doc) - 4)", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_store(db_path(dir));
  stored_task back;
  REQUIRE(store->find_task("task_old", back));
  CHECK(back.subject.id == "task_old");
  CHECK(back.subject.user_id == "alice");
  CHECK(back.subject.completed_at == 2000);
  CHECK(back.subject.result.errors == std::vector<std::string>{"kept"});
  CHECK(back.subject.queue_position == 0);
}

namespace {

stored_blob blob_of(const std::string& bytes, const std::string& checksum) {
  return {checksum, shared<std::string>(bytes)};
}

/// Rows in the blobs table, read on a connection of its own.
int64_t blob_rows(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* count = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM blobs", -1, &count, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(count) == SQLITE_ROW);
  auto rows = sqlite3_column_int64(count, 0);
  sqlite3_finalize(count);
  sqlite3_close(db);
  return rows;
}

}  // namespace

TEST_CASE("artifact bytes are kept once per checksum, committed with the result", "[store]") {
  ce::testing::temp_dir dir;
  auto path = db_path(dir);
  auto store = open_store(path);
  for (const char* task_id : {"task_a", "task_b"}) {  // two tasks, identical output
    change_set changes;
    changes.tasks.push_back(make_task(task_id, "u", task_status::executing, 1000));
    execution_result r;
    r.id = std::string("result_") + task_id;
    r.step_id = "generate_vpc";
    artifact a;
    a.name = "vpc.tf";
    a.checksum = "sha_vpc";
    r.artifacts.push_back(a);
    changes.result_task_ids.push_back(task_id);
    changes.results.push_back(r);
    changes.blobs.push_back(blob_of("resource \"aws_vpc\" \"main\" {}\n", "sha_vpc"));
    commit(*store, changes);
  }
  CHECK(blob_rows(path) == 1);
  std::string bytes;
  REQUIRE(store->find_blob("sha_vpc", bytes));
  CHECK(bytes == "resource \"aws_vpc\" \"main\" {}\n");
  CHECK_FALSE(store->find_blob("sha_unknown", bytes));

  // A restarted node gets the bytes of an active task's artifacts to resume with.
  store.reset();
  store = open_store(path);
  recovered_state state;
  std::string error;
  REQUIRE(store->load(state, 10, 2000, error));
  REQUIRE(state.active.size() == 2);
  for (const auto& t : state.active) {
    REQUIRE(t.files.count("vpc.tf") == 1);
    CHECK(t.files.at("vpc.tf").checksum == "sha_vpc");
    CHECK(*t.files.at("vpc.tf").bytes == "resource \"aws_vpc\" \"main\" {}\n");
  }
}

TEST_CASE("a version-2 database gains the blobs table and keeps its tasks", "[store]") {
  ce::testing::temp_dir dir;
  auto path = db_path(dir);
  {
    auto store = open_store(path);
    commit_tasks(*store, {make_task("task_old", "u", task_status::completed, 1000, 2000)});
  }
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "DROP TABLE blobs; PRAGMA user_version=2;", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = open_store(path);
  stored_task found;
  CHECK(store->find_task("task_old", found));
  change_set changes;
  changes.blobs.push_back(blob_of("bytes", "sha_new"));
  commit(*store, changes);
  std::string bytes;
  CHECK(store->find_blob("sha_new", bytes));
}

#include "actors/store/sqlite_store.hpp"

#include <sqlite3.h>

#include <charconv>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

namespace ce::store {

namespace {

// Objects are kept as their CAF serialization (the same `inspect` that lets
// them cross a node boundary); the columns next to them exist for queries.
template <class T>
std::vector<char> to_blob(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  if (auto err = sink(const_cast<T&>(x)))
    throw std::runtime_error("cannot serialize a " + std::string(typeid(T).name()));
  return buf;
}

template <class T>
bool from_blob(const void* data, int size, T& x) {
  caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr),
                                  static_cast<const char*>(data), static_cast<size_t>(size)};
  return !source(x);
}

/// A task as stored before it carried queue_position: same fields, one fewer.
struct task_before_queue_position {
  task* t;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_before_queue_position& x) {
  auto& t = *x.t;
  return f(caf::meta::type_name("task"), t.id, t.type, t.status, t.prio, t.user_id, t.created_at,
           t.updated_at, t.completed_at, t.context, t.execution, t.result, t.metadata);
}

/// Tasks written by earlier versions decode too.
template <>
bool from_blob(const void* data, int size, task& x) {
  caf::binary_deserializer source{static_cast<caf::execution_unit*>(nullptr),
                                  static_cast<const char*>(data), static_cast<size_t>(size)};
  if (!source(x)) return true;
  task older;
  task_before_queue_position view{&older};
  caf::binary_deserializer again{static_cast<caf::execution_unit*>(nullptr),
                                 static_cast<const char*>(data), static_cast<size_t>(size)};
  if (again(view)) return false;
  x = std::move(older);
  return true;
}

/// A prepared statement, finalized when it goes out of scope.
class statement {
 public:
  statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("cannot prepare statement: ") + sqlite3_errmsg(db));
  }
  ~statement() { sqlite3_finalize(stmt_); }
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  statement& text(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  statement& integer(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  statement& blob(int i, const std::vector<char>& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  /// Binds bytes that outlive the statement's next run (no copy).
  statement& bytes(int i, const std::string& v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    return *this;
  }
  /// Runs a statement that returns no rows, then resets it for reuse.
  void run() {
    int rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
  }
  /// Steps through rows; false when done.
  bool next() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
    return false;
  }
  std::string column_text(int i) {
    auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, i))
             : std::string();
  }
  template <class T>
  bool column_object(int i, T& x) {
    return from_blob(sqlite3_column_blob(stmt_, i), sqlite3_column_bytes(stmt_, i), x);
  }
  int64_t column_integer(int i) { return sqlite3_column_int64(stmt_, i); }
  std::string column_bytes(int i) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, i))) : std::string();
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks(
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, type TEXT NOT NULL,
  priority TEXT NOT NULL, created_at INTEGER NOT NULL, doc BLOB NOT NULL,
  completed_at INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks(status);
CREATE TABLE IF NOT EXISTS plans(id TEXT PRIMARY KEY, task_id TEXT NOT NULL, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS results(
  id TEXT PRIMARY KEY, task_id TEXT NOT NULL, step_id TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS results_by_task ON results(task_id);
CREATE TABLE IF NOT EXISTS verifications(task_id TEXT PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY, task_id TEXT NOT NULL, type TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_task ON events(task_id, seq);
CREATE TABLE IF NOT EXISTS blobs(checksum TEXT PRIMARY KEY, bytes BLOB NOT NULL);
)sql";

// Indexes of schema version 2 (lists and totals served from the store).
// Without ANALYZE statistics SQLite prefers the index matching the most
// equality filters: a user's tasks in one status is the common combination.
constexpr const char* schema_2_indexes = R"sql(
DROP INDEX IF EXISTS tasks_by_user;
CREATE INDEX IF NOT EXISTS tasks_by_user_status ON tasks(user_id, status);
CREATE INDEX IF NOT EXISTS tasks_by_type ON tasks(type);
CREATE INDEX IF NOT EXISTS tasks_by_priority ON tasks(priority);
CREATE INDEX IF NOT EXISTS tasks_by_completion ON tasks(completed_at);
CREATE INDEX IF NOT EXISTS events_by_type ON events(type, seq);
)sql";

/// Above this size, opening skips PRAGMA quick_check (it reads every page:
/// about 30 s for 10 GiB).
constexpr uintmax_t full_check_limit_bytes = uintmax_t{1} << 30;

constexpr const char* terminal_statuses = "('completed', 'failed', 'cancelled')";

std::string cursor_text(char kind, int64_t position) {
  return std::string(1, kind) + std::to_string(position);
}

/// "t123" -> 123; false unless the whole text is the kind letter and a number.
bool parse_cursor(const std::string& text, char kind, int64_t& position) {
  if (text.size() < 2 || text[0] != kind) return false;
  auto [end, ec] = std::from_chars(text.data() + 1, text.data() + text.size(), position);
  return ec == std::errc{} && end == text.data() + text.size() && position >= 0;
}

}  // namespace

sqlite_store::sqlite_store(sqlite3* db) : db_(db) {}

sqlite_store::~sqlite_store() {
  sqlite3_close_v2(db_);
}

bool sqlite_store::exec(const char* sql, std::string& error) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return true;
  error = message ? message : sqlite3_errmsg(db_);
  sqlite3_free(message);
  return false;
}

std::unique_ptr<sqlite_store> sqlite_store::open(const std::string& path, std::string& error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    error =
        "cannot open the database " + path + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  std::unique_ptr<sqlite_store> store{new sqlite_store(db)};
  sqlite3_busy_timeout(db, 2000);
  std::string why;
  // WAL: readers never block the writer; FULL: a commit is on disk when it returns.
  if (!store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", why)) {
    error = "the database " + path + " cannot be used (" + why +
            "); is it a SQLite file, and is the data dir writable?";
    return nullptr;
  }
  int found = 0;
  try {
    statement version{db, "PRAGMA user_version"};
    found = version.next() ? static_cast<int>(version.column_integer(0)) : 0;
    if (found > schema_version) {
      error = "the database " + path + " has schema version " + std::to_string(found) +
              ", newer than this build understands (" + std::to_string(schema_version) +
              "); refusing to start";
      return nullptr;
    }
  } catch (const std::exception& e) {
    error = "the database " + path + " is unreadable (" + e.what() + ")";
    return nullptr;
  }
  if (!store->exec(schema, why) ||
      (found > 0 && found < schema_version && !store->upgrade_from(found, why)) ||
      !store->exec(schema_2_indexes, why) ||
      !store->exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str(), why)) {
    error = "the database " + path + " cannot be initialised: " + why;
    return nullptr;
  }
  // A damaged file should stop the start, not be served as if empty. The
  // check reads the whole file, so a large store (a long history) skips it:
  // damaged pages there are reported when they are read.
  std::error_code size_error;
  auto bytes = std::filesystem::file_size(path, size_error);
  if (!size_error && bytes > full_check_limit_bytes) return store;
  try {
    statement check{db, "PRAGMA quick_check(1)"};
    if (!check.next() || check.column_text(0) != "ok") {
      error = "the database " + path + " is corrupt (" + check.column_text(0) + ")";
      return nullptr;
    }
  } catch (const std::exception& e) {
    error = "the database " + path + " is corrupt (" + e.what() + ")";
    return nullptr;
  }
  return store;
}

bool sqlite_store::commit(const std::vector<const change_set*>& batch, std::string& error) {
  if (!exec("BEGIN IMMEDIATE", error)) return false;
  try {
    statement put_task{db_,
                       "INSERT INTO tasks(id, user_id, status, type, priority, created_at, doc, "
                       "completed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO "
                       "UPDATE SET status = excluded.status, doc = excluded.doc, "
                       "completed_at = excluded.completed_at"};
    statement put_plan{db_,
                       "INSERT INTO plans(id, task_id, doc) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc"};
    statement put_result{db_,
                         "INSERT OR REPLACE INTO results(id, task_id, step_id, doc) "
                         "VALUES(?1, ?2, ?3, ?4)"};
    statement put_verification{db_,
                               "INSERT OR REPLACE INTO verifications(task_id, doc) VALUES(?1, ?2)"};
    statement put_event{db_, "INSERT INTO events(seq, task_id, type, doc) VALUES(?1, ?2, ?3, ?4)"};
    statement put_blob{db_, "INSERT OR IGNORE INTO blobs(checksum, bytes) VALUES(?1, ?2)"};
    for (const auto* changes : batch) {
      // Bytes first: a result never names bytes the store does not have.
      for (const auto& b : changes->blobs) {
        if (recent_blobs_.count(b.checksum)) continue;  // stored by an earlier commit
        put_blob.text(1, b.checksum).bytes(2, *b.bytes).run();
        remember_blob(b.checksum);
      }
      for (const auto& t : changes->tasks)
        put_task.text(1, t.id)
            .text(2, t.user_id)
            .text(3, std::string(to_string(t.status)))
            .text(4, std::string(to_string(t.type)))
            .text(5, std::string(to_string(t.prio)))
            .integer(6, t.created_at)
            .blob(7, to_blob(t))
            .integer(8, t.completed_at)
            .run();
      for (const auto& p : changes->plans)
        put_plan.text(1, p->id).text(2, p->task_id).blob(3, to_blob(*p)).run();
      for (size_t i = 0; i < changes->results.size(); ++i) {
        const auto& r = changes->results[i];
        put_result.text(1, r.id)
            .text(2, changes->result_task_ids.at(i))
            .text(3, r.step_id)
            .blob(4, to_blob(r))
            .run();
      }
      for (size_t i = 0; i < changes->verifications.size(); ++i)
        put_verification.text(1, changes->verification_task_ids.at(i))
            .blob(2, to_blob(changes->verifications[i]))
            .run();
      for (const auto& e : changes->events)
        put_event.integer(1, static_cast<int64_t>(e.seq))
            .text(2, e.task_id)
            .text(3, e.type)
            .blob(4, to_blob(e))
            .run();
    }
  } catch (const std::exception& e) {
    error = e.what();
    std::string ignored;
    exec("ROLLBACK", ignored);
    forget_recent_blobs();
    return false;
  }
  if (!exec("COMMIT", error)) {
    std::string ignored;
    exec("ROLLBACK", ignored);
    forget_recent_blobs();
    return false;
  }
  ++commits_;
  return true;
}

bool sqlite_store::upgrade_from(int version, std::string& error) {
  // Version 2 had no blobs table; the schema creates it. Artifacts written before it are
  // read from their files.
  if (version == 2) return true;
  // Version 1 had no completed_at column: add it and fill it from the documents.
  if (version == 1) {
    if (!exec("BEGIN IMMEDIATE", error)) return false;
    try {
      std::string why;
      if (!exec("ALTER TABLE tasks ADD COLUMN completed_at INTEGER NOT NULL DEFAULT 0", why))
        throw std::runtime_error(why);
      statement read{db_, "SELECT id, doc FROM tasks"};
      statement write{db_, "UPDATE tasks SET completed_at = ?2 WHERE id = ?1"};
      while (read.next()) {
        task t;
        if (!read.column_object(1, t)) throw std::runtime_error("a stored task cannot be decoded");
        write.text(1, read.column_text(0)).integer(2, t.completed_at).run();
      }
    } catch (const std::exception& e) {
      error = std::string("upgrading from schema version 1: ") + e.what();
      std::string ignored;
      exec("ROLLBACK", ignored);
      return false;
    }
    return exec("COMMIT", error);
  }
  error = "no upgrade from schema version " + std::to_string(version);
  return false;
}

std::unique_ptr<sqlite_store> sqlite_store::open_reader(const std::string& path,
                                                        std::string& error) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    error = "cannot open the database " + path +
            " for reading: " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    return nullptr;
  }
  sqlite3_busy_timeout(db, 2000);
  return std::unique_ptr<sqlite_store>{new sqlite_store(db)};
}

namespace {

template <class T>
T decoded(statement& rows, int column, const char* what) {
  T x;
  if (!rows.column_object(column, x))
    throw std::runtime_error(std::string("a stored ") + what + " cannot be decoded");
  return x;
}

/// " AND column = ?n" for every non-empty filter, numbering from 1.
struct filter_clause {
  std::string sql;
  std::vector<std::string> values;
  void add(const char* column, const std::string& value) {
    if (value.empty()) return;
    values.push_back(value);
    sql += std::string(" AND ") + column + " = ?" + std::to_string(values.size());
  }
  void bind(statement& st) const {
    for (size_t i = 0; i < values.size(); ++i) st.text(static_cast<int>(i + 1), values[i]);
  }
  /// " AND <sql>" where `sql` holds one "?" for `value`.
  void add_clause(const char* sql_with_one_parameter, const std::string& value) {
    if (value.empty()) return;
    values.push_back(value);
    std::string clause = sql_with_one_parameter;
    clause.replace(clause.find('?'), 1, "?" + std::to_string(values.size()));
    sql += " AND " + clause;
  }
  int next_parameter() const { return static_cast<int>(values.size() + 1); }
};

uint64_t count_rows(sqlite3* db, const std::string& table, const filter_clause& where) {
  statement count{db, ("SELECT COUNT(*) FROM " + table + " WHERE 1" + where.sql).c_str()};
  where.bind(count);
  return count.next() ? static_cast<uint64_t>(count.column_integer(0)) : 0;
}

}  // namespace

namespace {

/// Task counts by (status, type, priority) and the summed duration of the finished ones,
/// from `where` (a WHERE clause, possibly binding ?1 through `bind`).
template <class Bind>
void read_groups(sqlite3* db, const std::string& where, Bind bind, task_totals& out) {
  statement groups{db, ("SELECT status, type, priority, COUNT(*), "
                        "SUM(CASE WHEN status IN ('completed', 'failed') "
                        "THEN completed_at - created_at ELSE 0 END) "
                        "FROM tasks " +
                        where + " GROUP BY status, type, priority")
                           .c_str()};
  bind(groups);
  while (groups.next()) {
    task_totals::group g;
    if (!parse(groups.column_text(0), g.status) || !parse(groups.column_text(1), g.type) ||
        !parse(groups.column_text(2), g.prio))
      throw std::runtime_error("a stored task has an unknown status, type or priority");
    g.count = static_cast<uint64_t>(groups.column_integer(3));
    out.duration_sum_ms += static_cast<double>(groups.column_integer(4));
    out.groups.push_back(g);
  }
}

}  // namespace

task_totals sqlite_store::user_totals(const std::string& user_id, timestamp_ms now) {
  task_totals out;
  read_groups(
      db_, "WHERE user_id = ?1", [&](statement& s) { s.text(1, user_id); }, out);
  statement recent{db_, (std::string("SELECT completed_at FROM tasks WHERE user_id = ?1 AND "
                                     "completed_at >= ?2 AND status IN ") +
                         terminal_statuses + " ORDER BY completed_at")
                            .c_str()};
  recent.text(1, user_id).integer(2, now - 60000);
  while (recent.next()) out.recent_finishes.push_back(recent.column_integer(0));
  statement plans{db_,
                  "SELECT COUNT(*) FROM plans WHERE task_id IN "
                  "(SELECT id FROM tasks WHERE user_id = ?1)"};
  plans.text(1, user_id);
  if (plans.next()) out.plans = static_cast<uint64_t>(plans.column_integer(0));
  statement events{db_,
                   "SELECT COUNT(*) FROM events WHERE task_id IN "
                   "(SELECT id FROM tasks WHERE user_id = ?1)"};
  events.text(1, user_id);
  if (events.next()) out.events = static_cast<uint64_t>(events.column_integer(0));
  return out;
}

bool sqlite_store::find_task(const std::string& task_id, stored_task& out) {
  statement row{db_, "SELECT doc FROM tasks WHERE id = ?1"};
  row.text(1, task_id);
  if (!row.next()) return false;
  stored_task found;
  found.subject = decoded<task>(row, 0, "task");
  if (!found.subject.execution.plan_id.empty())
    found.has_plan = find_plan(found.subject.execution.plan_id, found.the_plan);
  statement results{db_, "SELECT doc FROM results WHERE task_id = ?1 ORDER BY rowid"};
  results.text(1, task_id);
  while (results.next())
    found.results.push_back(decoded<execution_result>(results, 0, "step result"));
  statement verification{db_, "SELECT doc FROM verifications WHERE task_id = ?1"};
  verification.text(1, task_id);
  if (verification.next()) {
    found.verification = decoded<verification_result>(verification, 0, "verification");
    found.has_verification = true;
  }
  out = std::move(found);
  return true;
}

void sqlite_store::remember_blob(const std::string& checksum) {
  if (recent_blobs_.size() >= recent_blob_limit) {
    recent_blobs_.erase(recent_blob_order_.front());
    recent_blob_order_.pop_front();
  }
  if (recent_blobs_.insert(checksum).second) recent_blob_order_.push_back(checksum);
}

void sqlite_store::forget_recent_blobs() {
  recent_blobs_.clear();
  recent_blob_order_.clear();
}

bool sqlite_store::find_blob(const std::string& checksum, std::string& out) {
  statement row{db_, "SELECT bytes FROM blobs WHERE checksum = ?1"};
  row.text(1, checksum);
  if (!row.next()) return false;
  out = row.column_bytes(0);
  return true;
}

bool sqlite_store::find_plan(const std::string& plan_id, plan& out) {
  statement row{db_, "SELECT doc FROM plans WHERE id = ?1"};
  row.text(1, plan_id);
  if (!row.next()) return false;
  out = decoded<plan>(row, 0, "plan");
  return true;
}

bool sqlite_store::has_task(const std::string& task_id) {
  statement row{db_, "SELECT 1 FROM tasks WHERE id = ?1"};
  row.text(1, task_id);
  return row.next();
}

namespace {

/// One page of `table` newest first: the rows (matching `where`) whose `key`
/// is below the cursor's bound, the cursor of the next page and the total.
template <class T>
bool newest_first(sqlite3* db, const char* table, const char* key, char cursor_kind,
                  const std::string& cursor, uint32_t requested, const filter_clause& where,
                  bool count_all, std::vector<T>& items, std::string& next_cursor,
                  uint64_t& total) {
  int64_t below = std::numeric_limits<int64_t>::max();  // exclusive bound on the key
  if (!cursor.empty() && !parse_cursor(cursor, cursor_kind, below)) return false;
  int64_t limit = requested == 0 ? 50 : requested;
  auto bound = std::to_string(where.next_parameter());
  auto limit_parameter = std::to_string(where.next_parameter() + 1);
  statement rows{
      db, (std::string("SELECT ") + key + ", doc FROM " + table + " WHERE " + key + " < ?" + bound +
           where.sql + " ORDER BY " + key + " DESC LIMIT ?" + limit_parameter)
              .c_str()};
  where.bind(rows);
  rows.integer(where.next_parameter(), below).integer(where.next_parameter() + 1, limit + 1);
  std::vector<T> page;
  int64_t last_key = 0;
  std::size_t bytes = 0;
  while (rows.next()) {
    if (static_cast<int64_t>(page.size()) == limit || bytes >= max_page_bytes) {
      next_cursor = cursor_text(cursor_kind, last_key);  // the next page is below it
      break;
    }
    last_key = rows.column_integer(0);
    page.push_back(decoded<T>(rows, 1, (std::string("row of ") + table).c_str()));
    bytes += page_bytes(page.back());
  }
  items = std::move(page);
  total = count_all || !where.values.empty() ? count_rows(db, table, where) : 0;
  return true;
}

}  // namespace

bool sqlite_store::list_tasks(const task_query& query, task_page& out, bool count_all) {
  filter_clause where;
  where.add("user_id", query.user_id);
  where.add("status", query.status);
  where.add("type", query.type);
  where.add("priority", query.prio);
  task_page page;
  if (!newest_first(db_, "tasks", "rowid", 't', query.cursor, query.limit, where, count_all,
                    page.tasks, page.next_cursor, page.total))
    return false;
  out = std::move(page);
  return true;
}

bool sqlite_store::list_events(const event_query& query, event_page& out, bool count_all) {
  filter_clause where;
  where.add("task_id", query.task_id);
  where.add("type", query.type);
  // Events belong to their task's user.
  where.add_clause("task_id IN (SELECT id FROM tasks WHERE user_id = ?)", query.user_id);
  event_page page;
  if (!newest_first(db_, "events", "seq", 'e', query.cursor, query.limit, where, count_all,
                    page.events, page.next_cursor, page.total))
    return false;
  out = std::move(page);
  return true;
}

std::vector<event> sqlite_store::task_events(const std::string& task_id, uint64_t since) {
  statement rows{db_, "SELECT doc FROM events WHERE task_id = ?1 AND seq > ?2 ORDER BY seq"};
  rows.text(1, task_id).integer(2, static_cast<int64_t>(since));
  std::vector<event> out;
  while (rows.next()) out.push_back(decoded<event>(rows, 0, "event"));
  return out;
}

std::vector<event> sqlite_store::events_after(uint64_t since, std::size_t limit) {
  statement rows{db_,
                 "SELECT doc FROM (SELECT seq, doc FROM events WHERE seq > ?1 ORDER BY seq DESC "
                 "LIMIT ?2) ORDER BY seq"};
  rows.integer(1, static_cast<int64_t>(since)).integer(2, static_cast<int64_t>(limit));
  std::vector<event> out;
  while (rows.next()) out.push_back(decoded<event>(rows, 0, "event"));
  return out;
}

bool sqlite_store::load(recovered_state& out, std::size_t recent_events, timestamp_ms now,
                        std::string& error) {
  try {
    statement active{db_, (std::string("SELECT id FROM tasks WHERE status NOT IN ") +
                           terminal_statuses + " ORDER BY rowid")
                              .c_str()};
    while (active.next()) {
      stored_task t;
      if (!find_task(active.column_text(0), t)) continue;
      // The bytes of every file its steps recorded, for the task to resume with.
      for (const auto& r : t.results)
        for (const auto& a : r.artifacts) {
          std::string bytes;
          if (!t.files.count(a.name) || t.files[a.name].checksum != a.checksum)
            if (find_blob(a.checksum, bytes))
              t.files[a.name] = {a.type, shared<std::string>(std::move(bytes)), a.checksum};
        }
      out.active.push_back(std::move(t));
    }
    out.recent_events = events_after(0, recent_events);
    statement last{db_, "SELECT COALESCE(MAX(seq), 0), COUNT(*) FROM events"};
    if (last.next()) {
      out.last_seq = static_cast<uint64_t>(last.column_integer(0));
      out.totals.events = static_cast<uint64_t>(last.column_integer(1));
    }
    read_groups(
        db_, "", [](statement&) {}, out.totals);
    statement recent{db_, (std::string("SELECT completed_at FROM tasks WHERE completed_at >= ?1 "
                                       "AND status IN ") +
                           terminal_statuses + " ORDER BY completed_at")
                              .c_str()};
    recent.integer(1, now - 60000);
    while (recent.next()) out.totals.recent_finishes.push_back(recent.column_integer(0));
    statement plans{db_, "SELECT COUNT(*) FROM plans"};
    if (plans.next()) out.totals.plans = static_cast<uint64_t>(plans.column_integer(0));
  } catch (const std::exception& e) {
    error = std::string("reading the store failed: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace ce::store

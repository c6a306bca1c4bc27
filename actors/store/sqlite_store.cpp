#include "actors/store/sqlite_store.hpp"

#include <sqlite3.h>

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

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tasks(
  id TEXT PRIMARY KEY, user_id TEXT NOT NULL, status TEXT NOT NULL, type TEXT NOT NULL,
  priority TEXT NOT NULL, created_at INTEGER NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS tasks_by_user ON tasks(user_id);
CREATE INDEX IF NOT EXISTS tasks_by_status ON tasks(status);
CREATE TABLE IF NOT EXISTS plans(id TEXT PRIMARY KEY, task_id TEXT NOT NULL, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS results(
  id TEXT PRIMARY KEY, task_id TEXT NOT NULL, step_id TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS results_by_task ON results(task_id);
CREATE TABLE IF NOT EXISTS verifications(task_id TEXT PRIMARY KEY, doc BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY, task_id TEXT NOT NULL, type TEXT NOT NULL, doc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_task ON events(task_id, seq);
)sql";

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
  try {
    statement version{db, "PRAGMA user_version"};
    int found = version.next() ? static_cast<int>(version.column_integer(0)) : 0;
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
      !store->exec(("PRAGMA user_version=" + std::to_string(schema_version)).c_str(), why)) {
    error = "the database " + path + " cannot be initialised: " + why;
    return nullptr;
  }
  // A damaged file should stop the start, not be served as if empty.
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
                       "INSERT INTO tasks(id, user_id, status, type, priority, created_at, doc) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(id) DO UPDATE SET "
                       "status = excluded.status, doc = excluded.doc"};
    statement put_plan{db_,
                       "INSERT INTO plans(id, task_id, doc) VALUES(?1, ?2, ?3) "
                       "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc"};
    statement put_result{db_,
                         "INSERT OR REPLACE INTO results(id, task_id, step_id, doc) "
                         "VALUES(?1, ?2, ?3, ?4)"};
    statement put_verification{db_,
                               "INSERT OR REPLACE INTO verifications(task_id, doc) VALUES(?1, ?2)"};
    statement put_event{db_, "INSERT INTO events(seq, task_id, type, doc) VALUES(?1, ?2, ?3, ?4)"};
    for (const auto* changes : batch) {
      for (const auto& t : changes->tasks)
        put_task.text(1, t.id)
            .text(2, t.user_id)
            .text(3, std::string(to_string(t.status)))
            .text(4, std::string(to_string(t.type)))
            .text(5, std::string(to_string(t.prio)))
            .integer(6, t.created_at)
            .blob(7, to_blob(t))
            .run();
      for (const auto& p : changes->plans)
        put_plan.text(1, p.id).text(2, p.task_id).blob(3, to_blob(p)).run();
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
    return false;
  }
  if (!exec("COMMIT", error)) {
    std::string ignored;
    exec("ROLLBACK", ignored);
    return false;
  }
  ++commits_;
  return true;
}

bool sqlite_store::load(recovered_state& out, std::string& error) {
  try {
    statement tasks{db_, "SELECT doc FROM tasks ORDER BY rowid"};
    while (tasks.next()) {
      task t;
      if (!tasks.column_object(0, t)) throw std::runtime_error("a stored task cannot be decoded");
      out.tasks.push_back(std::move(t));
    }
    statement plans{db_, "SELECT doc FROM plans ORDER BY rowid"};
    while (plans.next()) {
      plan p;
      if (!plans.column_object(0, p)) throw std::runtime_error("a stored plan cannot be decoded");
      out.plans.push_back(std::move(p));
    }
    statement results{db_, "SELECT task_id, doc FROM results ORDER BY rowid"};
    while (results.next()) {
      execution_result r;
      if (!results.column_object(1, r))
        throw std::runtime_error("a stored step result cannot be decoded");
      out.results.emplace_back(results.column_text(0), std::move(r));
    }
    statement verifications{db_, "SELECT task_id, doc FROM verifications"};
    while (verifications.next()) {
      verification_result v;
      if (!verifications.column_object(1, v))
        throw std::runtime_error("a stored verification cannot be decoded");
      out.verifications.emplace_back(verifications.column_text(0), std::move(v));
    }
    statement events{db_, "SELECT doc FROM events ORDER BY seq"};
    while (events.next()) {
      event e;
      if (!events.column_object(0, e)) throw std::runtime_error("a stored event cannot be decoded");
      out.last_seq = e.seq;
      out.events.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    error = std::string("reading the store failed: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace ce::store

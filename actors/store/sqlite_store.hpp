// The embedded store: SQLite in WAL mode under the data dir. Plain class, one
// connection, used by exactly one thread (the store actor's).
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "messages/protocol.hpp"

struct sqlite3;

namespace ce::store {

/// Counters over every stored task, computed by one indexed query at start
/// and kept up to date in memory from there on.
struct task_totals {
  struct group {
    task_status status = task_status::pending;
    task_type type = task_type::generate;
    priority prio = priority::medium;
    uint64_t count = 0;
  };
  std::vector<group> groups;                  // per (status, type, priority)
  double duration_sum_ms = 0;                 // completed_at - created_at over completed + failed
  std::vector<timestamp_ms> recent_finishes;  // completed_at within the last minute, ascending
  uint64_t plans = 0;
  uint64_t events = 0;
};

/// What a node needs in memory at start: the tasks that are not terminal
/// (with their plans and results), the newest events and the totals.
/// Everything else stays on disk and is read when asked for.
struct recovered_state {
  std::vector<stored_task> active;   // neither completed, failed nor cancelled; creation order
  std::vector<event> recent_events;  // the newest ones, in seq order
  uint64_t last_seq = 0;
  task_totals totals;
};

class sqlite_store {
 public:
  /// The schema version this build writes; a newer one in the file is refused,
  /// an older one is upgraded in place.
  static constexpr int schema_version = 3;

  /// Opens (creating if needed) the database. On failure returns null and a
  /// sentence in `error`: unwritable, locked by another process, corrupt,
  /// written by a newer version.
  static std::unique_ptr<sqlite_store> open(const std::string& path, std::string& error);
  /// A second, read-only connection to a database open() prepared. WAL lets it
  /// read committed data while the writer commits.
  static std::unique_ptr<sqlite_store> open_reader(const std::string& path, std::string& error);

  ~sqlite_store();
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// Writes all change sets in one transaction (one fsync). False + error on failure;
  /// then nothing of them is stored.
  bool commit(const std::vector<const change_set*>& batch, std::string& error);

  /// Reads what a starting node holds in memory: active tasks, the newest
  /// `recent_events` events and the totals as of `now`.
  bool load(recovered_state& out, std::size_t recent_events, timestamp_ms now, std::string& error);

  // Reads. Each throws std::runtime_error if the database fails.

  /// The totals over one user's tasks as of `now`, with their plans and events.
  task_totals user_totals(const std::string& user_id, timestamp_ms now);

  /// A task with its plan, results and verification; false if unknown.
  bool find_task(const std::string& task_id, stored_task& out);
  /// False if unknown.
  bool find_plan(const std::string& plan_id, plan& out);
  /// Newest first, filtered; false (out untouched) for a malformed cursor.
  /// `total` counts the matches; without a filter it is left 0 unless
  /// `count_all` (counting every row is slow; a node knows that number).
  bool list_tasks(const task_query& query, task_page& out, bool count_all = true);
  /// Newest first, optionally of one task and/or type; false for a malformed
  /// cursor. `total` as for list_tasks.
  bool list_events(const event_query& query, event_page& out, bool count_all = true);
  /// The task's events with seq > since, oldest first.
  std::vector<event> task_events(const std::string& task_id, uint64_t since);
  /// Events with seq > since, oldest first; only the newest `limit` of them.
  std::vector<event> events_after(uint64_t since, std::size_t limit);
  /// True if any task has this id.
  bool has_task(const std::string& task_id);
  /// The bytes kept under a sha256; false if none.
  bool find_blob(const std::string& checksum, std::string& out);

  /// Number of transactions committed (for fsync-per-task figures).
  uint64_t commits() const { return commits_; }

 private:
  explicit sqlite_store(sqlite3* db);
  bool exec(const char* sql, std::string& error);
  bool upgrade_from(int version, std::string& error);
  void remember_blob(const std::string& checksum);
  void forget_recent_blobs();  // a rolled back commit stored none of them
  sqlite3* db_;
  uint64_t commits_ = 0;
  /// Checksums of bytes stored lately: identical output of many tasks is not sent to
  /// SQLite again (it would ignore it, after a lookup).
  static constexpr std::size_t recent_blob_limit = 4096;
  std::unordered_set<std::string> recent_blobs_;
  std::deque<std::string> recent_blob_order_;
};

}  // namespace ce::store

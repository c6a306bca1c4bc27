// The embedded store: SQLite in WAL mode under the data dir. Plain class, one
// connection, used by exactly one thread (the store actor's).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "messages/protocol.hpp"

struct sqlite3;

namespace ce::store {

/// Everything the store holds, as read back at start.
struct recovered_state {
  std::vector<task> tasks;  // in creation order
  std::vector<plan> plans;
  std::vector<std::pair<std::string, execution_result>> results;  // (task id, result), in order
  std::vector<std::pair<std::string, verification_result>> verifications;
  std::vector<event> events;  // in seq order
  uint64_t last_seq = 0;
};

class sqlite_store {
 public:
  /// The schema version this build writes; a newer one in the file is refused.
  static constexpr int schema_version = 1;

  /// Opens (creating if needed) the database. On failure returns null and a
  /// sentence in `error`: unwritable, locked by another process, corrupt,
  /// written by a newer version.
  static std::unique_ptr<sqlite_store> open(const std::string& path, std::string& error);

  ~sqlite_store();
  sqlite_store(const sqlite_store&) = delete;
  sqlite_store& operator=(const sqlite_store&) = delete;

  /// Writes all change sets in one transaction (one fsync). False + error on failure;
  /// then nothing of them is stored.
  bool commit(const std::vector<const change_set*>& batch, std::string& error);

  /// Reads everything back.
  bool load(recovered_state& out, std::string& error);

  /// Number of transactions committed (for fsync-per-task figures).
  uint64_t commits() const { return commits_; }

 private:
  explicit sqlite_store(sqlite3* db);
  bool exec(const char* sql, std::string& error);
  sqlite3* db_;
  uint64_t commits_ = 0;
};

}  // namespace ce::store

// Assertions and shortcuts over core-engine's REST contract
// (../shared/spec/api.md), shared by the end-to-end test files.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "tests/e2e/support/http_client.hpp"
#include "tests/e2e/support/server_process.hpp"

namespace ce::e2e {

namespace json = boost::json;

/// A running server and a keep-alive client talking to it.
struct engine {
  explicit engine(server_options options = {});
  server_process server;
  http_client client;
};

/// Requires `status`, a JSON envelope with success:true, and returns its `data`.
json::value expect_ok(const http_response& response, int status);
/// The same, for an answer whose status may be any of `statuses`.
json::value expect_ok(const http_response& response, std::initializer_list<int> statuses);

/// Requires `status`, success:false and a non-empty `error` sentence; returns the envelope.
json::object expect_error(const http_response& response, int status);

/// The `field` of every entry of the envelope's `details` (empty when absent).
std::vector<std::string> detail_fields(const json::object& envelope);

/// The envelope's `error` followed by every detail message, for "mentions X" checks.
std::string error_text(const json::object& envelope);

/// Body of POST /api/tasks for a `generate` task.
json::object task_body(const std::string& provider, const std::string& environment,
                       std::initializer_list<const char*> components,
                       const std::string& type = "generate");

/// POST /api/tasks, requiring 201 and a pending task; returns the task.
json::object create_task(http_client& client, const json::value& body);

/// GET /api/tasks/:id, requiring 200.
json::object get_task(http_client& client, const std::string& task_id);

/// Polls the task until its status is one of `statuses`; fails the test with
/// the last task seen when `deadline` passes first.
json::object wait_for_status(http_client& client, const std::string& task_id,
                             std::initializer_list<const char*> statuses,
                             std::chrono::milliseconds deadline = std::chrono::seconds(60));

/// One page of a paginated list: its items and its next_cursor (if any).
struct page {
  std::vector<json::object> items;
  std::optional<std::string> next_cursor;
};

/// GET `target` (which may already carry a query) with `limit` and `cursor`.
page get_page(http_client& client, const std::string& target, int limit,
              const std::optional<std::string>& cursor = std::nullopt);

/// Follows next_cursor from the first page until it is absent; fails the test
/// after `max_pages` pages (a cursor that never ends).
std::vector<page> get_all_pages(http_client& client, const std::string& target, int limit,
                                int max_pages = 1000);

/// What a rejected request must leave untouched.
struct store_snapshot {
  std::vector<std::string> task_ids;
  int64_t total_tasks = 0;       // GET /api/statistics
  int64_t newest_event_seq = 0;  // 0: no event yet
  bool operator==(const store_snapshot& other) const {
    return task_ids == other.task_ids && total_tasks == other.total_tasks &&
           newest_event_seq == other.newest_event_seq;
  }
};
store_snapshot snapshot(http_client& client);

/// The string at `key` of `object` ("" when absent or not a string).
std::string text(const json::value& object, const char* key);

/// The names found in a JSON array of strings.
std::vector<std::string> strings(const json::value& array);

/// Lower-case hex sha256 of `bytes`.
std::string sha256_hex(const std::string& bytes);

/// `value` with every character outside [A-Za-z0-9-._~] percent-encoded.
std::string url_encode(const std::string& value);

}  // namespace ce::e2e

// Logs of the real binary: --log-format json writes one JSON object per line
// on stderr; every request is logged with its method, route template, status,
// duration and request id, which the answer carries as X-Request-Id.
#include <catch2/catch.hpp>

#include <csignal>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {

namespace {

using namespace std::chrono_literals;

std::vector<json::object> json_lines(const std::string& text) {
  std::vector<json::object> out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    INFO("line: " << line);
    json::value parsed;
    REQUIRE_NOTHROW(parsed = json::parse(line));
    REQUIRE(parsed.is_object());
    out.push_back(parsed.as_object());
  }
  return out;
}

const json::object* request_line(const std::vector<json::object>& lines, const std::string& id) {
  for (const auto& l : lines)
    if (l.contains("request_id") && l.at("request_id") == id.c_str()) return &l;
  return nullptr;
}

}  // namespace

TEST_CASE("with --log-format json every stderr line parses and requests carry their id",
          "[e2e][logs]") {
  server_options options;
  options.args = {"--log-format", "json"};
  engine e(options);
  auto created =
      e.client.request("POST", "/api/tasks", json::serialize(task_body("aws", "staging", {"vpc"})),
                       {{"X-Request-Id", "client-chosen-id-42"}});
  REQUIRE(created.status == 201);
  CHECK(created.header("x-request-id") == "client-chosen-id-42");  // honoured
  auto task_id = text(created.json().at("data"), "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  auto ours = e.client.get("/api/tasks/" + task_id);
  auto generated = ours.header("x-request-id");
  CHECK(generated.size() == 16);  // made by the server
  // An id that could forge a log line or a header is replaced, not echoed.
  auto forged = e.client.request("GET", "/health", {}, {{"X-Request-Id", "bad id\"with quotes"}});
  CHECK(forged.header("x-request-id") != "bad id\"with quotes");
  CHECK_FALSE(forged.header("x-request-id").empty());

  REQUIRE(e.server.stop(SIGTERM, 10s).exited);
  auto lines = json_lines(e.server.captured_stderr());
  REQUIRE(lines.size() >= 4);

  auto* create_line = request_line(lines, "client-chosen-id-42");
  REQUIRE(create_line != nullptr);
  CHECK(create_line->at("method") == "POST");
  CHECK(create_line->at("route") == "/api/tasks");
  CHECK(create_line->at("status").to_number<int>() == 201);
  CHECK(create_line->at("duration_ms").to_number<double>() >= 0);
  CHECK(create_line->at("level") == "info");

  auto* get_line = request_line(lines, generated);
  REQUIRE(get_line != nullptr);
  CHECK(get_line->at("route") == "/api/tasks/:taskId");  // the template, not the id
  CHECK(get_line->at("path") == ("/api/tasks/" + task_id).c_str());

  bool task_line = false;
  for (const auto& l : lines)
    task_line = task_line || (l.contains("task_id") && l.at("task_id") == task_id.c_str() &&
                              l.at("message") == "task finished" && l.at("status") == "completed");
  CHECK(task_line);
}

TEST_CASE("the default log format is human-readable with the same fields", "[e2e][logs]") {
  engine e;
  auto r = e.client.request("GET", "/api/statistics", {}, {{"X-Request-Id", "stats-1"}});
  REQUIRE(r.status == 200);
  REQUIRE(e.server.stop(SIGTERM, 10s).exited);
  auto text = e.server.captured_stderr();
  CHECK(text.find("[info] request request_id=stats-1 method=GET route=/api/statistics "
                  "path=/api/statistics status=200 duration_ms=") != std::string::npos);
}

TEST_CASE("an unknown log format stops the start with a sentence", "[e2e][logs]") {
  auto r = run_to_exit({"--log-format", "xml", "--port", "0", "--ws-port", "0"});
  CHECK(r.status.exited);
  CHECK(r.status.code == 2);
  CHECK(r.err.find("--log-format must be one of text, json") != std::string::npos);
}

}  // namespace ce::e2e

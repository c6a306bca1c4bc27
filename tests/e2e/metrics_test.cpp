// GET /metrics against the real binary: every family the node promises, the
// figures moving with load, route templates instead of raw paths, Prometheus'
// own checker accepting the exposition, and /metrics with tokens configured.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "tests/e2e/support/api.hpp"
#include "tests/e2e/support/ws_client.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;

/// Every sample of an exposition, keyed by its name and labels as written
/// ("core_engine_tasks{status=\"completed\"}").
using samples = std::map<std::string, double>;

samples parse_exposition(const std::string& text) {
  samples out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

samples scrape(http_client& client) {
  auto r = client.get("/metrics");
  REQUIRE(r.status == 200);
  return parse_exposition(r.body);
}

/// The sum of every sample whose key starts with `prefix` (all label sets of a series).
double total(const samples& s, const std::string& prefix) {
  double sum = 0;
  for (const auto& [key, value] : s)
    if (key.rfind(prefix, 0) == 0) sum += value;
  return sum;
}

double value_of(const samples& s, const std::string& key) {
  auto it = s.find(key);
  return it == s.end() ? 0 : it->second;
}

/// Scrapes until `key` has `expected` (gauges that follow a connection's end
/// on the server's own time), failing after `deadline`.
void wait_for_value(http_client& client, const std::string& key, double expected,
                    std::chrono::milliseconds deadline = 10s) {
  auto until = std::chrono::steady_clock::now() + deadline;
  double seen = -1;
  while (std::chrono::steady_clock::now() < until) {
    seen = value_of(scrape(client), key);
    if (seen == expected) return;
    std::this_thread::sleep_for(20ms);  // a poll interval, not a synchronisation
  }
  FAIL(key << " stayed at " << seen << ", expected " << expected);
}

void run_task(http_client& client, const char* environment) {
  auto t = create_task(client, task_body("aws", environment, {"vpc"}));
  auto id = text(t, "id");
  expect_ok(client.post("/api/tasks/" + id + "/execute?wait=true"), 200);
}

}  // namespace

TEST_CASE("GET /metrics answers every family of the node in Prometheus text format",
          "[e2e][metrics]") {
  engine e;
  // A family appears with its first series: one task gives every family one.
  run_task(e.client, "staging");
  auto r = e.client.get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  // Each family with its type, as issue 14 lists them.
  for (const char* family : {
           "# TYPE core_engine_http_requests_total counter",
           "# TYPE core_engine_http_request_duration_seconds histogram",
           "# TYPE core_engine_step_duration_seconds histogram",
           "# TYPE core_engine_task_duration_seconds histogram",
           "# TYPE core_engine_tasks gauge",
           "# TYPE core_engine_tasks_by_type gauge",
           "# TYPE core_engine_queue_depth gauge",
           "# TYPE core_engine_running_tasks gauge",
           "# TYPE core_engine_approvals_waiting gauge",
           "# TYPE core_engine_websocket_clients gauge",
           "# TYPE core_engine_websocket_slow_clients_dropped_total counter",
           "# TYPE core_engine_store_commit_duration_seconds histogram",
           "# TYPE core_engine_store_commit_batch_size histogram",
           "# TYPE core_engine_store_unsaved_changes_total counter",
           "# TYPE process_cpu_seconds_total counter",
           "# TYPE process_resident_memory_bytes gauge",
           "# TYPE process_start_time_seconds gauge",
           "# TYPE process_open_fds gauge",
       }) {
    INFO(family);
    CHECK(r.body.find(family) != std::string::npos);
  }
  auto s = parse_exposition(r.body);
  CHECK(value_of(s, "process_resident_memory_bytes") > 0);
  CHECK(value_of(s, "process_open_fds") > 0);
  // Started a moment ago: within a minute of the test's own clock.
  CHECK(std::abs(value_of(s, "process_start_time_seconds") -
                 static_cast<double>(std::time(nullptr))) < 60);
}

TEST_CASE("the metrics move with load and label requests by route template", "[e2e][metrics]") {
  engine e;
  auto before = scrape(e.client);
  constexpr int tasks = 5;  // enough to see counts move by exactly this much
  for (int i = 0; i < tasks; ++i) run_task(e.client, "staging");
  auto after = scrape(e.client);

  auto created =
      R"(core_engine_http_requests_total{method="POST",route="/api/tasks",status="201"})";
  CHECK(value_of(after, created) - value_of(before, created) == tasks);
  auto executed =
      R"(core_engine_http_requests_total{method="POST",route="/api/tasks/:taskId/execute",status="200"})";
  CHECK(value_of(after, executed) - value_of(before, executed) == tasks);
  CHECK(value_of(after, R"(core_engine_tasks{status="completed"})") == tasks);
  CHECK(value_of(after, R"(core_engine_tasks_by_type{type="generate"})") == tasks);
  auto finished = R"(core_engine_task_duration_seconds_count{status="completed",type="generate"})";
  CHECK(value_of(after, finished) - value_of(before, finished) == tasks);
  // A vpc task runs several steps (validate, generate, check, best practices, docs).
  CHECK(total(after, "core_engine_step_duration_seconds_count") -
            total(before, "core_engine_step_duration_seconds_count") >=
        tasks * 3);
  CHECK(
      value_of(
          after,
          R"(core_engine_step_duration_seconds_count{action="generate_component",outcome="success"})") >=
      tasks);
  CHECK(value_of(after, "core_engine_store_commit_duration_seconds_count") >
        value_of(before, "core_engine_store_commit_duration_seconds_count"));
  CHECK(value_of(after, "core_engine_store_commit_batch_size_sum") >
        value_of(before, "core_engine_store_commit_batch_size_sum"));
  CHECK(value_of(after, "process_cpu_seconds_total") > 0);

  SECTION("a task read by id is counted under /api/tasks/:taskId, never under its id") {
    auto t = create_task(e.client, task_body("aws", "staging", {"vpc"}));
    auto id = text(t, "id");
    REQUIRE(e.client.get("/api/tasks/" + id).status == 200);
    REQUIRE(e.client.get("/api/tasks/task_does_not_exist").status == 404);
    REQUIRE(e.client.get("/no/such/route").status == 404);
    auto r = e.client.get("/metrics");
    CHECK(r.body.find(id) == std::string::npos);
    CHECK(r.body.find("task_does_not_exist") == std::string::npos);
    CHECK(r.body.find("/no/such/route") == std::string::npos);
    auto s = parse_exposition(r.body);
    CHECK(
        value_of(
            s,
            R"(core_engine_http_requests_total{method="GET",route="/api/tasks/:taskId",status="200"})") ==
        1);
    CHECK(
        value_of(
            s,
            R"(core_engine_http_requests_total{method="GET",route="/api/tasks/:taskId",status="404"})") ==
        1);
    CHECK(
        value_of(
            s, R"(core_engine_http_requests_total{method="GET",route="unmatched",status="404"})") ==
        1);
  }

  SECTION("a production plan waiting for approval is counted until it is approved") {
    auto t = create_task(e.client, task_body("aws", "production", {"vpc"}));
    auto id = text(t, "id");
    expect_ok(e.client.post("/api/tasks/" + id + "/execute?wait=true"), 200);
    CHECK(value_of(scrape(e.client), "core_engine_approvals_waiting") == 1);
    auto plan_id = text(get_task(e.client, id)["execution"], "plan_id");
    expect_ok(e.client.post("/api/plans/" + plan_id + "/approve", json::object{}), 200);
    wait_for_status(e.client, id, {"completed"});
    CHECK(value_of(scrape(e.client), "core_engine_approvals_waiting") == 0);
  }

  SECTION("WebSocket clients are counted while connected") {
    CHECK(value_of(after, "core_engine_websocket_clients") == 0);
    {
      ws_client ws("127.0.0.1", e.server.http_port());
      REQUIRE(ws.next_of_type("connected", 10s));
      CHECK(value_of(scrape(e.client), "core_engine_websocket_clients") == 1);
      ws.close();
    }
    wait_for_value(e.client, "core_engine_websocket_clients", 0);
  }
}

TEST_CASE("promtool check metrics accepts the exposition", "[e2e][metrics]") {
  // Debian's prometheus package; scripts/install-deps --with-test-tools installs it.
  REQUIRE(std::system("command -v promtool >/dev/null 2>&1") == 0);
  engine e;
  run_task(e.client, "staging");  // so that every histogram has a series
  {
    ws_client ws("127.0.0.1", e.server.http_port());
    REQUIRE(ws.next_of_type("connected", 10s));
  }
  auto r = e.client.get("/metrics");
  REQUIRE(r.status == 200);
  auto path = e.server.data_dir() + "/metrics.txt";
  std::ofstream(path) << r.body;
  auto command = "promtool check metrics < " + path + " > " + path + ".out 2>&1";
  int rc = std::system(command.c_str());
  std::ifstream report(path + ".out");
  std::string findings((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  INFO("promtool said: " << findings);
  CHECK(rc == 0);
  CHECK(findings.empty());  // not even a lint warning
}

TEST_CASE("with tokens configured /metrics needs a valid token of any role", "[e2e][metrics]") {
  const std::string token = "ce_test_token_of_the_scraper";
  server_options options;
  options.args = {"--tokens", "scraper:viewer:" + sha256_hex(token)};
  engine e(options);
  auto anonymous = e.client.get("/metrics");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("www-authenticate") == "Bearer");
  auto wrong = e.client.request("GET", "/metrics", {}, {{"Authorization", "Bearer nope"}});
  CHECK(wrong.status == 401);
  // A viewer is enough: the exposition holds counts and route templates, no
  // user, task or plan ids, so a scraper needs no more than the least role.
  auto viewer = e.client.request("GET", "/metrics", {}, {{"Authorization", "Bearer " + token}});
  CHECK(viewer.status == 200);
  CHECK(viewer.body.find("core_engine_http_requests_total") != std::string::npos);
}

}  // namespace ce::e2e

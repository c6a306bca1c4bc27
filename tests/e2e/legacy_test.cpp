// Legacy mode (--legacy-api): the original Core Engine Service's clients run
// unchanged. The first group holds one case for each of the 18 cases of the
// original's own integration suite (the-ai-project-co/nimbus at d9f108f,
// tests/integration/core-engine-service), asserting the statuses and fields
// that suite asserts; the second group pins the answers the original gave
// that its suite does not cover.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "tests/e2e/support/api.hpp"
#include "tests/e2e/support/ws_client.hpp"

namespace ce::e2e {
namespace {

using std::chrono::seconds;

/// The original suite posts with Content-Type: application/json even when it sends no body.
const header_list json_content = {{"Content-Type", "application/json"}};

/// The suite's task: a development vpc + ec2 on aws.
json::object suite_task() {
  return json::object{{"type", "generate"},
                      {"user_id", "test-user"},
                      {"context",
                       {{"provider", "aws"},
                        {"environment", "development"},
                        {"region", "us-east-1"},
                        {"components", {"vpc", "ec2"}}}}};
}

server_options legacy_options() {
  server_options options;
  options.args = {"--legacy-api"};
  return options;
}

/// One legacy server for the suite's cases, as the original suite starts one service for all.
engine& suite_engine() {
  static engine e(legacy_options());
  return e;
}

/// The envelope of a legacy answer: always HTTP 200 with JSON.
json::object legacy_envelope(const http_response& response) {
  INFO("HTTP " << response.status << " body: " << response.body.substr(0, 2000));
  REQUIRE(response.status == 200);
  auto body = response.json();
  REQUIRE(body.is_object());
  REQUIRE(body.as_object().contains("success"));
  return body.as_object();
}

void require_failure(const json::object& envelope) {
  CHECK_FALSE(envelope.at("success").as_bool());
  REQUIRE(envelope.contains("error"));
  CHECK_FALSE(envelope.at("error").as_string().empty());
}

}  // namespace

// ---- the original's integration suite, case by case -------------------------------------

TEST_CASE("suite: health returns the healthy status of core-engine-service",
          "[e2e][legacy][suite]") {
  auto response = suite_engine().client.get("/health");
  REQUIRE(response.status == 200);
  auto body = response.json();
  CHECK(text(body, "status") == "healthy");
  CHECK(text(body, "service") == "core-engine-service");
}

TEST_CASE("suite: creating a task answers 200 with a pending task of its type",
          "[e2e][legacy][suite]") {
  auto envelope = legacy_envelope(suite_engine().client.post("/api/tasks", suite_task()));
  REQUIRE(envelope.at("success").as_bool());
  const auto& task = envelope.at("data");
  CHECK_FALSE(text(task, "id").empty());
  CHECK(text(task, "status") == "pending");
  CHECK(text(task, "type") == "generate");
}

TEST_CASE("suite: a task is retrieved by its id", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  auto id = text(legacy_envelope(client.post("/api/tasks", suite_task())).at("data"), "id");
  auto envelope = legacy_envelope(client.get("/api/tasks/" + id));
  REQUIRE(envelope.at("success").as_bool());
  CHECK(text(envelope.at("data"), "id") == id);
}

TEST_CASE("suite: listing tasks answers an array holding the tasks created",
          "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  legacy_envelope(client.post("/api/tasks", suite_task()));
  legacy_envelope(client.post("/api/tasks", suite_task()));
  auto envelope = legacy_envelope(client.get("/api/tasks"));
  REQUIRE(envelope.at("success").as_bool());
  REQUIRE(envelope.at("data").is_array());
  CHECK(envelope.at("data").as_array().size() >= 2);
}

TEST_CASE("suite: an unknown task answers 200 with success false and an error",
          "[e2e][legacy][suite]") {
  require_failure(legacy_envelope(suite_engine().client.get("/api/tasks/non-existent-id")));
}

TEST_CASE("suite: generating a plan answers 200 with its id and steps", "[e2e][legacy][suite]") {
  auto body = suite_task();
  body.erase("user_id");
  auto envelope = legacy_envelope(suite_engine().client.post("/api/plans/generate", body));
  REQUIRE(envelope.at("success").as_bool());
  CHECK_FALSE(text(envelope.at("data"), "id").empty());
  REQUIRE(envelope.at("data").at("steps").is_array());
  CHECK_FALSE(envelope.at("data").at("steps").as_array().empty());
}

TEST_CASE("suite: validating an unknown plan answers 200 with success false",
          "[e2e][legacy][suite]") {
  require_failure(legacy_envelope(
      suite_engine().client.request("POST", "/api/plans/non-existent/validate", "", json_content)));
}

TEST_CASE("suite: optimizing an unknown plan answers 200 with success false",
          "[e2e][legacy][suite]") {
  require_failure(legacy_envelope(
      suite_engine().client.request("POST", "/api/plans/non-existent/optimize", "", json_content)));
}

TEST_CASE("suite: a safety check of an unknown task and plan answers 200 with success false",
          "[e2e][legacy][suite]") {
  json::object body{{"task_id", "non-existent-task"},
                    {"plan_id", "non-existent-plan"},
                    {"type", "pre_execution"}};
  require_failure(legacy_envelope(suite_engine().client.post("/api/safety/check", body)));
}

TEST_CASE("suite: the registered safety checks are listed as an array", "[e2e][legacy][suite]") {
  auto envelope = legacy_envelope(suite_engine().client.get("/api/safety/checks"));
  REQUIRE(envelope.at("success").as_bool());
  CHECK(envelope.at("data").is_array());
}

TEST_CASE("suite: statistics answer with data", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  legacy_envelope(client.post("/api/tasks", suite_task()));
  legacy_envelope(client.post("/api/tasks", suite_task()));
  auto envelope = legacy_envelope(client.get("/api/statistics"));
  REQUIRE(envelope.at("success").as_bool());
  CHECK(envelope.at("data").is_object());
}

TEST_CASE("suite: the event list is an array", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  legacy_envelope(client.post("/api/tasks", suite_task()));
  auto envelope = legacy_envelope(client.get("/api/events"));
  REQUIRE(envelope.at("success").as_bool());
  CHECK(envelope.at("data").is_array());
}

TEST_CASE("suite: a task's events are an array", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  auto id = text(legacy_envelope(client.post("/api/tasks", suite_task())).at("data"), "id");
  auto envelope = legacy_envelope(client.get("/api/tasks/" + id + "/events"));
  REQUIRE(envelope.at("success").as_bool());
  CHECK(envelope.at("data").is_array());
}

TEST_CASE("suite: executing a task answers 200 with its result", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  auto id = text(legacy_envelope(client.post("/api/tasks", suite_task())).at("data"), "id");
  auto envelope =
      legacy_envelope(client.request("POST", "/api/tasks/" + id + "/execute", "", json_content));
  CHECK(envelope.contains("data"));
}

TEST_CASE("suite: cancelling a task answers 200 with success true", "[e2e][legacy][suite]") {
  auto& client = suite_engine().client;
  auto id = text(legacy_envelope(client.post("/api/tasks", suite_task())).at("data"), "id");
  auto envelope =
      legacy_envelope(client.request("POST", "/api/tasks/" + id + "/cancel", "", json_content));
  CHECK(envelope.at("success").as_bool());
}

TEST_CASE("suite: a task without its required fields answers 200 with success false",
          "[e2e][legacy][suite]") {
  require_failure(legacy_envelope(suite_engine().client.post("/api/tasks", json::object{})));
}

TEST_CASE("suite: validating an invalid plan id answers 200 with success false",
          "[e2e][legacy][suite]") {
  require_failure(legacy_envelope(
      suite_engine().client.request("POST", "/api/plans/invalid-id/validate", "", json_content)));
}

TEST_CASE("suite: a safety check naming no known task or plan answers 200 with success false",
          "[e2e][legacy][suite]") {
  json::object body{
      {"task_id", "non-existent"}, {"plan_id", "non-existent"}, {"type", "pre_execution"}};
  require_failure(legacy_envelope(suite_engine().client.post("/api/safety/check", body)));
}

// ---- the original's answers beyond its suite ----------------------------------------------

TEST_CASE("legacy mode answers handled errors with HTTP 200 and success:false", "[e2e][legacy]") {
  engine e(legacy_options());
  auto before = snapshot(e.client);

  auto invalid =
      legacy_envelope(e.client.post("/api/tasks", task_body("oracle", "staging", {"vpc"})));
  require_failure(invalid);
  auto fields = detail_fields(invalid);
  CHECK(std::find(fields.begin(), fields.end(), "context.provider") != fields.end());
  require_failure(legacy_envelope(e.client.get("/api/tasks/task_does_not_exist")));
  require_failure(legacy_envelope(e.client.post("/api/tasks/task_does_not_exist/execute")));
  require_failure(legacy_envelope(e.client.get("/api/plans/plan_does_not_exist")));
  CHECK(snapshot(e.client) == before);

  auto task_id = text(
      legacy_envelope(e.client.post("/api/tasks", task_body("aws", "staging", {"vpc"}))).at("data"),
      "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/cancel"), 200);
  require_failure(legacy_envelope(e.client.post("/api/tasks/" + task_id + "/cancel")));  // 409
}

TEST_CASE("legacy execute is synchronous and returns task, plan, results and verification",
          "[e2e][legacy]") {
  engine e(legacy_options());
  auto task_id = text(
      expect_ok(e.client.post("/api/tasks", task_body("aws", "staging", {"vpc", "eks", "rds"})),
                200),
      "id");
  auto done = expect_ok(e.client.post("/api/tasks/" + task_id + "/execute"), 200);
  INFO(json::serialize(done));
  for (const char* part : {"task", "plan", "executionResults", "verificationResult"})
    REQUIRE(done.as_object().contains(part));
  CHECK(text(done.at("task"), "status") == "completed");
  CHECK(text(done.at("task"), "id") == task_id);
  CHECK_FALSE(done.at("executionResults").as_array().empty());
  CHECK(text(done.at("plan"), "task_id") == task_id);
  // Nothing left running in the background: the stored task is the answered one.
  CHECK(text(get_task(e.client, task_id), "status") == "completed");
}

TEST_CASE(
    "a body that is not JSON answers 400 Bad Request as text in legacy mode and stores "
    "nothing",
    "[e2e][legacy]") {
  engine e(legacy_options());
  auto before = snapshot(e.client);
  for (const char* target : {"/api/tasks", "/api/plans/generate", "/api/safety/check"}) {
    INFO(target);
    auto response = e.client.request("POST", target, "{not json");
    CHECK(response.status == 400);
    CHECK(response.body == "Bad Request");
    CHECK(response.header("content-type").rfind("text/plain", 0) == 0);
  }
  // A body that is JSON but not what the endpoint wants is a handled error, as in the original.
  require_failure(legacy_envelope(e.client.request("POST", "/api/tasks", "[1,2]")));
  require_failure(legacy_envelope(e.client.request("POST", "/api/tasks", "", json_content)));
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("an unknown route or a wrong method answers 404 NOT_FOUND as text in legacy mode",
          "[e2e][legacy]") {
  engine e(legacy_options());
  for (auto [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/nope"},
                                                        {"GET", "/api/tasks/a/b/c/d"},
                                                        {"DELETE", "/api/tasks"},
                                                        {"PUT", "/health"},
                                                        {"GET", "/api/tasks/x/execute"}}) {
    INFO(method << " " << target);
    auto response = e.client.request(method, target);
    CHECK(response.status == 404);
    CHECK(response.body == "NOT_FOUND");
  }
}

TEST_CASE("the default mode answers unknown routes 404 and wrong methods 405 with an envelope",
          "[e2e][legacy]") {
  engine e;
  auto missing = expect_error(e.client.get("/nope"), 404);
  CHECK(text(missing, "error").find("/nope") != std::string::npos);
  auto response = e.client.request("DELETE", "/api/tasks");
  expect_error(response, 405);
  CHECK(response.header("allow").find("GET") != std::string::npos);
  CHECK(response.header("allow").find("POST") != std::string::npos);
}

TEST_CASE("the default mode keeps error statuses that legacy mode hides", "[e2e][legacy]") {
  engine e;
  expect_error(e.client.get("/api/tasks/task_does_not_exist"), 404);
  auto malformed = expect_error(e.client.request("POST", "/api/tasks", "{not json"), 400);
  CHECK(text(malformed, "error").find("not valid JSON") != std::string::npos);
  expect_error(e.client.get("/api/tasks/task_does_not_exist/events"), 404);
}

TEST_CASE("the events of an unknown task are an empty list in legacy mode", "[e2e][legacy]") {
  engine e(legacy_options());
  auto response = e.client.get("/api/tasks/task_does_not_exist/events");
  REQUIRE(response.status == 200);
  auto body = response.json();
  CHECK(body.at("success").as_bool());
  CHECK(body.at("data") == json::array{});
}

TEST_CASE("legacy mode allows any origin and answers CORS preflights", "[e2e][legacy]") {
  engine e(legacy_options());
  CHECK(e.client.get("/api/statistics").header("access-control-allow-origin") == "*");
  auto preflight = e.client.request(
      "OPTIONS", "/api/tasks", "",
      {{"Origin", "http://dashboard.example"}, {"Access-Control-Request-Method", "POST"}});
  CHECK(preflight.status == 204);
  CHECK(preflight.header("access-control-allow-origin") == "*");
  CHECK(preflight.header("access-control-allow-methods").find("POST") != std::string::npos);
}

TEST_CASE(
    "GET /api/events without limit answers the newest 1,000 in legacy mode and 50 by "
    "default",
    "[e2e][legacy][events]") {
  const bool legacy = GENERATE(true, false);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(legacy ? legacy_options() : server_options{});
  // Each created task writes one task_created event: 1,005 events, more than one page.
  constexpr int created = 1005;
  for (int i = 0; i < created; ++i)
    expect_ok(e.client.post("/api/tasks", task_body("aws", "staging", {"vpc"})), {200, 201});
  auto response = e.client.get("/api/events");
  auto events = expect_ok(response, 200).as_array();
  REQUIRE(events.size() == (legacy ? 1000u : 50u));
  // Newest first, without gaps: the seqs count down from the newest.
  auto newest = events.front().at("seq").to_number<int64_t>();
  CHECK(newest == created);
  for (size_t i = 0; i < events.size(); ++i)
    CHECK(events[i].at("seq").to_number<int64_t>() == newest - static_cast<int64_t>(i));
}

TEST_CASE("a WebSocket subscription to an unknown task id answers subscribed in legacy mode",
          "[e2e][legacy][websocket]") {
  const bool legacy = GENERATE(true, false);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(legacy ? legacy_options() : server_options{});
  ws_client ws("127.0.0.1", e.server.ws_port());
  REQUIRE(ws.next_of_type("connected", seconds(10)));
  auto answer = ws.subscribe("task_not_created_yet");
  INFO(json::serialize(answer));
  CHECK(message_type(answer) == (legacy ? "subscribed" : "error"));
  if (legacy) CHECK(text(answer, "task_id") == "task_not_created_yet");
  // The connection goes on serving known tasks either way.
  auto id =
      text(expect_ok(e.client.post("/api/tasks", task_body("aws", "staging", {"vpc"})), {200, 201}),
           "id");
  CHECK(message_type(ws.subscribe(id, 0)) == "subscribed");
  auto replayed = ws.next_of_type("task_event", seconds(10));
  REQUIRE(replayed);
  CHECK(text(replayed->at("event"), "type") == "task_created");
}

}  // namespace ce::e2e

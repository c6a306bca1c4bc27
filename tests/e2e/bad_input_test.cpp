// Every kind of bad request gets the right status, a clear sentence, the
// offending field names, and leaves the store exactly as it was.
#include <catch2/catch.hpp>

#include <algorithm>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

bool has_field(const json::object& envelope, const std::string& field) {
  auto fields = detail_fields(envelope);
  return std::find(fields.begin(), fields.end(), field) != fields.end();
}

/// POSTs `body` to /api/tasks and requires a 400 naming `field`, with nothing stored.
void expect_rejected_task(http_client& client, const std::string& body, const std::string& field) {
  auto before = snapshot(client);
  auto envelope = expect_error(client.request("POST", "/api/tasks", body), 400);
  INFO("body sent: " << body << "\nanswer: " << json::serialize(envelope));
  if (!field.empty()) CHECK(has_field(envelope, field));
  CHECK(snapshot(client) == before);
}

std::string with(json::object body, const char* path, json::value value) {
  // path is "key" or "context.key"
  std::string key = path;
  auto dot = key.find('.');
  if (dot == std::string::npos)
    body[key] = std::move(value);
  else
    body[key.substr(0, dot)].as_object()[key.substr(dot + 1)] = std::move(value);
  return json::serialize(body);
}

std::string without(json::object body, const char* path) {
  std::string key = path;
  auto dot = key.find('.');
  if (dot == std::string::npos)
    body.erase(key);
  else
    body[key.substr(0, dot)].as_object().erase(key.substr(dot + 1));
  return json::serialize(body);
}

}  // namespace

TEST_CASE("a task body that is not a valid JSON object is a 400 and stores nothing",
          "[e2e][bad_input]") {
  engine e;
  create_task(e.client, task_body("aws", "staging", {"vpc"}));  // the store is not empty
  for (const char* body :
       {R"({"type": "generate",)", "not json at all", "[1, 2, 3]", R"("generate")", "42", "null"}) {
    INFO("case: " << body);
    expect_rejected_task(e.client, body, "");
  }
}

TEST_CASE("task fields are validated with details naming each field", "[e2e][bad_input]") {
  engine e;
  create_task(e.client, task_body("aws", "staging", {"vpc"}));
  auto good = task_body("aws", "staging", {"vpc", "eks"});
  struct bad_case {
    const char* what;
    std::string body;
    const char* field;
  };
  const bad_case cases[] = {
      {"missing type", without(good, "type"), "type"},
      {"unknown type", with(good, "type", "destroy"), "type"},
      {"type of the wrong JSON type", with(good, "type", 5), "type"},
      {"missing context", without(good, "context"), "context"},
      {"unknown provider", with(good, "context.provider", "oracle"), "context.provider"},
      {"missing provider", without(good, "context.provider"), "context.provider"},
      {"unknown priority", with(good, "priority", "urgent"), "priority"},
      {"empty components", with(good, "context.components", json::array{}), "context.components"},
      {"components not a list", with(good, "context.components", "vpc"), "context.components"},
      {"requirements not an object", with(good, "context.requirements", json::array{1}),
       "context.requirements"},
      {"a known requirement of the wrong type",
       with(good, "context.requirements", json::object{{"vpc_cidr", 42}}),
       "context.requirements.vpc_cidr"},
  };
  for (const auto& bad : cases) {
    INFO("case: " << bad.what);
    expect_rejected_task(e.client, bad.body, bad.field);
  }

  // Several problems are reported at once.
  auto body = good;
  body["type"] = "destroy";
  body["priority"] = "urgent";
  auto envelope = expect_error(e.client.post("/api/tasks", body), 400);
  CHECK(has_field(envelope, "type"));
  CHECK(has_field(envelope, "priority"));
}

TEST_CASE("a component the provider lacks is a 400 that lists the supported ones",
          "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  auto envelope =
      expect_error(e.client.post("/api/tasks", task_body("aws", "staging", {"vpc", "gke"})), 400);
  auto message = error_text(envelope);
  INFO(message);
  CHECK(message.find("gke") != std::string::npos);
  for (const char* supported : {"vpc", "ec2", "eks", "rds", "s3", "iam", "kms", "cloudwatch"})
    CHECK(message.find(supported) != std::string::npos);
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("unknown fields are ignored", "[e2e][bad_input]") {
  engine e;
  auto body = task_body("aws", "staging", {"vpc"});
  body["color"] = "blue";
  body["context"].as_object()["mood"] = "calm";
  create_task(e.client, body);
}

TEST_CASE("a body over 1 MiB is 413 and stores nothing", "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  auto body = task_body("aws", "staging", {"vpc"});
  constexpr std::size_t one_mib = 1 << 20;  // the contract's body limit
  body["metadata"] = json::object{{"padding", std::string(one_mib, 'x')}};
  auto response = e.client.post("/api/tasks", body);
  expect_error(response, 413);
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("a body that is not declared as JSON is 415 and stores nothing", "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  auto body = json::serialize(task_body("aws", "staging", {"vpc"}));
  expect_error(e.client.request("POST", "/api/tasks", body, {{"Content-Type", "text/plain"}}), 415);
  expect_error(e.client.request("POST", "/api/tasks", body,
                                {{"Content-Type", "application/x-www-form-urlencoded"}}),
               415);
  CHECK(snapshot(e.client) == before);
  // A charset parameter is still JSON.
  auto accepted = e.client.request("POST", "/api/tasks", body,
                                   {{"Content-Type", "application/json; charset=utf-8"}});
  expect_ok(accepted, 201);
}

TEST_CASE("unknown routes are 404 and wrong methods are 405", "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  expect_error(e.client.get("/api/nothing-here"), 404);
  expect_error(e.client.post("/api/tasks/some_task/explode"), 404);
  CHECK(e.client.get("/not-an-api-path").status == 404);

  auto wrong_method = e.client.request("DELETE", "/api/tasks");
  expect_error(wrong_method, 405);
  CHECK(wrong_method.header("allow").find("POST") != std::string::npos);  // RFC 9110 15.5.6
  expect_error(e.client.get("/api/safety/check"), 405);
  expect_error(e.client.request("PUT", "/api/safety/checks"), 405);
  auto task_id = text(create_task(e.client, task_body("aws", "staging", {"vpc"})), "id");
  before = snapshot(e.client);
  expect_error(e.client.get("/api/tasks/" + task_id + "/execute"), 405);
  expect_error(e.client.get("/api/tasks/" + task_id + "/cancel"), 405);
  CHECK(snapshot(e.client) == before);
  CHECK(text(get_task(e.client, task_id), "status") == "pending");
}

TEST_CASE("unknown task ids are 404 on every task endpoint and store nothing", "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  const std::string missing = "/api/tasks/task_does_not_exist";
  expect_error(e.client.get(missing), 404);
  expect_error(e.client.post(missing + "/execute"), 404);
  expect_error(e.client.post(missing + "/execute?wait=true"), 404);
  expect_error(e.client.post(missing + "/cancel"), 404);
  expect_error(e.client.get(missing + "/events"), 404);
  expect_error(e.client.get(missing + "/artifacts"), 404);
  expect_error(e.client.get(missing + "/artifacts/vpc.tf"), 404);
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("executing a task twice is 409 and leaves the first run alone", "[e2e][bad_input]") {
  engine e;
  auto task_id = text(create_task(e.client, task_body("aws", "staging", {"vpc", "eks"})), "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/execute"), 202);
  expect_error(e.client.post("/api/tasks/" + task_id + "/execute"), 409);
  auto done = wait_for_status(e.client, task_id, {"completed", "failed", "cancelled"});
  CHECK(text(done, "status") == "completed");
  expect_error(e.client.post("/api/tasks/" + task_id + "/execute?wait=true"), 409);
  CHECK(text(get_task(e.client, task_id), "status") == "completed");

  auto events = expect_ok(e.client.get("/api/tasks/" + task_id + "/events"), 200);
  int started = 0;
  for (const auto& event : events.as_array()) started += text(event, "type") == "execution_started";
  CHECK(started == 1);
}

TEST_CASE("plan generation validates its input like task creation", "[e2e][bad_input]") {
  engine e;
  auto before = snapshot(e.client);
  json::object body{{"type", "generate"},
                    {"context", json::object{{"provider", "oracle"},
                                             {"environment", "staging"},
                                             {"components", json::array{"vpc"}}}}};
  auto envelope = expect_error(e.client.post("/api/plans/generate", body), 400);
  CHECK(has_field(envelope, "context.provider"));
  expect_error(e.client.request("POST", "/api/plans/generate", "{oops"), 400);
  CHECK(snapshot(e.client) == before);
}

}  // namespace ce::e2e

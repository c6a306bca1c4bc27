// The original service's README usage examples, run in order against the real
// binary, ending where a user ends: approved, completed, Terraform downloaded.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

/// "Create task" body, verbatim from the seed README.
const char* const readme_create_task = R"({
    "type": "generate",
    "user_id": "user-123",
    "priority": "high",
    "context": {
      "provider": "aws",
      "environment": "production",
      "region": "us-east-1",
      "components": ["vpc", "eks", "rds"],
      "requirements": {
        "vpc_cidr": "10.0.0.0/16",
        "eks_version": "1.28",
        "rds_engine": "postgres"
      }
    }
  })";

/// "Generate Plan" body, verbatim from the seed README.
const char* const readme_generate_plan = R"({
    "type": "deploy",
    "context": {
      "provider": "aws",
      "environment": "production",
      "components": ["vpc", "eks"]
    }
  })";

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> ids_of(const std::vector<page>& pages) {
  std::vector<std::string> ids;
  for (const auto& page : pages)
    for (const auto& item : page.items) ids.push_back(text(item, "id"));
  return ids;
}

std::vector<std::string> actions_of(const json::value& plan) {
  std::vector<std::string> actions;
  for (const auto& step : plan.at("steps").as_array()) actions.push_back(text(step, "action"));
  return actions;
}

}  // namespace

TEST_CASE("the seed README's curl examples end with downloadable Terraform of a completed task",
          "[e2e][readme]") {
  engine e;
  auto& client = e.client;

  // GET /health (no envelope).
  auto health = client.get("/health");
  REQUIRE(health.status == 200);
  auto health_body = health.json();
  CHECK(text(health_body, "status") == "healthy");
  CHECK(text(health_body, "service") == "core-engine-service");
  CHECK(health_body.as_object().contains("timestamp"));

  // Create task.
  auto created_response = client.request("POST", "/api/tasks", readme_create_task,
                                         {{"Content-Type", "application/json"}});
  auto task = expect_ok(created_response, 201).as_object();
  auto task_id = text(task, "id");
  REQUIRE_FALSE(task_id.empty());
  CHECK(text(task, "status") == "pending");
  CHECK(text(task, "type") == "generate");
  CHECK(text(task, "priority") == "high");
  CHECK(text(task, "user_id") == "user-123");
  CHECK(text(task.at("context"), "provider") == "aws");
  CHECK(text(task.at("context"), "region") == "us-east-1");
  CHECK(strings(task.at("context").at("components")) ==
        std::vector<std::string>{"vpc", "eks", "rds"});
  CHECK(text(task.at("context").at("requirements"), "vpc_cidr") == "10.0.0.0/16");
  CHECK_FALSE(text(task, "created_at").empty());

  // Execute task (curl -X POST with no body): accepted, runs in the background.
  auto executing = expect_ok(client.post("/api/tasks/" + task_id + "/execute"), 202);
  auto status_at_accept = text(executing, "status");
  INFO("status in the 202 answer: " << status_at_accept);
  CHECK((status_at_accept == "queued" || status_at_accept == "planning"));

  // A production plan waits for approval instead of failing as the original did.
  task =
      wait_for_status(client, task_id, {"awaiting_approval", "completed", "failed", "cancelled"});
  REQUIRE(text(task, "status") == "awaiting_approval");
  auto plan_id = text(task.at("execution"), "plan_id");
  REQUIRE_FALSE(plan_id.empty());
  auto plan = expect_ok(client.get("/api/plans/" + plan_id), 200);
  CHECK(text(plan, "id") == plan_id);
  CHECK(text(plan, "task_id") == task_id);
  CHECK(plan.at("requires_approval").as_bool());
  CHECK(text(plan, "status") == "draft");
  auto task_plan_actions = actions_of(plan);
  CHECK(contains(task_plan_actions, "validate_requirements"));
  CHECK(std::count(task_plan_actions.begin(), task_plan_actions.end(), "generate_component") == 3);
  CHECK(contains(task_plan_actions, "generate_documentation"));

  // Generate Plan: a stored deploy plan, and no task.
  auto tasks_before_plan = snapshot(client).task_ids;
  // The contract does not say whether a generated plan is "created" (201) or "read" (200).
  auto generated =
      expect_ok(client.request("POST", "/api/plans/generate", readme_generate_plan), {200, 201});
  auto generated_id = text(generated, "id");
  REQUIRE_FALSE(generated_id.empty());
  CHECK(text(generated, "task_id").empty());
  auto deploy_actions = actions_of(generated);
  CHECK(contains(deploy_actions, "plan_deployment"));
  CHECK(contains(deploy_actions, "apply_deployment"));
  CHECK(contains(deploy_actions, "verify_deployment"));
  for (const auto& step : generated.at("steps").as_array())
    if (text(step, "action") == "apply_deployment")
      CHECK(text(step, "rollback_action") == "destroy_deployment");
  CHECK(generated.at("requires_approval").as_bool());
  CHECK(snapshot(client).task_ids == tasks_before_plan);
  CHECK(text(expect_ok(client.get("/api/plans/" + generated_id), 200), "id") == generated_id);

  // Run Safety Checks, for the task's real plan.
  json::object safety_request{
      {"task_id", task_id}, {"plan_id", plan_id}, {"type", "pre_execution"}};
  auto safety = expect_ok(client.post("/api/safety/check", safety_request), 200);
  CHECK(safety.at("passed").as_bool());
  CHECK(safety.at("blockers").as_array().empty());
  const auto& safety_results = safety.at("results").as_array();
  CHECK(safety_results.size() == 10);  // the 10 pre-execution checks of the contract
  bool some_check_requires_approval = false;
  for (const auto& result : safety_results)
    some_check_requires_approval =
        some_check_requires_approval || result.at("requires_approval").as_bool();
  CHECK(some_check_requires_approval);

  // List Tasks: all, by user, by status.
  CHECK(contains(ids_of(get_all_pages(client, "/api/tasks", 50)), task_id));
  CHECK(contains(ids_of(get_all_pages(client, "/api/tasks?user_id=user-123", 50)), task_id));
  CHECK_FALSE(contains(ids_of(get_all_pages(client, "/api/tasks?status=completed", 50)), task_id));

  // Approve, then the task runs to completion.
  json::object approval{{"comment", "reviewed in e2e"}};
  expect_ok(client.post("/api/plans/" + plan_id + "/approve", approval), 200);
  task = wait_for_status(client, task_id, {"completed", "failed", "cancelled"});
  INFO("final task: " << json::serialize(task));
  REQUIRE(text(task, "status") == "completed");
  CHECK_FALSE(text(task, "completed_at").empty());
  REQUIRE(task.contains("result"));
  CHECK(task.at("result").at("success").as_bool());
  auto artifact_names = strings(task.at("result").at("artifacts"));
  for (const char* expected : {"vpc.tf", "eks.tf", "rds.tf", "main.tf", "outputs.tf", "README.md"})
    CHECK(contains(artifact_names, expected));
  auto approved_plan = expect_ok(client.get("/api/plans/" + plan_id), 200);
  CHECK_FALSE(text(approved_plan, "approved_by").empty());
  CHECK_FALSE(text(approved_plan, "approved_at").empty());
  CHECK(contains(ids_of(get_all_pages(client, "/api/tasks?status=completed", 50)), task_id));

  // Download every .tf artifact; its bytes hash to the listed checksum.
  auto listed = expect_ok(client.get("/api/tasks/" + task_id + "/artifacts"), 200);
  REQUIRE(listed.is_array());
  std::set<std::string> downloaded;
  for (const auto& artifact : listed.as_array()) {
    auto name = text(artifact, "name");
    auto checksum = text(artifact, "checksum");
    CHECK(checksum.size() == 64);  // sha256 in hex
    if (name.size() < 3 || name.substr(name.size() - 3) != ".tf") continue;
    auto download = client.get("/api/tasks/" + task_id + "/artifacts/" + name);
    INFO("artifact " << name);
    REQUIRE(download.status == 200);
    CHECK(download.header("content-type").rfind("text/plain", 0) == 0);
    CHECK(static_cast<int64_t>(download.body.size()) == artifact.at("size").to_number<int64_t>());
    CHECK(sha256_hex(download.body) == checksum);
    bool looks_like_terraform = download.body.find("resource \"") != std::string::npos ||
                                download.body.find("terraform {") != std::string::npos ||
                                download.body.find("output \"") != std::string::npos;
    CHECK(looks_like_terraform);
    if (name == "vpc.tf")
      CHECK(download.body.find("10.0.0.0/16") != std::string::npos);  // requirements.vpc_cidr
    if (name == "eks.tf")
      CHECK(download.body.find("1.28") != std::string::npos);  // requirements.eks_version
    if (name == "rds.tf")
      CHECK(download.body.find("postgres") != std::string::npos);  // requirements.rds_engine
    downloaded.insert(name);
  }
  CHECK(downloaded.count("vpc.tf") == 1);
  CHECK(downloaded.count("eks.tf") == 1);
  CHECK(downloaded.count("rds.tf") == 1);

  // The task's story, oldest first, with strictly increasing seq.
  auto events = expect_ok(client.get("/api/tasks/" + task_id + "/events"), 200);
  REQUIRE(events.is_array());
  REQUIRE_FALSE(events.as_array().empty());
  std::vector<std::string> types;
  int64_t previous_seq = -1;
  for (const auto& event : events.as_array()) {
    auto seq = event.at("seq").to_number<int64_t>();
    CHECK(seq > previous_seq);
    previous_seq = seq;
    CHECK(text(event, "task_id") == task_id);
    types.push_back(text(event, "type"));
  }
  CHECK(types.front() == "task_created");
  auto position = [&](const char* type) {
    return std::find(types.begin(), types.end(), type) - types.begin();
  };
  for (const char* expected :
       {"plan_generated", "approval_required", "plan_approved", "execution_started",
        "step_completed", "verification_completed", "task_completed"})
    CHECK(contains(types, expected));
  CHECK(position("approval_required") < position("plan_approved"));
  CHECK(position("plan_approved") < position("task_completed"));

  // Every request above travelled over one kept-alive connection.
  CHECK(client.connections_opened() == 1);
}

}  // namespace ce::e2e

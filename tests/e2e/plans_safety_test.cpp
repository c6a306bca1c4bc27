// The plan and safety endpoints: generate, get, validate (stored and inline),
// optimize, approve, and the registered safety checks, against the real binary.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

bool mentions(const json::value& errors, const std::string& word) {
  for (const auto& error : strings(errors))
    if (error.find(word) != std::string::npos) return true;
  return false;
}

json::object plan_request(const std::string& environment,
                          std::initializer_list<const char*> components,
                          const std::string& type = "generate") {
  auto body = task_body("aws", environment, components, type);
  return json::object{{"type", body.at("type")}, {"context", body.at("context")}};
}

json::object inline_step(const std::string& id, int order,
                         std::initializer_list<const char*> depends_on) {
  json::array dependencies;
  for (const char* dependency : depends_on) dependencies.emplace_back(dependency);
  return json::object{{"id", id},
                      {"order", order},
                      {"type", "generate"},
                      {"description", "step " + id},
                      {"action", "generate_component"},
                      {"parameters", json::object{}},
                      {"status", "pending"},
                      {"depends_on", std::move(dependencies)}};
}

json::value validate_inline(http_client& client, json::array steps) {
  auto data = expect_ok(client.post("/api/plans/validate", json::object{{"steps", steps}}), 200);
  REQUIRE(data.as_object().contains("valid"));
  REQUIRE(data.at("errors").is_array());
  return data;
}

}  // namespace

TEST_CASE("a generated plan is stored, valid, and creates no task", "[e2e][plans]") {
  engine e;
  auto before = snapshot(e.client);
  auto plan = expect_ok(
      e.client.post("/api/plans/generate", plan_request("staging", {"vpc", "eks", "rds", "s3"})),
      {200, 201});
  auto plan_id = text(plan, "id");
  REQUIRE_FALSE(plan_id.empty());
  CHECK(snapshot(e.client).task_ids == before.task_ids);
  for (const char* field :
       {"id", "status", "created_at", "updated_at", "steps", "dependencies", "estimated_duration",
        "estimated_cost", "risks", "risk_level", "requires_approval"})
    CHECK(plan.as_object().contains(field));
  CHECK(plan.at("estimated_cost").to_number<double>() > 0);
  CHECK(plan.at("estimated_duration").to_number<double>() > 0);

  // Independent components do not wait for each other; eks and rds need the vpc.
  std::map<std::string, std::string> generate_step_of;
  std::map<std::string, std::vector<std::string>> depends_on;
  for (const auto& step : plan.at("steps").as_array()) {
    if (text(step, "action") == "generate_component")
      generate_step_of[text(step, "component")] = text(step, "id");
    if (auto* deps = step.as_object().if_contains("depends_on"))
      depends_on[text(step, "id")] = strings(*deps);
  }
  REQUIRE(generate_step_of.size() == 4);
  auto needs = [&](const char* component, const char* prerequisite) {
    const auto& deps = depends_on[generate_step_of[component]];
    return std::find(deps.begin(), deps.end(), generate_step_of[prerequisite]) != deps.end();
  };
  CHECK(needs("eks", "vpc"));
  CHECK(needs("rds", "vpc"));
  CHECK_FALSE(needs("eks", "rds"));
  CHECK_FALSE(needs("rds", "eks"));

  auto fetched = expect_ok(e.client.get("/api/plans/" + plan_id), 200);
  CHECK(json::serialize(fetched.at("steps")) == json::serialize(plan.at("steps")));

  auto validation = expect_ok(e.client.post("/api/plans/" + plan_id + "/validate"), 200);
  INFO(json::serialize(validation));
  CHECK(validation.at("valid").as_bool());
  CHECK(validation.at("errors").as_array().empty());
}

TEST_CASE("optimize marks parallel stages and never lengthens the plan", "[e2e][plans]") {
  engine e;
  auto plan = expect_ok(
      e.client.post("/api/plans/generate", plan_request("staging", {"vpc", "eks", "rds", "s3"})),
      {200, 201});
  auto plan_id = text(plan, "id");
  auto duration_before = plan.at("estimated_duration").to_number<double>();

  auto optimized = expect_ok(e.client.post("/api/plans/" + plan_id + "/optimize"), 200);
  INFO(json::serialize(optimized));
  CHECK(text(optimized, "id") == plan_id);
  CHECK(optimized.at("estimated_duration").to_number<double>() <= duration_before);

  // Every step carries its stage; a step's stage is after each of its dependencies'.
  std::map<std::string, int64_t> stage_of;
  for (const auto& step : optimized.at("steps").as_array()) {
    REQUIRE(step.as_object().contains("parallel_stage"));
    stage_of[text(step, "id")] = step.at("parallel_stage").to_number<int64_t>();
  }
  std::set<int64_t> stages;
  for (const auto& step : optimized.at("steps").as_array()) {
    auto stage = stage_of[text(step, "id")];
    stages.insert(stage);
    if (auto* deps = step.as_object().if_contains("depends_on"))
      for (const auto& dependency : strings(*deps)) CHECK(stage_of.at(dependency) < stage);
  }
  // eks, rds and s3 generation can share a stage, so there are fewer stages than steps.
  CHECK(stages.size() < stage_of.size());

  // The optimized plan is what is stored now.
  auto fetched = expect_ok(e.client.get("/api/plans/" + plan_id), 200);
  CHECK(fetched.at("estimated_duration").to_number<double>() ==
        optimized.at("estimated_duration").to_number<double>());
}

TEST_CASE("an inline plan is validated for cycles and missing dependencies", "[e2e][plans]") {
  engine e;
  auto valid = validate_inline(e.client, {inline_step("make_network", 1, {}),
                                          inline_step("make_cluster", 2, {"make_network"})});
  CHECK(valid.at("valid").as_bool());
  CHECK(valid.at("errors").as_array().empty());

  auto cycle = validate_inline(e.client, {inline_step("step_alpha", 1, {"step_beta"}),
                                          inline_step("step_beta", 2, {"step_alpha"})});
  INFO(json::serialize(cycle));
  CHECK_FALSE(cycle.at("valid").as_bool());
  CHECK(mentions(cycle.at("errors"), "step_alpha"));
  CHECK(mentions(cycle.at("errors"), "step_beta"));

  auto missing = validate_inline(e.client, {inline_step("step_alpha", 1, {"step_ghost"})});
  INFO(json::serialize(missing));
  CHECK_FALSE(missing.at("valid").as_bool());
  CHECK(mentions(missing.at("errors"), "step_alpha"));
  CHECK(mentions(missing.at("errors"), "step_ghost"));

  // Not a plan at all is bad input, not an invalid plan.
  expect_error(e.client.post("/api/plans/validate", json::object{{"steps", "none"}}), 400);
}

TEST_CASE("a generated plan can be approved once", "[e2e][plans][approval]") {
  engine e;
  auto plan = expect_ok(
      e.client.post("/api/plans/generate", plan_request("production", {"vpc", "eks"}, "deploy")),
      {200, 201});
  CHECK(plan.at("requires_approval").as_bool());
  auto plan_id = text(plan, "id");
  expect_ok(e.client.post("/api/plans/" + plan_id + "/approve", json::object{{"comment", "ok"}}),
            200);
  auto approved = expect_ok(e.client.get("/api/plans/" + plan_id), 200);
  CHECK(text(approved, "status") == "approved");
  CHECK_FALSE(text(approved, "approved_at").empty());
  expect_error(e.client.post("/api/plans/" + plan_id + "/reject", json::object{{"reason", "late"}}),
               409);
}

TEST_CASE("unknown plan ids are 404 on every plan endpoint", "[e2e][plans]") {
  engine e;
  const std::string missing = "/api/plans/plan_does_not_exist";
  expect_error(e.client.get(missing), 404);
  expect_error(e.client.post(missing + "/validate"), 404);
  expect_error(e.client.post(missing + "/optimize"), 404);
  expect_error(e.client.post(missing + "/approve", json::object{}), 404);
  expect_error(e.client.post(missing + "/reject", json::object{{"reason", "x"}}), 404);
}

TEST_CASE("fifteen safety checks are registered: 10 before, 2 during, 3 after execution",
          "[e2e][safety]") {
  engine e;
  auto checks = expect_ok(e.client.get("/api/safety/checks"), 200);
  INFO(json::serialize(checks));
  REQUIRE(checks.is_array());
  CHECK(checks.as_array().size() == 15);  // the original's 10 + 2 + 3
  std::map<std::string, int> per_phase;
  std::set<std::string> ids;
  for (const auto& check : checks.as_array()) {
    // The contract names no field for the phase; the original called it `type`.
    auto phase = text(check, "phase");
    if (phase.empty()) phase = text(check, "type");
    ++per_phase[phase];
    ids.insert(text(check, "id"));
    CHECK_FALSE(text(check, "name").empty());
    CHECK_FALSE(text(check, "category").empty());
    CHECK_FALSE(text(check, "severity").empty());
  }
  CHECK(ids.size() == 15);
  CHECK(per_phase["pre_execution"] == 10);
  CHECK(per_phase["during_execution"] == 2);
  CHECK(per_phase["post_execution"] == 3);
}

TEST_CASE("a pre-execution safety check blocks a task that disables encryption", "[e2e][safety]") {
  engine e;
  auto body = task_body("aws", "staging", {"vpc", "rds"});
  body["context"].as_object()["requirements"] = json::object{{"encryption", false}};
  auto task_id = text(create_task(e.client, body), "id");
  auto plan =
      expect_ok(e.client.post("/api/plans/generate",
                              json::object{{"type", "generate"}, {"context", body["context"]}}),
                {200, 201});

  json::object request{
      {"task_id", task_id}, {"plan_id", text(plan, "id")}, {"type", "pre_execution"}};
  auto report = expect_ok(e.client.post("/api/safety/check", request), 200);
  INFO(json::serialize(report));
  CHECK_FALSE(report.at("passed").as_bool());
  REQUIRE_FALSE(report.at("blockers").as_array().empty());
  for (const auto& blocker : report.at("blockers").as_array())
    CHECK_FALSE(blocker.at("can_proceed").as_bool());

  // Executing it fails instead of producing unencrypted infrastructure.
  auto ended = expect_ok(e.client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  INFO(json::serialize(ended));
  CHECK(text(ended.at("task"), "status") == "failed");
  CHECK_FALSE(ended.at("task").at("result").at("errors").as_array().empty());
}

TEST_CASE("safety check requests are validated", "[e2e][safety]") {
  engine e;
  auto plan =
      expect_ok(e.client.post("/api/plans/generate", plan_request("staging", {"vpc"})), {200, 201});
  auto bad_phase = expect_error(
      e.client.post("/api/safety/check",
                    json::object{{"plan_id", text(plan, "id")}, {"type", "mid_execution"}}),
      400);
  auto fields = detail_fields(bad_phase);
  CHECK(std::find(fields.begin(), fields.end(), "type") != fields.end());
  expect_error(e.client.post("/api/safety/check",
                             json::object{{"plan_id", "plan_unknown"}, {"type", "pre_execution"}}),
               404);
}

}  // namespace ce::e2e

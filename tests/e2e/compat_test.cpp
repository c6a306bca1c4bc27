// The original service's fields and units, kept in both modes: statistics as a
// percentage, numbers as people write them, the event data and step outputs its
// clients read, verification values of their natural type, parallel groups, and
// post-execution scores.
#include <catch2/catch.hpp>

#include <cctype>
#include <cstdio>
#include <ctime>
#include <map>
#include <regex>
#include <set>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

server_options mode_options(bool legacy) {
  server_options options;
  if (legacy) options.args = {"--legacy-api"};
  return options;
}

/// Every number token of a JSON text that is written with an exponent (1.8E2, 3e0).
std::vector<std::string> numbers_with_exponent(const std::string& text) {
  std::vector<std::string> found;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '"') {  // skip a string, escapes included
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\') ++i;
      ++i;
      continue;
    }
    if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      size_t start = i;
      while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) ||
                                 std::string_view("+-.eE").find(text[i]) != std::string_view::npos))
        ++i;
      auto token = text.substr(start, i - start);
      if (token.find_first_of("eE") != std::string::npos) found.push_back(token);
      continue;
    }
    ++i;
  }
  return found;
}

/// Runs one task through execute?wait=true (legacy: plain execute) and returns the answer.
json::value run_task(engine& e, bool legacy, const json::value& body) {
  auto task = expect_ok(e.client.post("/api/tasks", body), legacy ? 200 : 201);
  auto id = text(task, "id");
  return expect_ok(e.client.post("/api/tasks/" + id + (legacy ? "/execute" : "/execute?wait=true")),
                   200);
}

const json::object& result_of_step(const json::value& done, const std::string& step_id) {
  for (const auto& r : done.at("executionResults").as_array())
    if (text(r, "step_id") == step_id) return r.as_object();
  FAIL("no result for step " << step_id);
  throw std::logic_error("unreachable");
}

const json::object& check_named(const json::value& done, const std::string& id) {
  for (const auto& c : done.at("verificationResult").at("checks").as_array())
    if (text(c, "id") == id) return c.as_object();
  FAIL("no verification check " << id);
  throw std::logic_error("unreachable");
}

const json::object& event_of_type(const json::array& events, const std::string& type) {
  for (const auto& e : events)
    if (text(e, "type") == type) return e.as_object();
  FAIL("no event " << type);
  throw std::logic_error("unreachable");
}

int64_t as_int(const json::value& v) {
  return v.to_number<int64_t>();
}

/// Milliseconds since the epoch of an ISO 8601 UTC timestamp with milliseconds.
int64_t epoch_ms(const std::string& iso) {
  std::tm tm{};
  int millis = 0;
  REQUIRE(std::sscanf(iso.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) == 7);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis;
}

}  // namespace

TEST_CASE("statistics give success_rate as the original's percentage and durations in ms",
          "[e2e][compat][statistics]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto staging = task_body("aws", "staging", {"vpc"});

  auto completed = run_task(e, legacy, staging);
  REQUIRE(text(completed.at("task"), "status") == "completed");
  auto cancelled = expect_ok(e.client.post("/api/tasks", staging), legacy ? 200 : 201);
  expect_ok(e.client.post("/api/tasks/" + text(cancelled, "id") + "/cancel"), 200);

  // 1 completed + 1 cancelled: cancelled tasks never finished executing.
  auto stats = expect_ok(e.client.get("/api/statistics"), 200);
  INFO(json::serialize(stats));
  CHECK(stats.at("success_rate").to_number<double>() == Approx(100));

  // + 1 failed (unencrypted storage is refused before execution): 1 of 2 succeeded.
  auto unencrypted = task_body("aws", "staging", {"vpc", "rds"});
  unencrypted["context"].as_object()["requirements"] = json::object{{"encryption", false}};
  auto failed_id =
      text(expect_ok(e.client.post("/api/tasks", unencrypted), legacy ? 200 : 201), "id");
  e.client.post("/api/tasks/" + failed_id + (legacy ? "/execute" : "/execute?wait=true"));
  auto failed_task = get_task(e.client, failed_id);
  REQUIRE(text(failed_task, "status") == "failed");

  stats = expect_ok(e.client.get("/api/statistics"), 200);
  INFO(json::serialize(stats));
  CHECK(stats.at("success_rate").to_number<double>() == Approx(50));
  // The average over the tasks that finished executing, in milliseconds.
  auto took_ms = [&](const std::string& task_id) {
    auto t = get_task(e.client, task_id);
    return epoch_ms(text(t, "completed_at")) - epoch_ms(text(t, "created_at"));
  };
  const double expected_average =
      static_cast<double>(took_ms(text(completed.at("task"), "id")) + took_ms(failed_id)) / 2;
  CHECK(stats.at("average_duration").to_number<double>() == Approx(expected_average).margin(0.5));
  CHECK(stats.at("by_status").at("completed").to_number<int64_t>() == 1);
  CHECK(stats.at("by_status").at("failed").to_number<int64_t>() == 1);
  CHECK(stats.at("by_status").at("cancelled").to_number<int64_t>() == 1);
}

TEST_CASE("every number in every answer is written without an exponent", "[e2e][compat][numbers]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto body = task_body("aws", "production", {"vpc", "eks", "rds"});
  body["context"].as_object()["requirements"] = json::object{{"cost_limit", 5000.5}};
  auto task = expect_ok(e.client.post("/api/tasks", body), legacy ? 200 : 201);
  auto id = text(task, "id");
  // Production waits for approval; approve it so that every kind of answer exists.
  expect_ok(e.client.post("/api/tasks/" + id + (legacy ? "/execute" : "/execute?wait=true")), 200);
  auto waiting = get_task(e.client, id);
  auto plan_id = text(waiting.at("execution"), "plan_id");
  REQUIRE_FALSE(plan_id.empty());
  expect_ok(e.client.post("/api/plans/" + plan_id + "/approve", json::object{{"comment", "ok"}}),
            200);
  wait_for_status(e.client, id, {"completed"});
  auto generated = e.client.post("/api/plans/generate",
                                 json::object{{"type", "deploy"}, {"context", body["context"]}});

  std::vector<std::pair<std::string, http_response>> answers = {
      {"task", e.client.get("/api/tasks/" + id)},
      {"plan", e.client.get("/api/plans/" + plan_id)},
      {"generated plan", generated},
      {"optimized plan", e.client.post("/api/plans/" + plan_id + "/optimize")},
      {"task list", e.client.get("/api/tasks")},
      {"task events", e.client.get("/api/tasks/" + id + "/events")},
      {"events", e.client.get("/api/events")},
      {"statistics", e.client.get("/api/statistics")},
      {"safety checks", e.client.get("/api/safety/checks")},
      {"post-execution safety",
       e.client.post(
           "/api/safety/check",
           json::object{{"task_id", id}, {"plan_id", plan_id}, {"type", "post_execution"}})},
      {"artifacts", e.client.get("/api/tasks/" + id + "/artifacts")},
  };
  bool saw_fraction = false;
  for (const auto& [name, response] : answers) {
    INFO(name << ": " << response.body.substr(0, 3000));
    REQUIRE((response.status == 200 || response.status == 201));
    CHECK(numbers_with_exponent(response.body).empty());
    saw_fraction = saw_fraction || std::regex_search(response.body, std::regex(R"(:\d+\.\d)"));
  }
  // The answers do hold fractions (costs, probabilities), written plainly.
  CHECK(saw_fraction);
  CHECK(answers[0].second.body.find("\"cost_limit\":5000.5") != std::string::npos);
}

TEST_CASE("event data keeps the original's keys", "[e2e][compat][events]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto done = run_task(e, legacy, task_body("aws", "staging", {"vpc", "eks", "rds"}));
  auto id = text(done.at("task"), "id");
  auto events = expect_ok(e.client.get("/api/tasks/" + id + "/events"), 200).as_array();

  const auto& created = event_of_type(events, "task_created");
  INFO(json::serialize(created));
  const auto& created_task = created.at("data").at("task");
  CHECK(text(created_task, "id") == id);
  CHECK(text(created_task, "status") == "pending");
  CHECK(text(created_task, "type") == "generate");
  CHECK(strings(created_task.at("context").at("components")) ==
        std::vector<std::string>{"vpc", "eks", "rds"});

  const auto& verified = event_of_type(events, "verification_completed");
  INFO(json::serialize(verified));
  const auto& summary = done.at("verificationResult").at("summary");
  CHECK(as_int(verified.at("data").at("checks_passed")) == as_int(summary.at("passed")));
  CHECK(as_int(verified.at("data").at("checks_failed")) == as_int(summary.at("failed")));

  const auto& completed = event_of_type(events, "task_completed");
  INFO(json::serialize(completed));
  CHECK(text(completed.at("data"), "verification_status") ==
        text(done.at("verificationResult"), "status"));
}

TEST_CASE("step outputs carry the original's keys with values true of what the step did",
          "[e2e][compat][outputs]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto done = run_task(e, legacy, task_body("aws", "staging", {"vpc", "eks", "rds"}));
  INFO(json::serialize(done).substr(0, 4000));
  REQUIRE(text(done.at("task"), "status") == "completed");
  auto id = text(done.at("task"), "id");

  const auto& validated = result_of_step(done, "validate_requirements").at("outputs");
  CHECK(validated.at("validated") == true);
  CHECK(text(validated, "provider") == "aws");
  CHECK(strings(validated.at("components")) == std::vector<std::string>{"vpc", "eks", "rds"});

  int64_t generated_resources = 0;
  for (const char* component : {"vpc", "eks", "rds"}) {
    INFO(component);
    const auto& result = result_of_step(done, std::string("generate_") + component);
    const auto& outputs = result.at("outputs");
    const auto& written = result.at("artifacts").as_array().at(0);
    CHECK(text(outputs, "component") == component);
    CHECK(as_int(outputs.at("code_size")) == as_int(written.at("size")));
    CHECK(text(outputs, "artifact_id") == text(written, "id"));
    generated_resources += as_int(outputs.at("resource_count"));
  }

  const auto& checked = result_of_step(done, "validate_generated_code").at("outputs");
  CHECK(checked.at("syntax_valid") == true);
  // What the module requires, as its main.tf says.
  auto main_tf = e.client.get("/api/tasks/" + id + "/artifacts/main.tf");
  REQUIRE(main_tf.status == 200);
  CHECK(main_tf.body.find("required_version = \"" + text(checked, "terraform_version") + "\"") !=
        std::string::npos);
  const auto& versions = checked.at("provider_versions").as_object();
  REQUIRE(versions.size() == 1);
  CHECK(main_tf.body.find("version = \"" + std::string(versions.at("aws").as_string()) + "\"") !=
        std::string::npos);
  CHECK(as_int(checked.at("resources_count")) == generated_resources);

  const auto& practices = result_of_step(done, "apply_best_practices").at("outputs");
  const auto fixed = as_int(practices.at("fixed_count"));
  const auto found = fixed + static_cast<int64_t>(practices.at("unresolved").as_array().size());
  CHECK(as_int(practices.at("violations_found")) == found);
  CHECK(as_int(practices.at("violations_fixed")) == fixed);
  CHECK(fixed > 0);  // staging templates lack flow logs and tags the rules add
  CHECK(practices.at("compliance_score").to_number<double>() ==
        Approx(found ? 100.0 * static_cast<double>(fixed) / static_cast<double>(found) : 100.0)
            .margin(0.05));

  const auto& docs = result_of_step(done, "generate_documentation");
  CHECK(as_int(docs.at("outputs").at("artifacts_generated")) ==
        static_cast<int64_t>(docs.at("artifacts").as_array().size()));

  // The task's result merges them, as the original's did.
  const auto& outputs = done.at("task").at("result").at("outputs").as_object();
  for (const char* key :
       {"validated", "provider", "components", "component", "code_size", "artifact_id",
        "syntax_valid", "terraform_version", "provider_versions", "resources_count",
        "violations_found", "violations_fixed", "compliance_score", "artifacts_generated"})
    CHECK(outputs.contains(key));
  CHECK(outputs.at("compliance_score") == practices.at("compliance_score"));
}

TEST_CASE("verification checks give expected and actual values of their natural type",
          "[e2e][compat][verification]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto done = run_task(e, legacy, task_body("aws", "staging", {"vpc", "eks", "rds"}));
  INFO(json::serialize(done.at("verificationResult")));

  const auto& tags = check_named(done, "required_tags");
  CHECK(strings(tags.at("expected")) ==
        std::vector<std::string>{"Environment", "ManagedBy", "Project"});
  CHECK(tags.at("actual") == tags.at("expected"));  // best practices tagged everything

  const auto& module = check_named(done, "module_valid");
  CHECK(module.at("expected") == true);
  CHECK(module.at("actual") == true);

  const auto steps = done.at("plan").at("steps").as_array().size();
  const auto& succeeded = check_named(done, "steps_succeeded");
  CHECK(as_int(succeeded.at("expected")) == static_cast<int64_t>(steps));
  CHECK(as_int(succeeded.at("actual")) == static_cast<int64_t>(steps));

  const auto& budget = check_named(done, "cost_within_limit");
  REQUIRE(budget.at("expected").is_number());
  CHECK(budget.at("actual").to_number<double>() ==
        Approx(done.at("plan").at("estimated_cost").to_number<double>()));
  CHECK(budget.at("actual").to_number<double>() <= budget.at("expected").to_number<double>());

  const auto& rendered = check_named(done, "components_rendered");
  CHECK(strings(rendered.at("expected")) == std::vector<std::string>{"vpc", "eks", "rds"});
  CHECK(rendered.at("actual") == rendered.at("expected"));
}

TEST_CASE("optimize marks parallel stages in parameters.parallel_group and parallel_stage",
          "[e2e][compat][plans]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto body = task_body("aws", "staging", {"vpc", "eks", "rds", "s3"});
  body["context"].as_object()["requirements"] = json::object{{"vpc_cidr", "10.20.0.0/16"}};
  auto plan =
      expect_ok(e.client.post("/api/plans/generate",
                              json::object{{"type", "generate"}, {"context", body["context"]}}),
                legacy ? 200 : 201);
  // The original's parameters, where they mean something.
  std::map<std::string, json::object> parameters;
  for (const auto& step : plan.at("steps").as_array())
    parameters[text(step, "id")] = step.at("parameters").as_object();
  CHECK(parameters.at("apply_best_practices").at("autofix") == true);
  CHECK(parameters.at("generate_documentation").at("include_diagrams") == true);
  CHECK(text(parameters.at("validate_requirements").at("requirements"), "vpc_cidr") ==
        "10.20.0.0/16");
  CHECK(text(parameters.at("generate_vpc").at("requirements"), "vpc_cidr") == "10.20.0.0/16");

  auto optimized = expect_ok(e.client.post("/api/plans/" + text(plan, "id") + "/optimize"), 200);
  INFO(json::serialize(optimized));
  std::map<int64_t, std::vector<std::string>> stages;
  for (const auto& step : optimized.at("steps").as_array())
    stages[as_int(step.at("parallel_stage"))].push_back(text(step, "id"));
  bool some_stage_shared = false;
  for (const auto& step : optimized.at("steps").as_array()) {
    INFO(text(step, "id"));
    auto stage = as_int(step.at("parallel_stage"));
    const auto& params = step.at("parameters").as_object();
    if (stages[stage].size() > 1) {
      some_stage_shared = true;
      CHECK(text(params, "parallel_group") == "stage_" + std::to_string(stage));
    } else {
      CHECK_FALSE(params.contains("parallel_group"));
    }
  }
  CHECK(some_stage_shared);  // s3 and vpc have no link: they share a stage
}

TEST_CASE("post-execution safety results keep details.score and details.threshold",
          "[e2e][compat][safety]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  auto done = run_task(e, legacy, task_body("aws", "staging", {"vpc", "rds"}));
  auto id = text(done.at("task"), "id");
  auto report = expect_ok(
      e.client.post("/api/safety/check", json::object{{"task_id", id},
                                                      {"plan_id", text(done.at("plan"), "id")},
                                                      {"type", "post_execution"}}),
      200);
  INFO(json::serialize(report));
  const auto& results = report.at("results").as_array();
  REQUIRE(results.size() == 3);
  for (const auto& r : results) {
    INFO(text(r, "check_id"));
    const auto& details = r.at("details");
    REQUIRE(details.at("score").is_number());
    REQUIRE(details.at("threshold").is_number());
    CHECK(r.at("passed").as_bool());
  }
}

TEST_CASE("a safety result's severity is its check's own, passed or not", "[e2e][compat][safety]") {
  const bool legacy = GENERATE(false, true);
  INFO((legacy ? "legacy" : "default") << " mode");
  engine e(mode_options(legacy));
  std::map<std::string, std::string> registered;
  auto checks = expect_ok(e.client.get("/api/safety/checks"), 200);
  for (const auto& c : checks.as_array()) registered[text(c, "id")] = text(c, "severity");

  // Production, unencrypted, over budget: several checks fail or warn.
  auto body = task_body("aws", "production", {"vpc", "eks", "rds"});
  body["context"].as_object()["requirements"] =
      json::object{{"encryption", false}, {"cost_limit", 10}};
  auto task = expect_ok(e.client.post("/api/tasks", body), legacy ? 200 : 201);
  auto plan =
      expect_ok(e.client.post("/api/plans/generate",
                              json::object{{"type", "generate"}, {"context", body["context"]}}),
                legacy ? 200 : 201);
  auto report =
      expect_ok(e.client.post("/api/safety/check", json::object{{"task_id", text(task, "id")},
                                                                {"plan_id", text(plan, "id")},
                                                                {"type", "pre_execution"}}),
                200);
  INFO(json::serialize(report));
  int not_passed = 0;
  for (const auto& r : report.at("results").as_array()) {
    INFO(text(r, "check_id"));
    REQUIRE(registered.count(text(r, "check_id")));
    CHECK(text(r, "severity") == registered.at(text(r, "check_id")));
    not_passed += !r.at("passed").as_bool();
  }
  CHECK(not_passed >= 2);
}

}  // namespace ce::e2e

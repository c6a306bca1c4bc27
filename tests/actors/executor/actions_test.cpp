#include "actors/executor/actions.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>

#include <boost/json.hpp>

#include "actors/executor/artifacts.hpp"
#include "actors/executor/hcl_check.hpp"
#include "actors/executor/templates.hpp"
#include "actors/planner/planner.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ce;
using namespace ce::executor;
using ce::testing::temp_dir;
namespace json = boost::json;

namespace {

task_context seed_context() {  // the seed README's example task
  task_context c;
  c.provider = cloud_provider::aws;
  c.environment = "production";
  c.region = "us-east-1";
  c.components = {"vpc", "eks", "rds"};
  c.requirements =
      json_doc{R"({"vpc_cidr": "10.0.0.0/16", "eks_version": "1.28", "rds_engine": "postgres"})"};
  return c;
}

/// Runs a plan's steps in `order` (a topological order), stopping at the first failure.
struct plan_run {
  plan_run(plan planned, task_context c, std::string workspace_dir)
      : p(std::move(planned)), context(std::move(c)), dir(std::move(workspace_dir)) {}

  plan p;
  task_context context;
  std::string dir;  // where deployment steps find the files on disk
  workspace files;  // what the steps wrote so far
  std::unique_ptr<deployment_driver> driver = make_simulated_driver();
  std::vector<execution_result> results;
  int next_id = 0;

  execution_result run(const plan_step& step) {
    action_input in;
    in.p = &p;
    in.step = &step;
    in.context = &context;
    in.req = parse_requirements(context.requirements);
    in.files = &files;
    in.workspace_dir = dir;
    in.completed = &results;
    in.driver = driver.get();
    in.result_id = "result_" + step.id;
    in.next_artifact_id = [this] { return "art_" + std::to_string(++next_id); };
    auto outcome = run_action(in);
    for (auto& [name, file] : outcome.written) files[name] = file;
    return std::move(outcome.result);
  }

  void run_all() {
    auto steps = p.steps;
    std::sort(steps.begin(), steps.end(),
              [](const auto& a, const auto& b) { return a.order < b.order; });
    for (const auto& step : steps) {
      auto r = run(step);
      INFO(step.id << ": " << r.error.code << " " << r.error.message);
      REQUIRE(r.status == execution_status::success);
      results.push_back(std::move(r));
    }
  }

  const execution_result& result_of(const std::string& action) const {
    for (const auto& r : results)
      for (const auto& s : p.steps)
        if (s.id == r.step_id && s.action == action) return r;
    throw std::logic_error("no result for " + action);
  }
};

plan_step step_with(const std::string& action, const std::string& component = "") {
  plan_step s;
  s.id = action;
  s.action = action;
  s.component = component;
  return s;
}

json::object outputs(const execution_result& r) {
  return json::parse(r.outputs.text).as_object();
}

}  // namespace

TEST_CASE("the seed example's deploy plan runs end to end in dependency order", "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::deploy, seed_context(), 0),
               seed_context(), tmp.path()};
  run.run_all();

  SECTION("every step has timing, logs and checksummed artifacts") {
    std::map<std::string, artifact> latest;  // later versions of a file replace earlier ones
    for (const auto& r : run.results) {
      INFO(r.step_id);
      CHECK(r.plan_id == "plan_1");
      CHECK(r.id == "result_" + r.step_id);
      CHECK(r.started_at > 0);
      CHECK(r.completed_at >= r.started_at);
      CHECK(r.duration_ms == r.completed_at - r.started_at);
      CHECK_FALSE(r.logs.empty());
      for (const auto& a : r.artifacts) latest[a.name] = a;
    }
    for (const auto& [name, a] : latest) {
      INFO(name);
      CHECK(holds(run.files, a));
    }
  }
  SECTION("the workspace holds the root module, one file per component and the README") {
    for (const char* name : {"main.tf", "outputs.tf", "vpc.tf", "eks.tf", "rds.tf", "README.md",
                             "terraform.tfstate.json"})
      CHECK(run.files.count(name) == 1);
    CHECK(check_module(terraform_files(run.files)).ok);
  }
  SECTION("generate_component reports the resources it rendered") {
    auto eks = outputs(run.result_of("generate_component"));
    CHECK(eks.contains("component"));
    CHECK(eks.at("resource_count").to_number<int64_t>() ==
          static_cast<int64_t>(eks.at("resources").as_array().size()));
  }
  SECTION("validation passes and best practices record what they fixed") {
    CHECK(outputs(run.result_of("validate_generated_code")).at("valid") == true);
    auto bp = outputs(run.result_of("apply_best_practices"));
    CHECK(bp.at("fixed_count").to_number<int64_t>() > 0);
    CHECK(bp.at("fixed_count").to_number<int64_t>() ==
          static_cast<int64_t>(bp.at("fixes").as_array().size()));
  }
  SECTION("the apply outputs name the components and their endpoints") {
    auto applied = outputs(run.result_of("apply_deployment"));
    CHECK(applied.at("driver") == "simulated");
    CHECK(applied.at("resources_created").to_number<int64_t>() > 0);
    CHECK(applied.at("components") == json::array{"vpc", "eks", "rds"});
    const auto& tf = applied.at("outputs").as_object();
    CHECK(tf.contains("vpc_id"));
    CHECK(tf.contains("cluster_endpoint"));
    CHECK(tf.contains("db_endpoint"));
    CHECK(outputs(run.result_of("verify_deployment")).at("verified") == true);
  }
  SECTION("the README documents the files the earlier steps wrote") {
    const auto& doc = run.result_of("generate_documentation");
    REQUIRE(doc.artifacts.size() == 1);
    auto readme = *run.files.at(doc.artifacts[0].name).bytes;
    CHECK_THAT(readme, Catch::Contains("vpc --> eks"));
    CHECK_THAT(readme, Catch::Contains(run.result_of("generate_component").artifacts[0].name));
  }
}

TEST_CASE("steps report the original's output keys with values true of what they did",
          "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::generate, seed_context(), 0),
               seed_context(), tmp.path()};
  run.run_all();
  auto validated = outputs(run.result_of("validate_requirements"));
  CHECK(validated.at("validated") == true);
  CHECK(validated.at("provider") == "aws");
  CHECK(validated.at("components") == json::array{"vpc", "eks", "rds"});

  int64_t rendered = 0;
  for (const auto& r : run.results) {
    if (r.step_id.rfind("generate_", 0) != 0 || r.step_id == "generate_documentation") continue;
    INFO(r.step_id);
    auto o = outputs(r);
    REQUIRE(r.artifacts.size() == 1);
    CHECK(o.at("code_size").to_number<int64_t>() == r.artifacts[0].size);
    CHECK(o.at("artifact_id") == json::value(r.artifacts[0].id));
    rendered += o.at("resource_count").to_number<int64_t>();
  }
  auto checked = outputs(run.result_of("validate_generated_code"));
  CHECK(checked.at("syntax_valid") == true);
  CHECK(checked.at("terraform_version") == required_terraform_version);
  CHECK(checked.at("provider_versions") == json::object{{"aws", "~> 5.0"}});
  CHECK(checked.at("resources_count").to_number<int64_t>() == rendered);

  auto bp = outputs(run.result_of("apply_best_practices"));
  auto fixed = bp.at("fixed_count").to_number<int64_t>();
  auto found = fixed + static_cast<int64_t>(bp.at("unresolved").as_array().size());
  CHECK(bp.at("violations_found").to_number<int64_t>() == found);
  CHECK(bp.at("violations_fixed").to_number<int64_t>() == fixed);
  CHECK(bp.at("compliance_score").to_number<double>() ==
        Approx(100.0 * static_cast<double>(fixed) / static_cast<double>(found)).margin(0.05));
  CHECK(outputs(run.result_of("generate_documentation")).at("artifacts_generated") == 1);

  auto summary = summary_outputs(run.results);
  CHECK(summary.at("validated") == true);
  CHECK(summary.at("component") == "rds");  // the last generate step's, as the original merged
  CHECK(summary.at("compliance_score") == bp.at("compliance_score"));
  CHECK_FALSE(summary.contains("fixes"));  // only the original's keys
}

TEST_CASE("best practices with autofix off report violations and change no file", "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::generate, seed_context(), 0),
               seed_context(), tmp.path()};
  for (auto& step : run.p.steps) {
    if (step.action == "apply_best_practices") step.parameters.text = R"({"autofix":false})";
    if (step.action == "generate_documentation")
      step.parameters.text = R"({"include_diagrams":false})";
  }
  run.run_all();
  const auto& bp = run.result_of("apply_best_practices");
  CHECK(bp.artifacts.empty());
  auto o = outputs(bp);
  CHECK(o.at("violations_found").to_number<int64_t>() > 0);
  CHECK(o.at("violations_fixed") == 0);
  CHECK(o.at("compliance_score").to_number<double>() == 0);
  auto readme = *run.files.at(run.result_of("generate_documentation").artifacts[0].name).bytes;
  CHECK_THAT(readme, !Catch::Contains("```mermaid"));
}

TEST_CASE("an unknown action is a failure that lists the known ones", "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::generate, seed_context(), 0),
               seed_context(), tmp.path()};
  auto r = run.run(step_with("launch_rockets"));
  CHECK(r.status == execution_status::failure);
  CHECK(r.error.code == "unknown_action");
  for (const auto& action : known_actions()) CHECK_THAT(r.error.message, Catch::Contains(action));
}

TEST_CASE("validate_requirements refuses a bad region with field details", "[actions]") {
  temp_dir tmp;
  auto context = seed_context();
  context.region = "mars-north-1";
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::generate, seed_context(), 0),
               context, tmp.path()};
  auto r = run.run(step_with("validate_requirements"));
  CHECK(r.status == execution_status::failure);
  CHECK(r.error.code == "invalid_requirements");
  CHECK_THAT(r.error.details.text, Catch::Contains("context.region"));
  CHECK(run.files.empty());  // nothing written
}

TEST_CASE("validate_generated_code lists every problem of broken code", "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::generate, seed_context(), 0),
               seed_context(), tmp.path()};
  auto text = [](const char* content) {
    return make_file(artifact_type::terraform, shared<std::string>(content));
  };
  run.files["a.tf"] = text("resource \"aws_vpc\" \"main\" {\n  cidr_block = \n");
  run.files["b.tf"] = text("resource \"aws_subnet\" \"x\" {\n  vpc_id = aws_vpc.other.id\n}\n");
  auto r = run.run(step_with("validate_generated_code"));
  CHECK(r.status == execution_status::failure);
  CHECK(r.error.code == "invalid_code");
  CHECK_THAT(r.error.message, Catch::Contains("a.tf") && Catch::Contains("b.tf"));
}

TEST_CASE("a transient driver failure is reported as such", "[actions]") {
  temp_dir tmp;
  auto context = seed_context();
  context.requirements =
      json_doc{R"({"simulate": {"fail_step": "plan_deployment", "transient": true}})"};
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::deploy, context, 0), context,
               tmp.path()};
  run.run(step_with("validate_requirements"));
  run.run(step_with("generate_component", "vpc"));
  auto r = run.run(step_with("plan_deployment"));
  CHECK(r.status == execution_status::failure);
  CHECK(r.error.code == "simulated_failure");
  CHECK(json::parse(r.error.details.text).at("transient") == true);
}

TEST_CASE("deployment steps without a driver fail clearly", "[actions]") {
  temp_dir tmp;
  plan_run run{planner::make_plan("plan_1", "task_1", task_type::deploy, seed_context(), 0),
               seed_context(), tmp.path()};
  run.driver.reset();
  auto r = run.run(step_with("apply_deployment"));
  CHECK(r.status == execution_status::failure);
  CHECK(r.error.code == "no_driver");
}

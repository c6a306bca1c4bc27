#include "actors/executor/docs.hpp"

#include <catch2/catch.hpp>

#include "actors/executor/artifacts.hpp"
#include "actors/planner/planner.hpp"

using namespace ce;
using namespace ce::executor;

namespace {

task_context seed_context() {  // the seed README's example task
  task_context c;
  c.provider = cloud_provider::aws;
  c.environment = "production";
  c.region = "us-east-1";
  c.components = {"vpc", "eks", "rds"};
  return c;
}

artifact file_artifact(const std::string& name, const std::string& content) {
  artifact a;
  a.id = "art_" + name;
  a.name = name;
  a.size = static_cast<int64_t>(content.size());
  a.checksum = sha256_hex(content);
  return a;
}

}  // namespace

TEST_CASE("the README draws the components with edges for their real links", "[docs]") {
  auto context = seed_context();
  auto p = planner::make_plan("plan_1", "task_1", task_type::generate, context, 0);
  auto readme = render_documentation(context, p, {});

  CHECK(readme.name == "README.md");
  CHECK(readme.type == artifact_type::documentation);
  CHECK_THAT(readme.content, Catch::Contains("```mermaid\ngraph TD\n"));
  CHECK_THAT(readme.content, Catch::Contains("vpc --> eks"));
  CHECK_THAT(readme.content, Catch::Contains("vpc --> rds"));
  CHECK_THAT(readme.content, !Catch::Contains("eks --> rds"));
}

TEST_CASE("the README draws no edge to a component the task does not have", "[docs]") {
  auto context = seed_context();
  context.components = {"eks", "s3"};
  auto p = planner::make_plan("plan_1", "task_1", task_type::generate, context, 0);
  auto readme = render_documentation(context, p, {});
  CHECK_THAT(readme.content, Catch::Contains("eks[\""));
  CHECK_THAT(readme.content, !Catch::Contains("-->"));
}

TEST_CASE("the README says what was generated for whom, with files, steps, risks and cost",
          "[docs]") {
  auto context = seed_context();
  auto p = planner::make_plan("plan_1", "task_1", task_type::deploy, context, 0);
  auto vpc = file_artifact("vpc.tf", "resource \"aws_vpc\" \"main\" {}\n");
  auto readme = render_documentation(context, p, {vpc}).content;

  CHECK_THAT(readme, Catch::Contains("| Provider | aws |"));
  CHECK_THAT(readme, Catch::Contains("| Region | us-east-1 |"));
  CHECK_THAT(readme, Catch::Contains("| Environment | production |"));
  CHECK_THAT(readme, Catch::Contains("task_1"));
  CHECK_THAT(readme, Catch::Contains("| `vpc.tf` | terraform | " + std::to_string(vpc.size) +
                                     " | `" + vpc.checksum + "` |"));
  for (const auto& step : p.steps) CHECK_THAT(readme, Catch::Contains("`" + step.action + "`"));
  REQUIRE_FALSE(p.risks.empty());  // a production deploy always carries risks
  CHECK_THAT(readme, Catch::Contains(p.risks.front().description));
  char cost[32];
  std::snprintf(cost, sizeof cost, "$%.2f per month", p.estimated_cost);
  CHECK_THAT(readme, Catch::Contains(cost));
}

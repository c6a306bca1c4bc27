#include "actors/task/rollback.hpp"

#include <catch2/catch.hpp>

using namespace ce;
using ce::task_logic::steps_to_undo;

namespace {

plan deploy_plan() {
  plan p;
  for (const char* id : {"generate_vpc", "plan_deployment", "apply_deployment", "apply_dns"}) {
    plan_step s;
    s.id = id;
    if (std::string(id).rfind("apply", 0) == 0) s.rollback_action = "destroy_deployment";
    p.steps.push_back(s);
  }
  return p;
}

execution_result result(const std::string& step_id, bool ok = true) {
  execution_result r;
  r.step_id = step_id;
  r.status = ok ? execution_status::success : execution_status::failure;
  return r;
}

}  // namespace

TEST_CASE("completed steps with a rollback action are undone, the last completed first",
          "[rollback]") {
  auto p = deploy_plan();
  std::vector<execution_result> results{result("generate_vpc"), result("plan_deployment"),
                                        result("apply_deployment"), result("apply_dns")};
  CHECK(steps_to_undo(p, results) == std::vector<std::string>{"apply_dns", "apply_deployment"});
}

TEST_CASE("failed steps and steps without a rollback action are left alone", "[rollback]") {
  auto p = deploy_plan();
  std::vector<execution_result> results{result("plan_deployment"),
                                        result("apply_deployment", false)};
  CHECK(steps_to_undo(p, results).empty());
}

TEST_CASE("a step undone successfully is not undone again; a failed undo is retried",
          "[rollback]") {
  auto p = deploy_plan();
  std::vector<execution_result> results{result("apply_deployment"), result("apply_dns"),
                                        result("rollback_apply_dns"),
                                        result("rollback_apply_deployment", false)};
  CHECK(steps_to_undo(p, results) == std::vector<std::string>{"apply_deployment"});
  results.push_back(result("rollback_apply_deployment"));
  CHECK(steps_to_undo(p, results).empty());
}

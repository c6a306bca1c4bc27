#include "actors/task/step_scheduler.hpp"

#include <algorithm>

#include <catch2/catch.hpp>

using ce::plan_step;
using ce::step_status;
using ce::task_status;
using ce::task_logic::step_scheduler;

namespace {
plan_step step(const std::string& id, int order, std::vector<std::string> deps = {}) {
  plan_step s;
  s.id = id;
  s.order = order;
  s.action = id;
  s.depends_on = std::move(deps);
  return s;
}

/// The seed example's generate graph: vpc first, then eks and rds in parallel.
std::vector<plan_step> seed_graph() {
  return {step("validate_requirements", 1), step("generate_vpc", 2, {"validate_requirements"}),
          step("generate_eks", 3, {"validate_requirements", "generate_vpc"}),
          step("generate_rds", 4, {"validate_requirements", "generate_vpc"}),
          step("validate_generated_code", 5, {"generate_eks", "generate_rds"})};
}
}  // namespace

TEST_CASE("independent steps become ready together the moment their dependencies are done",
          "[scheduler]") {
  step_scheduler s{seed_graph()};
  CHECK(s.take_ready() == std::vector<std::string>{"validate_requirements"});
  CHECK(s.take_ready().empty());  // nothing new while it runs
  s.mark_completed("validate_requirements");
  CHECK(s.take_ready() == std::vector<std::string>{"generate_vpc"});
  s.mark_completed("generate_vpc");
  auto parallel = s.take_ready();
  CHECK(parallel == std::vector<std::string>{"generate_eks", "generate_rds"});
  s.mark_completed("generate_eks");
  CHECK(s.take_ready().empty());  // validate waits for rds too
  s.mark_completed("generate_rds");
  CHECK(s.take_ready() == std::vector<std::string>{"validate_generated_code"});
  CHECK_FALSE(s.finished());
  s.mark_completed("validate_generated_code");
  CHECK(s.finished());
  CHECK_FALSE(s.failed_any());
}

TEST_CASE("after a failure nothing new starts and the rest counts as not run", "[scheduler]") {
  step_scheduler s{seed_graph()};
  s.take_ready();
  s.mark_completed("validate_requirements");
  s.take_ready();
  s.mark_failed("generate_vpc");
  CHECK(s.take_ready().empty());
  CHECK(s.finished());
  CHECK(s.failed_any());
  auto not_run = s.not_run();
  CHECK(not_run.size() == 3);
  CHECK(std::find(not_run.begin(), not_run.end(), "generate_eks") != not_run.end());
}

TEST_CASE("a halted scheduler finishes once its running steps are done", "[scheduler]") {
  step_scheduler s{seed_graph()};
  s.take_ready();
  s.halt();
  CHECK_FALSE(s.finished());  // validate_requirements still runs
  s.mark_completed("validate_requirements");
  CHECK(s.take_ready().empty());
  CHECK(s.finished());
}

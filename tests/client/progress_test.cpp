#include "client/progress.hpp"

#include <catch2/catch.hpp>

#include <boost/json.hpp>

namespace json = boost::json;
using ce::client::task_progress;
using namespace std::chrono_literals;

namespace {

json::object event(const char* type, json::object data = {}) {
  return json::object{{"type", type}, {"data", std::move(data)}};
}

}  // namespace

TEST_CASE("progress counts steps done out of the plan's total and names the running ones",
          "[client]") {
  task_progress p;
  p.apply(event("task_created"));
  CHECK(p.line(0ms, false).find("0/? steps") != std::string::npos);
  p.apply(event("plan_generated", {{"plan_id", "plan_1"}, {"steps", 3}}));
  p.apply(event("step_started", {{"step_id", "a"}}));
  p.apply(event("step_started", {{"step_id", "b"}}));
  CHECK(p.running().size() == 2);
  p.apply(event("step_completed", {{"step_id", "a"}}));
  CHECK(p.steps_done() == 1);
  CHECK(p.steps_total() == 3);
  auto line = p.line(1500ms, false);
  CHECK(line.find("1/3 steps") != std::string::npos);
  CHECK(line.find("running: b") != std::string::npos);
  CHECK(line.find("1.5s") != std::string::npos);
  CHECK(line.find('\x1b') == std::string::npos);  // plain without colour
  CHECK(p.line(0ms, true).find('\x1b') != std::string::npos);
  CHECK_FALSE(p.outcome());
}

TEST_CASE("a retried step counts once", "[client]") {
  task_progress p;
  p.apply(event("plan_generated", {{"steps", 2}}));
  p.apply(event("step_started", {{"step_id", "apply"}}));
  p.apply(event("step_retrying", {{"step_id", "apply"}}));
  p.apply(event("step_completed", {{"step_id", "apply"}}));
  p.apply(event("step_completed", {{"step_id", "apply"}}));  // a replay seen twice
  CHECK(p.steps_done() == 1);
}

TEST_CASE("the approval wait shows, and the end gives the outcome and errors", "[client]") {
  task_progress p;
  p.apply(event("approval_required", {{"plan_id", "plan_9"}}));
  CHECK(p.awaiting_approval_of() == "plan_9");
  CHECK(p.line(0ms, false).find("awaiting approval of plan_9") != std::string::npos);
  p.apply(event("plan_approved", {{"plan_id", "plan_9"}}));
  CHECK(p.awaiting_approval_of().empty());
  p.apply(event("task_failed", {{"errors", json::array{"step apply failed: quota exceeded"}}}));
  REQUIRE(p.outcome());
  CHECK(*p.outcome() == "failed");
  REQUIRE(p.errors().size() == 1);
  CHECK(p.errors()[0] == "step apply failed: quota exceeded");
}

TEST_CASE("a cancelled task gives its reason", "[client]") {
  task_progress p;
  p.apply(event("task_cancelled", {{"reason", "too expensive"}}));
  REQUIRE(p.outcome());
  CHECK(*p.outcome() == "cancelled");
  CHECK(p.errors() == std::vector<std::string>{"too expensive"});
}

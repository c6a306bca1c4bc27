// Supervision (issue 5) against the real binary, driven by the simulated
// driver's fault injection and synchronised on task states and events:
// retries of transient failures, step and execution timeouts that kill what
// overruns, approval expiry and the resource-rate abort.
#include <signal.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

/// A deploy task (plan, apply and verify against the simulated driver) with
/// `simulate` faults in its requirements.
json::object deploy_with(json::object simulate, const std::string& environment = "staging") {
  auto body = task_body("aws", environment, {"vpc", "s3"}, "deploy");
  body["context"].as_object()["requirements"] = json::object{{"simulate", std::move(simulate)}};
  return body;
}

std::vector<json::object> events_of(http_client& client, const std::string& task_id) {
  auto events = expect_ok(client.get("/api/tasks/" + task_id + "/events"), 200);
  std::vector<json::object> out;
  for (const auto& e : events.as_array()) out.push_back(e.as_object());
  return out;
}

std::vector<json::object> of_type(const std::vector<json::object>& events, const std::string& type,
                                  const std::string& step_id = "") {
  std::vector<json::object> out;
  for (const auto& e : events)
    if (text(e, "type") == type && (step_id.empty() || text(e.at("data"), "step_id") == step_id))
      out.push_back(e);
  return out;
}

std::string types(const std::vector<json::object>& events) {
  std::string out;
  for (const auto& e : events) out += text(e, "type") + " ";
  return out;
}

/// Runs a task to its end with execute?wait=true; returns its final state.
json::object run(http_client& client, const json::object& body, std::string& task_id) {
  task_id = text(create_task(client, body), "id");
  auto done = expect_ok(client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  return done.at("task").as_object();
}

/// Server options with extra arguments.
server_options with_args(std::vector<std::string> args) {
  server_options options;
  options.args = std::move(args);
  return options;
}

const std::vector<std::string> fast_retries{"--retry-base-ms", "20", "--retry-max-ms", "100"};

TEST_CASE("A transient failure is retried with backoff and the task completes",
          "[e2e][supervision][retry]") {
  engine e(with_args(fast_retries));
  std::string id;
  auto task = run(
      e.client, deploy_with({{"fail_step", "apply"}, {"fail_times", 2}, {"transient", true}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "completed");
  auto retries = of_type(events, "step_retrying", "apply_deployment");
  REQUIRE(retries.size() == 2);
  for (std::size_t i = 0; i < retries.size(); ++i) {
    const auto& data = retries[i].at("data");
    CHECK(data.at("attempt").to_number<int>() == static_cast<int>(i) + 2);
    CHECK(data.at("max_attempts").to_number<int>() == 3);
    auto delay = data.at("delay_ms").to_number<int>();
    CHECK(delay >= 10);   // half of the 20 ms base at least
    CHECK(delay <= 100);  // --retry-max-ms
    CHECK_FALSE(text(data, "error").empty());
  }
  CHECK(of_type(events, "step_started", "apply_deployment").size() == 3);
  CHECK(of_type(events, "step_failed").empty());
  CHECK(of_type(events, "step_completed", "apply_deployment").size() == 1);
}

TEST_CASE("A permanent failure is not retried and fails the task", "[e2e][supervision][retry]") {
  engine e(with_args(fast_retries));
  std::string id;
  auto task = run(e.client, deploy_with({{"fail_step", "apply"}, {"error", "quota exceeded"}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  CHECK(of_type(events, "step_retrying").empty());
  CHECK(of_type(events, "step_started", "apply_deployment").size() == 1);
  auto failed = of_type(events, "step_failed", "apply_deployment");
  REQUIRE(failed.size() == 1);
  CHECK(text(failed.front().at("data"), "error").find("quota exceeded") != std::string::npos);
}

TEST_CASE("A transient failure that outlasts the attempts fails the task after them",
          "[e2e][supervision][retry]") {
  auto args = fast_retries;
  args.insert(args.end(), {"--step-attempts", "2"});
  engine e(with_args(args));
  std::string id;
  auto task = run(e.client, deploy_with({{"fail_step", "apply"}, {"transient", true}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  CHECK(of_type(events, "step_retrying", "apply_deployment").size() == 1);
  CHECK(of_type(events, "step_started", "apply_deployment").size() == 2);
  CHECK(of_type(events, "step_failed", "apply_deployment").size() == 1);
}

TEST_CASE("A step that overruns its timeout is killed and fails the task without waiting for it",
          "[e2e][supervision][timeout]") {
  engine e(with_args({"--step-timeout", "1"}));
  std::string id;
  auto started = clock_type::now();
  // Every driver operation takes 20 s: the first deployment step overruns.
  auto task = run(e.client, deploy_with({{"delay_ms", 20000}}), id);
  auto took = clock_type::now() - started;
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  CHECK(took < 10s);  // the hung step was not waited for
  auto failed = of_type(events, "step_failed", "plan_deployment");
  REQUIRE(failed.size() == 1);
  CHECK(text(failed.front().at("data"), "error").find("timeout") != std::string::npos);
  CHECK(of_type(events, "step_started", "apply_deployment").empty());
  // The node goes on serving other tasks meanwhile.
  std::string other;
  CHECK(text(run(e.client, task_body("aws", "dev", {"vpc"}), other), "status") == "completed");
  // And a stop does not wait for the hung work either.
  auto stopping = clock_type::now();
  auto stopped = e.server.stop(SIGTERM, 5s);
  CHECK(stopped.exited);
  CHECK(clock_type::now() - stopping < 3s);
}

TEST_CASE("A task that exceeds the execution timeout is aborted with a safety violation",
          "[e2e][supervision][timeout]") {
  engine e(with_args({"--execution-timeout", "1"}));
  std::string id;
  auto started = clock_type::now();
  auto task = run(e.client, deploy_with({{"delay_ms", 20000}}), id);
  CHECK(clock_type::now() - started < 10s);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  auto violations = of_type(events, "safety_violation");
  REQUIRE(violations.size() == 1);
  CHECK(text(violations.front().at("data"), "check_id") == "execution_timeout");
}

TEST_CASE("A plan not approved in time ends its task cancelled", "[e2e][supervision][approval]") {
  engine e(with_args({"--approval-timeout", "1"}));
  auto id = text(create_task(e.client, task_body("aws", "production", {"vpc"})), "id");
  auto waiting = expect_ok(e.client.post("/api/tasks/" + id + "/execute?wait=true"), 200);
  REQUIRE(text(waiting.at("task"), "status") == "awaiting_approval");
  auto plan_id = text(waiting.at("task").at("execution"), "plan_id");
  auto ended = wait_for_status(e.client, id, {"cancelled"}, 20s);
  CHECK(strings(ended.at("result").at("errors")).front().find("approval expired") !=
        std::string::npos);
  auto events = events_of(e.client, id);
  INFO(types(events));
  auto required = of_type(events, "approval_required");
  REQUIRE(required.size() == 1);
  CHECK_FALSE(text(required.front().at("data"), "expires_at").empty());
  auto rejected = of_type(events, "plan_rejected");
  REQUIRE(rejected.size() == 1);
  CHECK(text(rejected.front().at("data"), "rejected_by") == "policy");
  CHECK(of_type(events, "step_started").empty());
  CHECK(text(expect_ok(e.client.get("/api/plans/" + plan_id), 200), "status") == "rejected");
  // Approving afterwards is a conflict, not a resurrection.
  expect_error(e.client.post("/api/plans/" + plan_id + "/approve", json::object{}), 409);
}

TEST_CASE("Creating resources faster than the configured rate aborts the task",
          "[e2e][supervision][rate]") {
  engine e(with_args({"--max-resources-per-minute", "50"}));
  std::string id;
  auto task = run(e.client, deploy_with({{"resources", 500}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  auto violations = of_type(events, "safety_violation");
  REQUIRE(violations.size() == 1);
  CHECK(text(violations.front().at("data"), "message").find("500") != std::string::npos);
  CHECK(of_type(events, "step_started", "verify_deployment").empty());
}

/// Seq of the task's first event of `type` (0 if none).
int64_t first_seq(http_client& client, const std::string& task_id, const std::string& type) {
  for (const auto& e : events_of(client, task_id))
    if (text(e, "type") == type) return e.at("seq").to_number<int64_t>();
  return 0;
}

/// A task that holds a slot for a while: every driver operation takes 2 s.
std::string start_blocker(http_client& client, const std::string& user) {
  auto body = deploy_with({{"delay_ms", 2000}});
  body["user_id"] = user;
  auto id = text(create_task(client, body), "id");
  auto started = expect_ok(client.post("/api/tasks/" + id + "/execute"), 202);
  REQUIRE(text(started, "status") == "planning");
  return id;
}

std::string queued_task(http_client& client, const std::string& user, const std::string& prio) {
  auto body = task_body("aws", "dev", {"vpc"});
  body["user_id"] = user;
  body["priority"] = prio;
  auto id = text(create_task(client, body), "id");
  auto answer = expect_ok(client.post("/api/tasks/" + id + "/execute"), 202);
  INFO(json::serialize(answer));
  CHECK(text(answer, "status") == "queued");
  CHECK(answer.at("queue_position").to_number<int>() >= 1);
  return id;
}

TEST_CASE("With one slot, queued executions start by priority, first come first served within one",
          "[e2e][supervision][queue]") {
  engine e(with_args({"--max-running-tasks", "1"}));
  auto blocker = start_blocker(e.client, "alice");
  auto low = queued_task(e.client, "alice", "low");
  auto medium = queued_task(e.client, "alice", "medium");
  auto critical = queued_task(e.client, "alice", "critical");
  auto high_first = queued_task(e.client, "alice", "high");
  auto high_second = queued_task(e.client, "alice", "high");

  // Positions follow the start order, not the arrival order.
  auto position = [&](const std::string& id) {
    return get_task(e.client, id).at("queue_position").to_number<int>();
  };
  CHECK(position(critical) == 1);
  CHECK(position(high_first) == 2);
  CHECK(position(high_second) == 3);
  CHECK(position(medium) == 4);
  CHECK(position(low) == 5);
  auto queued_event = events_of(e.client, low);
  REQUIRE(of_type(queued_event, "task_queued").size() == 1);
  auto stats = expect_ok(e.client.get("/api/statistics"), 200);
  CHECK(stats.at("queue_depth").to_number<int>() == 5);

  for (const auto& id : {blocker, low, medium, critical, high_first, high_second})
    wait_for_status(e.client, id, {"completed"}, 60s);
  std::vector<std::string> order = {critical, high_first, high_second, medium, low};
  for (std::size_t i = 1; i < order.size(); ++i) {
    INFO("position " << i);
    CHECK(first_seq(e.client, order[i - 1], "planning_started") <
          first_seq(e.client, order[i], "planning_started"));
  }
  CHECK(first_seq(e.client, blocker, "task_completed") <
        first_seq(e.client, critical, "planning_started"));
  CHECK(get_task(e.client, low).if_contains("queue_position") == nullptr);
}

TEST_CASE("A user at their cap waits while another user's execution starts",
          "[e2e][supervision][queue]") {
  engine e(with_args({"--max-running-tasks", "4", "--max-running-per-user", "1"}));
  auto blocker = start_blocker(e.client, "alice");
  auto alice_second = queued_task(e.client, "alice", "critical");
  // Bob arrives later with a lower priority and still starts at once.
  auto body = task_body("aws", "dev", {"vpc"});
  body["user_id"] = "bob";
  body["priority"] = "low";
  auto bob = text(create_task(e.client, body), "id");
  auto answer = expect_ok(e.client.post("/api/tasks/" + bob + "/execute?wait=true"), 200);
  CHECK(text(answer.at("task"), "status") == "completed");
  CHECK(of_type(events_of(e.client, bob), "task_queued").empty());
  CHECK(text(get_task(e.client, alice_second), "status") == "queued");
  wait_for_status(e.client, alice_second, {"completed"}, 60s);
  CHECK(first_seq(e.client, blocker, "task_completed") <
        first_seq(e.client, alice_second, "planning_started"));
}

TEST_CASE("Cancelling a queued task takes it out of the queue before it starts",
          "[e2e][supervision][queue]") {
  engine e(with_args({"--max-running-tasks", "1"}));
  auto blocker = start_blocker(e.client, "alice");
  auto first = queued_task(e.client, "alice", "medium");
  auto second = queued_task(e.client, "alice", "medium");
  CHECK(get_task(e.client, second).at("queue_position").to_number<int>() == 2);
  auto cancelled = expect_ok(e.client.post("/api/tasks/" + first + "/cancel"), 200);
  CHECK(text(cancelled, "status") == "cancelled");
  CHECK(get_task(e.client, second).at("queue_position").to_number<int>() == 1);
  wait_for_status(e.client, second, {"completed"}, 60s);
  CHECK(first_seq(e.client, first, "planning_started") == 0);
  CHECK(text(get_task(e.client, first), "status") == "cancelled");
  wait_for_status(e.client, blocker, {"completed"}, 60s);
}

int64_t seq_of_first(const std::vector<json::object>& events, const std::string& type,
                     const std::string& step_id = "") {
  auto found = of_type(events, type, step_id);
  return found.empty() ? 0 : found.front().at("seq").to_number<int64_t>();
}

/// Polls the task's events until one of `type` for `step_id` is there.
void wait_for_event(http_client& client, const std::string& task_id, const std::string& type,
                    const std::string& step_id) {
  auto until = clock_type::now() + 60s;
  while (of_type(events_of(client, task_id), type, step_id).empty()) {
    REQUIRE(clock_type::now() < until);
    std::this_thread::sleep_for(50ms);  // polling interval, not synchronisation
  }
}

TEST_CASE("A failure after a deployment was applied rolls it back, then fails the task",
          "[e2e][supervision][rollback]") {
  engine e;
  std::string id;
  auto task = run(e.client, deploy_with({{"fail_step", "verify"}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  auto started = of_type(events, "rollback_started");
  REQUIRE(started.size() == 1);
  CHECK(strings(started.front().at("data").at("steps")) ==
        std::vector<std::string>{"apply_deployment"});
  auto completed = of_type(events, "rollback_completed");
  REQUIRE(completed.size() == 1);
  CHECK(completed.front().at("data").at("success").as_bool());
  // In order: the failure, the rollback, then the end.
  CHECK(seq_of_first(events, "step_completed", "apply_deployment") <
        seq_of_first(events, "step_failed", "verify_deployment"));
  CHECK(seq_of_first(events, "step_failed", "verify_deployment") <
        seq_of_first(events, "rollback_started"));
  CHECK(seq_of_first(events, "rollback_started") <
        seq_of_first(events, "step_rolled_back", "apply_deployment"));
  CHECK(seq_of_first(events, "step_rolled_back", "apply_deployment") <
        seq_of_first(events, "rollback_completed"));
  CHECK(seq_of_first(events, "rollback_completed") < seq_of_first(events, "task_failed"));
}

TEST_CASE("A failure before anything was applied has nothing to roll back",
          "[e2e][supervision][rollback]") {
  engine e;
  std::string id;
  auto task = run(e.client, deploy_with({{"fail_step", "apply"}}), id);
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(text(task, "status") == "failed");
  CHECK(of_type(events, "rollback_started").empty());
}

TEST_CASE("Cancelling an executing task stops its running step, rolls back and ends cancelled",
          "[e2e][supervision][rollback][cancel]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"delay_ms", 1500}})), "id");
  expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  wait_for_event(e.client, id, "step_completed", "apply_deployment");
  // verify_deployment is running now; the answer waits for the rollback.
  auto cancelled = expect_ok(e.client.post("/api/tasks/" + id + "/cancel"), 200);
  CHECK(text(cancelled, "status") == "cancelled");
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(of_type(events, "step_completed", "verify_deployment").empty());
  CHECK(of_type(events, "step_rolled_back", "apply_deployment").size() == 1);
  CHECK(seq_of_first(events, "rollback_completed") < seq_of_first(events, "task_cancelled"));
  CHECK(get_task(e.client, id).at("status") == "cancelled");
}

TEST_CASE("A rollback that fails is reported, not hidden", "[e2e][supervision][rollback]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"delay_ms", 1500}, {"fail_step", "destroy"}})),
                 "id");
  expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  wait_for_event(e.client, id, "step_completed", "apply_deployment");
  auto cancelled = expect_ok(e.client.post("/api/tasks/" + id + "/cancel"), 200);
  CHECK(text(cancelled, "status") == "cancelled");
  auto errors = strings(cancelled.at("result").at("errors"));
  INFO(json::serialize(cancelled));
  REQUIRE(errors.size() == 2);
  CHECK(errors[1].find("rollback of apply_deployment") != std::string::npos);
  auto events = events_of(e.client, id);
  auto completed = of_type(events, "rollback_completed");
  REQUIRE(completed.size() == 1);
  CHECK_FALSE(completed.front().at("data").at("success").as_bool());
  CHECK(of_type(events, "step_rolled_back").empty());
}

TEST_CASE("POST /api/tasks/:id/rollback undoes a completed deployment once; again it does nothing",
          "[e2e][supervision][rollback]") {
  engine e;
  std::string id;
  REQUIRE(text(run(e.client, deploy_with({}), id), "status") == "completed");

  auto check = expect_ok(e.client.get("/api/tasks/" + id + "/rollback/check"), 200);
  INFO(json::serialize(check));
  CHECK(check.at("can_rollback").as_bool());
  CHECK(strings(check.at("steps")) == std::vector<std::string>{"apply_deployment"});

  auto report = expect_ok(e.client.post("/api/tasks/" + id + "/rollback"), 200);
  INFO(json::serialize(report));
  CHECK(report.at("success").as_bool());
  CHECK(strings(report.at("rolled_back")) == std::vector<std::string>{"apply_deployment"});
  auto events = events_of(e.client, id);
  CHECK(of_type(events, "step_rolled_back", "apply_deployment").size() == 1);
  CHECK(of_type(events, "rollback_completed").size() == 1);
  CHECK(text(get_task(e.client, id), "status") == "completed");  // its outcome stays

  // Idempotent: nothing is left to undo, and nothing happens.
  auto again = expect_ok(e.client.get("/api/tasks/" + id + "/rollback/check"), 200);
  CHECK_FALSE(again.at("can_rollback").as_bool());
  CHECK_FALSE(text(again, "reason").empty());
  auto second = expect_ok(e.client.post("/api/tasks/" + id + "/rollback"), 200);
  CHECK(second.at("rolled_back").as_array().empty());
  CHECK(events_of(e.client, id).size() == events.size());
}

TEST_CASE("Rollback is refused for a running task and unknown ones",
          "[e2e][supervision][rollback]") {
  engine e;
  auto id = text(create_task(e.client, task_body("aws", "production", {"vpc"})), "id");
  auto check = expect_ok(e.client.get("/api/tasks/" + id + "/rollback/check"), 200);
  CHECK_FALSE(check.at("can_rollback").as_bool());
  expect_ok(e.client.post("/api/tasks/" + id + "/execute?wait=true"), 200);  // awaits approval
  auto refused = expect_error(e.client.post("/api/tasks/" + id + "/rollback"), 409);
  CHECK(error_text(refused).find("awaiting_approval") != std::string::npos);
  expect_error(e.client.post("/api/tasks/task_00000000000000000000000000/rollback"), 404);
  expect_error(e.client.get("/api/tasks/task_00000000000000000000000000/rollback/check"), 404);
}

TEST_CASE("Cancelling a task while it plans ends it before any plan is made",
          "[e2e][supervision][cancel]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"planning_ms", 5000}})), "id");
  auto started = expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  REQUIRE(text(started, "status") == "planning");
  auto cancelled = expect_ok(e.client.post("/api/tasks/" + id + "/cancel"), 200);
  CHECK(text(cancelled, "status") == "cancelled");
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(of_type(events, "planning_started").size() == 1);
  CHECK(of_type(events, "plan_generated").empty());
  CHECK(of_type(events, "task_cancelled").size() == 1);
  CHECK(text(get_task(e.client, id).at("execution"), "plan_id").empty());
}

TEST_CASE("Cancelling a task while it verifies rolls back what it deployed and ends it",
          "[e2e][supervision][cancel][rollback]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"verification_ms", 5000}})), "id");
  expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  wait_for_status(e.client, id, {"verifying"}, 60s);
  auto cancelled = expect_ok(e.client.post("/api/tasks/" + id + "/cancel"), 200);
  CHECK(text(cancelled, "status") == "cancelled");
  auto events = events_of(e.client, id);
  INFO(types(events));
  CHECK(of_type(events, "verification_completed").empty());
  CHECK(of_type(events, "step_rolled_back", "apply_deployment").size() == 1);
  CHECK(seq_of_first(events, "verification_started") < seq_of_first(events, "rollback_started"));
  CHECK(seq_of_first(events, "rollback_completed") < seq_of_first(events, "task_cancelled"));
}

}  // namespace
}  // namespace ce::e2e

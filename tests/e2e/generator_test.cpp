// The Generator Service client (issue 13) against the real binary and a fake service
// (support/fake_generator.py) steered per test: remote artifacts, retries, timeouts,
// the circuit breaker, permanent failures, broken HCL, fallback, connection reuse.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "tests/e2e/support/api.hpp"
#include "tests/e2e/support/fake_generator.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;

const std::string render_path = "/api/templates/render";

/// A node that asks `fake`; backoffs short so that retries do not slow the suite.
server_options remote_options(const fake_generator& fake, std::vector<std::string> extra = {}) {
  server_options o;
  o.args = {"--generator-service-url",
            fake.url(),
            "--generator-backoff-ms",
            "10",
            "--generator-backoff-max-ms",
            "50",
            "--retry-base-ms",
            "10",
            "--retry-max-ms",
            "50"};
  o.args.insert(o.args.end(), extra.begin(), extra.end());
  return o;
}

json::object run_to_end(http_client& client, const json::value& body) {
  auto task_id = text(create_task(client, body), "id");
  auto done = expect_ok(client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  REQUIRE(done.is_object());
  return done.as_object();
}

/// The execution result of the step with that action (and component, when given).
json::object result_of(const json::object& done, const std::string& action,
                       const std::string& component = "") {
  std::string step_id;
  for (const auto& step : done.at("plan").at("steps").as_array())
    if (text(step, "action") == action &&
        (component.empty() || text(step, "component") == component))
      step_id = text(step, "id");
  REQUIRE_FALSE(step_id.empty());
  for (const auto& r : done.at("executionResults").as_array())
    if (text(r, "step_id") == step_id) return r.as_object();
  FAIL("no result for step " + step_id);
  return {};
}

json::object outputs_of(const json::object& result) {
  return result.at("outputs").as_object();
}

std::string artifact(http_client& client, const std::string& task_id, const std::string& name) {
  auto r = client.get("/api/tasks/" + task_id + "/artifacts/" + name);
  REQUIRE(r.status == 200);
  return r.body;
}

std::string task_errors(const json::object& done) {
  return json::serialize(done.at("task").at("result").at("errors"));
}

json::object generator_statistics(http_client& client) {
  return expect_ok(client.get("/api/statistics"), 200).at("generator_service").as_object();
}

std::vector<json::object> events_of(http_client& client, const std::string& task_id,
                                    const std::string& type) {
  std::vector<json::object> out;
  auto events = expect_ok(client.get("/api/tasks/" + task_id + "/events"), 200);
  for (const auto& e : events.as_array())
    if (text(e, "type") == type) out.push_back(e.as_object());
  return out;
}

}  // namespace

TEST_CASE("artifacts come from the remote generator named by GENERATOR_SERVICE_URL",
          "[e2e][generator]") {
  fake_generator fake;
  server_options o;
  o.env["GENERATOR_SERVICE_URL"] = fake.url();  // the original service's variable
  engine e(o);
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc", "eks"}));
  INFO(json::serialize(done));
  REQUIRE(text(done.at("task"), "status") == "completed");
  auto task_id = text(done.at("task"), "id");

  auto eks = artifact(e.client, task_id, "eks.tf");
  CHECK(eks.rfind("# generator: remote terraform/aws/eks\n", 0) == 0);
  CHECK(eks.find("var.") == std::string::npos);  // every input bound, none left to ask for
  CHECK(eks.find("eks_vpc_id = aws_vpc.main.id") != std::string::npos);
  CHECK(eks.find("eks_private_subnet_ids = aws_subnet.private[*].id") != std::string::npos);
  CHECK(eks.find("variable \"vpc_id\"") == std::string::npos);
  auto vpc = artifact(e.client, task_id, "vpc.tf");
  CHECK(vpc.rfind("# generator: remote terraform/aws/vpc\n", 0) == 0);
  CHECK(vpc.find("vpc_vpc_cidr = \"10.0.0.0/16\"") != std::string::npos);  // the default range

  auto eks_outputs = outputs_of(result_of(done, "generate_component", "eks"));
  CHECK(text(eks_outputs, "generator") == "remote");
  CHECK(text(eks_outputs, "template_id") == "terraform/aws/eks");
  CHECK(text(eks_outputs.at("bound_variables"), "vpc_id") == "component vpc");

  auto practices = outputs_of(result_of(done, "apply_best_practices"));
  CHECK(text(practices, "generator") == "remote");
  const auto& remote_eks = practices.at("remote_best_practices").at("eks");
  CHECK(strings(remote_eks.at("applied_fixes")) == std::vector<std::string>{"sec-001"});
  CHECK(strings(remote_eks.at("violations_remaining")) == std::vector<std::string>{"tag-002"});
  CHECK(practices.contains("violations_found"));  // our own rules still report

  bool remote_event = false;
  for (const auto& ev : events_of(e.client, task_id, "step_completed"))
    remote_event = remote_event || text(ev.at("data"), "generator") == "remote";
  CHECK(remote_event);

  // One render per component: identical calls within the task are made once.
  CHECK(fake.calls(render_path) == 2);
  auto health = generator_statistics(e.client);
  CHECK(text(health, "mode") == "remote");
  CHECK(text(health, "breaker") == "closed");
  auto ready = e.client.get("/ready");
  REQUIRE(ready.status == 200);
  CHECK(text(ready.json().at("dependencies").at("generator_service"), "breaker") == "closed");
}

TEST_CASE("without a generator URL the built-in generator renders, and says so",
          "[e2e][generator]") {
  engine e;
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  REQUIRE(text(done.at("task"), "status") == "completed");
  CHECK(text(outputs_of(result_of(done, "generate_component", "vpc")), "generator") == "builtin");
  CHECK(text(generator_statistics(e.client), "mode") == "builtin");
}

TEST_CASE("503s and dropped connections are retried, then the call succeeds", "[e2e][generator]") {
  fake_generator fake;
  engine e(remote_options(fake, {"--generator-attempts", "3"}));
  fake.control("503", 1);
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  INFO(json::serialize(done));
  CHECK(text(done.at("task"), "status") == "completed");
  CHECK(fake.calls(render_path) == 2);  // the 503, then the answer

  fake.control("drop", 1);
  done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  CHECK(text(done.at("task"), "status") == "completed");
  CHECK(fake.calls(render_path) == 4);
  auto health = generator_statistics(e.client);
  // The 503 was retried by the client; a dropped connection that had served earlier calls
  // is retried by libcurl itself on a fresh one, so it may not count as a retry of ours.
  CHECK(health.at("retries").to_number<int64_t>() >= 1);
  CHECK(health.at("failures").to_number<int64_t>() == 0);
}

TEST_CASE("a transient failure the client gave up on is retried by the task's step policy",
          "[e2e][generator]") {
  fake_generator fake;
  engine e(remote_options(fake, {"--generator-attempts", "1", "--step-attempts", "3"}));
  fake.control("503", 2);
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  INFO(json::serialize(done));
  CHECK(text(done.at("task"), "status") == "completed");
  auto retries = events_of(e.client, text(done.at("task"), "id"), "step_retrying");
  REQUIRE(retries.size() == 2);
  CHECK(text(retries[0].at("data"), "step_id") == "generate_vpc");
  CHECK(text(retries[0].at("data"), "error").find("HTTP 503") != std::string::npos);
  CHECK(fake.calls(render_path) == 3);
}

TEST_CASE("a service slower than the attempt timeout fails the step with the timeout named",
          "[e2e][generator]") {
  fake_generator fake("slow", 2000);
  engine e(remote_options(fake, {"--generator-timeout-ms", "200", "--generator-attempts", "2",
                                 "--step-attempts", "1"}));
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  INFO(json::serialize(done));
  CHECK(text(done.at("task"), "status") == "failed");
  CHECK(task_errors(done).find("no answer within 200 ms") != std::string::npos);
  CHECK(task_errors(done).find("after 2 attempts") != std::string::npos);
  CHECK(fake.calls(render_path) == 2);
}

TEST_CASE("the breaker opens while the service fails, fails fast, and closes after a good probe",
          "[e2e][generator]") {
  fake_generator fake("503");
  engine e(remote_options(
      fake, {"--generator-attempts", "1", "--step-attempts", "1", "--generator-breaker-failures",
             "1", "--generator-breaker-cooldown-ms", "1500"}));
  // One failed render opens a breaker that trips at the first failure.
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  CHECK(text(done.at("task"), "status") == "failed");
  CHECK(text(generator_statistics(e.client), "breaker") == "open");
  auto calls_when_open = fake.calls(render_path);

  // While open, a call fails at once without reaching the service.
  done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  CHECK(text(done.at("task"), "status") == "failed");
  CHECK(task_errors(done).find("circuit breaker is open") != std::string::npos);
  CHECK(fake.calls(render_path) == calls_when_open);
  CHECK(generator_statistics(e.client).at("short_circuited").to_number<int64_t>() >= 1);

  // The service recovers; after the cool-down the breaker lets a probe through.
  fake.control("normal");
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (text(generator_statistics(e.client), "breaker") != "half_open")
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  CHECK(text(done.at("task"), "status") == "completed");
  CHECK(text(generator_statistics(e.client), "breaker") == "closed");
}

TEST_CASE("success:false and malformed answers are permanent: no retry by client or task",
          "[e2e][generator]") {
  fake_generator fake;
  engine e(remote_options(fake, {"--generator-attempts", "3", "--step-attempts", "3"}));
  SECTION("success:false") {
    fake.control("fail");
    auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
    CHECK(text(done.at("task"), "status") == "failed");
    CHECK(task_errors(done).find("Missing helper") != std::string::npos);
    CHECK(fake.calls(render_path) == 1);
  }
  SECTION("malformed JSON") {
    fake.control("malformed");
    auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
    CHECK(text(done.at("task"), "status") == "failed");
    CHECK(task_errors(done).find("not the generator service's JSON envelope") != std::string::npos);
    CHECK(fake.calls(render_path) == 1);
  }
}

TEST_CASE("HCL from the service that does not parse fails validation naming the template",
          "[e2e][generator]") {
  fake_generator fake("bad_hcl");
  engine e(remote_options(fake));
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  INFO(json::serialize(done));
  CHECK(text(done.at("task"), "status") == "failed");
  CHECK(task_errors(done).find("template terraform/aws/vpc") != std::string::npos);
  CHECK(task_errors(done).find("not valid HCL") != std::string::npos);
}

TEST_CASE("a variable nothing binds fails with its name and the template id", "[e2e][generator]") {
  fake_generator fake;
  engine e(remote_options(fake));
  // eks alone: its vpc_id and private_subnet_ids have no vpc to come from.
  auto done = run_to_end(e.client, task_body("aws", "development", {"eks"}));
  INFO(json::serialize(done));
  CHECK(text(done.at("task"), "status") == "failed");
  auto errors = task_errors(done);
  CHECK(errors.find("terraform/aws/eks") != std::string::npos);
  CHECK(errors.find("vpc_id") != std::string::npos);
  CHECK(errors.find("private_subnet_ids") != std::string::npos);
}

TEST_CASE("with --generator-fallback builtin a failed service hands over, on the record",
          "[e2e][generator]") {
  fake_generator fake("503");
  engine e(remote_options(fake, {"--generator-attempts", "2", "--generator-fallback", "builtin"}));
  auto done = run_to_end(e.client, task_body("aws", "development", {"vpc"}));
  INFO(json::serialize(done));
  REQUIRE(text(done.at("task"), "status") == "completed");
  auto task_id = text(done.at("task"), "id");
  auto result = result_of(done, "generate_component", "vpc");
  auto outputs = outputs_of(result);
  CHECK(text(outputs, "generator") == "builtin");
  CHECK(outputs.at("fallback").as_bool());
  CHECK(text(outputs, "fallback_reason").find("HTTP 503") != std::string::npos);
  bool logged = false;
  for (const auto& log : result.at("logs").as_array())
    logged =
        logged || (text(log, "level") == "warn" &&
                   text(log, "message").find("built-in generator takes over") != std::string::npos);
  CHECK(logged);
  bool event = false;
  for (const auto& ev : events_of(e.client, task_id, "step_completed"))
    event = event || (ev.at("data").as_object().contains("fallback") &&
                      ev.at("data").at("fallback").as_bool());
  CHECK(event);
  CHECK(artifact(e.client, task_id, "vpc.tf").find("# generator: remote") == std::string::npos);
  CHECK(fake.calls(render_path) == 2);  // it was asked, with its retry, before the fallback
}

TEST_CASE("calls reuse connections to the service", "[e2e][generator]") {
  fake_generator fake;
  engine e(remote_options(fake));
  for (int i = 0; i < 4; ++i) {
    auto done = run_to_end(e.client, task_body("aws", "development", {"vpc", "eks"}));
    REQUIRE(text(done.at("task"), "status") == "completed");
  }
  auto health = generator_statistics(e.client);
  // 4 tasks x (2 renders + 2 x 2 best-practice calls) = 24 calls.
  CHECK(health.at("calls").to_number<int64_t>() == 24);
  // At most as many connections as calls ran at once in one task (its 4 best-practice
  // calls), however many tasks ran.
  auto opened = health.at("connections_opened").to_number<int64_t>();
  CHECK(opened >= 1);
  CHECK(opened <= 4);
  // The fake counts them too, plus the test's own control connection.
  CHECK(fake.connections() >= opened);
  CHECK(fake.connections() <= opened + 1);
}

}  // namespace ce::e2e

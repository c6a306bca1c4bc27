// Hostile input and racing commands against the real binary: values that
// could reach generated Terraform, malformed requirements, fault injection
// without the node's consent, and many clients issuing conflicting commands
// on one task at once (exactly one of them may win).
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;

std::vector<json::object> events_of(http_client& client, const std::string& task_id) {
  auto events = expect_ok(client.get("/api/tasks/" + task_id + "/events"), 200);
  std::vector<json::object> out;
  for (const auto& e : events.as_array()) out.push_back(e.as_object());
  return out;
}

std::size_t count_of(const std::vector<json::object>& events, const std::string& type) {
  std::size_t n = 0;
  for (const auto& e : events) n += text(e, "type") == type ? 1 : 0;
  return n;
}

json::object with_requirements(json::object body, json::object requirements) {
  body["context"].as_object()["requirements"] = std::move(requirements);
  return body;
}

json::object deploy_with(json::object simulate, const std::string& environment = "staging") {
  return with_requirements(task_body("aws", environment, {"vpc", "s3"}, "deploy"),
                           json::object{{"simulate", std::move(simulate)}});
}

/// One request per entry, each on its own connection, all released at once.
/// Returns the answers in the order of `requests`.
std::vector<http_response> at_once(
    uint16_t port, const std::vector<std::function<http_response(http_client&)>>& requests) {
  std::vector<std::unique_ptr<http_client>> clients;
  for (std::size_t i = 0; i < requests.size(); ++i)
    clients.push_back(std::make_unique<http_client>("127.0.0.1", port));
  // Each client connects before the start, so the requests arrive together.
  for (auto& c : clients) REQUIRE(c->get("/health").status == 200);
  std::vector<http_response> answers(requests.size());
  std::mutex m;
  std::condition_variable go;
  bool started = false;
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < requests.size(); ++i)
    threads.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(m);
        go.wait(lock, [&] { return started; });
      }
      answers[i] = requests[i](*clients[i]);
    });
  {
    std::lock_guard<std::mutex> lock(m);
    started = true;
  }
  go.notify_all();
  for (auto& t : threads) t.join();
  return answers;
}

int count_status(const std::vector<http_response>& answers, int status, std::size_t from = 0,
                 std::size_t to = SIZE_MAX) {
  int n = 0;
  for (std::size_t i = from; i < answers.size() && i < to; ++i)
    n += answers[i].status == status ? 1 : 0;
  return n;
}

// ---- hostile values ---------------------------------------------------------------

TEST_CASE("A requirement that tries to break out of a comment into HCL is refused at create",
          "[e2e][security][injection]") {
  engine e;
  auto before = snapshot(e.client);
  // The payload of the report: a newline in db_engine_version ended the header
  // comment of rds.tf and declared an IAM user.
  auto body = with_requirements(
      task_body("aws", "development", {"vpc", "rds"}, "deploy"),
      json::object{{"db_engine_version",
                    "15\nresource \"aws_iam_user\" \"pwn\" {\n  name = \"backdoor\"\n}\n#"}});
  auto refused = expect_error(e.client.post("/api/tasks", body), 400);
  CHECK(detail_fields(refused) ==
        std::vector<std::string>{"context.requirements.db_engine_version"});
  auto plan_refused =
      expect_error(e.client.post("/api/plans/generate",
                                 json::object{{"type", "deploy"}, {"context", body.at("context")}}),
                   400);
  CHECK(detail_fields(plan_refused) ==
        std::vector<std::string>{"context.requirements.db_engine_version"});
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("Malformed requirement values get 400 with details and store nothing",
          "[e2e][security][validation]") {
  engine e;
  auto before = snapshot(e.client);
  const std::vector<std::pair<json::object, std::string>> cases = {
      {{{"vpc_cidr", "999.1.1.1/99"}}, "context.requirements.vpc_cidr"},
      {{{"vpc_cidr", "10.0.0.0"}}, "context.requirements.vpc_cidr"},
      {{{"eks_version", "'; rm -rf /"}}, "context.requirements.eks_version"},
      {{{"kubernetes_version", "1.30\n"}}, "context.requirements.kubernetes_version"},
      {{{"node_instance_type", "m5.large\"}"}}, "context.requirements.node_instance_type"},
      {{{"db_engine", "postgres; drop"}}, "context.requirements.db_engine"},
      {{{"project", std::string("a\0b", 3)}}, "context.requirements.project"},
      {{{"tags", json::object{{"", "empty key"}}}}, "context.requirements.tags."},
      {{{"tags", json::object{{"k", std::string(300, 'v')}}}}, "context.requirements.tags.k"},
  };
  for (const auto& [requirements, field] : cases) {
    auto body = with_requirements(task_body("aws", "development", {"vpc", "eks"}), requirements);
    INFO(json::serialize(body));
    auto refused = expect_error(e.client.post("/api/tasks", body), 400);
    REQUIRE(detail_fields(refused).size() == 1);
    CHECK(detail_fields(refused).front() == field);
  }
  auto region = task_body("aws", "development", {"vpc"});
  region["context"].as_object()["region"] = "us-east-1\"\n}";
  CHECK(detail_fields(expect_error(e.client.post("/api/tasks", region), 400)) ==
        std::vector<std::string>{"context.region"});
  CHECK(snapshot(e.client) == before);

  // Well formed but against policy still gets through create: the pre-execution
  // safety checks name it when the task runs.
  auto public_range =
      with_requirements(task_body("aws", "development", {"vpc"}), {{"vpc_cidr", "8.8.0.0/16"}});
  create_task(e.client, public_range);
}

TEST_CASE("Fault injection is refused unless the node allows it",
          "[e2e][security][fault-injection]") {
  server_options options;
  options.fault_injection = false;
  engine e(std::move(options));
  auto before = snapshot(e.client);
  auto refused =
      expect_error(e.client.post("/api/tasks", deploy_with({{"delay_ms", 600000}})), 400);
  CHECK(detail_fields(refused) == std::vector<std::string>{"context.requirements.simulate"});
  CHECK(error_text(refused).find("--allow-fault-injection") != std::string::npos);
  auto plan = deploy_with({{"crash_step", "apply"}});
  expect_error(e.client.post("/api/plans/generate",
                             json::object{{"type", "deploy"}, {"context", plan.at("context")}}),
               400);
  CHECK(snapshot(e.client) == before);

  engine allowed;  // the harness passes --allow-fault-injection by default
  create_task(allowed.client, deploy_with({{"delay_ms", 10}}));
}

TEST_CASE("Bodies that parsers could read two ways are refused", "[e2e][security][json]") {
  engine e;
  auto before = snapshot(e.client);
  const std::string good_context =
      R"({"provider":"aws","environment":"development","components":["vpc"]})";
  const std::vector<std::string> bodies = {
      R"({"type":"generate","type":"deploy","context":)" + good_context + "}",
      R"({"type":"generate","context":{"provider":"aws","environment":"development",)"
      R"("components":["vpc"],"requirements":{"vpc_cidr":"10.0.0.0/16","vpc_cidr":"8.8.0.0/16"}}})",
  };
  for (const auto& body : bodies) {
    INFO(body);
    auto answer = e.client.request("POST", "/api/tasks", body);
    REQUIRE(answer.status == 400);
    CHECK(error_text(answer.json().as_object()).find("more than once") != std::string::npos);
  }
  auto nul_user = e.client.request(
      "POST", "/api/tasks",
      R"({"type":"generate","user_id":"alice\u0000admin","context":)" + good_context + "}");
  REQUIRE(nul_user.status == 400);
  CHECK(detail_fields(nul_user.json().as_object()) == std::vector<std::string>{"user_id"});
  auto jsonx = e.client.request("POST", "/api/tasks",
                                R"({"type":"generate","context":)" + good_context + "}",
                                {{"Content-Type", "application/jsonx"}});
  CHECK(jsonx.status == 415);
  auto charset = e.client.request("POST", "/api/tasks",
                                  R"({"type":"generate","context":)" + good_context + "}",
                                  {{"Content-Type", "Application/JSON; charset=utf-8"}});
  CHECK(charset.status == 201);
  auto after = snapshot(e.client);
  CHECK(after.total_tasks == before.total_tasks + 1);
}

TEST_CASE("A WebSocket upgrade with a malformed key is refused", "[e2e][security][websocket]") {
  engine e;
  http_client ws_port("127.0.0.1", e.server.ws_port());
  for (const char* key :
       {"abc", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZR==", "!!!!!!!!!!!!!!!!!!!!!!=="}) {
    INFO(key);
    auto answer = ws_port.request("GET", "/", "",
                                  {{"Upgrade", "websocket"},
                                   {"Connection", "Upgrade"},
                                   {"Sec-WebSocket-Version", "13"},
                                   {"Sec-WebSocket-Key", key}});
    CHECK(answer.status == 400);
  }
  // RFC 6455's own sample key is accepted.
  auto good = ws_port.request("GET", "/", "",
                              {{"Upgrade", "websocket"},
                               {"Connection", "Upgrade"},
                               {"Sec-WebSocket-Version", "13"},
                               {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}});
  CHECK(good.status == 101);
}

TEST_CASE("Start-up is refused on a non-loopback bind without authentication",
          "[e2e][security][bind]") {
  auto run = run_to_exit({"--bind", "0.0.0.0", "--port", "0", "--ws-port", "0"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.status.exited);
  CHECK(run.status.code != 0);
  CHECK(run.err.find("--insecure") != std::string::npos);
  CHECK(run.out.find("listening") == std::string::npos);

  server_options options;
  options.args = {"--bind", "0.0.0.0", "--insecure"};
  engine open(std::move(options));  // the operator accepted it: it serves
  CHECK(open.client.get("/health").status == 200);
}

TEST_CASE("Answers never show where the server keeps its files", "[e2e][security][paths]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({})), "id");
  auto outcome = e.client.post("/api/tasks/" + id + "/execute?wait=true");
  REQUIRE(outcome.status == 200);
  REQUIRE(text(outcome.json().at("data").at("task"), "status") == "completed");
  auto listed = e.client.get("/api/tasks/" + id + "/artifacts");
  REQUIRE(listed.status == 200);
  auto listed_json = listed.json();
  const auto& artifacts = listed_json.at("data").as_array();
  REQUIRE_FALSE(artifacts.empty());
  bool has_state = false;
  for (const auto& a : artifacts) {
    CHECK(text(a, "path") == id + "/" + text(a, "name"));
    has_state = has_state || text(a, "name") == "terraform.tfstate.json";
  }
  REQUIRE(has_state);
  auto state = e.client.get("/api/tasks/" + id + "/artifacts/terraform.tfstate.json");
  REQUIRE(state.status == 200);
  CHECK(text(state.json(), "workspace") == id);
  for (const auto* body : {&outcome.body, &listed.body, &state.body}) {
    INFO(*body);
    CHECK(body->find(e.server.data_dir()) == std::string::npos);
  }
}

// ---- limits ------------------------------------------------------------------------

TEST_CASE("metadata is bounded at 64 KiB", "[e2e][security][limits]") {
  engine e;
  auto body = task_body("aws", "development", {"vpc"});
  // {"note":"..."} is 11 bytes around the text.
  body["metadata"] = json::object{{"note", std::string(64 * 1024 - 11, 'x')}};
  create_task(e.client, body);
  auto before = snapshot(e.client);
  body["metadata"] = json::object{{"note", std::string(64 * 1024 - 10, 'x')}};
  auto refused = expect_error(e.client.post("/api/tasks", body), 400);
  CHECK(detail_fields(refused) == std::vector<std::string>{"metadata"});
  CHECK(snapshot(e.client) == before);
}

TEST_CASE("a list page stops at about 4 MiB and its cursor gives the rest",
          "[e2e][security][limits]") {
  // 100 tasks of 64 KiB of metadata: one page of 1000 would be 6.4 MiB of tasks, and as
  // many again of task_created events (each carries its task).
  constexpr int tasks = 100;
  constexpr std::size_t page_bound = std::size_t{4} << 20;  // max_page_bytes
  for (const char* store : {"sqlite", "memory"}) {
    INFO("store " << store);
    server_options options;
    options.args = {"--store", store};
    engine e(std::move(options));
    auto body = task_body("aws", "development", {"vpc"});
    body["metadata"] = json::object{{"note", std::string(64 * 1024 - 11, 'x')}};
    std::set<std::string> created;
    for (int i = 0; i < tasks; ++i) created.insert(text(create_task(e.client, body), "id"));
    for (const char* list : {"/api/tasks", "/api/events"}) {
      INFO(list);
      auto first = e.client.get(std::string(list) + "?limit=1000");
      REQUIRE(first.status == 200);
      CHECK(first.body.size() < page_bound + 2 * 64 * 1024);  // the bound, plus one item
      auto pages = get_all_pages(e.client, list, 1000);
      CHECK(pages.size() >= 2);
      std::multiset<std::string> seen;
      for (const auto& p : pages)
        for (const auto& item : p.items)
          seen.insert(text(item, list == std::string("/api/tasks") ? "id" : "task_id"));
      if (list == std::string("/api/tasks")) {
        CHECK(std::set<std::string>(seen.begin(), seen.end()) == created);
        CHECK(seen.size() == created.size());  // no task twice
      } else {
        CHECK(std::set<std::string>(seen.begin(), seen.end()) == created);
      }
    }
  }
}

TEST_CASE("Pending tasks are capped per user and in all, with 429, while others are served",
          "[e2e][security][limits]") {
  server_options options;
  options.args = {"--max-pending-per-user", "5", "--max-pending-tasks", "8"};
  engine e(std::move(options));
  auto as = [](const std::string& user) {
    auto body = task_body("aws", "development", {"vpc"});
    body["user_id"] = user;
    return body;
  };
  std::vector<std::string> alice;
  for (int i = 0; i < 5; ++i) alice.push_back(text(create_task(e.client, as("alice")), "id"));
  auto refused = expect_error(e.client.post("/api/tasks", as("alice")), 429);
  CHECK(error_text(refused).find("pending") != std::string::npos);
  create_task(e.client, as("bob"));  // another user is still served

  // 20 creates at once by a third user: the node has room for exactly 2 more.
  std::vector<std::function<http_response(http_client&)>> creates(
      20, [&](http_client& c) { return c.post("/api/tasks", as("carol")); });
  auto answers = at_once(e.server.http_port(), creates);
  CHECK(count_status(answers, 201) == 2);
  CHECK(count_status(answers, 429) == 18);
  expect_error(e.client.post("/api/tasks", as("dave")), 429);
  // Reads are unaffected, and executing a pending task makes room again.
  CHECK(expect_ok(e.client.get("/api/tasks?limit=100"), 200).as_array().size() == 8);
  expect_ok(e.client.post("/api/tasks/" + alice.front() + "/execute?wait=true"), 200);
  create_task(e.client, as("alice"));
}

// ---- racing commands --------------------------------------------------------------

TEST_CASE("100 concurrent cancels of a running task: one cancellation, the rest 409",
          "[e2e][security][race]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"delay_ms", 3000}})), "id");
  expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  wait_for_status(e.client, id, {"executing"});
  std::vector<std::function<http_response(http_client&)>> cancels(
      100, [&](http_client& c) { return c.post("/api/tasks/" + id + "/cancel"); });
  auto answers = at_once(e.server.http_port(), cancels);
  CHECK(count_status(answers, 200) == 1);
  CHECK(count_status(answers, 409) == 99);
  CHECK(text(get_task(e.client, id), "status") == "cancelled");
  CHECK(count_of(events_of(e.client, id), "task_cancelled") == 1);
}

TEST_CASE("50 concurrent rollbacks of a finished deploy undo it once", "[e2e][security][race]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"delay_ms", 200}})), "id");
  auto done = expect_ok(e.client.post("/api/tasks/" + id + "/execute?wait=true"), 200);
  REQUIRE(text(done.at("task"), "status") == "completed");
  std::vector<std::function<http_response(http_client&)>> rollbacks(
      50, [&](http_client& c) { return c.post("/api/tasks/" + id + "/rollback"); });
  auto answers = at_once(e.server.http_port(), rollbacks);
  int undid = 0;
  for (const auto& a : answers) {
    INFO(a.status << " " << a.body);
    // A conflict while it runs, or (after it ended) nothing left to undo.
    REQUIRE((a.status == 200 || a.status == 409));
    if (a.status == 200 && !a.json().at("data").at("rolled_back").as_array().empty()) ++undid;
  }
  CHECK(undid == 1);
  auto events = events_of(e.client, id);
  CHECK(count_of(events, "rollback_started") == 1);
  CHECK(count_of(events, "step_rolled_back") == 1);
}

TEST_CASE("Concurrent approvals and rejections of one plan: exactly one decides",
          "[e2e][security][race]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({}, "production")), "id");
  auto waiting = expect_ok(e.client.post("/api/tasks/" + id + "/execute?wait=true"), 200);
  REQUIRE(text(waiting.at("task"), "status") == "awaiting_approval");
  auto plan_id = text(waiting.at("task").at("execution"), "plan_id");
  std::vector<std::function<http_response(http_client&)>> decisions;
  for (int i = 0; i < 40; ++i)
    decisions.emplace_back([&, i](http_client& c) {
      if (i % 2 == 0) return c.post("/api/plans/" + plan_id + "/approve", json::object{});
      return c.post("/api/plans/" + plan_id + "/reject", json::object{{"reason", "no"}});
    });
  auto answers = at_once(e.server.http_port(), decisions);
  CHECK(count_status(answers, 200) == 1);
  CHECK(count_status(answers, 409) == 39);
  auto ended = wait_for_status(e.client, id, {"completed", "cancelled", "failed"});
  auto events = events_of(e.client, id);
  CHECK(count_of(events, "plan_approved") + count_of(events, "plan_rejected") == 1);
  CHECK((text(ended, "status") == "completed") == (count_of(events, "plan_approved") == 1));
}

TEST_CASE(
    "Concurrent executes and cancels of a pending task: one execution at most, one "
    "cancellation",
    "[e2e][security][race]") {
  engine e;
  auto id = text(create_task(e.client, deploy_with({{"planning_ms", 2000}})), "id");
  std::vector<std::function<http_response(http_client&)>> commands;
  for (int i = 0; i < 40; ++i)
    commands.emplace_back([&, i](http_client& c) {
      return c.post("/api/tasks/" + id + (i % 2 == 0 ? "/execute" : "/cancel"));
    });
  auto answers = at_once(e.server.http_port(), commands);
  int executes = 0, cancels = 0;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    INFO(i << ": " << answers[i].status << " " << answers[i].body);
    if (i % 2 == 0) {
      REQUIRE((answers[i].status == 202 || answers[i].status == 409));
      executes += answers[i].status == 202 ? 1 : 0;
    } else {
      REQUIRE((answers[i].status == 200 || answers[i].status == 409));
      cancels += answers[i].status == 200 ? 1 : 0;
    }
  }
  CHECK(executes <= 1);
  CHECK(cancels == 1);
  CHECK(text(get_task(e.client, id), "status") == "cancelled");
  auto events = events_of(e.client, id);
  CHECK(count_of(events, "task_cancelled") == 1);
  CHECK(count_of(events, "planning_started") == static_cast<std::size_t>(executes));
}

}  // namespace
}  // namespace ce::e2e

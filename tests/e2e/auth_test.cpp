// Authentication and authorisation against the real binary: bearer tokens
// (401 without a valid one), the role of each token (403 with a sentence),
// per-user isolation (another user's object answers 404 like an unknown id,
// lists and statistics show only the caller's), separation of duties on
// production approvals, and the same rules on the WebSocket.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/support/api.hpp"
#include "tests/e2e/support/ws_client.hpp"

namespace ce::e2e {
namespace {

using namespace std::chrono_literals;

constexpr auto message_deadline = 20s;

/// The users of these tests: one per role, and "otto", an operator whose
/// objects are "another user's" for everyone else.
struct user {
  const char* name;
  const char* role;
  const char* token;  // what a client sends; the server is configured with its hash
};
const std::array<user, 5> users = {{
    {"vic", "viewer", "ce_test_token_of_vic_the_viewer"},
    {"olga", "operator", "ce_test_token_of_olga_the_operator"},
    {"abe", "approver", "ce_test_token_of_abe_the_approver"},
    {"ada", "admin", "ce_test_token_of_ada_the_admin"},
    {"otto", "operator", "ce_test_token_of_otto_another_operator"},
}};
const user& vic = users[0];
const user& olga = users[1];
const user& abe = users[2];
const user& ada = users[3];
const user& otto = users[4];

/// --tokens entries as `core-engine token create` prints them: USER:ROLE:SHA256.
std::string token_entries() {
  std::string out;
  for (const auto& u : users)
    out +=
        (out.empty() ? "" : ",") + std::string(u.name) + ":" + u.role + ":" + sha256_hex(u.token);
  return out;
}

server_options with_tokens(std::vector<std::string> extra = {}) {
  server_options options;
  options.args = {"--tokens", token_entries()};
  options.args.insert(options.args.end(), extra.begin(), extra.end());
  return options;
}

header_list bearer(const user& u) {
  return {{"Authorization", std::string("Bearer ") + u.token}};
}

http_response call(http_client& client, const user& u, const std::string& method,
                   const std::string& target, const json::value& body = nullptr) {
  return client.request(method, target, body.is_null() ? std::string{} : json::serialize(body),
                        bearer(u));
}

json::object body_for(const std::string& owner, const std::string& environment) {
  auto body = task_body("aws", environment, {"vpc"});
  body["user_id"] = owner;
  return body;
}

/// A task of `owner`, created by the admin (the only role that may create for another user).
json::object create_for(http_client& client, const std::string& owner,
                        const std::string& environment = "staging") {
  auto data = expect_ok(call(client, ada, "POST", "/api/tasks", body_for(owner, environment)), 201);
  REQUIRE(text(data, "user_id") == owner);
  return data.as_object();
}

/// The objects one matrix cell acts on, all owned by one user.
struct fixture {
  std::string task_id;
  std::string plan_id;
  std::string artifact;  // a file of a completed task
};

enum class state { pending, completed, awaiting_approval };

fixture make_fixture(http_client& client, const std::string& owner, state s) {
  fixture f;
  auto environment = s == state::awaiting_approval ? "production" : "staging";
  f.task_id = text(create_for(client, owner, environment), "id");
  if (s == state::pending) return f;
  auto done =
      expect_ok(call(client, ada, "POST", "/api/tasks/" + f.task_id + "/execute?wait=true"), 200);
  auto status = text(done.at("task"), "status");
  REQUIRE(status == (s == state::completed ? "completed" : "awaiting_approval"));
  f.plan_id = text(done.at("task").at("execution"), "plan_id");
  if (s == state::completed) {
    auto names = strings(done.at("task").at("result").at("artifacts"));
    REQUIRE_FALSE(names.empty());
    f.artifact = names.front();
  }
  return f;
}

/// One row of the matrix: an endpoint acting on an object in a given state,
/// and the status each role gets for its own object and for otto's.
struct row {
  const char* endpoint;
  state needs;
  std::function<http_response(http_client&, const user&, const fixture&)> send;
  // viewer, operator, approver, admin; each {own, other}
  std::array<std::array<int, 2>, 4> expected;
};

http_response get(http_client& c, const user& u, const std::string& target) {
  return call(c, u, "GET", target);
}
http_response post(http_client& c, const user& u, const std::string& target,
                   const json::value& body = nullptr) {
  return call(c, u, "POST", target, body);
}

// The matrix. Own objects of a role are created for that role's user; the
// other user's are otto's. 404 is "does not exist for you" (isolation), 403
// "you see it but your role may not" (the sentence names role and action), 409
// a state the action does not apply to. Approving one's own production plan
// is refused by separation of duties (403) even for an admin.
const std::vector<row>& matrix() {
  using f = fixture;
  static const std::vector<row> rows = {
      // clang-format off
      //                                                                   viewer      operator    approver    admin
      //                                                                   own  other  own  other  own  other  own  other
      {"GET /api/tasks/:id", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/tasks/" + x.task_id); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks/:id/events", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/tasks/" + x.task_id + "/events"); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks/:id/artifacts", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/tasks/" + x.task_id + "/artifacts"); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks/:id/artifacts/:name", state::completed,
       [](http_client& c, const user& u, const f& x) {
         return get(c, u, "/api/tasks/" + x.task_id + "/artifacts/" + x.artifact); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks/:id/archive", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/tasks/" + x.task_id + "/archive"); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks/:id/rollback/check", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/tasks/" + x.task_id + "/rollback/check"); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"GET /api/plans/:id", state::completed,
       [](http_client& c, const user& u, const f& x) { return get(c, u, "/api/plans/" + x.plan_id); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"POST /api/plans/:id/validate", state::completed,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/plans/" + x.plan_id + "/validate"); },
       {{{200, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"POST /api/plans/:id/optimize", state::completed,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/plans/" + x.plan_id + "/optimize"); },
       {{{403, 404}, {200, 404}, {403, 403}, {200, 200}}}},
      {"POST /api/safety/check", state::completed,
       [](http_client& c, const user& u, const f& x) {
         return post(c, u, "/api/safety/check",
                     json::object{{"task_id", x.task_id}, {"plan_id", x.plan_id}, {"type", "pre_execution"}}); },
       {{{403, 404}, {200, 404}, {200, 200}, {200, 200}}}},
      {"POST /api/tasks/:id/rollback", state::completed,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/tasks/" + x.task_id + "/rollback"); },
       {{{403, 404}, {200, 404}, {403, 403}, {200, 200}}}},
      {"POST /api/tasks/:id/execute", state::pending,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/tasks/" + x.task_id + "/execute"); },
       {{{403, 404}, {202, 404}, {403, 403}, {202, 202}}}},
      {"POST /api/tasks/:id/cancel", state::pending,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/tasks/" + x.task_id + "/cancel"); },
       {{{403, 404}, {200, 404}, {403, 403}, {200, 200}}}},
      // A pending task was never interrupted: allowed callers learn that (409).
      {"POST /api/tasks/:id/resume", state::pending,
       [](http_client& c, const user& u, const f& x) { return post(c, u, "/api/tasks/" + x.task_id + "/resume"); },
       {{{403, 404}, {409, 404}, {403, 403}, {409, 409}}}},
      {"POST /api/plans/:id/approve", state::awaiting_approval,
       [](http_client& c, const user& u, const f& x) {
         return post(c, u, "/api/plans/" + x.plan_id + "/approve", json::object{{"comment", "ok"}}); },
       {{{403, 404}, {403, 404}, {403, 200}, {403, 200}}}},
      {"POST /api/plans/:id/reject", state::awaiting_approval,
       [](http_client& c, const user& u, const f& x) {
         return post(c, u, "/api/plans/" + x.plan_id + "/reject", json::object{{"reason", "no"}}); },
       {{{403, 404}, {403, 404}, {200, 200}, {200, 200}}}},
      // clang-format on
  };
  return rows;
}

/// Endpoints without an object of a user: the status per role, and whether
/// the role's own user_id (own) or otto's (other) is named in the body.
struct open_row {
  const char* endpoint;
  std::function<http_response(http_client&, const user&, const std::string& named_user)> send;
  std::array<std::array<int, 2>, 4> expected;  // as in `row`
};

const std::vector<open_row>& open_matrix() {
  static const std::vector<open_row> rows = {
      // clang-format off
      //                                                                   viewer      operator    approver    admin
      //                                                                   own  other  own  other  own  other  own  other
      {"POST /api/tasks (body user_id)",
       [](http_client& c, const user& u, const std::string& named) {
         return post(c, u, "/api/tasks", body_for(named, "staging")); },
       {{{403, 403}, {201, 403}, {403, 403}, {201, 201}}}},
      {"POST /api/plans/generate",
       [](http_client& c, const user& u, const std::string&) {
         return post(c, u, "/api/plans/generate",
                     json::object{{"type", "generate"}, {"context", body_for("x", "staging").at("context")}}); },
       {{{403, 403}, {201, 201}, {403, 403}, {201, 201}}}},
      {"POST /api/plans/validate (inline)",
       [](http_client& c, const user& u, const std::string&) {
         return post(c, u, "/api/plans/validate", json::object{{"steps", json::array{}}}); },
       {{{200, 200}, {200, 200}, {200, 200}, {200, 200}}}},
      {"GET /api/tasks",
       [](http_client& c, const user& u, const std::string& named) {
         return get(c, u, "/api/tasks?user_id=" + named); },
       {{{200, 200}, {200, 200}, {200, 200}, {200, 200}}}},
      {"GET /api/events",
       [](http_client& c, const user& u, const std::string&) { return get(c, u, "/api/events"); },
       {{{200, 200}, {200, 200}, {200, 200}, {200, 200}}}},
      {"GET /api/statistics",
       [](http_client& c, const user& u, const std::string&) { return get(c, u, "/api/statistics"); },
       {{{200, 200}, {200, 200}, {200, 200}, {200, 200}}}},
      {"GET /api/safety/checks",
       [](http_client& c, const user& u, const std::string&) { return get(c, u, "/api/safety/checks"); },
       {{{200, 200}, {200, 200}, {200, 200}, {200, 200}}}},
      // clang-format on
  };
  return rows;
}

const std::array<const user*, 4> roles = {&vic, &olga, &abe, &ada};

/// Polls the task as `u` until it has `status` (the harness's wait_for_status
/// sends no token); fails after the deadline.
void wait_until_status(http_client& client, const user& u, const std::string& task_id,
                       const std::string& status,
                       std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto task = expect_ok(call(client, u, "GET", "/api/tasks/" + task_id), 200);
    if (text(task, "status") == status) return;
    if (std::chrono::steady_clock::now() > until)
      FAIL("task " << task_id << " did not reach " << status << "; last seen "
                   << json::serialize(task));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, as the harness
  }
}

std::vector<std::string> ids_of(const json::value& list) {
  std::vector<std::string> out;
  for (const auto& t : list.as_array()) out.push_back(text(t, "id"));
  return out;
}

// ---- authentication ----------------------------------------------------------------

TEST_CASE("Without a token, or with one the node does not know, every API call gets 401",
          "[e2e][auth]") {
  engine e(with_tokens());
  auto task_id = text(create_for(e.client, olga.name), "id");
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"GET", "/api/tasks"},           {"GET", "/api/tasks/" + task_id},
      {"POST", "/api/tasks"},          {"POST", "/api/tasks/" + task_id + "/cancel"},
      {"GET", "/api/events"},          {"GET", "/api/statistics"},
      {"GET", "/api/tasks/task_nope"}, {"GET", "/api/no/such/route"}};
  const std::vector<header_list> credentials = {
      {},
      {{"X-User-Id", "ada"}},  // a header naming a user is not a credential
      {{"From", "ada"}},
      {{"Authorization", "Bearer ce_not_a_token_this_node_knows"}},
      {{"Authorization", std::string("Basic ") + ada.token}},
      {{"Authorization", std::string("Bearer ") + sha256_hex(ada.token)}},  // the hash is not it
  };
  for (const auto& [method, target] : calls)
    for (const auto& headers : credentials) {
      INFO(method << " " << target << " with "
                  << (headers.empty() ? "no header" : headers[0].first + ": " + headers[0].second));
      auto answer = e.client.request(method, target, method == "POST" ? "{}" : "", headers);
      auto envelope = expect_error(answer, 401);
      CHECK(answer.header("WWW-Authenticate") == "Bearer");
      CHECK(text(envelope, "error").find("token") != std::string::npos);
    }
  // The probes stay open for load balancers.
  CHECK(e.client.get("/health").status == 200);
  CHECK(e.client.get("/ready").status == 200);
  // Nothing was changed by the refused calls.
  CHECK(text(expect_ok(call(e.client, olga, "GET", "/api/tasks/" + task_id), 200), "status") ==
        "pending");
}

TEST_CASE("With tokens the caller is the token's user; X-User-Id and From are ignored",
          "[e2e][auth]") {
  engine e(with_tokens());
  json::object body = task_body("aws", "staging", {"vpc"});
  body.erase("user_id");
  header_list headers = bearer(olga);
  headers.push_back({"X-User-Id", "ada"});
  headers.push_back({"From", "otto"});
  auto created =
      expect_ok(e.client.request("POST", "/api/tasks", json::serialize(body), headers), 201);
  CHECK(text(created, "user_id") == "olga");
}

TEST_CASE("token create prints a token that then works; the config keeps only its hash",
          "[e2e][auth]") {
  auto made = run_to_exit({"token", "create", "--user", "carol", "--role", "operator"});
  INFO("stdout: " << made.out << "\nstderr: " << made.err);
  REQUIRE(made.status.exited);
  REQUIRE(made.status.code == 0);
  std::istringstream lines(made.out);
  std::string line, token, config_line;
  while (std::getline(lines, line)) {
    if (line.rfind("  ce_", 0) == 0) token = line.substr(2);
    if (line.find("tokens = [") != std::string::npos)
      config_line = line.substr(line.find("tokens"));
  }
  REQUIRE_FALSE(token.empty());
  REQUIRE_FALSE(config_line.empty());
  CHECK(config_line == "tokens = [\"carol:operator:" + sha256_hex(token) + "\"]");
  CHECK(config_line.find(token) == std::string::npos);
  // Two runs never print the same token.
  auto again = run_to_exit({"token", "create", "--user", "carol", "--role", "operator"});
  CHECK(again.out.find(token) == std::string::npos);

  char path[] = "/tmp/ce-auth-config-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << config_line << "\n";
  server_options options;
  options.args = {"--config", path};
  engine e(std::move(options));
  auto created = expect_ok(
      e.client.request("POST", "/api/tasks", json::serialize(body_for("carol", "staging")),
                       {{"Authorization", "Bearer " + token}}),
      201);
  CHECK(text(created, "user_id") == "carol");
  expect_error(e.client.post("/api/tasks", body_for("carol", "staging")), 401);
  std::remove(path);
}

TEST_CASE("Malformed token entries stop the start, every one listed", "[e2e][auth]") {
  auto run = run_to_exit({"--port", "0", "--ws-port", "0", "--tokens",
                          "ann:root:" + sha256_hex("a") + ",bo:viewer:ce_a_plain_token"});
  INFO("stderr: " << run.err);
  REQUIRE(run.status.exited);
  CHECK(run.status.code != 0);
  CHECK(run.err.find("ann:root") != std::string::npos);
  CHECK(run.err.find("bo:viewer") != std::string::npos);
  CHECK(run.err.find("ce_a_plain_token") == std::string::npos);
  CHECK(run.out.find("listening") == std::string::npos);
}

TEST_CASE("With tokens configured the node may listen beyond loopback", "[e2e][auth][bind]") {
  engine e(with_tokens({"--bind", "0.0.0.0"}));
  CHECK(e.server.listening_line().find("http=0.0.0.0:") != std::string::npos);
  expect_ok(call(e.client, vic, "GET", "/api/tasks"), 200);
}

// ---- the authorisation matrix ------------------------------------------------------

TEST_CASE("Authorisation matrix: every endpoint, every role, own and another user's object",
          "[e2e][auth][matrix]") {
  engine e(with_tokens());
  for (const auto& r : matrix()) {
    for (std::size_t i = 0; i < roles.size(); ++i) {
      const user& caller = *roles[i];
      for (int other = 0; other < 2; ++other) {
        const std::string owner = other ? otto.name : caller.name;
        auto x = make_fixture(e.client, owner, r.needs);
        auto answer = r.send(e.client, caller, x);
        int expected = r.expected[i][static_cast<std::size_t>(other)];
        INFO(r.endpoint << " as " << caller.role << " on " << (other ? "another user's" : "own")
                        << " object: " << answer.status << " " << answer.body.substr(0, 300));
        CHECK(answer.status == expected);
        if (expected == 403 && answer.status == 403) {
          auto sentence = text(answer.json(), "error");
          // The role and the action are named, or separation of duties is.
          CHECK((sentence.find(std::string("role ") + caller.role) != std::string::npos ||
                 sentence.find("separation of duties") != std::string::npos));
        }
      }
    }
  }
  for (const auto& r : open_matrix()) {
    for (std::size_t i = 0; i < roles.size(); ++i) {
      const user& caller = *roles[i];
      for (int other = 0; other < 2; ++other) {
        auto answer = r.send(e.client, caller, other ? otto.name : caller.name);
        INFO(r.endpoint << " as " << caller.role << " naming "
                        << (other ? "another user" : "itself") << ": " << answer.status << " "
                        << answer.body.substr(0, 300));
        CHECK(answer.status == r.expected[i][static_cast<std::size_t>(other)]);
      }
    }
  }
}

// ---- isolation ---------------------------------------------------------------------

TEST_CASE("Another user's task and plan answer 404 exactly as unknown ids do",
          "[e2e][auth][isolation]") {
  engine e(with_tokens());
  auto hidden = make_fixture(e.client, otto.name, state::completed);
  auto unknown_task = "task_00000000000000000000000000";
  auto unknown_plan = "plan_00000000000000000000000000";
  auto same_shape = [&](const std::string& hidden_target, const std::string& unknown_target,
                        const std::string& hidden_id, const std::string& unknown_id) {
    auto a = call(e.client, olga, "GET", hidden_target);
    auto b = call(e.client, olga, "GET", unknown_target);
    INFO(hidden_target << " -> " << a.body << "\n" << unknown_target << " -> " << b.body);
    CHECK(a.status == 404);
    CHECK(b.status == 404);
    auto sentence = text(a.json(), "error");
    auto replaced = sentence;
    replaced.replace(replaced.find(hidden_id), hidden_id.size(), unknown_id);
    CHECK(replaced == text(b.json(), "error"));
  };
  same_shape("/api/tasks/" + hidden.task_id, std::string("/api/tasks/") + unknown_task,
             hidden.task_id, unknown_task);
  same_shape("/api/tasks/" + hidden.task_id + "/events",
             std::string("/api/tasks/") + unknown_task + "/events", hidden.task_id, unknown_task);
  same_shape("/api/plans/" + hidden.plan_id, std::string("/api/plans/") + unknown_plan,
             hidden.plan_id, unknown_plan);
}

TEST_CASE("Lists, events and statistics show a user only their own; admins see all",
          "[e2e][auth][isolation]") {
  // The store answers lists and statistics with queries; memory-only, the registry does.
  auto store = GENERATE(as<std::string>{}, "sqlite", "memory");
  INFO("--store " << store);
  engine e(with_tokens({"--store", store}));
  auto own = make_fixture(e.client, vic.name, state::completed);
  auto other1 = make_fixture(e.client, otto.name, state::completed);
  auto other2 = text(create_for(e.client, otto.name), "id");

  auto vic_tasks = ids_of(expect_ok(call(e.client, vic, "GET", "/api/tasks"), 200));
  CHECK(vic_tasks == std::vector<std::string>{own.task_id});
  CHECK(expect_ok(call(e.client, vic, "GET", "/api/tasks?user_id=otto"), 200).as_array().empty());
  auto all = ids_of(expect_ok(call(e.client, ada, "GET", "/api/tasks"), 200));
  CHECK(all.size() == 3);
  auto approver_sees = ids_of(expect_ok(call(e.client, abe, "GET", "/api/tasks"), 200));
  CHECK(approver_sees.size() == 3);  // an approver reads what it must decide on

  auto vic_events = call(e.client, vic, "GET", "/api/events?limit=1000");
  auto events = expect_ok(vic_events, 200);
  REQUIRE_FALSE(events.as_array().empty());
  for (const auto& ev : events.as_array()) CHECK(text(ev, "task_id") == own.task_id);
  CHECK(vic_events.json().at("total").to_number<int64_t>() ==
        static_cast<int64_t>(events.as_array().size()));
  CHECK(expect_ok(call(e.client, vic, "GET", "/api/events?task_id=" + other1.task_id), 200)
            .as_array()
            .empty());

  auto mine = expect_ok(call(e.client, vic, "GET", "/api/statistics"), 200);
  CHECK(mine.at("total_tasks").to_number<int64_t>() == 1);
  CHECK(mine.at("total_events").to_number<int64_t>() ==
        static_cast<int64_t>(events.as_array().size()));
  auto everything = expect_ok(call(e.client, ada, "GET", "/api/statistics"), 200);
  CHECK(everything.at("total_tasks").to_number<int64_t>() == 3);
  (void)other2;
}

// ---- separation of duties ----------------------------------------------------------

TEST_CASE("Nobody approves their own production plan; another approver's name is recorded",
          "[e2e][auth][approval]") {
  engine e(with_tokens());
  // An admin's own production task: even an admin may not approve it.
  auto x = make_fixture(e.client, ada.name, state::awaiting_approval);
  auto own = expect_error(call(e.client, ada, "POST", "/api/plans/" + x.plan_id + "/approve",
                               json::object{{"comment", "mine"}}),
                          403);
  CHECK(text(own, "error").find("separation of duties") != std::string::npos);
  CHECK(text(expect_ok(call(e.client, ada, "GET", "/api/tasks/" + x.task_id), 200), "status") ==
        "awaiting_approval");
  // Naming someone else as the approver is not a way around it.
  expect_error(call(e.client, ada, "POST", "/api/plans/" + x.plan_id + "/approve",
                    json::object{{"approved_by", "abe"}}),
               403);

  auto approved = expect_ok(call(e.client, abe, "POST", "/api/plans/" + x.plan_id + "/approve",
                                 json::object{{"comment", "reviewed"}}),
                            200);
  CHECK(text(approved, "approved_by") == "abe");
  wait_until_status(e.client, ada, x.task_id, "completed");
  auto plan = expect_ok(call(e.client, ada, "GET", "/api/plans/" + x.plan_id), 200);
  CHECK(text(plan, "approved_by") == "abe");
  auto events = expect_ok(call(e.client, ada, "GET", "/api/tasks/" + x.task_id + "/events"), 200);
  int approvals = 0;
  for (const auto& ev : events.as_array())
    if (text(ev, "type") == "plan_approved") {
      ++approvals;
      CHECK(json::serialize(ev.at("data")).find("\"abe\"") != std::string::npos);
    }
  CHECK(approvals == 1);
}

TEST_CASE("Self-approval is refused in the environments configured, and only there",
          "[e2e][auth][approval]") {
  // Production's own approvals allowed when the operator of the node says so.
  engine e(with_tokens({"--no-self-approval-in", "staging"}));
  auto x = make_fixture(e.client, ada.name, state::awaiting_approval);
  auto approved = expect_ok(
      call(e.client, ada, "POST", "/api/plans/" + x.plan_id + "/approve", json::object{}), 200);
  CHECK(text(approved, "approved_by") == "ada");
}

// ---- WebSocket ---------------------------------------------------------------------

ws_connect_options ws_to(uint16_t port, const std::string& authorization = {}) {
  ws_connect_options o;
  o.port = port;
  o.authorization = authorization;
  return o;
}

TEST_CASE("A WebSocket subscribes only once authenticated, by header or first message",
          "[e2e][auth][websocket]") {
  engine e(with_tokens());
  auto task_id = text(create_for(e.client, vic.name), "id");

  ws_client anonymous(ws_to(e.server.http_port()));
  REQUIRE(anonymous.next_of_type("connected", message_deadline));
  auto refused = anonymous.subscribe("*");
  CHECK(text(refused, "type") == "error");
  CHECK(text(refused, "message").find("authentication required") != std::string::npos);
  anonymous.send_json(json::object{{"type", "auth"}, {"token", "ce_wrong"}});
  auto wrong = anonymous.next_of_type("error", message_deadline);
  REQUIRE(wrong);
  CHECK(text(*wrong, "message").find("not valid") != std::string::npos);
  CHECK(text(anonymous.subscribe(task_id), "type") == "error");
  anonymous.send_json(json::object{{"type", "auth"}, {"token", vic.token}});
  auto welcomed = anonymous.next_of_type("authenticated", message_deadline);
  REQUIRE(welcomed);
  CHECK(text(*welcomed, "user_id") == "vic");
  CHECK(text(*welcomed, "role") == "viewer");
  CHECK(text(anonymous.subscribe(task_id), "type") == "subscribed");

  ws_client by_header(ws_to(e.server.ws_port(), std::string("Bearer ") + vic.token));
  REQUIRE(by_header.next_of_type("connected", message_deadline));
  CHECK(text(by_header.subscribe(task_id), "type") == "subscribed");

  try {
    ws_client bad(ws_to(e.server.http_port(), "Bearer ce_wrong"));
    FAIL("an upgrade with an unknown token was accepted");
  } catch (const ws_handshake_rejected& rejected) {
    CHECK(rejected.status == 401);
  }
}

TEST_CASE(
    "A viewer's \"*\" sees only their tasks' events; another user's task is refused as "
    "unknown",
    "[e2e][auth][websocket]") {
  engine e(with_tokens());
  ws_client viewer(ws_to(e.server.http_port(), std::string("Bearer ") + vic.token));
  REQUIRE(viewer.next_of_type("connected", message_deadline));
  REQUIRE(text(viewer.subscribe("*"), "type") == "subscribed");
  ws_client admin(ws_to(e.server.http_port(), std::string("Bearer ") + ada.token));
  REQUIRE(admin.next_of_type("connected", message_deadline));
  REQUIRE(text(admin.subscribe("*"), "type") == "subscribed");

  auto others = make_fixture(e.client, otto.name, state::completed);
  auto mine =
      make_fixture(e.client, vic.name, state::completed);  // after otto's: its events come last

  // The admin sees both tasks complete; the viewer's stream up to its own
  // task_completed holds nothing of otto's.
  std::set<std::string> completed_for_admin;
  while (completed_for_admin.size() < 2) {
    auto m = admin.next_of_type("task_event", message_deadline);
    REQUIRE(m);
    if (text(m->at("event"), "type") == "task_completed")
      completed_for_admin.insert(text(*m, "task_id"));
  }
  CHECK(completed_for_admin == std::set<std::string>{others.task_id, mine.task_id});
  bool own_completed = false;
  while (!own_completed) {
    auto m = viewer.next_of_type("task_event", message_deadline);
    REQUIRE(m);
    CHECK(text(*m, "task_id") == mine.task_id);
    CHECK(text(m->at("event"), "user_id") == "vic");
    own_completed = text(m->at("event"), "type") == "task_completed";
  }

  // Subscribing to otto's task answers what an unknown id answers.
  auto hidden = viewer.subscribe(others.task_id);
  auto unknown = viewer.subscribe("task_00000000000000000000000000");
  CHECK(text(hidden, "type") == "error");
  CHECK(text(hidden, "message") == "unknown task id " + others.task_id + "; not subscribed");
  CHECK(text(unknown, "message") ==
        std::string("unknown task id task_00000000000000000000000000; not subscribed"));
  // Replays are filtered too: since 0 gives only the viewer's own events.
  ws_client replay(ws_to(e.server.http_port(), std::string("Bearer ") + vic.token));
  REQUIRE(replay.next_of_type("connected", message_deadline));
  REQUIRE(text(replay.subscribe("*", 0), "type") == "subscribed");
  bool replayed_own_completion = false;
  while (!replayed_own_completion) {
    auto m = replay.next_of_type("task_event", message_deadline);
    REQUIRE(m);
    CHECK(text(*m, "task_id") == mine.task_id);
    replayed_own_completion = text(m->at("event"), "type") == "task_completed";
  }
}

}  // namespace
}  // namespace ce::e2e

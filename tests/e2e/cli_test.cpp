// core-engine-cli against the real server: every command, --json for scripts,
// --watch with its exit codes, the server's sentences on errors, tokens.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "tests/e2e/support/api.hpp"
#include "tests/support/temp_dir.hpp"

namespace ce::e2e {

namespace {

using namespace std::chrono_literals;

// The client's documented exit codes (client/commands.hpp).
constexpr int exit_ok = 0, exit_refused = 1, exit_usage = 2, exit_failed = 3, exit_cancelled = 4,
              exit_unreachable = 5;

std::string url_of(const engine& e) {
  return "http://127.0.0.1:" + std::to_string(e.server.http_port());
}

/// Runs core-engine-cli against `e` with `args`; the machine's own
/// CORE_ENGINE_URL/TOKEN are blanked so that only the test's flags count.
run_result cli(const engine& e, std::vector<std::string> args,
               std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {"--url", url_of(e)});
  env.emplace("CORE_ENGINE_TOKEN", "");
  env.emplace("CORE_ENGINE_URL", "");
  return run_to_exit(args, env, 120s, core_engine_cli_binary());
}

json::value json_out(const run_result& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  json::value v;
  REQUIRE_NOTHROW(v = json::parse(r.out));
  return v;
}

std::string create_with_cli(const engine& e, const std::string& environment,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--json",        "create",    "--provider",   "aws",
                                   "--environment", environment, "--components", "vpc,s3"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = cli(e, args);
  REQUIRE(r.status.code == exit_ok);
  return text(json_out(r), "id");
}

}  // namespace

TEST_CASE("the cli creates, runs with --watch, shows, lists and downloads a task", "[e2e][cli]") {
  engine e;
  auto created = cli(e, {"create", "--provider", "aws", "--environment", "staging", "--components",
                         "vpc, eks", "--region", "eu-west-1", "--priority", "high", "--user",
                         "carol", "--requirements", R"({"eks_version":"1.28"})"});
  INFO(created.err);
  REQUIRE(created.status.code == exit_ok);
  REQUIRE(created.out.rfind("created task_", 0) == 0);
  auto id = created.out.substr(8, created.out.find(' ', 8) - 8);
  auto stored = get_task(e.client, id);
  CHECK(text(stored, "user_id") == "carol");
  CHECK(text(stored, "priority") == "high");
  CHECK(text(stored["context"], "region") == "eu-west-1");
  CHECK(strings(stored["context"].as_object()["components"]) ==
        std::vector<std::string>{"vpc", "eks"});
  CHECK(text(stored["context"].as_object()["requirements"], "eks_version") == "1.28");

  auto watched = cli(e, {"execute", id, "--watch"});
  INFO(watched.out << watched.err);
  CHECK(watched.status.code == exit_ok);
  // Piped: plain lines, no escape sequences, the bar filling up to every step.
  CHECK(watched.out.find('\x1b') == std::string::npos);
  CHECK(watched.out.find("0/") != std::string::npos);
  CHECK(watched.out.find("running: ") != std::string::npos);
  auto plan = expect_ok(
      e.client.get("/api/plans/" + text(get_task(e.client, id)["execution"], "plan_id")), 200);
  auto steps = std::to_string(plan.at("steps").as_array().size());
  CHECK(watched.out.find(steps + "/" + steps + " steps") != std::string::npos);
  CHECK(watched.out.find("task " + id + " completed") != std::string::npos);

  auto shown = cli(e, {"get", id});
  CHECK(shown.status.code == exit_ok);
  CHECK(shown.out.find(id + "  completed") != std::string::npos);
  CHECK(shown.out.find("artifacts:") != std::string::npos);
  auto as_json = json_out(cli(e, {"--json", "get", id}));
  CHECK(text(as_json, "status") == "completed");  // the data object, nothing else

  auto listed = json_out(cli(e, {"--json", "list", "--status", "completed", "--user", "carol"}));
  REQUIRE(listed.as_array().size() == 1);
  CHECK(text(listed.as_array()[0], "id") == id);
  auto none = json_out(cli(e, {"--json", "list", "--status", "failed"}));
  CHECK(none.as_array().empty());

  auto events = cli(e, {"events", id});
  CHECK(events.status.code == exit_ok);
  CHECK(events.out.find("task_created") != std::string::npos);
  CHECK(events.out.find("task_completed") != std::string::npos);

  ce::testing::temp_dir folder;
  auto downloaded = cli(e, {"artifacts", id, "--download", folder.path() + "/out"});
  INFO(downloaded.err);
  REQUIRE(downloaded.status.code == exit_ok);
  auto listing = expect_ok(e.client.get("/api/tasks/" + id + "/artifacts"), 200);
  REQUIRE(!listing.as_array().empty());
  for (const auto& a : listing.as_array()) {
    auto path = folder.path() + "/out/" + text(a, "name");
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(sha256_hex(bytes) == text(a, "checksum"));
  }
}

TEST_CASE("on a terminal --watch redraws one line in place, in colour", "[e2e][cli]") {
  // util-linux `script` gives the client a pseudo-terminal as stdout.
  REQUIRE(::access("/usr/bin/script", X_OK) == 0);
  engine e;
  auto id = create_with_cli(e, "staging");
  auto command = core_engine_cli_binary() + " --url " + url_of(e) + " execute " + id + " --watch";
  auto r = run_to_exit({"-qec", command, "/dev/null"}, {{"CORE_ENGINE_TOKEN", ""}}, 120s,
                       "/usr/bin/script");
  INFO(r.out << r.err);
  CHECK(r.status.code == exit_ok);
  CHECK(r.out.find("\r\x1b[2K[") != std::string::npos);  // back to the line's start, erase, draw
  CHECK(r.out.find("\x1b[32m") != std::string::npos);    // green: the bar and "completed"
  CHECK(r.out.find("task " + id + " completed") != std::string::npos);
}

TEST_CASE("list pages with --limit and --cursor, and --all follows every page", "[e2e][cli]") {
  engine e;
  constexpr int tasks = 5;  // three pages of two
  for (int i = 0; i < tasks; ++i) create_with_cli(e, "staging");
  auto first = cli(e, {"list", "--limit", "2"});
  CHECK(first.status.code == exit_ok);
  auto more = first.out.find("more: --cursor ");
  REQUIRE(more != std::string::npos);
  auto cursor = first.out.substr(more + 15, first.out.find('\n', more) - more - 15);
  auto second = json_out(cli(e, {"--json", "list", "--limit", "2", "--cursor", cursor}));
  CHECK(second.as_array().size() == 2);
  auto all = json_out(cli(e, {"--json", "list", "--limit", "2", "--all"}));
  CHECK(all.as_array().size() == tasks);
}

TEST_CASE("--watch exits non-zero with the errors when the task fails", "[e2e][cli]") {
  engine e;
  auto id = create_with_cli(e, "staging",
                            {"--type", "deploy", "--requirements",
                             R"({"simulate":{"fail_step":"apply","error":"quota exceeded"}})"});
  auto watched = cli(e, {"execute", id, "--watch"});
  CHECK(watched.status.code == exit_failed);
  CHECK(watched.err.find("task " + id + " failed") != std::string::npos);
  CHECK(watched.err.find("quota exceeded") != std::string::npos);
}

TEST_CASE("--watch waits through an approval; approve and reject take a task id", "[e2e][cli]") {
  engine e;
  SECTION("approved: the watch ends completed") {
    auto id = create_with_cli(e, "production");
    auto watch = std::async(std::launch::async, [&] { return cli(e, {"execute", id, "--watch"}); });
    wait_for_status(e.client, id, {"awaiting_approval"});
    auto approved = cli(e, {"approve", id, "--comment", "reviewed"});
    INFO(approved.err);
    CHECK(approved.status.code == exit_ok);
    CHECK(approved.out.rfind("approved plan_", 0) == 0);
    auto watched = watch.get();
    INFO(watched.out << watched.err);
    CHECK(watched.status.code == exit_ok);
    CHECK(watched.out.find("awaiting approval of plan_") != std::string::npos);
  }
  SECTION("rejected: the watch ends cancelled with the reason") {
    auto id = create_with_cli(e, "production");
    auto watch = std::async(std::launch::async, [&] { return cli(e, {"execute", id, "--watch"}); });
    wait_for_status(e.client, id, {"awaiting_approval"});
    CHECK(cli(e, {"reject", id, "--reason", "too expensive"}).status.code == exit_ok);
    auto watched = watch.get();
    CHECK(watched.status.code == exit_cancelled);
    CHECK(watched.err.find("too expensive") != std::string::npos);
  }
}

TEST_CASE("events --follow streams until the task ends", "[e2e][cli]") {
  engine e;
  auto id = create_with_cli(e, "production");
  expect_ok(e.client.post("/api/tasks/" + id + "/execute"), 202);
  wait_for_status(e.client, id, {"awaiting_approval"});
  auto follow = std::async(std::launch::async, [&] { return cli(e, {"events", id, "--follow"}); });
  auto plan_id = text(get_task(e.client, id)["execution"], "plan_id");
  expect_ok(e.client.post("/api/plans/" + plan_id + "/approve", json::object{}), 200);
  auto followed = follow.get();
  CHECK(followed.status.code == exit_ok);
  CHECK(followed.out.find("approval_required") != std::string::npos);
  CHECK(followed.out.find("task_completed") != std::string::npos);
}

TEST_CASE("cancel and rollback answer with the server's message", "[e2e][cli]") {
  engine e;
  auto id = create_with_cli(e, "staging");
  auto cancelled = cli(e, {"cancel", id});
  CHECK(cancelled.status.code == exit_ok);
  CHECK(cancelled.out == "Task " + id + " cancelled\n");
  auto again = cli(e, {"cancel", id});
  CHECK(again.status.code == exit_refused);
  auto rollback = cli(e, {"rollback", id});
  CHECK(rollback.status.code != exit_usage);  // reached the server either way
}

TEST_CASE("errors are the server's sentence, not JSON", "[e2e][cli]") {
  engine e;
  auto missing = cli(e, {"get", "task_does_not_exist"});
  CHECK(missing.status.code == exit_refused);
  CHECK(missing.err.find("core-engine-cli: ") == 0);
  CHECK(missing.err.find('{') == std::string::npos);
  auto bad = cli(e, {"create", "--provider", "mars", "--environment", "x", "--components", "vpc"});
  CHECK(bad.status.code == exit_refused);
  CHECK(bad.err.find("context.provider") != std::string::npos);
  auto usage = cli(e, {"create", "--provider", "aws"});
  CHECK(usage.status.code == exit_usage);
  auto nowhere =
      run_to_exit({"--url", "http://127.0.0.1:" + std::to_string(free_tcp_port()), "get", "task_x"},
                  {{"CORE_ENGINE_TOKEN", ""}}, 30s, core_engine_cli_binary());
  CHECK(nowhere.status.code == exit_unreachable);
  CHECK(nowhere.err.find("cannot reach the engine") != std::string::npos);
}

TEST_CASE("the token comes from --token or CORE_ENGINE_TOKEN", "[e2e][cli]") {
  const std::string token = "ce_test_token_of_olga_the_operator";
  server_options options;
  options.args = {"--tokens", "olga:operator:" + sha256_hex(token)};
  engine e(options);
  auto refused = cli(e, {"list"});
  CHECK(refused.status.code == exit_refused);
  CHECK(refused.err.find("token") != std::string::npos);
  CHECK(cli(e, {"--token", token, "list"}).status.code == exit_ok);
  auto id = text(json_out(cli(e,
                              {"--json", "create", "--provider", "aws", "--environment", "staging",
                               "--components", "vpc"},
                              {{"CORE_ENGINE_TOKEN", token}})),
                 "id");
  // --watch authenticates its WebSocket with the same token.
  auto watched = cli(e, {"execute", id, "--watch"}, {{"CORE_ENGINE_TOKEN", token}});
  INFO(watched.err);
  CHECK(watched.status.code == exit_ok);
}

}  // namespace ce::e2e

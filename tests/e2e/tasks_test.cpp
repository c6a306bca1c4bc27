// The task endpoints of the contract, driven over HTTP against the real binary:
// lifecycle, listing, filters, pagination, cancel, reject, events, artifacts,
// statistics and readiness.
#include <catch2/catch.hpp>

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "tests/e2e/support/api.hpp"

namespace ce::e2e {
namespace {

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> ids_of(const std::vector<page>& pages) {
  std::vector<std::string> ids;
  for (const auto& page : pages)
    for (const auto& item : page.items) ids.push_back(text(item, "id"));
  return ids;
}

std::vector<std::string> event_types(const json::value& events) {
  std::vector<std::string> types;
  for (const auto& event : events.as_array()) types.push_back(text(event, "type"));
  return types;
}

int64_t number_at(const json::value& object, const char* key) {
  auto* found = object.as_object().if_contains(key);
  return found == nullptr ? 0 : found->to_number<int64_t>();
}

/// Runs a staging task to its end with ?wait=true and returns the answer's data.
json::object run_to_end(http_client& client, const json::value& body) {
  auto task_id = text(create_task(client, body), "id");
  auto done = expect_ok(client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  REQUIRE(done.is_object());
  return done.as_object();
}

}  // namespace

TEST_CASE("GET /ready answers 200 once the server is listening", "[e2e][ready]") {
  engine e;
  auto ready = e.client.get("/ready");
  INFO(ready.body);
  CHECK(ready.status == 200);
}

TEST_CASE("a staging task executed with wait=true completes with plan, results and verification",
          "[e2e][tasks]") {
  engine e;
  auto done = run_to_end(e.client, task_body("aws", "staging", {"vpc", "eks", "rds"}));
  INFO(json::serialize(done));
  for (const char* part : {"task", "plan", "executionResults", "verificationResult"})
    REQUIRE(done.contains(part));

  const auto& task = done.at("task");
  CHECK(text(task, "status") == "completed");
  CHECK(task.at("result").at("success").as_bool());
  auto artifacts = strings(task.at("result").at("artifacts"));
  for (const char* expected : {"vpc.tf", "eks.tf", "rds.tf", "main.tf", "outputs.tf", "README.md"})
    CHECK(contains(artifacts, expected));

  // A small non-production plan is approved by policy, not by a person.
  const auto& plan = done.at("plan");
  CHECK(text(plan, "approved_by") == "policy");
  CHECK(text(task.at("execution"), "plan_id") == text(plan, "id"));
  std::set<std::string> step_ids;
  for (const auto& step : plan.at("steps").as_array()) step_ids.insert(text(step, "id"));

  const auto& results = done.at("executionResults").as_array();
  CHECK(results.size() == step_ids.size());  // one result per plan step
  for (const auto& result : results) {
    CHECK(step_ids.count(text(result, "step_id")) == 1);
    CHECK(text(result, "status") == "success");
    CHECK(text(result, "plan_id") == text(plan, "id"));
  }

  const auto& verification = done.at("verificationResult");
  auto verdict = text(verification, "status");
  CHECK((verdict == "passed" || verdict == "warning"));
  const auto& summary = verification.at("summary");
  auto total = number_at(summary, "total_checks");
  CHECK(total == static_cast<int64_t>(verification.at("checks").as_array().size()));
  CHECK(number_at(summary, "passed") + number_at(summary, "failed") +
            number_at(summary, "warnings") <=
        total);
  CHECK(number_at(summary, "failed") == 0);
  std::set<std::string> categories;
  for (const auto& check : verification.at("checks").as_array())
    categories.insert(text(check, "type"));
  CHECK(categories ==
        std::set<std::string>{"security", "compliance", "functionality", "performance", "cost"});
}

TEST_CASE("statistics move as tasks are created and complete", "[e2e][statistics]") {
  engine e;
  auto before = expect_ok(e.client.get("/api/statistics"), 200);
  for (const char* key :
       {"total_tasks", "by_status", "by_type", "average_duration", "success_rate"})
    REQUIRE(before.as_object().contains(key));
  CHECK(number_at(before, "total_tasks") == 0);  // a fresh data directory

  run_to_end(e.client, task_body("aws", "staging", {"vpc", "s3"}));
  run_to_end(e.client, task_body("gcp", "staging", {"vpc", "gcs"}));
  create_task(e.client, task_body("azure", "dev", {"vnet"}, "analyze"));

  auto after = expect_ok(e.client.get("/api/statistics"), 200);
  INFO(json::serialize(after));
  CHECK(number_at(after, "total_tasks") == 3);
  CHECK(number_at(after.at("by_status"), "completed") == 2);
  CHECK(number_at(after.at("by_status"), "pending") == 1);
  CHECK(number_at(after.at("by_type"), "generate") == 2);
  CHECK(number_at(after.at("by_type"), "analyze") == 1);
  CHECK(after.at("success_rate").to_number<double>() > 0);
  CHECK(after.at("average_duration").to_number<double>() > 0);
}

TEST_CASE("task listing filters by user_id, status, type and priority", "[e2e][tasks][list]") {
  engine e;
  auto& client = e.client;
  auto alice_high = task_body("aws", "staging", {"vpc"});
  alice_high["user_id"] = "alice";
  alice_high["priority"] = "high";
  auto alice_deploy = task_body("aws", "staging", {"s3"}, "deploy");
  alice_deploy["user_id"] = "alice";
  auto bob_low = task_body("gcp", "staging", {"gcs"});
  bob_low["user_id"] = "bob";
  bob_low["priority"] = "low";
  auto alice_high_id = text(create_task(client, alice_high), "id");
  auto alice_deploy_id = text(create_task(client, alice_deploy), "id");
  auto bob_low_id = text(create_task(client, bob_low), "id");
  CHECK(text(get_task(client, alice_deploy_id), "priority") == "medium");  // contract default
  expect_ok(client.post("/api/tasks/" + bob_low_id + "/cancel"), 200);

  auto ids = [&](const std::string& query) {
    auto found = ids_of(get_all_pages(client, "/api/tasks?" + query, 50));
    std::sort(found.begin(), found.end());
    return found;
  };
  auto sorted = [](std::vector<std::string> names) {
    std::sort(names.begin(), names.end());
    return names;
  };
  CHECK(ids("user_id=alice") == sorted({alice_high_id, alice_deploy_id}));
  CHECK(ids("user_id=bob") == sorted({bob_low_id}));
  CHECK(ids("user_id=nobody").empty());
  CHECK(ids("status=cancelled") == sorted({bob_low_id}));
  CHECK(ids("status=pending") == sorted({alice_high_id, alice_deploy_id}));
  CHECK(ids("type=deploy") == sorted({alice_deploy_id}));
  CHECK(ids("type=generate") == sorted({alice_high_id, bob_low_id}));
  CHECK(ids("priority=high") == sorted({alice_high_id}));
  CHECK(ids("priority=low") == sorted({bob_low_id}));
  CHECK(ids("user_id=alice&priority=medium") == sorted({alice_deploy_id}));

  // An unknown filter value is bad input, not an empty list.
  auto bad_status = expect_error(client.get("/api/tasks?status=sleeping"), 400);
  CHECK(contains(detail_fields(bad_status), "status"));
}

TEST_CASE("task pages follow next_cursor newest first without duplicates", "[e2e][tasks][list]") {
  engine e;
  constexpr int task_count = 7;  // not a multiple of the page size: the last page is short
  constexpr int page_size = 3;
  std::vector<std::string> created;
  for (int i = 0; i < task_count; ++i)
    created.push_back(text(create_task(e.client, task_body("aws", "staging", {"vpc"})), "id"));

  auto pages = get_all_pages(e.client, "/api/tasks", page_size);
  CHECK(pages.size() == 3);  // ceil(7 / 3)
  for (std::size_t i = 0; i + 1 < pages.size(); ++i)
    CHECK(pages[i].items.size() == static_cast<std::size_t>(page_size));
  auto listed = ids_of(pages);
  std::vector<std::string> newest_first(created.rbegin(), created.rend());
  CHECK(listed == newest_first);
  CHECK(std::set<std::string>(listed.begin(), listed.end()).size() == listed.size());
  std::string previous_created_at = "9999";
  for (const auto& page : pages)
    for (const auto& task : page.items) {
      CHECK(text(task, "created_at") <= previous_created_at);  // ISO 8601 sorts as text
      previous_created_at = text(task, "created_at");
    }

  // A page as large as the store has no next_cursor.
  auto single = get_page(e.client, "/api/tasks", 1000);
  CHECK(single.items.size() == static_cast<std::size_t>(task_count));
  CHECK_FALSE(single.next_cursor.has_value());

  auto bad_limit = expect_error(e.client.get("/api/tasks?limit=-1"), 400);
  CHECK(contains(detail_fields(bad_limit), "limit"));
}

TEST_CASE("cancel stops a pending task and refuses a completed one with 409", "[e2e][tasks]") {
  engine e;
  auto pending_id = text(create_task(e.client, task_body("aws", "staging", {"vpc"})), "id");
  auto cancel = e.client.post("/api/tasks/" + pending_id + "/cancel");
  INFO(cancel.body);
  REQUIRE(cancel.status == 200);
  auto cancel_body = cancel.json();
  CHECK(cancel_body.at("success").as_bool());
  CHECK_FALSE(text(cancel_body, "message").empty());
  CHECK(text(get_task(e.client, pending_id), "status") == "cancelled");
  auto events = expect_ok(e.client.get("/api/tasks/" + pending_id + "/events"), 200);
  CHECK(contains(event_types(events), "task_cancelled"));
  expect_error(e.client.post("/api/tasks/" + pending_id + "/cancel"), 409);
  expect_error(e.client.post("/api/tasks/" + pending_id + "/execute"), 409);

  auto done = run_to_end(e.client, task_body("aws", "staging", {"vpc"}));
  auto completed_id = text(done.at("task"), "id");
  expect_error(e.client.post("/api/tasks/" + completed_id + "/cancel"), 409);
  CHECK(text(get_task(e.client, completed_id), "status") == "completed");
}

TEST_CASE("a rejected production plan ends its task cancelled with the reason",
          "[e2e][tasks][approval]") {
  engine e;
  auto task_id = text(create_task(e.client, task_body("aws", "production", {"vpc", "rds"})), "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/execute"), 202);
  auto waiting = wait_for_status(e.client, task_id, {"awaiting_approval", "completed", "failed"});
  REQUIRE(text(waiting, "status") == "awaiting_approval");
  auto plan_id = text(waiting.at("execution"), "plan_id");

  const std::string reason = "change freeze until Monday";
  expect_ok(e.client.post("/api/plans/" + plan_id + "/reject", json::object{{"reason", reason}}),
            200);
  auto ended = wait_for_status(e.client, task_id, {"cancelled", "completed", "failed"});
  CHECK(text(ended, "status") == "cancelled");
  CHECK(json::serialize(ended).find(reason) != std::string::npos);
  CHECK(text(expect_ok(e.client.get("/api/plans/" + plan_id), 200), "status") == "rejected");
  auto types = event_types(expect_ok(e.client.get("/api/tasks/" + task_id + "/events"), 200));
  CHECK(contains(types, "approval_required"));
  CHECK(contains(types, "plan_rejected"));
  CHECK(contains(types, "task_cancelled"));
  CHECK_FALSE(contains(types, "execution_started"));

  // A decided plan cannot be approved afterwards.
  expect_error(e.client.post("/api/plans/" + plan_id + "/approve", json::object{}), 409);
}

TEST_CASE("cancelling a task that awaits approval ends it without executing anything",
          "[e2e][tasks][approval]") {
  engine e;
  auto task_id = text(create_task(e.client, task_body("aws", "production", {"vpc"})), "id");
  expect_ok(e.client.post("/api/tasks/" + task_id + "/execute"), 202);
  auto waiting = wait_for_status(e.client, task_id, {"awaiting_approval", "completed", "failed"});
  REQUIRE(text(waiting, "status") == "awaiting_approval");
  auto plan_id = text(waiting.at("execution"), "plan_id");

  expect_ok(e.client.post("/api/tasks/" + task_id + "/cancel"), 200);
  auto ended = wait_for_status(e.client, task_id, {"cancelled", "completed", "failed"});
  CHECK(text(ended, "status") == "cancelled");
  auto types = event_types(expect_ok(e.client.get("/api/tasks/" + task_id + "/events"), 200));
  CHECK(contains(types, "task_cancelled"));
  CHECK_FALSE(contains(types, "execution_started"));
  // Approving the plan of a cancelled task cannot bring it back.
  auto late = e.client.post("/api/plans/" + plan_id + "/approve", json::object{});
  CHECK(late.status == 409);
  CHECK(text(get_task(e.client, task_id), "status") == "cancelled");
}

TEST_CASE("a production task with wait=true answers once it awaits approval", "[e2e][approval]") {
  engine e;
  auto task_id = text(create_task(e.client, task_body("aws", "production", {"vpc"})), "id");
  auto answer = expect_ok(e.client.post("/api/tasks/" + task_id + "/execute?wait=true"), 200);
  INFO(json::serialize(answer));
  CHECK(text(answer.at("task"), "status") == "awaiting_approval");
  CHECK(answer.at("plan").at("requires_approval").as_bool());
}

TEST_CASE("task events are oldest first and ?since returns only later ones", "[e2e][events]") {
  engine e;
  auto done = run_to_end(e.client, task_body("aws", "staging", {"vpc", "eks"}));
  auto task_id = text(done.at("task"), "id");
  auto all = expect_ok(e.client.get("/api/tasks/" + task_id + "/events"), 200).as_array();
  REQUIRE(all.size() >= 4);  // created, started, at least one step, completed
  auto types = event_types(all);
  CHECK(types.front() == "task_created");
  CHECK(contains(types, "step_started"));
  CHECK(contains(types, "step_completed"));
  CHECK(contains(types, "task_completed"));
  for (std::size_t i = 1; i < all.size(); ++i)
    CHECK(all[i].at("seq").to_number<int64_t>() > all[i - 1].at("seq").to_number<int64_t>());

  auto middle = all[all.size() / 2].at("seq").to_number<int64_t>();
  auto later =
      expect_ok(e.client.get("/api/tasks/" + task_id + "/events?since=" + std::to_string(middle)),
                200)
          .as_array();
  CHECK(later.size() == all.size() - all.size() / 2 - 1);
  for (const auto& event : later) CHECK(event.at("seq").to_number<int64_t>() > middle);
}

TEST_CASE("global events are newest first and paginate to the end without duplicates",
          "[e2e][events]") {
  engine e;
  run_to_end(e.client, task_body("aws", "staging", {"vpc"}));
  run_to_end(e.client, task_body("azure", "staging", {"vnet"}));
  create_task(e.client, task_body("gcp", "staging", {"vpc"}));

  auto everything = get_page(e.client, "/api/events", 1000);
  REQUIRE(everything.items.size() >= 7);  // two runs of several events each, plus one creation
  CHECK_FALSE(everything.next_cursor.has_value());
  CHECK(text(everything.items.front(), "type") == "task_created");  // the last thing done

  constexpr int page_size = 4;
  auto pages = get_all_pages(e.client, "/api/events", page_size);
  std::vector<int64_t> seqs;
  for (const auto& page : pages)
    for (const auto& event : page.items) seqs.push_back(event.at("seq").to_number<int64_t>());
  CHECK(seqs.size() == everything.items.size());
  CHECK(std::set<int64_t>(seqs.begin(), seqs.end()).size() == seqs.size());
  for (std::size_t i = 1; i < seqs.size(); ++i) CHECK(seqs[i] < seqs[i - 1]);
}

TEST_CASE("artifacts are listed with checksums and downloaded byte for byte", "[e2e][artifacts]") {
  engine e;
  auto done = run_to_end(e.client, task_body("gcp", "staging", {"vpc", "gke", "cloudsql"}));
  auto task_id = text(done.at("task"), "id");
  auto listed = expect_ok(e.client.get("/api/tasks/" + task_id + "/artifacts"), 200);
  REQUIRE(listed.is_array());
  std::vector<std::string> names;
  for (const auto& artifact : listed.as_array()) {
    auto name = text(artifact, "name");
    names.push_back(name);
    for (const char* field : {"id", "type", "name", "path", "size", "checksum", "created_at"})
      CHECK(artifact.as_object().contains(field));
    auto download = e.client.get("/api/tasks/" + task_id + "/artifacts/" + name);
    INFO(name);
    REQUIRE(download.status == 200);
    CHECK(sha256_hex(download.body) == text(artifact, "checksum"));
    CHECK(static_cast<int64_t>(download.body.size()) == artifact.at("size").to_number<int64_t>());
  }
  for (const char* expected : {"vpc.tf", "gke.tf", "cloudsql.tf", "README.md"})
    CHECK(contains(names, expected));
  auto readme = e.client.get("/api/tasks/" + task_id + "/artifacts/README.md");
  CHECK(readme.body.find("mermaid") != std::string::npos);  // the components diagram

  expect_error(e.client.get("/api/tasks/" + task_id + "/artifacts/nothing.tf"), 404);
  auto escape = e.client.get("/api/tasks/" + task_id + "/artifacts/..%2F..%2F..%2Fetc%2Fpasswd");
  CHECK((escape.status == 404 || escape.status == 400));
  CHECK(escape.body.find("root:") == std::string::npos);

  // A task that has not run has no artifacts yet.
  auto fresh_id = text(create_task(e.client, task_body("aws", "staging", {"vpc"})), "id");
  auto none = expect_ok(e.client.get("/api/tasks/" + fresh_id + "/artifacts"), 200);
  CHECK(none.as_array().empty());
}

namespace {

/// The regular files of a .tar.gz by path.
std::map<std::string, std::string> untar_gz(const std::string& bytes) {
  std::map<std::string, std::string> files;
  std::unique_ptr<struct archive, decltype(&archive_read_free)> reader(archive_read_new(),
                                                                       &archive_read_free);
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_format_tar(reader.get());
  REQUIRE(archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) == ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader.get(), &entry) == ARCHIVE_OK) {
    std::string content(static_cast<std::size_t>(archive_entry_size(entry)), '\0');
    if (!content.empty())
      REQUIRE(archive_read_data(reader.get(), content.data(), content.size()) ==
              static_cast<la_ssize_t>(content.size()));
    files[archive_entry_pathname(entry)] = std::move(content);
  }
  return files;
}

}  // namespace

TEST_CASE("a task's archive is a .tar.gz of every artifact, the same bytes as each download",
          "[e2e][artifacts]") {
  // --retain-tasks 0: the finished task leaves memory, so the bytes come from the store.
  for (bool from_store : {false, true}) {
    server_options options;
    if (from_store) options.args = {"--retain-tasks", "0"};
    engine e(std::move(options));
    INFO((from_store ? "read back from the store" : "held in memory"));
    auto done = run_to_end(e.client, task_body("aws", "staging", {"vpc", "eks", "rds"}));
    auto task_id = text(done.at("task"), "id");
    if (from_store) run_to_end(e.client, task_body("aws", "staging", {"vpc"}));  // evicts it
    auto archive = e.client.get("/api/tasks/" + task_id + "/archive");
    REQUIRE(archive.status == 200);
    CHECK(archive.header("content-type") == "application/gzip");
    CHECK_THAT(archive.header("content-disposition"), Catch::Contains(task_id + ".tar.gz"));
    auto files = untar_gz(archive.body);
    auto listed = expect_ok(e.client.get("/api/tasks/" + task_id + "/artifacts"), 200);
    REQUIRE(files.size() == listed.as_array().size());
    for (const auto& artifact : listed.as_array()) {
      auto path = task_id + "/" + text(artifact, "name");
      INFO(path);
      REQUIRE(files.count(path) == 1);
      CHECK(sha256_hex(files[path]) == text(artifact, "checksum"));
    }
    for (const char* expected : {"main.tf", "vpc.tf", "eks.tf", "rds.tf", "README.md"})
      CHECK(files.count(task_id + "/" + expected) == 1);
  }
  engine e;
  expect_error(e.client.get("/api/tasks/task_unknown/archive"), 404);
}

}  // namespace ce::e2e

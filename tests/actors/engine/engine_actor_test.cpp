// The engine and task actors in a real actor system: the whole life cycle,
// approvals, cancels, safety blocks and a crashing child.
#include "actors/engine/engine_actor.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "actors/events/event_bus.hpp"
#include "actors/events/event_log_actor.hpp"
#include "actors/executor/artifacts.hpp"
#include "actors/store/store_actor.hpp"
#include "messages/errors.hpp"
#include "messages/type_registry.hpp"
#include "tests/support/temp_dir.hpp"

using namespace ce;
using namespace std::chrono_literals;

namespace {

/// Long enough for a slow CI machine; a passing run takes milliseconds.
constexpr auto answer_timeout = 30s;

struct fixture {
  ce::testing::temp_dir data;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> system;
  store_actor store;
  event_bus_actor bus;
  event_log_actor events;
  engine_actor engine;
  caller_identity caller;

  /// `make_store` null: the memory-only store.
  explicit fixture(std::function<store_actor(caf::actor_system&)> make_store = {}) {
    cfg.set("scheduler.max-threads", 2);
    cfg.set("logger.console", caf::atom("none"));
    register_message_types(cfg);
    system = std::make_unique<caf::actor_system>(cfg);
    store = make_store
                ? make_store(*system)
                : system->spawn(store::store_behavior, std::shared_ptr<store::sqlite_store>{},
                                store::group_commit_options{});  // memory-only
    bus = system->spawn(events::event_bus_behavior);
    events = system->spawn(events::event_log_behavior, std::string("test"), bus, store,
                           store_reader_actor{}, events::event_log_start{});
    engine::engine_runtime runtime;
    runtime.node_id = "test";
    runtime.task.artifacts_root = data.path();
    engine = system->spawn(engine::engine_behavior, events, store, store_reader_actor{}, runtime,
                           std::shared_ptr<store::recovered_state>{});
  }
  ~fixture() {
    caf::anon_send_exit(engine, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(events, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(bus, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(store, caf::exit_reason::user_shutdown);
  }

  /// Sends a request and returns its answer, or fails the test with the error.
  template <class T, class Handle, class... Ts>
  T ask(const Handle& h, Ts&&... xs) {
    caf::scoped_actor self{*system};  // fresh per call: no stale timeouts pile up
    T out{};
    bool answered = false;
    self->request(h, answer_timeout, std::forward<Ts>(xs)...)
        .receive([&](T& value) { out = std::move(value), answered = true; },
                 [&](caf::error& err) { FAIL("request failed: " << system->render(err)); });
    REQUIRE(answered);
    return out;
  }

  /// The error a request ends with (fails the test if it succeeds).
  template <class T, class Handle, class... Ts>
  caf::error ask_error(const Handle& h, Ts&&... xs) {
    caf::scoped_actor self{*system};
    caf::error out;
    self->request(h, answer_timeout, std::forward<Ts>(xs)...)
        .receive([&](T&) { FAIL("expected an error"); }, [&](caf::error& err) { out = err; });
    return out;
  }

  task create(const std::string& environment, std::vector<std::string> components,
              const std::string& requirements = "{}") {
    task draft;
    draft.type = task_type::generate;
    draft.context.provider = cloud_provider::aws;
    draft.context.environment = environment;
    draft.context.region = "us-east-1";
    draft.context.components = std::move(components);
    draft.context.requirements.text = requirements;
    return ask<task>(engine, atoms::create::value, caller, draft);
  }

  std::vector<event> events_of(const std::string& task_id) {
    return ask<std::vector<event>>(events, atoms::task_events::value, task_id, uint64_t{0});
  }
};

std::vector<std::string> types_of(const std::vector<event>& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e.type);
  return out;
}

bool has(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

}  // namespace

TEST_CASE("a staging task runs from pending to completed with real artifacts", "[engine]") {
  fixture f;
  auto t = f.create("staging", {"vpc", "eks", "rds"});
  CHECK(t.status == task_status::pending);
  auto out = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  INFO("errors: " << (out.subject.result.errors.empty() ? "" : out.subject.result.errors[0]));
  REQUIRE(out.subject.status == task_status::completed);
  CHECK(out.subject.result.success);
  REQUIRE(out.has_plan);
  CHECK(out.the_plan->approved_by == "policy");
  CHECK(out.has_verification);
  CHECK(out.verification.status != verification_status::failed);
  // validate_requirements, 3 generates, validate, best practices, documentation
  CHECK(out.results.size() == 7);

  auto artifacts =
      f.ask<std::vector<artifact>>(f.engine, atoms::list_artifacts::value, f.caller, t.id);
  std::set<std::string> names;
  for (const auto& a : artifacts) {
    names.insert(a.name);
    // What is listed can be downloaded, with the bytes it recorded.
    auto download =
        f.ask<artifact_download>(f.engine, atoms::get_artifact::value, f.caller, t.id, a.name);
    CHECK(ce::sha256_hex(*download.bytes) == a.checksum);
    CHECK(download.meta.checksum == a.checksum);
  }
  for (const char* expected : {"vpc.tf", "eks.tf", "rds.tf", "main.tf", "README.md"})
    CHECK(names.count(expected) == 1);

  auto types = types_of(f.events_of(t.id));
  REQUIRE(types.front() == "task_created");
  CHECK(types.back() == "task_completed");
  for (const char* expected :
       {"planning_started", "plan_generated", "safety_checks_completed", "plan_approved",
        "execution_started", "step_started", "step_completed", "verification_completed"})
    CHECK(has(types, expected));
  auto list = f.events_of(t.id);
  for (size_t i = 1; i < list.size(); ++i) CHECK(list[i].seq > list[i - 1].seq);
}

TEST_CASE("a production plan waits for approval, then completes once approved", "[engine]") {
  fixture f;
  auto t = f.create("production", {"vpc", "rds"});
  auto waiting = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  REQUIRE(waiting.subject.status == task_status::awaiting_approval);
  CHECK(has(types_of(f.events_of(t.id)), "approval_required"));
  auto plan_id = waiting.subject.execution.plan_id;
  auto approved = f.ask<plan>(f.engine, atoms::approve::value, caller_identity{"alice", false},
                              plan_id, std::string("looks fine"));
  CHECK(approved.approved_by == "alice");
  // The task finishes on its own; poll its state with a deadline.
  auto deadline = std::chrono::steady_clock::now() + answer_timeout;
  task now;
  do {
    now = f.ask<task>(f.engine, atoms::get_task::value, f.caller, t.id);
  } while (!is_terminal(now.status) && std::chrono::steady_clock::now() < deadline);
  INFO("errors: " << (now.result.errors.empty() ? "" : now.result.errors[0]));
  CHECK(now.status == task_status::completed);
}

TEST_CASE("a rejected plan ends its task cancelled with the reason", "[engine]") {
  fixture f;
  auto t = f.create("production", {"vpc"});
  auto waiting = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  REQUIRE(waiting.subject.status == task_status::awaiting_approval);
  f.ask<plan>(f.engine, atoms::reject::value, f.caller, waiting.subject.execution.plan_id,
              std::string("too expensive"));
  auto now = f.ask<task>(f.engine, atoms::get_task::value, f.caller, t.id);
  CHECK(now.status == task_status::cancelled);
  REQUIRE_FALSE(now.result.errors.empty());
  CHECK(now.result.errors[0].find("too expensive") != std::string::npos);
  // Approving afterwards is a state error, not a crash.
  auto err = f.ask_error<plan>(f.engine, atoms::approve::value, f.caller,
                               waiting.subject.execution.plan_id, std::string());
  CHECK(err.code() == static_cast<uint8_t>(errc::wrong_state));
}

TEST_CASE("a step actor that throws fails its task with the reason; the node keeps serving",
          "[engine]") {
  fixture f;
  auto crashing =
      f.create("staging", {"vpc", "eks"}, R"({"simulate": {"crash_step": "generate_eks"}})");
  auto out = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, crashing.id);
  REQUIRE(out.subject.status == task_status::failed);
  REQUIRE_FALSE(out.subject.result.errors.empty());
  CHECK(out.subject.result.errors[0].find("generate_eks") != std::string::npos);
  CHECK(out.subject.result.errors[0].find("simulated crash") != std::string::npos);
  CHECK(has(types_of(f.events_of(crashing.id)), "step_failed"));
  bool skipped_after_crash = false;
  for (const auto& s : out.the_plan->steps)
    if (s.id == "generate_documentation") skipped_after_crash = s.status == step_status::skipped;
  CHECK(skipped_after_crash);

  auto healthy = f.create("staging", {"vpc"});
  auto ok = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, healthy.id);
  CHECK(ok.subject.status == task_status::completed);
}

/// A store whose disk is full for the results of steps: it takes every other change.
store_actor::behavior_type refusing_step_results(store_actor::pointer self) {
  auto commits = std::make_shared<uint64_t>(0);
  return {
      [=](atoms::persist, change_set& changes) -> caf::result<uint64_t> {
        if (!changes.results.empty()) return make_error(errc::unavailable, "disk full");
        return ++*commits;
      },
      [](atoms::flush, uint64_t) {},
      [=](atoms::store_stats) { return caf::make_result(*commits, *commits); },
  };
}

TEST_CASE("a change the store refuses stops its task, which fails with the reason", "[engine]") {
  fixture f([](caf::actor_system& system) { return system.spawn(refusing_step_results); });
  auto t = f.create("staging", {"vpc"});
  auto out = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  REQUIRE(out.subject.status == task_status::failed);
  REQUIRE_FALSE(out.subject.result.errors.empty());
  CHECK(out.subject.result.errors.back().find("disk full") != std::string::npos);
  // What the store refused is not shown as done.
  CHECK(f.ask<task>(f.engine, atoms::get_task::value, f.caller, t.id).status ==
        task_status::failed);
  auto stats = f.ask<engine_statistics>(f.engine, atoms::statistics::value, f.caller);
  CHECK(stats.unsaved_changes >= 1);
  // The node goes on: a task that stores no step result (a cancel) still works.
  auto other = f.create("staging", {"vpc"});
  f.ask<task>(f.engine, atoms::cancel::value, f.caller, other.id);
  CHECK(f.ask<task>(f.engine, atoms::get_task::value, f.caller, other.id).status ==
        task_status::cancelled);
}

TEST_CASE("a plan a safety check blocks fails with the blocking check named", "[engine]") {
  fixture f;
  auto t = f.create("staging", {"vpc", "rds"}, R"({"encryption": false})");
  auto out = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  REQUIRE(out.subject.status == task_status::failed);
  REQUIRE_FALSE(out.subject.result.errors.empty());
  CHECK(out.subject.result.errors[0].find("encryption") != std::string::npos);
  CHECK(out.results.empty());  // nothing ran
}

TEST_CASE("cancel ends a pending task; a finished task cannot be cancelled or re-executed",
          "[engine]") {
  fixture f;
  auto t = f.create("staging", {"vpc"});
  auto cancelled = f.ask<task>(f.engine, atoms::cancel::value, f.caller, t.id);
  CHECK(cancelled.status == task_status::cancelled);
  CHECK(has(types_of(f.events_of(t.id)), "task_cancelled"));
  auto again = f.ask_error<task>(f.engine, atoms::cancel::value, f.caller, t.id);
  CHECK(again.code() == static_cast<uint8_t>(errc::wrong_state));
  auto rerun = f.ask_error<task>(f.engine, atoms::execute::value, f.caller, t.id);
  CHECK(rerun.code() == static_cast<uint8_t>(errc::wrong_state));
  auto missing =
      f.ask_error<task>(f.engine, atoms::get_task::value, f.caller, std::string("task_nope"));
  CHECK(missing.code() == static_cast<uint8_t>(errc::not_found));
}

TEST_CASE("a task waiting for approval can be cancelled", "[engine]") {
  fixture f;
  auto t = f.create("production", {"vpc"});
  auto waiting = f.ask<execution_outcome>(f.engine, atoms::execute_wait::value, f.caller, t.id);
  REQUIRE(waiting.subject.status == task_status::awaiting_approval);
  auto cancelled = f.ask<task>(f.engine, atoms::cancel::value, f.caller, t.id);
  CHECK(cancelled.status == task_status::cancelled);
  auto now = f.ask<task>(f.engine, atoms::get_task::value, f.caller, t.id);
  CHECK(now.status == task_status::cancelled);
}

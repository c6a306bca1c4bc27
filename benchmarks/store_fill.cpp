// Fills a data dir's store with completed tasks (task, plan, one result per
// step, verification, events) without running them, to measure a node that
// starts over a long history: start-up time, resident memory and list
// latency with 1,000,000 tasks behind it.
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "actors/planner/planner.hpp"
#include "actors/store/sqlite_store.hpp"
#include "messages/clock.hpp"
#include "messages/ids.hpp"

namespace {

using namespace ce;

struct fill_options {
  std::string data_dir = "/tmp/ce-fill";
  uint64_t tasks = 1000000;
  uint64_t per_commit = 2000;
  std::string node = "fill";
};

event make_event(uint64_t& seq, const std::string& node, const task& t, const char* type,
                 timestamp_ms at, std::string data) {
  event e;
  e.seq = ++seq;
  e.id = "evt_" + node + "_" + std::to_string(e.seq);
  e.task_id = t.id;
  e.type = type;
  e.timestamp = at;
  e.user_id = t.user_id;
  e.data.text = std::move(data);
  return e;
}

/// One completed task as the engine would have stored it.
void add_completed_task(change_set& out, id_generator& ids, uint64_t& seq, const std::string& node,
                        const std::string& artifacts_root, timestamp_ms now, uint64_t n) {
  task t;
  t.id = ids.next("task");
  t.user_id = n % 3 == 0 ? "anonymous" : "user-" + std::to_string(n % 50);
  t.type = task_type::generate;
  t.prio = static_cast<priority>(n % 4);
  t.context.provider = cloud_provider::aws;
  t.context.environment = n % 2 ? "staging" : "dev";
  t.context.components = {"vpc", "eks", "rds"};
  t.created_at = now - 500;
  t.completed_at = t.updated_at = now;
  t.status = task_status::completed;
  auto p = planner::make_plan(ids.next("plan"), t.id, t.type, t.context, t.created_at);
  p.status = plan_status::completed;
  t.execution.plan_id = p.id;
  t.execution.execution_id = ids.next("exec");
  t.result.present = t.result.success = true;
  out.events.push_back(make_event(seq, node, t, "task_created", t.created_at,
                                  R"({"type":"generate","priority":"medium"})"));
  out.events.push_back(make_event(seq, node, t, "plan_generated", t.created_at + 5,
                                  R"({"plan_id":")" + p.id + "\"}"));
  for (auto& step : p.steps) {
    step.status = step_status::completed;
    execution_result r;
    r.id = ids.next("res");
    r.plan_id = p.id;
    r.step_id = step.id;
    r.started_at = t.created_at + 10;
    r.completed_at = t.created_at + 20;
    r.duration_ms = 10;
    artifact a;
    a.id = ids.next("art");
    a.name = step.id + ".tf";
    a.path = artifacts_root + "/" + t.id + "/" + a.name;  // metadata only: no file is written
    a.size = 1200;
    a.checksum = std::string(64, 'a');
    a.created_at = r.completed_at;
    r.artifacts.push_back(a);
    t.result.artifacts.push_back(a.name);
    out.result_task_ids.push_back(t.id);
    out.results.push_back(std::move(r));
    out.events.push_back(make_event(seq, node, t, "step_completed", t.created_at + 20,
                                    R"({"step_id":")" + step.id + "\"}"));
  }
  out.events.push_back(make_event(seq, node, t, "task_completed", now, R"({"success":true})"));
  out.plans.push_back(shared<plan>(std::move(p)));
  out.tasks.push_back(std::move(t));
}

}  // namespace

int main(int argc, char** argv) {
  fill_options opts;
  CLI::App app{"Fills a core-engine data dir with completed tasks"};
  app.add_option("--data-dir", opts.data_dir, "Data dir (created; must not be in use)")
      ->capture_default_str();
  app.add_option("--tasks", opts.tasks, "Completed tasks to add")->capture_default_str();
  app.add_option("--per-commit", opts.per_commit, "Tasks per transaction")->capture_default_str();
  app.add_option("--node", opts.node, "Node id in event ids (use another one than the server's)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  std::filesystem::create_directories(opts.data_dir);
  std::string error;
  auto path = (std::filesystem::absolute(opts.data_dir) / "core-engine.db").string();
  auto db = store::sqlite_store::open(path, error);
  ce::store::recovered_state existing;
  if (!db || !db->load(existing, 1, now_ms(), error)) {
    std::cerr << error << "\n";
    return 1;
  }
  uint64_t seq = existing.last_seq;
  auto artifacts_root = (std::filesystem::absolute(opts.data_dir) / "artifacts").string();
  id_generator ids;
  auto started = std::chrono::steady_clock::now();
  for (uint64_t done = 0; done < opts.tasks;) {
    change_set batch;
    for (uint64_t i = 0; i < opts.per_commit && done < opts.tasks; ++i, ++done)
      add_completed_task(batch, ids, seq, opts.node, artifacts_root, now_ms(), done);
    if (!db->commit({&batch}, error)) {
      std::cerr << "commit failed: " << error << "\n";
      return 1;
    }
    if (done % 100000 == 0) std::cout << done << " tasks" << std::endl;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "added " << opts.tasks << " completed tasks in " << seconds << " s; last seq " << seq
            << "; " << path << " is " << std::filesystem::file_size(path) / (1 << 20) << " MiB\n";
  return 0;
}

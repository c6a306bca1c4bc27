#include "actors/task/task_actor.hpp"

#include "actors/task/retry_policy.hpp"
#include "actors/task/rollback.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "actors/executor/actions.hpp"
#include "actors/executor/artifacts.hpp"
#include "actors/executor/deployment_driver.hpp"
#include "actors/executor/step_actor.hpp"
#include "actors/planner/planner.hpp"
#include "actors/planner/planner_actor.hpp"
#include "actors/safety/safety_monitor.hpp"
#include "actors/verifier/verifier_actor.hpp"
#include "logging/structured.hpp"
#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace ce::tasks {

namespace {

namespace json = boost::json;
using self_ptr = task_actor::stateful_pointer<task_state>;

/// The node's artifact bytes as older versions kept them, beside the task workspaces.
std::string blob_dir(self_ptr self) {
  return self->state.runtime.artifacts_root + "/.blobs";
}

std::string workspace_dir(self_ptr self) {
  return self->state.runtime.artifacts_root + "/" + self->state.current.id;
}

/// Adds what a step wrote to the task's files (a new snapshot; steps still running keep
/// theirs) and returns the bytes for the store.
std::vector<stored_blob> take_files(self_ptr self, const workspace& written) {
  std::vector<stored_blob> blobs;
  if (written.empty()) return blobs;
  workspace next = *self->state.files;
  for (const auto& [name, file] : written) {
    next[name] = file;
    blobs.push_back({file.checksum, file.bytes});
  }
  self->state.files = shared<workspace>(std::move(next));
  return blobs;
}

std::string render(self_ptr self, const caf::error& err) {
  if (err.category() == error_category && !err.context().empty() &&
      err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return self->system().render(err);
}

void emit(self_ptr self, const char* type, json::object data = {}) {
  event e;
  e.task_id = self->state.current.id;
  e.type = type;
  e.data = codec::to_doc(data);
  e.user_id = self->state.current.user_id;
  // Through the engine, like the state changes: one path keeps the order.
  self->send(self->state.engine, atoms::emit::value, std::move(e));
}

/// Sends the task's new state together with the event of the transition:
/// the engine stores both in one commit, so a reader never sees one without
/// the other.
void publish_task(self_ptr self, const char* type, json::object data = {}) {
  event e;
  e.task_id = self->state.current.id;
  e.type = type;
  e.data = codec::to_doc(data);
  e.user_id = self->state.current.user_id;
  self->send(self->state.engine, atoms::task_changed::value, self->state.current, std::move(e));
}

/// Sends the plan as it stands to be stored; returns that snapshot.
shared<plan> publish_plan(self_ptr self) {
  self->state.the_plan.updated_at = now_ms();
  shared<plan> snapshot(self->state.the_plan);
  self->send(self->state.engine, atoms::plan_changed::value, snapshot);
  return snapshot;
}

/// Every status change of the task goes through the life cycle's guard; a
/// refused one is a bug in the sequencing and is logged, not carried out.
void set_status(self_ptr self, task_status next) {
  auto& t = self->state.current;
  if (!transition(t, next, now_ms()))
    spdlog::error("task {}: refused the move from {} to {}", t.id, to_string(t.status),
                  to_string(next));
}

plan_step* find_step(self_ptr self, const std::string& step_id) {
  for (auto& s : self->state.the_plan.steps)
    if (s.id == step_id) return &s;
  return nullptr;
}

std::vector<std::string> artifact_names(self_ptr self) {
  std::set<std::string> names;
  for (const auto& r : self->state.results)
    for (const auto& a : r.artifacts) names.insert(a.name);
  return {names.begin(), names.end()};
}

/// Arms a deadline with the timer (a delayed_send would keep this actor alive
/// until it is due, however early the task ends); returns its token.
uint64_t arm_deadline(self_ptr self, caf::timespan after) {
  auto token = ++self->state.last_token;
  self->send(self->state.runtime.timers, atoms::arm::value, caf::actor_cast<task_actor>(self),
             token, after);
  return token;
}

void arm_execution_timeout(self_ptr self) {
  self->state.execution_token =
      arm_deadline(self, std::chrono::seconds(self->state.runtime.policy.execution_timeout_s));
}

/// The approval wait ends `approval_timeout` after the task began waiting
/// (also across a restart).
void arm_approval_expiry(self_ptr self) {
  auto& st = self->state;
  auto waited = std::chrono::milliseconds(std::max<int64_t>(0, now_ms() - st.current.updated_at));
  auto left = std::max<caf::timespan>(caf::timespan::zero(), st.runtime.approval_timeout - waited);
  st.approval_token = arm_deadline(self, left);
}

/// Stops every child still running (steps, monitor), drops its deadlines and leaves.
void finish(self_ptr self) {
  const auto& t = self->state.current;
  if (is_terminal(t.status)) {
    auto duration_ms = t.completed_at - t.created_at;
    if (self->state.runtime.metrics)
      self->state.runtime.metrics->task_finished(t.type, t.status, duration_ms);
    logging::log(spdlog::level::info,
                 {{"task_id", t.id},
                  {"user_id", t.user_id},
                  {"type", to_string(t.type)},
                  {"status", to_string(t.status)},
                  {"duration_ms", duration_ms}},
                 "task finished");
  }
  self->state.execution_token = self->state.approval_token = 0;  // any on its way is stale
  self->send(self->state.runtime.timers, atoms::disarm::value, caf::actor_cast<task_actor>(self));
  for (auto& [addr, step] : self->state.running)
    self->send_exit(step.handle, caf::exit_reason::kill);
  self->state.running.clear();
  if (self->state.monitor) self->send_exit(self->state.monitor, caf::exit_reason::user_shutdown);
  self->quit();
}

/// Marks the steps that never ran as skipped.
void skip_remaining(self_ptr self) {
  if (!self->state.scheduler) return;
  self->state.scheduler->halt();
  for (const auto& id : self->state.scheduler->not_run())
    if (auto* s = find_step(self, id)) s->status = step_status::skipped;
  for (auto& [addr, running] : self->state.running)
    if (auto* s = find_step(self, running.step_id); s && s->status == step_status::running)
      s->status = step_status::skipped;
}

bool begin_rollback(self_ptr self, task_ending ending);

/// Answers the cancels waiting for the task to end.
void answer_enders(self_ptr self) {
  for (auto& promise : self->state.enders) promise.deliver(self->state.current);
  self->state.enders.clear();
}

void end_failed(self_ptr self, std::vector<std::string> errors) {
  if (!can_transition(self->state.current.status, task_status::failed) || self->state.ending)
    return;
  if (begin_rollback(self, {false, false, errors, "", ""})) return;
  skip_remaining(self);
  if (self->state.has_plan) publish_plan(self);
  auto& t = self->state.current;
  t.result.present = true;
  t.result.success = false;
  t.result.errors = std::move(errors);
  t.result.artifacts = artifact_names(self);
  set_status(self, task_status::failed);
  json::array errs;
  for (const auto& e : t.result.errors) errs.emplace_back(e);
  publish_task(self, "task_failed", {{"errors", errs}});
  answer_enders(self);
  finish(self);
}

void end_cancelled(self_ptr self, const std::string& who, const std::string& reason,
                   std::vector<std::string> more_errors = {}) {
  if (!can_transition(self->state.current.status, task_status::cancelled) || self->state.ending)
    return;
  if (begin_rollback(self, {false, true, {}, who, reason})) return;
  skip_remaining(self);
  if (self->state.has_plan) publish_plan(self);
  auto& t = self->state.current;
  t.result.present = true;
  t.result.success = false;
  t.result.errors = {reason};
  t.result.errors.insert(t.result.errors.end(), more_errors.begin(), more_errors.end());
  t.result.artifacts = artifact_names(self);
  set_status(self, task_status::cancelled);
  publish_task(self, "task_cancelled", {{"reason", reason}, {"cancelled_by", who}});
  answer_enders(self);
  finish(self);
}

// ---- rollback -------------------------------------------------------------
// A task that fails or is cancelled after steps with a rollback action
// completed (a deployment applied something) undoes them first, newest
// first, then ends as it was going to. Its own failures are reported.

void roll_back_next(self_ptr self);

bool begin_rollback(self_ptr self, task_ending ending) {
  auto& st = self->state;
  if (st.rollback_done) return false;
  auto steps = task_logic::steps_to_undo(st.the_plan, st.results);
  if (steps.empty()) return false;
  // Nothing else runs from here on: stop the steps still running.
  skip_remaining(self);
  for (auto& [addr, step] : st.running) self->send_exit(step.handle, caf::exit_reason::kill);
  st.running.clear();
  st.ending = std::move(ending);
  st.rollback_queue = steps;
  json::array names;
  for (const auto& id : steps) names.emplace_back(id);
  std::string reason = st.ending->report_only      ? "asked for"
                       : st.ending->cancel         ? st.ending->reason
                       : st.ending->errors.empty() ? std::string("failure")
                                                   : st.ending->errors.front();
  emit(self, "rollback_started", {{"steps", names}, {"reason", reason}});
  roll_back_next(self);
  return true;
}

void finish_rollback(self_ptr self) {
  auto& st = self->state;
  json::array done, errors;
  for (const auto& id : st.rolled_back) done.emplace_back(id);
  for (const auto& e : st.rollback_errors) errors.emplace_back(e);
  emit(self, "rollback_completed",
       {{"success", st.rollback_errors.empty()}, {"rolled_back", done}, {"errors", errors}});
  st.rollback_done = true;
  auto ending = std::move(*st.ending);
  st.ending.reset();
  if (ending.report_only) {
    rollback_report report{st.current.id, st.rollback_errors.empty(), st.rolled_back,
                           st.rollback_errors};
    if (st.report) st.report->deliver(std::move(report));
    return finish(self);
  }
  if (ending.cancel) return end_cancelled(self, ending.who, ending.reason, st.rollback_errors);
  ending.errors.insert(ending.errors.end(), st.rollback_errors.begin(), st.rollback_errors.end());
  end_failed(self, std::move(ending.errors));
}

void roll_back_next(self_ptr self) {
  auto& st = self->state;
  if (st.rollback_queue.empty()) return finish_rollback(self);
  auto step_id = st.rollback_queue.front();
  st.rollback_queue.erase(st.rollback_queue.begin());
  const auto* original = find_step(self, step_id);
  // The undo runs as a step of its own, on a copy of the plan.
  plan_step undo;
  undo.id = task_logic::undo_step_id(step_id);
  undo.order = original->order;
  undo.type = step_type::deploy;
  undo.action = original->rollback_action;
  undo.description = "Roll back " + step_id;
  undo.parameters = original->rollback_parameters;
  step_job job;
  plan with_undo = st.the_plan;
  with_undo.steps.push_back(undo);
  job.the_plan = shared<plan>(std::move(with_undo));
  job.step_id = undo.id;
  job.context = st.current.context;
  job.files = st.files;
  job.workspace_dir = workspace_dir(self);
  job.completed = st.results;
  job.result_id = st.ids.next("exec");
  auto child = self->spawn<caf::monitored + caf::detached>(executor::step_behavior,
                                                           st.runtime.driver, st.runtime.generator);
  auto action = undo.action;
  auto started_at = now_ms();
  // The undo's result is stored with its event, so a later rollback (or
  // its check) knows what is undone already.
  auto record = [=](execution_result r, const workspace& written, const char* type,
                    json::object data) {
    auto& st = self->state;
    event e;
    e.task_id = st.current.id;
    e.type = type;
    e.data = codec::to_doc(data);
    e.user_id = st.current.user_id;
    self->send(st.engine, atoms::step_finished::value, st.current.id, r, take_files(self, written),
               std::move(e), shared<plan>(st.the_plan));
    st.results.push_back(std::move(r));
  };
  auto failed = [=](execution_result r, const workspace& written, const std::string& why) {
    self->state.rollback_errors.push_back("rollback of " + step_id + " (" + action +
                                          ") failed: " + why);
    record(std::move(r), written, "step_failed",
           {{"step_id", task_logic::undo_step_id(step_id)}, {"action", action}, {"error", why}});
    roll_back_next(self);
  };
  self->request(child, st.runtime.step_timeout, atoms::run_step::value, std::move(job))
      .then(
          [=](step_outcome& out) {
            auto& r = out.result;
            if (r.status != execution_status::success)
              return failed(r, out.written, r.error.message);
            self->state.rolled_back.push_back(step_id);
            auto duration = r.duration_ms;
            record(std::move(r), out.written, "step_rolled_back",
                   {{"step_id", step_id}, {"action", action}, {"duration", duration}});
            roll_back_next(self);
          },
          [=](caf::error& err) {
            self->send_exit(child, caf::exit_reason::kill);
            execution_result r;
            r.id = self->state.ids.next("exec");
            r.plan_id = self->state.the_plan.id;
            r.step_id = task_logic::undo_step_id(step_id);
            r.status = execution_status::failure;
            r.started_at = started_at;
            r.completed_at = now_ms();
            r.duration_ms = r.completed_at - started_at;
            r.error.code = "rollback_failed";
            r.error.message = render(self, err);
            auto why = r.error.message;
            failed(std::move(r), {}, why);
          });
}

void start_verification(self_ptr self);
void schedule_steps(self_ptr self);

/// True if the step's error says it is worth another attempt.
bool is_transient(const execution_result& result) {
  auto details = codec::to_json(result.error.details);
  auto* o = details.if_object();
  auto* transient = o ? o->if_contains("transient") : nullptr;
  return transient && transient->is_bool() && transient->get_bool();
}

/// A transient failure with attempts left: tells the stream and runs the
/// step again after a backoff with jitter (the step stays running meanwhile).
bool retry_later(self_ptr self, const plan_step& step, const execution_result& result) {
  auto& st = self->state;
  int attempt = st.attempts[step.id];
  auto policy =
      task_logic::policy_for(step, st.runtime.retry, st.runtime.generator.service != nullptr);
  if (!task_logic::should_retry(policy, attempt, is_transient(result))) return false;
  auto delay = task_logic::backoff_delay(policy, attempt, st.rng);
  emit(self, "step_retrying",
       {{"step_id", step.id},
        {"action", step.action},
        {"attempt", attempt + 1},
        {"max_attempts", policy.max_attempts},
        {"delay_ms", delay.count()},
        {"error", result.error.message}});
  // Short (seconds at most): a delayed message is fine here.
  self->delayed_send(self, delay, atoms::retry_step::value, step.id);
  return true;
}

void on_step_result(self_ptr self, const std::string& step_id, execution_result result,
                    const workspace& written = {}) {
  auto* step = find_step(self, step_id);
  if (step == nullptr || step->status != step_status::running) return;  // already handled
  bool ok = result.status == execution_status::success;
  if (!ok && retry_later(self, *step, result)) return;
  step->status = ok ? step_status::completed : step_status::failed;
  step->completed_at = result.completed_at ? result.completed_at : now_ms();
  step->duration_ms = step->completed_at - step->started_at;
  if (self->state.runtime.metrics)
    self->state.runtime.metrics->step_finished(step->action, ok, step->duration_ms);
  if (ok)
    self->state.scheduler->mark_completed(step_id);
  else
    self->state.scheduler->mark_failed(step_id);

  json::array names;
  for (const auto& a : result.artifacts) names.emplace_back(a.name);
  json::object data{{"step_id", step_id},
                    {"action", step->action},
                    {"status", std::string(to_string(result.status))},
                    {"duration", step->duration_ms},
                    {"artifacts", names}};
  if (!step->component.empty()) data["component"] = step->component;
  if (!ok) data["error"] = result.error.message;
  // Where generated code came from belongs in the stream too: a fallback to the
  // built-in generator is never silent.
  if (result.outputs.text.find("\"generator\"") != std::string::npos)
    if (auto outputs = codec::to_json(result.outputs); outputs.is_object())
      for (auto key : {"generator", "template_id", "fallback", "fallback_reason"})
        if (auto* v = outputs.get_object().if_contains(key)) data[key] = *v;
  // The result and its event share one commit: after a crash, a step the
  // stream called completed has its result (and artifacts) on record.
  event finished;
  finished.task_id = self->state.current.id;
  finished.type = ok ? "step_completed" : "step_failed";
  finished.data = codec::to_doc(data);
  finished.user_id = self->state.current.user_id;

  // Resources a deployment step created feed the during-execution monitor.
  int32_t resources_created = 0;
  if (ok && !result.outputs.empty_object()) {
    auto outputs = codec::to_json(result.outputs);
    if (auto* obj = outputs.if_object())
      if (auto* n = obj->if_contains("resources_created"); n && n->is_number())
        resources_created = static_cast<int32_t>(n->to_number<double>());
  }
  self->state.the_plan.updated_at = now_ms();
  self->send(self->state.engine, atoms::step_finished::value, self->state.current.id, result,
             take_files(self, written), std::move(finished), shared<plan>(self->state.the_plan));
  std::string error_text = result.error.message;
  self->state.results.push_back(std::move(result));

  if (!ok) {
    // Fail fast: running siblings are stopped and whatever did not run is skipped.
    end_failed(self, {"step " + step_id + " (" + step->action + ") failed: " + error_text});
    return;
  }
  if (resources_created > 0 && self->state.monitor) {
    // The next steps start only once the monitor has seen these resources;
    // a broken rate arrives as a violation and ends the task instead.
    self->request(self->state.monitor, self->state.runtime.child_timeout, atoms::progress::value,
                  resources_created, now_ms())
        .then(
            [=](bool within_limits) {
              if (within_limits && !is_terminal(self->state.current.status)) schedule_steps(self);
            },
            [=](caf::error& err) {
              end_failed(self, {"the safety monitor did not answer: " + render(self, err)});
            });
    return;
  }
  schedule_steps(self);
}

void on_step_error(self_ptr self, const std::string& step_id, const std::string& why,
                   const char* code = "step_crashed") {
  auto* step = find_step(self, step_id);
  if (step == nullptr || step->status != step_status::running) return;
  execution_result r;
  r.id = self->state.ids.next("exec");
  r.plan_id = self->state.the_plan.id;
  r.step_id = step_id;
  r.status = execution_status::failure;
  r.started_at = step->started_at;
  r.completed_at = now_ms();
  r.duration_ms = r.completed_at - r.started_at;
  r.error.code = code;
  r.error.message = why;
  on_step_result(self, step_id, std::move(r));
}

/// Spawns the executor-step child for one attempt of a step and supervises
/// it: an answer, a crash (down message) or the step timeout, which kills it.
void launch_step(self_ptr self, const std::string& step_id) {
  auto& st = self->state;
  auto* step = find_step(self, step_id);
  int attempt = ++st.attempts[step_id];
  json::object data{{"step_id", step_id}, {"action", step->action}};
  if (!step->component.empty()) data["component"] = step->component;
  if (attempt > 1) data["attempt"] = attempt;
  emit(self, "step_started", std::move(data));

  // Deployment steps may run an external process for minutes: they get their
  // own thread, so a slow or hung one never holds up other tasks' actors.
  auto child = task_logic::reaches_outside(*step)
                   ? self->spawn<caf::monitored + caf::detached>(
                         executor::step_behavior, st.runtime.driver, st.runtime.generator)
                   : self->spawn<caf::monitored>(executor::step_behavior, st.runtime.driver,
                                                 st.runtime.generator);
  st.running[child.address()] = {step_id, caf::actor_cast<caf::actor>(child)};
  step_job job;
  job.the_plan = st.executing_plan;
  job.step_id = step_id;
  job.context = st.current.context;
  job.files = st.files;
  job.workspace_dir = workspace_dir(self);
  if (executor::reads_earlier_results(step->action)) job.completed = st.results;
  job.result_id = st.ids.next("exec");
  auto addr = child.address();
  self->request(child, st.runtime.step_timeout, atoms::run_step::value, std::move(job))
      .then(
          [=](step_outcome& out) {
            self->state.running.erase(addr);
            on_step_result(self, step_id, std::move(out.result), out.written);
          },
          [=](caf::error& err) {
            // A crashed child also sends a down message carrying the
            // exception text; that one reports. Only a timeout is ours.
            if (err != caf::sec::request_timeout) return;
            auto it = self->state.running.find(addr);
            if (it != self->state.running.end()) {
              self->send_exit(it->second.handle, caf::exit_reason::kill);
              self->state.running.erase(it);
            }
            auto limit = std::chrono::duration_cast<std::chrono::milliseconds>(
                self->state.runtime.step_timeout);
            on_step_error(self, step_id,
                          "step " + step_id + " did not finish within its timeout of " +
                              std::to_string(limit.count()) + " ms and was stopped",
                          "step_timeout");
          });
}

void schedule_steps(self_ptr self) {
  auto& st = self->state;
  for (const auto& step_id : st.scheduler->take_ready()) {
    auto* step = find_step(self, step_id);
    step->status = step_status::running;
    step->started_at = now_ms();
    launch_step(self, step_id);
  }
  if (st.scheduler->finished() && !st.scheduler->failed_any()) start_verification(self);
}

void begin_execution(self_ptr self) {
  auto& st = self->state;
  set_status(self, task_status::executing);
  st.execution_id = st.ids.next("exec");
  st.current.execution.execution_id = st.execution_id;
  st.the_plan.status = plan_status::executing;
  st.executing_plan = publish_plan(self);
  publish_task(self, "execution_started",
               {{"plan_id", st.the_plan.id},
                {"execution_id", st.execution_id},
                {"steps", st.the_plan.steps.size()}});
  arm_execution_timeout(self);
  st.scheduler.emplace(st.the_plan.steps);
  schedule_steps(self);
}

void approve_plan(self_ptr self, const std::string& approver, const std::string& comment) {
  auto& p = self->state.the_plan;
  p.status = plan_status::approved;
  p.approved_by = approver;
  p.approved_at = now_ms();
  json::object data{{"plan_id", p.id}, {"approved_by", approver}};
  if (!comment.empty()) data["comment"] = comment;
  emit(self, "plan_approved", std::move(data));
  begin_execution(self);
}

void finish_completed(self_ptr self, const verification_result& v) {
  auto& st = self->state;
  auto& t = st.current;
  st.the_plan.status = plan_status::completed;
  publish_plan(self);
  // The original's per-step keys first, then what the plan and verification say.
  json::object outputs = executor::summary_outputs(st.results);
  outputs["plan_id"] = st.the_plan.id;
  outputs["estimated_cost"] = st.the_plan.estimated_cost;
  outputs["estimated_duration"] = st.the_plan.estimated_duration_s;
  outputs["risk_level"] = std::string(to_string(st.the_plan.risk_level));
  outputs["verification_status"] = std::string(to_string(v.status));
  for (const auto& r : st.results)
    if (r.step_id == "apply_deployment" || r.step_id == "plan_deployment")
      outputs[r.step_id] = codec::to_json(r.outputs);
  t.result.present = true;
  t.result.success = true;
  t.result.outputs = codec::to_doc(outputs);
  t.result.artifacts = artifact_names(self);
  t.result.errors.clear();
  set_status(self, task_status::completed);
  json::array names;
  for (const auto& n : t.result.artifacts) names.emplace_back(n);
  publish_task(self, "task_completed",
               {{"duration", t.completed_at - t.created_at},
                {"artifacts", names},
                {"verification_status", std::string(to_string(v.status))}});
  finish(self);
}

void run_post_checks(self_ptr self, verification_result v) {
  auto& st = self->state;
  self->request(st.monitor, st.runtime.child_timeout, atoms::post_check::value,
                shared<plan>(st.the_plan), st.results, v, st.files)
      .then(
          [=](safety_report& report) {
            json::array blockers;
            for (const auto& b : report.blockers) blockers.emplace_back(b.message);
            emit(self, "safety_checks_completed",
                 {{"phase", "post_execution"},
                  {"passed", report.passed},
                  {"checks", report.results.size()},
                  {"blockers", blockers}});
            std::vector<std::string> errors;
            if (v.status == verification_status::failed)
              for (const auto& c : v.checks)
                if (c.status == check_status::failed)
                  errors.push_back("verification check " + c.id +
                                   " failed: " + (c.error.empty() ? c.description : c.error));
            for (const auto& b : report.blockers)
              errors.push_back("post-execution safety check " + b.check_id +
                               " failed: " + b.message);
            if (errors.empty())
              finish_completed(self, v);
            else
              end_failed(self, errors);
          },
          [=](caf::error& err) {
            end_failed(self, {"post-execution safety checks did not run: " + render(self, err)});
          });
}

void spawn_planner(self_ptr self);
void spawn_verifier(self_ptr self);

void start_verification(self_ptr self) {
  auto& st = self->state;
  if (st.current.status != task_status::executing) return;
  set_status(self, task_status::verifying);
  publish_task(self, "verification_started", {{"execution_id", st.execution_id}});
  auto pause = executor::phase_pause(st.current.context, executor::simulated_phase::verification);
  if (pause.count() > 0)
    return self->delayed_send(self, pause, atoms::proceed::value, std::string("verification"));
  spawn_verifier(self);
}

void spawn_verifier(self_ptr self) {
  auto& st = self->state;
  auto verifier = self->spawn<caf::monitored>(verifier::verifier_behavior);
  verify_job job;
  job.the_plan = st.executing_plan;
  job.context = st.current.context;
  job.results = st.results;
  job.files = st.files;
  job.verification_id = st.ids.next("verif");
  job.execution_id = st.execution_id;
  auto req = parse_requirements(st.current.context.requirements);
  job.cost_limit_usd = req.cost_limit > 0 ? req.cost_limit : st.runtime.policy.cost_limit_usd;
  self->request(verifier, st.runtime.child_timeout, atoms::verify::value, std::move(job))
      .then(
          [=](verification_result& v) {
            if (is_terminal(self->state.current.status)) return;
            self->state.current.execution.verification_id = v.id;
            emit(self, "verification_completed",
                 {{"verification_id", v.id},
                  {"status", std::string(to_string(v.status))},
                  {"summary",
                   {{"total_checks", v.total_checks},
                    {"passed", v.passed},
                    {"failed", v.failed},
                    {"warnings", v.warnings}}},
                  {"checks_passed", v.passed},
                  {"checks_failed", v.failed}});
            self->send(self->state.engine, atoms::verified::value, self->state.current.id, v);
            run_post_checks(self, std::move(v));
          },
          [=](caf::error& err) {
            end_failed(self, {"verification crashed: " + render(self, err)});
          });
}

void after_pre_checks(self_ptr self, const safety_report& report) {
  auto& st = self->state;
  json::array blockers;
  for (const auto& b : report.blockers) blockers.emplace_back(b.message);
  emit(self, "safety_checks_completed",
       {{"phase", "pre_execution"},
        {"passed", report.passed},
        {"requires_approval", report.requires_approval || st.the_plan.requires_approval},
        {"checks", report.results.size()},
        {"blockers", blockers}});
  if (!report.passed) {
    std::vector<std::string> errors;
    for (const auto& b : report.blockers)
      errors.push_back("safety check " + b.check_id + " blocked execution: " + b.message);
    end_failed(self, errors);
    return;
  }
  if (report.requires_approval || st.the_plan.requires_approval) {
    st.the_plan.requires_approval = true;
    publish_plan(self);
    set_status(self, task_status::awaiting_approval);
    std::vector<std::string> reasons;
    for (const auto& r : report.results)
      if (r.requires_approval) reasons.push_back(r.message);
    json::array why;
    for (const auto& r : reasons) why.emplace_back(r);
    auto expires = std::chrono::duration_cast<std::chrono::seconds>(st.runtime.approval_timeout);
    publish_task(self, "approval_required",
                 {{"plan_id", st.the_plan.id},
                  {"risk_level", std::string(to_string(st.the_plan.risk_level))},
                  {"reasons", why},
                  {"expires_at", iso8601(st.current.updated_at + expires.count() * 1000)}});
    arm_approval_expiry(self);
    return;
  }
  approve_plan(self, "policy", "");
}

void on_plan(self_ptr self, plan p) {
  auto& st = self->state;
  if (is_terminal(st.current.status)) return;
  auto validation = planner::validate_plan(p.steps);
  if (!validation.valid) {
    end_failed(self, validation.errors);
    return;
  }
  st.the_plan = std::move(p);
  st.has_plan = true;
  st.current.execution.plan_id = st.the_plan.id;
  auto snapshot = publish_plan(self);
  publish_task(self, "plan_generated",
               {{"plan_id", st.the_plan.id},
                {"steps", st.the_plan.steps.size()},
                {"risk_level", std::string(to_string(st.the_plan.risk_level))},
                {"requires_approval", st.the_plan.requires_approval},
                {"estimated_duration", st.the_plan.estimated_duration_s},
                {"estimated_cost", st.the_plan.estimated_cost}});
  st.monitor =
      self->spawn<caf::monitored>(safety::safety_monitor_behavior,
                                  caf::actor_cast<task_actor>(self), st.runtime.policy, now_ms());
  self->request(st.monitor, st.runtime.child_timeout, atoms::pre_check::value, snapshot)
      .then([=](safety_report& report) { after_pre_checks(self, report); },
            [=](caf::error& err) {
              end_failed(self, {"pre-execution safety checks crashed: " + render(self, err)});
            });
}

void start_planning(self_ptr self) {
  auto& st = self->state;
  set_status(self, task_status::planning);
  publish_task(self, "planning_started", {{"type", std::string(to_string(st.current.type))}});
  // Fault injection: tests hold the task here to cancel it while it plans.
  auto pause = executor::phase_pause(st.current.context, executor::simulated_phase::planning);
  if (pause.count() > 0)
    return self->delayed_send(self, pause, atoms::proceed::value, std::string("planning"));
  spawn_planner(self);
}

void spawn_planner(self_ptr self) {
  auto& st = self->state;
  auto planner_child = self->spawn<caf::monitored>(planner::planner_behavior);
  plan_job job{st.ids.next("plan"), st.current.id, st.current.type, st.current.context};
  self->request(planner_child, st.runtime.child_timeout, atoms::make_plan::value, std::move(job))
      .then([=](plan& p) { on_plan(self, std::move(p)); },
            [=](caf::error& err) { end_failed(self, {"planning failed: " + render(self, err)}); });
}

/// Picks up an execution interrupted by a crash: steps whose results are
/// stored and whose artifacts are intact count as done; every other step, and
/// everything downstream of it, runs again.
void resume_execution(self_ptr self) {
  auto& st = self->state;
  std::set<std::string> done;
  std::vector<execution_result> kept;
  // A later step may rewrite a file (best practices): only the latest version
  // of each file must be held with its recorded bytes. The store keeps them
  // with the step's result; a data dir from before that has them on disk.
  std::map<std::string, const artifact*> latest;
  for (const auto& r : st.recovered.results)
    if (r.status == execution_status::success)
      for (const auto& a : r.artifacts) latest[a.name] = &a;
  std::set<std::string> intact_files;
  workspace files;
  for (const auto& [name, a] : latest) {
    if (holds(st.recovered.files, *a)) {
      files[name] = st.recovered.files.at(name);
    } else if (auto bytes = executor::read_file_artifact(*a, blob_dir(self))) {
      files[name] = {a->type, shared<std::string>(std::move(*bytes)), a->checksum};
    } else {
      continue;
    }
    intact_files.insert(name);
  }
  st.files = shared<workspace>(std::move(files));
  for (const auto& r : st.recovered.results) {
    if (r.status != execution_status::success) continue;
    bool intact = std::all_of(r.artifacts.begin(), r.artifacts.end(),
                              [&](const artifact& a) { return intact_files.count(a.name) > 0; });
    if (intact) done.insert(r.step_id);
  }
  // A step counts as done only if everything it depends on is done too.
  std::vector<std::string> rerun;
  for (auto& step : st.the_plan.steps) {  // plan order is a topological order
    bool deps_done = std::all_of(step.depends_on.begin(), step.depends_on.end(),
                                 [&](const std::string& d) { return done.count(d) > 0; });
    if (done.count(step.id) && deps_done) {
      step.status = step_status::completed;
    } else {
      done.erase(step.id);
      step.status = step_status::pending;
      step.started_at = step.completed_at = 0;
      step.duration_ms = -1;
      rerun.push_back(step.id);
    }
  }
  for (const auto& r : st.recovered.results)
    if (done.count(r.step_id)) kept.push_back(r);
  st.results = std::move(kept);
  json::array again;
  for (const auto& id : rerun) again.emplace_back(id);
  auto previous = std::string(to_string(st.current.status));
  // A restart, not a step of the life cycle: the task goes on executing from
  // where the store left it (executing or verifying), so no guard applies.
  st.current.status = task_status::executing;
  st.current.updated_at = now_ms();
  st.execution_id = st.current.execution.execution_id.empty() ? st.ids.next("exec")
                                                              : st.current.execution.execution_id;
  st.current.execution.execution_id = st.execution_id;
  st.the_plan.status = plan_status::executing;
  publish_plan(self);
  publish_task(self, "task_recovered",
               {{"status", previous},
                {"plan_id", st.the_plan.id},
                {"steps_done", done.size()},
                {"steps_to_run", again}});
  st.monitor =
      self->spawn<caf::monitored>(safety::safety_monitor_behavior,
                                  caf::actor_cast<task_actor>(self), st.runtime.policy, now_ms());
  arm_execution_timeout(self);
  st.executing_plan = shared<plan>(st.the_plan);
  st.scheduler.emplace(st.the_plan.steps);
  for (const auto& id : done) st.scheduler->mark_already_done(id);
  schedule_steps(self);
}

/// First message of a task actor: a fresh start, or a recovery.
void on_start(self_ptr self) {
  auto& st = self->state;
  if (st.recovered.rollback_only) {  // waits for the rollback request
    st.the_plan = st.recovered.the_plan;
    st.has_plan = st.recovered.has_plan;
    st.results = st.recovered.results;
    st.files = shared<workspace>(st.recovered.files);
    return;
  }
  if (!st.recovered.active) return start_planning(self);
  if (!st.recovered.has_plan || st.current.status == task_status::planning ||
      st.current.status == task_status::queued || st.current.status == task_status::pending) {
    emit(self, "task_recovered",
         {{"status", std::string(to_string(st.current.status))}, {"restart", "planning"}});
    return start_planning(self);
  }
  st.the_plan = st.recovered.the_plan;
  st.has_plan = true;
  if (st.current.status == task_status::awaiting_approval) {
    // Still waiting for a human; the monitor is needed once execution starts.
    st.monitor =
        self->spawn<caf::monitored>(safety::safety_monitor_behavior,
                                    caf::actor_cast<task_actor>(self), st.runtime.policy, now_ms());
    emit(self, "task_recovered", {{"status", "awaiting_approval"}, {"plan_id", st.the_plan.id}});
    arm_approval_expiry(self);
    return;
  }
  resume_execution(self);
}

}  // namespace

task_actor::behavior_type task_behavior(task_actor::stateful_pointer<task_state> self, task initial,
                                        engine_actor engine, event_log_actor events,
                                        task_runtime runtime, recovered_execution recovered) {
  auto& st = self->state;
  st.recovered = std::move(recovered);
  st.current = std::move(initial);
  st.engine = std::move(engine);
  st.events = std::move(events);
  st.runtime = std::move(runtime);
  // A step child that goes down without having answered (crashed, killed)
  // fails its step. Answers arrive before the down message (same sender).
  self->set_down_handler([=](caf::down_msg& dm) {
    auto it = self->state.running.find(dm.source);
    if (it == self->state.running.end()) return;  // answered before it went down
    auto step_id = it->second.step_id;
    self->state.running.erase(it);
    on_step_error(self, step_id, "step " + step_id + " crashed: " + render(self, dm.reason));
  });
  // Shutdown (the engine exits): stop the children too; the task resumes from
  // the store on the next start.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    finish(self);
    self->quit(msg.reason);
  });
  // A bug in this actor's own logic fails the task instead of losing it.
  self->set_exception_handler([=](std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    logging::log(
        spdlog::level::err, {{"task_id", self->state.current.id}},
        fmt::format("task {}: internal error in the task actor: {}", self->state.current.id, what));
    if (can_transition(self->state.current.status, task_status::failed)) {
      auto& t = self->state.current;
      t.result.present = true;
      t.result.success = false;
      t.result.errors = {"internal error: " + what};
      set_status(self, task_status::failed);
      publish_task(self, "task_failed", {{"errors", json::array{t.result.errors.front()}}});
    }
    return caf::exit_reason::user_shutdown;
  });
  return {
      [=](atoms::start) { on_start(self); },
      [=](atoms::approve, const std::string& approver,
          const std::string& comment) -> caf::result<plan> {
        if (self->state.current.status != task_status::awaiting_approval)
          return make_error(errc::wrong_state,
                            "plan " + self->state.the_plan.id +
                                " is not awaiting approval (task is " +
                                std::string(to_string(self->state.current.status)) + ")");
        approve_plan(self, approver, comment);
        return self->state.the_plan;
      },
      [=](atoms::reject, const std::string& who, const std::string& reason) -> caf::result<plan> {
        if (self->state.current.status != task_status::awaiting_approval)
          return make_error(errc::wrong_state,
                            "plan " + self->state.the_plan.id +
                                " is not awaiting approval (task is " +
                                std::string(to_string(self->state.current.status)) + ")");
        auto& p = self->state.the_plan;
        p.status = plan_status::rejected;
        emit(self, "plan_rejected", {{"plan_id", p.id}, {"reason", reason}, {"rejected_by", who}});
        auto answer = p;
        end_cancelled(self, who, "plan rejected: " + reason);
        return answer;
      },
      [=](atoms::cancel, const std::string& who) -> caf::result<task> {
        if (is_terminal(self->state.current.status))
          return make_error(errc::wrong_state,
                            "task " + self->state.current.id + " is already " +
                                std::string(to_string(self->state.current.status)));
        if (self->state.ending)  // one ending only: the first decides how the task ends
          return make_error(errc::wrong_state, "task " + self->state.current.id +
                                                   " is already ending (rolling back); it can "
                                                   "no longer be cancelled");
        end_cancelled(self, who, "cancelled by " + who);
        if (!self->state.ending) return self->state.current;
        // Applied steps are being rolled back; the answer waits for the end.
        auto promise = self->make_response_promise<task>();
        self->state.enders.push_back(promise);
        return promise;
      },
      [=](atoms::violation, const safety_check_result& failed) {
        if (is_terminal(self->state.current.status)) return;
        json::object data{{"check_id", failed.check_id}, {"message", failed.message}};
        emit(self, "safety_violation", std::move(data));
        end_failed(self, {"safety violation (" + failed.check_id + "): " + failed.message});
      },
      [=](atoms::rollback) -> caf::result<rollback_report> {
        auto& st = self->state;
        if (!st.recovered.rollback_only || st.report)
          return make_error(errc::wrong_state,
                            "task " + st.current.id + " is not waiting for a rollback");
        auto promise = self->make_response_promise<rollback_report>();
        st.report = promise;
        if (!begin_rollback(self, {true, false, {}, "", ""})) {
          promise.deliver(rollback_report{st.current.id, true, {}, {}});
          finish(self);
        }
        return promise;
      },
      [=](atoms::proceed, const std::string& phase) {
        auto status = self->state.current.status;
        if (phase == "planning" && status == task_status::planning) spawn_planner(self);
        if (phase == "verification" && status == task_status::verifying) spawn_verifier(self);
      },
      [=](atoms::retry_step, const std::string& step_id) {
        auto& st = self->state;
        auto* step = find_step(self, step_id);
        // Cancelled, failed or timed out during the backoff: nothing to retry.
        if (st.current.status != task_status::executing || step == nullptr ||
            step->status != step_status::running || !st.scheduler || st.scheduler->halted())
          return;
        launch_step(self, step_id);
      },
      [=](atoms::deadline, uint64_t token) {
        auto& st = self->state;
        if (is_terminal(st.current.status) || token == 0) return;
        if (token == st.approval_token && st.current.status == task_status::awaiting_approval) {
          auto waited =
              std::chrono::duration_cast<std::chrono::seconds>(st.runtime.approval_timeout);
          auto reason = "approval not given within " + std::to_string(waited.count()) + " s";
          st.the_plan.status = plan_status::rejected;
          emit(self, "plan_rejected",
               {{"plan_id", st.the_plan.id}, {"reason", reason}, {"rejected_by", "policy"}});
          end_cancelled(self, "policy", "approval expired: " + reason);
          return;
        }
        if (token != st.execution_token) return;
        auto msg = "execution exceeded its timeout of " +
                   std::to_string(st.runtime.policy.execution_timeout_s) + " s";
        emit(self, "safety_violation", {{"check_id", "execution_timeout"}, {"message", msg}});
        end_failed(self, {"safety violation (execution_timeout): " + msg});
      },
  };
}

}  // namespace ce::tasks

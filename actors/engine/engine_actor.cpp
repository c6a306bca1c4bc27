#include "actors/engine/engine_actor.hpp"

#include <algorithm>
#include <limits>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "actors/planner/planner.hpp"
#include "actors/safety/safety_checks.hpp"
#include "actors/store/totals.hpp"
#include "actors/task/rollback.hpp"
#include "actors/timer/timer_actor.hpp"
#include "logging/structured.hpp"
#include "messages/access.hpp"
#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace ce::engine {

namespace {

namespace json = boost::json;
using self_ptr = engine_actor::stateful_pointer<engine_state>;

void halt_task(self_ptr self, const std::string& task_id, const caf::error& err);

/// The failure handler of a change of `task_id`: halts the task.
auto halt_on_failure(self_ptr self, std::string task_id) {
  return [self, task_id = std::move(task_id)](caf::error& err) { halt_task(self, task_id, err); };
}

caf::error task_not_found(const std::string& id) {
  return make_error(errc::not_found, "task " + id + " does not exist");
}

caf::error plan_not_found(const std::string& id) {
  return make_error(errc::not_found, "plan " + id + " does not exist");
}

/// How long a read of the store may take before the caller gets an error.
constexpr auto read_timeout = std::chrono::seconds(30);

/// Answers a promise with a value or an error.
template <class T>
void deliver(caf::typed_response_promise<T>& promise, caf::expected<T> x) {
  if (x)
    promise.deliver(std::move(*x));
  else
    promise.deliver(std::move(x.error()));
}

/// Runs found(record) with the task's record: from memory, or read back from
/// the store (and kept a while) when it left memory. failed(error) if there
/// is no such task or the store cannot be read.
template <class Found, class Failed>
void with_task(self_ptr self, const std::string& id, Found found, Failed failed) {
  if (auto* rec = self->state.registry.find(id)) return found(*rec);
  if (!self->state.reader) {
    auto err = task_not_found(id);
    return failed(err);
  }
  self->request(self->state.reader, read_timeout, atoms::get_task::value, id)
      .then(
          [=](stored_task& t) mutable {
            self->state.registry.admit(std::move(t), now_ms());
            if (auto* rec = self->state.registry.find(id)) return found(*rec);
            auto err = task_not_found(id);
            failed(err);
          },
          [=](caf::error& err) mutable { failed(err); });
}

/// Same for a plan.
template <class Found, class Failed>
void with_plan(self_ptr self, const std::string& id, Found found, Failed failed) {
  if (auto* p = self->state.registry.find_plan(id)) return found(*p);
  if (!self->state.reader) {
    auto err = plan_not_found(id);
    return failed(err);
  }
  self->request(self->state.reader, read_timeout, atoms::get_plan::value, id)
      .then(
          [=](plan& p) mutable {
            self->state.registry.admit_plan(std::move(p), now_ms());
            if (auto* kept = self->state.registry.find_plan(id)) return found(*kept);
            auto err = plan_not_found(id);
            failed(err);
          },
          [=](caf::error& err) mutable { failed(err); });
}

/// The refusal for a caller who may not do `what` to the task `id` of
/// `owner`: another user's task is unknown to them (404, as for an id that
/// does not exist), a role that may not act is told so (403).
std::optional<caf::error> refuse(const caller_identity& caller, access::action what,
                                 const std::string& owner, const std::string& id) {
  auto v = access::decide(caller, what, owner);
  if (v.allowed()) return std::nullopt;
  if (v.hidden()) return task_not_found(id);
  return make_error(errc::forbidden, v.reason + " (task " + id + ")");
}

/// with_task for a caller: found(record) only if the caller may do `what` to it.
template <class Found, class Failed>
void with_task_for(self_ptr self, const caller_identity& caller, access::action what,
                   const std::string& id, Found found, Failed failed) {
  with_task(
      self, id,
      [=](task_record& rec) mutable {
        if (auto refused = refuse(caller, what, rec.current.user_id, id)) return failed(*refused);
        found(rec);
      },
      failed);
}

/// with_plan for a caller: a plan belongs to its task's user, or to whoever
/// generated it. found(plan, owner) only if the caller may do `what` to it.
template <class Found, class Failed>
void with_plan_for(self_ptr self, const caller_identity& caller, access::action what,
                   const std::string& id, Found found, Failed failed) {
  with_plan(
      self, id,
      [=](const plan& p) mutable {
        auto decide = [=](const plan& subject, const std::string& owner) mutable {
          auto v = access::decide(caller, what, owner);
          if (v.hidden()) {
            auto err = plan_not_found(id);
            return failed(err);
          }
          if (!v.allowed()) {
            auto err = make_error(errc::forbidden, v.reason + " (plan " + id + ")");
            return failed(err);
          }
          found(subject, owner);
        };
        if (p.task_id.empty()) {
          auto it = self->state.plan_owners.find(id);
          return decide(p, it == self->state.plan_owners.end() ? std::string{} : it->second);
        }
        // Copied: the plan in the registry may change while its task is read.
        with_task(
            self, p.task_id,
            [=, copy = p](task_record& rec) mutable { decide(copy, rec.current.user_id); },
            [=](caf::error&) mutable {
              auto err = plan_not_found(id);
              failed(err);
            });
      },
      failed);
}

/// Answers a read of one task for a caller: `answer(record)` gives the value or an error.
template <class T, class Answer>
caf::result<T> read_task_for(self_ptr self, const caller_identity& caller, const std::string& id,
                             Answer answer) {
  auto promise = self->make_response_promise<T>();
  with_task_for(
      self, caller, access::action::read, id,
      [=](const task_record& rec) mutable { deliver<T>(promise, answer(rec)); },
      [=](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// Answers a read of one plan for a caller the same way.
template <class T, class Answer>
caf::result<T> read_plan_for(self_ptr self, const caller_identity& caller, const std::string& id,
                             Answer answer) {
  auto promise = self->make_response_promise<T>();
  with_plan_for(
      self, caller, access::action::read, id,
      [=](const plan& p, const std::string&) mutable { deliver<T>(promise, answer(p)); },
      [=](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

execution_outcome outcome_of(self_ptr self, const task_record& rec) {
  execution_outcome out;
  out.subject = rec.current;
  if (auto p = self->state.registry.shared_plan(rec.current.execution.plan_id)) {
    out.the_plan = std::move(*p);
    out.has_plan = true;
  }
  out.results = rec.results;
  out.verification = rec.verification;
  out.has_verification = rec.has_verification;
  return out;
}

/// Answers the execute?wait=true callers of a task that ended or now waits for a human.
void deliver_waiters(self_ptr self, const task_record& rec) {
  auto it = self->state.waiters.find(rec.current.id);
  if (it == self->state.waiters.end()) return;
  auto outcome = outcome_of(self, rec);
  for (auto& promise : it->second) promise.deliver(outcome);
  self->state.waiters.erase(it);
}

/// Makes a change durable, then runs `then` (on this actor). A failed commit
/// is logged; `on_failure` (if any) answers whoever waits.
template <class OnSaved, class OnFailure>
void persist(self_ptr self, change_set changes, OnSaved then, OnFailure on_failure) {
  // Through the log: one path to the store, so acknowledgements come back in
  // the order the changes were made (a task's state before a later answer).
  self->request(self->state.events, caf::infinite, atoms::persist::value, std::move(changes))
      .then([=](uint64_t) mutable { then(); },
            [=](caf::error& err) mutable {
              ++self->state.unsaved_changes;
              spdlog::error("engine: a change was not saved: {}", self->system().render(err));
              on_failure(err);
            });
}

/// Stores changes together with an event (stamped by the log) in one commit,
/// then runs `then`.
template <class OnSaved, class OnFailure>
void save_with_event(self_ptr self, change_set changes, event e, OnSaved then,
                     OnFailure on_failure) {
  self->request(self->state.events, caf::infinite, atoms::emit::value, std::move(e),
                std::move(changes))
      .then([=](event&) mutable { then(); },
            [=](caf::error& err) mutable {
              ++self->state.unsaved_changes;
              spdlog::error("engine: a change was not saved: {}", self->system().render(err));
              on_failure(err);
            });
}

change_set task_change(const task& t) {
  change_set c;
  c.tasks.push_back(t);
  return c;
}

change_set plan_change(shared<plan> p) {
  change_set c;
  c.plans.push_back(std::move(p));
  return c;
}

change_set plan_change(const plan& p) {
  return plan_change(shared<plan>(p));
}

/// The refusal of a command on a task that another command is changing.
std::optional<caf::error> refuse_if_busy(self_ptr self, const std::string& task_id) {
  auto it = self->state.busy.find(task_id);
  if (it == self->state.busy.end()) return std::nullopt;
  return make_error(errc::wrong_state,
                    "task " + task_id + " is " + it->second + "; try again once that has finished");
}

/// Spawns a task actor for a task (fresh, or recovered after a crash).
void spawn_task_actor(self_ptr self, const task& snapshot, tasks::recovered_execution recovered) {
  auto child = self->spawn<caf::monitored>(tasks::task_behavior, snapshot,
                                           caf::actor_cast<engine_actor>(self), self->state.events,
                                           self->state.runtime.task, std::move(recovered));
  self->state.live.emplace(snapshot.id, child);
  self->state.live_by_addr.emplace(child.address(), snapshot.id);
  self->send(child, atoms::start::value);
}

/// The task's latest files whose bytes are held in memory.
workspace files_of(const task_record& rec) {
  workspace files;
  for (const auto& [name, a] : rec.artifacts)
    if (auto it = rec.bytes.find(a.checksum); it != rec.bytes.end())
      files[name] = {a.type, it->second, a.checksum};
  return files;
}

/// Resumes a task a crash interrupted, from what the store holds.
void resume_task(self_ptr self, const task_record& rec) {
  tasks::recovered_execution recovered;
  recovered.active = true;
  if (auto* p = self->state.registry.find_plan(rec.current.execution.plan_id)) {
    recovered.the_plan = *p;
    recovered.has_plan = true;
  }
  recovered.results = rec.results;
  recovered.files = files_of(rec);
  logging::log(spdlog::level::info, {{"task_id", rec.current.id}},
               fmt::format("task {}: resuming after restart (was {})", rec.current.id,
                           to_string(rec.current.status)));
  spawn_task_actor(self, rec.current, std::move(recovered));
}

event make_event(const task& t, const char* type, json::object data);

/// Moves a task to planning (durably) in a slot and spawns its actor; the
/// task actor owns every transition from there on. `then` runs once durable.
template <class Then, class Fail>
void launch(self_ptr self, const task& current, Then then, Fail fail) {
  task snapshot = current;
  transition(snapshot, task_status::planning, now_ms());  // from pending or queued
  snapshot.queue_position = 0;
  self->state.queue.occupy(snapshot.id, snapshot.user_id);
  // In memory at once, so a second execute is refused; answered once durable.
  self->state.registry.update(snapshot, snapshot.updated_at);
  spawn_task_actor(self, snapshot, {});
  persist(
      self, task_change(snapshot), [=]() mutable { then(snapshot); },
      [=](caf::error& err) mutable { fail(err); });
}

/// Starts queued executions while slots are free, in queue order.
void start_queued(self_ptr self) {
  while (auto next = self->state.queue.next_to_start()) {
    auto* rec = self->state.registry.find(*next);
    if (rec == nullptr || rec->current.status != task_status::queued) continue;
    launch(
        self, rec->current, [](const task&) {}, halt_on_failure(self, *next));
  }
}

/// Answers a task with its live place in the queue.
task with_position(self_ptr self, task t) {
  t.queue_position = static_cast<uint32_t>(self->state.queue.position(t.id));
  return t;
}

/// Executes a pending task now if a slot is free, else queues it (durably,
/// with a task_queued event). Answers through `reply`.
template <class Reply, class Fail>
void start_execution(self_ptr self, const caller_identity& caller, const std::string& task_id,
                     Reply reply, Fail fail) {
  with_task_for(
      self, caller, access::action::execute, task_id,
      [=](task_record& rec) mutable {
        if (auto busy = refuse_if_busy(self, task_id)) return fail(std::move(*busy));
        if (rec.current.status != task_status::pending)
          return fail(make_error(errc::wrong_state, "task " + task_id + " is " +
                                                        std::string(to_string(rec.current.status)) +
                                                        "; only a pending task can be executed"));
        auto& st = self->state;
        if (st.queue.has_slot_for(rec.current.user_id))
          return launch(self, rec.current, reply, fail);
        task queued = rec.current;
        transition(queued, task_status::queued, now_ms());  // from pending
        auto position = st.queue.enqueue(queued.id, queued.user_id, queued.prio, ++st.arrivals);
        st.registry.update(queued, queued.updated_at);
        save_with_event(
            self, task_change(queued),
            make_event(queued, "task_queued",
                       {{"position", position},
                        {"priority", std::string(to_string(queued.prio))},
                        {"queue_depth", st.queue.queued()},
                        {"running", st.queue.running()}}),
            [=]() mutable { reply(with_position(self, queued)); },
            [=](caf::error& err) mutable { fail(err); });
      },
      fail);
}

event make_event(const task& t, const char* type, json::object data) {
  event e;
  e.task_id = t.id;
  e.type = type;
  e.user_id = t.user_id;
  e.data = codec::to_doc(data);
  return e;
}

event created_event(const task& t) {
  json::array components;
  for (const auto& c : t.context.components) components.emplace_back(c);
  return make_event(t, "task_created",
                    {{"type", std::string(to_string(t.type))},
                     {"priority", std::string(to_string(t.prio))},
                     {"provider", std::string(to_string(t.context.provider))},
                     {"environment", t.context.environment},
                     {"components", components},
                     {"task", codec::to_json(t)}});
}

/// Stores a plan, then makes it visible and answers it.
void save_plan(self_ptr self, plan p, caf::typed_response_promise<plan> promise) {
  persist(
      self, plan_change(p),
      [=]() mutable {
        self->state.registry.put_plan(p, now_ms());
        promise.deliver(p);
      },
      [=](caf::error& err) mutable { promise.deliver(err); });
}

/// A task actor that ended between being found and being asked finished on
/// its own: that is a state conflict, not a failure of the server.
caf::error task_gone(const caf::error& err, const std::string& task_id) {
  if (err == caf::sec::request_receiver_down)
    return make_error(errc::wrong_state,
                      "task " + task_id + " finished before the request reached it");
  return err;
}

/// Asks a task actor (approve/reject) and answers its plan once stored.
template <class... Ts>
void ask_task_then_save(self_ptr self, caf::typed_response_promise<plan> promise,
                        const task_actor& task, const std::string& task_id, Ts... xs) {
  self->request(task, caf::infinite, xs...)
      .then(
          [=](plan& p) mutable {
            persist(
                self, plan_change(p), [=]() mutable { promise.deliver(p); },
                [=](caf::error& err) mutable { promise.deliver(err); });
          },
          [=](caf::error& err) mutable { promise.deliver(task_gone(err, task_id)); });
}

/// Approves or rejects a plan. A task's plan is decided by its task actor
/// (which resumes or cancels the task); a plan made without a task is
/// decided here.
caf::result<plan> decide_plan(self_ptr self, const caller_identity& caller,
                              const std::string& plan_id, bool approve, const std::string& note) {
  auto promise = self->make_response_promise<plan>();
  auto decide = [=](const plan& p, const std::string& owner) mutable {
    if (approve)
      if (auto refusal = access::self_approval_refusal(caller, owner, p.context.environment,
                                                       self->state.runtime.no_self_approval_in)) {
        promise.deliver(make_error(errc::forbidden, *refusal));
        return;
      }
    if (!p.task_id.empty()) {
      auto live = self->state.live.find(p.task_id);
      if (live == self->state.live.end()) {
        promise.deliver(make_error(errc::wrong_state, "plan " + plan_id + " is " +
                                                          std::string(to_string(p.status)) +
                                                          "; its task is not awaiting approval"));
        return;
      }
      if (approve)
        return ask_task_then_save(self, promise, live->second, p.task_id, atoms::approve::value,
                                  caller.user_id, note);
      return ask_task_then_save(self, promise, live->second, p.task_id, atoms::reject::value,
                                caller.user_id, note);
    }
    if (p.status != plan_status::draft) {
      promise.deliver(make_error(errc::wrong_state, "plan " + plan_id + " is already " +
                                                        std::string(to_string(p.status))));
      return;
    }
    auto decided = p;
    decided.status = approve ? plan_status::approved : plan_status::rejected;
    if (approve) {
      decided.approved_by = caller.user_id;
      decided.approved_at = now_ms();
    }
    decided.updated_at = now_ms();
    save_plan(self, std::move(decided), promise);
  };
  with_plan_for(self, caller, approve ? access::action::approve : access::action::reject, plan_id,
                decide, [=](caf::error& err) mutable { promise.deliver(err); });
  return promise;
}

/// Ends a task failed with `reason`, once that is stored.
void fail_task(self_ptr self, const std::string& task_id, const std::string& reason) {
  auto* rec = self->state.registry.find(task_id);
  if (rec == nullptr) return;
  task t = rec->current;
  if (!transition(t, task_status::failed, now_ms())) return;  // already ended
  logging::log(spdlog::level::err, {{"task_id", task_id}},
               fmt::format("task {}: failed in state {}: {}", task_id,
                           to_string(rec->current.status), reason));
  t.result.present = true;
  t.result.success = false;
  t.result.errors.push_back(reason);
  save_with_event(
      self, task_change(t), make_event(t, "task_failed", {{"errors", json::array{reason.c_str()}}}),
      [=] {
        self->state.registry.update(t, t.updated_at);
        if (auto* now = self->state.registry.find(task_id)) deliver_waiters(self, *now);
      },
      [](caf::error&) {});  // counted and logged by save_with_event
}

/// A task actor that died without reaching a terminal state failed.
void on_task_actor_down(self_ptr self, const caf::down_msg& dm) {
  auto it = self->state.live_by_addr.find(dm.source);
  if (it == self->state.live_by_addr.end()) return;
  auto task_id = it->second;
  self->state.live_by_addr.erase(it);
  self->state.live.erase(task_id);
  // Its slot goes to the next queued execution.
  self->state.queue.release(task_id);
  start_queued(self);
  // A task actor that ended on its own has sent its final state already (it
  // may still be on its way to disk); a halted one was failed by the halt.
  if (dm.reason == caf::exit_reason::normal || dm.reason == caf::exit_reason::user_shutdown ||
      self->state.halted.count(task_id))
    return;
  fail_task(self, task_id,
            "the task's supervisor stopped unexpectedly: " + self->system().render(dm.reason));
}

/// A task whose change the store refused must not go on as if it had been
/// stored: its actor is stopped and the task ends failed with the reason (if
/// the store takes that much); what the stopped actor had already sent is not shown.
void halt_task(self_ptr self, const std::string& task_id, const caf::error& err) {
  if (!self->state.halted.insert(task_id).second) return;  // once per task
  if (auto it = self->state.live.find(task_id); it != self->state.live.end())
    self->send_exit(it->second, err);
  fail_task(self, task_id, "a change of the task could not be saved: " + sentence_of(err));
}

/// Whether a rollback of the task would undo anything now, and what.
rollback_check check_rollback(self_ptr self, const task_record& rec) {
  rollback_check out;
  const auto& t = rec.current;
  if (!is_terminal(t.status) || self->state.live.count(t.id)) {
    out.reason = "task " + t.id + " is " + std::string(to_string(t.status)) +
                 (self->state.live.count(t.id) && is_terminal(t.status)
                      ? " and being rolled back"
                      : "; a running task is rolled back by cancelling it");
    return out;
  }
  const plan* p = self->state.registry.find_plan(t.execution.plan_id);
  if (p != nullptr) out.steps = task_logic::steps_to_undo(*p, rec.results);
  out.can_rollback = !out.steps.empty();
  out.reason = out.can_rollback ? "steps that applied changes can be undone"
                                : "nothing to roll back: no applied step is left to undo";
  return out;
}

/// The safety checks of one phase for a plan (and its task, if any).
caf::expected<safety_report> safety_report_for(self_ptr self, const task_record* rec, const plan& p,
                                               safety_phase phase) {
  const auto& policy = self->state.runtime.task.policy;
  switch (phase) {
    case safety_phase::pre_execution:
      return safety::run_pre_execution(p, policy);
    case safety_phase::during_execution: {
      safety_report report;
      report.phase = phase;
      timestamp_ms started = rec ? rec->current.updated_at : now_ms();
      for (const auto& r : rec ? rec->results : std::vector<execution_result>{})
        started = std::min(started, r.started_at ? r.started_at : started);
      safety::execution_monitor monitor(policy, started);
      if (rec) {
        for (const auto& r : rec->results) {
          auto out = codec::to_json(r.outputs);
          if (auto* o = out.if_object())
            if (auto* n = o->if_contains("resources_created"); n && n->is_number())
              if (auto failed = monitor.on_resources_created(
                      static_cast<int>(n->to_number<double>()), r.completed_at))
                report.blockers.push_back(*failed);
        }
      }
      timestamp_ms until =
          rec && is_terminal(rec->current.status) ? rec->current.completed_at : now_ms();
      report.results = monitor.results(until);
      for (const auto& r : report.results)
        if (!r.passed && !r.can_proceed) report.blockers.push_back(r);
      report.passed = report.blockers.empty();
      return report;
    }
    case safety_phase::post_execution:
      if (rec == nullptr || !rec->has_verification)
        return make_error(errc::wrong_state,
                          "post-execution checks need a task that finished verification");
      return safety::run_post_execution(p, rec->results, rec->verification, policy);
  }
  return make_error(errc::invalid_input, "unknown safety phase");
}

/// /api/statistics for a caller who sees only their own tasks: the same
/// figures over those tasks; what the node holds and commits is not theirs to see.
caf::result<engine_statistics> own_statistics(self_ptr self, const std::string& user_id) {
  auto promise = self->make_response_promise<engine_statistics>();
  auto now = now_ms();
  auto answer = [=](engine_statistics stats) mutable {
    stats.started_at = self->state.started_at;
    stats.node_id = self->state.runtime.node_id;
    promise.deliver(std::move(stats));
  };
  if (self->state.reader) {
    self->request(self->state.reader, read_timeout, atoms::statistics::value, user_id, now)
        .then([=](engine_statistics& stats) mutable { answer(std::move(stats)); },
              [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
    return promise;
  }
  // Memory only: every task is in the registry.
  task_query query;
  query.user_id = user_id;
  query.limit = std::numeric_limits<uint32_t>::max();
  task_page page;
  self->state.registry.list(query, page);
  auto totals = store::totals_of(page.tasks, now);
  for (const auto& t : page.tasks)
    if (!t.execution.plan_id.empty()) ++totals.plans;
  event_query events;
  events.user_id = user_id;
  events.limit = 1;
  self->request(self->state.events, std::chrono::seconds(10), atoms::list_events::value, events)
      .then(
          [=](event_page& found) mutable {
            auto with_events = totals;
            with_events.events = found.total;
            answer(store::statistics_of(with_events, now));
          },
          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

}  // namespace

engine_actor::behavior_type engine_behavior(engine_actor::stateful_pointer<engine_state> self,
                                            event_log_actor events, store_actor store,
                                            store_reader_actor reader, engine_runtime runtime,
                                            std::shared_ptr<store::recovered_state> recovered) {
  self->state.events = std::move(events);
  self->state.store = std::move(store);
  self->state.reader = std::move(reader);
  self->state.runtime = std::move(runtime);
  self->state.started_at = now_ms();
  // One timer for the long deadlines of every task; it ends with the engine.
  if (!self->state.runtime.task.timers)
    self->state.runtime.task.timers = self->spawn<caf::linked>(timer::timer_behavior);
  auto keep = self->state.runtime.keep;
  keep.enabled = static_cast<bool>(self->state.reader);  // evicted tasks must be readable
  self->state.registry = task_registry{keep};
  self->state.queue =
      run_queue{self->state.runtime.max_running, self->state.runtime.max_running_per_user};
  if (recovered) {
    auto& reg = self->state.registry;
    reg.seed(recovered->totals);
    for (auto& t : recovered->active) reg.restore(std::move(t));
    recovered.reset();
    for (const auto& id : reg.interrupted()) {
      auto* rec = reg.find(id);
      if (rec == nullptr) continue;
      if (rec->current.status == task_status::queued) {
        self->state.queue.enqueue(id, rec->current.user_id, rec->current.prio,
                                  ++self->state.arrivals);
      } else if (self->state.runtime.auto_resume) {
        if (rec->current.status != task_status::awaiting_approval)
          self->state.queue.occupy(id, rec->current.user_id);
        resume_task(self, *rec);
      }
    }
    start_queued(self);
  }
  self->set_down_handler([=](caf::down_msg& dm) { on_task_actor_down(self, dm); });
  // On shutdown the engine takes its task actors along (a task waiting for
  // approval would otherwise keep the process alive); they resume from the
  // store on the next start.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [id, actor] : self->state.live) self->send_exit(actor, msg.reason);
    self->state.live.clear();
    self->quit(msg.reason);
  });
  return {
      [=](atoms::create, const caller_identity& caller, task draft) -> caf::result<task> {
        if (auto v = access::decide_create(caller, draft.user_id); !v.allowed())
          return make_error(errc::forbidden, v.reason);
        auto now = now_ms();
        draft.id = self->state.ids.next("task");
        draft.status = task_status::pending;
        draft.created_at = draft.updated_at = now;
        draft.completed_at = 0;
        if (draft.user_id.empty()) draft.user_id = caller.user_id;
        draft.execution = {};
        draft.result = {};
        auto& st = self->state;
        const auto& rt = st.runtime;
        auto user = draft.user_id;
        auto on_the_way = st.creating.count(user) ? st.creating.at(user) : uint64_t{0};
        if (rt.max_pending_per_user > 0 &&
            st.registry.pending_of(user) + on_the_way >= rt.max_pending_per_user)
          return make_error(errc::too_many,
                            "user " + user + " has " + std::to_string(rt.max_pending_per_user) +
                                " pending tasks, the most allowed; execute or cancel some first");
        if (rt.max_pending > 0 && st.registry.pending_total() + st.creating_total >= rt.max_pending)
          return make_error(errc::too_many,
                            "the node holds " + std::to_string(rt.max_pending) +
                                " pending tasks, the most allowed; try again later");
        ++st.creating[user];
        ++st.creating_total;
        auto created = [=] {
          auto& s = self->state;
          --s.creating_total;
          if (--s.creating[user] == 0) s.creating.erase(user);
        };
        auto promise = self->make_response_promise<task>();
        // Stored first, then visible and answered: a 201 is never lost.
        save_with_event(
            self, task_change(draft), created_event(draft),
            [=]() mutable {
              created();
              self->state.registry.add(draft);
              promise.deliver(draft);
            },
            [=](caf::error& err) mutable {
              created();
              promise.deliver(err);
            });
        return promise;
      },
      [=](atoms::resume, const caller_identity& caller,
          const std::string& id) -> caf::result<task> {
        auto promise = self->make_response_promise<task>();
        with_task_for(
            self, caller, access::action::resume, id,
            [=](const task_record& rec) mutable {
              deliver<task>(promise, [&]() -> caf::expected<task> {
                if (is_terminal(rec.current.status) || rec.current.status == task_status::pending ||
                    rec.current.status == task_status::queued)
                  return make_error(errc::wrong_state,
                                    "task " + id + " is " +
                                        std::string(to_string(rec.current.status)) +
                                        "; only an interrupted task can be resumed");
                if (auto busy = refuse_if_busy(self, id)) return std::move(*busy);
                if (self->state.live.count(id))
                  return make_error(errc::wrong_state,
                                    "task " + id + " is running; nothing to resume");
                if (rec.current.status != task_status::awaiting_approval)
                  self->state.queue.occupy(id, rec.current.user_id);
                resume_task(self, rec);
                return rec.current;
              }());
            },
            [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::rollback_check, const caller_identity& caller,
          const std::string& id) -> caf::result<rollback_check> {
        return read_task_for<rollback_check>(
            self, caller, id, [=](const task_record& rec) -> caf::expected<rollback_check> {
              return check_rollback(self, rec);
            });
      },
      [=](atoms::rollback, const caller_identity& caller,
          const std::string& id) -> caf::result<rollback_report> {
        auto promise = self->make_response_promise<rollback_report>();
        with_task_for(
            self, caller, access::action::rollback, id,
            [=](const task_record& rec) mutable {
              if (auto busy = refuse_if_busy(self, id)) {
                promise.deliver(std::move(*busy));
                return;
              }
              if (self->state.live.count(id) && is_terminal(rec.current.status)) {
                promise.deliver(make_error(errc::wrong_state,
                                           "task " + id + " is " +
                                               std::string(to_string(rec.current.status)) +
                                               " and still finishing; try again once it has"));
                return;
              }
              auto check = check_rollback(self, rec);
              if (!check.can_rollback && !is_terminal(rec.current.status)) {
                promise.deliver(make_error(errc::wrong_state, check.reason));
                return;
              }
              if (!check.can_rollback) {  // again, or nothing applied: nothing to do
                promise.deliver(rollback_report{id, true, {}, {}});
                return;
              }
              // A task actor in rollback mode undoes the steps and answers.
              tasks::recovered_execution undo;
              undo.rollback_only = true;
              if (auto* p = self->state.registry.find_plan(rec.current.execution.plan_id)) {
                undo.the_plan = *p;
                undo.has_plan = true;
              }
              undo.results = rec.results;
              undo.files = files_of(rec);
              // Until the undo is on disk, the registry still shows the steps
              // as applied: a second rollback would undo them again.
              self->state.busy.emplace(id, "being rolled back");
              spawn_task_actor(self, rec.current, std::move(undo));
              self->request(self->state.live.at(id), caf::infinite, atoms::rollback::value)
                  .then(
                      [=](rollback_report& report) mutable {
                        // The undo results and events went out before this
                        // answer; the log commits in order, so once this
                        // (empty) change is durable, they are too.
                        persist(
                            self, change_set{},
                            [=]() mutable {
                              self->state.busy.erase(id);
                              promise.deliver(report);
                            },
                            [=](caf::error& err) mutable {
                              self->state.busy.erase(id);
                              promise.deliver(err);
                            });
                      },
                      [=](caf::error& err) mutable {
                        self->state.busy.erase(id);
                        promise.deliver(task_gone(err, id));
                      });
            },
            [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::execute, const caller_identity& caller,
          const std::string& id) -> caf::result<task> {
        auto promise = self->make_response_promise<task>();
        start_execution(
            self, caller, id, [=](const task& t) mutable { promise.deliver(t); },
            [=](caf::error err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [=](atoms::execute_wait, const caller_identity& caller,
          const std::string& id) -> caf::result<execution_outcome> {
        auto promise = self->make_response_promise<execution_outcome>();
        start_execution(
            self, caller, id,
            [=](const task&) mutable { self->state.waiters[id].push_back(promise); },
            [=](caf::error err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [=](atoms::get_task, const caller_identity& caller,
          const std::string& id) -> caf::result<task> {
        if (auto* rec = self->state.registry.find(id)) {  // the common case
          if (auto refused = refuse(caller, access::action::read, rec->current.user_id, id))
            return std::move(*refused);
          return with_position(self, rec->current);
        }
        return read_task_for<task>(
            self, caller, id,
            [](const task_record& rec) -> caf::expected<task> { return rec.current; });
      },
      [=](atoms::list_tasks, const caller_identity& caller,
          task_query query) -> caf::result<task_page> {
        // A caller who sees only their own tasks lists only those; naming
        // another user finds nothing, as if that user had none.
        if (!caller.sees_everyone()) {
          if (!query.user_id.empty() && query.user_id != caller.user_id) return task_page{};
          query.user_id = caller.user_id;
        }
        // With a store, lists are indexed queries over every task there is.
        if (self->state.reader) {
          bool filtered = !query.user_id.empty() || !query.status.empty() || !query.type.empty() ||
                          !query.prio.empty();
          auto promise = self->make_response_promise<task_page>();
          self->request(self->state.reader, read_timeout, atoms::list_tasks::value, query)
              .then(
                  [=](task_page& page) mutable {
                    if (!filtered) page.total = self->state.registry.total_tasks();
                    for (auto& t : page.tasks) t = with_position(self, std::move(t));
                    promise.deliver(std::move(page));
                  },
                  [=](caf::error& err) mutable { promise.deliver(err); });
          return promise;
        }
        task_page page;
        if (!self->state.registry.list(query, page))
          return make_error(errc::invalid_input, "cursor is not one this server handed out");
        return page;
      },
      [=](atoms::cancel, const caller_identity& caller,
          const std::string& id) -> caf::result<task> {
        auto promise = self->make_response_promise<task>();
        auto fail = [=](caf::error& err) mutable { promise.deliver(err); };
        with_task_for(
            self, caller, access::action::cancel, id,
            [=](const task_record& rec) mutable {
              if (!can_transition(rec.current.status, task_status::cancelled)) {
                promise.deliver(
                    make_error(errc::wrong_state, "task " + id + " is already " +
                                                      std::string(to_string(rec.current.status)) +
                                                      " and cannot be cancelled"));
                return;
              }
              if (auto busy = refuse_if_busy(self, id)) {
                promise.deliver(std::move(*busy));
                return;
              }
              // Exactly one cancellation: the others wait for nothing and are refused.
              self->state.busy.emplace(id, "being cancelled");
              auto done = [=]() mutable { self->state.busy.erase(id); };
              auto failed = [=](caf::error& err) mutable {
                done();
                promise.deliver(err);
              };
              if (auto live = self->state.live.find(id); live != self->state.live.end()) {
                // The task actor stops its steps; the answer waits until the
                // cancelled state is on disk.
                self->request(live->second, caf::infinite, atoms::cancel::value, caller.user_id)
                    .then(
                        [=](task& t) mutable {
                          persist(
                              self, task_change(t),
                              [=]() mutable {
                                done();
                                promise.deliver(t);
                              },
                              failed);
                        },
                        [=](caf::error& err) mutable {
                          done();
                          promise.deliver(task_gone(err, id));
                        });
                return;
              }
              if (rec.current.status != task_status::pending &&
                  rec.current.status != task_status::queued) {
                // Its actor has just ended; its final state is on the way to disk.
                done();
                promise.deliver(
                    make_error(errc::wrong_state, "task " + id + " is finishing (" +
                                                      std::string(to_string(rec.current.status)) +
                                                      "); it can no longer be cancelled"));
                return;
              }
              // Pending or queued: no actor yet, the engine ends it directly.
              self->state.queue.remove(id);
              task t = rec.current;
              transition(t, task_status::cancelled, now_ms());  // pending or queued
              t.result.present = true;
              t.result.success = false;
              t.result.errors = {"cancelled by " + caller.user_id};
              save_with_event(
                  self, task_change(t),
                  make_event(
                      t, "task_cancelled",
                      {{"reason", t.result.errors.front()}, {"cancelled_by", caller.user_id}}),
                  [=]() mutable {
                    done();
                    self->state.registry.update(t, t.updated_at);
                    promise.deliver(t);
                  },
                  failed);
            },
            fail);
        return promise;
      },
      [=](atoms::get_plan, const caller_identity& caller,
          const std::string& id) -> caf::result<plan> {
        return read_plan_for<plan>(self, caller, id,
                                   [](const plan& p) -> caf::expected<plan> { return p; });
      },
      [=](atoms::generate_plan, const caller_identity& caller, task_type type,
          const task_context& context) -> caf::result<plan> {
        if (!access::role_allows(caller.role, access::action::plan))
          return make_error(errc::forbidden, "the role " + std::string(to_string(caller.role)) +
                                                 " may not " +
                                                 std::string(describe(access::action::plan)));
        auto promise = self->make_response_promise<plan>();
        auto id = self->state.ids.next("plan");
        self->state.plan_owners[id] = caller.user_id;
        save_plan(self, planner::make_plan(id, "", type, context, now_ms()), promise);
        return promise;
      },
      [=](atoms::validate_plan, const caller_identity& caller,
          const std::string& id) -> caf::result<plan_validation> {
        return read_plan_for<plan_validation>(self, caller, id,
                                              [](const plan& p) -> caf::expected<plan_validation> {
                                                return planner::validate_plan(p.steps);
                                              });
      },
      [=](atoms::validate_plan, const caller_identity&, const std::vector<plan_step>& steps) {
        return planner::validate_plan(steps);
      },
      [=](atoms::optimize_plan, const caller_identity& caller,
          const std::string& id) -> caf::result<plan> {
        auto promise = self->make_response_promise<plan>();
        with_plan_for(
            self, caller, access::action::plan, id,
            [=](const plan& p, const std::string&) mutable {
              auto optimized = planner::optimize_plan(p);
              optimized.updated_at = now_ms();
              save_plan(self, std::move(optimized), promise);
            },
            [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::approve, const caller_identity& caller, const std::string& plan_id,
          const std::string& comment) { return decide_plan(self, caller, plan_id, true, comment); },
      [=](atoms::reject, const caller_identity& caller, const std::string& plan_id,
          const std::string& reason) { return decide_plan(self, caller, plan_id, false, reason); },
      [=](atoms::safety_check, const caller_identity& caller, const std::string& task_id,
          const std::string& plan_id, safety_phase phase) -> caf::result<safety_report> {
        auto promise = self->make_response_promise<safety_report>();
        auto fail = [=](caf::error& err) mutable { promise.deliver(err); };
        if (task_id.empty()) {
          with_plan_for(
              self, caller, access::action::safety_check, plan_id,
              [=](const plan& p, const std::string&) mutable {
                deliver<safety_report>(promise, safety_report_for(self, nullptr, p, phase));
              },
              fail);
          return promise;
        }
        with_task_for(
            self, caller, access::action::safety_check, task_id,
            [=](const task_record& rec) mutable {
              std::string pid = plan_id.empty() ? rec.current.execution.plan_id : plan_id;
              if (pid.empty()) {
                promise.deliver(
                    make_error(errc::wrong_state, "task " + task_id +
                                                      " has no plan yet; execute it first or pass "
                                                      "plan_id"));
                return;
              }
              // A copy: reading the plan may take a message round, during
              // which a terminal task may leave memory.
              with_plan(
                  self, pid,
                  [=, snapshot = rec](const plan& p) mutable {
                    if (!p.task_id.empty() && p.task_id != task_id) {
                      promise.deliver(make_error(
                          errc::invalid_input,
                          "plan " + pid + " belongs to task " + p.task_id + ", not " + task_id));
                      return;
                    }
                    deliver<safety_report>(promise, safety_report_for(self, &snapshot, p, phase));
                  },
                  fail);
            },
            fail);
        return promise;
      },
      [=](atoms::list_artifacts, const caller_identity& caller,
          const std::string& task_id) -> caf::result<std::vector<artifact>> {
        return read_task_for<std::vector<artifact>>(
            self, caller, task_id,
            [](const task_record& rec) -> caf::expected<std::vector<artifact>> {
              std::vector<artifact> out;
              for (const auto& [name, a] : rec.artifacts) out.push_back(a);
              return out;
            });
      },
      [=](atoms::get_archive, const caller_identity& caller,
          const std::string& task_id) -> caf::result<std::vector<artifact_download>> {
        auto promise = self->make_response_promise<std::vector<artifact_download>>();
        with_task_for(
            self, caller, access::action::read, task_id,
            [=](const task_record& rec) mutable {
              std::vector<artifact_download> held;
              std::vector<artifact> to_read;
              for (const auto& [name, a] : rec.artifacts) {
                if (auto bytes = rec.bytes.find(a.checksum); bytes != rec.bytes.end())
                  held.push_back({a, bytes->second});
                else
                  to_read.push_back(a);
              }
              if (to_read.empty()) {
                promise.deliver(std::move(held));
                return;
              }
              if (!self->state.reader) {
                promise.deliver(
                    make_error(errc::not_found,
                               "the bytes of artifact " + to_read.front().name + " are not held"));
                return;
              }
              self->request(self->state.reader, read_timeout, atoms::get_archive::value, to_read)
                  .then(
                      [=](std::vector<artifact_download>& read) mutable {
                        read.insert(read.end(), held.begin(), held.end());
                        std::sort(read.begin(), read.end(), [](const auto& x, const auto& y) {
                          return x.meta.name < y.meta.name;
                        });
                        promise.deliver(std::move(read));
                      },
                      [=](caf::error& err) mutable { promise.deliver(err); });
            },
            [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::get_artifact, const caller_identity& caller, const std::string& task_id,
          const std::string& name) -> caf::result<artifact_download> {
        auto promise = self->make_response_promise<artifact_download>();
        with_task_for(
            self, caller, access::action::read, task_id,
            [=](const task_record& rec) mutable {
              auto it = rec.artifacts.find(name);
              if (it == rec.artifacts.end()) {
                promise.deliver(make_error(errc::not_found,
                                           "task " + task_id + " has no artifact named " + name));
                return;
              }
              const auto& a = it->second;
              if (auto bytes = rec.bytes.find(a.checksum); bytes != rec.bytes.end()) {
                promise.deliver(artifact_download{a, bytes->second});
                return;
              }
              if (!self->state.reader) {
                promise.deliver(
                    make_error(errc::not_found, "the bytes of artifact " + name + " are not held"));
                return;
              }
              self->request(self->state.reader, read_timeout, atoms::get_artifact::value, a)
                  .then([=](artifact_download& d) mutable { promise.deliver(std::move(d)); },
                        [=](caf::error& err) mutable { promise.deliver(err); });
            },
            [=](caf::error& err) mutable { promise.deliver(err); });
        return promise;
      },
      [=](atoms::statistics, const caller_identity& caller) -> caf::result<engine_statistics> {
        if (!caller.sees_everyone()) return own_statistics(self, caller.user_id);
        auto stats = self->state.registry.statistics(now_ms());
        stats.started_at = self->state.started_at;
        stats.node_id = self->state.runtime.node_id;
        stats.tasks_in_memory = self->state.registry.tasks_in_memory();
        stats.plans_in_memory = self->state.registry.plans_in_memory();
        stats.unsaved_changes = self->state.unsaved_changes;
        auto promise = self->make_response_promise<engine_statistics>();
        self->request(self->state.events, std::chrono::seconds(10), atoms::count_events::value)
            .then(
                [=](uint64_t n, uint64_t in_memory) mutable {
                  stats.events = n;
                  stats.events_in_memory = in_memory;
                  self->request(self->state.store, std::chrono::seconds(10),
                                atoms::store_stats::value)
                      .then(
                          [=](uint64_t commits, uint64_t changes) mutable {
                            stats.store_commits = commits;
                            stats.store_changes = changes;
                            promise.deliver(stats);
                          },
                          [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
                },
                [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      // From task actors: applied once durable, so reads never show what a
      // crash could take back. The store answers in order, so they apply in order.
      [=](atoms::task_changed, const task& t, event& transition) {
        auto apply = [=] {
          if (self->state.halted.count(t.id)) return;  // failed by the halt instead
          // A task waiting for a human does not hold a slot; once approved it
          // takes one again (even above the limit: it was admitted before).
          if (t.status == task_status::awaiting_approval) {
            self->state.queue.release(t.id);
            start_queued(self);
          } else if (!is_terminal(t.status) && self->state.live.count(t.id)) {
            self->state.queue.occupy(t.id, t.user_id);
          }
          self->state.registry.update(t, now_ms());
          // An ended task's bytes are the store's to serve; memory keeps only records.
          if (is_terminal(t.status) && self->state.reader)
            if (auto* rec = self->state.registry.find(t.id)) rec->bytes.clear();
          if (is_terminal(t.status) || t.status == task_status::awaiting_approval)
            if (auto* rec = self->state.registry.find(t.id)) deliver_waiters(self, *rec);
        };
        if (transition.type.empty())
          return persist(self, task_change(t), apply, halt_on_failure(self, t.id));
        save_with_event(self, task_change(t), std::move(transition), apply,
                        halt_on_failure(self, t.id));
      },
      [=](atoms::emit, event& e) {
        self->send(self->state.events, atoms::emit::value, std::move(e));
      },
      [=](atoms::plan_changed, const shared<plan>& p) {
        persist(
            self, plan_change(p), [=] { self->state.registry.put_plan(p, now_ms()); },
            halt_on_failure(self, p->task_id));
      },
      [=](atoms::step_finished, const std::string& task_id, const execution_result& r,
          std::vector<stored_blob>& blobs, event& finished, const shared<plan>& progress) {
        change_set c;
        c.result_task_ids.push_back(task_id);
        c.results.push_back(r);
        c.blobs = blobs;
        // The plan's step statuses follow from the stored results (a restart
        // recomputes them), so this snapshot is shown, not stored.
        save_with_event(
            self, std::move(c), std::move(finished),
            [=] {
              self->state.registry.add_result(task_id, r, blobs);
              self->state.registry.put_plan(progress, now_ms());
            },
            halt_on_failure(self, task_id));
      },
      [=](atoms::verified, const std::string& task_id, const verification_result& v) {
        change_set c;
        c.verification_task_ids.push_back(task_id);
        c.verifications.push_back(v);
        persist(
            self, std::move(c), [=] { self->state.registry.set_verification(task_id, v); },
            halt_on_failure(self, task_id));
      },
  };
}

}  // namespace ce::engine

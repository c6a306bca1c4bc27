#include "actors/engine/engine_actor.hpp"

#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "actors/planner/planner.hpp"
#include "actors/safety/safety_checks.hpp"
#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace ce::engine {

namespace {

namespace json = boost::json;
using self_ptr = engine_actor::stateful_pointer<engine_state>;

caf::error task_not_found(const std::string& id) {
  return make_error(errc::not_found, "task " + id + " does not exist");
}

caf::error plan_not_found(const std::string& id) {
  return make_error(errc::not_found, "plan " + id + " does not exist");
}

execution_outcome outcome_of(self_ptr self, const task_record& rec) {
  execution_outcome out;
  out.subject = rec.current;
  if (auto* p = self->state.registry.find_plan(rec.current.execution.plan_id)) {
    out.the_plan = *p;
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

/// Spawns the task actor and moves the task to planning; the task actor owns
/// every transition from there on.
caf::expected<task> start_execution(self_ptr self, const std::string& task_id) {
  auto* rec = self->state.registry.find(task_id);
  if (rec == nullptr) return task_not_found(task_id);
  if (rec->current.status != task_status::pending)
    return make_error(errc::wrong_state, "task " + task_id + " is " +
                                             std::string(to_string(rec->current.status)) +
                                             "; only a pending task can be executed");
  task snapshot = rec->current;
  snapshot.status = task_status::planning;
  snapshot.updated_at = now_ms();
  self->state.registry.update(snapshot, snapshot.updated_at);
  auto child = self->spawn<caf::monitored>(tasks::task_behavior, snapshot,
                                           caf::actor_cast<engine_actor>(self),
                                           self->state.events, self->state.runtime.task);
  self->state.live.emplace(task_id, child);
  self->state.live_by_addr.emplace(child.address(), task_id);
  self->send(child, atoms::start::value);
  return snapshot;
}

/// A task actor that died without reaching a terminal state failed.
void on_task_actor_down(self_ptr self, const caf::down_msg& dm) {
  auto it = self->state.live_by_addr.find(dm.source);
  if (it == self->state.live_by_addr.end()) return;
  auto task_id = it->second;
  self->state.live_by_addr.erase(it);
  self->state.live.erase(task_id);
  auto* rec = self->state.registry.find(task_id);
  if (rec == nullptr || is_terminal(rec->current.status)) return;
  auto reason = self->system().render(dm.reason);
  spdlog::error("task {}: its actor stopped in state {} ({})", task_id,
                to_string(rec->current.status), reason);
  task t = rec->current;
  t.status = task_status::failed;
  t.updated_at = t.completed_at = now_ms();
  t.result.present = true;
  t.result.success = false;
  t.result.errors.push_back("the task's supervisor stopped unexpectedly: " + reason);
  self->state.registry.update(t, t.updated_at);
  event e;
  e.task_id = task_id;
  e.type = "task_failed";
  e.user_id = t.user_id;
  e.data = codec::to_doc(json::object{{"errors", json::array{t.result.errors.back().c_str()}}});
  self->send(self->state.events, atoms::emit::value, std::move(e));
  deliver_waiters(self, *self->state.registry.find(task_id));
}

}  // namespace

engine_actor::behavior_type engine_behavior(engine_actor::stateful_pointer<engine_state> self,
                                            event_log_actor events, engine_runtime runtime) {
  self->state.events = std::move(events);
  self->state.runtime = std::move(runtime);
  self->state.started_at = now_ms();
  self->set_down_handler([=](caf::down_msg& dm) { on_task_actor_down(self, dm); });
  // On shutdown, tasks waiting for approval would otherwise live forever.
  self->attach_functor([=] {
    for (auto& [id, actor] : self->state.live) caf::anon_send_exit(actor, caf::exit_reason::kill);
  });
  return {
      [=](atoms::create, const caller_identity& caller, task draft) {
        auto now = now_ms();
        draft.id = self->state.ids.next("task");
        draft.status = task_status::pending;
        draft.created_at = draft.updated_at = now;
        draft.completed_at = 0;
        if (draft.user_id.empty()) draft.user_id = caller.user_id;
        draft.execution = {};
        draft.result = {};
        self->state.registry.add(draft);
        event e;
        e.task_id = draft.id;
        e.type = "task_created";
        e.user_id = draft.user_id;
        json::array components;
        for (const auto& c : draft.context.components) components.emplace_back(c);
        e.data = codec::to_doc(json::object{
            {"type", std::string(to_string(draft.type))},
            {"priority", std::string(to_string(draft.prio))},
            {"provider", std::string(to_string(draft.context.provider))},
            {"environment", draft.context.environment},
            {"components", components}});
        self->send(self->state.events, atoms::emit::value, std::move(e));
        return draft;
      },
      [=](atoms::execute, const caller_identity&, const std::string& id) -> caf::result<task> {
        auto started = start_execution(self, id);
        if (!started) return std::move(started.error());
        return std::move(*started);
      },
      [=](atoms::execute_wait, const caller_identity&,
          const std::string& id) -> caf::result<execution_outcome> {
        auto started = start_execution(self, id);
        if (!started) return std::move(started.error());
        auto promise = self->make_response_promise<execution_outcome>();
        self->state.waiters[id].push_back(promise);
        return promise;
      },
      [=](atoms::get_task, const caller_identity&, const std::string& id) -> caf::result<task> {
        if (auto* rec = self->state.registry.find(id)) return rec->current;
        return task_not_found(id);
      },
      [=](atoms::list_tasks, const caller_identity&,
          const task_query& query) -> caf::result<task_page> {
        task_page page;
        if (!self->state.registry.list(query, page))
          return make_error(errc::invalid_input, "cursor is not one this server handed out");
        return page;
      },
      [=](atoms::cancel, const caller_identity& caller, const std::string& id) -> caf::result<task> {
        auto* rec = self->state.registry.find(id);
        if (rec == nullptr) return task_not_found(id);
        if (is_terminal(rec->current.status))
          return make_error(errc::wrong_state, "task " + id + " is already " +
                                                   std::string(to_string(rec->current.status)) +
                                                   " and cannot be cancelled");
        if (auto live = self->state.live.find(id); live != self->state.live.end())
          return self->delegate(live->second, atoms::cancel::value, caller.user_id);
        // Pending: no actor yet, the engine ends it directly.
        task t = rec->current;
        t.status = task_status::cancelled;
        t.updated_at = t.completed_at = now_ms();
        t.result.present = true;
        t.result.success = false;
        t.result.errors = {"cancelled by " + caller.user_id};
        self->state.registry.update(t, t.updated_at);
        event e;
        e.task_id = id;
        e.type = "task_cancelled";
        e.user_id = t.user_id;
        e.data = codec::to_doc(json::object{{"reason", t.result.errors.front()},
                                            {"cancelled_by", caller.user_id}});
        self->send(self->state.events, atoms::emit::value, std::move(e));
        return t;
      },
      [=](atoms::get_plan, const caller_identity&, const std::string& id) -> caf::result<plan> {
        if (auto* p = self->state.registry.find_plan(id)) return *p;
        return plan_not_found(id);
      },
      [=](atoms::generate_plan, const caller_identity&, task_type type,
          const task_context& context) -> caf::result<plan> {
        auto p = planner::make_plan(self->state.ids.next("plan"), "", type, context, now_ms());
        self->state.registry.put_plan(p);
        return p;
      },
      [=](atoms::validate_plan, const caller_identity&,
          const std::string& id) -> caf::result<plan_validation> {
        if (auto* p = self->state.registry.find_plan(id)) return planner::validate_plan(p->steps);
        return plan_not_found(id);
      },
      [=](atoms::validate_plan, const caller_identity&, const std::vector<plan_step>& steps) {
        return planner::validate_plan(steps);
      },
      [=](atoms::optimize_plan, const caller_identity&, const std::string& id) -> caf::result<plan> {
        auto* p = self->state.registry.find_plan(id);
        if (p == nullptr) return plan_not_found(id);
        *p = planner::optimize_plan(*p);
        p->updated_at = now_ms();
        return *p;
      },
      [=](atoms::approve, const caller_identity& caller, const std::string& plan_id,
          const std::string& comment) -> caf::result<plan> {
        auto* p = self->state.registry.find_plan(plan_id);
        if (p == nullptr) return plan_not_found(plan_id);
        if (!p->task_id.empty()) {
          if (auto live = self->state.live.find(p->task_id); live != self->state.live.end())
            return self->delegate(live->second, atoms::approve::value, caller.user_id, comment);
          return make_error(errc::wrong_state, "plan " + plan_id + " is " +
                                                   std::string(to_string(p->status)) +
                                                   "; its task is not awaiting approval");
        }
        if (p->status != plan_status::draft)
          return make_error(errc::wrong_state, "plan " + plan_id + " is already " +
                                                   std::string(to_string(p->status)));
        p->status = plan_status::approved;
        p->approved_by = caller.user_id;
        p->approved_at = p->updated_at = now_ms();
        return *p;
      },
      [=](atoms::reject, const caller_identity& caller, const std::string& plan_id,
          const std::string& reason) -> caf::result<plan> {
        auto* p = self->state.registry.find_plan(plan_id);
        if (p == nullptr) return plan_not_found(plan_id);
        if (!p->task_id.empty()) {
          if (auto live = self->state.live.find(p->task_id); live != self->state.live.end())
            return self->delegate(live->second, atoms::reject::value, caller.user_id, reason);
          return make_error(errc::wrong_state, "plan " + plan_id + " is " +
                                                   std::string(to_string(p->status)) +
                                                   "; its task is not awaiting approval");
        }
        if (p->status != plan_status::draft)
          return make_error(errc::wrong_state, "plan " + plan_id + " is already " +
                                                   std::string(to_string(p->status)));
        p->status = plan_status::rejected;
        p->updated_at = now_ms();
        return *p;
      },
      [=](atoms::safety_check, const caller_identity&, const std::string& task_id,
          const std::string& plan_id, safety_phase phase) -> caf::result<safety_report> {
        const task_record* rec = nullptr;
        if (!task_id.empty()) {
          rec = self->state.registry.find(task_id);
          if (rec == nullptr) return task_not_found(task_id);
        }
        std::string pid = plan_id.empty() && rec ? rec->current.execution.plan_id : plan_id;
        if (pid.empty())
          return make_error(errc::wrong_state, "task " + task_id + " has no plan yet; execute it "
                                               "first or pass plan_id");
        auto* p = self->state.registry.find_plan(pid);
        if (p == nullptr) return plan_not_found(pid);
        if (rec && !p->task_id.empty() && p->task_id != rec->current.id)
          return make_error(errc::invalid_input,
                            "plan " + pid + " belongs to task " + p->task_id + ", not " + task_id);
        const auto& policy = self->state.runtime.task.policy;
        switch (phase) {
          case safety_phase::pre_execution:
            return safety::run_pre_execution(*p, policy);
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
            timestamp_ms until = rec && is_terminal(rec->current.status)
                                     ? rec->current.completed_at
                                     : now_ms();
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
            return safety::run_post_execution(*p, rec->results, rec->verification, policy);
        }
        return make_error(errc::invalid_input, "unknown safety phase");
      },
      [=](atoms::list_artifacts, const caller_identity&,
          const std::string& task_id) -> caf::result<std::vector<artifact>> {
        auto* rec = self->state.registry.find(task_id);
        if (rec == nullptr) return task_not_found(task_id);
        std::vector<artifact> out;
        for (const auto& [name, a] : rec->artifacts) out.push_back(a);
        return out;
      },
      [=](atoms::get_artifact, const caller_identity&, const std::string& task_id,
          const std::string& name) -> caf::result<artifact> {
        auto* rec = self->state.registry.find(task_id);
        if (rec == nullptr) return task_not_found(task_id);
        auto it = rec->artifacts.find(name);
        if (it == rec->artifacts.end())
          return make_error(errc::not_found, "task " + task_id + " has no artifact named " + name);
        return it->second;
      },
      [=](atoms::statistics, const caller_identity&) -> caf::result<engine_statistics> {
        auto stats = self->state.registry.statistics(now_ms());
        stats.started_at = self->state.started_at;
        stats.node_id = self->state.runtime.node_id;
        auto promise = self->make_response_promise<engine_statistics>();
        self->request(self->state.events, std::chrono::seconds(10), atoms::count_events::value)
            .then(
                [=](uint64_t n) mutable {
                  stats.events = n;
                  promise.deliver(stats);
                },
                [=](caf::error& err) mutable { promise.deliver(std::move(err)); });
        return promise;
      },
      [=](atoms::task_changed, const task& t) {
        self->state.registry.update(t, now_ms());
        if (is_terminal(t.status) || t.status == task_status::awaiting_approval)
          if (auto* rec = self->state.registry.find(t.id)) deliver_waiters(self, *rec);
      },
      [=](atoms::plan_changed, const plan& p) { self->state.registry.put_plan(p); },
      [=](atoms::step_finished, const std::string& task_id, const execution_result& r) {
        self->state.registry.add_result(task_id, r);
      },
      [=](atoms::verified, const std::string& task_id, const verification_result& v) {
        self->state.registry.set_verification(task_id, v);
      },
  };
}

}  // namespace ce::engine

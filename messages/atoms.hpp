// Message tags. CAF 0.17 atoms: at most 10 characters.
#pragma once

#include <caf/atom.hpp>

namespace ce::atoms {

// front-end -> engine
using create = caf::atom_constant<caf::atom("create")>;
using execute = caf::atom_constant<caf::atom("execute")>;
using execute_wait = caf::atom_constant<caf::atom("exec_wait")>;
using get_task = caf::atom_constant<caf::atom("get_task")>;
using list_tasks = caf::atom_constant<caf::atom("list_tasks")>;
using cancel = caf::atom_constant<caf::atom("cancel")>;
using resume = caf::atom_constant<caf::atom("resume")>;
using rollback = caf::atom_constant<caf::atom("rollback")>;
using rollback_check = caf::atom_constant<caf::atom("rb_check")>;
using get_plan = caf::atom_constant<caf::atom("get_plan")>;
using generate_plan = caf::atom_constant<caf::atom("gen_plan")>;
using validate_plan = caf::atom_constant<caf::atom("valid_plan")>;
using optimize_plan = caf::atom_constant<caf::atom("opt_plan")>;
using approve = caf::atom_constant<caf::atom("approve")>;
using reject = caf::atom_constant<caf::atom("reject")>;
using safety_check = caf::atom_constant<caf::atom("safety")>;
using list_artifacts = caf::atom_constant<caf::atom("artifacts")>;
using get_artifact = caf::atom_constant<caf::atom("artifact")>;
using get_archive = caf::atom_constant<caf::atom("archive")>;
using statistics = caf::atom_constant<caf::atom("stats")>;

// task actor -> engine
using task_changed = caf::atom_constant<caf::atom("task_chg")>;
using plan_changed = caf::atom_constant<caf::atom("plan_chg")>;
using step_finished = caf::atom_constant<caf::atom("step_done")>;
using verified = caf::atom_constant<caf::atom("verified")>;

// engine -> task actor, task actor -> itself
using start = caf::atom_constant<caf::atom("start")>;
using deadline = caf::atom_constant<caf::atom("deadline")>;
using retry_step = caf::atom_constant<caf::atom("retry_step")>;
using proceed = caf::atom_constant<caf::atom("proceed")>;

// task actor -> timer, timer -> itself
using arm = caf::atom_constant<caf::atom("arm")>;
using disarm = caf::atom_constant<caf::atom("disarm")>;
using tick = caf::atom_constant<caf::atom("tick")>;

// task actor -> children
using make_plan = caf::atom_constant<caf::atom("make_plan")>;
using pre_check = caf::atom_constant<caf::atom("pre_check")>;
using post_check = caf::atom_constant<caf::atom("post_check")>;
using progress = caf::atom_constant<caf::atom("progress")>;
using run_step = caf::atom_constant<caf::atom("run_step")>;
// executor step -> generator service client; its HTTP thread -> client actor
using generator_call = caf::atom_constant<caf::atom("gen_call")>;
using generator_done = caf::atom_constant<caf::atom("gen_done")>;
using verify = caf::atom_constant<caf::atom("verify")>;
// safety monitor -> task actor
using violation = caf::atom_constant<caf::atom("violation")>;

// event log
using emit = caf::atom_constant<caf::atom("emit")>;
using task_events = caf::atom_constant<caf::atom("task_evts")>;
using list_events = caf::atom_constant<caf::atom("list_evts")>;
using count_events = caf::atom_constant<caf::atom("count_evts")>;
using subscribe = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe = caf::atom_constant<caf::atom("unsub")>;
using drop_sink = caf::atom_constant<caf::atom("drop_sink")>;
// event log -> event bus
using publish = caf::atom_constant<caf::atom("publish")>;
using count_subscribers = caf::atom_constant<caf::atom("count_subs")>;

// store
using persist = caf::atom_constant<caf::atom("persist")>;
using flush = caf::atom_constant<caf::atom("flush")>;
using store_stats = caf::atom_constant<caf::atom("store_stat")>;
using events_after = caf::atom_constant<caf::atom("evts_after")>;

}  // namespace ce::atoms

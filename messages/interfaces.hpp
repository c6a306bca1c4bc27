// Every typed actor interface of a core-engine node, one comment per handler.
// Reading this file tells you how the system talks to itself.
#pragma once

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_behavior.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "messages/atoms.hpp"
#include "messages/domain.hpp"
#include "messages/event_sink.hpp"
#include "messages/generator.hpp"
#include "messages/protocol.hpp"

namespace ce {

/// The store's committer: writes batches of change sets to SQLite. It runs
/// detached (its own thread), so SQLite's blocking I/O never holds up the
/// threads that serve other actors, and it wakes once per batch, not once per
/// change.
using store_committer_actor = caf::typed_actor<
    /// Commits the change sets in one transaction (one fsync); answers the
    /// number of transactions committed so far.
    caf::replies_to<atoms::persist, std::vector<change_set>>::with<uint64_t>>;

/// The store: makes changes durable with group commit. Changes that arrive
/// while a batch is being committed go to disk together right after it.
using store_actor = caf::typed_actor<
    /// Commits a change set, grouped with others into one transaction (group
    /// commit), and answers the commit's number once it is on disk.
    caf::replies_to<atoms::persist, change_set>::with<uint64_t>,
    /// Timer: commit what waits (generation N).
    caf::reacts_to<atoms::flush, uint64_t>,
    /// (transactions committed, change sets committed), for figures.
    caf::replies_to<atoms::store_stats>::with<uint64_t, uint64_t>>;

/// Reads what is no longer held in memory (terminal tasks, old events) and
/// every list, on its own read-only connection. Detached like the store, so a
/// long query never holds up other actors; WAL lets it read while the store
/// commits, and it sees exactly what has been committed.
using store_reader_actor = caf::typed_actor<
    /// A task with its plan, results and verification (not_found if unknown).
    caf::replies_to<atoms::get_task, std::string>::with<stored_task>,
    /// A plan (not_found if unknown).
    caf::replies_to<atoms::get_plan, std::string>::with<plan>,
    /// One page of tasks, newest first (invalid_input for a foreign cursor).
    /// Without a filter, `total` is left 0: the asker knows it.
    caf::replies_to<atoms::list_tasks, task_query>::with<task_page>,
    /// One page of events, newest first (invalid_input for a foreign cursor);
    /// `total` as for list_tasks.
    caf::replies_to<atoms::list_events, event_query>::with<event_page>,
    /// A task's events with seq > since, oldest first.
    caf::replies_to<atoms::task_events, std::string, uint64_t>::with<std::vector<event>>,
    /// Events with seq > since, oldest first; at most the newest `limit`.
    caf::replies_to<atoms::events_after, uint64_t, uint64_t>::with<std::vector<event>>,
    /// Statistics of one user's tasks as of a time (their plans and events included).
    caf::replies_to<atoms::statistics, std::string, timestamp_ms>::with<engine_statistics>,
    /// An artifact's bytes by its sha256 (data written before the store kept bytes: its
    /// file); not_found if neither has them.
    caf::replies_to<atoms::get_artifact, artifact>::with<artifact_download>,
    /// The same for many artifacts at once, in the order asked.
    caf::replies_to<atoms::get_archive,
                    std::vector<artifact>>::with<std::vector<artifact_download>>>;

/// The event bus: fans each event out to the sinks subscribed to its task or
/// to every task. Fed only by the event log, so it sees events in seq order
/// and subscription changes in the order the log decided them.
using event_bus_actor = caf::typed_actor<
    /// One new event, in seq order.
    caf::reacts_to<atoms::publish, event>,
    /// Start delivering a task's events ("*": every task) with seq > N to a sink.
    caf::reacts_to<atoms::subscribe, event_sink_ptr, std::string, uint64_t>,
    /// Stop delivering a task's events to a sink.
    caf::reacts_to<atoms::unsubscribe, event_sink_ptr, std::string>,
    /// Forget a sink entirely (its connection closed).
    caf::reacts_to<atoms::drop_sink, event_sink_ptr>,
    /// Number of (sink, task) subscriptions; for tests and metrics.
    caf::replies_to<atoms::count_subscribers>::with<uint64_t>>;

/// The event log: stamps every event with its per-node `seq`, keeps it, and
/// answers reads. Subscriptions pass through it so that a replay and the
/// live stream after it have no gap and no duplicate.
using event_log_actor = caf::typed_actor<
    /// Stamps (id, seq, timestamp), appends an event and publishes it. No
    /// answer: emitters never wait for the log.
    caf::reacts_to<atoms::emit, event>,
    /// Stamps an event and stores it in one commit with other changes (a task's
    /// new state); answers the stamped event once both are on disk.
    caf::replies_to<atoms::emit, event, change_set>::with<event>,
    /// Stores changes without an event. Every write of the engine passes
    /// through the log, so writes are acknowledged in the order they were made.
    caf::replies_to<atoms::persist, change_set>::with<uint64_t>,
    /// Subscribe a sink to a task ("*": all) with an optional replay of the
    /// events after `since` (has_since, since). Unknown tasks get an error frame.
    caf::reacts_to<atoms::subscribe, event_sink_ptr, std::string, bool, uint64_t>,
    /// Unsubscribe a sink from a task.
    caf::reacts_to<atoms::unsubscribe, event_sink_ptr, std::string>,
    /// Drop every subscription of a sink (its connection closed).
    caf::reacts_to<atoms::drop_sink, event_sink_ptr>,
    /// A task's events with seq > since, oldest first.
    caf::replies_to<atoms::task_events, std::string, uint64_t>::with<std::vector<event>>,
    /// All events, newest first, one page.
    caf::replies_to<atoms::list_events, event_query>::with<event_page>,
    /// (events stored in all, events held in memory).
    caf::replies_to<atoms::count_events>::with<uint64_t, uint64_t>>;

/// The engine: registry of tasks and plans, statistics; spawns one task actor
/// per execution. Every request names its caller.
using engine_actor = caf::typed_actor<
    /// Stores a new task (status pending) from a validated draft; answers it.
    caf::replies_to<atoms::create, caller_identity, task>::with<task>,
    /// Starts executing a pending task in the background; answers it (planning).
    caf::replies_to<atoms::execute, caller_identity, std::string>::with<task>,
    /// Starts executing and answers once the task is terminal or awaits approval.
    caf::replies_to<atoms::execute_wait, caller_identity, std::string>::with<execution_outcome>,
    /// One task by id.
    caf::replies_to<atoms::get_task, caller_identity, std::string>::with<task>,
    /// Tasks matching the query, newest first, one page.
    caf::replies_to<atoms::list_tasks, caller_identity, task_query>::with<task_page>,
    /// Cancels a non-terminal task; answers it (cancelled).
    caf::replies_to<atoms::cancel, caller_identity, std::string>::with<task>,
    /// Resumes a task a restart interrupted (when auto-resume is off); answers it.
    caf::replies_to<atoms::resume, caller_identity, std::string>::with<task>,
    /// Undoes the applied steps of a finished task; answers what was done.
    caf::replies_to<atoms::rollback, caller_identity, std::string>::with<rollback_report>,
    /// Whether a rollback of the task would do anything, and what.
    caf::replies_to<atoms::rollback_check, caller_identity, std::string>::with<rollback_check>,
    /// One plan by id.
    caf::replies_to<atoms::get_plan, caller_identity, std::string>::with<plan>,
    /// Makes and stores a plan without a task.
    caf::replies_to<atoms::generate_plan, caller_identity, task_type, task_context>::with<plan>,
    /// Structural validation of a stored plan.
    caf::replies_to<atoms::validate_plan, caller_identity, std::string>::with<plan_validation>,
    /// Structural validation of steps given inline.
    caf::replies_to<atoms::validate_plan, caller_identity,
                    std::vector<plan_step>>::with<plan_validation>,
    /// A stored plan with parallel stages marked and its duration recomputed.
    caf::replies_to<atoms::optimize_plan, caller_identity, std::string>::with<plan>,
    /// Approves a plan (comment); a task waiting on it resumes.
    caf::replies_to<atoms::approve, caller_identity, std::string, std::string>::with<plan>,
    /// Rejects a plan (reason); a task waiting on it ends cancelled.
    caf::replies_to<atoms::reject, caller_identity, std::string, std::string>::with<plan>,
    /// Runs one safety phase for (task id, plan id).
    caf::replies_to<atoms::safety_check, caller_identity, std::string, std::string,
                    safety_phase>::with<safety_report>,
    /// A task's artifacts (latest version of each name).
    caf::replies_to<atoms::list_artifacts, caller_identity,
                    std::string>::with<std::vector<artifact>>,
    /// Every artifact of a task (latest version of each name) with its bytes.
    caf::replies_to<atoms::get_archive, caller_identity,
                    std::string>::with<std::vector<artifact_download>>,
    /// One artifact of a task by file name, with its bytes.
    caf::replies_to<atoms::get_artifact, caller_identity, std::string,
                    std::string>::with<artifact_download>,
    /// Node statistics.
    caf::replies_to<atoms::statistics, caller_identity>::with<engine_statistics>,
    /// From a task actor: the task's new state and the event of that
    /// transition (type empty: none), stored in one commit.
    caf::reacts_to<atoms::task_changed, task, event>,
    /// From a task actor: an event of its task. Forwarded to the log on the
    /// same path as its state changes, so the task's events keep their order.
    caf::reacts_to<atoms::emit, event>,
    /// From a task actor: its plan's new state (approval, phase), stored.
    caf::reacts_to<atoms::plan_changed, shared<plan>>,
    /// From a task actor: one step's result, the bytes of the files it wrote and its
    /// event, stored in one commit; then the plan as it stands after the step is shown
    /// (task id, result, bytes, event, plan).
    caf::reacts_to<atoms::step_finished, std::string, execution_result, std::vector<stored_blob>,
                   event, shared<plan>>,
    /// From a task actor: the verification result (task id, result).
    caf::reacts_to<atoms::verified, std::string, verification_result>>;

/// One task's life: pending -> planning -> (awaiting_approval) -> executing ->
/// verifying -> completed | failed | cancelled. Supervises its children.
using task_actor = caf::typed_actor<
    /// Begin planning.
    caf::reacts_to<atoms::start>,
    /// Approve the waiting plan (approver, comment); answers the plan.
    caf::replies_to<atoms::approve, std::string, std::string>::with<plan>,
    /// Reject the waiting plan (who, reason); the task ends cancelled.
    caf::replies_to<atoms::reject, std::string, std::string>::with<plan>,
    /// Cancel in any non-terminal state (who); answers the task.
    caf::replies_to<atoms::cancel, std::string>::with<task>,
    /// From the safety monitor: a during-execution check failed.
    caf::reacts_to<atoms::violation, safety_check_result>,
    /// Rollback mode (a finished task): undo its applied steps, answer the report.
    caf::replies_to<atoms::rollback>::with<rollback_report>,
    /// To itself: a simulated pause of this phase ("planning", "verification") is over.
    caf::reacts_to<atoms::proceed, std::string>,
    /// To itself: run this step again (its backoff is over).
    caf::reacts_to<atoms::retry_step, std::string>,
    /// From the timer: the deadline armed with this token is due.
    caf::reacts_to<atoms::deadline, uint64_t>>;

/// The node's timer for long deadlines (see actors/timer/timer_actor.hpp):
/// it keeps only weak references, so a finished task actor is freed at once.
using timer_actor = caf::typed_actor<
    /// Send (deadline, token) to the task actor after `delay` unless disarmed.
    caf::reacts_to<atoms::arm, task_actor, uint64_t, caf::timespan>,
    /// Forget every deadline of this task actor (it ended).
    caf::reacts_to<atoms::disarm, task_actor>,
    /// Its own wake-up for the deadlines due at this time (steady clock ticks).
    caf::reacts_to<atoms::tick, int64_t>>;

/// Child: makes the plan.
using planner_actor = caf::typed_actor<caf::replies_to<atoms::make_plan, plan_job>::with<plan>>;

/// Child: pre-, during- and post-execution safety.
using safety_monitor_actor = caf::typed_actor<
    /// The ten pre-execution checks on a plan.
    caf::replies_to<atoms::pre_check, shared<plan>>::with<safety_report>,
    /// During execution: N resources created at time T. Answers whether the
    /// task is still within its limits; a violation is also sent to the task.
    caf::replies_to<atoms::progress, int32_t, timestamp_ms>::with<bool>,
    /// The three post-execution checks, on the files the task produced.
    caf::replies_to<atoms::post_check, shared<plan>, std::vector<execution_result>,
                    verification_result, shared<workspace>>::with<safety_report>>;

/// The Generator Service's client actor (net/generator_service): answers a call once
/// libcurl is done with it, retries included. Identical calls of one task are made once.
using generator_actor = caf::typed_actor<
    caf::replies_to<atoms::generator_call, generator_request>::with<generator_reply>,
    /// From the client's own HTTP thread: the call with this key is done.
    caf::reacts_to<atoms::generator_done, std::string, generator_reply>>;

/// Child: runs one plan step, then exits. Answers its result and the files it wrote.
using step_actor = caf::typed_actor<caf::replies_to<atoms::run_step, step_job>::with<step_outcome>>;

/// Child: verifies what the execution produced.
using verifier_actor =
    caf::typed_actor<caf::replies_to<atoms::verify, verify_job>::with<verification_result>>;

}  // namespace ce

// The REST API: routes each request to a handler that asks the actors and
// answers through the responder. Handlers never block; failures become
// answers in net/responses.
#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>

#include "messages/interfaces.hpp"
#include "messages/requirements.hpp"
#include "metrics/node_metrics.hpp"
#include "net/api_types.hpp"

namespace ce::net {

class rest_api {
 public:
  /// `metrics`: what GET /metrics exposes (null: the route answers 404).
  rest_api(caf::actor_system& system, engine_actor engine, event_log_actor events,
           event_bus_actor bus, api_options options,
           std::shared_ptr<metrics::node_metrics> metrics = nullptr);

  /// Handles one request; `reply` is called exactly once, from any thread.
  /// Returns the template of the route it matched ("/api/tasks/:id"), or
  /// `unmatched_route`; the text lives as long as this object.
  std::string_view handle(api_request request, responder reply) const;

  /// The route label of a request that matched no route (or never reached the router).
  static constexpr std::string_view unmatched_route = "unmatched";

  /// One route the router answers: its method and template ("/api/tasks/:taskId").
  struct route_info {
    http::verb method;
    std::string path;
  };
  /// Every route, from the one table the router matches with (for the OpenAPI check).
  static std::vector<route_info> routes();

  const api_options& options() const { return options_; }
  const std::shared_ptr<metrics::node_metrics>& metrics() const { return metrics_; }

 private:
  using handler = void (rest_api::*)(const api_request&, const std::vector<std::string>& params,
                                     responder&) const;
  struct route {
    http::verb method;
    std::vector<std::string> pattern;  // ":name" segments capture
    handler fn;
    bool open{false};    // answered without credentials: the probes and the dashboard's files
    std::string path{};  // the template, "/api/tasks/:taskId": a metrics and log label
  };

  /// What is wrong with a context beyond its JSON shape: unknown components,
  /// fault injection this node does not allow.
  std::vector<field_error> context_errors(const task_context& context) const;

  void health(const api_request&, const std::vector<std::string>&, responder&) const;
  void ready(const api_request&, const std::vector<std::string>&, responder&) const;
  void create_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void list_tasks(const api_request&, const std::vector<std::string>&, responder&) const;
  void get_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void execute_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void cancel_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void resume_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void rollback_task(const api_request&, const std::vector<std::string>&, responder&) const;
  void check_rollback(const api_request&, const std::vector<std::string>&, responder&) const;
  void task_events(const api_request&, const std::vector<std::string>&, responder&) const;
  void list_artifacts(const api_request&, const std::vector<std::string>&, responder&) const;
  void get_artifact(const api_request&, const std::vector<std::string>&, responder&) const;
  void get_archive(const api_request&, const std::vector<std::string>&, responder&) const;
  void get_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void generate_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void validate_inline_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void validate_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void optimize_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void approve_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void reject_plan(const api_request&, const std::vector<std::string>&, responder&) const;
  void safety_check(const api_request&, const std::vector<std::string>&, responder&) const;
  void safety_checks(const api_request&, const std::vector<std::string>&, responder&) const;
  void statistics(const api_request&, const std::vector<std::string>&, responder&) const;
  void list_events(const api_request&, const std::vector<std::string>&, responder&) const;
  void metrics_text(const api_request&, const std::vector<std::string>&, responder&) const;
  void openapi_document(const api_request&, const std::vector<std::string>&, responder&) const;
  void dashboard(const api_request&, const std::vector<std::string>&, responder&) const;
  void web_file(const api_request&, const std::vector<std::string>&, responder&) const;

  /// The one route table; `path` filled in.
  static const std::vector<route>& table();

  /// An error answer for a failed actor call, logged with the request's route.
  std::function<void(caf::error&)> on_error(responder reply, std::string context) const;

  caf::actor_system& system_;
  engine_actor engine_;
  event_log_actor events_;
  event_bus_actor bus_;
  api_options options_;
  std::shared_ptr<metrics::node_metrics> metrics_;
  const std::vector<route>& routes_;
};

}  // namespace ce::net

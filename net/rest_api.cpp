#include "net/rest_api.hpp"

#include "net/archive.hpp"

#include <unistd.h>
#include <cctype>
#include <charconv>
#include <fstream>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "messages/clock.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/requirements.hpp"
#include "net/actor_call.hpp"
#include "net/openapi_document.hpp"
#include "net/responses.hpp"
#include "net/web_assets.hpp"

namespace ce::net {

namespace json = boost::json;

namespace {

/// "application/json", any case, optionally followed by parameters
/// ("; charset=utf-8"); "application/jsonx" is not JSON.
bool is_json_media_type(std::string_view content_type) {
  auto end = content_type.find(';');
  auto type = content_type.substr(0, end);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  constexpr std::string_view json = "application/json";
  if (type.size() != json.size()) return false;
  for (size_t i = 0; i < json.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(type[i])) != json[i]) return false;
  return true;
}

bool parse_uint(const std::string& text, uint64_t& out) {
  if (text.empty()) return false;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && p == text.data() + text.size();
}

/// The most items one page of a list holds.
constexpr uint32_t max_page_limit = 1000;

/// `limit` of a list: 1..1000, default 50. Legacy mode's default is the whole page of
/// 1,000: the original answered every task and the newest 1,000 events without paging.
bool read_limit(const api_request& req, const api_options& options, uint32_t& limit,
                std::vector<field_error>& errors) {
  auto it = req.query.find("limit");
  if (it == req.query.end()) {
    if (options.legacy) limit = max_page_limit;
    return true;
  }
  uint64_t n = 0;
  if (!parse_uint(it->second, n) || n < 1 || n > max_page_limit) {
    errors.push_back({"limit", "must be a whole number from 1 to 1000"});
    return false;
  }
  limit = static_cast<uint32_t>(n);
  return true;
}

template <class Enum>
void check_enum_filter(const api_request& req, const char* key, std::vector<field_error>& errors) {
  auto it = req.query.find(key);
  if (it == req.query.end()) return;
  Enum value;
  if (parse(it->second, value)) return;
  std::string allowed;
  for (auto name : all_names<Enum>()) allowed += (allowed.empty() ? "" : ", ") + std::string(name);
  errors.push_back({key, "must be one of " + allowed});
}

std::string query_or(const api_request& req, const char* key) {
  auto it = req.query.find(key);
  return it == req.query.end() ? std::string{} : it->second;
}

bool wants_wait(const api_request& req) {
  auto v = query_or(req, "wait");
  return v == "true" || v == "1";
}

json::object counts(const std::vector<named_count>& list) {
  json::object out;
  for (const auto& c : list) out[c.name] = c.count;
  return out;
}

/// Resident memory of this process in bytes (0 if unknown).
uint64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_total = 0, pages_resident = 0;
  if (!(statm >> pages_total >> pages_resident)) return 0;
  return pages_resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

/// A body naming someone other than an authenticated caller as the one who
/// decides: the decision is recorded under the caller's name, so it must be theirs.
std::optional<std::string> acting_for_another(const caller_identity& caller,
                                              const std::string& named, const char* field) {
  if (!caller.authenticated || named.empty() || named == caller.user_id) return std::nullopt;
  return std::string(field) + " " + named + " is not the caller (" + caller.user_id +
         "); a decision is recorded under the name of whoever makes it";
}

std::string content_type_for(const std::string& name) {
  auto ends = [&](const char* suffix) {
    std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  if (ends(".md")) return "text/markdown; charset=utf-8";
  if (ends(".json")) return "application/json";
  return "text/plain; charset=utf-8";
}

}  // namespace

rest_api::rest_api(caf::actor_system& system, engine_actor engine, event_log_actor events,
                   event_bus_actor bus, api_options options,
                   std::shared_ptr<metrics::node_metrics> metrics)
    : system_(system),
      engine_(std::move(engine)),
      events_(std::move(events)),
      bus_(std::move(bus)),
      options_(options),
      metrics_(std::move(metrics)),
      routes_(table()) {}

const std::vector<rest_api::route>& rest_api::table() {
  using v = http::verb;
  static const std::vector<route> routes = [] {
    std::vector<route> list = {
        {v::get, {"health"}, &rest_api::health, true},
        {v::get, {"ready"}, &rest_api::ready, true},
        // The dashboard's files hold no data: the page asks for a token itself.
        {v::get, {}, &rest_api::dashboard, true},
        {v::get, {"web", ":file"}, &rest_api::web_file, true},
        {v::post, {"api", "tasks"}, &rest_api::create_task},
        {v::get, {"api", "tasks"}, &rest_api::list_tasks},
        {v::get, {"api", "tasks", ":taskId"}, &rest_api::get_task},
        {v::post, {"api", "tasks", ":taskId", "execute"}, &rest_api::execute_task},
        {v::post, {"api", "tasks", ":taskId", "cancel"}, &rest_api::cancel_task},
        {v::post, {"api", "tasks", ":taskId", "resume"}, &rest_api::resume_task},
        {v::post, {"api", "tasks", ":taskId", "rollback"}, &rest_api::rollback_task},
        {v::get, {"api", "tasks", ":taskId", "rollback", "check"}, &rest_api::check_rollback},
        {v::get, {"api", "tasks", ":taskId", "events"}, &rest_api::task_events},
        {v::get, {"api", "tasks", ":taskId", "artifacts"}, &rest_api::list_artifacts},
        {v::get, {"api", "tasks", ":taskId", "artifacts", ":name"}, &rest_api::get_artifact},
        {v::get, {"api", "tasks", ":taskId", "archive"}, &rest_api::get_archive},
        {v::post, {"api", "plans", "generate"}, &rest_api::generate_plan},
        {v::post, {"api", "plans", "validate"}, &rest_api::validate_inline_plan},
        {v::get, {"api", "plans", ":planId"}, &rest_api::get_plan},
        {v::post, {"api", "plans", ":planId", "validate"}, &rest_api::validate_plan},
        {v::post, {"api", "plans", ":planId", "optimize"}, &rest_api::optimize_plan},
        {v::post, {"api", "plans", ":planId", "approve"}, &rest_api::approve_plan},
        {v::post, {"api", "plans", ":planId", "reject"}, &rest_api::reject_plan},
        {v::post, {"api", "safety", "check"}, &rest_api::safety_check},
        {v::get, {"api", "safety", "checks"}, &rest_api::safety_checks},
        {v::get, {"api", "statistics"}, &rest_api::statistics},
        {v::get, {"api", "events"}, &rest_api::list_events},
        {v::get, {"api", "openapi.json"}, &rest_api::openapi_document},
        {v::get, {"metrics"}, &rest_api::metrics_text},
    };
    for (auto& r : list) {
      for (const auto& segment : r.pattern) r.path += "/" + segment;
      if (r.path.empty()) r.path = "/";
    }
    return list;
  }();
  return routes;
}

std::vector<rest_api::route_info> rest_api::routes() {
  std::vector<route_info> out;
  for (const auto& r : table()) out.push_back({r.method, r.path});
  return out;
}

std::string_view rest_api::handle(api_request req, responder reply) const {
  if (options_.legacy) {
    reply = legacy_responder(std::move(reply));
    if (req.method == http::verb::options) {
      reply(legacy_preflight());
      return unmatched_route;
    }
  }
  const route* matched = nullptr;
  std::vector<std::string> params;
  std::vector<std::string> allowed;
  for (const auto& r : routes_) {
    if (r.pattern.size() != req.segments.size()) continue;
    std::vector<std::string> captured;
    bool match = true;
    for (size_t i = 0; i < r.pattern.size() && match; ++i) {
      if (r.pattern[i][0] == ':')
        captured.push_back(req.segments[i]);
      else
        match = r.pattern[i] == req.segments[i];
    }
    if (!match) continue;
    if (r.method != req.method) {
      allowed.emplace_back(http::to_string(r.method));
      continue;
    }
    matched = &r;
    params = std::move(captured);
    break;
  }
  std::string_view label = matched ? std::string_view(matched->path) : unmatched_route;
  // With tokens configured everything but the probes and the dashboard's files
  // needs a valid one, an unknown route too: a client without credentials learns nothing.
  if (!req.auth_refusal.empty() && !(matched && matched->open)) {
    auto err = make_error(errc::unauthenticated, req.auth_refusal);
    reply(failure(options_, err, "authentication", system_));
    return label;
  }
  if (!matched) {
    std::string allow, path;
    for (const auto& m : allowed) allow += (allow.empty() ? "" : ", ") + m;
    for (const auto& s : req.segments) path += "/" + s;
    reply(no_route(options_, req.method_text, path, allow));
    return label;
  }
  if (!req.body.empty() && !is_json_media_type(req.content_type)) {
    reply(failure(options_, http::status::unsupported_media_type,
                  "request body must be JSON (Content-Type: application/json)"));
    return label;
  }
  (this->*matched->fn)(req, params, reply);
  return label;
}

std::function<void(caf::error&)> rest_api::on_error(responder reply, std::string context) const {
  auto options = options_;
  auto* system = &system_;
  return [reply = std::move(reply), context = std::move(context), options,
          system](caf::error& err) { reply(failure(options, err, context, *system)); };
}

void rest_api::health(const api_request&, const std::vector<std::string>&, responder& reply) const {
  json::object body{
      {"status", "healthy"}, {"service", "core-engine-service"}, {"timestamp", iso8601(now_ms())}};
  api_response r;
  r.body = codec::serialize(body);
  reply(std::move(r));
}

namespace {

/// Where templates come from and, for the Generator Service, how it is doing.
json::object generator_health_json(const api_options& options) {
  json::object out;
  if (!options.generator) {
    out["mode"] = "builtin";
    return out;
  }
  auto h = options.generator->health();
  out["mode"] = "remote";
  out["url"] = h.url;
  out["fallback"] = options.generator_fallback_builtin ? "builtin" : "none";
  out["breaker"] = h.breaker;
  out["last_error"] = h.last_error.empty() ? json::value(nullptr) : json::value(h.last_error);
  out["last_error_at"] =
      h.last_error_at_ms ? json::value(iso8601(h.last_error_at_ms)) : json::value(nullptr);
  out["latency_ms"] = h.last_latency_ms < 0 ? json::value(nullptr) : json::value(h.last_latency_ms);
  out["calls"] = h.calls;
  out["attempts"] = h.attempts;
  out["retries"] = h.retries;
  out["failures"] = h.failures;
  out["short_circuited"] = h.short_circuited;
  out["connections_opened"] = h.connections_opened;
  return out;
}

}  // namespace

void rest_api::ready(const api_request&, const std::vector<std::string>&, responder& reply) const {
  // Ready once the engine answers: a live round trip, not a flag. The Generator Service's
  // health is reported, not required: with its breaker open, tasks fail (or fall back)
  // with a clear message while everything else is served.
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply, options = options_](const engine_statistics&) {
        api_response r;
        json::object body{{"status", "ready"}, {"timestamp", iso8601(now_ms())}};
        json::object dependencies;
        dependencies["generator_service"] = generator_health_json(options);
        body["dependencies"] = std::move(dependencies);
        r.body = codec::serialize(body);
        reply(std::move(r));
      },
      [reply, options = options_](caf::error&) {
        auto r = failure(options, http::status::service_unavailable, "engine is not ready");
        r.status = http::status::service_unavailable;
        reply(std::move(r));
      },
      atoms::statistics::value, caller_identity{});
}

std::vector<field_error> rest_api::context_errors(const task_context& context) const {
  std::vector<field_error> errors;
  if (options_.check_components) errors = options_.check_components(context);
  // Fault injection (crashes, long pauses) is for tests of this node, not for its clients.
  if (!options_.allow_fault_injection &&
      context.requirements.text.find("\"simulate\"") != std::string::npos &&
      parse_requirements(context.requirements).fault_injection)
    errors.push_back({"context.requirements.simulate",
                      "is fault injection for tests; this node was not started with "
                      "--allow-fault-injection"});
  return errors;
}

void rest_api::create_task(const api_request& req, const std::vector<std::string>&,
                           responder& reply) const {
  auto decoded = codec::decode_create_task(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  auto& in = decoded.value;
  if (auto errors = context_errors(in.context); !errors.empty()) {
    auto message = errors.front().field + " " + errors.front().message;
    reply(failure(options_, http::status::bad_request, message, errors));
    return;
  }
  task draft;
  draft.type = in.type;
  draft.prio = in.prio;
  draft.user_id = in.user_id;
  draft.context = std::move(in.context);
  draft.metadata = std::move(in.metadata);
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task& t) { reply(ok(codec::to_json(t), http::status::created)); },
      on_error(reply, "POST /api/tasks"), atoms::create::value, req.caller, std::move(draft));
}

void rest_api::list_tasks(const api_request& req, const std::vector<std::string>&,
                          responder& reply) const {
  std::vector<field_error> errors;
  task_query query;
  read_limit(req, options_, query.limit, errors);
  check_enum_filter<task_status>(req, "status", errors);
  check_enum_filter<task_type>(req, "type", errors);
  check_enum_filter<priority>(req, "priority", errors);
  if (!errors.empty()) {
    reply(failure(options_, http::status::bad_request,
                  errors.front().field + " " + errors.front().message, errors));
    return;
  }
  query.user_id = query_or(req, "user_id");
  query.status = query_or(req, "status");
  query.type = query_or(req, "type");
  query.prio = query_or(req, "priority");
  query.cursor = query_or(req, "cursor");
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task_page& page) {
        json::object extra{{"total", page.total}, {"count", page.tasks.size()}};
        if (!page.next_cursor.empty()) extra["next_cursor"] = page.next_cursor;
        reply(ok(codec::to_json_array(page.tasks), http::status::ok, std::move(extra)));
      },
      on_error(reply, "GET /api/tasks"), atoms::list_tasks::value, req.caller, query);
}

void rest_api::get_task(const api_request& req, const std::vector<std::string>& params,
                        responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task& t) { reply(ok(codec::to_json(t))); },
      on_error(reply, "GET /api/tasks/:id"), atoms::get_task::value, req.caller, params[0]);
}

void rest_api::execute_task(const api_request& req, const std::vector<std::string>& params,
                            responder& reply) const {
  if (options_.legacy || wants_wait(req)) {
    actor_call(
        system_, engine_, options_.wait_timeout,
        [reply](const execution_outcome& out) {
          json::object data{
              {"task", codec::to_json(out.subject)},
              {"plan", out.has_plan ? codec::to_json(*out.the_plan) : json::value{}},
              {"executionResults", codec::to_json_array(out.results)},
              {"verificationResult",
               out.has_verification ? codec::to_json(out.verification) : json::value{}}};
          reply(ok(std::move(data)));
        },
        on_error(reply, "POST /api/tasks/:id/execute?wait=true"), atoms::execute_wait::value,
        req.caller, params[0]);
    return;
  }
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task& t) { reply(ok(codec::to_json(t), http::status::accepted)); },
      on_error(reply, "POST /api/tasks/:id/execute"), atoms::execute::value, req.caller, params[0]);
}

void rest_api::cancel_task(const api_request& req, const std::vector<std::string>& params,
                           responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task& t) {
        reply(ok(codec::to_json(t), http::status::ok,
                 json::object{{"message", "Task " + t.id + " cancelled"}}));
      },
      on_error(reply, "POST /api/tasks/:id/cancel"), atoms::cancel::value, req.caller, params[0]);
}

void rest_api::resume_task(const api_request& req, const std::vector<std::string>& params,
                           responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const task& t) {
        reply(ok(codec::to_json(t), http::status::accepted,
                 json::object{{"message", "Task " + t.id + " resumed"}}));
      },
      on_error(reply, "POST /api/tasks/:id/resume"), atoms::resume::value, req.caller, params[0]);
}

void rest_api::rollback_task(const api_request& req, const std::vector<std::string>& params,
                             responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const rollback_report& r) {
        json::array done, errors;
        for (const auto& id : r.rolled_back) done.emplace_back(id);
        for (const auto& e : r.errors) errors.emplace_back(e);
        auto message = r.rolled_back.empty() && r.errors.empty()
                           ? "Nothing to roll back for task " + r.task_id
                           : "Task " + r.task_id + " rolled back";
        reply(ok(json::object{{"task_id", r.task_id},
                              {"success", r.success},
                              {"rolled_back", std::move(done)},
                              {"errors", std::move(errors)}},
                 http::status::ok, json::object{{"message", message}}));
      },
      on_error(reply, "POST /api/tasks/:id/rollback"), atoms::rollback::value, req.caller,
      params[0]);
}

void rest_api::check_rollback(const api_request& req, const std::vector<std::string>& params,
                              responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const rollback_check& c) {
        json::array steps;
        for (const auto& id : c.steps) steps.emplace_back(id);
        reply(ok(json::object{
            {"can_rollback", c.can_rollback}, {"reason", c.reason}, {"steps", std::move(steps)}}));
      },
      on_error(reply, "GET /api/tasks/:id/rollback/check"), atoms::rollback_check::value,
      req.caller, params[0]);
}

void rest_api::task_events(const api_request& req, const std::vector<std::string>& params,
                           responder& reply) const {
  uint64_t since = 0;
  if (auto s = query_or(req, "since"); !s.empty() && !parse_uint(s, since)) {
    reply(failure(options_, http::status::bad_request,
                  "since must be a whole number (an event seq)",
                  {{"since", "must be a whole number"}}));
    return;
  }
  // The task must exist; then its events come from the event log.
  auto system = &system_;
  auto events = events_;
  auto options = options_;
  auto error = on_error(reply, "GET /api/tasks/:id/events");
  if (options_.legacy) {
    // The original filtered its event list by id: an unknown task has no events.
    error = [error, reply](caf::error& err) {
      if (err.category() == error_category && static_cast<errc>(err.code()) == errc::not_found)
        return reply(ok(json::array{}, http::status::ok, json::object{{"count", 0}}));
      error(err);
    };
  }
  actor_call(
      system_, engine_, options_.call_timeout,
      [=](const task& t) {
        actor_call(
            *system, events, options.call_timeout,
            [reply](const std::vector<event>& list) {
              reply(ok(codec::to_json_array(list), http::status::ok,
                       json::object{{"count", list.size()}}));
            },
            error, atoms::task_events::value, t.id, since);
      },
      error, atoms::get_task::value, req.caller, params[0]);
}

void rest_api::list_artifacts(const api_request& req, const std::vector<std::string>& params,
                              responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const std::vector<artifact>& list) { reply(ok(codec::to_json_array(list))); },
      on_error(reply, "GET /api/tasks/:id/artifacts"), atoms::list_artifacts::value, req.caller,
      params[0]);
}

void rest_api::get_artifact(const api_request& req, const std::vector<std::string>& params,
                            responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const artifact_download& d) {
        const auto& a = d.meta;
        api_response r;
        r.body = *d.bytes;
        r.content_type = content_type_for(a.name);
        r.headers.emplace_back(http::field::etag, "\"" + a.checksum + "\"");
        r.headers.emplace_back(http::field::content_disposition,
                               "inline; filename=\"" + a.name + "\"");
        reply(std::move(r));
      },
      on_error(reply, "GET /api/tasks/:id/artifacts/:name"), atoms::get_artifact::value, req.caller,
      params[0], params[1]);
}

void rest_api::get_archive(const api_request& req, const std::vector<std::string>& params,
                           responder& reply) const {
  auto task_id = params[0];
  auto failed = on_error(reply, "GET /api/tasks/:id/archive");
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply, failed, task_id](const std::vector<artifact_download>& files) {
        api_response r;
        try {
          r.body = tar_gz(task_id, files);
        } catch (const std::runtime_error& e) {
          auto err = make_error(errc::internal, e.what());
          return failed(err);
        }
        r.content_type = "application/gzip";
        r.headers.emplace_back(http::field::content_disposition,
                               "attachment; filename=\"" + task_id + ".tar.gz\"");
        reply(std::move(r));
      },
      failed, atoms::get_archive::value, req.caller, task_id);
}

void rest_api::get_plan(const api_request& req, const std::vector<std::string>& params,
                        responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan& p) { reply(ok(codec::to_json(p))); },
      on_error(reply, "GET /api/plans/:id"), atoms::get_plan::value, req.caller, params[0]);
}

void rest_api::generate_plan(const api_request& req, const std::vector<std::string>&,
                             responder& reply) const {
  auto decoded = codec::decode_generate_plan(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  if (auto errors = context_errors(decoded.value.context); !errors.empty()) {
    reply(failure(options_, http::status::bad_request,
                  errors.front().field + " " + errors.front().message, errors));
    return;
  }
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan& p) { reply(ok(codec::to_json(p), http::status::created)); },
      on_error(reply, "POST /api/plans/generate"), atoms::generate_plan::value, req.caller,
      decoded.value.type, decoded.value.context);
}

void rest_api::validate_inline_plan(const api_request& req, const std::vector<std::string>&,
                                    responder& reply) const {
  auto decoded = codec::decode_inline_plan(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan_validation& v) { reply(ok(codec::to_json(v))); },
      on_error(reply, "POST /api/plans/validate"), atoms::validate_plan::value, req.caller,
      decoded.value.steps);
}

void rest_api::validate_plan(const api_request& req, const std::vector<std::string>& params,
                             responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan_validation& v) { reply(ok(codec::to_json(v))); },
      on_error(reply, "POST /api/plans/:id/validate"), atoms::validate_plan::value, req.caller,
      params[0]);
}

void rest_api::optimize_plan(const api_request& req, const std::vector<std::string>& params,
                             responder& reply) const {
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan& p) { reply(ok(codec::to_json(p))); },
      on_error(reply, "POST /api/plans/:id/optimize"), atoms::optimize_plan::value, req.caller,
      params[0]);
}

void rest_api::approve_plan(const api_request& req, const std::vector<std::string>& params,
                            responder& reply) const {
  auto decoded = codec::decode_approve(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  auto caller = req.caller;
  if (auto refusal = acting_for_another(caller, decoded.value.approved_by, "approved_by")) {
    reply(failure(options_, http::status::forbidden, *refusal));
    return;
  }
  if (!decoded.value.approved_by.empty()) caller.user_id = decoded.value.approved_by;
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan& p) {
        reply(ok(codec::to_json(p), http::status::ok,
                 json::object{{"message", "Plan " + p.id + " approved"}}));
      },
      on_error(reply, "POST /api/plans/:id/approve"), atoms::approve::value, caller, params[0],
      decoded.value.comment);
}

void rest_api::reject_plan(const api_request& req, const std::vector<std::string>& params,
                           responder& reply) const {
  auto decoded = codec::decode_reject(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  auto caller = req.caller;
  if (auto refusal = acting_for_another(caller, decoded.value.rejected_by, "rejected_by")) {
    reply(failure(options_, http::status::forbidden, *refusal));
    return;
  }
  if (!decoded.value.rejected_by.empty()) caller.user_id = decoded.value.rejected_by;
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const plan& p) {
        reply(ok(codec::to_json(p), http::status::ok,
                 json::object{{"message", "Plan " + p.id + " rejected"}}));
      },
      on_error(reply, "POST /api/plans/:id/reject"), atoms::reject::value, caller, params[0],
      decoded.value.reason);
}

void rest_api::safety_check(const api_request& req, const std::vector<std::string>&,
                            responder& reply) const {
  auto decoded = codec::decode_safety_check(req.body);
  if (!decoded) {
    reply(rejected_body(options_, *decoded.error));
    return;
  }
  const auto& in = decoded.value;
  actor_call(
      system_, engine_, options_.call_timeout,
      [reply](const safety_report& report) { reply(ok(codec::to_json(report))); },
      on_error(reply, "POST /api/safety/check"), atoms::safety_check::value, req.caller, in.task_id,
      in.plan_id, in.phase);
}

void rest_api::safety_checks(const api_request&, const std::vector<std::string>&,
                             responder& reply) const {
  // The registry of checks is fixed at build time: no actor to ask.
  const auto& checks = options_.safety_checks;
  json::object by_phase;
  for (const auto& c : checks) {
    auto key = std::string(to_string(c.phase));
    by_phase[key] = (by_phase.contains(key) ? by_phase[key].as_int64() : 0) + 1;
  }
  reply(ok(codec::to_json_array(checks), http::status::ok,
           json::object{{"total", checks.size()}, {"by_phase", by_phase}}));
}

void rest_api::statistics(const api_request& req, const std::vector<std::string>&,
                          responder& reply) const {
  auto system = &system_;
  auto bus = bus_;
  auto options = options_;
  auto error = on_error(reply, "GET /api/statistics");
  bool node_wide = req.caller.sees_everyone();  // else only the caller's own figures
  actor_call(
      system_, engine_, options_.call_timeout,
      [=](const engine_statistics& s) {
        actor_call(
            *system, bus, options.call_timeout,
            [=](uint64_t all_subscriptions) {
              auto subscriptions = node_wide ? all_subscriptions : uint64_t{0};
              auto now = now_ms();
              json::object data{
                  {"total_tasks", s.total_tasks},
                  {"by_status", counts(s.by_status)},
                  {"by_type", counts(s.by_type)},
                  {"by_priority", counts(s.by_priority)},
                  {"average_duration", s.average_duration_ms},
                  {"success_rate", s.success_rate},
                  {"throughput",
                   {{"tasks_per_minute", s.throughput_per_minute},
                    {"finished_total", s.terminal_tasks}}},
                  {"queue_depth", s.queue_depth},
                  {"running_tasks", s.running_tasks},
                  {"awaiting_approval", s.awaiting_approval},
                  {"total_plans", s.plans},
                  {"total_events", s.events},
                  {"websocket", {{"subscriptions", subscriptions}}},
                  {"store",
                   {{"commits", s.store_commits},
                    {"changes", s.store_changes},
                    {"unsaved_changes", s.unsaved_changes},
                    {"commits_per_task", s.total_tasks ? static_cast<double>(s.store_commits) /
                                                             static_cast<double>(s.total_tasks)
                                                       : 0.0}}},
                  {"in_memory",
                   {{"tasks", s.tasks_in_memory},
                    {"plans", s.plans_in_memory},
                    {"events", s.events_in_memory}}},
                  {"resources",
                   {{"memory_rss_bytes", resident_bytes()},
                    {"cpu_cores", sysconf(_SC_NPROCESSORS_ONLN)}}},
                  {"uptime", static_cast<double>(now - s.started_at) / 1000.0},
                  {"node_id", s.node_id},
                  {"timestamp", iso8601(now)}};
              data["generator_service"] = generator_health_json(options);
              reply(ok(std::move(data)));
            },
            error, atoms::count_subscribers::value);
      },
      error, atoms::statistics::value, req.caller);
}

void rest_api::list_events(const api_request& req, const std::vector<std::string>&,
                           responder& reply) const {
  std::vector<field_error> errors;
  event_query query;
  read_limit(req, options_, query.limit, errors);
  if (!errors.empty()) {
    reply(failure(options_, http::status::bad_request,
                  errors.front().field + " " + errors.front().message, errors));
    return;
  }
  query.cursor = query_or(req, "cursor");
  query.task_id = query_or(req, "task_id");
  query.type = query_or(req, "type");
  // A caller who sees only their own tasks sees only their events.
  if (!req.caller.sees_everyone()) query.user_id = req.caller.user_id;
  actor_call(
      system_, events_, options_.call_timeout,
      [reply](const event_page& page) {
        json::object extra{{"total", page.total}, {"count", page.events.size()}};
        if (!page.next_cursor.empty()) extra["next_cursor"] = page.next_cursor;
        reply(ok(codec::to_json_array(page.events), http::status::ok, std::move(extra)));
      },
      on_error(reply, "GET /api/events"), atoms::list_events::value, query);
}

void rest_api::metrics_text(const api_request&, const std::vector<std::string>&,
                            responder& reply) const {
  if (!metrics_) {
    reply(failure(options_, http::status::not_found, "this node keeps no metrics"));
    return;
  }
  auto metrics = metrics_;
  auto generator = options_.generator;
  auto answer = [reply, metrics, generator](const engine_statistics* figures) {
    api_response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    std::optional<generator_health> health;
    if (generator) health = generator->health();
    r.body = metrics->exposition(figures, health ? &*health : nullptr);
    reply(std::move(r));
  };
  // The engine's figures are read at scrape time; a busy engine still gets the rest served.
  actor_call(
      system_, engine_, options_.call_timeout, [answer](const engine_statistics& s) { answer(&s); },
      [answer](caf::error&) {
        spdlog::warn("GET /metrics: the engine did not answer; its figures are left out");
        answer(nullptr);
      },
      atoms::statistics::value, caller_identity{});
}

namespace {

std::string_view web_content_type(std::string_view name) {
  auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "text/plain; charset=utf-8";
}

api_response web_answer(const web_asset& asset) {
  api_response r;
  r.content_type = std::string(web_content_type(asset.name));
  r.body = std::string(asset.text);
  // Everything the page loads comes from this node; it may not be framed.
  r.headers.emplace_back(http::field::cache_control, "no-cache");
  // Everything the page loads comes from this node, and it may not be framed.
  r.named_headers.emplace_back("Content-Security-Policy",
                               "default-src 'self'; connect-src 'self'; img-src 'self' data:; "
                               "frame-ancestors 'none'");
  r.named_headers.emplace_back("X-Content-Type-Options", "nosniff");
  return r;
}

}  // namespace

void rest_api::dashboard(const api_request&, const std::vector<std::string>&,
                         responder& reply) const {
  if (const auto* page = find_web_asset("index.html")) return reply(web_answer(*page));
  reply(failure(options_, http::status::not_found, "this build has no dashboard"));
}

void rest_api::web_file(const api_request&, const std::vector<std::string>& params,
                        responder& reply) const {
  if (const auto* asset = find_web_asset(params[0])) return reply(web_answer(*asset));
  reply(failure(options_, http::status::not_found, "no such file of the dashboard: " + params[0]));
}

void rest_api::openapi_document(const api_request&, const std::vector<std::string>&,
                                responder& reply) const {
  api_response r;
  r.body = std::string(net::openapi_document());
  reply(std::move(r));
}

}  // namespace ce::net

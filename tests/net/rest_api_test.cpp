// The REST API alone: routing, the mapping of engine errors to HTTP statuses,
// legacy answers and refusals, with an actor behind it that answers every
// request with the error a test chooses.
#include "net/rest_api.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>

#include <boost/json.hpp>
#include <caf/all.hpp>
#include <catch2/catch.hpp>

#include "messages/errors.hpp"
#include "messages/type_registry.hpp"

using namespace ce;
using ce::net::api_options;
using ce::net::api_request;
using ce::net::api_response;
using ce::net::rest_api;
namespace http = boost::beast::http;

namespace {

/// Answers any request with `code` (and a sentence naming it).
caf::behavior failing_backend(caf::event_based_actor* self,
                              std::shared_ptr<std::atomic<uint8_t>> code) {
  self->set_default_handler(
      [code](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        auto c = static_cast<errc>(code->load());
        return make_error(c, std::string("the engine says ") + to_string(c));
      });
  return {[](caf::unit_t) {}};
}

struct api_fixture {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  std::shared_ptr<std::atomic<uint8_t>> code =
      std::make_shared<std::atomic<uint8_t>>(static_cast<uint8_t>(errc::not_found));
  caf::actor backend;

  api_fixture() {
    register_message_types(config);
    config.set("scheduler.max-threads", size_t{2});
    config.set("logger.console", caf::atom("none"));
    system = std::make_unique<caf::actor_system>(config);
    backend = system->spawn(failing_backend, code);
  }
  ~api_fixture() { caf::anon_send_exit(backend, caf::exit_reason::user_shutdown); }

  rest_api make_api(api_options options = {}) {
    return rest_api(*system, caf::actor_cast<engine_actor>(backend),
                    caf::actor_cast<event_log_actor>(backend),
                    caf::actor_cast<event_bus_actor>(backend), std::move(options));
  }
};

api_request request(http::verb method, std::vector<std::string> segments, std::string body = {}) {
  api_request r;
  r.method = method;
  r.method_text = std::string(http::to_string(method));
  r.segments = std::move(segments);
  r.body = std::move(body);
  if (!r.body.empty()) r.content_type = "application/json";
  return r;
}

/// Handles one request and waits for its one answer.
api_response call(const rest_api& api, api_request req) {
  auto answered = std::make_shared<std::promise<api_response>>();
  api.handle(std::move(req), [answered](api_response r) { answered->set_value(std::move(r)); });
  auto future = answered->get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  return future.get();
}

boost::json::object body_of(const api_response& r) {
  return boost::json::parse(r.body).as_object();
}

}  // namespace

TEST_CASE("each error of the engine becomes its one HTTP status, with its sentence", "[net]") {
  api_fixture f;
  auto api = f.make_api();
  const std::vector<std::pair<errc, http::status>> mapping = {
      {errc::invalid_input, http::status::bad_request},
      {errc::not_found, http::status::not_found},
      {errc::wrong_state, http::status::conflict},
      {errc::forbidden, http::status::forbidden},
      {errc::unavailable, http::status::service_unavailable},
      {errc::timed_out, http::status::gateway_timeout},
      {errc::internal, http::status::internal_server_error},
      {errc::too_many, http::status::too_many_requests},
      {errc::unauthenticated, http::status::unauthorized},
  };
  for (const auto& [code, status] : mapping) {
    f.code->store(static_cast<uint8_t>(code));
    auto r = call(api, request(http::verb::get, {"api", "tasks", "task_1"}));
    INFO("errc " << to_string(code));
    CHECK(r.status == status);
    auto body = body_of(r);
    CHECK(body.at("success") == false);
    CHECK(body.at("error").as_string() == std::string("the engine says ") + to_string(code));
  }
}

TEST_CASE("an unknown path answers 404 naming it; a wrong method answers 405 with Allow", "[net]") {
  api_fixture f;
  auto api = f.make_api();
  auto unknown = call(api, request(http::verb::get, {"api", "nothing"}));
  CHECK(unknown.status == http::status::not_found);
  CHECK(body_of(unknown).at("error").as_string() == "no such endpoint: GET /api/nothing");

  auto wrong_method = call(api, request(http::verb::delete_, {"api", "tasks"}));
  CHECK(wrong_method.status == http::status::method_not_allowed);
  std::string allow;
  for (const auto& [field, value] : wrong_method.headers)
    if (field == http::field::allow) allow = value;
  CHECK(allow.find("GET") != std::string::npos);
  CHECK(allow.find("POST") != std::string::npos);
}

TEST_CASE("a body that is not JSON is refused with 415 before any handler runs", "[net]") {
  api_fixture f;
  auto api = f.make_api();
  auto req = request(http::verb::post, {"api", "tasks"}, "type=deploy");
  req.content_type = "application/jsonx";
  auto r = call(api, std::move(req));
  CHECK(r.status == http::status::unsupported_media_type);
}

TEST_CASE("a malformed body is a 400 that names the field, and the engine is not asked", "[net]") {
  api_fixture f;
  f.code->store(static_cast<uint8_t>(errc::internal));  // would be a 500 if it were asked
  auto api = f.make_api();
  auto r = call(api, request(http::verb::post, {"api", "tasks"}, R"({"type":"deploy"})"));
  CHECK(r.status == http::status::bad_request);
  CHECK(body_of(r).at("error").as_string().find("context") != std::string::npos);
}

TEST_CASE("legacy mode answers handled errors with HTTP 200 and unknown routes with NOT_FOUND",
          "[net][legacy]") {
  api_fixture f;
  api_options options;
  options.legacy = true;
  auto api = f.make_api(options);
  auto missing = call(api, request(http::verb::get, {"api", "tasks", "task_1"}));
  CHECK(missing.status == http::status::ok);
  CHECK(body_of(missing).at("success") == false);
  auto unknown = call(api, request(http::verb::get, {"api", "nothing"}));
  CHECK(unknown.status == http::status::not_found);
  CHECK(unknown.body == "NOT_FOUND");
}

TEST_CASE("refused credentials answer 401 on every route but the probes", "[net][auth]") {
  api_fixture f;
  auto api = f.make_api();
  auto req = request(http::verb::get, {"api", "nothing"});
  req.auth_refusal = "the bearer token is not known to this node";
  auto refused = call(api, req);
  CHECK(refused.status == http::status::unauthorized);  // an unknown route leaks nothing
  CHECK(body_of(refused).at("error").as_string() == "the bearer token is not known to this node");
  auto health = request(http::verb::get, {"health"});
  health.auth_refusal = req.auth_refusal;
  CHECK(call(api, health).status == http::status::ok);
}

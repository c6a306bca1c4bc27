// libFuzzer target: a raw HTTP request, parsed by Beast as the server does,
// read into an api_request and routed by the REST API. The actors behind the
// API answer every request with "not found", so what is fuzzed is the path
// from bytes to a handler's decision: target and query decoding, credentials,
// routing, parameter and body validation, and the error answers. Each request
// must get exactly one answer, in time, and a JSON answer must be JSON.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <memory>
#include <string_view>

#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "messages/checksum.hpp"
#include "messages/errors.hpp"
#include "messages/type_registry.hpp"
#include "net/request_reading.hpp"
#include "net/rest_api.hpp"

namespace {

using namespace ce;

/// An actor that answers any request with errc::not_found.
caf::behavior nothing_here(caf::event_based_actor* self) {
  self->set_default_handler(
      [](caf::scheduled_actor*, caf::message_view&) -> caf::result<caf::message> {
        return make_error(errc::not_found, "nothing here");
      });
  return {[](caf::unit_t) {}};
}

struct router_under_test {
  caf::actor_system_config config;
  std::unique_ptr<caf::actor_system> system;
  // [legacy][with tokens]
  std::unique_ptr<net::rest_api> apis[2][2];

  router_under_test() {
    register_message_types(config);
    config.set("scheduler.max-threads", size_t{2});
    config.set("logger.console", caf::atom("none"));
    system = std::make_unique<caf::actor_system>(config);
    auto backend = system->spawn(nothing_here);
    auto tokens = std::make_shared<config::token_table>();
    tokens->add({"ada", "admin", sha256_hex("ada-token")});
    tokens->add({"vic", "viewer", sha256_hex("vic-token")});
    for (int legacy = 0; legacy < 2; ++legacy)
      for (int with_tokens = 0; with_tokens < 2; ++with_tokens) {
        net::api_options options;
        options.legacy = legacy == 1;
        options.allow_fault_injection = with_tokens == 0;
        if (with_tokens == 1) options.tokens = tokens;
        options.call_timeout = std::chrono::seconds(5);
        apis[legacy][with_tokens] =
            std::make_unique<net::rest_api>(*system, caf::actor_cast<engine_actor>(backend),
                                            caf::actor_cast<event_log_actor>(backend),
                                            caf::actor_cast<event_bus_actor>(backend), options);
      }
  }
};

/// Never destroyed: libFuzzer ends the process with exit(), and an actor
/// system torn down among the other static destructors crashes in CAF.
router_under_test& router() {
  static auto* instance = new router_under_test;
  return *instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& api = *router().apis[data[0] & 1][(data[0] >> 1) & 1];
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);

  namespace http = boost::beast::http;
  http::request_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(raw.data(), raw.size()), ec);
  if (ec || !parser.is_done()) return 0;
  auto req = parser.release();

  auto in = net::read_api_request(req, api.options().tokens.get());
  if (!in) return 0;
  in->body = std::move(req.body());

  auto answered = std::make_shared<std::promise<net::api_response>>();
  auto answers = std::make_shared<std::atomic<int>>(0);
  api.handle(std::move(*in), [answered, answers](net::api_response r) {
    if (answers->fetch_add(1) == 0)
      answered->set_value(std::move(r));
    else
      std::abort();  // a second answer for one request
  });
  auto future = answered->get_future();
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) std::abort();
  auto response = future.get();
  if (response.content_type.rfind("application/json", 0) == 0) {
    boost::system::error_code json_error;
    boost::json::parse(response.body, json_error);
    if (json_error) std::abort();  // an answer that says it is JSON and is not
  }
  return 0;
}

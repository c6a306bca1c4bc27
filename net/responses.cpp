#include "net/responses.hpp"

#include <spdlog/spdlog.h>
#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace ce::net {

namespace json = boost::json;

api_response ok(json::value data, http::status status, json::object extra) {
  json::object envelope;
  envelope["success"] = true;
  envelope["data"] = std::move(data);
  for (auto& kv : extra) envelope[kv.key()] = std::move(kv.value());
  api_response r;
  r.status = status;
  r.body = codec::serialize(envelope);
  return r;
}

api_response failure(const api_options& options, http::status status, std::string message,
                     const std::vector<field_error>& details) {
  json::object envelope;
  envelope["success"] = false;
  envelope["error"] = std::move(message);
  if (!details.empty()) {
    json::array list;
    for (const auto& d : details)
      list.push_back(json::object{{"field", d.field}, {"message", d.message}});
    envelope["details"] = std::move(list);
  }
  api_response r;
  // Legacy clients expect 200 for every handled error; 5xx stays honest.
  r.status = options.legacy && static_cast<unsigned>(status) < 500 ? http::status::ok : status;
  r.body = codec::serialize(envelope);
  return r;
}

namespace {

api_response plain_text(http::status status, std::string text) {
  api_response r;
  r.status = status;
  r.content_type = "text/plain;charset=utf-8";
  r.body = std::move(text);
  return r;
}

}  // namespace

responder legacy_responder(responder inner) {
  return [inner = std::move(inner)](api_response r) {
    if (r.status == http::status::created || r.status == http::status::accepted)
      r.status = http::status::ok;
    r.headers.emplace_back(http::field::access_control_allow_origin, "*");
    inner(std::move(r));
  };
}

api_response legacy_preflight() {
  api_response r;
  r.status = http::status::no_content;
  r.content_type.clear();
  r.headers.emplace_back(http::field::access_control_allow_methods, "GET, POST, OPTIONS");
  r.headers.emplace_back(http::field::access_control_allow_headers,
                         "Content-Type, Authorization, X-User-Id");
  r.headers.emplace_back(http::field::access_control_max_age, "5");
  return r;
}

api_response rejected_body(const api_options& options, const codec::decode_error& error) {
  if (options.legacy && error.malformed_json)
    return plain_text(http::status::bad_request, "Bad Request");
  return failure(options, http::status::bad_request, error.message, error.details);
}

api_response no_route(const api_options& options, const std::string& method,
                      const std::string& path, const std::string& allow) {
  if (options.legacy) return plain_text(http::status::not_found, "NOT_FOUND");
  if (allow.empty())
    return failure(options, http::status::not_found,
                   "no such endpoint: " + method + " " + (path.empty() ? "/" : path));
  auto r = failure(options, http::status::method_not_allowed,
                   "method " + method + " is not allowed here; use " + allow);
  r.headers.emplace_back(http::field::allow, allow);
  return r;
}

api_response failure(const api_options& options, const caf::error& err, const std::string& context,
                     caf::actor_system& system) {
  if (err.category() == error_category) {
    std::string sentence;
    if (!err.context().empty() && err.context().match_element<std::string>(0))
      sentence = err.context().get_as<std::string>(0);
    http::status status = http::status::internal_server_error;
    switch (static_cast<errc>(err.code())) {
      case errc::invalid_input:
        status = http::status::bad_request;
        break;
      case errc::not_found:
        status = http::status::not_found;
        break;
      case errc::wrong_state:
        status = http::status::conflict;
        break;
      case errc::forbidden:
        status = http::status::forbidden;
        break;
      case errc::unavailable:
        status = http::status::service_unavailable;
        break;
      case errc::timed_out:
        status = http::status::gateway_timeout;
        break;
      case errc::internal:
        break;
      case errc::too_many:
        status = http::status::too_many_requests;
        break;
      case errc::unauthenticated:
        status = http::status::unauthorized;
        break;
    }
    if (status == http::status::internal_server_error)
      spdlog::error("{}: internal error: {}", context, sentence);
    auto r = failure(options, status, sentence.empty() ? "request failed" : sentence);
    if (status == http::status::unauthorized)
      r.headers.emplace_back(http::field::www_authenticate, "Bearer");
    return r;
  }
  if (err == caf::sec::request_timeout) {
    spdlog::warn("{}: no answer in time", context);
    return failure(options, http::status::gateway_timeout,
                   "the engine did not answer in time; the request may still complete");
  }
  spdlog::error("{}: {}", context, system.render(err));
  return failure(options, http::status::internal_server_error,
                 "internal error while handling the request; it has been logged");
}

}  // namespace ce::net

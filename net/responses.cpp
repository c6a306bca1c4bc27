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
    }
    if (status == http::status::internal_server_error)
      spdlog::error("{}: internal error: {}", context, sentence);
    return failure(options, status, sentence.empty() ? "request failed" : sentence);
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

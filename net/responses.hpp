// The one place that turns results and failures into HTTP answers: status,
// envelope and details.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <caf/error.hpp>

#include "messages/json_codec.hpp"
#include "messages/requirements.hpp"
#include "net/api_types.hpp"

namespace ce::net {

/// {"success":true,"data":...} plus any extra top-level fields.
api_response ok(boost::json::value data, http::status status = http::status::ok,
                boost::json::object extra = {});

/// {"success":false,"error":message,"details":[...]}. In legacy mode a handled
/// error answers 200, as the original service did.
api_response failure(const api_options& options, http::status status, std::string message,
                     const std::vector<field_error>& details = {});

/// A request body that was refused: 400 with the decoder's sentence and details. In legacy
/// mode a body that is not JSON at all answers 400 with the text `Bad Request`, as the
/// original's framework did.
api_response rejected_body(const api_options& options, const codec::decode_error& error);

/// No route matches the path (or none matches it for this method). Legacy mode answers
/// 404 with the text `NOT_FOUND`, as the original did; `allow` lists the methods the path
/// has (empty: the path is unknown), for 405 and its Allow header otherwise.
api_response no_route(const api_options& options, const std::string& method,
                      const std::string& path, const std::string& allow);

/// Legacy mode: every answer that succeeded is a 200 (the original sent 200 for create
/// and plan generation too), and every answer allows any origin, as the original's CORS
/// middleware did.
responder legacy_responder(responder inner);

/// Legacy mode's answer to a CORS preflight (OPTIONS on any path): 204 with the headers
/// a browser needs to go on.
api_response legacy_preflight();

/// Maps an engine error to its status (not_found 404, wrong_state 409, ...).
/// Anything unexpected is a 500 and is logged with `context`.
api_response failure(const api_options& options, const caf::error& err, const std::string& context,
                     caf::actor_system& system);

}  // namespace ce::net

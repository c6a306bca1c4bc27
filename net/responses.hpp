// The one place that turns results and failures into HTTP answers: status,
// envelope and details.
#pragma once

#include <string>
#include <vector>

#include <boost/json.hpp>
#include <caf/error.hpp>

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

/// Maps an engine error to its status (not_found 404, wrong_state 409, ...).
/// Anything unexpected is a 500 and is logged with `context`.
api_response failure(const api_options& options, const caf::error& err, const std::string& context,
                     caf::actor_system& system);

}  // namespace ce::net

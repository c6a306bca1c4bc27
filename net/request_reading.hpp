// From an HTTP request as Beast parsed it to what the REST API reads: the
// decoded path and query, and the caller its credentials name.
#pragma once

#include <optional>

#include "config/tokens.hpp"
#include "net/api_types.hpp"
#include "net/beast.hpp"

namespace ce::net {

/// The REST API's view of `req`, without its body (the caller moves that in,
/// since a WebSocket upgrade still needs the request whole). Nothing when the
/// target is not an origin-form path. `tokens` null or empty: the open node.
std::optional<api_request> read_api_request(const http::request<http::string_body>& req,
                                            const config::token_table* tokens);

}  // namespace ce::net

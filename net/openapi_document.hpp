// The OpenAPI 3.1 description of the REST API, net/openapi.json, built into
// the binary (the file is the one place it is written; tests hold the router
// and the document to each other).
#pragma once

#include <string_view>

namespace ce::net {

/// The text of net/openapi.json.
std::string_view openapi_document();

}  // namespace ce::net

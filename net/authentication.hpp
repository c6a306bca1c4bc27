// Who sent a request. With tokens configured, only the bearer token says;
// without, the node is open and believes X-User-Id or From, as before tokens.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "config/tokens.hpp"
#include "messages/domain.hpp"

namespace ce::net {

struct authentication {
  caller_identity caller;
  std::string refusal;    // non-empty: answer 401 with this sentence
  std::string token_key;  // the token's hash: the key of its request rate
};

/// The caller of an HTTP request (or WebSocket upgrade) from its headers.
/// `tokens` null or empty: the open node.
authentication authenticate(const config::token_table* tokens, std::string_view authorization,
                            std::string_view from, std::string_view x_user_id);

/// The caller a bearer token stands for (the `auth` message of a WebSocket).
authentication authenticate_token(const config::token_table& tokens, std::string_view token);

}  // namespace ce::net

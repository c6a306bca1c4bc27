// The WebSocket protocol's messages (contract: api.md, section WebSocket).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "messages/domain.hpp"
#include "messages/json_codec.hpp"

namespace ce::ws {

/// What a client may send.
struct client_message {
  enum class kind { subscribe, unsubscribe, ping, auth };
  kind type = kind::ping;
  std::string task_id;  // "*" = every task
  std::string token;    // auth: the bearer token
  bool has_since = false;
  uint64_t since = 0;
};

/// Parses one client text message; the error's message is sent back as-is.
codec::decoded<client_message> decode_client_message(std::string_view text);

std::string connected_frame(timestamp_ms now);
std::string subscribed_frame(const std::string& task_id, uint64_t replayed_through);
std::string unsubscribed_frame(const std::string& task_id);
std::string pong_frame(timestamp_ms now);
/// The answer to a good `auth` message: who the connection now speaks for.
std::string authenticated_frame(const std::string& user_id, std::string_view role);
std::string error_frame(const std::string& message);
/// The overflow notice: names the last seq delivered so the client can resume.
std::string overflow_frame(uint64_t last_delivered_seq, std::size_t queue_limit);
std::string event_frame(const event& e);

}  // namespace ce::ws

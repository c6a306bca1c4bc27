#include "messages/ws_protocol.hpp"

#include <simdjson.h>
#include <boost/json.hpp>

#include "messages/json_codec.hpp"

namespace ce::ws {

namespace json = boost::json;

codec::decoded<client_message> decode_client_message(std::string_view text) {
  codec::decoded<client_message> out;
  auto fail = [&](std::string message) {
    out.error = codec::decode_error{std::move(message), {}};
    return out;
  };
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text.data(), text.size()).get(doc))
    return fail(std::string("message is not valid JSON: ") + simdjson::error_message(err));
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return fail("message must be a JSON object");
  if (auto twice = codec::duplicate_key(doc))
    return fail("message has the key \"" + *twice + "\" more than once");
  std::string_view type;
  if (obj["type"].get_string().get(type))
    return fail("message needs a string field 'type' (subscribe, unsubscribe or ping)");
  auto& m = out.value;
  if (type == "ping") {
    m.type = client_message::kind::ping;
    return out;
  }
  if (type == "auth") {
    m.type = client_message::kind::auth;
    std::string_view token;
    if (obj["token"].get_string().get(token) || token.empty())
      return fail("auth needs a non-empty string field 'token'");
    if (token.size() > 512) return fail("token is longer than 512 characters");
    m.token = std::string(token);
    return out;
  }
  if (type == "subscribe")
    m.type = client_message::kind::subscribe;
  else if (type == "unsubscribe")
    m.type = client_message::kind::unsubscribe;
  else
    return fail("unknown message type '" + std::string(type.substr(0, 64)) +
                "'; expected subscribe, unsubscribe, ping or auth");
  std::string_view task_id;
  if (obj["task_id"].get_string().get(task_id) || task_id.empty())
    return fail(std::string(type) +
                " needs a non-empty string field 'task_id' (a task id or \"*\")");
  if (task_id.size() > 128) return fail("task_id is longer than 128 characters");
  m.task_id = std::string(task_id);
  auto since = obj["since"];
  if (since.error() == simdjson::SUCCESS && !since.is_null()) {
    if (m.type != client_message::kind::subscribe) return fail("since is only valid on subscribe");
    uint64_t seq = 0;
    if (since.get_uint64().get(seq))
      return fail("since must be a non-negative whole number (a seq)");
    m.has_since = true;
    m.since = seq;
  }
  return out;
}

namespace {
std::string frame(json::object obj) {
  return codec::serialize(obj);
}
}  // namespace

std::string connected_frame(timestamp_ms now) {
  return frame(
      {{"type", "connected"}, {"message", "Connected to Core Engine Service"}, {"timestamp", now}});
}

std::string subscribed_frame(const std::string& task_id, uint64_t replayed_through) {
  return frame({{"type", "subscribed"}, {"task_id", task_id}, {"seq", replayed_through}});
}

std::string unsubscribed_frame(const std::string& task_id) {
  return frame({{"type", "unsubscribed"}, {"task_id", task_id}});
}

std::string pong_frame(timestamp_ms now) {
  return frame({{"type", "pong"}, {"timestamp", now}});
}

std::string authenticated_frame(const std::string& user_id, std::string_view role) {
  return frame({{"type", "authenticated"}, {"user_id", user_id}, {"role", role}});
}

std::string error_frame(const std::string& message) {
  return frame({{"type", "error"}, {"message", message}});
}

std::string overflow_frame(uint64_t last_delivered_seq, std::size_t queue_limit) {
  return frame({{"type", "error"},
                {"code", "slow_consumer"},
                {"message", "more than " + std::to_string(queue_limit) +
                                " messages waited for this connection; closing it. Reconnect "
                                "and subscribe with since=" +
                                std::to_string(last_delivered_seq) + " to resume"},
                {"last_seq", last_delivered_seq}});
}

std::string event_frame(const event& e) {
  return frame({{"type", "task_event"}, {"task_id", e.task_id}, {"event", codec::to_json(e)}});
}

}  // namespace ce::ws

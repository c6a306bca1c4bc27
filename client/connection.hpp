// The command-line client's side of the wire: one keep-alive HTTP connection
// to the engine, and a WebSocket that follows a task's events.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>

namespace ce::client {

/// Where the engine is: from --url / CORE_ENGINE_URL ("http://127.0.0.1:3004").
struct server_address {
  std::string host;
  std::string port;
  std::string base_path;  // "" or a prefix such as "/engine" (no trailing slash)
};

/// Parses an http:// URL; nothing (with `why`) when it is not one.
std::optional<server_address> parse_server_url(const std::string& url, std::string& why);

/// The engine could not be reached, or the connection broke.
struct connection_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

/// Synchronous HTTP/1.1 over one kept-alive connection; reconnects when the
/// server closed it. Every request has a deadline.
class connection {
 public:
  connection(server_address address, std::string token,
             std::chrono::seconds deadline = std::chrono::seconds(330));
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// `target` starts with "/"; a non-empty body is sent as application/json.
  response request(const std::string& method, const std::string& target,
                   const std::string& body = {});

  const server_address& address() const { return address_; }
  const std::string& token() const { return token_; }

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  server_address address_;
  std::string token_;
  std::chrono::seconds deadline_;
};

/// Follows one task's events over the engine's WebSocket (/ws on the HTTP
/// port): authenticates with the token when there is one, subscribes with
/// `since` (0: from the first event), then hands every event to `on_event`
/// until it returns false. Throws connection_error when the connection fails
/// or the server answers the subscription with an error.
void follow_task_events(const server_address& address, const std::string& token,
                        const std::string& task_id, uint64_t since,
                        const std::function<bool(const boost::json::object& event)>& on_event);

}  // namespace ce::client

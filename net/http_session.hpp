// One HTTP connection: reads requests (keep-alive), hands each to the REST
// API without blocking, writes the answer back on the connection's strand.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "net/beast.hpp"
#include "net/rest_api.hpp"
#include "net/ws_session.hpp"

namespace ce::net {

/// What the connection limits decided about a new connection.
struct admission {
  std::shared_ptr<void> slot;  // held while the connection lives (null: no limits)
  std::string refusal;         // non-empty: answer the first request with it, then close
  http::status status = http::status::too_many_requests;
};

/// Starts an http_session on each accepted socket. `connections` null: no
/// connection limits. `websocket_any_path`: see http_session.
std::function<void(tcp::socket&&)> make_session_starter(
    std::shared_ptr<const rest_api> api, std::shared_ptr<const ws_context> websocket,
    std::shared_ptr<connection_limits> connections, std::size_t max_body_bytes,
    bool websocket_any_path);

class http_session : public std::enable_shared_from_this<http_session> {
 public:
  /// `websocket_any_path`: upgrade requests on every path (the WS_PORT
  /// listener) instead of only on /ws.
  http_session(tcp::socket&& socket, std::shared_ptr<const rest_api> api,
               std::shared_ptr<const ws_context> websocket, std::size_t max_body_bytes,
               bool websocket_any_path, admission admitted = {});
  void run();

 private:
  void read_request();
  void on_read(beast::error_code ec, std::size_t bytes);
  void dispatch_request(http::request<http::string_body>&& req);
  void write(api_response response);
  /// A 429 when this address or token asks faster than allowed.
  std::optional<api_response> over_rate(const std::string& token_key);
  void close();

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<const rest_api> api_;
  std::shared_ptr<const ws_context> websocket_;
  std::size_t max_body_bytes_;
  bool websocket_any_path_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  admission admitted_;
  std::string peer_address_;
  // The request being answered (one at a time per connection): what its
  // metrics and its log line are labelled with.
  std::chrono::steady_clock::time_point started_;
  std::string_view method_label_ = "other";
  std::string_view route_ = rest_api::unmatched_route;
  std::string path_;        // as requested, without the query
  std::string request_id_;  // the client's X-Request-Id when usable, else one of ours
};

}  // namespace ce::net

// One WebSocket connection: the contract's subscribe/unsubscribe/ping
// protocol, live events from the bus through a bounded outgoing queue, ping
// frames on idle connections, and clean release of subscriptions on close.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "config/tokens.hpp"
#include "messages/event_sink.hpp"
#include "messages/interfaces.hpp"
#include "metrics/node_metrics.hpp"
#include "net/beast.hpp"
#include "net/limits.hpp"

namespace ce::net {

struct ws_options {
  std::size_t queue_limit = 1024;            // frames waiting to be written
  std::size_t max_message_bytes = 64 << 10;  // larger client messages get an error frame
  std::chrono::seconds idle_timeout{60};     // ping after half of it, close after all of it
  std::chrono::seconds close_grace{10};  // how long an overflowing client gets to read its error
  int send_buffer_bytes = 256 << 10;     // kernel send buffer per connection (0: OS default)
  std::size_t max_subscriptions = 1000;  // per connection
  double message_rate = 0;               // client messages per second (0: no limit)
};

/// What every WebSocket session needs, shared by all of them.
struct ws_context {
  event_log_actor log;
  ws_options options;
  /// Null or empty: the open node, where every connection sees everything.
  std::shared_ptr<const config::token_table> tokens;
  /// Asked whether a caller may see a task before subscribing to it.
  engine_actor engine;
  caf::actor_system* system = nullptr;
  std::shared_ptr<metrics::node_metrics> metrics;  // null: nothing counted
};

class ws_session : public event_sink, public std::enable_shared_from_this<ws_session> {
 public:
  ws_session(tcp::socket&& socket, std::shared_ptr<const ws_context> context);
  ~ws_session() override;

  /// Completes the handshake of an upgrade request read by the HTTP session.
  /// `caller`: who the upgrade's credentials name; none while an `auth`
  /// message is still awaited (tokens configured, no Authorization header).
  /// `connection_slot`: held while the connection lives (the connection limits).
  void run(http::request<http::string_body> upgrade, std::optional<caller_identity> caller,
           std::shared_ptr<void> connection_slot = nullptr);

  /// From actor threads: queue a frame, or give up on a client that lags
  /// more than queue_limit frames behind.
  void deliver(std::shared_ptr<const std::string> frame, uint64_t seq) override;

  /// From actor threads: whether events of this user's tasks may reach the caller.
  bool may_see(const std::string& user_id) const override;

 private:
  void on_accept(beast::error_code ec);
  void read();
  void on_read(beast::error_code ec, std::size_t bytes);
  void handle_message(std::string_view text);
  void authenticate(const std::string& token);
  void subscribe(const std::string& task_id, bool has_since, uint64_t since);
  void send(std::string text);  // a protocol frame of our own (strand)
  void enqueue(std::shared_ptr<const std::string> frame, uint64_t seq);
  void write_next();
  void on_write(beast::error_code ec, uint64_t seq);
  void overflow();
  void finish();
  event_sink_ptr as_sink() { return std::static_pointer_cast<event_sink>(shared_from_this()); }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<const ws_context> context_;
  std::deque<std::pair<std::shared_ptr<const std::string>, uint64_t>> queue_;  // strand only
  std::atomic<std::size_t> pending_{0};  // queued, not yet written
  std::atomic<bool> closing_{false};
  bool writing_ = false;                           // strand only
  bool close_after_write_ = false;                 // strand only
  bool finished_ = false;                          // strand only
  bool counted_ = false;                           // in the open-connections gauge
  uint64_t last_sent_seq_ = 0;                     // strand only
  std::unordered_set<std::string> subscriptions_;  // strand only
  asio::steady_timer close_timer_;
  // Set once, on the strand, before any subscription exists; read by may_see
  // from actor threads only after a subscription made it known to them.
  caller_identity caller_;
  bool identified_ = false;
  token_bucket message_budget_;  // strand only
  std::shared_ptr<void> connection_slot_;
};

}  // namespace ce::net

// A WebSocket client for end-to-end tests: Beast's client on its own I/O
// thread, messages parsed into a thread-safe queue, deadlines on every wait.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ce::e2e {

/// Where and how to connect.
struct ws_connect_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/ws";
  /// SO_RCVBUF set before connecting (0: OS default). A small one makes a
  /// client that does not read back up the server quickly.
  int receive_buffer_bytes = 0;
  /// Read continuously from the start. When false, each next() reads exactly
  /// one message on demand until start_reading() is called.
  bool read_continuously = true;
  std::chrono::milliseconds connect_deadline{std::chrono::seconds(10)};
  /// The upgrade request's Authorization header (empty: none).
  std::string authorization{};
};

/// The server answered the upgrade request with an HTTP status other than 101.
struct ws_handshake_rejected : std::runtime_error {
  ws_handshake_rejected(int http_status, const std::string& what);
  int status;
};

/// How the connection ended, as far as the client saw it.
struct ws_close_info {
  bool closed = false;
  /// The close frame's code (e.g. 1008), absent when the TCP connection ended
  /// without a close frame.
  std::optional<int> code;
  std::string reason;  // the close frame's reason text
  std::string error;   // the read error that ended the connection
};

/// One WebSocket connection. Messages the server sends are parsed as JSON
/// (a non-JSON message becomes the string it was) and queued in arrival order.
/// Sends are synchronous with a deadline. The destructor drops the connection
/// without a close handshake; call close() for a clean one.
class ws_client {
 public:
  /// Connects and completes the handshake; throws ws_handshake_rejected when
  /// the server answers with another HTTP status, std::runtime_error on any
  /// other failure.
  explicit ws_client(const ws_connect_options& options);
  ws_client(const std::string& host, uint16_t port, const std::string& path = "/ws");
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// Sends one text message; throws when the write fails or takes longer than `deadline`.
  void send_text(const std::string& text,
                 std::chrono::milliseconds deadline = std::chrono::seconds(10));
  void send_json(const boost::json::value& message,
                 std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// Sends one binary message.
  void send_binary(const std::string& bytes,
                   std::chrono::milliseconds deadline = std::chrono::seconds(10));

  /// Switches to continuous reading (no-op when already reading).
  void start_reading();

  /// The next message, waiting at most `deadline`; nothing when the deadline
  /// passes or the connection has ended and every message was taken.
  std::optional<boost::json::value> next(std::chrono::milliseconds deadline);

  /// Takes messages until one has "type" == `type` and returns it; the ones
  /// skipped are appended to `skipped` when given. Nothing on deadline or close.
  std::optional<boost::json::object> next_of_type(
      const std::string& type, std::chrono::milliseconds deadline,
      std::vector<boost::json::value>* skipped = nullptr);

  /// Sends subscribe (with `since` when given) and waits for its answer:
  /// the `subscribed` message, or the `error` message, whichever comes first.
  /// Messages before it (e.g. events of other subscriptions) go to `skipped`.
  boost::json::object subscribe(const std::string& task_id,
                                std::optional<uint64_t> since = std::nullopt,
                                std::chrono::milliseconds deadline = std::chrono::seconds(10),
                                std::vector<boost::json::value>* skipped = nullptr);

  /// Waits until the connection has ended (messages still queued stay
  /// available to next()); true when it did within `deadline`.
  bool wait_closed(std::chrono::milliseconds deadline);
  ws_close_info close_info() const;

  /// Clean close: sends a close frame (1000) and waits for the server's.
  void close(std::chrono::milliseconds deadline = std::chrono::seconds(10));
  /// Abrupt close: the TCP socket is closed with no close frame; with
  /// `reset` the kernel sends RST instead of FIN.
  void abort(bool reset = false);

 private:
  struct impl;
  std::shared_ptr<impl> impl_;
};

/// The "type" of a protocol message ("" when absent).
std::string message_type(const boost::json::value& message);

}  // namespace ce::e2e

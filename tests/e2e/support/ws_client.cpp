#include "tests/e2e/support/ws_client.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace ce::e2e {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

ws_handshake_rejected::ws_handshake_rejected(int http_status, const std::string& what)
    : std::runtime_error(what), status(http_status) {}

struct ws_client::impl {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  websocket::stream<beast::tcp_stream> ws{io};
  beast::flat_buffer buffer;

  std::mutex mutex;
  std::condition_variable changed;
  std::deque<json::value> queue;  // guarded by mutex, like everything below
  bool continuous = false;
  bool read_outstanding = false;
  ws_close_info ended;
  std::thread thread;

  impl() {
    thread = std::thread([this] { io.run(); });
  }

  ~impl() {
    // Closing the socket aborts whatever is pending; run() then runs out of work.
    asio::post(io, [this] {
      beast::error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
    });
    work.reset();
    thread.join();
  }

  /// Runs `operation` on the I/O thread; it calls the completion it gets with
  /// an error (or none). Throws when that takes longer than `deadline`.
  template <typename Operation>
  beast::error_code run_on_io(std::chrono::milliseconds deadline, const char* what,
                              Operation operation) {
    auto done = std::make_shared<std::promise<beast::error_code>>();
    auto result = done->get_future();
    asio::post(io, [operation = std::move(operation), done]() mutable {
      operation([done](beast::error_code ec) { done->set_value(ec); });
    });
    if (result.wait_for(deadline) != std::future_status::ready)
      throw std::runtime_error(std::string("WebSocket ") + what + " did not finish within " +
                               std::to_string(deadline.count()) + " ms");
    return result.get();
  }

  /// I/O thread only.
  void read_one() {
    ws.async_read(buffer, [this](beast::error_code ec, std::size_t) { on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    std::unique_lock<std::mutex> lock(mutex);
    if (ec) {
      mark_ended(ec);
      read_outstanding = false;
      changed.notify_all();
      return;
    }
    auto text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    beast::error_code parse_error;
    auto parsed = json::parse(text, parse_error);
    queue.push_back(parse_error ? json::value(json::string(text)) : std::move(parsed));
    read_outstanding = continuous;
    changed.notify_all();
    lock.unlock();
    if (continuous) read_one();
  }

  /// Records the end of the connection; mutex held.
  void mark_ended(beast::error_code ec) {
    if (ended.closed) return;
    ended.closed = true;
    ended.error = ec.message();
    if (ec == websocket::error::closed) {
      ended.code = static_cast<int>(ws.reason().code);
      ended.reason = std::string(ws.reason().reason.c_str());
    }
  }

  void send(const std::string& payload, bool binary, std::chrono::milliseconds deadline) {
    auto bytes = std::make_shared<std::string>(payload);
    auto ec = run_on_io(deadline, "write", [this, bytes, binary](auto complete) {
      ws.binary(binary);
      ws.async_write(asio::buffer(*bytes),
                     [bytes, complete](beast::error_code ec, std::size_t) { complete(ec); });
    });
    if (ec) throw std::runtime_error("WebSocket write failed: " + ec.message());
  }
};

ws_client::ws_client(const std::string& host, uint16_t port, const std::string& path)
    : ws_client(ws_connect_options{host, port, path}) {}

ws_client::ws_client(const ws_connect_options& options) : impl_(std::make_shared<impl>()) {
  impl_->continuous = options.read_continuously;
  auto response = std::make_shared<websocket::response_type>();
  auto& self = *impl_;
  auto ec = self.run_on_io(
      options.connect_deadline, "connect", [&self, &options, response](auto complete) {
        auto& stream = beast::get_lowest_layer(self.ws);
        beast::error_code ec;
        stream.socket().open(tcp::v4(), ec);
        if (!ec && options.receive_buffer_bytes > 0) {
          stream.socket().set_option(
              asio::socket_base::receive_buffer_size(options.receive_buffer_bytes), ec);
          // A receive window far below the segment size (64 KiB on loopback) is never
          // reopened by the receiver (silly window avoidance): the sender then learns of
          // the space only from its zero-window probes, whose interval doubles up to two
          // minutes. Small segments keep a small buffer flowing once it is read.
          int segment = std::max(536, static_cast<int>(options.receive_buffer_bytes / 4));
          if (!ec && ::setsockopt(stream.socket().native_handle(), IPPROTO_TCP, TCP_MAXSEG,
                                  &segment, sizeof segment) != 0)
            ec.assign(errno, boost::system::generic_category());
        }
        if (ec) return complete(ec);
        if (!options.authorization.empty())
          self.ws.set_option(websocket::stream_base::decorator(
              [authorization = options.authorization](websocket::request_type& req) {
                req.set(beast::http::field::authorization, authorization);
              }));
        tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
        auto host = options.host + ":" + std::to_string(options.port);
        stream.async_connect(
            endpoint, [&self, host, path = options.path, response, complete](beast::error_code ec) {
              if (ec) return complete(ec);
              self.ws.async_handshake(*response, host, path, complete);
            });
      });
  auto where = options.host + ":" + std::to_string(options.port) + options.path;
  if (ec == websocket::error::upgrade_declined)
    throw ws_handshake_rejected(static_cast<int>(response->result_int()),
                                "WebSocket upgrade at " + where + " answered HTTP " +
                                    std::to_string(response->result_int()));
  if (ec) throw std::runtime_error("WebSocket connect to " + where + " failed: " + ec.message());
  if (options.read_continuously) start_reading();
}

ws_client::~ws_client() = default;

void ws_client::start_reading() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->continuous = true;
  if (impl_->read_outstanding || impl_->ended.closed) return;
  impl_->read_outstanding = true;
  asio::post(impl_->io, [self = impl_.get()] { self->read_one(); });
}

void ws_client::send_text(const std::string& text, std::chrono::milliseconds deadline) {
  impl_->send(text, false, deadline);
}

void ws_client::send_json(const json::value& message, std::chrono::milliseconds deadline) {
  impl_->send(json::serialize(message), false, deadline);
}

void ws_client::send_binary(const std::string& bytes, std::chrono::milliseconds deadline) {
  impl_->send(bytes, true, deadline);
}

std::optional<json::value> ws_client::next(std::chrono::milliseconds deadline) {
  auto& self = *impl_;
  std::unique_lock<std::mutex> lock(self.mutex);
  if (self.queue.empty() && !self.ended.closed && !self.read_outstanding) {
    self.read_outstanding = true;  // one message on demand
    asio::post(self.io, [&self] { self.read_one(); });
  }
  self.changed.wait_for(lock, deadline, [&] { return !self.queue.empty() || self.ended.closed; });
  if (self.queue.empty()) return std::nullopt;
  auto message = std::move(self.queue.front());
  self.queue.pop_front();
  return message;
}

std::optional<json::object> ws_client::next_of_type(const std::string& type,
                                                    std::chrono::milliseconds deadline,
                                                    std::vector<json::value>* skipped) {
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() < 0) return std::nullopt;
    auto message = next(left);
    if (!message) return std::nullopt;
    if (message_type(*message) == type) return message->as_object();
    if (skipped != nullptr) skipped->push_back(std::move(*message));
  }
}

json::object ws_client::subscribe(const std::string& task_id, std::optional<uint64_t> since,
                                  std::chrono::milliseconds deadline,
                                  std::vector<json::value>* skipped) {
  json::object request{{"type", "subscribe"}, {"task_id", task_id}};
  if (since) request["since"] = *since;
  send_json(request);
  auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    auto message = left.count() < 0 ? std::nullopt : next(left);
    if (!message)
      throw std::runtime_error("no answer to subscribe " + task_id + " within " +
                               std::to_string(deadline.count()) + " ms");
    auto type = message_type(*message);
    if (type == "subscribed" || type == "error") return message->as_object();
    if (skipped != nullptr) skipped->push_back(std::move(*message));
  }
}

bool ws_client::wait_closed(std::chrono::milliseconds deadline) {
  auto& self = *impl_;
  std::unique_lock<std::mutex> lock(self.mutex);
  return self.changed.wait_for(lock, deadline, [&] { return self.ended.closed; });
}

ws_close_info ws_client::close_info() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->ended;
}

void ws_client::close(std::chrono::milliseconds deadline) {
  auto& self = *impl_;
  auto ec = self.run_on_io(deadline, "close", [&self](auto complete) {
    self.ws.async_close(websocket::close_code::normal, complete);
  });
  std::lock_guard<std::mutex> lock(self.mutex);
  self.mark_ended(ec ? ec : beast::error_code(websocket::error::closed));
  self.changed.notify_all();
}

void ws_client::abort(bool reset) {
  auto& self = *impl_;
  self.run_on_io(std::chrono::seconds(10), "abort", [&self, reset](auto complete) {
    auto& socket = beast::get_lowest_layer(self.ws).socket();
    beast::error_code ec;
    if (reset) socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    complete(ec);
  });
  std::lock_guard<std::mutex> lock(self.mutex);
  self.mark_ended(asio::error::connection_aborted);
  self.changed.notify_all();
}

std::string message_type(const json::value& message) {
  if (!message.is_object()) return {};
  auto* type = message.as_object().if_contains("type");
  return type != nullptr && type->is_string() ? std::string(type->as_string()) : std::string();
}

}  // namespace ce::e2e

// One keep-alive HTTP/1.1 connection for the benchmarks, reopened after any
// transport error. Synchronous: each benchmark client owns one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace ce::bench {

class http_connection {
 public:
  http_connection(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}

  /// Status and body, or nothing on a transport error.
  std::optional<std::pair<int, std::string>> send(boost::beast::http::verb method,
                                                  const std::string& target,
                                                  const std::string& body = {}) {
    namespace http = boost::beast::http;
    boost::beast::error_code ec;
    if (!stream_.socket().is_open()) {
      stream_.connect({boost::asio::ip::make_address(host_), port_}, ec);
      if (ec) return std::nullopt;
    }
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, host_);
    request.keep_alive(true);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(stream_, request, ec);
    http::response<http::string_body> response;
    if (!ec) http::read(stream_, buffer_, response, ec);
    if (ec) {
      close();
      return std::nullopt;
    }
    if (!response.keep_alive()) close();
    return std::make_pair(static_cast<int>(response.result_int()), std::move(response.body()));
  }

 private:
  void close() {
    boost::beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.consume(buffer_.size());
  }

  std::string host_;
  uint16_t port_;
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_{io_};
  boost::beast::flat_buffer buffer_;
};

}  // namespace ce::bench

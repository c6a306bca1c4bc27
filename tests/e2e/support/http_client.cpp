#include "tests/e2e/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace ce::e2e {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr std::uint64_t response_body_limit = 64ull << 20;  // artifacts are far smaller

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string http_response::header(const std::string& name) const {
  auto found = headers.find(lower(name));
  return found == headers.end() ? std::string{} : found->second;
}

boost::json::value http_response::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec)
    throw std::runtime_error("HTTP " + std::to_string(status) + " body is not JSON (" +
                             ec.message() + "): " + body.substr(0, 2000));
  return value;
}

struct http_client::impl {
  asio::io_context io;
  std::string host;
  uint16_t port;
  beast::tcp_stream stream{io};
  beast::flat_buffer buffer;
  bool connected = false;
  int opened = 0;

  impl(std::string host_name, uint16_t port_number)
      : host(std::move(host_name)), port(port_number) {}

  /// Runs the async operation(s) just started until they finish.
  void run() {
    io.restart();
    io.run();
  }

  void close() {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
    buffer.consume(buffer.size());
    connected = false;
  }

  void connect(std::chrono::milliseconds deadline) {
    tcp::endpoint endpoint(asio::ip::make_address(host), port);
    beast::error_code ec;
    stream.expires_after(deadline);
    stream.async_connect(endpoint, [&](beast::error_code e) { ec = e; });
    run();
    if (ec)
      throw std::runtime_error("connect to " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
    connected = true;
    ++opened;
  }

  /// One request/response on the current connection. Returns the error of
  /// the read (the write error alone is ignored: a server that answers 413
  /// may close before reading the whole body, and its answer still counts).
  beast::error_code exchange(http::request<http::string_body>& request,
                             http::response_parser<http::string_body>& parser,
                             std::chrono::milliseconds deadline) {
    beast::error_code write_ec;
    beast::error_code read_ec;
    stream.expires_after(deadline);
    http::async_write(stream, request, [&](beast::error_code e, std::size_t) { write_ec = e; });
    run();
    if (write_ec == beast::error::timeout) return write_ec;
    http::async_read(stream, buffer, parser,
                     [&](beast::error_code e, std::size_t) { read_ec = e; });
    run();
    return read_ec;
  }
};

http_client::http_client(std::string host, uint16_t port)
    : impl_(std::make_unique<impl>(std::move(host), port)) {}

http_client::~http_client() {
  if (impl_->connected) impl_->close();
}

int http_client::connections_opened() const {
  return impl_->opened;
}

http_response http_client::request(const std::string& method, const std::string& target,
                                   const std::string& body, const header_list& headers,
                                   std::chrono::milliseconds deadline) {
  http::request<http::string_body> req;
  auto verb = http::string_to_verb(method);
  if (verb == http::verb::unknown)
    req.method_string(method);
  else
    req.method(verb);
  req.target(target);
  req.version(11);
  req.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  req.set(http::field::user_agent, "core-engine-e2e");
  bool has_content_type = false;
  for (const auto& [name, value] : headers) {
    req.set(name, value);
    has_content_type = has_content_type || lower(name) == "content-type";
  }
  if (!body.empty() && !has_content_type) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);

  for (int attempt = 0;; ++attempt) {
    bool fresh = !impl_->connected;
    if (fresh) impl_->connect(deadline);
    http::response_parser<http::string_body> parser;
    parser.body_limit(response_body_limit);
    if (verb == http::verb::head) parser.skip(true);
    auto ec = impl_->exchange(req, parser, deadline);
    if (ec) {
      impl_->close();
      // A kept-alive connection the server had already closed: try once on a new one.
      bool stale = !fresh && attempt == 0 && !parser.got_some() &&
                   (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                    ec == asio::error::eof || ec == asio::error::broken_pipe);
      if (stale) continue;
      throw std::runtime_error(method + " " + target + ": " + ec.message());
    }
    auto& res = parser.get();
    http_response answer;
    answer.status = static_cast<int>(res.result_int());
    for (const auto& field : res)
      answer.headers[lower(std::string(field.name_string()))] = std::string(field.value());
    answer.body = std::move(res.body());
    if (!res.keep_alive()) impl_->close();
    return answer;
  }
}

}  // namespace ce::e2e

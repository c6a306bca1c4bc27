#include "client/connection.hpp"

#include <algorithm>
#include <cctype>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace ce::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

std::optional<server_address> parse_server_url(const std::string& url, std::string& why) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) {
    why = "the URL must start with http:// (" + url + ")";
    return std::nullopt;
  }
  auto rest = url.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  server_address out;
  if (slash != std::string::npos) {
    out.base_path = rest.substr(slash);
    while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  }
  auto colon = authority.rfind(':');
  if (colon == std::string::npos) {
    out.host = authority;
    out.port = "80";
  } else {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (out.host.empty() || out.port.empty() ||
      !std::all_of(out.port.begin(), out.port.end(),
                   [](unsigned char c) { return std::isdigit(c); })) {
    why = "the URL has no usable host and port (" + url + ")";
    return std::nullopt;
  }
  return out;
}

struct connection::impl {
  asio::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

connection::connection(server_address address, std::string token, std::chrono::seconds deadline)
    : impl_(std::make_unique<impl>()),
      address_(std::move(address)),
      token_(std::move(token)),
      deadline_(deadline) {}

connection::~connection() {
  if (impl_->stream) {
    beast::error_code ignored;
    impl_->stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

response connection::request(const std::string& method, const std::string& target,
                             const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), address_.base_path + target,
                                       11};
  if (req.method() == http::verb::unknown) req.method_string(method);
  req.set(http::field::host, address_.host + ":" + address_.port);
  req.set(http::field::user_agent, "core-engine-cli");
  req.set(http::field::accept, "application/json");
  if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  req.keep_alive(true);

  // One retry on a connection the server closed while it was idle.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool fresh = !impl_->stream;
    try {
      if (!impl_->stream) {
        tcp::resolver resolver(impl_->ioc);
        auto endpoints = resolver.resolve(address_.host, address_.port);
        impl_->stream.emplace(impl_->ioc);
        impl_->stream->expires_after(std::chrono::seconds(10));
        impl_->stream->connect(endpoints);
      }
      impl_->stream->expires_after(deadline_);
      http::write(*impl_->stream, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(256u << 20);  // an archive or a long page
      http::read(*impl_->stream, impl_->buffer, parser);
      auto res = parser.release();
      response out;
      out.status = static_cast<int>(res.result_int());
      for (const auto& f : res) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        out.headers[name] = std::string(f.value());
      }
      out.body = std::move(res.body());
      if (!res.keep_alive()) impl_->stream.reset();
      return out;
    } catch (const boost::system::system_error& e) {
      impl_->stream.reset();
      impl_->buffer.clear();
      if (fresh || attempt == 1)
        throw connection_error("cannot reach the engine at http://" + address_.host + ":" +
                               address_.port + ": " + e.code().message());
    }
  }
  throw connection_error("cannot reach the engine");
}

void follow_task_events(const server_address& address, const std::string& token,
                        const std::string& task_id, uint64_t since,
                        const std::function<bool(const json::object& event)>& on_event) {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  try {
    tcp::resolver resolver(ioc);
    auto endpoints = resolver.resolve(address.host, address.port);
    beast::get_lowest_layer(ws).expires_after(std::chrono::seconds(10));
    beast::get_lowest_layer(ws).connect(endpoints);
    beast::get_lowest_layer(ws).expires_never();
    // The server pings idle connections; the stream answers them while reading.
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.set_option(websocket::stream_base::decorator([&](websocket::request_type& req) {
      req.set(http::field::user_agent, "core-engine-cli");
      if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    }));
    ws.handshake(address.host + ":" + address.port, address.base_path + "/ws");
    // since 0 replays every stored event first: a watch started late misses nothing.
    json::object subscribe{{"type", "subscribe"}, {"task_id", task_id}, {"since", since}};
    ws.write(asio::buffer(json::serialize(subscribe)));
    beast::flat_buffer buffer;
    for (;;) {
      buffer.clear();
      ws.read(buffer);
      auto text = beast::buffers_to_string(buffer.data());
      json::value message;
      try {
        message = json::parse(text);
      } catch (const std::exception&) {
        continue;  // not ours to judge; the protocol only sends JSON
      }
      if (!message.is_object()) continue;
      const auto& m = message.as_object();
      auto type = m.contains("type") && m.at("type").is_string()
                      ? std::string(m.at("type").as_string())
                      : std::string();
      if (type == "error") {
        auto why = m.contains("message") && m.at("message").is_string()
                       ? std::string(m.at("message").as_string())
                       : std::string("the server refused the subscription");
        throw connection_error(why);
      }
      if (type != "task_event" || !m.contains("event") || !m.at("event").is_object()) continue;
      if (!on_event(m.at("event").as_object())) break;
    }
    beast::error_code ignored;
    ws.close(websocket::close_code::normal, ignored);
  } catch (const boost::system::system_error& e) {
    throw connection_error("the event stream of " + task_id + " broke: " + e.code().message());
  }
}

}  // namespace ce::client

#include "net/http_session.hpp"

#include <atomic>
#include <cstdio>
#include <random>

#include <spdlog/spdlog.h>

#include "logging/structured.hpp"
#include "net/authentication.hpp"
#include "net/request_reading.hpp"
#include "net/responses.hpp"

namespace ce::net {

namespace {
constexpr auto read_timeout = std::chrono::seconds(60);

/// 16 hex digits: a random per-process part and a counter, unique per node run.
std::string generated_request_id() {
  static const uint32_t process_part = std::random_device{}();
  static std::atomic<uint32_t> counter{0};
  char id[17];
  std::snprintf(id, sizeof id, "%08x%08x", process_part, ++counter);
  return id;
}

/// An incoming X-Request-Id is kept when it is short and of characters that
/// are safe in a header and a log line (UUIDs, ULIDs, base64, trace ids).
bool usable_request_id(std::string_view id) {
  constexpr std::size_t longest = 128;
  if (id.empty() || id.size() > longest) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=';
    if (!ok) return false;
  }
  return true;
}
}  // namespace

http_session::http_session(tcp::socket&& socket, std::shared_ptr<const rest_api> api,
                           std::shared_ptr<const ws_context> websocket, std::size_t max_body_bytes,
                           bool websocket_any_path, admission admitted)
    : stream_(std::move(socket)),
      api_(std::move(api)),
      websocket_(std::move(websocket)),
      max_body_bytes_(max_body_bytes),
      websocket_any_path_(websocket_any_path),
      admitted_(std::move(admitted)) {
  beast::error_code ec;
  peer_address_ = stream_.socket().remote_endpoint(ec).address().to_string();
}

void http_session::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
}

void http_session::read_request() {
  parser_.emplace();
  parser_->body_limit(max_body_bytes_);
  stream_.expires_after(read_timeout);
  http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  started_ = std::chrono::steady_clock::now();
  method_label_ = "other";
  route_ = rest_api::unmatched_route;
  path_.clear();
  request_id_.clear();
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
    return close();
  if (ec == http::error::body_limit) {
    keep_alive_ = false;  // the rest of the body is still on the wire
    return write(
        failure(api_->options(), http::status::payload_too_large,
                "request body is larger than " + std::to_string(max_body_bytes_) + " bytes"));
  }
  if (ec) {
    keep_alive_ = false;
    if (ec == http::error::header_limit)
      return write(failure(api_->options(), http::status::request_header_fields_too_large,
                           "request headers are too large"));
    return write(failure(api_->options(), http::status::bad_request,
                         "malformed HTTP request: " + ec.message()));
  }
  dispatch_request(parser_->release());
}

namespace {

/// RFC 6455 4.1: the key is 16 random bytes in base64, so 24 characters
/// ending in "==" whose last data character carries no stray bits.
bool well_formed_websocket_key(std::string_view key) {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (key.size() != 24 || key.substr(22) != "==") return false;
  for (char c : key.substr(0, 22))
    if (alphabet.find(c) == std::string_view::npos) return false;
  return std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

}  // namespace

void http_session::dispatch_request(http::request<http::string_body>&& req) {
  version_ = req.version();
  keep_alive_ = req.keep_alive();
  // Unknown methods share one label: a client must not be able to mint series.
  if (req.method() != http::verb::unknown) method_label_ = http::to_string(req.method());
  if (auto incoming = req["X-Request-Id"]; usable_request_id(incoming))
    request_id_ = std::string(incoming);
  auto target = std::string_view(req.target());
  path_ = std::string(target.substr(0, target.find('?')));
  if (!admitted_.refusal.empty()) {  // over a connection limit: one answer, then closed
    keep_alive_ = false;
    auto r = failure(api_->options(), admitted_.status, admitted_.refusal);
    r.headers.emplace_back(http::field::retry_after, "1");
    return write(std::move(r));
  }
  auto read = read_api_request(req, api_->options().tokens.get());
  if (!read) {
    return write(failure(api_->options(), http::status::bad_request,
                         "request target is not a valid URL path"));
  }
  api_request& in = *read;
  if (websocket::is_upgrade(req)) {
    bool ws_path = in.segments.size() == 1 && in.segments[0] == "ws";
    if ((websocket_any_path_ || ws_path) &&
        !well_formed_websocket_key(req[http::field::sec_websocket_key])) {
      keep_alive_ = false;
      return write(failure(api_->options(), http::status::bad_request,
                           "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters)"));
    }
    if (websocket_any_path_ || ws_path) {
      auto authorization = req[http::field::authorization];
      auto who = authenticate(api_->options().tokens.get(), authorization, {}, {});
      if (!authorization.empty() && !who.refusal.empty()) {
        // A token that is there but wrong is refused at once; without one,
        // the client may still send an auth message.
        keep_alive_ = false;
        auto r = failure(api_->options(), http::status::unauthorized, who.refusal);
        r.headers.emplace_back(http::field::www_authenticate, "Bearer");
        return write(std::move(r));
      }
      // The connection now belongs to the WebSocket session.
      std::make_shared<ws_session>(stream_.release_socket(), websocket_)
          ->run(std::move(req),
                who.refusal.empty() ? std::optional<caller_identity>{who.caller} : std::nullopt,
                std::move(admitted_.slot));
      return;
    }
    keep_alive_ = false;
    return write(failure(api_->options(), http::status::not_found,
                         "WebSocket connections are served on /ws (or on the WebSocket port)"));
  }
  bool probe = in.segments.size() == 1 && (in.segments[0] == "health" || in.segments[0] == "ready");
  if (!probe)
    if (auto refused = over_rate(in.token_key)) return write(std::move(*refused));
  in.body = std::move(req.body());
  auto self = shared_from_this();
  route_ = api_->handle(std::move(in), [self](api_response r) {
    // Answers arrive on actor threads: hop back onto this connection's strand.
    asio::post(self->stream_.get_executor(),
               [self, r = std::move(r)]() mutable { self->write(std::move(r)); });
  });
}

std::optional<api_response> http_session::over_rate(const std::string& token_key) {
  const auto& options = api_->options();
  auto now = limit_clock::now();
  auto refuse = [&](std::chrono::milliseconds wait, const std::string& who, double rate) {
    auto seconds = retry_after_seconds(wait);
    auto r = failure(options, http::status::too_many_requests,
                     "too many requests from " + who + ": at most " + rate_text(rate) +
                         " per second; retry after " + std::to_string(seconds) + " s");
    r.headers.emplace_back(http::field::retry_after, std::to_string(seconds));
    return r;
  };
  if (options.per_ip && options.per_ip->enabled())
    if (auto wait = options.per_ip->take(peer_address_, now); wait.count() > 0)
      return refuse(wait, "this address", options.per_ip->rate());
  if (options.per_token && options.per_token->enabled() && !token_key.empty())
    if (auto wait = options.per_token->take(token_key, now); wait.count() > 0)
      return refuse(wait, "this token", options.per_token->rate());
  return std::nullopt;
}

void http_session::write(api_response r) {
  auto finish = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec || !self->keep_alive_) return self->close();
    self->read_request();
  };
  auto decorate = [&](auto& msg) {
    msg.version(version_);
    msg.keep_alive(keep_alive_);
    msg.set(http::field::server, "core-engine");
    if (!r.content_type.empty()) msg.set(http::field::content_type, r.content_type);
    for (auto& [field, value] : r.headers) msg.set(field, value);
    for (auto& [name, value] : r.named_headers) msg.set(name, value);
    msg.set("X-Request-Id", request_id_);
  };
  if (request_id_.empty()) request_id_ = generated_request_id();
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - started_;
  auto status = static_cast<unsigned>(r.status);
  if (const auto& metrics = api_->metrics())
    metrics->http_request(method_label_, route_, status, took.count());
  double took_ms = took.count() * 1000.0;
  logging::log(spdlog::level::info,
               {{"request_id", request_id_},
                {"method", method_label_},
                {"route", route_},
                {"path", path_},
                {"status", status},
                {"duration_ms", took_ms}},
               "request");
  http::response<http::string_body> msg{r.status, version_};
  decorate(msg);
  msg.body() = std::move(r.body);
  msg.prepare_payload();
  stream_.expires_after(read_timeout);
  beast::async_write(stream_, http::message_generator{std::move(msg)}, std::move(finish));
}

void http_session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
}

std::function<void(tcp::socket&&)> make_session_starter(
    std::shared_ptr<const rest_api> api, std::shared_ptr<const ws_context> websocket,
    std::shared_ptr<connection_limits> connections, std::size_t max_body_bytes,
    bool websocket_any_path) {
  return [=](tcp::socket&& socket) {
    admission admitted;
    if (connections) {
      beast::error_code ec;
      auto address = socket.remote_endpoint(ec).address().to_string();
      bool node_full = false;
      admitted.slot = connections->admit(address, admitted.refusal, node_full);
      // A full node is unavailable (503); an address over its share asks too much (429).
      if (!admitted.slot && node_full) admitted.status = http::status::service_unavailable;
    }
    std::make_shared<http_session>(std::move(socket), api, websocket, max_body_bytes,
                                   websocket_any_path, std::move(admitted))
        ->run();
  };
}

}  // namespace ce::net

#include "net/ws_session.hpp"

#include <spdlog/spdlog.h>

#include "messages/clock.hpp"
#include "messages/ws_protocol.hpp"
#include "net/actor_call.hpp"
#include "net/authentication.hpp"

namespace ce::net {

namespace {
// Messages above this close the connection (1009) instead of getting an error frame.
constexpr std::size_t hard_message_limit = 1 << 20;
// Queue entry standing for the slow-consumer notice (no real seq is this large).
constexpr uint64_t overflow_notice = UINT64_MAX;
}  // namespace

ws_session::ws_session(tcp::socket&& socket, std::shared_ptr<const ws_context> context)
    : ws_(std::move(socket)),
      context_(std::move(context)),
      close_timer_(ws_.get_executor()),
      message_budget_(context_->options.message_rate, limit_clock::now()) {}

ws_session::~ws_session() {
  if (counted_) context_->metrics->websocket_closed();
}

void ws_session::run(http::request<http::string_body> upgrade,
                     std::optional<caller_identity> caller, std::shared_ptr<void> connection_slot) {
  connection_slot_ = std::move(connection_slot);
  if (caller) {
    caller_ = std::move(*caller);
    identified_ = true;
  }
  const auto& opts = context_->options;
  if (opts.send_buffer_bytes > 0) {
    beast::error_code ec;
    beast::get_lowest_layer(ws_).socket().set_option(
        asio::socket_base::send_buffer_size(opts.send_buffer_bytes), ec);
  }
  // The websocket stream keeps its own timers: none on the TCP layer.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::seconds(10);
  timeouts.idle_timeout = opts.idle_timeout;
  timeouts.keep_alive_pings = true;  // a ping after half the idle time; no answer: closed
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) { res.set(http::field::server, "core-engine"); }));
  ws_.read_message_max(hard_message_limit);
  auto req = std::make_shared<http::request<http::string_body>>(std::move(upgrade));
  ws_.async_accept(*req,
                   [self = shared_from_this(), req](beast::error_code ec) { self->on_accept(ec); });
}

void ws_session::on_accept(beast::error_code ec) {
  if (ec) return finish();
  if (context_->metrics) {
    context_->metrics->websocket_opened();
    counted_ = true;
  }
  send(ws::connected_frame(now_ms()));
  read();
}

void ws_session::read() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t n) {
    self->on_read(ec, n);
  });
}

void ws_session::on_read(beast::error_code ec, std::size_t bytes) {
  if (ec) return finish();  // closed, timed out (no pong), or over the hard limit
  if (message_budget_.take(limit_clock::now()).count() > 0) {
    send(ws::error_frame("too many messages: at most " + rate_text(context_->options.message_rate) +
                         " per second; this one was dropped"));
  } else if (!ws_.got_text()) {
    send(ws::error_frame("binary frames are not supported; send JSON text messages"));
  } else if (bytes > context_->options.max_message_bytes) {
    send(ws::error_frame("message of " + std::to_string(bytes) + " bytes is larger than " +
                         std::to_string(context_->options.max_message_bytes) + " bytes"));
  } else {
    auto data = buffer_.data();
    handle_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
  }
  buffer_.consume(buffer_.size());
  if (!closing_) read();
}

void ws_session::handle_message(std::string_view text) {
  auto decoded = ws::decode_client_message(text);
  if (!decoded) return send(ws::error_frame(decoded.error->message));
  const auto& m = decoded.value;
  using kind = ws::client_message::kind;
  switch (m.type) {
    case kind::ping:
      send(ws::pong_frame(now_ms()));
      break;
    case kind::auth:
      authenticate(m.token);
      break;
    case kind::subscribe:
      if (!identified_) {
        send(
            ws::error_frame("authentication required: send {\"type\":\"auth\",\"token\":"
                            "\"<token>\"} or connect with Authorization: Bearer <token>"));
        break;
      }
      if (subscriptions_.size() >= context_->options.max_subscriptions &&
          !subscriptions_.count(m.task_id)) {
        send(ws::error_frame("a connection may hold at most " +
                             std::to_string(context_->options.max_subscriptions) +
                             " subscriptions"));
        break;
      }
      if (m.task_id == "*" || caller_.sees_everyone()) {
        subscribe(m.task_id, m.has_since, m.since);
        break;
      }
      {
        // Another user's task is refused exactly like an unknown one.
        auto self = shared_from_this();
        auto task_id = m.task_id;
        bool has_since = m.has_since;
        uint64_t since = m.since;
        auto refuse = [self, task_id](caf::error&) {
          asio::post(self->ws_.get_executor(), [self, task_id] {
            self->send(ws::error_frame("unknown task id " + task_id + "; not subscribed"));
          });
        };
        actor_call(
            *context_->system, context_->engine, std::chrono::seconds(30),
            [self, task_id, has_since, since](const task&) {
              asio::post(self->ws_.get_executor(), [self, task_id, has_since, since] {
                if (!self->finished_) self->subscribe(task_id, has_since, since);
              });
            },
            refuse, atoms::get_task::value, caller_, task_id);
      }
      break;
    case kind::unsubscribe:
      subscriptions_.erase(m.task_id);
      caf::anon_send(context_->log, atoms::unsubscribe::value, as_sink(), m.task_id);
      break;
  }
}

void ws_session::subscribe(const std::string& task_id, bool has_since, uint64_t since) {
  subscriptions_.insert(task_id);
  caf::anon_send(context_->log, atoms::subscribe::value, as_sink(), task_id, has_since, since);
}

void ws_session::authenticate(const std::string& token) {
  if (identified_) {
    send(ws::error_frame(context_->tokens && !context_->tokens->empty()
                             ? "this connection is already authenticated as " + caller_.user_id
                             : "this node has no tokens configured; no auth is needed"));
    return;
  }
  auto who = authenticate_token(*context_->tokens, token);
  if (!who.refusal.empty()) return send(ws::error_frame(who.refusal));
  caller_ = std::move(who.caller);
  identified_ = true;
  send(ws::authenticated_frame(caller_.user_id, to_string(caller_.role)));
}

bool ws_session::may_see(const std::string& user_id) const {
  return caller_.may_see(user_id);
}

void ws_session::deliver(std::shared_ptr<const std::string> frame, uint64_t seq) {
  if (closing_) return;
  if (pending_.fetch_add(1) + 1 > context_->options.queue_limit) {
    // Never slow the engine down for one client: give up on it.
    if (!closing_.exchange(true))
      asio::post(ws_.get_executor(), [self = shared_from_this()] { self->overflow(); });
    return;
  }
  asio::post(ws_.get_executor(), [self = shared_from_this(), frame = std::move(frame),
                                  seq]() mutable { self->enqueue(std::move(frame), seq); });
}

void ws_session::send(std::string text) {
  ++pending_;
  enqueue(std::make_shared<const std::string>(std::move(text)), 0);
}

void ws_session::enqueue(std::shared_ptr<const std::string> frame, uint64_t seq) {
  if (finished_ || close_after_write_) return;
  queue_.emplace_back(std::move(frame), seq);
  if (!writing_) write_next();
}

void ws_session::write_next() {
  if (queue_.empty()) {
    if (close_after_write_ && !finished_) {
      ws_.async_close(websocket::close_reason(websocket::close_code::policy_error, "slow consumer"),
                      [self = shared_from_this()](beast::error_code) { self->finish(); });
    }
    return;
  }
  writing_ = true;
  auto [frame, seq] = queue_.front();
  queue_.pop_front();
  if (seq == overflow_notice) {
    frame = std::make_shared<const std::string>(
        ws::overflow_frame(last_sent_seq_, context_->options.queue_limit));
    seq = 0;
  }
  ws_.text(true);
  ws_.async_write(asio::buffer(*frame),
                  [self = shared_from_this(), frame = frame, seq = seq](
                      beast::error_code ec, std::size_t) { self->on_write(ec, seq); });
}

void ws_session::on_write(beast::error_code ec, uint64_t seq) {
  writing_ = false;
  --pending_;
  if (ec) return finish();
  if (seq > 0) last_sent_seq_ = seq;
  write_next();
}

void ws_session::overflow() {
  if (finished_) return;
  spdlog::warn("websocket client lags more than {} frames behind; closing it (last seq sent {})",
               context_->options.queue_limit, last_sent_seq_);
  if (context_->metrics) context_->metrics->slow_consumer_dropped();
  queue_.clear();
  // The notice is rendered when it is written: a write still in flight may
  // raise the last seq this client got.
  queue_.emplace_back(nullptr, overflow_notice);
  close_after_write_ = true;
  if (!writing_) write_next();
  // A client that reads nothing at all is cut off after the grace period.
  close_timer_.expires_after(context_->options.close_grace);
  close_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;
    beast::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
}

void ws_session::finish() {
  if (finished_) return;
  finished_ = true;
  closing_ = true;
  close_timer_.cancel();
  queue_.clear();
  // Releases every subscription of this connection (through the log, so it
  // is ordered after any subscribe still on its way).
  caf::anon_send(context_->log, atoms::drop_sink::value, as_sink());
}

}  // namespace ce::net

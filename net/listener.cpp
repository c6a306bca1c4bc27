#include "net/listener.hpp"

#include <spdlog/spdlog.h>

namespace ce::net {

namespace {
/// Long enough to let a descriptor free up, short enough not to be noticed.
constexpr std::chrono::milliseconds retry_after_failed_accept{100};
}  // namespace

listener::listener(asio::io_context& ioc, const tcp::endpoint& endpoint, session_starter start)
    : ioc_(ioc),
      acceptor_(asio::make_strand(ioc)),
      retry_timer_(acceptor_.get_executor()),
      start_(std::move(start)) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void listener::run() {
  accept();
}

void listener::stop() {
  asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    beast::error_code ec;
    self->acceptor_.close(ec);
    self->retry_timer_.cancel();
  });
}

void listener::accept() {
  acceptor_.async_accept(asio::make_strand(ioc_),
                         [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                           if (ec == asio::error::operation_aborted) return;  // stopped
                           if (!ec) {
                             socket.set_option(tcp::no_delay(true), ec);
                             self->start_(std::move(socket));
                             return self->accept();
                           }
                           // Out of descriptors and the like: accepting again at once would fail
                           // the same way in a hot loop, so pause, and say so once per pause.
                           spdlog::warn("accept failed: {}; accepting again in {} ms", ec.message(),
                                        retry_after_failed_accept.count());
                           self->retry_timer_.expires_after(retry_after_failed_accept);
                           self->retry_timer_.async_wait([self](beast::error_code wait_ec) {
                             if (wait_ec != asio::error::operation_aborted) self->accept();
                           });
                         });
}

}  // namespace ce::net

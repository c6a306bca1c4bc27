#include "net/listener.hpp"

#include <spdlog/spdlog.h>

namespace ce::net {

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
                           if (ec) {
                             // Out of descriptors and the like: keep accepting, the next may work.
                             spdlog::warn("accept failed: {}", ec.message());
                           } else {
                             socket.set_option(tcp::no_delay(true), ec);
                             self->start_(std::move(socket));
                           }
                           self->accept();
                         });
}

}  // namespace ce::net

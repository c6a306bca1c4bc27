// Accepts TCP connections and starts one session per connection.
#pragma once

#include <functional>
#include <memory>

#include "net/beast.hpp"

namespace ce::net {

class listener : public std::enable_shared_from_this<listener> {
 public:
  using session_starter = std::function<void(tcp::socket&&)>;

  /// Binds and listens; throws boost::system::system_error with the reason on failure.
  listener(asio::io_context& ioc, const tcp::endpoint& endpoint, session_starter start);
  void run();
  void stop();
  uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  void accept();

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;  // pause after a failed accept (e.g. out of descriptors)
  session_starter start_;
};

}  // namespace ce::net
